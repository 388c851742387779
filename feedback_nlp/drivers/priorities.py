"""Rank the themes by the NPS points their negative mentions cost.

- ``priority_score = max(0, −negative_impact_ci_high)``: the NPS points that negative
  mentions cost *at least* (the bound of the interval closest to zero), so a theme
  mentioned by 12 people with a wide interval scores ~0.
- Quadrant (a code, :data:`QUADRANTS`; its text comes from
  :mod:`feedback_nlp.report.messages`): volume (``share``) against severity
  (``negative_impact / share``), split at the medians of the supported themes (severity
  split capped at 0): ``fix first`` (frequent and severe), ``watch`` (rare and severe),
  ``strengths`` (frequent, not severe), ``keep`` (rare, not severe).
- Note (a code turned into text): ``low_support`` (fewer than ``min_support`` scored
  mentioners: ranked after every supported theme), ``not_significant`` (the interval
  contains 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp import scores as scores_mod
from feedback_nlp.config import AnalysisConfig, DriverConfig
from feedback_nlp.drivers.impact import (
    driver_model,
    impact_with,
    length_control,
    outcome_values,
    z_value,
)
from feedback_nlp.drivers.mentions import (
    Mentions,
    nps_values,
    population,
    theme_catalogue,
    theme_mentions,
)
from feedback_nlp.errors import ConfigError
from feedback_nlp.report.messages import driver_note, quadrant_label

#: Quadrant codes of the priority matrix.
QUADRANTS = ("fix first", "watch", "keep", "strengths")

PRIORITY_COLUMNS = (
    "theme_id", "label", "family", "rank", "mentions", "share", "negative_mentions",
    "negative_share", "scored_mentions", "nps_mentioners", "nps_mentioners_ci_low",
    "nps_mentioners_ci_high", "nps_non_mentioners", "nps_non_mentioners_ci_low",
    "nps_non_mentioners_ci_high", "nps_impact", "nps_impact_ci_low", "nps_impact_ci_high",
    "negative_impact", "negative_impact_ci_low", "negative_impact_ci_high", "penalty",
    "penalty_ci_low", "penalty_ci_high", "reward", "reward_ci_low", "reward_ci_high",
    "net_sentiment", "priority_score", "severity", "quadrant", "quadrant_label", "low_support",
    "note", "is_proxy",
)
CSAT_COLUMNS = ("csat_mentioners", "csat_non_mentioners", "csat_impact", "csat_impact_ci_low",
                "csat_impact_ci_high")
_MODEL_COLUMNS = ("negative_impact", "negative_impact_ci_low", "negative_impact_ci_high",
                  "penalty", "penalty_ci_low", "penalty_ci_high", "reward", "reward_ci_low",
                  "reward_ci_high")


def priorities(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
               config: AnalysisConfig | DriverConfig | None = None, *,
               is_proxy: bool = False, csat: bool = False, seed: int | None = None,
               lang: str = "fr", **options: Any) -> pd.DataFrame:
    """Rank the themes by the NPS points their negative mentions cost.

    Parameters
    ----------
    documents, segments, themes
        Tables of :func:`feedback_nlp.analyze` (see :mod:`feedback_nlp.drivers` for the
        columns used).
    config
        An :class:`AnalysisConfig` (its ``drivers`` section and ``seed`` are used) or a
        :class:`DriverConfig`; keyword ``options`` override DriverConfig fields
        (``min_support=10, ci_method="delta"``).
    is_proxy
        NPS classes come from star ratings: every row is labelled ``is_proxy=True``.
    csat
        Add CSAT-based impact columns (share of 4-5 stars; for star ratings).

    Returns
    -------
    DataFrame
        One row per theme (``-1`` excluded), sorted by ``rank``; columns in
        :data:`PRIORITY_COLUMNS` (+ CSAT columns).
    """
    drivers_config, seed = _driver_config(config, seed, options)
    catalogue = theme_catalogue(themes, segments)
    columns = list(PRIORITY_COLUMNS) + (list(CSAT_COLUMNS) if csat else [])
    if catalogue.empty or "nps_class" not in documents.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    theme_ids = catalogue["theme_id"].tolist()
    usable_mask = (documents["text_status"] == "ok") if "text_status" in documents.columns \
        else pd.Series(True, index=documents.index)
    usable = documents[usable_mask.to_numpy()]
    all_mentions = theme_mentions(usable, segments, theme_ids)
    scored = population(usable).to_numpy()
    mentions = Mentions(all_mentions.row_ids[scored], theme_ids, all_mentions.any[scored],
                        None if all_mentions.negative is None else all_mentions.negative[scored],
                        None if all_mentions.positive is None else all_mentions.positive[scored])
    scored_docs = usable[scored]
    values = nps_values(scored_docs["nps_class"])

    table = _mention_columns(catalogue.copy(), all_mentions, len(usable))
    table["scored_mentions"] = mentions.any.sum(axis=0)
    _nps_columns(table, values, mentions.any, is_proxy, z_value(drivers_config.confidence))
    impact = impact_with(values, mentions.any, drivers_config, seed)
    table["nps_impact"], table["nps_impact_ci_low"], table["nps_impact_ci_high"] = impact[:3]
    _negative_columns(table, values, mentions, scored_docs, segments, drivers_config, seed)
    table["net_sentiment"] = [all_mentions.net_sentiment.get(t, np.nan) for t in theme_ids]
    if csat and "score" in scored_docs.columns:
        _csat_columns(table, scored_docs, mentions, drivers_config, seed)
    return _rank(table, drivers_config, is_proxy, lang)[columns]


def _mention_columns(table: pd.DataFrame, found: Mentions, n_usable: int) -> pd.DataFrame:
    """``mentions``, ``share`` (of documents with text), negative mentions and share."""
    table["mentions"] = found.any.sum(axis=0)
    table["share"] = table["mentions"] / n_usable if n_usable else np.nan
    if found.negative is not None:
        table["negative_mentions"] = found.negative.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["negative_share"] = table["negative_mentions"] / table["mentions"].replace(0, np.nan)
    else:
        table["negative_mentions"] = np.nan
        table["negative_share"] = np.nan
    return table


def _nps_columns(table: pd.DataFrame, values: np.ndarray, mask: np.ndarray, is_proxy: bool,
                 z: float) -> None:
    """NPS of mentioners and of non-mentioners with their intervals."""
    for prefix, group in (("nps_mentioners", mask), ("nps_non_mentioners", ~mask)):
        results = [_nps_of(values[group[:, j]], is_proxy, z) for j in range(mask.shape[1])]
        table[prefix] = [r.nps for r in results]
        table[f"{prefix}_ci_low"] = [r.ci_low for r in results]
        table[f"{prefix}_ci_high"] = [r.ci_high for r in results]


def _negative_columns(table: pd.DataFrame, values: np.ndarray, mentions: Mentions,
                      scored_docs: pd.DataFrame, segments: pd.DataFrame,
                      config: DriverConfig, seed: int) -> None:
    """Impact of negative mentions and the driver model's penalties and rewards."""
    if mentions.negative is None:
        for column in _MODEL_COLUMNS:
            table[column] = np.nan
        return
    negative = impact_with(values, mentions.negative, config, seed + 1)
    table["negative_impact"] = negative[0]
    table["negative_impact_ci_low"], table["negative_impact_ci_high"] = negative[1:3]
    model = driver_model(outcome_values(scored_docs, config.target), mentions.negative,
                         mentions.positive, controls=length_control(scored_docs, segments),
                         confidence=config.confidence)
    for column in model.columns:
        table[column] = model[column].to_numpy()


