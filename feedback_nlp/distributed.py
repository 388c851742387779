"""Per-row stages as a pure function of a pandas partition, and Dask / Spark adapters.

The per-row work of an analysis (clean, segment, sentiment, theme assignment with an
already fitted theme model) does not depend on other rows. :func:`process_partition`
does it for one pandas partition given a :class:`ModelBundle` (the configuration plus
the fitted theme model as bytes), so any engine that can run a Python function on a
pandas frame can run it unchanged:

- Dask: :func:`analyze_dask` (``dask.dataframe.map_partitions``), on a
  ``distributed.LocalCluster`` or any scheduler address;
- Spark: :func:`spark_map_documents` (``DataFrame.mapInPandas``), optional;
- one machine, file larger than memory: :mod:`feedback_nlp.streaming`.

What is not per-row runs once on the client: fitting the theme model on a bounded,
seeded sample (:func:`fit_bundle`) and the aggregates (theme table, metrics, drivers)
from the partition results (:func:`feedback_nlp.stages.join_parts` then
:func:`feedback_nlp.stages.aggregate`, the same step as a one-machine run).

How the model reaches the workers: the bundle carries the files the theme model wrote
with ``save(dir)`` as bytes; a worker writes them to a temporary folder once and loads
them with the model class's own ``load`` (safetensors / JSON, no pickle of the model).
The bundle itself is plain data (dicts, strings and bytes), so Dask and Spark ship it
with the task.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from feedback_nlp import stages
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import (
    ConfigError,
    EmptyInputError,
    MissingExtraError,
    ModelLoadError,
    SchedulerError,
    UnknownOptionError,
)
from feedback_nlp.io import (
    ROLES,
    canonical_frame,
    csv_parts,
    detect_format,
    json_default,
    map_columns,
    parquet_safe,
    read_any,
    read_csv_part,
)
from feedback_nlp.prepare import mark_duplicate_ids
from feedback_nlp.result import FeedbackAnalysis

#: Name of the column that carries each document's opinion units through engines that
#: map one frame to one frame (``map_partitions``, ``mapInPandas``).
PACKED = "_segments"


@runtime_checkable
class ThemeAssigner(Protocol):
    """What the per-row stage needs from a fitted theme model.

    ``assign`` adds ``theme_id`` / ``theme_label`` to ``segments`` and ``theme_ids`` /
    ``theme_labels`` to ``documents`` for texts the model was not fitted on.
    """

    def assign(self, documents: pd.DataFrame,
               segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]: ...

    def save(self, directory: str | Path) -> Any: ...


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class ModelBundle:
    """Everything a worker needs to run the per-row stages: plain, serialisable data.

    Parameters
    ----------
    config
        ``AnalysisConfig.to_dict()``.
    columns
        The user's column mapping (role -> column name), as :func:`read_feedback` takes it.
    keep
        Extra columns copied through.
    theme_model_class
        ``"module:Class"`` of the fitted theme model (must live in ``feedback_nlp``).
    theme_model_files
        The files the model's ``save(dir)`` wrote, relative path -> bytes.
    adaptation
        The sentiment adaptation's fold models as numpy arrays
        (:meth:`~feedback_nlp.sentiment.adapt.DomainModel.to_arrays`; empty: none), from
        the run's pre-pass (:mod:`feedback_nlp.adaptation`).
    """

    config: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    theme_model_class: str | None = None
    theme_model_files: dict[str, bytes] = field(default_factory=dict)
    adaptation: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, config: AnalysisConfig, columns: dict[str, str] | None = None, *,
              keep: list[str] | None = None, theme_model: Any = None) -> ModelBundle:
        """Bundle a configuration and (optionally) a fitted theme model."""
        files: dict[str, bytes] = {}
        class_path = None
        if theme_model is not None:
            klass = type(theme_model)
            class_path = f"{klass.__module__}:{klass.__qualname__}"
            if not class_path.startswith("feedback_nlp."):
                raise ConfigError(f"Theme model class {class_path} is not part of feedback_nlp.",
                                  fix="use a model made by feedback_nlp.topics.")
            with tempfile.TemporaryDirectory(prefix="feedback_nlp_bundle_") as tmp:
                theme_model.save(Path(tmp) / "model")
                root = Path(tmp) / "model"
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    files[path.relative_to(root).as_posix()] = path.read_bytes()
        return cls(config=config.to_dict(), columns=dict(columns or {}), keep=tuple(keep or ()),
                   theme_model_class=class_path, theme_model_files=files)

    @property
    def analysis_config(self) -> AnalysisConfig:
        return AnalysisConfig.from_dict(self.config)

    @property
    def digest(self) -> str:
        """Content hash: workers load each distinct model once."""
        h = hashlib.sha256(repr((sorted(self.config.items(), key=str), self.theme_model_class)).encode())
        for name in sorted(self.theme_model_files):
            h.update(name.encode())
            h.update(self.theme_model_files[name])
        for name in sorted(self.adaptation):
            h.update(name.encode())
            value = self.adaptation[name]
            h.update(value.tobytes() if isinstance(value, np.ndarray) else repr(value).encode())
        return h.hexdigest()[:16]

    def with_adaptation(self, model: Any) -> ModelBundle:
        """This bundle carrying a fitted sentiment adaptation (``None``: none)."""
        from dataclasses import replace

        return replace(self, adaptation=model.to_arrays() if model is not None else {})

    def domain_model(self) -> Any:
        """The sentiment adaptation to apply on a partition, or ``None``."""
        if not self.adaptation:
            return None
        from feedback_nlp.sentiment.adapt import DomainModel

        return DomainModel.from_arrays(self.adaptation)

    def theme_model(self) -> Any:
        """The fitted theme model, loaded once per process (``None`` when there is none)."""
        if self.theme_model_class is None:
            return None
        key = self.digest
        with _CACHE_LOCK:
            cached = _MODEL_CACHE.get(key)
            if cached is not None:
                return cached
            model = _load_model(self.theme_model_class, self.theme_model_files)
            _MODEL_CACHE[key] = model
            return model


_MODEL_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def _load_model(class_path: str, files: dict[str, bytes]) -> Any:
    module_name, _, qualname = class_path.partition(":")
    if not module_name.startswith("feedback_nlp."):
        raise ModelLoadError(f"Refusing to load theme model class {class_path}.",
                             fix="bundles only carry feedback_nlp models.")
    klass: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        klass = getattr(klass, part)
    folder = Path(tempfile.mkdtemp(prefix="feedback_nlp_model_")) / "model"
    for name, payload in files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise ModelLoadError(f"Bundle file name {name!r} escapes the model folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
    return klass.load(folder)


# --------------------------------------------------------------------------- per row


def process_partition(frame: pd.DataFrame, bundle: ModelBundle, *,
                      row_offset: int | None = None,
                      mapped: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`feedback_nlp.stages.process_partition` for one partition, given a bundle.

    Pure: the output depends only on ``frame`` and ``bundle``. This adapter only maps
    raw columns and loads the bundled theme model (once per process); the stages are
    those of :mod:`feedback_nlp.stages`.

    Parameters
    ----------
    frame
        Raw rows with the user's column names, or (``mapped=True``) the output of
        :func:`~feedback_nlp.io.read_feedback` (with ``row_id``).
    bundle
        Configuration and fitted theme model.
    row_offset
        ``row_id`` of the partition's first row in the whole input (raw frames only).

    Returns
    -------
    documents, segments
        As :func:`feedback_nlp.pipeline.analyze_frame` makes them for these rows;
        ``segment_id`` counts from 0 within the partition (renumber with
        :func:`renumber_segments` after concatenation).
    """
    config = bundle.analysis_config
    if not mapped:
        mapping = {role: bundle.columns.get(role) for role in ROLES}
        frame = map_columns(frame, mapping, keep=list(bundle.keep), row_offset=row_offset or 0)
    model = bundle.theme_model() if config.themes.enabled else None
    adaptation = bundle.domain_model() if config.sentiment else None
    return stages.process_partition(frame.reset_index(drop=True), config,
                                    columns=bundle.columns, theme_model=model,
                                    adaptation=adaptation)


