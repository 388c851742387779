"""Before/after comparison of two date ranges: NPS change and theme moves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy import stats

from feedback_nlp import scores as scores_mod
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.drivers.impact import two_proportion_test, z_value
from feedback_nlp.drivers.mentions import theme_catalogue
from feedback_nlp.drivers.priorities import priorities
from feedback_nlp.errors import ConfigError
from feedback_nlp.report.messages import comparison_summary


@dataclass
class PeriodComparison:
    """Before/after comparison of two date ranges (see :func:`compare_periods`).

    Attributes
    ----------
    overall
        Three rows (``before``, ``after``, ``change``): ``n``, ``nps``, ``ci_low``,
        ``ci_high``, ``p_value`` (change row: two-sided z-test), ``is_proxy``.
    themes
        One row per theme: shares and impacts before / after and their changes.
    before, after
        The date ranges, inclusive.
    """

    overall: pd.DataFrame
    themes: pd.DataFrame
    before: tuple[pd.Timestamp, pd.Timestamp]
    after: tuple[pd.Timestamp, pd.Timestamp]

    def summary(self, top: int = 10, lang: str = "fr") -> str:
        """A few lines for the terminal (text from :mod:`feedback_nlp.report.messages`)."""
        return comparison_summary(self, top=top, lang=lang)


def parse_date_range(text: str | tuple[Any, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``"2024-01-01:2024-03-31"`` (or a pair) to an inclusive pair of timestamps.

    >>> parse_date_range("2024-01-01:2024-03-31")
    (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-03-31 00:00:00'))
    """
    if isinstance(text, str):
        parts = text.split(":") if text.count(":") == 1 else text.split("..")
        if len(parts) != 2:
            raise ConfigError(f"Date range {text!r} is not START:END.",
                              fix="write e.g. 2024-01-01:2024-03-31.")
    else:
        parts = list(text)
    try:
        start, end = (pd.Timestamp(str(p).strip()) for p in parts)
    except ValueError:
        raise ConfigError(f"Date range {text!r} holds an unreadable date.",
                          fix="write ISO dates, e.g. 2024-01-01:2024-03-31.") from None
    if pd.isna(start) or pd.isna(end) or end < start:
        raise ConfigError(f"Date range {text!r} is empty or reversed.",
                          fix="give START:END with START before END.")
    return start, end


