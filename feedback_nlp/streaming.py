"""Chunked analysis of files larger than memory (``feedback-nlp analyze --chunksize N``).

Two passes over the file, neither holding it whole:

1. read it chunk by chunk and keep a seeded reservoir sample of rows (Algorithm R, so
   every row has the same chance whatever the file size); fit the theme model on it;
2. read it again chunk by chunk and run the per-row stages
   (:func:`feedback_nlp.distributed.process_partition`: clean, segment, sentiment,
   theme assignment) on each chunk; append ``documents`` and ``segments`` to Parquet
   (and CSV) files as they come, and keep only the few small columns the aggregates
   need (status, score, NPS class, cuts, date, sentiment, theme ids).

Memory: one chunk of full rows, the reservoir sample, and the compact columns
(tens of bytes per row: about 0.2 GB per million rows), whatever the size of the texts.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp._progress import Progress, SilentProgress
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.distributed import (
    ModelBundle,
    aggregate,
    fit_bundle,
    process_partition,
    wait_result,
)
from feedback_nlp.errors import ConfigError, EmptyInputError, OutputError

#: Document columns kept in memory for the aggregates (when present).
COMPACT_DOCUMENT_COLUMNS = (
    "row_id", "status", "text_status", "score", "score_status", "nps_class", "csat", "ces",
    "date", "segment", "channel", "stage", "sentiment", "p_negative", "p_neutral",
    "p_positive", "mixed", "n_opinions", "theme_ids", "theme_labels",
)
#: Segment columns kept in memory for the aggregates (when present).
COMPACT_SEGMENT_COLUMNS = (
    "row_id", "segment_id", "unit", "theme_id", "theme_label", "sentiment", "p_negative",
    "p_neutral", "p_positive",
)


def reservoir_sample(chunks: Any, size: int, seed: int) -> tuple[pd.DataFrame, int]:
    """A uniform random sample of ``size`` rows from an iterator of frames, and the row count.

    Algorithm R, vectorised per chunk: row ``i`` (0-based, over the whole stream) enters
    the reservoir with probability ``size / (i + 1)``. The result is sorted by input
    order; the same seed and input give the same sample.
    """
    rng = np.random.default_rng(seed)
    kept: pd.DataFrame | None = None
    seen = 0
    for chunk in chunks:
        chunk = chunk.reset_index(drop=True)
        if kept is None or len(kept) < size:
            room = size - (0 if kept is None else len(kept))
            head = chunk.iloc[:room]
            kept = head.copy() if kept is None else pd.concat([kept, head], ignore_index=True)
            rest = chunk.iloc[room:].reset_index(drop=True)
            seen += len(head)
        else:
            rest = chunk
        if len(rest):
            positions = np.arange(seen, seen + len(rest))
            draws = rng.integers(0, positions + 1)
            replace = np.flatnonzero(draws < size)
            if len(replace):
                # Later rows drawn for the same slot win, as in the sequential algorithm.
                slots = pd.Series(replace, index=draws[replace]).groupby(level=0).last()
                assert kept is not None
                stay = np.setdiff1d(np.arange(len(kept)), slots.index.to_numpy())
                kept = pd.concat([kept.iloc[stay], rest.iloc[slots.to_numpy()]],
                                 ignore_index=True)
            seen += len(rest)
        del chunk
    if kept is None:
        return pd.DataFrame(), 0
    if "row_id" in kept.columns:
        kept = kept.sort_values("row_id").reset_index(drop=True)
    return kept, seen


class _TableWriter:
    """Append frames to ``<name>.parquet`` (one schema, from the first chunk) and ``<name>.csv``."""

    def __init__(self, folder: Path, name: str, *, csv: bool) -> None:
        self.parquet_path = folder / f"{name}.parquet"
        self.csv_path = folder / f"{name}.csv" if csv else None
        self._writer: Any = None
        self._schema: Any = None
        self._csv: Any = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from feedback_nlp.io import neutralize_frame
        from feedback_nlp.pipeline import _csv_safe, _parquet_safe

        safe = _parquet_safe(frame)
        try:
            if self._writer is None:
                table = pa.Table.from_pandas(safe, preserve_index=False)
                # A column that is all-missing in the first chunk would be typed null and
                # reject later values: store such columns as text.
                fields = [_settle_null_type(f) for f in table.schema]
                self._schema = pa.schema(fields)
                self._writer = pq.ParquetWriter(self.parquet_path, self._schema)
            for name in self._schema.names:
                if name not in safe.columns:
                    safe[name] = None
            safe = safe[self._schema.names]
            for field in self._schema:
                if pa.types.is_string(field.type) and safe[field.name].dtype != object:
                    if not pd.api.types.is_string_dtype(safe[field.name]):
                        safe[field.name] = safe[field.name].map(
                            lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
            table = pa.Table.from_pandas(safe, schema=self._schema, preserve_index=False)
            self._writer.write_table(table)
            if self.csv_path is not None:
                if self._csv is None:
                    self._csv = self.csv_path.open("w", encoding="utf-8-sig", newline="")
                    header = True
                else:
                    header = False
                neutralize_frame(_csv_safe(frame)).to_csv(self._csv, index=False, header=header)
        except OSError as exc:
            raise OutputError(f"Could not write {self.parquet_path} ({exc.strerror or exc}).") from None
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._csv is not None:
            self._csv.close()


def _settle_null_type(field: Any) -> Any:
    """A concrete type for a column that is all-missing (or all-empty lists) in a chunk."""
    import pyarrow as pa

    if pa.types.is_null(field.type):
        return pa.field(field.name, pa.string())
    if pa.types.is_list(field.type) and pa.types.is_null(field.type.value_type):
        # theme_ids holds ints; other list columns (theme_labels...) hold text.
        value = pa.int64() if field.name.endswith("_ids") else pa.string()
        return pa.field(field.name, pa.list_(value))
    return field


def _compact(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    return frame[[c for c in names if c in frame.columns]].copy()


def _concat_compact(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _processed(chunks: Iterator[pd.DataFrame], bundle: ModelBundle, n_jobs: int,
               timeout: float | None = None) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Per-row stages of each chunk, in input order; ``n_jobs > 1`` uses worker processes.

    At most ``n_jobs + 1`` chunks are in flight, so memory stays bounded.
    """
    if n_jobs <= 1:
        for chunk in chunks:
            yield process_partition(chunk, bundle, mapped=True)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    # "spawn": forking a process that already runs torch / OpenMP threads can hang.
    context = multiprocessing.get_context("spawn")
    pending: deque[tuple[Future[tuple[pd.DataFrame, pd.DataFrame]], str]] = deque()
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=context) as pool:
        for index, chunk in enumerate(chunks):
            what = f"chunk {index + 1} (rows from row_id {chunk['row_id'].iloc[0]})" \
                if "row_id" in chunk.columns and len(chunk) else f"chunk {index + 1}"
            pending.append((pool.submit(process_partition, chunk, bundle, mapped=True), what))
            if len(pending) > n_jobs:
                future, label = pending.popleft()
                yield wait_result(future, pool, timeout, label)
        while pending:
            future, label = pending.popleft()
            yield wait_result(future, pool, timeout, label)