def pack(documents: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Documents with their opinion units in one column (one frame in, one frame out).

    ``map_partitions`` and ``mapInPandas`` map a frame to one frame: the segments of
    each document ride along in :data:`PACKED` as a list of records.
    """
    out = documents.copy()
    columns = [c for c in segments.columns if c != "row_id"]
    by_row: dict[int, list[dict[Any, Any]]] = {}
    if len(segments):
        records = segments[columns].to_dict("records")
        for row_id, record in zip(segments["row_id"].tolist(), records):
            by_row.setdefault(row_id, []).append(record)
    packed: list[Any] = [by_row.get(r, []) for r in out["row_id"].tolist()]
    out[PACKED] = pd.Series(packed, index=out.index, dtype=object)
    return out


def unpack(packed: pd.DataFrame,
           like: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inverse of :func:`pack`: ``(documents, segments)``.

    ``like`` is a segments frame (rows may be none) whose columns and dtypes the
    unpacked segments take (records lose the difference between ``object`` and ``str``).
    """
    documents = packed.drop(columns=[PACKED])
    rows, records = [], []
    for row_id, units in zip(packed["row_id"].tolist(), packed[PACKED].tolist()):
        for record in units if units is not None else []:
            rows.append(row_id)
            records.append(record)
    segments = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    segments.insert(0, "row_id", pd.Series(rows, dtype="int64"))
    if like is not None:
        segments = segments.reindex(columns=list(like.columns))
        for name, dtype in like.dtypes.items():
            if segments[name].dtype != dtype:
                segments[name] = segments[name].astype(dtype)
    else:
        for name in ("segment_id", "unit", "start", "end"):
            if name in segments.columns:
                segments[name] = segments[name].astype("int64")
    return documents, segments


def process_packed(frame: pd.DataFrame, bundle: ModelBundle, offsets: list[int] | None = None,
                   partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """:func:`process_partition` + :func:`pack`, with the signature ``map_partitions`` wants."""
    number = (partition_info or {}).get("number", 0)
    offset = offsets[number] if offsets else 0
    documents, segments = process_partition(frame, bundle, row_offset=offset)
    return pack(documents, segments)


def renumber_segments(segments: pd.DataFrame, start: int = 0) -> pd.DataFrame:
    """Give ``segment_id`` consecutive values in row order, from ``start``."""
    out = segments.reset_index(drop=True)
    if "segment_id" in out.columns:
        out["segment_id"] = np.arange(start, start + len(out), dtype="int64")
    return out


def _process_mapped(frame: pd.DataFrame,
                    bundle: ModelBundle) -> tuple[pd.DataFrame, pd.DataFrame]:
    return process_partition(frame, bundle, mapped=True)


def process_parallel(frame: pd.DataFrame, config: AnalysisConfig, *, n_jobs: int,
                     columns: dict[str, str] | None = None,
                     min_rows_per_job: int = 5_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`process_partition` on ``n_jobs`` worker processes for one in-memory frame.

    ``frame`` comes from :func:`~feedback_nlp.io.read_feedback`. The frame is cut into
    ``n_jobs`` contiguous parts; results are concatenated in input order, with
    ``segment_id`` renumbered, so the output equals a one-process run. Small frames
    (fewer than ``min_rows_per_job`` rows per job) run in this process: starting
    workers costs about a second each.
    """
    columns = dict(columns if columns is not None else frame.attrs.get("columns", {}))
    bundle = ModelBundle.build(config.replace(themes={"enabled": False}), columns)
    jobs = max(1, min(n_jobs, len(frame) // max(1, min_rows_per_job)))
    if jobs <= 1:
        return process_partition(frame, bundle, mapped=True)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = np.linspace(0, len(frame), jobs + 1).astype(int)
    parts = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_process_mapped, part, bundle) for part in parts]
        results = [wait_result(future, pool, config.worker_timeout, f"rows {a}-{b - 1}")
                   for future, a, b in zip(futures, bounds[:-1], bounds[1:])]
    documents = mark_duplicate_ids(pd.concat([d for d, _ in results], ignore_index=True))
    segments = renumber_segments(pd.concat([s for _, s in results], ignore_index=True))
    return documents, segments


def wait_result(future: Any, pool: Any, timeout: float | None, what: str) -> Any:
    """The result of a worker-process task, or a clear :class:`StageError`.

    A worker that dies (killed for memory, a crash in a native library) or a task that runs
    past ``timeout`` seconds stops the analysis with one line naming the rows concerned,
    instead of a traceback or a hang; the pool's processes are terminated.
    """
    from concurrent.futures import TimeoutError as FutureTimeout
    from concurrent.futures.process import BrokenProcessPool

    from feedback_nlp.errors import StageError

    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        _terminate(pool)
        raise StageError(
            f"The per-row stages on {what} ran for more than {timeout:g} s in a worker process "
            "and were stopped.",
            fix="raise worker_timeout in the configuration, or lower --chunksize / n_jobs.",
        ) from None
    except BrokenProcessPool:
        _terminate(pool)
        raise StageError(
            f"A worker process died while processing {what} (often: out of memory).",
            fix="lower --chunksize or n_jobs, or run with n_jobs = 1.",
        ) from None


def _terminate(pool: Any) -> None:
    """Stop a ProcessPoolExecutor now, killing workers that still run a task."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


# --------------------------------------------------------------------------- fit


def fit_bundle(sample: pd.DataFrame, config: AnalysisConfig, *,
               columns: dict[str, str] | None = None, keep: list[str] | None = None,
               progress: Any = None) -> tuple[ModelBundle, pd.DataFrame]:
    """Fit the theme model on a (sample) frame from :func:`read_feedback` and bundle it.

    Only the theme model is fitted here (or loaded, when ``config.themes.model`` names a
    saved one); sentiment uses the shipped (or configured) model, which every worker
    has. Also returns the sample's theme table, whose ``examples`` (verbatims closest to
    each theme's centroid) :func:`feedback_nlp.stages.join_parts` reuses.
    """
    columns = dict(columns if columns is not None else sample.attrs.get("columns", {}))
    plain = ModelBundle.build(config, columns, keep=keep)
    if not config.themes.enabled or len(sample) == 0:
        return plain, pd.DataFrame()
    from feedback_nlp.topics import annotate as annotate_themes

    documents, segments = process_partition(sample, plain, mapped=True)
    fitted = annotate_themes(FeedbackAnalysis(documents=documents, segments=segments), config,
                             progress=progress)
    model = getattr(fitted, "theme_model", None)
    return ModelBundle.build(config, columns, keep=keep, theme_model=model), fitted.themes


# --------------------------------------------------------------------------- dask


def analyze_dask(
    ddf: Any,
    text: str | None = None,
    score: str | None = None,
    *,
    config: AnalysisConfig | None = None,
    keep: list[str] | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: Any = None,
    **columns: str | None,
) -> Any:
    """Analyse a Dask DataFrame: per-row stages on the workers, aggregates on the client.

    Parameters
    ----------
    ddf
        ``dask.dataframe.DataFrame`` with the user's column names (one row per answer,
        in input order: ``row_id`` is the position across partitions).
    text, score, columns
        Column names, as for :func:`feedback_nlp.analyze` (``date=``, ``segment=``...).
    config
        :class:`AnalysisConfig`.
    client, scheduler
        A ``distributed.Client`` to use, or the address of a scheduler to connect to
        (``"tcp://10.0.0.5:8786"``). Neither: Dask's current default scheduler.

    Returns
    -------
    FeedbackAnalysis
        The same tables as :func:`feedback_nlp.analyze` on the same rows.
    """
    config = config or AnalysisConfig()
    started = time.perf_counter()
    mapping = {"text": text, "score": score, **columns}
    unknown = sorted(set(mapping) - set(ROLES))
    if unknown:
        raise UnknownOptionError(f"Unknown column role(s): {', '.join(unknown)}.",
                          fix=f"use {', '.join(ROLES)}.")
    own_client = _connect(scheduler) if client is None and scheduler else None
    client = own_client or client
    try:
        head = ddf.get_partition(0).head(5, compute=True) if ddf.npartitions else ddf._meta
        resolved: dict[str, str] = dict(
            canonical_frame(head, mapping, keep, "the Dask DataFrame").attrs["columns"])
        lengths = ddf.map_partitions(len).compute()
        offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype="int64"))]).tolist()
        total = int(offsets[-1])
        if total == 0:
            raise EmptyInputError("The Dask DataFrame has no rows.")
        bundle, sample_themes = _fit_on_sample(ddf, total, config, resolved, keep, progress)
        bundle, adaptation = _adapt_bundle(ddf, bundle, offsets[:-1], total, client)
        head_documents, head_segments = process_partition(head, bundle, row_offset=0)
        frame = _map_packed(ddf, bundle, offsets[:-1], pack(head_documents, head_segments).iloc[:0],
                            client)
    finally:
        if own_client is not None:
            own_client.close()
    frame = frame.sort_values("row_id", kind="stable").reset_index(drop=True)
    documents, segments = unpack(frame, like=head_segments.iloc[:0])
    documents = mark_duplicate_ids(documents)  # ids repeated across partitions
    segments = renumber_segments(segments)
    analysis = stages.join_parts(documents, segments, theme_model=bundle.theme_model(),
                                 sample_themes=sample_themes)
    analysis = stages.aggregate(analysis, config, progress=progress)
    provenance = {"source": "Dask DataFrame", "columns": resolved, "engine": "dask",
                  "npartitions": int(ddf.npartitions)}
    if adaptation is not None:  # issue 15: adapted on every engine
        from feedback_nlp.adaptation import run_info

        provenance["sentiment_adaptation"] = run_info(adaptation, documents, config)
    return stages.finish(analysis, config, rows_read=total, started=started,
                         provenance=provenance)


