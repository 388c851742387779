"""Which documents mention which theme (any, negatively, positively), and who is scored.

The population of every driver table: documents with a usable text
(``text_status == "ok"``) and a valid score (``nps_class`` not missing). Theme ``-1``
("Autre / non classé") is never a driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Theme id of the "Autre / non classé" bucket: never a driver.
OTHER_THEME = -1

_CLASS_VALUE = {"promoter": 100.0, "passive": 0.0, "detractor": -100.0}


@dataclass
class Mentions:
    """Theme mentions per document, aligned on ``row_ids``.

    ``any``, ``negative`` and ``positive`` are boolean arrays of shape
    ``(n_documents, n_themes)``; ``negative``/``positive`` are ``None`` without sentiment.
    """

    row_ids: np.ndarray
    theme_ids: list[int]
    any: np.ndarray
    negative: np.ndarray | None
    positive: np.ndarray | None
    net_sentiment: dict[int, float] = field(default_factory=dict)


def theme_catalogue(themes: pd.DataFrame, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """``theme_id``, ``label``, ``family`` of every driver theme.

    Negative ids are not themes and never ranked: ``-1`` (unassigned) and ``-2`` (the
    general-satisfaction bucket of units with no subject, issue 16).
    """
    if themes is not None and not themes.empty and "theme_id" in themes.columns:
        out = themes[[c for c in ("theme_id", "label", "family") if c in themes.columns]].copy()
    elif segments is not None and "theme_id" in segments.columns:
        label = segments.get("theme_label", segments["theme_id"].astype(str))
        out = (pd.DataFrame({"theme_id": segments["theme_id"], "label": label})
               .dropna(subset=["theme_id"]).drop_duplicates("theme_id"))
    else:
        return pd.DataFrame({"theme_id": pd.Series(dtype=int), "label": pd.Series(dtype=object),
                             "family": pd.Series(dtype=object)})
    if "label" not in out.columns:
        out["label"] = out["theme_id"].astype(str)
    if "family" not in out.columns:
        out["family"] = None
    out = out.dropna(subset=["theme_id"])
    out["theme_id"] = out["theme_id"].astype(int)
    out = out[out["theme_id"] >= 0].drop_duplicates("theme_id")
    return out.sort_values("theme_id").reset_index(drop=True)


def theme_mentions(documents: pd.DataFrame, segments: pd.DataFrame,
                   theme_ids: list[int]) -> Mentions:
    """Which documents mention each theme, negatively, positively.

    Segments give the theme and sentiment of each opinion unit; without a ``theme_id``
    column in ``segments``, ``documents["theme_ids"]`` gives mentions only.
    """
    row_ids = documents["row_id"].to_numpy()
    position = pd.Index(row_ids)
    n, k = len(row_ids), len(theme_ids)
    column_of = {t: j for j, t in enumerate(theme_ids)}
    mention = np.zeros((n, k), dtype=bool)
    negative: np.ndarray | None = None
    positive: np.ndarray | None = None
    net: dict[int, float] = {}
    if segments is not None and not segments.empty and "theme_id" in segments.columns:
        seg = segments[segments["theme_id"].notna()]
        seg = seg[seg["theme_id"].astype(int).isin(column_of)]
        rows = position.get_indexer(seg["row_id"])
        keep = rows >= 0
        seg, rows = seg[keep], rows[keep]
        cols = seg["theme_id"].astype(int).map(column_of).to_numpy()
        mention[rows, cols] = True
        if "sentiment" in seg.columns:
            negative = np.zeros((n, k), dtype=bool)
            positive = np.zeros((n, k), dtype=bool)
            sentiment = seg["sentiment"].astype(object).to_numpy()
            is_neg, is_pos = sentiment == "negative", sentiment == "positive"
            negative[rows[is_neg], cols[is_neg]] = True
            positive[rows[is_pos], cols[is_pos]] = True
            labelled = pd.DataFrame({"theme": seg["theme_id"].astype(int).to_numpy(),
                                     "neg": is_neg, "pos": is_pos,
                                     "known": pd.notna(seg["sentiment"]).to_numpy()})
            labelled = labelled[labelled["known"]]
            means = labelled.groupby("theme")[["pos", "neg"]].mean()
            for theme, pos, neg in zip(means.index.tolist(), means["pos"].tolist(),
                                       means["neg"].tolist()):
                net[int(theme)] = 100.0 * (pos - neg)
    elif "theme_ids" in documents.columns:
        for i, ids in enumerate(documents["theme_ids"].tolist()):
            if isinstance(ids, (list, tuple, np.ndarray)):
                for t in ids:
                    j = column_of.get(int(t))
                    if j is not None:
                        mention[i, j] = True
    return Mentions(row_ids, list(theme_ids), mention, negative, positive, net)


def nps_values(nps_class: pd.Series) -> np.ndarray:
    """+100 / 0 / −100 per promoter / passive / detractor (NaN when missing)."""
    return nps_class.map(_CLASS_VALUE).astype(float).to_numpy()


def population(documents: pd.DataFrame) -> pd.Series:
    usable = documents["text_status"] == "ok" if "text_status" in documents.columns else True
    return pd.Series(usable, index=documents.index) & documents["nps_class"].notna()

