"""French sentiment: one protocol, a shipped offline model, a ``transformers`` backend.

Every model has ``predict_proba(texts) -> DataFrame[negative, neutral, positive]`` and
``predict(texts) -> labels`` and behaves as a scikit-learn estimator:

- :class:`LinearSentiment` — the shipped default (``models/sentiment-fr-3``), trained
  here on real French reviews; safetensors + JSON, no pickle.
- :class:`TransformerSentiment` — a user's local sequence-classification model (e.g. a
  fine-tuned CamemBERT); :func:`finetune` trains one from any local base model.

:func:`annotate` is the pipeline stage: one prediction per opinion unit (``segments``),
and per review the length-weighted mean of its units' probabilities plus a ``mixed`` flag.

>>> from feedback_nlp.sentiment import load_model
>>> model = load_model()  # doctest: +SKIP
>>> model.predict(["Pas terrible, colis arrivé cassé", "Pas mal du tout !"])  # doctest: +SKIP
array(['negative', 'positive'], dtype=object)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from feedback_nlp._safe import check_model_dir
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.sentiment.linear import LABELS, LinearSentiment, mark_negation
from feedback_nlp.sentiment.transformer import TransformerSentiment, finetune, is_transformers_dir

__all__ = ["LABELS", "LinearSentiment", "TransformerSentiment", "SentimentModel", "annotate",
           "aggregate_units", "default_model_path", "finetune", "load_model", "mark_negation",
           "MIXED_THRESHOLD"]

#: Name of the shipped model folder under ``models/`` at the repository root.
DEFAULT_MODEL = "sentiment-fr-3"
#: A review is ``mixed`` when one unit has p_positive >= this and another p_negative >= this.
MIXED_THRESHOLD = 0.6
PROBA_COLUMNS = ["p_negative", "p_neutral", "p_positive"]


class SentimentModel(Protocol):
    """What :func:`annotate` needs from a model."""

    def predict_proba(self, texts: Any) -> pd.DataFrame: ...

    def predict(self, texts: Any) -> np.ndarray: ...


def default_model_path() -> Path:
    """The shipped ``sentiment-fr-3`` folder (see :func:`feedback_nlp._paths.models_dir`)."""
    from feedback_nlp._paths import shipped_model

    return shipped_model(DEFAULT_MODEL)


@lru_cache(maxsize=4)
def _load_cached(path: str) -> SentimentModel:
    directory = Path(path)
    if not directory.is_dir():
        raise ModelLoadError(
            f"Sentiment model directory {directory} does not exist.",
            fix="pass --sentiment-model DIR (a folder from `feedback-nlp train-sentiment` or a "
                "local transformers model), or rebuild the shipped one with `feedback-nlp "
                f"train-sentiment --data ../shared/data --out models/{DEFAULT_MODEL}`.")
    # Refuse pickle-family files before even meta.json is read to pick the backend.
    check_model_dir(directory, what="sentiment model")
    if is_transformers_dir(directory):
        return TransformerSentiment(directory).fit()
    return LinearSentiment.load(directory)


def load_model(path: str | Path | None = None) -> SentimentModel:
    """Load a sentiment model directory (ours or a local transformers model); ``None`` gives
    the shipped model. Loaded models are cached per path."""
    return _load_cached(str(Path(path) if path is not None else default_model_path()))


def aggregate_units(unit_proba: pd.DataFrame, row_ids: Any, lengths: Any,
                    threshold: float = MIXED_THRESHOLD) -> pd.DataFrame:
    """Review-level sentiment from its units: length-weighted mean of the probabilities.

    Returns one row per ``row_id`` (index) with ``p_negative, p_neutral, p_positive``,
    ``sentiment`` (argmax), ``mixed`` (one unit with p_positive >= threshold and another
    with p_negative >= threshold) and ``n_opinions``.
    """
    frame = pd.DataFrame(unit_proba.to_numpy(), columns=PROBA_COLUMNS)
    frame["row_id"] = np.asarray(row_ids)
    weight = np.sqrt(np.maximum(np.asarray(lengths, dtype=float), 1.0))
    weighted = frame[PROBA_COLUMNS].mul(weight, axis=0)
    weighted["row_id"] = frame["row_id"]
    weighted["weight"] = weight
    sums = weighted.groupby("row_id", sort=False).sum()
    out = sums[PROBA_COLUMNS].div(sums["weight"], axis=0)
    flags = pd.DataFrame({"row_id": frame["row_id"],
                          "pos": frame["p_positive"] >= threshold,
                          "neg": frame["p_negative"] >= threshold})
    grouped = flags.groupby("row_id", sort=False)
    any_flags = grouped[["pos", "neg"]].any()
    out["sentiment"] = np.asarray(LABELS, dtype=object)[out[PROBA_COLUMNS].to_numpy().argmax(axis=1)]
    out["mixed"] = (any_flags["pos"] & any_flags["neg"]).reindex(out.index)
    out["n_opinions"] = grouped.size().reindex(out.index)
    return out


def _empty_segment_columns(segments: pd.DataFrame) -> pd.DataFrame:
    segments = segments.copy()
    segments["sentiment"] = pd.Series(dtype=object)
    for column in PROBA_COLUMNS:
        segments[column] = pd.Series(dtype="float64")
    return segments


def annotate(documents: pd.DataFrame, segments: pd.DataFrame, config: Any,
             model: SentimentModel | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add sentiment to ``segments`` (per opinion unit) and ``documents`` (per review).

    Parameters
    ----------
    documents, segments
        The pipeline tables (see :func:`feedback_nlp.pipeline.analyze_frame`).
    config
        :class:`~feedback_nlp.config.AnalysisConfig`; ``config.sentiment_model`` picks the
        model directory (``None``: the shipped model).
    model
        An already loaded model (overrides the config).

    Returns
    -------
    documents, segments
        Copies with ``sentiment, p_negative, p_neutral, p_positive`` on both, and
        ``mixed`` and ``n_opinions`` on documents (missing where ``text_status != "ok"``).
    """
    if model is None:
        model = load_model(getattr(config, "sentiment_model", None))
    documents = documents.copy()
    batch = max(1, int(getattr(config, "batch_size", 4096) or 4096))
    if len(segments):
        texts = segments["text"].astype(str).tolist()
        parts = [model.predict_proba(texts[i:i + batch]) for i in range(0, len(texts), batch)]
        proba = pd.concat(parts, ignore_index=True)[list(LABELS)]
        segments = segments.copy()
        segments["sentiment"] = np.asarray(LABELS, dtype=object)[proba.to_numpy().argmax(axis=1)]
        for column, label in zip(PROBA_COLUMNS, LABELS):
            segments[column] = proba[label].to_numpy(dtype="float64")
        per_review = aggregate_units(proba, segments["row_id"],
                                     segments["end"] - segments["start"])
    else:
        segments = _empty_segment_columns(segments)
        per_review = pd.DataFrame(columns=[*PROBA_COLUMNS, "sentiment", "mixed", "n_opinions"])
    if "text_status" in documents.columns:
        usable = (documents["text_status"] == "ok").to_numpy()
    else:
        usable = np.ones(len(documents), dtype=bool)
    # A usable review without a unit (cannot happen with the shipped segmenter, but a
    # custom segments table may skip rows): score its whole text.
    lacking = usable & ~documents["row_id"].isin(per_review.index).to_numpy()
    if lacking.any():
        column = "clean_text" if "clean_text" in documents.columns else "text"
        extra_texts = documents.loc[lacking, column].astype(str).tolist()
        extra = model.predict_proba(extra_texts)[list(LABELS)]
        extra_frame = pd.DataFrame(extra.to_numpy(), columns=PROBA_COLUMNS,
                                   index=documents.loc[lacking, "row_id"].to_numpy())
        extra_frame["sentiment"] = np.asarray(LABELS, dtype=object)[extra.to_numpy().argmax(axis=1)]
        extra_frame["mixed"] = False
        extra_frame["n_opinions"] = 1
        per_review = pd.concat([per_review, extra_frame]) if len(per_review) else extra_frame
    aligned = per_review.reindex(documents["row_id"].to_numpy())
    keep = pd.Series(usable, index=aligned.index)
    sentiment = aligned["sentiment"].where(keep, None).astype(object).to_numpy()
    documents["sentiment"] = pd.Series(sentiment, index=documents.index, dtype=object)
    documents.loc[~usable, "sentiment"] = None
    for column in PROBA_COLUMNS:
        documents[column] = aligned[column].where(keep).astype("float64").to_numpy()
    mixed = aligned["mixed"].where(keep)
    documents["mixed"] = pd.array(mixed.to_numpy(dtype=object), dtype="boolean")
    documents["n_opinions"] = pd.array(aligned["n_opinions"].where(keep).to_numpy(dtype=object),
                                       dtype="Int64")
    return documents, segments
