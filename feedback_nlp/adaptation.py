"""Sentiment adaptation on engines that cut the input (``--chunksize``, Dask, Spark).

A one-process run adapts sentiment to the run's own scores after its sentiment stage
(:func:`feedback_nlp.sentiment.adapt_run`). Engines that cut the input do the same in
three steps, with the same result:

1. **pre-pass** (:func:`collect_part` on each part, :func:`collect_stream` over chunks):
   the fit sample, i.e. the ``MAX_FIT_REVIEWS`` (cap) scored reviews of lowest seeded rank
   of their ``row_id`` (:func:`feedback_nlp.sentiment.adapt.review_rank`), with their
   labels and review vectors. Only rows that can enter the sample are cleaned, segmented
   and featurised, in rank order: about 1.25 x the cap rows, whatever the size of the file
   (streaming keeps the raw rows of lowest rank while reading; Dask partitions take the
   rows below a rank bound); memory is those raw rows and the sample's sparse vectors;
2. **fit** once (:func:`fit`): the fold models, as plain numpy arrays
   (:class:`~feedback_nlp.sentiment.adapt.DomainModel`), shipped to the workers in the
   ``ModelBundle``;
3. **apply** part by part inside the sentiment stage
   (``stages.process_partition(..., adaptation=...)``); the count of scored reviews in the
   message comes from the row tables at the end (:func:`run_info`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.config import AnalysisConfig
from feedback_nlp.prepare import prepare_documents
from feedback_nlp.segment import segment_documents

__all__ = ["RankedRows", "collect_part", "collect_stream", "fit", "ranked_rows", "run_info",
           "start_info"]

#: Rows cleaned and segmented at a time by the pre-pass (in rank order).
BATCH_ROWS = 4_000
#: Raw rows with a score kept by the streaming pre-pass, per review of the fit sample.
HEADROOM = 1.25


def start_info(config: AnalysisConfig, mapping: dict[str, Any]) -> dict[str, Any] | None:
    """``None`` when sentiment is off; else the info of a run that will not adapt
    (``code`` ``off`` / ``no_score``), or ``{}`` when the pre-pass should run."""
    if not config.sentiment:
        return None
    if not config.sentiment_adapt:
        reason, code = "turned off (sentiment_adapt=False / --no-adapt)", "off"
    elif not mapping.get("score"):
        reason, code = "no score column", "no_score"
    else:
        return {}
    return {"adapted": False, "scored_reviews": 0, "code": code, "reason": reason,
            "message": f"sentiment not adapted: {reason}"}


def _sample_rows(rows: pd.DataFrame, config: AnalysisConfig, columns: dict[str, str],
                 below: float, cap: int) -> Any:
    """:class:`FitSample` of some rows (canonical frame): the per-row stages the
    adaptation needs (clean, score, segment, unit features), as the main pass runs them."""
    from feedback_nlp.sentiment.adapt import sample_reviews, score_labels, unit_features

    documents = prepare_documents(rows.reset_index(drop=True), config, columns=columns)
    usable = (documents["text_status"] == "ok").to_numpy()
    segments = segment_documents(documents, mask=pd.Series(usable, index=documents.index))
    labels = score_labels(documents["score"].to_numpy(dtype="float64"), config.score_scale)
    labels[~(usable & (documents["score_status"] == "ok").to_numpy())] = None
    position = pd.Series(np.arange(len(documents)), index=documents["row_id"].to_numpy())
    unit_review = position.reindex(segments["row_id"].to_numpy()).to_numpy().astype(np.int64)
    lengths = (segments["end"] - segments["start"]).to_numpy(dtype="float64")
    features = unit_features(segments["text"].astype(str).tolist())
    return sample_reviews(documents["row_id"].to_numpy(dtype="int64"), labels, unit_review,
                          features, np.sqrt(np.maximum(lengths, 1.0)), seed=config.seed,
                          cap=cap, below=below)


def collect_part(frame: pd.DataFrame, config: AnalysisConfig, *, columns: dict[str, str],
                 below: float = float("inf"), cap: int | None = None) -> Any:
    """Fit sample of one part (the output of :func:`~feedback_nlp.io.read_feedback`, with
    ``row_id``): its scored reviews of rank below ``below``, the ``cap`` of lowest rank.

    Candidates (a score cell, rank below ``below``) are processed in rank order,
    :data:`BATCH_ROWS` at a time, and the pass stops as soon as ``cap`` are kept: later
    candidates rank higher than every kept review.
    """
    from feedback_nlp.sentiment.adapt import MAX_FIT_REVIEWS, FitSample, review_rank

    cap = MAX_FIT_REVIEWS if cap is None else cap
    sample = FitSample.empty(cap)
    if "score" not in frame.columns or not len(frame):
        return sample
    ranks = review_rank(frame["row_id"].to_numpy(dtype="int64"), config.seed)
    candidates = np.flatnonzero(_filled_scores(frame) & (ranks < below))
    candidates = candidates[np.argsort(ranks[candidates], kind="stable")]
    processed = 0
    for start in range(0, len(candidates), BATCH_ROWS):
        rows = frame.iloc[np.sort(candidates[start:start + BATCH_ROWS])]
        sample = sample.merge(_sample_rows(rows, config, columns, below, cap))
        processed += len(rows)
        if sample.full:
            break
    sample.rows_processed = processed
    return sample


def _filled_scores(frame: pd.DataFrame) -> np.ndarray:
    return (frame["score"].fillna("").astype(str).str.strip() != "").to_numpy()


class RankedRows:
    """The ``size`` raw rows with a score cell of lowest rank over a stream of chunks
    (:meth:`add` each chunk; nothing is cleaned), and whether rows were left out. Lets
    the streaming engine collect them while it reads the file for another reason (the
    theme reservoir), instead of one more read."""

    def __init__(self, seed: int, size: int) -> None:
        self.seed, self.size = seed, size
        self.kept: pd.DataFrame | None = None
        self.bound, self.left_out, self.fed, self.no_score = float("inf"), False, False, False
        self.seconds = 0.0

    def add(self, chunk: pd.DataFrame) -> None:
        from feedback_nlp.sentiment.adapt import review_rank

        started = time.perf_counter()
        self.fed = True
        if "score" not in chunk.columns:
            self.no_score = True
            return
        ranks = review_rank(chunk["row_id"].to_numpy(dtype="int64"), self.seed)
        filled = _filled_scores(chunk)
        take = filled & (ranks < self.bound)
        self.left_out = self.left_out or bool((filled & ~take).any())
        part = chunk.loc[take].assign(_rank=ranks[take])
        kept = part if self.kept is None else pd.concat([self.kept, part], ignore_index=True)
        if len(kept) >= self.size:
            self.left_out = self.left_out or len(kept) > self.size
            kept = kept.sort_values(["_rank", "row_id"], kind="stable").head(self.size)
            self.bound = float(kept["_rank"].max())
        self.kept = kept
        self.seconds += time.perf_counter() - started

    def rows(self) -> pd.DataFrame | None:
        """The kept rows in ``row_id`` order (``None``: no score column)."""
        if self.kept is None or self.no_score:
            return None
        return self.kept.sort_values("row_id").drop(columns="_rank").reset_index(drop=True)


def ranked_rows(config: AnalysisConfig) -> RankedRows:
    """An empty :class:`RankedRows` sized for this run's fit sample."""
    from feedback_nlp.sentiment.adapt import MAX_FIT_REVIEWS

    return RankedRows(config.seed, int(HEADROOM * MAX_FIT_REVIEWS) + 1)


