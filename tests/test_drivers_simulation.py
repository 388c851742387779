"""SIMULATED data: planted irritant effects, ranking recovery and interval coverage.

Nothing here is customer data. Each simulated respondent mentions theme ``k`` with
probability ``MENTION[k]`` (independently), negatively with probability ``NEGATIVE[k]``
(else positively). Their latent satisfaction is ``BASE - sum(penalties of negative
mentions) + sum(rewards of positive mentions) + N(0, SIGMA²)``, rounded and clipped to
0-10. Because the model is fully specified, the true NPS of mentioners, the true impact
and the true negative impact are computed exactly by enumerating the 3^5 mention states.

Themes 0, 1 and 3 are planted irritants; 2 and 4 are decoys (theme 4 is often mentioned
negatively but costs nothing; theme 2 only has a reward).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from feedback_nlp import drivers

MENTION = np.array([0.30, 0.15, 0.25, 0.06, 0.20])
NEGATIVE = np.array([0.70, 0.80, 0.20, 0.90, 0.50])
PENALTY = np.array([3.0, 2.5, 0.0, 3.0, 0.0])
REWARD = np.array([0.5, 0.0, 1.0, 0.0, 0.0])
BASE, SIGMA = 8.6, 1.6
THEMES = pd.DataFrame({"theme_id": range(5), "label": [f"thème {k}" for k in range(5)]})


def _class_probabilities(mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # round(x) >= 9 <=> x >= 8.5; round(x) <= 6 <=> x < 6.5 (clipping does not change it)
    promoter = stats.norm.sf((8.5 - mu) / SIGMA)
    detractor = stats.norm.cdf((6.5 - mu) / SIGMA)
    return promoter, detractor


def _truth() -> pd.DataFrame:
    """Exact population values by enumeration (state 0 none, 1 negative, 2 positive)."""
    states = np.array(list(itertools.product((0, 1, 2), repeat=5)))
    weight = np.prod(np.where(states == 0, 1 - MENTION,
                              np.where(states == 1, MENTION * NEGATIVE,
                                       MENTION * (1 - NEGATIVE))), axis=1)
    mu = BASE - (states == 1) @ PENALTY + (states == 2) @ REWARD
    promoter, detractor = _class_probabilities(mu)
    nps_state = 100 * (promoter - detractor)
    nps_all = weight @ nps_state
    rows = []
    for k in range(5):
        none, mentioned, negative = states[:, k] == 0, states[:, k] > 0, states[:, k] == 1
        nps_none = weight[none] @ nps_state[none] / weight[none].sum()
        not_negative = ~negative
        rows.append({
            "theme_id": k,
            "nps_mentioners": weight[mentioned] @ nps_state[mentioned] / weight[mentioned].sum(),
            "nps_impact": nps_all - nps_none,
            "negative_impact": nps_all - weight[not_negative] @ nps_state[not_negative]
            / weight[not_negative].sum(),
        })
    return pd.DataFrame(rows).set_index("theme_id")


def _simulate_arrays(n: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores (0-10), mention and negative-mention matrices."""
    mentioned = rng.random((n, 5)) < MENTION
    negative = mentioned & (rng.random((n, 5)) < NEGATIVE)
    positive = mentioned & ~negative
    latent = BASE - negative @ PENALTY + positive @ REWARD + rng.normal(0, SIGMA, n)
    return np.clip(np.round(latent), 0, 10), mentioned, negative


