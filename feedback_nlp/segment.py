"""Split a verbatim into opinion units: sentences, then clauses at French contrast markers.

"Livraison rapide mais SAV injoignable" holds two opinions; sentiment and themes are
computed per unit. Offsets are character positions in the text that was segmented
(the cleaned text), so ``text[start:end] == unit``.

>>> [u.text for u in split_opinions("Livraison rapide mais SAV injoignable. Je ne recommande pas !")]
['Livraison rapide', 'mais SAV injoignable.', 'Je ne recommande pas !']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: Contrast markers that start a new opinion unit.
CONTRAST_MARKERS = (
    "mais",
    "par contre",
    "en revanche",
    "cependant",
    "toutefois",
    "sauf que",
    "néanmoins",
    "neanmoins",
    "pourtant",
    "malheureusement",
    "hélas",
    "bien que",
    "même si",
    "alors que",
    "dommage que",
)

_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\bM\.)(?<!\betc\.)\s+(?=\S)|\s*[\n;]+\s*")
_CONTRAST = re.compile(
    r"(?:,\s*|\s+|(?<=[(\-]))(?=(?:" + "|".join(re.escape(m) for m in CONTRAST_MARKERS) + r")\b)",
    re.IGNORECASE,
)
_MIN_UNIT_CHARS = 3


@dataclass(frozen=True)
class Unit:
    """One opinion unit with its offsets in the segmented text."""

    text: str
    start: int
    end: int


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for match in pattern.finditer(text, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans


def split_opinions(text: str, *, split_contrast: bool = True) -> list[Unit]:
    """Opinion units of ``text``, in order, covering all of it except the separators
    (whitespace, newlines, ``;`` and the comma before a contrast marker).

    Units shorter than three characters are merged into their neighbour so that
    "Top. Mais." does not produce one-word fragments.
    """
    if not text or not text.strip():
        return []
    units: list[tuple[int, int]] = []
    for s_start, s_end in _spans(text, _SENTENCE_END, 0, len(text)):
        if split_contrast:
            units.extend(_spans(text, _CONTRAST, s_start, s_end))
        else:
            units.append((s_start, s_end))
    merged: list[tuple[int, int]] = []
    for start, end in units:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        if merged and (end - start < _MIN_UNIT_CHARS or merged[-1][1] - merged[-1][0] < _MIN_UNIT_CHARS):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [Unit(text[s:e], s, e) for s, e in merged]


def segment_documents(documents: pd.DataFrame, text_column: str = "clean_text",
                      mask: Iterable[bool] | None = None) -> pd.DataFrame:
    """One row per opinion unit: ``row_id``, ``segment_id``, ``unit`` (position in the
    review), ``text``, ``start``, ``end``.

    ``mask`` selects the documents to segment (by default every non-empty text).
    """
    texts = documents[text_column].tolist()
    row_ids = documents["row_id"].tolist()
    keep = [True] * len(texts) if mask is None else list(mask)
    rows_row, rows_unit, rows_text, rows_start, rows_end = [], [], [], [], []
    for row_id, text, selected in zip(row_ids, texts, keep):
        if not selected:
            continue
        for position, unit in enumerate(split_opinions(text)):
            rows_row.append(row_id)
            rows_unit.append(position)
            rows_text.append(unit.text)
            rows_start.append(unit.start)
            rows_end.append(unit.end)
    frame = pd.DataFrame(
        {"row_id": pd.Series(rows_row, dtype="int64"), "unit": pd.Series(rows_unit, dtype="int64"),
         "text": pd.Series(rows_text, dtype=object), "start": pd.Series(rows_start, dtype="int64"),
         "end": pd.Series(rows_end, dtype="int64")}
    )
    frame.insert(1, "segment_id", pd.RangeIndex(len(frame)))
    return frame
