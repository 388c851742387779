"""The stages of an analysis, shared by every engine.

Two steps, each written once:

- :func:`process_partition`: the per-row stages of one pandas partition, in order
  prepare (clean, scores, dates, status) -> segment -> sentiment -> assign themes (with an
  already fitted theme model), returning the row-level tables ``(documents, segments)``.
  ``pipeline.analyze_frame`` runs it on the whole frame; ``distributed`` (Dask, Spark,
  worker processes) and ``streaming`` (chunks) run it on each part.
- :func:`aggregate`: what needs every row (metrics by cut, drivers), then
  :func:`finish` records provenance in ``info`` and checks the row accounting in one
  place (:func:`check_rows`, a :class:`~feedback_nlp.errors.RowAccountingError`).

A new per-row stage goes in :func:`process_partition`; a new aggregate in
:func:`aggregate`. Engines only cut the input, call these, and put the parts together.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pandas as pd

from feedback_nlp import scores as scores_mod
from feedback_nlp._progress import Progress, SilentProgress
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import ModelLoadError, RowAccountingError
from feedback_nlp.prepare import prepare_documents
from feedback_nlp.result import FeedbackAnalysis, versions
from feedback_nlp.segment import segment_documents

#: Cuts of the metrics table, when the input maps them.
CUTS = ("segment", "channel", "stage")


def process_partition(frame: pd.DataFrame, config: AnalysisConfig, *,
                      columns: dict[str, str] | None = None, theme_model: Any = None,
                      progress: Progress | None = None,
                      adaptation: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the per-row stages on one partition; pure function of its arguments.

    Parameters
    ----------
    frame
        Output of :func:`~feedback_nlp.io.read_feedback` (canonical columns, ``row_id``).
    config
        The analysis configuration (``sentiment`` on/off, ``themes.enabled``...).
    columns
        The user's column mapping (role -> column name), for status messages; default
        ``frame.attrs["columns"]``.
    theme_model
        A fitted theme model whose themes are assigned to these rows (no refit), or
        ``None`` (themes are then fitted later on all rows, or off).
    progress
        Progress reporter (one stage per step).
    adaptation
        Sentiment adaptation fitted by a run-level pre-pass
        (:class:`~feedback_nlp.sentiment.adapt.DomainModel`, see
        :mod:`feedback_nlp.adaptation`), applied to these units; ``None``: none here (a
        one-process run adapts after this stage, :func:`~feedback_nlp.sentiment.adapt_run`).

    Returns
    -------
    documents, segments
        One row per input row (with ``status``), one row per opinion unit;
        ``segment_id`` counts from 0 within the partition.
    """
    progress = progress if progress is not None else SilentProgress()
    columns = columns if columns is not None else dict(frame.attrs.get("columns", {}))
    with progress.stage("Nettoyage", total=len(frame)) as step:
        documents = prepare_documents(frame, config, columns=columns)
        step.advance(len(frame))
    usable = documents["text_status"] == "ok"
    with progress.stage("Segmentation", total=int(usable.sum())) as step:
        segments = segment_documents(documents, mask=usable)
        step.advance(int(usable.sum()))
    if config.sentiment:
        from feedback_nlp.sentiment import annotate as annotate_sentiment

        with progress.stage("Sentiment", total=len(segments)) as step:
            documents, segments = annotate_sentiment(documents, segments, config,
                                                     adaptation=adaptation)
            step.advance(len(segments))
    if theme_model is not None and config.themes.enabled:
        documents, segments = assign_themes(theme_model, documents, segments)
    return documents, segments