def _adapt_bundle(ddf: Any, bundle: ModelBundle, offsets: list[int], total: int,
                  client: Any) -> tuple[ModelBundle, dict[str, Any] | None]:
    """Sentiment adaptation pre-pass on the workers (:mod:`feedback_nlp.adaptation`): the
    fit sample, the fold models fitted once here, and the bundle that ships them."""
    from feedback_nlp import adaptation

    config = bundle.analysis_config
    info = adaptation.start_info(config, bundle.columns)
    if info != {}:
        return bundle, info
    started = time.perf_counter()
    sample = _dask_fit_sample(ddf, ModelBundle(config=bundle.config, columns=bundle.columns,
                                               keep=bundle.keep), offsets, total, client)
    model, info = adaptation.fit(sample, config, sample_seconds=time.perf_counter() - started)
    return bundle.with_adaptation(model), info


def _dask_fit_sample(ddf: Any, plain: ModelBundle, offsets: list[int], total: int,
                     client: Any) -> Any:
    """The run's fit sample, each partition contributing its reviews of rank below a
    bound; the bound starts near ``cap / rows`` (only those rows are processed) and
    grows until the merged sample is full or holds every scored review. The sample does
    not depend on the partitioning."""
    import dask

    from feedback_nlp.sentiment.adapt import MAX_FIT_REVIEWS, FitSample

    fraction = 1.25 * MAX_FIT_REVIEWS / max(total, 1)
    processed = 0
    with dask.config.set({"dataframe.convert-string": False}):
        parts = ddf.to_delayed()
        while True:
            below = fraction if fraction < 1 else float("inf")
            tasks = [dask.delayed(_collect_partition)(part, plain, offset, below)
                     for part, offset in zip(parts, offsets)]
            samples = client.compute(tasks, sync=True) if client is not None \
                else dask.compute(*tasks)
            sample = FitSample.empty()
            for part_sample in samples:
                sample = sample.merge(part_sample)
            processed += sample.rows_processed
            if sample.full or below == float("inf"):
                sample.rows_processed = processed
                return sample
            fraction *= 4