def _csat_columns(table: pd.DataFrame, scored_docs: pd.DataFrame, mentions: Mentions,
                  config: DriverConfig, seed: int) -> None:
    """CSAT (share of 4-5 stars) of mentioners and non-mentioners, and its impact."""
    satisfied = 100.0 * (scored_docs["score"].astype(float) >= 4).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = mentions.any.sum(axis=0)
        table["csat_mentioners"] = satisfied @ mentions.any / inside
        table["csat_non_mentioners"] = satisfied @ ~mentions.any / (len(satisfied) - inside)
    csat_impact = impact_with(satisfied, mentions.any, config, seed + 2)
    table["csat_impact"], table["csat_impact_ci_low"], table["csat_impact_ci_high"] = csat_impact[:3]


def _nps_of(values: np.ndarray, is_proxy: bool, z: float) -> scores_mod.NPSResult:
    return scores_mod.nps_from_counts(int((values > 0).sum()), int((values == 0).sum()),
                                      int((values < 0).sum()), is_proxy=is_proxy, z=z)


def _rank(table: pd.DataFrame, config: DriverConfig, is_proxy: bool, lang: str) -> pd.DataFrame:
    has_negative = table["negative_impact"].notna().any()
    cost = table["negative_impact"] if has_negative else table["nps_impact"]
    bound = table["negative_impact_ci_high"] if has_negative else table["nps_impact_ci_high"]
    table["priority_score"] = np.maximum(0.0, -bound.fillna(0.0))
    table["low_support"] = table["scored_mentions"] < config.min_support
    order = table.assign(_cost=cost.fillna(0.0)).sort_values(
        ["low_support", "priority_score", "_cost", "mentions"],
        ascending=[True, False, True, False], kind="mergesort")
    table = order.drop(columns="_cost").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)

    # Priority matrix: x = volume (share), y = severity = cost per unit of volume
    # (negative_impact / share, i.e. how much the theme's complaints cost when it comes up;
    # the mention impact without sentiment). Total impact on y would count volume twice,
    # so a rare theme would never look severe; a signed mention impact would call a
    # praised theme such as "Emplacement" an irritant when its mentioners are lukewarm.
    supported = table[~table["low_support"]]
    reference = supported if len(supported) else table
    raw_cost = table["negative_impact"] if has_negative else table["nps_impact"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["severity"] = raw_cost / table["share"].where(table["share"] > 0)
    severity = table["severity"].fillna(0.0)
    x_split = reference["share"].median()
    y_split = min(float(severity[reference.index].median()), 0.0)
    bad = (severity <= y_split) & (severity < 0)
    big = table["share"] >= x_split
    table["quadrant"] = np.select([bad & big, bad & ~big, ~bad & big],
                                  ["fix first", "watch", "strengths"], default="keep")
    table["quadrant"] = table["quadrant"].where(raw_cost.notna().to_numpy(), None)  # no score
    table["quadrant_label"] = [None if q is None else quadrant_label(q, lang)
                               for q in table["quadrant"]]
    low = table["negative_impact_ci_low"] if has_negative else table["nps_impact_ci_low"]
    high = table["negative_impact_ci_high"] if has_negative else table["nps_impact_ci_high"]
    unknown = low.isna() & high.isna()  # no negative mention: no interval, not significant
    codes = np.where(table["low_support"], "low_support",
                     np.where((((low <= 0) & (high >= 0)) | unknown) & table["mentions"].gt(0),
                              "not_significant", ""))
    table["note"] = [driver_note(code, lang) for code in codes]
    table["is_proxy"] = is_proxy
    return table


def _driver_config(config: AnalysisConfig | DriverConfig | None, seed: int | None,
                   options: dict[str, Any]) -> tuple[DriverConfig, int]:
    if isinstance(config, AnalysisConfig):
        drivers_config, default_seed = config.drivers, config.seed
    elif isinstance(config, DriverConfig):
        drivers_config, default_seed = config, 42
    else:
        drivers_config, default_seed = DriverConfig(), 42
    if options:
        unknown = set(options) - set(DriverConfig.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"Unknown driver option(s) {', '.join(sorted(unknown))}.",
                              fix=f"allowed: {', '.join(DriverConfig.__dataclass_fields__)}.")
        values = {**drivers_config.__dict__, **options}
        drivers_config = DriverConfig(**values)
    return drivers_config, default_seed if seed is None else seed
