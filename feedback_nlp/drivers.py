"""Themes × NPS: which irritants cost the most NPS points, with honest intervals.

Pure functions over the tables of :func:`feedback_nlp.analyze` (``documents``,
``segments``, ``themes``); :func:`annotate` fills ``priorities``, ``theme_by_nps``,
``trends`` and ``tables["cuts"]`` / ``tables["emerging"]`` of a
:class:`~feedback_nlp.pipeline.FeedbackAnalysis`.

Definitions (see ``docs/drivers.md`` for every column)
-----------------------------------------------------
- Population: documents with a usable text (``text_status == "ok"``) and a valid score
  (``nps_class`` not missing). Only they can mention a theme.
- Mentioner of a theme: a document with at least one opinion unit (segment) of that
  theme; negative mentioner: at least one *negative* unit of that theme. Theme ``-1``
  ("Autre / non classé") is never a driver.
- Each scored document carries ``v = +100`` (promoter), ``0`` (passive) or ``-100``
  (detractor), so ``NPS = mean(v)``.
- ``nps_impact = NPS(all) − NPS(non-mentioners)`` (Thematic / Kapiche). With ``s`` the
  mentioner share, ``nps_impact = s × (NPS(mentioners) − NPS(non-mentioners))``: volume
  times gap. ``negative_impact`` is the same with negative mentioners.
- Intervals of impacts: seeded Poisson bootstrap (percentile) or the delta method
  ``Var = gap² s(1−s)/n + s² (Var(v|m)/n_m + Var(v|¬m)/n_¬m)``.
- Driver model: least squares of ``v`` (or the score, or the detractor flag) on the
  theme-negative and theme-positive indicators of every theme at once plus
  ``log(1 + opinion units)`` (long reviews mention more themes and are more negative),
  HC3 robust standard errors; ``penalty = −coef(negative)``, ``reward = coef(positive)``.
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

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from feedback_nlp import scores as scores_mod
from feedback_nlp.config import AnalysisConfig, DriverConfig
from feedback_nlp.errors import ConfigError

#: Theme id of the "Autre / non classé" bucket: never a driver.
OTHER_THEME = -1

LOW_SUPPORT_NOTE = "à surveiller — trop peu de verbatims"
NOT_SIGNIFICANT_NOTE = "impact non significatif (l'intervalle contient 0)"

QUADRANTS = ("fix first", "watch", "keep", "strengths")
_QUADRANT_LABELS = {
    "fr": {"fix first": "à corriger en priorité", "watch": "à surveiller",
           "keep": "à maintenir", "strengths": "points forts"},
    "en": {"fix first": "fix first", "watch": "watch", "keep": "keep", "strengths": "strengths"},
}

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
_CSAT_COLUMNS = ("csat_mentioners", "csat_non_mentioners", "csat_impact", "csat_impact_ci_low",
                 "csat_impact_ci_high")
_CLASS_VALUE = {"promoter": 100.0, "passive": 0.0, "detractor": -100.0}


def quadrant_label(quadrant: str, lang: str = "fr") -> str:
    """French (or English) label of a quadrant of the priority matrix.

    >>> quadrant_label("fix first")
    'à corriger en priorité'
    """
    return _QUADRANT_LABELS.get(lang, _QUADRANT_LABELS["fr"]).get(quadrant, quadrant)


# --------------------------------------------------------------------------- mentions


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
    """``theme_id``, ``label``, ``family`` of every driver theme (``-1`` left out)."""
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
    out = out[out["theme_id"] != OTHER_THEME].drop_duplicates("theme_id")
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


def _population(documents: pd.DataFrame) -> pd.Series:
    usable = documents["text_status"] == "ok" if "text_status" in documents.columns else True
    return pd.Series(usable, index=documents.index) & documents["nps_class"].notna()


# --------------------------------------------------------------------------- impact


def _z(confidence: float) -> float:
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
    impact = np.where((inside > 0) & (outside > 0), impact, np.where(inside == 0, 0.0, np.nan))
    se = np.where((inside > 0) & (outside > 0), se, np.where(inside == 0, 0.0, np.nan))
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
    low, high, se = (np.where(no_mention, 0.0, a) for a in (low, high, se))
    return impact, low, high, se


def _impact(values: np.ndarray, mask: np.ndarray, config: DriverConfig, seed: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if config.ci_method == "delta":
        return impact_delta(values, mask, z=_z(config.confidence))
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
    z = _z(confidence)
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


def _length_control(documents: pd.DataFrame, segments: pd.DataFrame) -> np.ndarray | None:
    """``log(1 + opinion units)`` per document (None when segments say nothing)."""
    if segments is None or segments.empty or "row_id" not in segments.columns:
        return None
    key = "segment_id" if "segment_id" in segments.columns else None
    units = (segments.groupby("row_id")[key].nunique() if key
             else segments.groupby("row_id").size())
    counts = documents["row_id"].map(units).fillna(0).to_numpy(dtype=float)
    return np.log1p(counts)


def _outcome(documents: pd.DataFrame, target: str) -> np.ndarray:
    if target == "score":
        return documents["score"].astype(float).to_numpy()
    if target == "detractor":
        return 100.0 * (documents["nps_class"] == "detractor").to_numpy(dtype=float)
    return nps_values(documents["nps_class"])


# --------------------------------------------------------------------------- priorities


def priorities(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
               config: AnalysisConfig | DriverConfig | None = None, *,
               is_proxy: bool = False, csat: bool = False, seed: int | None = None,
               lang: str = "fr", **options: Any) -> pd.DataFrame:
    """Rank the themes by the NPS points their negative mentions cost.

    Parameters
    ----------
    documents, segments, themes
        Tables of :func:`feedback_nlp.analyze` (see the module docstring for the columns
        used).
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
    columns = list(PRIORITY_COLUMNS) + (list(_CSAT_COLUMNS) if csat else [])
    if catalogue.empty or "nps_class" not in documents.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    theme_ids = catalogue["theme_id"].tolist()
    usable_mask = (documents["text_status"] == "ok") if "text_status" in documents.columns \
        else pd.Series(True, index=documents.index)
    usable = documents[usable_mask.to_numpy()]
    all_mentions = theme_mentions(usable, segments, theme_ids)
    n_usable = len(usable)
    scored = _population(usable).to_numpy()
    mentions = Mentions(all_mentions.row_ids[scored], theme_ids, all_mentions.any[scored],
                        None if all_mentions.negative is None else all_mentions.negative[scored],
                        None if all_mentions.positive is None else all_mentions.positive[scored])
    scored_docs = usable[scored]
    values = nps_values(scored_docs["nps_class"])
    z = _z(drivers_config.confidence)

    table = catalogue.copy()
    table["mentions"] = all_mentions.any.sum(axis=0)
    table["share"] = table["mentions"] / n_usable if n_usable else np.nan
    if all_mentions.negative is not None:
        table["negative_mentions"] = all_mentions.negative.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["negative_share"] = table["negative_mentions"] / table["mentions"].replace(0, np.nan)
    else:
        table["negative_mentions"] = np.nan
        table["negative_share"] = np.nan
    table["scored_mentions"] = mentions.any.sum(axis=0)
    for prefix, group in (("nps_mentioners", mentions.any), ("nps_non_mentioners", ~mentions.any)):
        results = [_nps_of(values[group[:, j]], is_proxy, z) for j in range(len(theme_ids))]
        table[prefix] = [r.nps for r in results]
        table[f"{prefix}_ci_low"] = [r.ci_low for r in results]
        table[f"{prefix}_ci_high"] = [r.ci_high for r in results]
    impact = _impact(values, mentions.any, drivers_config, seed)
    table["nps_impact"], table["nps_impact_ci_low"], table["nps_impact_ci_high"] = impact[:3]
    if mentions.negative is not None:
        negative = _impact(values, mentions.negative, drivers_config, seed + 1)
        table["negative_impact"] = negative[0]
        table["negative_impact_ci_low"], table["negative_impact_ci_high"] = negative[1:3]
        model = driver_model(_outcome(scored_docs, drivers_config.target), mentions.negative,
                             mentions.positive, controls=_length_control(scored_docs, segments),
                             confidence=drivers_config.confidence)
        for column in model.columns:
            table[column] = model[column].to_numpy()
    else:
        for column in ("negative_impact", "negative_impact_ci_low", "negative_impact_ci_high",
                       "penalty", "penalty_ci_low", "penalty_ci_high", "reward",
                       "reward_ci_low", "reward_ci_high"):
            table[column] = np.nan
    table["net_sentiment"] = [all_mentions.net_sentiment.get(t, np.nan) for t in theme_ids]
    if csat and "score" in scored_docs.columns:
        satisfied = 100.0 * (scored_docs["score"].astype(float) >= 4).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = mentions.any.sum(axis=0)
            table["csat_mentioners"] = satisfied @ mentions.any / inside
            table["csat_non_mentioners"] = satisfied @ ~mentions.any / (len(satisfied) - inside)
        csat_impact = _impact(satisfied, mentions.any, drivers_config, seed + 2)
        table["csat_impact"], table["csat_impact_ci_low"], table["csat_impact_ci_high"] = csat_impact[:3]

    return _rank(table, drivers_config, is_proxy, lang)[columns]


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
    notes = np.where(table["low_support"], LOW_SUPPORT_NOTE,
                     np.where((low <= 0) & (high >= 0) & table["mentions"].gt(0),
                              NOT_SIGNIFICANT_NOTE, ""))
    table["note"] = notes
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


