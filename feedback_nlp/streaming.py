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
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp import stages
from feedback_nlp._progress import Progress, SilentProgress
from feedback_nlp.adaptation import (
    RankedRows,
    collect_stream,
    fit,
    ranked_rows,
    run_info,
    start_info,
)
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.distributed import (
    ModelBundle,
    fit_bundle,
    process_partition,
    wait_result,
)
from feedback_nlp.errors import ConfigError, EmptyInputError
from feedback_nlp.io import TableAppender, iter_feedback, staged_output, write_json
from feedback_nlp.prepare import mark_duplicate_ids
from feedback_nlp.result import FeedbackAnalysis

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
    overwrite: bool = False,
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
        chunk), the aggregate tables and ``summary.json``. Written into a temporary
        sibling folder moved into place when the run is complete; refused when not
        empty unless ``overwrite=True`` (see :func:`feedback_nlp.io.staged_output`).
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
    if chunksize < 1:
        raise ConfigError(f"chunksize={chunksize} must be a positive number of rows.",
                          fix="use --chunksize 50000 (rows per chunk).")
    config = config or AnalysisConfig()
    reporter: Progress = progress or SilentProgress()
    read_options = {"text": text, "score": score, "keep": keep, "delimiter": delimiter,
                    "encoding": encoding, **columns}
    # Tables are appended as chunks come: into a temporary sibling folder, moved into
    # place when the run is complete (an interrupted run leaves no partial documents).
    with staged_output(output, overwrite=overwrite) as folder:
        analysis = _analyze_into(folder, source, chunksize, config, keep, read_options, reporter,
                                 csv=csv)
    analysis.info["output"] = str(Path(output))
    return analysis


def _analyze_into(folder: Path, source: Any, chunksize: int, config: AnalysisConfig,
                  keep: list[str] | None, read_options: dict[str, Any], reporter: Progress, *,
                  csv: bool) -> FeedbackAnalysis:
    started = time.perf_counter()

    def chunks() -> Iterator[pd.DataFrame]:
        return iter_feedback(source, chunksize, **read_options)

    first = next(iter(chunks()), None)
    if first is None:
        raise EmptyInputError("The input has a header but no data rows.")
    mapping = dict(first.attrs.get("columns", {}))
    provenance = {"source": first.attrs.get("source", "DataFrame"),
                  "encoding": first.attrs.get("encoding"),
                  "delimiter": first.attrs.get("delimiter"), "columns": mapping,
                  "engine": "streaming", "chunksize": chunksize}
    del first

    # The adaptation's pre-pass keeps its raw rows while the theme reservoir reads the file.
    start = start_info(config, mapping)  # {}: adapt; None: sentiment off; else why not
    ranked = ranked_rows(config) if start == {} else None
    bundle, sample_themes = _fit_on_reservoir(chunks, config, mapping, keep, reporter,
                                              also=ranked)
    bundle, adaptation = _adapt_bundle(chunks, bundle, config, mapping, reporter, ranked, start)
    theme_model = bundle.theme_model() if sample_themes is not None else None
    documents_small, segments_small, written = _process_chunks(chunks(), bundle, config, folder,
                                                                 csv=csv, progress=reporter)
    if adaptation is not None:  # issue 15: the count of scored reviews, from every row
        provenance["sentiment_adaptation"] = run_info(adaptation, documents_small, config)
    analysis = stages.join_parts(documents_small, segments_small, theme_model=theme_model,
                                 sample_themes=sample_themes)
    del documents_small, segments_small
    analysis = stages.aggregate(analysis, config, progress=reporter)
    analysis = stages.finish(analysis, config, rows_read=len(analysis.documents), started=started,
                             provenance=provenance, rows_written=written["documents"])
    _save_aggregates(analysis, folder, csv=csv, streamed=[n for n, rows in written.items() if rows])
    return analysis


