"""Dates as French exports write them (issue 18).

:func:`parse_dates_noted` reads, per distinct value:

- ISO ``2024-03-31`` (with or without a time), compact ``20240331``;
- numeric day-first ``31/03/2024``, ``31.03.24``, ``31-03-2024`` (French convention);
  a column whose values can only be month-first (``12/31/2024``: no 31st month) and never
  only day-first is read month-first, and every value read month-first is noted
  ("date lue mois/jour"), since ``03/04/2024`` could be either;
- French month names: ``5 mars 2024``, ``1er mars 2024``, ``lundi 5 mars 2024``,
  ``05 févr. 2024``, ``mars 2024`` (the 1st, noted "mois seul");
- Excel serial day numbers (``45356`` = 2024-03-05; 1954-2119) and spreadsheet datetimes.

Anything else is ``NaT`` (the caller notes "date illisible"). Notes are French, for
``status_detail``; an empty string means no note.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}
_DAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\.?,?\s+"
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FRENCH_DATE = re.compile(
    rf"^(?:{_DAYS})?(?:(?P<day>\d{{1,2}})(?:er)?\s+)?(?P<month>{_MONTH_WORD})\.?\s+(?P<year>\d{{4}})"
    r"(?:\s*(?:a|,)?\s*(?P<time>\d{1,2}[:h]\d{2}(?::\d{2})?))?$"
)
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
                      r"(?:[ T]+(?P<time>\d{1,2}[:h]\d{2}(?::\d{2})?))?$")
_ISO_SIMPLE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T].*)?$|^\d{4}/\d{2}/\d{2}(?:[ T].*)?$")
_COMPACT = re.compile(r"^(?:19|20)\d{6}$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (20_000, 80_000)  # 1954-10-03 .. 2119-01-10

MONTH_FIRST_NOTE = "date lue mois/jour ({raw})"
AMBIGUOUS_NOTE = "date ambiguë lue mois/jour comme le reste de la colonne ({raw})"
MONTH_ONLY_NOTE = "mois seul ({raw}) : daté du 1er"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).strip()


def _time(text: str | None) -> tuple[int, int, int]:
    if not text:
        return 0, 0, 0
    parts = [int(p) for p in re.split(r"[:h]", text)]
    return parts[0], parts[1], parts[2] if len(parts) > 2 else 0


def _make(year: int, month: int, day: int, clock: tuple[int, int, int] = (0, 0, 0)) -> Any:
    try:
        return pd.Timestamp(dt.datetime(year, month, day, *clock))
    except (ValueError, OverflowError):
        return pd.NaT


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _numeric_order(texts: list[str]) -> str:
    """``"dmy"`` unless some value can only be month-first and none only day-first."""
    day_first = month_first = False
    for text in texts:
        match = _NUMERIC.match(text)
        if match:
            a, b = int(match["a"]), int(match["b"])
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
    return "mdy" if month_first and not day_first else "dmy"


def _parse_one(raw: Any, folded: str, order: str) -> tuple[Any, str]:
    value: Any
    if isinstance(raw, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        value = pd.Timestamp(raw)
        return (value.tz_convert(None) if value.tzinfo is not None else value), ""
    if isinstance(raw, (int, float, np.integer, np.floating)) and not isinstance(raw, bool):
        number = float(raw)
        if math.isfinite(number) and _SERIAL_RANGE[0] <= number < _SERIAL_RANGE[1]:
            return pd.Timestamp(_EXCEL_EPOCH + dt.timedelta(days=number)), ""
    if not folded:
        return pd.NaT, ""
    simple = _ISO_SIMPLE.match(folded)
    if simple:  # the common case, without pandas' per-call cost (~1 ms); same values
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in simple.groups())
        return _make(year, month, day, (hour, minute, second)), ""
    if _ISO.match(folded):
        value = pd.to_datetime(folded.replace("/", "-"), errors="coerce", format="ISO8601",
                               utc=True)
        return (value.tz_convert(None) if not pd.isna(value) else pd.NaT), ""
    if _COMPACT.match(folded):
        return pd.to_datetime(folded, errors="coerce", format="%Y%m%d"), ""
    if _SERIAL.match(folded):
        number = float(folded)
        if _SERIAL_RANGE[0] <= number < _SERIAL_RANGE[1]:
            return pd.Timestamp(_EXCEL_EPOCH + dt.timedelta(days=number)).round("s"), ""
        return pd.NaT, ""
    match = _NUMERIC.match(folded)
    if match:
        a, b, year = int(match["a"]), int(match["b"]), _year(match["y"])
        clock = _time(match["time"])
        if order == "mdy" or (b > 12 >= a):
            value = _make(year, a, b, clock)
            template = MONTH_FIRST_NOTE if b > 12 else AMBIGUOUS_NOTE
            return value, (template.format(raw=str(raw)[:30]) if not pd.isna(value) else "")
        return _make(year, b, a, clock), ""
    match = _FRENCH_DATE.match(folded)
    if match:
        month = _MONTHS[match["month"]]
        year = int(match["year"])
        if match["day"] is None:
            return _make(year, month, 1), MONTH_ONLY_NOTE.format(raw=str(raw)[:30])
        return _make(year, month, int(match["day"]), _time(match["time"])), ""
    value = pd.to_datetime(folded, errors="coerce", dayfirst=True, format="mixed", utc=True)
    return (value.tz_convert(None) if not pd.isna(value) else pd.NaT), ""


def parse_dates_noted(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """``(dates, notes)``: naive ``datetime64`` values (``NaT`` when unreadable or blank)
    and one note per row (``""`` for none). Distinct values are parsed once."""
    raw = values.tolist()
    keys = [v if isinstance(v, str) else f"\x00{type(v).__name__}:{v!r}" for v in raw]
    folded: dict[str, str] = {}
    for key, value in zip(keys, raw):
        if key not in folded:  # once per distinct value
            folded[key] = _fold(value) if isinstance(value, str) else ""
    order = _numeric_order(list({f for f in folded.values() if f[:1].isdigit()}))
    cache: dict[str, tuple[Any, str]] = {}
    dates, notes = [], []
    for key, value in zip(keys, raw):
        hit = cache.get(key)
        if hit is None:
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
                hit = (pd.NaT, "")
            else:
                hit = _parse_one(value, folded[key], order)
                if not pd.isna(hit[0]) and not 1900 <= hit[0].year <= 2200:
                    hit = (pd.NaT, "")  # "1;" read as year 1: not a survey date
            cache[key] = hit
        dates.append(hit[0])
        notes.append(hit[1])
    series = pd.Series(pd.to_datetime(pd.Series(dates, dtype=object), errors="coerce"),
                       index=values.index, name=values.name)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert(None)
    return series.astype("datetime64[ns]"), notes


def parse_dates(values: pd.Series) -> pd.Series:
    """The dates of :func:`parse_dates_noted`, without the notes."""
    return parse_dates_noted(values)[0]
