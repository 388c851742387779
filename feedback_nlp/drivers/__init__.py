"""Themes × NPS: which irritants cost the most NPS points, with honest intervals.

Pure functions over the tables of :func:`feedback_nlp.analyze` (``documents``,
``segments``, ``themes``); :func:`annotate` returns a copy of a
:class:`~feedback_nlp.pipeline.FeedbackAnalysis` with ``priorities``, ``theme_by_nps``,
``trends`` and ``tables["cuts"]`` / ``tables["emerging"]`` filled (its input is left
untouched).

Rooms: :mod:`~feedback_nlp.drivers.mentions` (who mentions what),
:mod:`~feedback_nlp.drivers.impact` (impacts, intervals, driver model, tests),
:mod:`~feedback_nlp.drivers.priorities` (ranking, quadrant and note codes),
:mod:`~feedback_nlp.drivers.by_class` (theme × NPS class),
:mod:`~feedback_nlp.drivers.trends` (periods, emerging irritants),
:mod:`~feedback_nlp.drivers.cuts` (per segment / channel / stage),
:mod:`~feedback_nlp.drivers.compare` (before / after). The drivers return codes;
:mod:`feedback_nlp.report.messages` turns them into French or English text.

Definitions (see ``docs/drivers.md`` for every column)
-----------------------------------------------------
- Population: documents with a usable text (``text_status == "ok"``) and a valid score
  (``nps_class`` not missing). Only they can mention a theme.
- Mentioner of a theme: a document with at least one opinion unit (segment) of that
  theme; negative mentioner: at least one *negative* unit of that theme. Theme ``-1``
  ("Autre / non classé") is never a driver.
- Each scored document carries ``v = +100`` (promoter), ``0`` (passive) or ``-100``
  (detractor), so ``NPS = mean(v)``.
- ``nps_impact`` and ``negative_impact`` (volume times gap), their intervals and the
  multi-theme driver model (``penalty = −coef(negative)``, ``reward = coef(positive)``):
  the formulas are in :mod:`feedback_nlp.drivers.impact`.
- ``priority_score = max(0, −negative_impact_ci_high)``: the NPS points that negative
  mentions cost *at least* (the bound of the interval closest to zero), so a theme
  mentioned by 12 people with a wide interval scores ~0.
- Quadrant: volume (``share``) against severity (``negative_impact / share``: what the
  theme's complaints cost per unit of volume), split at the medians of the supported
  themes (severity split capped at 0): ``fix first`` (frequent and severe), ``watch``
  (rare and severe), ``strengths`` (frequent, not severe), ``keep`` (rare, not severe).

Example
-------
>>> import pandas as pd
>>> documents = pd.DataFrame({"row_id": [0, 1, 2, 3], "text_status": ["ok"] * 4,
...                           "nps_class": ["detractor", "promoter", "promoter", "passive"]})
>>> segments = pd.DataFrame({"row_id": [0, 1], "theme_id": [1, 2],
...                          "sentiment": ["negative", "positive"]})
>>> themes = pd.DataFrame({"theme_id": [1, 2], "label": ["Livraison", "Prix"]})
>>> table = priorities(documents, segments, themes, min_support=1, ci_method="delta")
>>> table[["label", "nps_mentioners", "nps_impact"]].round(1).to_dict("list")
{'label': ['Livraison', 'Prix'], 'nps_mentioners': [-100.0, 100.0], 'nps_impact': [-41.7, 25.0]}
"""

from __future__ import annotations

import dataclasses
from typing import Any

from feedback_nlp import scores as scores_mod
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.drivers.by_class import theme_by_nps
from feedback_nlp.drivers.compare import PeriodComparison, compare_periods, parse_date_range
from feedback_nlp.drivers.cuts import CUT_COLUMNS, cuts, per_cut, theme_by_nps_cuts
from feedback_nlp.drivers.impact import (
    driver_model,
    impact_bootstrap,
    impact_delta,
    two_proportion_test,
)
from feedback_nlp.drivers.mentions import (
    OTHER_THEME,
    Mentions,
    nps_values,
    theme_catalogue,
    theme_mentions,
)
from feedback_nlp.drivers.priorities import PRIORITY_COLUMNS, QUADRANTS, _nps_of, priorities
from feedback_nlp.drivers.trends import choose_period, emerging, trends
from feedback_nlp.report.messages import DRIVER_NOTES, quadrant_label