def _adapt_bundle(chunks: Any, bundle: ModelBundle, config: AnalysisConfig,
                  mapping: dict[str, str], reporter: Progress,
                  ranked: RankedRows | None,
                  start: dict[str, Any] | None) -> tuple[ModelBundle, dict[str, Any] | None]:
    """Sentiment adaptation pre-pass (:mod:`feedback_nlp.adaptation`): the raw rows of
    lowest rank (about 1.25 x ``MAX_FIT_REVIEWS``; kept during the theme reservoir's
    read, else one more read), the fit sample built from them, the fold models fitted
    once and shipped to the chunks in the bundle. ``sample_seconds`` counts the time
    spent keeping the rows inside the reservoir's read, not that read. ``start`` is
    :func:`~feedback_nlp.adaptation.start_info` of the run (anything but ``{}``: not
    adapted, returned as is)."""
    if start != {}:
        return bundle, start
    with reporter.stage("Adaptation du sentiment (échantillon)"):
        started = time.perf_counter()
        shared = ranked.seconds if ranked is not None and ranked.fed else 0.0
        sample = collect_stream(chunks, config, mapping, ranked)
        model, info = fit(sample, config,
                          sample_seconds=time.perf_counter() - started + shared)
    return bundle.with_adaptation(model), info


def _fit_on_reservoir(chunks: Any, config: AnalysisConfig, mapping: dict[str, str],
                      keep: list[str] | None, reporter: Progress, *,
                      also: RankedRows | None = None) -> tuple[ModelBundle, pd.DataFrame | None]:
    """First pass: fit the theme model on a seeded reservoir sample (themes on only);
    ``also`` (the adaptation's pre-pass rows) sees every chunk of that read."""
    if not config.themes.enabled:
        return ModelBundle.build(config, mapping, keep=keep), None

    def feeding() -> Iterator[pd.DataFrame]:
        for chunk in chunks():
            if also is not None:
                also.add(chunk)
            yield chunk

    with reporter.stage("Échantillon pour les thèmes") as step:
        sample, _ = reservoir_sample(feeding(), config.themes.fit_sample, config.seed)
        step.advance(len(sample))
    sample.attrs["columns"] = mapping
    return fit_bundle(sample, config, columns=mapping, keep=keep, progress=reporter)


def _process_chunks(chunks: Iterator[pd.DataFrame], bundle: ModelBundle, config: AnalysisConfig,
                    folder: Path, *, csv: bool,
                    progress: Progress) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Second pass: per-row stages of each chunk, full tables appended to ``folder``.

    Returns the compact documents and segments (see :data:`COMPACT_DOCUMENT_COLUMNS`) and
    the rows written per table.
    """
    documents_out = TableAppender(folder, "documents", csv=csv)
    segments_out = TableAppender(folder, "segments", csv=csv)
    compact_documents: list[pd.DataFrame] = []
    compact_segments: list[pd.DataFrame] = []
    seen_ids: set[str] = set()  # ids of earlier chunks: repeats across chunks get noted
    n_segments = 0
    try:
        with progress.stage("Analyse par blocs") as step:
            for documents, segments in _processed(chunks, bundle, config.n_jobs,
                                                  config.worker_timeout):
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
                step.advance(len(documents))
                del documents, segments
    finally:
        documents_out.close()
        segments_out.close()
    return (_concat_compact(compact_documents), _concat_compact(compact_segments),
            {"documents": documents_out.rows, "segments": segments_out.rows})


def _save_aggregates(analysis: FeedbackAnalysis, folder: Path, *, csv: bool,
                     streamed: list[str]) -> None:
    """The aggregates go next to the streamed tables, which must not be overwritten."""
    rest = replace(analysis, documents=pd.DataFrame(), segments=pd.DataFrame())
    rest.save_into(folder, csv=csv)
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    summary["tables"] = streamed + [t for t in summary.get("tables", []) if t not in streamed]
    write_json(summary, summary_path)
