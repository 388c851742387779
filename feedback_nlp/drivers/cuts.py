"""Drivers per value of a cut (``segment``, ``channel``, ``stage``): one shared helper."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from feedback_nlp.config import AnalysisConfig
from feedback_nlp.drivers.by_class import theme_by_nps
from feedback_nlp.drivers.mentions import population
from feedback_nlp.drivers.priorities import PRIORITY_COLUMNS, priorities

#: Columns cut by default, when present.
CUT_COLUMNS = ("segment", "channel", "stage")


def per_cut(documents: pd.DataFrame, by: list[str] | None, min_support: int,
            table_of: Callable[[np.ndarray], pd.DataFrame]) -> pd.DataFrame | None:
    """``table_of(in_cut)`` for every value of every cut column, stacked.

    Cut values with fewer than ``min_support`` scored documents with text are skipped.
    Each table gets ``cut``, ``value`` and ``n_documents`` in front; ``None`` when no
    cut value gave a table.
    """
    columns = [c for c in (by or list(CUT_COLUMNS)) if c in documents.columns]
    scored = population(documents).to_numpy()
    frames = []
    for column in columns:
        keys = documents[column].fillna("(vide)").astype(str)
        for value in sorted(keys.unique()):
            in_cut = (keys == value).to_numpy()
            n_docs = int((scored & in_cut).sum())
            if n_docs < min_support:
                continue
            table = table_of(in_cut)
            if table.empty:
                continue
            table.insert(0, "n_documents", n_docs)
            table.insert(0, "value", value)
            table.insert(0, "cut", column)
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else None


def cuts(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
         config: AnalysisConfig | None = None, *, by: list[str] | None = None,
         is_proxy: bool = False, csat: bool = False) -> pd.DataFrame:
    """:func:`priorities` per value of ``segment``, ``channel`` and ``stage``.

    Cut values with fewer than ``min_support`` scored documents with text are skipped
    (their NPS is still in ``metrics``). Columns: ``cut``, ``value``, ``n_documents``
    then the priority columns.
    """
    config = config or AnalysisConfig()
    analysis_config = config

    def table_of(in_cut: np.ndarray) -> pd.DataFrame:
        part = documents[in_cut]
        part_segments = segments[segments["row_id"].isin(part["row_id"])] \
            if "row_id" in segments.columns else segments
        return priorities(part, part_segments, themes, analysis_config, is_proxy=is_proxy,
                          csat=csat, lang=analysis_config.lang)

    table = per_cut(documents, by, config.drivers.min_support, table_of)
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=object)
                             for c in ["cut", "value", "n_documents", *PRIORITY_COLUMNS]})
    return table


def theme_by_nps_cuts(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
                      config: AnalysisConfig | None = None, *, by: list[str] | None = None,
                      is_proxy: bool = False) -> pd.DataFrame:
    """:func:`theme_by_nps` per value of ``segment``, ``channel`` and ``stage`` (same rule
    of minimum support as :func:`cuts`; q-values within each cut value)."""
    config = config or AnalysisConfig()
    confidence, min_support = config.drivers.confidence, config.drivers.min_support

    def table_of(in_cut: np.ndarray) -> pd.DataFrame:
        return theme_by_nps(documents[in_cut], segments, themes, is_proxy=is_proxy,
                            confidence=confidence, min_support=min_support)

    table = per_cut(documents, by, config.drivers.min_support, table_of)
    return pd.DataFrame() if table is None else table