def analyze_stream(
    source: str | os.PathLike[str] | pd.DataFrame,
    output: str | os.PathLike[str],
    text: str | None = None,
    score: str | None = None,
    *,
    chunksize: int = 50_000,
    config: AnalysisConfig | None = None,
    keep: list[str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    csv: bool = True,
    **columns: str | None,
) -> Any:
    """Analyse a file chunk by chunk with bounded memory; write the tables to ``output``.

    Parameters
    ----------
    source
        A CSV export (streamed), or any source :func:`~feedback_nlp.io.read_feedback`
        reads (other formats are read whole, then processed by chunks).
    output
        Folder for ``documents`` and ``segments`` (Parquet + CSV, written chunk by
        chunk), the aggregate tables and ``summary.json``.
    chunksize
        Rows per chunk; memory grows with it, not with the file.
    config
        ``config.n_jobs > 1`` runs the per-row stages of successive chunks in that many
        worker processes (results are written in input order).
    text, score, columns
        Column names, as for :func:`feedback_nlp.analyze`.

    Returns
    -------
    FeedbackAnalysis
        Aggregates (metrics, themes, priorities...) in full; ``documents`` and
        ``segments`` hold only the compact columns (see
        :data:`COMPACT_DOCUMENT_COLUMNS`) — the full tables are in ``output``.
    """
    from feedback_nlp.io import ensure_output_dir, iter_feedback
    from feedback_nlp.pipeline import FeedbackAnalysis, _jsonable, mark_duplicate_ids, versions

    if chunksize < 1:
        raise ConfigError(f"chunksize={chunksize} must be a positive number of rows.",
                          fix="use --chunksize 50000 (rows per chunk).")
    config = config or AnalysisConfig()
    reporter: Progress = progress or SilentProgress()
    started = time.perf_counter()
    folder = ensure_output_dir(output)
    read_options = {"text": text, "score": score, "keep": keep, "delimiter": delimiter,
                    "encoding": encoding, **columns}

    def chunks() -> Any:
        return iter_feedback(source, chunksize, **read_options)

    first = next(iter(chunks()), None)
    if first is None:
        raise EmptyInputError("The input has a header but no data rows.")
    mapping = dict(first.attrs.get("columns", {}))
    source_name = first.attrs.get("source", "DataFrame")
    encoding_found, delimiter_found = first.attrs.get("encoding"), first.attrs.get("delimiter")
    del first

    bundle = ModelBundle.build(config, mapping, keep=keep)
    theme_model = None
    sample_themes = None
    if config.themes.enabled:
        with reporter.stage("Échantillon pour les thèmes") as step:
            sample, _ = reservoir_sample(chunks(), config.themes.fit_sample, config.seed)
            step.advance(len(sample))
        sample.attrs["columns"] = mapping
        bundle, sample_themes = fit_bundle(sample, config, columns=mapping, keep=keep,
                                           progress=reporter)
        theme_model = bundle.theme_model()
        del sample

    documents_out = _TableWriter(folder, "documents", csv=csv)
    segments_out = _TableWriter(folder, "segments", csv=csv)
    compact_documents: list[pd.DataFrame] = []
    compact_segments: list[pd.DataFrame] = []
    seen_ids: set[str] = set()  # ids of earlier chunks: repeats across chunks get noted
    total = 0
    n_segments = 0
    try:
        with reporter.stage("Analyse par blocs") as step:
            for documents, segments in _processed(chunks(), bundle, config.n_jobs, config.worker_timeout):
                if "segment_id" in segments.columns:
                    segments = segments.assign(segment_id=np.arange(
                        n_segments, n_segments + len(segments), dtype="int64"))
                n_segments += len(segments)
                documents = mark_duplicate_ids(documents, seen_ids)
                documents_out.write(documents)
                if len(segments):
                    segments_out.write(segments)
                compact_documents.append(_compact(documents, COMPACT_DOCUMENT_COLUMNS))
                compact_segments.append(_compact(segments, COMPACT_SEGMENT_COLUMNS))
                total += len(documents)
                step.advance(len(documents))
                del documents, segments
    finally:
        documents_out.close()
        segments_out.close()

    documents_small = _concat_compact(compact_documents)
    segments_small = _concat_compact(compact_segments)
    del compact_documents, compact_segments
    info = {"source": source_name, "encoding": encoding_found, "delimiter": delimiter_found,
            "columns": mapping, "rows_read": total, "engine": "streaming",
            "chunksize": chunksize}
    from feedback_nlp.sentiment import partitioned_adaptation_info  # issue 15

    if partitioned_adaptation_info(config):
        info["sentiment_adaptation"] = partitioned_adaptation_info(config)
    analysis = aggregate(documents_small, segments_small, config, theme_model=theme_model,
                         sample_themes=sample_themes, info=info, progress=reporter)
    analysis.info["versions"] = versions()
    analysis.info["elapsed_s"] = round(time.perf_counter() - started, 3)
    if documents_out.rows != total or sum(analysis.info["rows_by_status"].values()) != total:
        raise AssertionError("row accounting broken: documents do not match the input rows")

    # The aggregates go next to the streamed tables, which must not be overwritten.
    rest = FeedbackAnalysis(documents=pd.DataFrame(), segments=pd.DataFrame(),
                            themes=analysis.themes, priorities=analysis.priorities,
                            theme_by_nps=analysis.theme_by_nps, trends=analysis.trends,
                            metrics=analysis.metrics, tables=analysis.tables,
                            info=analysis.info, theme_model=analysis.theme_model)
    rest.save(folder, csv=csv)
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    written = ["documents"] + (["segments"] if segments_out.rows else [])
    summary["tables"] = written + [t for t in summary.get("tables", []) if t not in written]
    summary_path.write_text(json.dumps(_jsonable(summary), ensure_ascii=False, indent=2,
                                       sort_keys=True), encoding="utf-8")
    analysis.info["output"] = str(Path(folder))
    return analysis