def compare_periods(analysis: Any, before: str | tuple[Any, Any], after: str | tuple[Any, Any],
                    config: AnalysisConfig | None = None) -> PeriodComparison:
    """Did the NPS move between two periods, and which themes moved with it?

    Themes come from one model fitted on the whole file, so both periods are read with
    the same code frame. NPS change: difference of two independent NPS with
    ``se = sqrt(se_before² + se_after²)``. Per theme: share of documents with text
    mentioning it (two-proportion test), negative share, and impact in each period
    (:func:`priorities`) with the change and its interval.
    """
    config = config or AnalysisConfig()
    documents = analysis.documents
    if "date" not in documents.columns:
        raise ConfigError("Comparing periods needs dates, and no date column was given.",
                          fix="pass --date COLUMN (date=... in analyze()).")
    if "nps_class" not in documents.columns:
        raise ConfigError("Comparing periods needs a score, and no score column was given.",
                          fix="pass --score COLUMN (score=... in analyze()).")
    ranges = parse_date_range(before), parse_date_range(after)
    is_proxy = bool(getattr(analysis, "is_proxy", False))
    z = z_value(config.drivers.confidence)
    dates = pd.to_datetime(documents["date"], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    parts, overall = [], []
    for name, (start, end) in zip(("before", "after"), ranges):
        within = ((dates >= start) & (dates < end + pd.Timedelta(days=1))).to_numpy()
        if within.sum() == 0:
            raise ConfigError(f"No row dated between {start:%Y-%m-%d} and {end:%Y-%m-%d}.",
                              fix="check --before/--after against the dates in the file.")
        part = documents[within]
        parts.append(part)
        result = scores_mod.nps(part["nps_class"].dropna(), is_proxy=is_proxy)
        result = scores_mod.nps_from_counts(result.promoters, result.passives, result.detractors,
                                            is_proxy=is_proxy, z=z)
        overall.append({"period": name, "start": start, "end": end, "n": result.n,
                        "nps": result.nps, "ci_low": result.ci_low, "ci_high": result.ci_high,
                        "std_error": result.std_error, "p_value": math.nan, "is_proxy": is_proxy})
    diff = float(overall[1]["nps"]) - float(overall[0]["nps"])  # type: ignore[arg-type]
    se = math.hypot(float(overall[0]["std_error"]),  # type: ignore[arg-type]
                    float(overall[1]["std_error"]))  # type: ignore[arg-type]
    p_value = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else math.nan
    overall.append({"period": "change", "start": ranges[1][0], "end": ranges[1][1],
                    "n": int(result.n) + int(overall[0]["n"]),  # type: ignore[call-overload]
                    "nps": diff, "ci_low": diff - z * se,
                    "ci_high": diff + z * se, "std_error": se, "p_value": p_value,
                    "is_proxy": is_proxy})
    theme_table = _compare_themes(parts, analysis.segments, analysis.themes, config, is_proxy, z)
    return PeriodComparison(pd.DataFrame(overall), theme_table, ranges[0], ranges[1])


def _compare_themes(parts: list[pd.DataFrame], segments: pd.DataFrame, themes: pd.DataFrame,
                    config: AnalysisConfig, is_proxy: bool, z: float) -> pd.DataFrame:
    catalogue = theme_catalogue(themes, segments)
    if catalogue.empty:
        return pd.DataFrame()
    tables = []
    for part in parts:
        part_segments = segments[segments["row_id"].isin(part["row_id"])]
        table = priorities(part, part_segments, themes, config, is_proxy=is_proxy)
        table["n_text"] = int((part["text_status"] == "ok").sum()) \
            if "text_status" in part.columns else len(part)
        tables.append(table.set_index("theme_id"))
    before, after = tables
    rows = []
    for theme_id, label, family in zip(catalogue["theme_id"].tolist(),
                                       catalogue["label"].tolist(), catalogue["family"].tolist()):
        b, a = before.loc[theme_id], after.loc[theme_id]
        share_change, share_low, share_high, share_p = two_proportion_test(
            b["mentions"], b["n_text"], a["mentions"], a["n_text"], z=z)
        neg_b = b["negative_mentions"] if pd.notna(b["negative_mentions"]) else math.nan
        neg_a = a["negative_mentions"] if pd.notna(a["negative_mentions"]) else math.nan
        neg_change, _, _, neg_p = (two_proportion_test(neg_b, b["n_text"], neg_a, a["n_text"], z=z)
                                   if not (math.isnan(neg_b) or math.isnan(neg_a))
                                   else (math.nan,) * 4)
        se_b = (b["nps_impact_ci_high"] - b["nps_impact_ci_low"]) / (2 * z)
        se_a = (a["nps_impact_ci_high"] - a["nps_impact_ci_low"]) / (2 * z)
        impact_change = a["nps_impact"] - b["nps_impact"]
        impact_se = math.hypot(se_b, se_a)
        rows.append({
            "theme_id": theme_id, "label": label, "family": family,
            "mentions_before": int(b["mentions"]), "mentions_after": int(a["mentions"]),
            "share_before": 100 * b["share"], "share_after": 100 * a["share"],
            "share_change": share_change, "share_change_ci_low": share_low,
            "share_change_ci_high": share_high, "share_p_value": share_p,
            "negative_share_before": 100 * neg_b / b["n_text"] if b["n_text"] else math.nan,
            "negative_share_after": 100 * neg_a / a["n_text"] if a["n_text"] else math.nan,
            "negative_share_change": neg_change, "negative_share_p_value": neg_p,
            "impact_before": b["nps_impact"], "impact_after": a["nps_impact"],
            "impact_change": impact_change, "impact_change_ci_low": impact_change - z * impact_se,
            "impact_change_ci_high": impact_change + z * impact_se,
            "negative_impact_before": b["negative_impact"],
            "negative_impact_after": a["negative_impact"],
            "low_support": bool(b["low_support"] or a["low_support"]), "is_proxy": is_proxy,
        })
    return pd.DataFrame(rows)