def collect_stream(chunks: Any, config: AnalysisConfig, columns: dict[str, str],
                   ranked: RankedRows | None = None) -> Any:
    """Fit sample of a file read as chunks (``chunks()`` gives a fresh iterator): the same
    sample whatever the chunk size.

    One read keeps the raw rows with a score of lowest rank, :data:`HEADROOM` times the
    cap (:class:`RankedRows`, bounded memory, nothing cleaned yet; pass ``ranked`` when
    another read already fed it); only those are cleaned and segmented
    (:func:`collect_part`). When fewer than the cap of them are usable while rows were
    left out (many unusable texts or scores), a second read looks at every chunk (rank
    order within each, stopping as soon as nothing can enter).
    """
    from feedback_nlp.sentiment.adapt import MAX_FIT_REVIEWS, FitSample

    cap = MAX_FIT_REVIEWS
    if ranked is None or not ranked.fed:
        ranked = ranked_rows(config)
        for chunk in chunks():
            ranked.add(chunk)
    kept = ranked.rows()
    if kept is None:
        return FitSample.empty(cap)
    sample = collect_part(kept, config, columns=columns, cap=cap)
    if sample.full or not ranked.left_out:
        return sample
    first = sample.rows_processed
    sample = FitSample.empty(cap)
    for chunk in chunks():
        sample = sample.merge(collect_part(chunk, config, columns=columns, below=sample.below,
                                           cap=cap))
    sample.rows_processed += first
    return sample


def fit(sample: Any, config: AnalysisConfig, *, sample_seconds: float) -> tuple[Any, dict[str, Any]]:
    """Fold models fitted on the pre-pass sample, and the adaptation info so far
    (completed by :func:`run_info`). The model is ``None`` when the run does not adapt."""
    from feedback_nlp.sentiment.adapt import MIN_REVIEWS, fit_domain

    started = time.perf_counter()
    model, code, reason = fit_domain(sample, seed=config.seed)
    info: dict[str, Any] = {
        "adapted": model is not None, "code": code, "reason": reason,
        "min_reviews": MIN_REVIEWS, "sample_seconds": round(sample_seconds, 3),
        "sample_rows_processed": int(getattr(sample, "rows_processed", 0)),
        "fit_seconds": round(time.perf_counter() - started, 3)}
    if model is not None:
        info.update(weight=model.weight, folds=model.folds,
                    fit_reviews=int(np.isin(sample.labels, model.learnt).sum()))
    info["seconds"] = round(sample_seconds + info["fit_seconds"], 3)
    return model, info


def run_info(info: dict[str, Any], documents: pd.DataFrame,
             config: AnalysisConfig) -> dict[str, Any]:
    """The run's ``sentiment_adaptation`` info: ``info`` from :func:`fit` plus the count
    of scored reviews (usable text, valid score, at least one unit) from the row tables
    (the compact ones are enough) and the message."""
    from feedback_nlp.sentiment.adapt import LABELS, score_labels

    if not info or "scored_reviews" in info:  # off / no score column / no sentiment
        return info
    scored = ((documents["text_status"] == "ok") & (documents["score_status"] == "ok")
              & (documents["n_opinions"].fillna(0) > 0)).to_numpy()
    labels = score_labels(documents["score"].to_numpy(dtype="float64"), config.score_scale)
    labels = labels[scored]
    out = dict(info)
    out["scored_reviews"] = int(np.isin(labels, LABELS).sum())
    out["scored_reviews_by_label"] = {c: int((labels == c).sum()) for c in LABELS}
    out["message"] = (f"sentiment adapted on {out['scored_reviews']:,} scored reviews"
                      if out["adapted"] else f"sentiment not adapted: {out['reason']}")
    return out
