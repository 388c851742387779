"""Sentiment of a few free texts, outside an analysis (``feedback-nlp sentiment "..."``).

The same chain as an analysis for one text: :func:`feedback_nlp.clean.clean_text`, opinion
units (:func:`feedback_nlp.segment.split_opinions`), the unit model, and the review
aggregate (:func:`feedback_nlp.sentiment.aggregate_units`, length-weighted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TextSentiment:
    """One text's sentiment: the review aggregate and each opinion unit's label."""

    text: str
    sentiment: str | None = None  # None: nothing left to analyse after cleaning
    mixed: bool = False
    p_negative: float = float("nan")
    p_neutral: float = float("nan")
    p_positive: float = float("nan")
    units: list[tuple[str, str]] = field(default_factory=list)  # (unit text, label)


def sentiment_of_texts(texts: Iterable[str], model: Any = None,
                       model_path: str | Path | None = None, mode: str = "fast",
                       teacher: str | Path | None = None) -> list[TextSentiment]:
    """Sentiment of each text (``model``: a loaded model, else ``model_path`` or the shipped one).

    ``mode`` is :attr:`AnalysisConfig.sentiment_mode <feedback_nlp.config.AnalysisConfig>`:
    ``"cascade"`` / ``"accurate"`` put the e5 teacher (folder ``teacher``, default
    location otherwise) on top of the model, as an analysis does.
    """
    from feedback_nlp.clean import clean_text
    from feedback_nlp.segment import split_opinions
    from feedback_nlp.sentiment import LABELS, aggregate_units, load_model

    model = model if model is not None else load_model(model_path)
    if mode != "fast":
        from feedback_nlp.config import AnalysisConfig
        from feedback_nlp.encoders.cascade import with_teacher

        config = AnalysisConfig(sentiment_mode=mode,  # type: ignore[arg-type]
                                sentiment_teacher=None if teacher is None else str(teacher))
        model = with_teacher(model, config)
    results = []
    for text in texts:
        units = split_opinions(clean_text(text)) or []
        if not units:
            results.append(TextSentiment(text=text))
            continue
        proba = model.predict_proba([u.text for u in units])[list(LABELS)]
        review = aggregate_units(proba, [0] * len(units), [u.end - u.start for u in units]).iloc[0]
        labels = [LABELS[int(np.argmax(row))] for row in proba.itertuples(index=False)]
        results.append(TextSentiment(
            text=text, sentiment=str(review["sentiment"]), mixed=bool(review["mixed"]),
            p_negative=float(review["p_negative"]), p_neutral=float(review["p_neutral"]),
            p_positive=float(review["p_positive"]),
            units=[(u.text, label) for u, label in zip(units, labels)]))
    return results
