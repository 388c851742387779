"""French sentiment: one protocol, a shipped offline model, a ``transformers`` backend.

Every model has ``predict_proba(texts) -> DataFrame[negative, neutral, positive]`` and
``predict(texts) -> labels`` and behaves as a scikit-learn estimator:

- :class:`LinearSentiment` — the shipped default (``models/sentiment-fr-4``), trained
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

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from feedback_nlp._safe import check_model_dir
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.sentiment.linear import LABELS, LinearSentiment, _marked_tokens, mark_negation
from feedback_nlp.sentiment.transformer import TransformerSentiment, finetune, is_transformers_dir

__all__ = ["LABELS", "LinearSentiment", "TransformerSentiment", "SentimentModel", "annotate",
           "aggregate_units", "default_model_path", "finetune", "load_model", "mark_negation",
           "MIXED_THRESHOLD", "adapt_run", "adaptation_message",
           "UnitFeatures", "keep_unit_features", "may_adapt"]

#: Name of the shipped model folder under ``models/`` at the repository root.
DEFAULT_MODEL = "sentiment-fr-4"
#: A review is ``mixed`` when one unit has p_positive >= this and another p_negative >= this.
MIXED_THRESHOLD = 0.6
PROBA_COLUMNS = ["p_negative", "p_neutral", "p_positive"]


class SentimentModel(Protocol):
    """What :func:`annotate` needs from a model."""

    def predict_proba(self, texts: Any) -> pd.DataFrame: ...

    def predict(self, texts: Any) -> np.ndarray: ...


def default_model_path() -> Path:
    """The shipped ``sentiment-fr-4`` folder (see :func:`feedback_nlp._paths.models_dir`)."""
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


class UnitFeatures:
    """The adaptation features of the units the sentiment stage scored, built from the
    tokens the shipped model has just computed (so :func:`adapt_run` does not tokenise
    the units again). Filled by :func:`annotate` inside :func:`keep_unit_features`."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.blocks: list[Any] = []
        #: time spent building the features (what keeping them adds to the sentiment stage)
        self.seconds = 0.0

    def clear(self) -> None:
        self.texts, self.blocks, self.seconds = [], [], 0.0

    def add(self, texts: list[str], tokens: list[list[str]]) -> None:
        import time

        from feedback_nlp.sentiment.adapt import hashed_features

        started = time.perf_counter()
        self.texts.extend(texts)
        self.blocks.append(hashed_features(tokens))
        self.seconds += time.perf_counter() - started

    def matrix_for(self, texts: list[str]) -> Any:
        """The features of ``texts`` (one row each), or ``None`` when they are not the
        units that were kept (then the caller builds them itself)."""
        if not self.blocks or self.texts != texts:
            return None
        import scipy.sparse as sp

        return sp.vstack(self.blocks, format="csr")


_KEPT: ContextVar[UnitFeatures | None] = ContextVar("feedback_nlp_unit_features", default=None)


@contextmanager
def keep_unit_features(active: bool = True) -> Iterator[UnitFeatures | None]:
    """While open (and ``active``), :func:`annotate` with the linear model also keeps the
    units' adaptation features (:class:`UnitFeatures`), computed from the tokens it
    already has; pass them to :func:`adapt_run` (``features=``). Yields ``None`` when not
    ``active``."""
    if not active:
        yield None
        return
    kept = UnitFeatures()
    token = _KEPT.set(kept)
    try:
        yield kept
    finally:
        _KEPT.reset(token)


def may_adapt(frame: pd.DataFrame, config: Any) -> bool:
    """Whether a run on ``frame`` (the canonical input frame) can meet the adaptation's
    threshold: adaptation on and at least ``MIN_REVIEWS`` non-empty scores. Cheap upper
    bound, used to keep the units' features only when they may be used."""
    from feedback_nlp.sentiment.adapt import MIN_REVIEWS

    if not getattr(config, "sentiment_adapt", True) or "score" not in frame.columns:
        return False
    return int(frame["score"].notna().sum()) >= MIN_REVIEWS