def _collect_partition(frame: pd.DataFrame, plain: ModelBundle, row_offset: int,
                       below: float) -> Any:
    from feedback_nlp.adaptation import collect_part

    mapping = {role: plain.columns.get(role) for role in ROLES}
    mapped = map_columns(frame, mapping, keep=list(plain.keep), row_offset=row_offset)
    return collect_part(mapped, plain.analysis_config, columns=plain.columns, below=below)


def _connect(scheduler: str) -> Any:
    from distributed import Client

    try:
        return Client(scheduler, timeout="10s")
    except OSError as exc:
        raise SchedulerError(f"Cannot reach the Dask scheduler at {scheduler} ({exc}).",
                          fix="check the address (tcp://HOST:8786) and that it runs.") from None


def _fit_on_sample(ddf: Any, total: int, config: AnalysisConfig, resolved: dict[str, str],
                   keep: list[str] | None, progress: Any) -> tuple[ModelBundle, Any]:
    """Fit the theme model on a bounded, seeded sample (the only non per-row step)."""
    if not config.themes.enabled:
        return ModelBundle.build(config, resolved, keep=keep), None
    fraction = min(1.0, config.themes.fit_sample / total)
    sample_raw = ddf.sample(frac=fraction, random_state=config.seed) if fraction < 1 else ddf
    sample_raw = sample_raw.compute()
    sample = canonical_frame(sample_raw.reset_index(drop=True), resolved, keep,
                             "the Dask DataFrame")
    return fit_bundle(sample, config, columns=resolved, keep=keep, progress=progress)


