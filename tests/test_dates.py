"""Dates as French exports write them (issue 18): ISO, day-first, French month names,
Excel serials; month-first values noted. Values are hand-written (not real data)."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback_nlp.dates import parse_dates, parse_dates_noted


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-03-31", "2024-03-31"),
    ("2024-03-31T10:00:00Z", "2024-03-31 10:00"),
    ("20240105", "2024-01-05"),
    ("31/03/2024", "2024-03-31"),
    ("05/03/2024", "2024-03-05"),  # day-first: French convention
    ("05.03.24", "2024-03-05"),
    ("5 mars 2024", "2024-03-05"),  # before: NaT
    ("1er mars 2024", "2024-03-01"),
    ("lundi 5 mars 2024", "2024-03-05"),
    ("05 févr. 2024", "2024-02-05"),
    ("12 DÉCEMBRE 2023", "2023-12-12"),
    ("mars 2024", "2024-03-01"),
    ("45356", "2024-03-05"),  # Excel serial day number
    (45356, "2024-03-05"),
    (45356.5, "2024-03-05 12:00"),
    (pd.Timestamp("2024-01-02"), "2024-01-02"),
])
def test_formats(raw: object, expected: str) -> None:
    dates, _ = parse_dates_noted(pd.Series([raw], dtype=object))
    assert dates.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("raw", ["hier", "31/02/2024", "", None, "12345", "mars", "1;", "0001-01-01"])
def test_unreadable_or_blank_is_nat(raw: object) -> None:
    assert pd.isna(parse_dates(pd.Series([raw], dtype=object)).iloc[0])


def test_month_first_is_noted_never_silent() -> None:
    # before: "12/31/2024" read month-first without a note, "03/04/2024" day-first
    dates, notes = parse_dates_noted(pd.Series(["12/31/2024", "03/04/2024"]))
    assert dates.tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2024-03-04")]
    assert "mois/jour" in notes[0] and "ambiguë" in notes[1]
    # a French column stays day-first, without notes
    dates, notes = parse_dates_noted(pd.Series(["31/12/2024", "03/04/2024"]))
    assert dates.tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2024-04-03")]
    assert notes == ["", ""]


def test_month_only_is_noted_and_types_do_not_collide() -> None:
    dates, notes = parse_dates_noted(pd.Series(["mars 2024", "45356", 45356], dtype=object))
    assert "mois seul" in notes[0]
    assert dates.tolist()[1:] == [pd.Timestamp("2024-03-05")] * 2
    assert str(dates.dtype) == "datetime64[ns]"