def _predict_units(model: SentimentModel, texts: list[str], batch: int,
                   sink: UnitFeatures | None = None) -> pd.DataFrame:
    """Unit probabilities in batches; inside :func:`keep_unit_features` (or with a
    ``sink``), a linear model's tokens also give the adaptation features (one
    tokenisation for both)."""
    kept = (sink or _KEPT.get()) if isinstance(model, LinearSentiment) else None
    if kept is not None:
        kept.clear()
    parts = []
    for i in range(0, len(texts), batch):
        chunk = texts[i:i + batch]
        if kept is None:
            parts.append(model.predict_proba(chunk))
            continue
        tokens = [_marked_tokens(t) for t in chunk]
        parts.append(model.predict_proba(chunk, tokens=tokens))  # type: ignore[call-arg]
        kept.add(chunk, tokens)
    return pd.concat(parts, ignore_index=True)[list(LABELS)]


def _empty_segment_columns(segments: pd.DataFrame) -> pd.DataFrame:
    segments = segments.copy()
    segments["sentiment"] = pd.Series(dtype=object)
    for column in PROBA_COLUMNS:
        segments[column] = pd.Series(dtype="float64")
    return segments


def annotate(documents: pd.DataFrame, segments: pd.DataFrame, config: Any,
             model: SentimentModel | None = None,
             adaptation: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    adaptation
        Fitted in-domain models (:class:`~feedback_nlp.sentiment.adapt.DomainModel`) from a
        run-level pre-pass (engines that cut the input): the units' calls are adapted here,
        part by part, exactly as a one-process run adapts them (:func:`adapt_run`).

    Returns
    -------
    documents, segments
        Copies with ``sentiment, p_negative, p_neutral, p_positive`` on both, and
        ``mixed`` and ``n_opinions`` on documents (missing where ``text_status != "ok"``).
    """
    if model is None:
        model = load_model(getattr(config, "sentiment_model", None))
    if getattr(config, "sentiment_mode", "fast") != "fast":  # issue 19: the e5 teacher
        from feedback_nlp.encoders.cascade import with_teacher

        model = with_teacher(model, config)
    documents = documents.copy()
    batch = max(1, int(getattr(config, "batch_size", 4096) or 4096))
    if len(segments):
        texts = segments["text"].astype(str).tolist()
        sink = UnitFeatures() if adaptation is not None else None
        proba = _predict_units(model, texts, batch, sink)
        if adaptation is not None:
            proba = _adapted(adaptation, proba, texts, segments, sink)
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


def _adapted(adaptation: Any, proba: pd.DataFrame, texts: list[str], segments: pd.DataFrame,
             sink: UnitFeatures | None) -> pd.DataFrame:
    """Unit probabilities blended with the fitted in-domain models (one part)."""
    from feedback_nlp.sentiment.adapt import unit_features

    matrix = sink.matrix_for(texts) if sink is not None else None
    if matrix is None:
        matrix = unit_features(texts)
    adapted = adaptation.apply(matrix, segments["row_id"].to_numpy(dtype="int64"),
                               proba.to_numpy(dtype="float64"))
    return pd.DataFrame(adapted, columns=list(LABELS))


def adapt_run(documents: pd.DataFrame, segments: pd.DataFrame, config: Any,
              features: UnitFeatures | None = None,
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Run-level step after :func:`annotate`: adapt the unit calls to the run's domain
    with its own scores (:func:`feedback_nlp.sentiment.adapt.adapt_units`, cross-fitted).

    Needs every scored review of the run at once (not per partition). Scored = usable
    text (``text_status == "ok"``) and ``score_status == "ok"``; labels from
    ``config.score_scale``. Segments get new ``sentiment`` / ``p_*``; documents get their
    aggregate again (``mixed``, ``sentiment``, ``p_*``). Returns the tables and an info
    dict: ``adapted``, ``scored_reviews``, ``message`` ("sentiment adapted on N scored
    reviews" or "sentiment not adapted: why"), ``weight``, ``folds``, ``seconds``.
    ``features``: the units' adaptation features kept by the sentiment stage
    (:func:`keep_unit_features`); used when they are these segments' units, else the
    units are featurised here (same matrix either way).
    """
    import time

    from feedback_nlp.sentiment.adapt import adapt_units, score_labels

    started = time.perf_counter()

    def skipped(code: str, reason: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        return documents, segments, {"adapted": False, "scored_reviews": 0, "code": code,
                                     "reason": reason, "message": f"sentiment not adapted: {reason}"}

    if not getattr(config, "sentiment_adapt", True):
        return skipped("off", "turned off (sentiment_adapt=False / --no-adapt)")
    if "score" not in documents.columns or "score_status" not in documents.columns:
        return skipped("no_score", "no score column")
    if not len(segments) or "p_negative" not in segments.columns:
        return skipped("no_units", "no opinion units")
    usable = (documents["text_status"] == "ok") & (documents["score_status"] == "ok")
    scale = getattr(config, "score_scale", "nps")
    labels = score_labels(documents["score"].to_numpy(dtype="float64"), scale)
    labels[~usable.to_numpy()] = None
    position = pd.Series(np.arange(len(documents)), index=documents["row_id"].to_numpy())
    unit_review = position.reindex(segments["row_id"].to_numpy()).to_numpy()
    if np.isnan(unit_review.astype(float)).any():
        return skipped("no_units", "units without their review")
    base = segments[PROBA_COLUMNS].to_numpy(dtype="float64")
    lengths = (segments["end"] - segments["start"]).to_numpy(dtype="float64")
    texts = segments["text"].astype(str).tolist()
    matrix = features.matrix_for(texts) if features is not None else None
    result = adapt_units(unit_review.astype(np.int64), base, labels,
                         unit_texts=texts, features=matrix,
                         unit_weights=np.sqrt(np.maximum(lengths, 1.0)),
                         review_ids=documents["row_id"].to_numpy(dtype="int64"),
                         seed=int(getattr(config, "seed", 0)))
    info: dict[str, Any] = {"adapted": result.adapted, "scored_reviews": result.n_scored,
                            "code": result.code, "reason": result.reason, "message": result.message(),
                            **{k: result.info[k] for k in ("weight", "folds", "min_reviews",
                                                           "scored_reviews_by_label")}}
    if not result.adapted:
        info["seconds"] = round(time.perf_counter() - started, 3)
        return documents, segments, info
    proba = pd.DataFrame(result.proba, columns=list(LABELS))
    segments = segments.copy()
    segments["sentiment"] = np.asarray(LABELS, dtype=object)[result.proba.argmax(axis=1)]
    for column, label in zip(PROBA_COLUMNS, LABELS):
        segments[column] = proba[label].to_numpy(dtype="float64")
    per_review = aggregate_units(proba, segments["row_id"], lengths)
    documents = documents.copy()
    rows = documents["row_id"].isin(per_review.index).to_numpy()
    aligned = per_review.reindex(documents.loc[rows, "row_id"].to_numpy())
    documents.loc[rows, "sentiment"] = aligned["sentiment"].to_numpy()
    for column in PROBA_COLUMNS:
        documents.loc[rows, column] = aligned[column].to_numpy(dtype="float64")
    documents.loc[rows, "mixed"] = pd.array(aligned["mixed"].to_numpy(dtype=object),
                                            dtype="boolean")
    info["fit_reviews"] = result.info.get("fit_reviews")
    info["features_reused"] = matrix is not None
    if features is not None and matrix is not None:
        # built inside the sentiment stage: part of the adaptation's cost
        info["features_seconds"] = round(features.seconds, 3)
    info["seconds"] = round(time.perf_counter() - started, 3)
    return documents, segments, info


_ADAPT_TEXT = {
    "fr": {"adapted": "Sentiment adapté au domaine sur {n} réponses notées (validation croisée)",
           "off": "Sentiment non adapté : désactivé (--no-adapt)",
           "no_score": "Sentiment non adapté : pas de colonne de score",
           "no_units": "Sentiment non adapté : aucune unité d'opinion",
           "too_few": "Sentiment non adapté : {n} réponses notées avec texte (il en faut {min})",
           "too_uniform": "Sentiment non adapté : scores trop uniformes pour apprendre"},
    "en": {"adapted": "Sentiment adapted on {n} scored reviews (cross-fitted)",
           "off": "Sentiment not adapted: turned off (--no-adapt)",
           "no_score": "Sentiment not adapted: no score column",
           "no_units": "Sentiment not adapted: no opinion units",
           "too_few": "Sentiment not adapted: {n} scored reviews with text ({min} needed)",
           "too_uniform": "Sentiment not adapted: scores too uniform to learn from"},
}


def adaptation_message(info: dict[str, Any] | None, lang: str = "fr") -> str | None:
    """The line the CLI summary and the report print for ``info["sentiment_adaptation"]``
    (``None`` when sentiment did not run)."""
    if not info:
        return None
    texts = _ADAPT_TEXT.get(lang, _ADAPT_TEXT["en"])
    code = info.get("code") or ("adapted" if info.get("adapted") else "no_units")
    n = f"{int(info.get('scored_reviews') or 0):,}".replace(",", " " if lang == "fr" else ",")
    template = texts.get(code, info.get("message", ""))
    return template.format(n=n, min=info.get("min_reviews", ""))