def _map_packed(ddf: Any, bundle: ModelBundle, offsets: list[int], meta: pd.DataFrame,
                client: Any) -> pd.DataFrame:
    """Run :func:`process_packed` on every partition and bring the packed rows back."""
    import dask

    # Dask turns object columns into Arrow strings by default; keep pandas' types so
    # the result equals a single-machine run.
    with dask.config.set({"dataframe.convert-string": False}):
        # One graph key for the bundle (model bytes), not a copy in every task.
        shared_bundle = dask.delayed(bundle, pure=True, traverse=False)
        packed = ddf.map_partitions(process_packed, shared_bundle, offsets,
                                    meta=meta, enforce_metadata=False)
        if client is not None:
            return client.compute(packed).result()
        (frame,) = dask.compute(packed)
        return frame


def read_dask(path: str | os.PathLike[str], *, blocksize: str | int = "16MB",
              delimiter: str | None = None, encoding: str | None = None,
              sheet: str | int | None = None, columns: dict[str, str | None] | None = None,
              npartitions: int | None = None) -> Any:
    """Read an export as a Dask DataFrame of cells, through the project's reader.

    A CSV export is ``dask.dataframe.from_map`` over :func:`~feedback_nlp.io.csv_parts`:
    the file is cut on record boundaries (never inside a quoted multi-line comment) and
    every part is read by :func:`~feedback_nlp.io.read_csv_part` with the options
    :func:`~feedback_nlp.io.read_feedback` uses (sniffed delimiter and encoding, cp1252
    fallback per byte sequence, title lines): the rows and cells are those of a
    one-machine or ``--chunksize`` run on the same file. Other formats (XLSX, Parquet,
    JSON Lines) are read whole by :func:`~feedback_nlp.io.read_any` (same sheet choice,
    and the header found below title rows with ``columns``, role -> column name) and cut
    into ``npartitions`` (default: one per core).
    """
    import dask
    import dask.dataframe as dd
    from dask.utils import parse_bytes

    if detect_format(path) != "csv":
        frame = read_any(path, sheet=sheet, delimiter=delimiter, encoding=encoding,
                         columns=columns)
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(frame, npartitions=max(1, npartitions or os.cpu_count() or 1))
    size = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
    parts = csv_parts(path, blocksize=max(1, size), delimiter=delimiter, encoding=encoding)
    first = parts[0]
    meta = read_csv_part({**first, "end": first["start"]} if first["start"] is not None
                         else first).iloc[:0]
    # Keep pandas' object columns (Dask would turn them into Arrow strings): the cells
    # must equal a one-machine read.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(read_csv_part, parts, meta=meta, enforce_metadata=False)


