"""Booking liked / disliked fields as labelled opinion units, and the scores every
sentiment benchmark reports on them (shared by sentiment_adapt.py and encoder.py).

Units: each review's cleaned ``positive_text`` (positive) and ``negative_text``
(negative), non-answers dropped (``text_status`` not ``ok``). Scores: binary accuracy and
negative recall (``p_negative > p_positive``), and "hidden complaints": reviews scored
>= 9 with a disliked field that get at least one unit whose arg-max is negative.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BOOKING_FILE = "fr_reviews_booking_paris_0to10.csv.gz"


def booking_units(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Booking rows and their fields as units (review, text, label, length)."""
    from feedback_nlp.clean import clean_series, text_status

    frame = pd.read_csv(path)
    units = []
    for column, label in (("positive_text", "positive"), ("negative_text", "negative")):
        cleaned = clean_series(frame[column].fillna("").astype(str))
        for i, text in enumerate(cleaned):
            if text and text_status(text, check_language=False)[0] == "ok":
                units.append((i, text, label, len(text)))
    return frame, pd.DataFrame(units, columns=["review", "text", "label", "length"])


def booking_scores(frame: pd.DataFrame, units: pd.DataFrame, proba: np.ndarray
                   ) -> dict[str, Any]:
    """Scores of unit probabilities ``proba`` (columns negative, neutral, positive)."""
    truth = units["label"].to_numpy()
    review = units["review"].to_numpy()
    negative = proba[:, 0] > proba[:, 2]
    has_complaint = np.zeros(len(frame), dtype=bool)
    has_complaint[review[truth == "negative"]] = True
    high = (frame["score_0_10"] >= 9).to_numpy()
    flagged = np.zeros(len(frame), dtype=bool)
    np.logical_or.at(flagged, review, proba.argmax(axis=1) == 0)
    return {"binary_accuracy": round(float((negative == (truth == "negative")).mean()), 4),
            "negative_recall": round(float(negative[truth == "negative"].mean()), 4),
            "positive_recall": round(float((~negative)[truth == "positive"].mean()), 4),
            "hidden_complaints_recall": round(float(flagged[high & has_complaint].mean()), 4),
            "false_alarms_clean_high": round(float(flagged[high & ~has_complaint].mean()), 4)}


def booking_subset(frame: pd.DataFrame, units: pd.DataFrame, keep: np.ndarray
                   ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The reviews ``keep`` (boolean, one per row of ``frame``) and their units, renumbered;
    plus the mask of the kept units (to select their probabilities)."""
    keep = np.asarray(keep, dtype=bool)
    position = np.cumsum(keep) - 1
    mask = keep[units["review"].to_numpy()]
    kept = units[mask].copy()
    kept["review"] = position[kept["review"].to_numpy()]
    return frame[keep].reset_index(drop=True), kept.reset_index(drop=True), mask