LOW_SUPPORT_NOTE = DRIVER_NOTES["fr"]["low_support"]
NOT_SIGNIFICANT_NOTE = DRIVER_NOTES["fr"]["not_significant"]

__all__ = [
    "CUT_COLUMNS", "LOW_SUPPORT_NOTE", "NOT_SIGNIFICANT_NOTE", "OTHER_THEME", "PRIORITY_COLUMNS",
    "QUADRANTS", "Mentions", "PeriodComparison", "annotate", "choose_period", "compare_periods",
    "cuts", "driver_model", "emerging", "impact_bootstrap", "impact_delta", "nps_values",
    "parse_date_range", "per_cut", "priorities", "quadrant_label", "scores_mod", "theme_by_nps",
    "theme_by_nps_cuts", "theme_catalogue", "theme_mentions", "trends", "two_proportion_test",
    "_nps_of",
]


#: ``documents`` columns that no function of this package reads.
_UNREAD_DOCUMENT_COLUMNS = ("text", "clean_text", "status_detail", "score_raw", "date_raw",
                            "theme_labels")


def annotate(analysis: Any, config: AnalysisConfig) -> Any:
    """A copy of a :class:`~feedback_nlp.pipeline.FeedbackAnalysis` with ``priorities``,
    ``theme_by_nps``, ``trends`` and ``tables["cuts"]`` / ``tables["emerging"]`` /
    ``tables["theme_by_nps_cuts"]`` filled; ``analysis`` itself is left untouched.

    Works without themes (trends of NPS only) and on star ratings (everything labelled
    ``is_proxy``; CSAT-based impact added).
    """
    documents, segments, themes = analysis.documents, analysis.segments, analysis.themes
    # Columns no driver reads (texts, raw values, label lists): left out before the
    # per-cut filtering, which otherwise copies every verbatim once per cut value.
    documents = documents.drop(columns=[c for c in _UNREAD_DOCUMENT_COLUMNS if c in documents.columns])
    if segments is not None and "text" in segments.columns:
        segments = segments.drop(columns=["text"])
    is_proxy = config.score_scale == "stars" and "score" in documents.columns
    csat = config.score_scale == "stars" and "score" in documents.columns
    drivers_config = config.drivers
    changes: dict[str, Any] = {}
    tables = dict(analysis.tables)
    if "nps_class" in documents.columns:
        changes["priorities"] = priorities(documents, segments, themes, config,
                                           is_proxy=is_proxy, csat=csat, lang=config.lang)
        changes["theme_by_nps"] = theme_by_nps(documents, segments, themes, is_proxy=is_proxy,
                                               confidence=drivers_config.confidence,
                                               min_support=drivers_config.min_support)
        cut_table = cuts(documents, segments, themes, config, is_proxy=is_proxy, csat=csat)
        if not cut_table.empty:
            tables["cuts"] = cut_table
        by_class = theme_by_nps_cuts(documents, segments, themes, config, is_proxy=is_proxy)
        if not by_class.empty:
            tables["theme_by_nps_cuts"] = by_class
    if "date" in documents.columns and documents["date"].notna().any():
        changes["trends"] = trends(documents, segments, themes, period=drivers_config.period,
                                   is_proxy=is_proxy, confidence=drivers_config.confidence,
                                   csat=csat)
        emerging_table = emerging(changes["trends"], confidence=drivers_config.confidence,
                                  min_support=drivers_config.min_support)
        if not emerging_table.empty:
            tables["emerging"] = emerging_table
    return dataclasses.replace(analysis, tables=tables, **changes)