# --------------------------------------------------------------------------- theme × NPS


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


def theme_by_nps(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame, *,
                 is_proxy: bool = False, confidence: float = 0.95) -> pd.DataFrame:
    """Theme × NPS class: who mentions each theme, over-representation and sentiment mix.

    For each theme and class (detractor, passive, promoter) among scored documents with a
    usable text: ``class_documents``, ``mentions``, ``share`` (of the class who mention
    the theme), ``share_of_mentions`` (of the theme's mentioners who are in the class),
    ``base_share`` (of all scored documents), ``lift = share / base_share``,
    ``p_value`` (Fisher exact test, this class vs the two others), ``q_value``
    (Benjamini-Hochberg over the whole table), ``significant`` (``q_value < 0.05``);
    ``negative_mentions``; ``net_sentiment`` (% positive − % negative opinions on the
    theme written by this class) and ``theme_net_sentiment`` (all classes).

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
               "net_sentiment", "theme_net_sentiment", "is_proxy"]
    catalogue = theme_catalogue(themes, segments)
    if catalogue.empty or "nps_class" not in documents.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    scored_docs = documents[_population(documents).to_numpy()]
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


# --------------------------------------------------------------------------- time


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
    z = _z(confidence)
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
    z = _z(confidence)
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


# --------------------------------------------------------------------------- cuts


def cuts(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
         config: AnalysisConfig | None = None, *, by: list[str] | None = None,
         is_proxy: bool = False, csat: bool = False) -> pd.DataFrame:
    """:func:`priorities` per value of ``segment``, ``channel`` and ``stage``.

    Cut values with fewer than ``min_support`` scored documents with text are skipped
    (their NPS is still in ``metrics``). Columns: ``cut``, ``value``, ``n_documents``
    then the priority columns.
    """
    config = config or AnalysisConfig()
    by = [c for c in (by or ["segment", "channel", "stage"]) if c in documents.columns]
    frames = []
    population = _population(documents)
    for column in by:
        keys = documents[column].fillna("(vide)").astype(str)
        for value in sorted(keys.unique()):
            in_cut = (keys == value).to_numpy()
            n_docs = int((population.to_numpy() & in_cut).sum())
            if n_docs < config.drivers.min_support:
                continue
            part = documents[in_cut]
            part_segments = segments[segments["row_id"].isin(part["row_id"])] \
                if "row_id" in segments.columns else segments
            table = priorities(part, part_segments, themes, config, is_proxy=is_proxy,
                               csat=csat, lang=config.lang)
            if table.empty:
                continue
            table.insert(0, "n_documents", n_docs)
            table.insert(0, "value", value)
            table.insert(0, "cut", column)
            frames.append(table)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object)
                             for c in ["cut", "value", "n_documents", *PRIORITY_COLUMNS]})
    return pd.concat(frames, ignore_index=True)


def theme_by_nps_cuts(documents: pd.DataFrame, segments: pd.DataFrame, themes: pd.DataFrame,
                      config: AnalysisConfig | None = None, *, by: list[str] | None = None,
                      is_proxy: bool = False) -> pd.DataFrame:
    """:func:`theme_by_nps` per value of ``segment``, ``channel`` and ``stage`` (same rule
    of minimum support as :func:`cuts`; q-values within each cut value)."""
    config = config or AnalysisConfig()
    by = [c for c in (by or ["segment", "channel", "stage"]) if c in documents.columns]
    population = _population(documents).to_numpy()
    frames = []
    for column in by:
        keys = documents[column].fillna("(vide)").astype(str)
        for value in sorted(keys.unique()):
            in_cut = (keys == value).to_numpy()
            n_docs = int((population & in_cut).sum())
            if n_docs < config.drivers.min_support:
                continue
            table = theme_by_nps(documents[in_cut], segments, themes, is_proxy=is_proxy,
                                 confidence=config.drivers.confidence)
            if table.empty:
                continue
            table.insert(0, "n_documents", n_docs)
            table.insert(0, "value", value)
            table.insert(0, "cut", column)
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --------------------------------------------------------------------------- before/after


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

    def summary(self, top: int = 10) -> str:
        """A few French lines for the terminal."""
        lines = []
        for _, row in self.overall.iterrows():
            if row["period"] == "change":
                significance = "significatif" if row["p_value"] < 0.05 else "non significatif"
                p_text = "p < 0,001" if row["p_value"] < 0.001 else \
                    f"p = {row['p_value']:.3f}".replace(".", ",")
                lines.append(f"Évolution du NPS : {row['nps']:+.1f} pts [IC {row['ci_low']:+.1f} ; "
                             f"{row['ci_high']:+.1f}] ({p_text}, {significance})")
            else:
                name = "Avant" if row["period"] == "before" else "Après"
                proxy = " (proxy étoiles)" if row["is_proxy"] else ""
                start, end = self.before if row["period"] == "before" else self.after
                lines.append(f"{name} ({start:%Y-%m-%d} → {end:%Y-%m-%d}) : NPS{proxy} "
                             f"{row['nps']:+.1f} [{row['ci_low']:+.1f} ; {row['ci_high']:+.1f}] "
                             f"sur {int(row['n'])} réponses")
        if not self.themes.empty:
            lines.append("Thèmes (part des verbatims, avant → après ; impact NPS) :")
            shown = self.themes.reindex(
                self.themes["share_change"].abs().sort_values(ascending=False).index).head(top)
            for _, row in shown.iterrows():
                star = " *" if row["share_p_value"] < 0.05 else ""
                lines.append(
                    f"  {row['label']} : {row['share_before']:.1f} % → {row['share_after']:.1f} % "
                    f"({_signed(row['share_change'])} pts{star}) ; impact "
                    f"{_signed(row['impact_before'])} → {_signed(row['impact_after'])}")
            lines.append("  * : changement de part significatif (p < 0,05)")
        return "\n".join(lines)


def _signed(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:+.1f}"


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
    z = _z(config.drivers.confidence)
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


# --------------------------------------------------------------------------- pipeline


def annotate(analysis: Any, config: AnalysisConfig) -> Any:
    """Fill ``priorities``, ``theme_by_nps``, ``trends`` and ``tables["cuts"]`` /
    ``tables["emerging"]`` of a :class:`~feedback_nlp.pipeline.FeedbackAnalysis`.

    Works without themes (trends of NPS only) and on star ratings (everything labelled
    ``is_proxy``; CSAT-based impact added).
    """
    documents, segments, themes = analysis.documents, analysis.segments, analysis.themes
    is_proxy = config.score_scale == "stars" and "score" in documents.columns
    csat = config.score_scale == "stars" and "score" in documents.columns
    drivers_config = config.drivers
    has_scores = "nps_class" in documents.columns
    if has_scores:
        analysis.priorities = priorities(documents, segments, themes, config,
                                         is_proxy=is_proxy, csat=csat, lang=config.lang)
        analysis.theme_by_nps = theme_by_nps(documents, segments, themes, is_proxy=is_proxy,
                                             confidence=drivers_config.confidence)
        cut_table = cuts(documents, segments, themes, config, is_proxy=is_proxy, csat=csat)
        if not cut_table.empty:
            analysis.tables["cuts"] = cut_table
        by_class = theme_by_nps_cuts(documents, segments, themes, config, is_proxy=is_proxy)
        if not by_class.empty:
            analysis.tables["theme_by_nps_cuts"] = by_class
    if "date" in documents.columns and documents["date"].notna().any():
        analysis.trends = trends(documents, segments, themes, period=drivers_config.period,
                                 is_proxy=is_proxy, confidence=drivers_config.confidence,
                                 csat=csat)
        emerging_table = emerging(analysis.trends, confidence=drivers_config.confidence,
                                  min_support=drivers_config.min_support)
        if not emerging_table.empty:
            analysis.tables["emerging"] = emerging_table
    return analysis
