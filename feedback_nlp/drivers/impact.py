"""Impact of a theme on the NPS and its interval; the multi-theme driver model.

- ``nps_impact = NPS(all) − NPS(non-mentioners)`` (Thematic / Kapiche). With ``s`` the
  mentioner share, ``nps_impact = s × (NPS(mentioners) − NPS(non-mentioners))``: volume
  times gap. ``negative_impact`` is the same with negative mentioners.
- Intervals of impacts: seeded Poisson bootstrap (percentile) or the delta method
  ``Var = gap² s(1−s)/n + s² (Var(v|m)/n_m + Var(v|¬m)/n_¬m)``.
- Driver model: least squares of ``v`` (or the score, or the detractor flag) on the
  theme-negative and theme-positive indicators of every theme at once plus
  ``log(1 + opinion units)`` (long reviews mention more themes and are more negative),
  HC3 robust standard errors; ``penalty = −coef(negative)``, ``reward = coef(positive)``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from feedback_nlp import scores as scores_mod
from feedback_nlp.config import DriverConfig
from feedback_nlp.drivers.mentions import nps_values


def z_value(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def impact_delta(values: np.ndarray, mask: np.ndarray, *, z: float = scores_mod.Z95
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Impact ``mean(all) − mean(outside mask)`` per column, delta-method interval.

    Parameters
    ----------
    values
        Per-document outcome in points (``v`` = ±100/0 for NPS, 0/100 for CSAT).
    mask
        Boolean ``(n, k)``: document ``i`` is in group ``j`` (mentions theme ``j``).

    Returns
    -------
    impact, ci_low, ci_high, std_error
        Arrays of length ``k`` (NaN where a group or its complement is empty).
    """
    n = len(values)
    if n == 0:
        empty = np.full(mask.shape[1], np.nan)
        return empty, empty.copy(), empty.copy(), empty.copy()
    inside = mask.sum(axis=0).astype(float)
    outside = n - inside
    x = mask.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = values @ x / inside
        mean_out = values @ (1 - x) / outside
        sq_in = (values**2) @ x / inside
        sq_out = (values**2) @ (1 - x) / outside
        var_in = np.maximum(sq_in - mean_in**2, 0) / inside
        var_out = np.maximum(sq_out - mean_out**2, 0) / outside
        share = inside / n
        gap = mean_in - mean_out
        impact = share * gap
        variance = gap**2 * share * (1 - share) / n + share**2 * (var_in + var_out)
    se = np.sqrt(variance)
    # No document in the group: the impact is 0 by definition, but nothing is known about
    # it, so no interval (a [0 ; 0] interval would read as certainty).
    impact = np.where((inside > 0) & (outside > 0), impact, np.where(inside == 0, 0.0, np.nan))
    se = np.where((inside > 0) & (outside > 0), se, np.nan)
    return impact, impact - z * se, impact + z * se, se


