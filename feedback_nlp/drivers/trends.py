"""Trends per period (NPS, CSAT, theme shares) and emerging irritants (last vs previous)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from feedback_nlp import scores as scores_mod
from feedback_nlp.drivers.impact import two_proportion_test, z_value
from feedback_nlp.drivers.mentions import theme_catalogue, theme_mentions

_PERIOD_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q"}


def choose_period(dates: pd.Series) -> str:
    """Granularity of trends from the data span: ≤ 16 weeks → week, ≤ 3 years → month,
    else quarter."""
    valid = pd.to_datetime(dates, errors="coerce").dropna()
    if valid.empty:
        return "month"
    span = (valid.max() - valid.min()).days
    if span <= 16 * 7:
        return "week"
    if span <= 3 * 366:
        return "month"
    return "quarter"


def _periods(dates: pd.Series, period: str) -> pd.Series:
    values = pd.to_datetime(dates, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.to_period(_PERIOD_FREQ[period])


def trends(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame, *,
           period: str | None = None, is_proxy: bool = False, confidence: float = 0.95,
           csat: bool = False) -> pd.DataFrame:
    """NPS and theme shares per period, with intervals (long format).

    Returns one row per period × metric: ``metric`` is ``nps`` (scored documents,
    analytic interval), ``csat`` (star ratings: % of 4-5, Wilson interval), ``share``
    (documents with a usable text mentioning the theme, Wilson interval) or
    ``negative_share`` (documents mentioning it negatively). Columns: ``period``,
    ``period_start``, ``granularity``, ``metric``, ``theme_id``, ``label``, ``n``,
    ``count``, ``value``, ``ci_low``, ``ci_high``, ``is_proxy``. Documents without a
    date are left out. Values are in points (%, NPS points).
    """
    columns = ["period", "period_start", "granularity", "metric", "theme_id", "label", "n",
               "count", "value", "ci_low", "ci_high", "is_proxy"]
    if "date" not in documents.columns or documents["date"].notna().sum() == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    period = period or choose_period(documents["date"])
    z = z_value(confidence)
    dated = documents[documents["date"].notna()]
    keys = _periods(dated["date"], period)
    catalogue = theme_catalogue(themes, segments)
    theme_ids = catalogue["theme_id"].tolist()
    usable = dated["text_status"] == "ok" if "text_status" in dated.columns else \
        pd.Series(True, index=dated.index)
    found = theme_mentions(dated, segments, theme_ids) if theme_ids else None
    rows = []
    for key in sorted(keys.dropna().unique()):
        in_period = (keys == key).to_numpy()
        base = {"period": str(key), "period_start": key.start_time, "granularity": period,
                "is_proxy": is_proxy}
        group = dated[in_period]
        if "nps_class" in group.columns:
            result = scores_mod.nps(group["nps_class"].dropna(), is_proxy=is_proxy)
            result = scores_mod.nps_from_counts(result.promoters, result.passives,
                                                result.detractors, is_proxy=is_proxy, z=z)
            rows.append({**base, "metric": "nps", "theme_id": None, "label": None,
                         "n": result.n, "count": result.promoters - result.detractors,
                         "value": result.nps, "ci_low": result.ci_low, "ci_high": result.ci_high})
        if csat and "score" in group.columns:
            stars = group["score"].dropna().astype(float)
            ok = int((stars >= 4).sum())
            low, high = scores_mod.wilson_interval(ok, len(stars), z)
            rows.append({**base, "metric": "csat", "theme_id": None, "label": None,
                         "n": len(stars), "count": ok,
                         "value": 100 * ok / len(stars) if len(stars) else math.nan,
                         "ci_low": 100 * low, "ci_high": 100 * high})
        if found is None:
            continue
        mask = in_period & usable.to_numpy()
        total = int(mask.sum())
        for metric, matrix in (("share", found.any), ("negative_share", found.negative)):
            if matrix is None:
                continue
            counts = matrix[mask].sum(axis=0)
            for j, info in enumerate(catalogue.itertuples(index=False)):
                low, high = scores_mod.wilson_interval(int(counts[j]), total, z)
                rows.append({**base, "metric": metric, "theme_id": info.theme_id,
                             "label": info.label, "n": total, "count": int(counts[j]),
                             "value": 100 * counts[j] / total if total else math.nan,
                             "ci_low": 100 * low, "ci_high": 100 * high})
    table = pd.DataFrame(rows, columns=columns)
    table["theme_id"] = table["theme_id"].astype("Int64")  # empty on nps / csat rows
    return table


def emerging(trend_table: pd.DataFrame, *, confidence: float = 0.95,
             min_support: int = 30) -> pd.DataFrame:
    """Emerging, growing and fading irritants: last period vs the one before.

    Uses ``negative_share`` rows of :func:`trends` (``share`` without sentiment). The
    change is in points with a Wald interval and a two-proportion test (Fisher's exact
    test for small counts); ``q_value`` is Benjamini-Hochberg over the themes, and
    ``status`` is ``emerging`` (absent before, significant now), ``growing``, ``fading``
    (significant rise / fall at ``q_value < 1 − confidence``) or ``stable``. ``low_support`` when either period has fewer than
    ``min_support`` documents with text.
    """
    columns = ["theme_id", "label", "basis", "period_previous", "period_last", "n_previous",
               "n_last", "count_previous", "count_last", "share_previous", "share_last",
               "change", "change_ci_low", "change_ci_high", "p_value", "q_value", "status",
               "low_support"]
    if trend_table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    basis = "negative_share" if (trend_table["metric"] == "negative_share").any() else "share"
    rows_of = trend_table[trend_table["metric"] == basis]
    periods = sorted(rows_of["period_start"].unique())
    if len(periods) < 2:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    before = rows_of[rows_of["period_start"] == periods[-2]].set_index("theme_id")
    after = rows_of[rows_of["period_start"] == periods[-1]].set_index("theme_id")
    z = z_value(confidence)
    rows = []
    for theme_id, last in after.iterrows():
        if theme_id not in before.index:
            continue
        prev = before.loc[theme_id]
        change, low, high, p_value = two_proportion_test(prev["count"], prev["n"],
                                                         last["count"], last["n"], z=z)
        rows.append({"theme_id": theme_id, "label": last["label"], "basis": basis,
                     "period_previous": prev["period"], "period_last": last["period"],
                     "n_previous": int(prev["n"]), "n_last": int(last["n"]),
                     "count_previous": int(prev["count"]), "count_last": int(last["count"]),
                     "share_previous": prev["value"], "share_last": last["value"],
                     "change": change, "change_ci_low": low, "change_ci_high": high,
                     "p_value": p_value, "status": "stable",
                     "low_support": bool(min(prev["n"], last["n"]) < min_support)})
    order = {"emerging": 0, "growing": 1, "stable": 2, "fading": 3}
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "q_value"])
    # One test per theme: control the false discovery rate before raising an alert.
    tested = table["p_value"].notna()
    table.insert(list(table.columns).index("p_value") + 1, "q_value", np.nan)
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(
            table.loc[tested, "p_value"].to_numpy(dtype=float))
    significant = (table["q_value"] < 1 - confidence).fillna(False).to_numpy()
    rising = (table["change"] > 0).to_numpy()
    table["status"] = np.select(
        [significant & rising & (table["count_previous"] == 0).to_numpy(),
         significant & rising, significant & ~rising],
        ["emerging", "growing", "fading"], default="stable")
    return table.sort_values(["low_support", "status", "change"],
                             key=lambda s: s.map(order) if s.name == "status" else s,
                             ascending=[True, True, False]).reset_index(drop=True)