def assign_themes(model: Any, documents: pd.DataFrame,
                  segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign the themes of a fitted model to new documents and segments (no refit).

    ``model.assign(documents, segments)`` when the model has one, else
    :func:`feedback_nlp.topics.assign` (the theme columns written by topics, the only
    writer of ``theme_id`` / ``theme_label`` / ``theme_ids`` / ``theme_labels``).
    """
    if hasattr(model, "assign"):
        return model.assign(documents, segments)
    if not hasattr(model, "transform") or not hasattr(model, "themes_table"):
        raise ModelLoadError(f"Theme model {type(model).__name__} cannot assign themes to new texts.",
                             fix="fit it with feedback_nlp.topics.ThemeModel.")
    from feedback_nlp.topics import assign

    return assign(model, documents, segments)


def themes_from_rows(documents: pd.DataFrame, segments: pd.DataFrame, theme_model: Any,
                     sample_themes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``themes`` table from rows whose themes were assigned part by part.

    Counts and sentiment mix over every row; ``examples`` from the table of the sample
    the model was fitted on (closest to each centroid), since the rows may have no text
    (streaming keeps only compact columns).
    """
    from feedback_nlp.topics import themes_table

    with_text = segments if "text" in segments.columns else segments.assign(text="")
    themes = themes_table(documents, with_text, theme_model, None)
    if sample_themes is not None and "examples" in sample_themes.columns and len(themes):
        examples = dict(zip(sample_themes["theme_id"].astype(int), sample_themes["examples"]))
        themes["examples"] = [examples.get(int(t), e if "text" in segments.columns else [])
                              for t, e in zip(themes["theme_id"], themes["examples"])]
    return themes


def join_parts(documents: pd.DataFrame, segments: pd.DataFrame, *, theme_model: Any = None,
               sample_themes: pd.DataFrame | None = None) -> FeedbackAnalysis:
    """An analysis from row tables processed part by part (Dask, Spark, streaming).

    With a theme model, the ``themes`` table is rebuilt over every row
    (:func:`themes_from_rows`); :func:`aggregate` comes next.
    """
    analysis = FeedbackAnalysis(documents=documents, segments=segments, theme_model=theme_model)
    if theme_model is not None and "theme_id" in segments.columns:
        analysis = replace(analysis, themes=themes_from_rows(documents, segments, theme_model,
                                                             sample_themes))
    return analysis


def is_proxy(documents: pd.DataFrame, config: AnalysisConfig) -> bool:
    """NPS read from star ratings (labelled a proxy everywhere)."""
    return config.score_scale == "stars" and "score" in documents.columns


def aggregate(analysis: FeedbackAnalysis, config: AnalysisConfig, *,
              progress: Progress | None = None) -> FeedbackAnalysis:
    """Metrics by cut, then drivers: the steps that need every row. Returns a new analysis."""
    progress = progress if progress is not None else SilentProgress()
    documents = analysis.documents
    cuts = [c for c in CUTS if c in documents.columns]
    with progress.stage("Indicateurs"):
        metrics = scores_mod.metrics_table(documents, by=cuts,
                                           is_proxy=is_proxy(documents, config))
    analysis = replace(analysis, metrics=metrics)
    # Drivers also run without themes: trends of NPS and cuts still make sense.
    if "nps_class" in documents.columns or "date" in documents.columns:
        from feedback_nlp import drivers

        with progress.stage("Irritants et NPS"):
            analysis = drivers.annotate(analysis, config)
    return analysis


def finish(analysis: FeedbackAnalysis, config: AnalysisConfig, *, rows_read: int,
           started: float, provenance: dict[str, Any],
           rows_written: int | None = None) -> FeedbackAnalysis:
    """Record provenance in ``info`` and check the row accounting. Returns a new analysis.

    ``provenance`` holds what the engine knows (``source``, ``columns``, ``engine``...);
    the counts, configuration, versions and elapsed time are added here.
    """
    info = dict(provenance)
    info["rows_read"] = rows_read
    info["rows_by_status"] = analysis.status_counts()
    info["is_proxy"] = is_proxy(analysis.documents, config)
    info["score_scale"] = config.score_scale
    info["config"] = config.to_dict()
    info["seed"] = config.seed
    info["versions"] = versions()
    from feedback_nlp.topics import repetition_note

    if (note := repetition_note(analysis, config)) is not None:  # issue 18
        from feedback_nlp.report.messages import themes_note_text

        info["themes_note"] = {**note, "message": themes_note_text(note, config.lang)}
    info["elapsed_s"] = round(time.perf_counter() - started, 3)
    analysis = replace(analysis, info=info)
    check_rows(analysis, rows_read, rows_written=rows_written)
    return analysis


def check_rows(analysis: FeedbackAnalysis, rows_read: int, *,
               rows_written: int | None = None) -> None:
    """Every input row appears exactly once in ``documents``, with a known status."""
    by_status = sum(analysis.status_counts().values())
    counts = {"documents": len(analysis.documents), "statuses": by_status}
    if rows_written is not None:
        counts["rows written"] = rows_written
    wrong = {name: n for name, n in counts.items() if n != rows_read}
    if wrong:
        found = ", ".join(f"{n} {name}" for name, n in wrong.items())
        raise RowAccountingError(f"Row accounting broken: {rows_read} input rows but {found}.")