def impact_bootstrap(values: np.ndarray, mask: np.ndarray, *, n_bootstrap: int = 500,
                     confidence: float = 0.95, seed: int = 42, chunk: int = 50
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Same as :func:`impact_delta` with a seeded Poisson bootstrap (percentile interval).

    Poisson(1) weights per document approximate multinomial resampling and let all themes
    share the same replicates; memory stays at ``chunk × n`` weights.
    """
    n, k = mask.shape
    impact, _, _, _ = impact_delta(values, mask)
    if n == 0:
        return impact, impact.copy(), impact.copy(), impact.copy()
    rng = np.random.default_rng(seed)
    outside = (~mask).astype(np.float64)
    weighted_out = outside * values[:, None]
    replicates = np.empty((n_bootstrap, k))
    done = 0
    while done < n_bootstrap:
        size = min(chunk, n_bootstrap - done)
        weights = rng.poisson(1.0, size=(size, n)).astype(np.float64)
        total = weights.sum(axis=1)
        mean_all = weights @ values / total
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_out = (weights @ weighted_out) / (weights @ outside)
        replicates[done:done + size] = mean_all[:, None] - mean_out
        done += size
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        low = np.nanquantile(replicates, alpha / 2, axis=0)
        high = np.nanquantile(replicates, 1 - alpha / 2, axis=0)
        se = np.nanstd(replicates, axis=0, ddof=1)
    no_mention = mask.sum(axis=0) == 0
    low, high, se = (np.where(no_mention, np.nan, a) for a in (low, high, se))
    return impact, low, high, se


def impact_with(values: np.ndarray, mask: np.ndarray, config: DriverConfig, seed: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if config.ci_method == "delta":
        return impact_delta(values, mask, z=z_value(config.confidence))
    return impact_bootstrap(values, mask, n_bootstrap=config.n_bootstrap,
                            confidence=config.confidence, seed=seed)


# --------------------------------------------------------------------------- driver model


def driver_model(outcome: np.ndarray, negative: np.ndarray, positive: np.ndarray | None, *,
                 controls: np.ndarray | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Least squares of ``outcome`` on theme-negative / theme-positive indicators.

    All themes enter one model, so a document mentioning two irritants is not counted
    twice. ``controls`` (e.g. ``log(1 + number of opinion units)``) enter the model too:
    long reviews mention more themes *and* are more negative, and without this control
    every theme would inherit part of that length effect. Standard errors are
    heteroskedasticity-robust (HC3); indicators with no variation get NaN.

    Returns
    -------
    DataFrame
        One row per theme column: ``penalty`` (= −coefficient of the negative indicator,
        points lost when the theme is mentioned negatively), ``reward`` (coefficient of
        the positive indicator) and their intervals.
    """
    n, k = negative.shape
    blocks = [negative] + ([positive] if positive is not None else [])
    extra = [] if controls is None or n == 0 else [np.asarray(controls, dtype=float).reshape(n, -1)]
    design = np.column_stack([np.ones(n)] + [b.astype(float) for b in blocks] + extra)
    varying = np.r_[True, design[:, 1:].std(axis=0) > 0] if n else np.zeros(design.shape[1], bool)
    x = design[:, varying]
    coef = np.full(design.shape[1], np.nan)
    se = np.full(design.shape[1], np.nan)
    if n > x.shape[1]:
        xtx_inv = np.linalg.pinv(x.T @ x)
        beta = xtx_inv @ x.T @ outcome
        resid = outcome - x @ beta
        leverage = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
        scale = resid**2 / np.maximum(1 - leverage, 1e-8) ** 2
        meat = (x * scale[:, None]).T @ x
        cov = xtx_inv @ meat @ xtx_inv
        coef[varying] = beta
        se[varying] = np.sqrt(np.maximum(np.diag(cov), 0))
    z = z_value(confidence)
    neg_coef, neg_se = coef[1:k + 1], se[1:k + 1]
    out = pd.DataFrame({"penalty": -neg_coef, "penalty_ci_low": -neg_coef - z * neg_se,
                        "penalty_ci_high": -neg_coef + z * neg_se})
    if positive is not None:
        pos_coef, pos_se = coef[k + 1:2 * k + 1], se[k + 1:2 * k + 1]
        out["reward"] = pos_coef
        out["reward_ci_low"] = pos_coef - z * pos_se
        out["reward_ci_high"] = pos_coef + z * pos_se
    else:
        out["reward"] = out["reward_ci_low"] = out["reward_ci_high"] = np.nan
    return out


def length_control(documents: pd.DataFrame, segments: pd.DataFrame) -> np.ndarray | None:
    """``log(1 + opinion units)`` per document (None when segments say nothing)."""
    if segments is None or segments.empty or "row_id" not in segments.columns:
        return None
    key = "segment_id" if "segment_id" in segments.columns else None
    units = (segments.groupby("row_id")[key].nunique() if key
             else segments.groupby("row_id").size())
    counts = documents["row_id"].map(units).fillna(0).to_numpy(dtype=float)
    return np.log1p(counts)


def outcome_values(documents: pd.DataFrame, target: str) -> np.ndarray:
    if target == "score":
        return documents["score"].astype(float).to_numpy()
    if target == "detractor":
        return 100.0 * (documents["nps_class"] == "detractor").to_numpy(dtype=float)
    return nps_values(documents["nps_class"])


# --------------------------------------------------------------------------- tests


def two_proportion_test(x1: float, n1: float, x2: float, n2: float, *,
                        z: float = scores_mod.Z95) -> tuple[float, float, float, float]:
    """Change ``p2 − p1`` in points with a Wald interval and a two-sided p-value.

    The p-value is the pooled z-test's, or Fisher's exact test's when an expected cell
    count is under 5 (few mentions: the z-test would cry wolf).

    >>> [round(v, 3) for v in two_proportion_test(10, 100, 25, 100)]
    [15.0, 4.675, 25.325, 0.005]
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    diff = p2 - p1
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if min(n1, n2) * min(pooled, 1 - pooled) < 5:
        table = [[int(round(x1)), int(round(n1 - x1))], [int(round(x2)), int(round(n2 - x2))]]
        p_value = float(stats.fisher_exact(table)[1])
    else:
        p_value = 1.0 if se0 == 0 else float(2 * stats.norm.sf(abs(diff) / se0))
    return 100 * diff, 100 * (diff - z * se), 100 * (diff + z * se), p_value
