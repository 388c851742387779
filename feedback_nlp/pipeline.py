"""``analyze()``: read -> clean -> segment -> sentiment -> themes -> scores -> drivers.

The one-machine engine: it reads the whole input, runs the per-row stages of
:mod:`feedback_nlp.stages` on it, fits the theme model on every opinion unit, then the
shared aggregate step. Every input row appears exactly once in ``documents`` with a
``status`` (checked by :func:`feedback_nlp.stages.finish`).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, cast

import pandas as pd

from feedback_nlp import stages
from feedback_nlp._progress import Progress, SilentProgress
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import EmptyInputError
from feedback_nlp.io import read_feedback
from feedback_nlp.result import STATUSES, TABLE_NAMES, FeedbackAnalysis, versions

__all__ = ["STATUSES", "TABLE_NAMES", "FeedbackAnalysis", "analyze", "analyze_frame",
           "apply_themes", "versions"]


# --------------------------------------------------------------------------- analyze


def analyze(
    source: str | os.PathLike[str] | pd.DataFrame,
    text: str | None = None,
    score: str | None = None,
    *,
    date: str | None = None,
    id: str | None = None,  # noqa: A002
    segment: str | None = None,
    channel: str | None = None,
    stage: str | None = None,
    csat: str | None = None,
    ces: str | None = None,
    keep: list[str] | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    config: AnalysisConfig | None = None,
    progress: Progress | None = None,
    sample: int | None = None,
    **options: Any,
) -> FeedbackAnalysis:
    """Analyse French customer feedback end to end.

    Parameters
    ----------
    source
        Path of a CSV / XLSX / Parquet / JSONL export, or a DataFrame.
    text, score, date, id, segment, channel, stage, csat, ces
        Column names in the input (see :func:`feedback_nlp.io.read_feedback`). ``score``
        is a 0-10 recommendation score, or a 1-5 star rating with
        ``score_scale="stars"`` (NPS is then a labelled proxy).
    config
        An :class:`AnalysisConfig`; keyword ``options`` override its fields
        (``analyze(df, "avis", seed=1, score_scale="stars")``).
    sample
        Analyse a seeded random sample of this many rows (quick look at a big file).

    Returns
    -------
    FeedbackAnalysis

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"avis": ["Livraison rapide mais SAV injoignable", "RAS"],
    ...                    "nps": [6, "N/A"]})
    >>> result = analyze(df, "avis", "nps", sentiment=False, themes={"enabled": False})
    >>> result.documents[["row_id", "status"]].to_dict("list")
    {'row_id': [0, 1], 'status': ['ok', 'noise']}
    """
    config = config or AnalysisConfig()
    if options:
        config = config.replace(**options)
    reporter: Progress = progress or SilentProgress()
    started = time.perf_counter()
    with reporter.stage("Lecture") as step:
        read = read_feedback(source, text=text, score=score, date=date, id=id, segment=segment,
                             channel=channel, stage=stage, csat=csat, ces=ces, keep=keep,
                             sheet=sheet, delimiter=delimiter, encoding=encoding)
        frame = cast(pd.DataFrame, read)  # no chunksize: one frame
        step.advance(len(frame))
    if len(frame) == 0:
        where = frame.attrs.get("source", "the input")
        raise EmptyInputError(f"{where[0].upper()}{where[1:]} has a header but no data rows.",
                              fix="check that the export is not empty.")
    if sample is not None and sample < len(frame):
        frame = frame.sample(n=sample, random_state=config.seed).sort_values("row_id")
    return analyze_frame(frame, config, progress=reporter, started=started)


def analyze_frame(frame: pd.DataFrame, config: AnalysisConfig, *,
                  progress: Progress | None = None, started: float | None = None) -> FeedbackAnalysis:
    """:func:`analyze` on the output of :func:`~feedback_nlp.io.read_feedback`."""
    progress = progress if progress is not None else SilentProgress()
    started = started if started is not None else time.perf_counter()
    columns = dict(frame.attrs.get("columns", {}))
    keeping: Any = contextlib.nullcontext()
    if config.sentiment:
        from feedback_nlp.sentiment import adapt_run, keep_unit_features, may_adapt

        # The sentiment stage keeps the units' adaptation features (one tokenisation).
        keeping = keep_unit_features(may_adapt(frame, config))
    with keeping as kept:
        documents, segments = stages.process_partition(frame, config, columns=columns,
                                                       progress=progress)
    adaptation = None
    if config.sentiment:
        # Run-level step (needs every scored review): adapt to the run's own scores.
        with progress.stage("Adaptation du sentiment"):
            documents, segments, adaptation = adapt_run(documents, segments, config,
                                                        features=kept)
    analysis = FeedbackAnalysis(documents=documents, segments=segments)
    if config.themes.enabled:
        from feedback_nlp.topics import annotate as annotate_themes

        analysis = annotate_themes(analysis, config, progress=progress)
    analysis = stages.aggregate(analysis, config, progress=progress)
    provenance = {"source": frame.attrs.get("source", "DataFrame"),
                  "encoding": frame.attrs.get("encoding"),
                  "delimiter": frame.attrs.get("delimiter"), "columns": columns}
    analysis = stages.finish(analysis, config, rows_read=len(frame), started=started,
                             provenance=provenance)
    if config.sentiment:
        analysis.info["sentiment_adaptation"] = adaptation
    return analysis


def apply_themes(model_dir: str | Path, data: Any, **kwargs: Any) -> FeedbackAnalysis:
    """Tag a new export with a saved theme model (themes are not refitted).

    ``data`` is a file path or a DataFrame; ``kwargs`` are the column options of
    :func:`analyze` (``text=``, ``score=``...). Returns the analysis.
    """
    config = kwargs.pop("config", None) or AnalysisConfig()
    themes = {**{f: getattr(config.themes, f) for f in config.themes.__dataclass_fields__},
              "model": str(model_dir), "enabled": True}
    return analyze(data, config=config.replace(themes=themes), **kwargs)
