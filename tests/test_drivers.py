"""Drivers on small hand-built tables with hand-computed expected values.

The fixture below is HAND-WRITTEN for these tests (ten made-up rows, no text): it is not
customer data. Expected values were computed by hand in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from feedback_nlp import drivers
from feedback_nlp.config import AnalysisConfig, DriverConfig
from feedback_nlp.errors import ConfigError
from feedback_nlp.pipeline import FeedbackAnalysis


def _documents() -> pd.DataFrame:
    # v = +100 promoter, 0 passive, -100 detractor. Row 9 has no usable text: it is out of
    # the driver population. Population rows 0-8: NPS(all) = (4 - 3) / 9 * 100 = 11.11.
    scores = [2, 3, 5, 7, 8, 9, 10, 10, 9, 0]
    classes = ["detractor"] * 3 + ["passive"] * 2 + ["promoter"] * 4 + ["detractor"]
    return pd.DataFrame({
        "row_id": range(10),
        "text_status": ["ok"] * 9 + ["empty"],
        "score": [float(s) for s in scores],
        "nps_class": classes,
        "segment": ["VIP"] * 5 + ["nouveaux"] * 5,
    })


def _segments() -> pd.DataFrame:
    rows = [  # row_id, theme_id, sentiment
        (0, 1, "negative"), (0, 2, "negative"), (1, 1, "negative"), (2, 2, "negative"),
        (3, 1, "positive"), (5, 1, "positive"), (5, 3, "positive"), (6, -1, "neutral"),
        (7, 3, "neutral"),
    ]
    frame = pd.DataFrame(rows, columns=["row_id", "theme_id", "sentiment"])
    frame["theme_label"] = frame["theme_id"].map({1: "Livraison", 2: "SAV", 3: "Prix",
                                                  -1: "Autre / non classé"})
    return frame


def _themes() -> pd.DataFrame:
    return pd.DataFrame({"theme_id": [-1, 1, 2, 3],
                         "label": ["Autre / non classé", "Livraison", "SAV", "Prix"],
                         "family": [None, "Logistique", "Service client", "Prix"]})


def _table(**options: object) -> pd.DataFrame:
    options = {"min_support": 1, "ci_method": "delta", **options}
    return drivers.priorities(_documents(), _segments(), _themes(), **options).set_index("label")


def test_mentions_and_shares_by_hand() -> None:
    table = _table()
    assert "Autre / non classé" not in table.index  # theme -1 is never a driver
    assert table.loc["Livraison", "mentions"] == 4  # rows 0, 1, 3, 5
    assert table.loc["Livraison", "share"] == pytest.approx(4 / 9)  # 9 usable texts
    assert table.loc["Livraison", "negative_mentions"] == 2
    assert table.loc["Livraison", "negative_share"] == pytest.approx(0.5)
    assert table.loc["SAV", "negative_share"] == pytest.approx(1.0)
    assert table.loc["Prix", "negative_mentions"] == 0
    # net sentiment: Livraison neg, neg, pos, pos -> 0; SAV -> -100; Prix pos, neutral -> 50
    assert table.loc["Livraison", "net_sentiment"] == pytest.approx(0.0)
    assert table.loc["SAV", "net_sentiment"] == pytest.approx(-100.0)
    assert table.loc["Prix", "net_sentiment"] == pytest.approx(50.0)


def test_general_satisfaction_bucket_is_never_a_driver() -> None:
    # theme_id -2 holds units with no subject ("Très bien", "Parfait"): reported apart
    # from themes, never ranked as an irritant (issue 16).
    segments = _segments()
    segments.loc[segments["theme_id"] == -1, ["theme_id", "theme_label"]] = (-2, "Satisfaction générale")
    themes = _themes()
    themes.loc[themes["theme_id"] == -1, ["theme_id", "label"]] = (-2, "Satisfaction générale")
    table = drivers.priorities(_documents(), segments, themes, min_support=1,
                               ci_method="delta").set_index("label")
    assert "Satisfaction générale" not in table.index
    assert sorted(table.index) == ["Livraison", "Prix", "SAV"]


def test_nps_of_mentioners_and_impacts_by_hand() -> None:
    table = _table()
    # Livraison mentioners 0, 1, 3, 5: (-100 - 100 + 0 + 100) / 4 = -25;
    # non-mentioners 2, 4, 6, 7, 8: (-100 + 0 + 300) / 5 = 40; impact 11.11 - 40.
    assert table.loc["Livraison", "nps_mentioners"] == pytest.approx(-25.0)
    assert table.loc["Livraison", "nps_non_mentioners"] == pytest.approx(40.0)
    assert table.loc["Livraison", "nps_impact"] == pytest.approx(100 / 9 - 40)
    # negative mentioners 0, 1; the 7 others: (-100 + 0 + 0 + 400) / 7 = 42.857
    assert table.loc["Livraison", "negative_impact"] == pytest.approx(100 / 9 - 300 / 7)
    assert table.loc["SAV", "nps_impact"] == pytest.approx(100 / 9 - 300 / 7)
    # Prix: mentioners 5, 7 (NPS 100), others (-300 + 200) / 7: impact 11.11 + 14.29
    assert table.loc["Prix", "nps_impact"] == pytest.approx(100 / 9 + 100 / 7)
    assert table.loc["Prix", "negative_impact"] == pytest.approx(0.0)
    assert table.loc["Prix", "nps_mentioners"] == pytest.approx(100.0)


def test_mentioner_interval_is_the_dirichlet_posterior() -> None:
    table = _table()
    # Livraison mentioners: 1 promoter, 2 detractors, n = 4. Dirichlet(1, 1, 1) posterior:
    # p~ = 2/7, d~ = 3/7, centre -1/7, var = (p~ + d~ - (p~ - d~)^2) / 8.
    p, d = 2 / 7, 3 / 7
    half = 100 * 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 8)
    assert table.loc["Livraison", "nps_mentioners_ci_low"] == pytest.approx(max(-100, -100 / 7 - half))
    assert table.loc["Livraison", "nps_mentioners_ci_high"] == pytest.approx(-100 / 7 + half)


def test_delta_interval_of_impact_by_hand() -> None:
    table = _table()
    # SAV negative mentioners 0, 2 (both -100); the 7 others have mean 300/7 and mean
    # square 50000/7. Var = gap^2 s(1-s)/n + s^2 (var_in/n_in + var_out/n_out).
    s, n = 2 / 9, 9
    mean_out = 300 / 7
    var_out = (50000 / 7 - mean_out**2) / 7
    gap = -100 - mean_out
    se = math.sqrt(gap**2 * s * (1 - s) / n + s**2 * var_out)
    impact = 100 / 9 - mean_out
    assert table.loc["SAV", "negative_impact_ci_low"] == pytest.approx(impact - 1.959964 * se)
    assert table.loc["SAV", "negative_impact_ci_high"] == pytest.approx(impact + 1.959964 * se)


def test_priority_score_rank_and_quadrant() -> None:
    table = _table()
    # priority = max(0, -upper bound of negative_impact): Prix has no negative mention.
    expected = max(0.0, -table.loc["SAV", "negative_impact_ci_high"])
    assert table.loc["SAV", "priority_score"] == pytest.approx(expected)
    assert table.loc["Prix", "priority_score"] == 0.0
    assert table.loc["Prix", "rank"] == 3
    # severity = negative impact / share: Livraison -31.7 / (4/9) = -71.4, SAV -142.9, Prix 0.
    assert table.loc["Livraison", "severity"] == pytest.approx((100 / 9 - 300 / 7) * 9 / 4)
    # Medians over the 3 themes: share 2/9 (ties count as high volume) and severity -71.4
    # (Livraison: ties count as severe); Prix costs nothing.
    assert table.loc["Livraison", "quadrant"] == "fix first"
    assert table.loc["SAV", "quadrant"] == "fix first"
    assert table.loc["Prix", "quadrant"] == "strengths"  # positive impact
    assert drivers.quadrant_label("fix first") == "à corriger en priorité"
    assert list(table["rank"].sort_values()) == [1, 2, 3]


def test_low_support_is_flagged_and_ranked_last() -> None:
    table = _table(min_support=3)  # Livraison has 4 scored mentioners, SAV and Prix 2
    assert not table.loc["Livraison", "low_support"]
    assert table.loc["SAV", "low_support"] and table.loc["Prix", "low_support"]
    assert table.loc["SAV", "note"] == drivers.LOW_SUPPORT_NOTE
    assert table.loc["Livraison", "rank"] == 1  # SAV costs more but is not supported


def test_quadrants_watch_and_keep_on_small_themes() -> None:
    # Two more hand-made themes, each mentioned once: 4 by a detractor, 5 by a promoter.
    segments = pd.concat([_segments(), pd.DataFrame(
        {"row_id": [1, 8], "theme_id": [4, 5], "sentiment": ["negative", "positive"]})])
    themes = pd.concat([_themes(), pd.DataFrame({"theme_id": [4, 5], "label": ["Colis", "Site"]})])
    table = drivers.priorities(_documents(), segments, themes, min_support=1,
                               ci_method="delta").set_index("label")
    # shares 4/9, 2/9, 2/9, 1/9, 1/9: median 2/9; negative impact of Colis = 11.1 -
    # (0 - 100 + 300)/8 = -13.9, severity -125; Livraison -71.4, SAV -142.9, Prix and Site 0:
    # median -71.4. Colis is rare and severe, Site rare and costs nothing.
    assert table.loc["Colis", "nps_impact"] == pytest.approx(100 / 9 - 25)
    assert table.loc["Colis", "quadrant"] == "watch"
    assert table.loc["Site", "quadrant"] == "keep"
    assert table.loc["Livraison", "quadrant"] == "fix first"
    assert table.loc["Prix", "quadrant"] == "strengths"


def test_driver_model_recovers_exact_linear_effects() -> None:
    # Every combination of two theme-negative and one theme-positive indicator, 5 times.
    grid = np.array([(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)] * 5, dtype=bool)
    negative = grid[:, :2]
    positive = np.column_stack([grid[:, 2], np.zeros(len(grid), dtype=bool)])
    outcome = 50 - 30 * negative[:, 0] - 60 * negative[:, 1] + 20 * positive[:, 0]
    model = drivers.driver_model(outcome.astype(float), negative, positive)
    assert model["penalty"].tolist() == pytest.approx([30, 60])
    assert model.loc[0, "reward"] == pytest.approx(20)
    assert math.isnan(model.loc[1, "reward"])  # no variation: no estimate
    assert model.loc[0, "penalty_ci_high"] - model.loc[0, "penalty_ci_low"] == pytest.approx(0, abs=1e-6)


def test_driver_model_hc3_matches_the_two_group_formula() -> None:
    # One dummy regressor: HC3 variance = s1^2/(n1-1) + s0^2/(n0-1) (ddof=1 variances).
    rng = np.random.default_rng(0)
    negative = (np.arange(40) < 15)[:, None]
    outcome = rng.normal(size=40) * np.where(negative[:, 0], 3.0, 1.0) - 2.0 * negative[:, 0]
    model = drivers.driver_model(outcome, negative, None)
    inside, outside = outcome[negative[:, 0]], outcome[~negative[:, 0]]
    se = math.sqrt(inside.var(ddof=1) / 14 + outside.var(ddof=1) / 24)
    assert model.loc[0, "penalty"] == pytest.approx(outside.mean() - inside.mean())
    assert model.loc[0, "penalty_ci_high"] - model.loc[0, "penalty"] == pytest.approx(1.959964 * se)


def test_theme_by_nps_by_hand() -> None:
    table = drivers.theme_by_nps(_documents(), _segments(), _themes())
    sav = table[table["label"] == "SAV"].set_index("nps_class")
    assert sav.loc["detractor", "class_documents"] == 3
    assert sav.loc["detractor", "mentions"] == 2
    assert sav.loc["detractor", "share"] == pytest.approx(2 / 3)
    assert sav.loc["detractor", "base_share"] == pytest.approx(2 / 9)
    assert sav.loc["detractor", "lift"] == pytest.approx(3.0)
    assert sav.loc["detractor", "share_of_mentions"] == pytest.approx(1.0)
    assert sav["share_of_mentions"].sum() == pytest.approx(1.0)
    # Fisher exact on [[2, 1], [0, 6]]: P(X=2) = C(3,2)/C(9,2) = 3/36, the only table as
    # extreme, so p = 1/12.
    assert sav.loc["detractor", "p_value"] == pytest.approx(1 / 12)
    expected_q = stats.false_discovery_control(table["p_value"].to_numpy())
    np.testing.assert_allclose(table["q_value"], expected_q)
    assert not table["significant"].any()  # 9 rows: nothing survives at q < 0.05
    livraison = table[table["label"] == "Livraison"].set_index("nps_class")
    assert livraison.loc["detractor", "net_sentiment"] == pytest.approx(-100)
    assert livraison.loc["promoter", "net_sentiment"] == pytest.approx(100)
    assert livraison.loc["detractor", "theme_net_sentiment"] == pytest.approx(0)
    assert set(table["theme_id"]) == {1, 2, 3}


def test_two_proportion_test_by_hand() -> None:
    change, low, high, p_value = drivers.two_proportion_test(10, 100, 25, 100)
    pooled = 35 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * 0.02)
    assert change == pytest.approx(15.0)
    assert p_value == pytest.approx(2 * stats.norm.sf(z))
    assert high - change == pytest.approx(100 * 1.959964 * math.sqrt(0.09 / 100 + 0.1875 / 100))
    assert drivers.two_proportion_test(0, 0, 1, 10)[3] != drivers.two_proportion_test(0, 0, 1, 10)[3]
    # few mentions (expected count 200 * 4/277 < 5): Fisher's exact test, not the z-test
    small = drivers.two_proportion_test(0, 197, 4, 80)
    assert small[3] == pytest.approx(stats.fisher_exact([[0, 197], [4, 76]])[1])


def _dated() -> tuple[pd.DataFrame, pd.DataFrame]:
    documents = _documents()
    documents["date"] = pd.to_datetime(["2024-01-05"] * 5 + ["2024-02-10"] * 5)
    return documents, _segments()


def test_choose_period_from_span() -> None:
    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-03-01"]))
    assert drivers.choose_period(days) == "week"
    assert drivers.choose_period(pd.Series(pd.to_datetime(["2021-01-01", "2021-12-31"]))) == "month"
    assert drivers.choose_period(pd.Series(pd.to_datetime(["2016-01-01", "2021-12-31"]))) == "quarter"


def test_trends_by_hand() -> None:
    documents, segments = _dated()
    table = drivers.trends(documents, segments, _themes(), period="month")
    nps = table[table["metric"] == "nps"].set_index("period")
    # January rows 0-4: 3 detractors, 2 passives -> -60; February 5-9: 4 promoters and the
    # (text-less) detractor row 9 -> 60: period NPS counts every scored row.
    assert nps.loc["2024-01", "value"] == pytest.approx(-60)
    assert nps.loc["2024-02", "value"] == pytest.approx(60)
    share = table[(table["metric"] == "share") & (table["label"] == "Livraison")].set_index("period")
    assert share.loc["2024-01", "count"] == 3 and share.loc["2024-01", "n"] == 5
    assert share.loc["2024-02", "value"] == pytest.approx(25.0)  # 1 of 4 usable texts
    low, high = drivers.scores_mod.wilson_interval(1, 4)
    assert share.loc["2024-02", "ci_low"] == pytest.approx(100 * low)
    assert share.loc["2024-02", "ci_high"] == pytest.approx(100 * high)


def test_emerging_flags_a_significant_rise() -> None:
    trend = pd.DataFrame({
        "period": ["2024-01", "2024-02", "2024-01", "2024-02"],
        "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
        "metric": ["negative_share"] * 4, "theme_id": [1, 1, 2, 2],
        "label": ["Livraison", "Livraison", "SAV", "SAV"],
        "n": [200, 200, 200, 200], "count": [10, 40, 0, 15],
        "value": [5.0, 20.0, 0.0, 7.5],
    })
    table = drivers.emerging(trend, min_support=30).set_index("label")
    np.testing.assert_allclose(table["q_value"],
                               stats.false_discovery_control(table["p_value"].to_numpy()))
    assert table.loc["SAV", "status"] == "emerging"
    assert table.loc["Livraison", "status"] == "growing"
    assert table.loc["Livraison", "change"] == pytest.approx(15.0)
    flat = trend.assign(count=[10, 11, 5, 5])
    assert set(drivers.emerging(flat)["status"]) == {"stable"}


def test_cuts_apply_min_support() -> None:
    config = AnalysisConfig(drivers=DriverConfig(min_support=4, ci_method="delta"))
    table = drivers.cuts(_documents(), _segments(), _themes(), config)
    # VIP: rows 0-4 (5 scored texts) kept; nouveaux: rows 5-8 (4) kept, row 9 has no text.
    assert set(table["value"]) == {"VIP", "nouveaux"}
    vip = table[table["value"] == "VIP"].set_index("label")
    # VIP rows: v = -100, -100, -100, 0, 0 (NPS -60); Livraison mentioners 0, 1, 3
    assert vip.loc["Livraison", "nps_mentioners"] == pytest.approx(-200 / 3)
    assert vip.loc["Livraison", "nps_impact"] == pytest.approx(-60 - (-50))
    by_class = drivers.theme_by_nps_cuts(_documents(), _segments(), _themes(), config)
    vip_sav = by_class[(by_class["value"] == "VIP") & (by_class["label"] == "SAV")]
    # VIP detractors are rows 0-2; SAV is mentioned by 0 and 2
    assert vip_sav.set_index("nps_class").loc["detractor", "share"] == pytest.approx(2 / 3)
    strict = AnalysisConfig(drivers=DriverConfig(min_support=5, ci_method="delta"))
    assert set(drivers.cuts(_documents(), _segments(), _themes(), strict)["value"]) == {"VIP"}


def test_compare_periods_by_hand() -> None:
    documents, segments = _dated()
    analysis = FeedbackAnalysis(documents=documents, segments=segments, themes=_themes())
    config = AnalysisConfig(drivers=DriverConfig(min_support=1, ci_method="delta"))
    result = drivers.compare_periods(analysis, "2024-01-01:2024-01-31", ("2024-02-01", "2024-02-29"),
                                     config)
    overall = result.overall.set_index("period")
    assert overall.loc["before", "nps"] == pytest.approx(-60)
    assert overall.loc["after", "nps"] == pytest.approx(60)
    assert overall.loc["change", "nps"] == pytest.approx(120)
    se = math.hypot(overall.loc["before", "std_error"], overall.loc["after", "std_error"])
    assert overall.loc["change", "ci_high"] == pytest.approx(120 + 1.959964 * se)
    themes = result.themes.set_index("label")
    assert themes.loc["Livraison", "share_before"] == pytest.approx(60.0)  # 3 of 5
    assert themes.loc["Livraison", "share_after"] == pytest.approx(25.0)  # 1 of 4
    assert "Évolution du NPS" in result.summary()
    with pytest.raises(ConfigError, match="No row dated"):
        drivers.compare_periods(analysis, "2023-01-01:2023-01-31", "2024-02-01:2024-02-29")
    with pytest.raises(ConfigError, match="START:END"):
        drivers.parse_date_range("2024-01-01")


def test_bootstrap_is_seeded_and_close_to_delta() -> None:
    rng = np.random.default_rng(3)
    values = rng.choice([-100.0, 0.0, 100.0], size=2000, p=[0.3, 0.3, 0.4])
    mask = np.column_stack([rng.random(2000) < 0.2, rng.random(2000) < 0.5])
    values[mask[:, 0]] = np.where(rng.random(int(mask[:, 0].sum())) < 0.6, -100.0, 0.0)
    delta = drivers.impact_delta(values, mask)
    boot = drivers.impact_bootstrap(values, mask, n_bootstrap=400, seed=1)
    again = drivers.impact_bootstrap(values, mask, n_bootstrap=400, seed=1)
    np.testing.assert_array_equal(boot[1], again[1])
    np.testing.assert_allclose(boot[0], delta[0])
    np.testing.assert_allclose(boot[3], delta[3], rtol=0.15)  # standard errors agree


def test_stars_proxy_adds_csat_impact_and_labels() -> None:
    documents = _documents()
    documents["score"] = [1.0, 2.0, 3.0, 4.0, 4.0, 5.0, 5.0, 5.0, 5.0, 1.0]
    config = AnalysisConfig(score_scale="stars",
                            drivers=DriverConfig(min_support=1, ci_method="delta"))
    analysis = FeedbackAnalysis(documents=documents, segments=_segments(), themes=_themes())
    analysis = drivers.annotate(analysis, config)
    table = analysis.priorities.set_index("label")
    assert table["is_proxy"].all()
    # CSAT (4-5 stars) of Livraison mentioners 0, 1, 3, 5: 2 of 4; the others 2, 4, 6, 7, 8:
    # 4 of 5; all 9: 6 of 9.
    assert table.loc["Livraison", "csat_mentioners"] == pytest.approx(50.0)
    assert table.loc["Livraison", "csat_impact"] == pytest.approx(600 / 9 - 80)
    assert analysis.theme_by_nps["is_proxy"].all()
    assert "cuts" in analysis.tables


def test_without_sentiment_or_themes() -> None:
    segments = _segments().drop(columns="sentiment")
    table = drivers.priorities(_documents(), segments, _themes(), min_support=1).set_index("label")
    assert table["negative_impact"].isna().all()
    assert table.loc["Livraison", "nps_impact"] == pytest.approx(100 / 9 - 40)
    assert table.loc["Livraison", "priority_score"] >= 0
    empty = drivers.priorities(_documents(), _segments().iloc[0:0], pd.DataFrame())
    assert empty.empty and "nps_impact" in empty.columns


def test_documents_theme_ids_fallback() -> None:
    documents = _documents()
    documents["theme_ids"] = [[1, 2], [1], [2], [1], [], [1, 3], [-1], [3], [], []]
    table = drivers.priorities(documents, pd.DataFrame(), _themes(), min_support=1,
                               ci_method="delta").set_index("label")
    assert table.loc["Livraison", "nps_impact"] == pytest.approx(100 / 9 - 40)


def test_inputs_are_not_mutated() -> None:
    documents, segments, themes = _documents(), _segments(), _themes()
    before = documents.copy(), segments.copy(), themes.copy()
    table = drivers.priorities(documents, segments, themes, min_support=1, n_bootstrap=50,
                               ci_method="bootstrap")
    assert (table["nps_impact_ci_low"] <= table["nps_impact"]).all()
    drivers.theme_by_nps(documents, segments, themes)
    for original, after in zip(before, (documents, segments, themes)):
        pd.testing.assert_frame_equal(original, after)


def test_bad_options_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="ci_method"):
        DriverConfig(ci_method="magic")
    with pytest.raises(ConfigError, match="Unknown driver option"):
        drivers.priorities(_documents(), _segments(), _themes(), min_suport=3)
    with pytest.raises(ConfigError, match="period"):
        AnalysisConfig().replace(drivers={"period": "day"})


@pytest.mark.slow
def test_analyze_fills_driver_tables_on_the_sample(sample_csv: object) -> None:
    import feedback_nlp

    result = feedback_nlp.analyze(sample_csv, text="avis", score="note", date="date",
                                  segment="produit", score_scale="stars", sentiment=False,
                                  themes={"enabled": False})
    nps = result.trends[result.trends["metric"] == "nps"]
    months = result.documents["date"].dropna().dt.to_period("M").nunique()
    assert nps["granularity"].iloc[0] == "month" and len(nps) == months  # the 2021 sample
    assert nps["n"].sum() == result.documents["date"].notna().sum()
    assert (result.trends["metric"] == "csat").any()  # star ratings: CSAT trend too
    assert nps["is_proxy"].all()
    assert result.priorities.empty  # no themes: nothing to rank, nothing invented


def test_driver_tables_survive_save_and_load(tmp_path: object) -> None:
    documents, segments = _dated()
    config = AnalysisConfig(drivers=DriverConfig(min_support=1))
    analysis = drivers.annotate(
        FeedbackAnalysis(documents=documents, segments=segments, themes=_themes()), config)
    assert {"cuts", "emerging"} <= set(analysis.tables)
    loaded = FeedbackAnalysis.load(analysis.save(tmp_path, csv=False))
    pd.testing.assert_frame_equal(loaded.priorities, analysis.priorities, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.trends, analysis.trends, check_dtype=False)
    assert loaded.trends["theme_id"].dropna().tolist() == analysis.trends["theme_id"].dropna().tolist()
    pd.testing.assert_frame_equal(loaded.tables["emerging"], analysis.tables["emerging"],
                                  check_dtype=False)


def test_no_valid_score_gives_no_impact_and_no_quadrant() -> None:
    documents = _documents().assign(nps_class=None, score=np.nan)
    table = drivers.priorities(documents, _segments(), _themes(), min_support=1)
    assert table["nps_impact"].isna().all() and table["quadrant"].isna().all()
    assert table["low_support"].all() and (table["mentions"] > 0).all()
    assert (table["priority_score"] == 0).all()


def test_annotate_returns_a_new_result_and_leaves_its_input_untouched() -> None:
    documents, segments = _dated()
    config = AnalysisConfig(drivers=DriverConfig(min_support=1, ci_method="delta"))
    original = FeedbackAnalysis(documents=documents, segments=segments, themes=_themes(),
                                tables={"kept": pd.DataFrame({"a": [1]})})
    snapshot = (documents.copy(), segments.copy(), dict(original.tables))
    result = drivers.annotate(original, config)
    assert result is not original and result.tables is not original.tables
    assert original.priorities.empty and original.theme_by_nps.empty and original.trends.empty
    assert set(original.tables) == {"kept"}
    pd.testing.assert_frame_equal(original.documents, snapshot[0])
    pd.testing.assert_frame_equal(original.segments, snapshot[1])
    assert not result.priorities.empty and not result.trends.empty
    assert {"kept", "cuts", "emerging"} <= set(result.tables)
    assert result.documents is original.documents  # shared, not copied: nothing wrote to it


def test_codes_are_turned_into_text_by_the_report_catalogue() -> None:
    table = _table()
    assert set(table["quadrant"].dropna()) <= set(drivers.QUADRANTS)
    english = drivers.priorities(_documents(), _segments(), _themes(), min_support=5,
                                 ci_method="delta", lang="en").set_index("label")
    assert english.loc["SAV", "note"] == "watch — too few verbatims"
    assert english.loc["SAV", "quadrant_label"] == english.loc["SAV", "quadrant"]
    documents, segments = _dated()
    analysis = FeedbackAnalysis(documents=documents, segments=segments, themes=_themes())
    config = AnalysisConfig(drivers=DriverConfig(min_support=1, ci_method="delta"))
    comparison = drivers.compare_periods(analysis, "2024-01-01:2024-01-31",
                                         "2024-02-01:2024-02-29", config)
    assert "NPS change" in comparison.summary(lang="en")
    assert "Évolution du NPS" in comparison.summary()


def test_theme_by_nps_flags_small_themes() -> None:
    # Scored mentioners with text: Livraison 4 (rows 0, 1, 3, 5), SAV 2, Prix 2.
    table = drivers.theme_by_nps(_documents(), _segments(), _themes(), min_support=3)
    flags = table.groupby("label")["low_support"].first()
    assert flags.to_dict() == {"Livraison": False, "Prix": True, "SAV": True}
