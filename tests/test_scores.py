"""NPS, CSAT, CES: hand-computed expected values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from feedback_nlp import scores as S


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (9, (9.0, "ok")),
        ("9", (9.0, "ok")),
        ("9,5", (9.5, "ok")),
        ("9/10", (9.0, "ok")),
        ("4/5", (8.0, "ok")),
        ("neuf", (9.0, "ok")),
        ("Dix", (10.0, "ok")),
        ("0", (0.0, "ok")),
        (" 7 ", (7.0, "ok")),
        ("8 pts", (8.0, "ok")),
    ],
)
def test_parse_score_ok(raw: object, expected: tuple[float, str]) -> None:
    assert S.parse_score(raw) == expected


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("", "missing"),
        (None, "missing"),
        (float("nan"), "missing"),
        ("N/A", "missing"),
        ("NA", "missing"),
        ("11", "out_of_range"),
        (-1, "out_of_range"),
        ("-1", "out_of_range"),
        ("très bien", "invalid"),
        ("9/0", "invalid"),
        ("inf", "invalid"),
    ],
)
def test_parse_score_problems(raw: object, status: str) -> None:
    value, got = S.parse_score(raw)
    assert got == status
    assert math.isnan(value)


def test_parse_stars() -> None:
    assert S.parse_score("★★★★", S.STAR_SCALE) == (4.0, "ok")
    assert S.parse_score("0", S.STAR_SCALE)[1] == "out_of_range"
    assert S.parse_score("5", S.STAR_SCALE) == (5.0, "ok")


def test_parse_scores_vectorised_keeps_index() -> None:
    frame = S.parse_scores(pd.Series(["9", "x", ""], index=[5, 6, 7]))
    assert frame.index.tolist() == [5, 6, 7]
    assert frame["status"].tolist() == ["ok", "invalid", "missing"]


def test_nps_class_thresholds() -> None:
    scores = pd.Series([0, 6, 6.9, 7, 8, 8.5, 9, 10, np.nan])
    assert S.nps_class(scores).tolist() == [
        "detractor", "detractor", "detractor", "passive", "passive", "passive",
        "promoter", "promoter", None,
    ]


def test_nps_class_star_proxy() -> None:
    assert S.nps_class(pd.Series([1, 2, 3, 4, 5]), scale="stars").tolist() == [
        "detractor", "detractor", "detractor", "passive", "promoter"
    ]


def test_nps_from_counts_hand_computed() -> None:
    # n = 100, 50 promoters, 20 detractors: NPS = 30. Interval: Dirichlet(1, 1, 1) posterior,
    # p~ = 51/103, d~ = 21/103, centre 30/103, var = (72/103 - (30/103)^2) / 104.
    result = S.nps_from_counts(50, 30, 20)
    assert result.nps == pytest.approx(30.0)
    se = 100 * math.sqrt((72 / 103 - (30 / 103) ** 2) / 104)
    assert result.std_error == pytest.approx(se)
    assert result.ci_low == pytest.approx(100 * 30 / 103 - 1.959964 * se, abs=1e-4)
    assert result.ci_high == pytest.approx(100 * 30 / 103 + 1.959964 * se, abs=1e-4)
    # Large n: the same as the multinomial Wald interval to 0.1 point.
    big = S.nps_from_counts(5000, 3000, 2000)
    wald = 1.959964 * 100 * math.sqrt((0.7 - 0.09) / 10000)
    assert big.ci_low == pytest.approx(30 - wald, abs=0.1)
    assert big.ci_high == pytest.approx(30 + wald, abs=0.1)


def test_nps_edge_cases() -> None:
    assert math.isnan(S.nps_from_counts(0, 0, 0).nps)
    all_promoters = S.nps_from_counts(10, 0, 0)
    assert all_promoters.nps == 100 and all_promoters.ci_high == 100
    assert all_promoters.ci_low < 90  # ten answers in one class are not certainty
    two = S.nps_from_counts(0, 0, 2)
    assert two.ci_low == -100 and two.ci_high > -100 and two.std_error > 0
    assert S.nps(pd.Series(["promoter", "detractor", None, "passive"])).nps == pytest.approx(0.0)


def test_wilson_and_csat_ces() -> None:
    low, high = S.wilson_interval(8, 10)
    assert 0.49 < low < 0.5 and 0.94 < high < 0.95
    result = S.csat(pd.Series([5, 4, 3, 1, np.nan]))
    assert result["n"] == 4 and result["csat"] == pytest.approx(50.0)
    effort = S.ces(pd.Series([1, 2, 3]))
    assert effort["ces"] == pytest.approx(2.0)
    assert effort["ci_low"] < 2 < effort["ci_high"]


def test_metrics_table_by_cut() -> None:
    docs = pd.DataFrame(
        {
            "nps_class": ["promoter", "detractor", "promoter", "passive"],
            "channel": ["web", "web", "magasin", None],
        }
    )
    table = S.metrics_table(docs, by=["channel"])
    overall = table[table["cut"] == "all"].iloc[0]
    assert overall["nps"] == pytest.approx(25.0)
    web = table[(table["cut"] == "channel") & (table["value"] == "web")].iloc[0]
    assert web["nps"] == pytest.approx(0.0) and web["n"] == 2
    assert set(table["value"]) == {"all", "web", "magasin", "(vide)"}