# --------------------------------------------------------------------------- spark


def read_spark(spark: Any, path: str | os.PathLike[str], *, blocksize: str | int = "16MB",
               delimiter: str | None = None, encoding: str | None = None,
               sheet: str | int | None = None,
               columns: dict[str, str | None] | None = None) -> Any:
    """Read an export as a Spark DataFrame of text cells plus ``row_id``, through the
    project's reader (optional ``[spark]`` extra).

    The Spark twin of :func:`read_dask`: a CSV export is cut by
    :func:`~feedback_nlp.io.csv_parts` on record boundaries and each part is read on an
    executor by :func:`~feedback_nlp.io.read_csv_part` (same delimiter, encoding with the
    cp1252 fallback, title lines and multi-line quoted cells as a one-machine run);
    ``row_id`` is the row's position in the file (each part's rows are counted, then
    offset). Other formats are read whole on the driver by
    :func:`~feedback_nlp.io.read_any`. Feed the result to :func:`spark_map_documents`.
    """
    try:
        from pyspark.sql import functions, types
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise MissingExtraError("PySpark is not installed.",
                                fix='pip install "feedback-nlp[spark]".') from None
    from dask.utils import parse_bytes

    def as_text(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(object).where(frame.notna(), None)

    if detect_format(path) != "csv":
        frame = as_text(read_any(path, sheet=sheet, delimiter=delimiter, encoding=encoding,
                                 columns=columns))
        frame.insert(0, "row_id", np.arange(len(frame), dtype="int64"))
        schema = types.StructType([types.StructField("row_id", types.LongType(), False)] + [
            types.StructField(str(c), types.StringType(), True) for c in frame.columns[1:]])
        return spark.createDataFrame(frame, schema=schema)
    size = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
    parts = csv_parts(path, blocksize=max(1, size), delimiter=delimiter, encoding=encoding)
    first = parts[0]
    names = [str(c) for c in read_csv_part({**first, "end": first["start"]}
                                           if first["start"] is not None else first).columns]
    fields = [types.StructField(name, types.StringType(), True) for name in names]
    schema = types.StructType([types.StructField("_part", types.IntegerType(), False),
                               types.StructField("_local", types.LongType(), False), *fields])

    def read(batches: Any) -> Any:
        for batch in batches:
            for index in batch["_part"].tolist():  # the parts travel in the closure
                cells = as_text(read_csv_part(parts[index]))
                cells.columns = names
                cells.insert(0, "_local", np.arange(len(cells), dtype="int64"))
                cells.insert(0, "_part", np.full(len(cells), index, dtype="int32"))
                yield cells

    specs = spark.createDataFrame([(i,) for i in range(len(parts))],
                                  "_part int").repartition(len(parts), "_part")
    rows = specs.mapInPandas(read, schema=schema).cache()
    counts = dict(rows.groupBy("_part").count().collect())
    offsets, total = [], 0
    for index in range(len(parts)):
        offsets.append((index, total))
        total += int(counts.get(index, 0))
    starts = spark.createDataFrame(offsets, "_part int, _offset long")
    joined = rows.join(functions.broadcast(starts), "_part")
    row_id = (functions.col("_offset") + functions.col("_local")).alias("row_id")
    return joined.select(row_id, *[functions.col(f"`{name}`") for name in names])


def spark_map_documents(sdf: Any, bundle: ModelBundle, *, sample_rows: pd.DataFrame) -> Any:
    """Run the per-row stages on a Spark DataFrame with ``mapInPandas`` (optional extra).

    ``sdf`` must carry a ``row_id`` (long) column and the user's columns;
    ``sample_rows`` is a few raw rows (pandas) from which the output schema is derived.
    Returns a Spark DataFrame of documents with their opinion units packed as JSON in
    :data:`PACKED` (decode with :func:`unpack_json`).
    """
    try:
        from pyspark.sql.pandas.types import from_arrow_schema
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise MissingExtraError("PySpark is not installed.",
                          fix='pip install "feedback-nlp[spark]".') from None
    import pyarrow as pa

    def run(batches: Any) -> Any:
        for batch in batches:
            yield _spark_batch(batch, bundle)

    probe = sample_rows.copy()
    if "row_id" not in probe.columns:
        probe.insert(0, "row_id", range(len(probe)))
    schema = from_arrow_schema(pa.Schema.from_pandas(_spark_batch(probe, bundle), preserve_index=False))
    return sdf.mapInPandas(run, schema=schema)


def _spark_batch(batch: pd.DataFrame, bundle: ModelBundle) -> pd.DataFrame:
    import json

    row_ids = batch["row_id"].astype("int64").to_numpy()
    mapping = {role: bundle.columns.get(role) for role in ROLES}
    mapped = map_columns(batch.drop(columns=["row_id"]), mapping, keep=list(bundle.keep))
    mapped["row_id"] = row_ids
    documents, segments = process_partition(mapped, bundle, mapped=True)
    out = parquet_safe(pack(documents, segments))
    out[PACKED] = [json.dumps(units, ensure_ascii=False, default=json_default)
                   for units in out[PACKED].tolist()]
    return out


def unpack_json(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`unpack` for frames whose :data:`PACKED` column holds JSON text (Spark)."""
    import json

    decoded = frame.copy()
    decoded[PACKED] = [json.loads(v) if isinstance(v, str) else [] for v in decoded[PACKED]]
    return unpack(decoded)