def _simulate(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    score, mentioned, negative = _simulate_arrays(n, rng)
    documents = pd.DataFrame({"row_id": np.arange(n), "text_status": "ok", "score": score,
                              "nps_class": drivers.scores_mod.nps_class(pd.Series(score))})
    rows, cols = np.nonzero(mentioned)
    segments = pd.DataFrame({"row_id": rows, "theme_id": cols,
                             "sentiment": np.where(negative[rows, cols], "negative", "positive")})
    # Opinion units about nothing in the code frame (theme -1), unrelated to satisfaction.
    other = np.repeat(np.arange(n), rng.poisson(1.5, n))
    segments = pd.concat([segments, pd.DataFrame({"row_id": other, "theme_id": -1,
                                                  "sentiment": "neutral"})], ignore_index=True)
    segments["segment_id"] = np.arange(len(segments))
    return documents, segments


def test_simulated_truth_is_sensible() -> None:
    truth = _truth()
    assert truth.loc[0, "negative_impact"] < truth.loc[1, "negative_impact"] < -1
    assert truth.loc[4, "negative_impact"] == pytest.approx(0, abs=1e-9)  # decoy: no effect
    # theme 2's negative mentions cost nothing, but removing them leaves its rewarded
    # positive mentioners in the comparison group: a small true negative impact remains.
    assert -1 < truth.loc[2, "negative_impact"] < 0


@pytest.mark.slow
def test_simulated_ranking_recovers_planted_irritants() -> None:
    truth = _truth()
    planted = list(truth["negative_impact"].sort_values().index[:2])  # the two costliest
    rng = np.random.default_rng(2024)
    hits, decoys_low = 0, 0
    repetitions = 25
    for _ in range(repetitions):
        documents, segments = _simulate(3000, rng)
        table = drivers.priorities(documents, segments, THEMES, min_support=30,
                                   ci_method="delta")
        top = table.sort_values("rank")["theme_id"].tolist()
        hits += top[:2] == planted
        ranks = table.set_index("theme_id")["rank"]
        decoys_low += min(ranks[2], ranks[4]) > max(ranks[0], ranks[1], ranks[3])
    assert hits / repetitions >= 0.9
    assert decoys_low / repetitions >= 0.9


@pytest.mark.slow
def test_simulated_driver_model_separates_planted_from_decoys() -> None:
    documents, segments = _simulate(6000, np.random.default_rng(7))
    table = drivers.priorities(documents, segments, THEMES, min_support=30,
                               ci_method="delta").set_index("theme_id")
    for k in (0, 1, 3):  # planted: penalty clearly above zero
        assert table.loc[k, "penalty_ci_low"] > 5
    for k in (2, 4):  # decoys: the true penalty is exactly 0 (independent indicators)
        assert table.loc[k, "penalty_ci_low"] < 0 < table.loc[k, "penalty_ci_high"]


def _coverage(method: str, repetitions: int, n: int, seed: int) -> dict[str, float]:
    """Share of intervals covering the truth, calling the interval functions that
    :func:`drivers.priorities` uses (its wiring is checked by hand in test_drivers)."""
    truth = _truth()
    rng = np.random.default_rng(seed)
    covered = {"nps_mentioners": 0, "nps_impact": 0, "negative_impact": 0}
    for r in range(repetitions):
        score, mentioned, negative = _simulate_arrays(n, rng)
        values = np.where(score >= 9, 100.0, np.where(score <= 6, -100.0, 0.0))
        both = np.hstack([mentioned, negative])  # one set of replicates for both impacts
        if method == "delta":
            _, low, high, _ = drivers.impact_delta(values, both)
        else:
            _, low, high, _ = drivers.impact_bootstrap(values, both, n_bootstrap=200, seed=r)
        for name, part in (("nps_impact", slice(0, 5)), ("negative_impact", slice(5, 10))):
            true = truth[name].to_numpy()
            covered[name] += int(((low[part] <= true) & (true <= high[part])).sum())
        for k in range(5):
            group = values[mentioned[:, k]]
            result = drivers._nps_of(group, False, 1.959963984540054)
            covered["nps_mentioners"] += int(
                result.ci_low <= truth.loc[k, "nps_mentioners"] <= result.ci_high)
    return {name: count / (repetitions * 5) for name, count in covered.items()}


@pytest.mark.slow
def test_simulated_delta_intervals_cover_about_95_percent() -> None:
    coverage = _coverage("delta", repetitions=300, n=2000, seed=11)
    # 1,500 intervals per quantity: a true 95% coverage lands in [0.934, 0.966] 99% of
    # the time; the decoy themes' negative impact is 0 by construction.
    for name, value in coverage.items():
        assert 0.93 <= value <= 0.97, (name, value)


@pytest.mark.slow
def test_simulated_bootstrap_intervals_cover_about_95_percent() -> None:
    coverage = _coverage("bootstrap", repetitions=60, n=2000, seed=12)
    for name in ("nps_impact", "negative_impact"):  # 300 intervals each
        assert 0.92 <= coverage[name] <= 0.98, (name, coverage[name])


def _verbose_unhappy(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SIMULATED: unhappy customers write more opinion units; each unit gets one of four
    decoy themes at random (40%) with a random polarity. No theme has any effect."""
    score = np.clip(np.round(rng.normal(7.5, 2.2, n)), 0, 10)
    units = 1 + rng.poisson(np.where(score <= 6, 4.0, 1.5))
    rows = np.repeat(np.arange(n), units)
    documents = pd.DataFrame({"row_id": np.arange(n), "text_status": "ok", "score": score,
                              "nps_class": drivers.scores_mod.nps_class(pd.Series(score))})
    segments = pd.DataFrame({
        "row_id": rows, "segment_id": np.arange(len(rows)),
        "theme_id": np.where(rng.random(len(rows)) < 0.4, rng.integers(0, 4, len(rows)), -1),
        "sentiment": rng.choice(["negative", "positive"], len(rows)),
    })
    return documents, segments


@pytest.mark.slow
def test_simulated_length_control_removes_most_verbosity_bias() -> None:
    themes = pd.DataFrame({"theme_id": range(4), "label": list("abcd")})
    with_control, without_control = [], []
    for seed in range(3):
        documents, segments = _verbose_unhappy(3000, np.random.default_rng(seed))
        table = drivers.priorities(documents, segments, themes, min_support=30)
        with_control.extend(table["penalty"])
        found = drivers.theme_mentions(documents, segments, list(range(4)))
        bare = drivers.driver_model(drivers.nps_values(documents["nps_class"]), found.negative,
                                    found.positive)
        without_control.extend(bare["penalty"])
        assert (bare["penalty_ci_low"] > 0).all()  # the bias without the control
    assert abs(np.mean(with_control)) < np.mean(without_control) / 3
