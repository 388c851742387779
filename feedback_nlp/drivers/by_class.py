"""Theme × NPS class: who mentions each theme, over-representation (lift) and sentiment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from feedback_nlp import scores as scores_mod
from feedback_nlp.drivers.mentions import population, theme_catalogue, theme_mentions


def theme_by_nps(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame, *,
                 is_proxy: bool = False, confidence: float = 0.95,
                 min_support: int = 30) -> pd.DataFrame:
    """Theme × NPS class: who mentions each theme, over-representation and sentiment mix.

    For each theme and class (detractor, passive, promoter) among scored documents with a
    usable text: ``class_documents``, ``mentions``, ``share`` (of the class who mention
    the theme), ``share_of_mentions`` (of the theme's mentioners who are in the class),
    ``base_share`` (of all scored documents), ``lift = share / base_share``,
    ``p_value`` (Fisher exact test, this class vs the two others), ``q_value``
    (Benjamini-Hochberg over the whole table), ``significant`` (``q_value < 0.05``);
    ``negative_mentions``; ``net_sentiment`` (% positive − % negative opinions on the
    theme written by this class) and ``theme_net_sentiment`` (all classes);
    ``low_support`` when fewer than ``min_support`` scored documents mention the theme
    (its shares and lifts rest on a few answers: the report says "n trop faible").

    >>> documents = pd.DataFrame({"row_id": [0, 1, 2, 3], "text_status": ["ok"] * 4,
    ...     "nps_class": ["detractor", "detractor", "promoter", "passive"]})
    >>> segments = pd.DataFrame({"row_id": [0, 1], "theme_id": [5, 5],
    ...     "sentiment": ["negative", "negative"]})
    >>> table = theme_by_nps(documents, segments, pd.DataFrame({"theme_id": [5], "label": ["SAV"]}))
    >>> table[["nps_class", "mentions", "share", "lift"]].to_dict("list")
    {'nps_class': ['detractor', 'passive', 'promoter'], 'mentions': [2, 0, 0], 'share': [1.0, 0.0, 0.0], 'lift': [2.0, 0.0, 0.0]}
    """
    columns = ["theme_id", "label", "family", "nps_class", "class_documents", "mentions",
               "share", "base_share", "lift", "p_value", "significant", "share_of_mentions",
               "negative_mentions",
               "net_sentiment", "theme_net_sentiment", "low_support", "is_proxy"]
    catalogue = theme_catalogue(themes, segments)
    if catalogue.empty or "nps_class" not in documents.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    scored_docs = documents[population(documents).to_numpy()]
    theme_ids = catalogue["theme_id"].tolist()
    found = theme_mentions(scored_docs, segments, theme_ids)
    classes = scored_docs["nps_class"].to_numpy()
    n = len(classes)
    class_of = pd.Series(classes, index=scored_docs["row_id"].to_numpy())
    opinions = _opinions_by_class(segments, class_of)
    rows = []
    catalogue_rows = zip(theme_ids, catalogue["label"].tolist(), catalogue["family"].tolist())
    for j, (theme_id, label, family) in enumerate(catalogue_rows):
        total = int(found.any[:, j].sum())
        base = total / n if n else math.nan
        for name in scores_mod.NPS_CLASSES:
            in_class = classes == name
            size = int(in_class.sum())
            hits = int(found.any[in_class, j].sum())
            others, other_hits = n - size, total - hits
            if size and others:
                _, p_value = stats.fisher_exact([[hits, size - hits],
                                                 [other_hits, others - other_hits]])
            else:
                p_value = math.nan
            share = hits / size if size else math.nan
            mix = opinions.get((int(theme_id), name))
            rows.append({
                "theme_id": theme_id, "label": label, "family": family,
                "nps_class": name, "class_documents": size, "mentions": hits, "share": share,
                "base_share": base,
                "lift": share / base if base and not math.isnan(share) else math.nan,
                "p_value": float(p_value),
                "significant": False,
                "share_of_mentions": hits / total if total else math.nan,
                "negative_mentions": (int(found.negative[in_class, j].sum())
                                      if found.negative is not None else math.nan),
                "net_sentiment": mix if mix is not None else math.nan,
                "theme_net_sentiment": found.net_sentiment.get(int(theme_id), math.nan),
                "low_support": total < min_support,
                "is_proxy": is_proxy,
            })
    table = pd.DataFrame(rows, columns=columns)
    # 3 classes × many themes: control the false discovery rate (Benjamini-Hochberg).
    tested = table["p_value"].notna()
    table["q_value"] = np.nan
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(
            table.loc[tested, "p_value"].to_numpy(dtype=float))
    table["significant"] = (table["q_value"] < 1 - confidence).fillna(False).astype(bool)
    return table[columns[:10] + ["q_value"] + columns[10:]]


def _opinions_by_class(segments: pd.DataFrame, class_of: pd.Series) -> dict[tuple[int, str], float]:
    if segments is None or segments.empty or not {"theme_id", "sentiment"} <= set(segments.columns):
        return {}
    seg = segments[segments["sentiment"].notna() & segments["theme_id"].notna()]
    seg = seg.assign(nps_class=seg["row_id"].map(class_of)).dropna(subset=["nps_class"])
    if seg.empty:
        return {}
    score = (seg["sentiment"] == "positive").astype(float) - (seg["sentiment"] == "negative").astype(float)
    means = (100 * score).groupby([seg["theme_id"].astype(int), seg["nps_class"]]).mean()
    return {(int(key[0]), str(key[1])): float(value)  # type: ignore[index]
            for key, value in means.items()}

