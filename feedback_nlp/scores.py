"""Scores: parsing, NPS classes, NPS with its confidence interval, CSAT and CES.

Formulas
--------
- NPS class from a 0-10 answer: 0-6 detractor, 7-8 passive, 9-10 promoter (decimal
  scores such as Booking's 8.3 are classed by the same thresholds: < 7, < 9, >= 9).
- ``NPS = 100 * (p - d)`` with ``p`` the promoter share and ``d`` the detractor share.
- 95% interval of the NPS: normal approximation of the posterior of ``p - d`` under a
  weak uniform Dirichlet(1, 1, 1) prior (one pseudo-answer per class). With
  ``p~ = (P + 1) / (n + 3)`` and ``d~ = (D + 1) / (n + 3)``: centre ``p~ - d~``,
  ``Var = (p~ + d~ - (p~ - d~)^2) / (n + 4)`` (the exact posterior variance), interval
  ``100 * (centre ± 1.96 * sqrt(Var))`` clipped to [-100, 100] and widened, if needed, to
  hold the point estimate. Why: the multinomial Wald interval
  ``(p + d - (p - d)^2) / n`` has zero width whenever all answers fall in one class
  ("n = 2 · -100 [-100 ; -100]") and covers 88 % at n = 10; this one never has zero width
  and covers 95.1-95.6 % on average for n = 10..50 (exact enumeration,
  ``tests/test_nps_interval_simulation.py``), while it converges to the Wald interval on
  large groups (the prior weighs 3 answers). ``std_error`` is the posterior's.
- CSAT = share of 4-5 answers on a 1-5 scale (Wilson interval).
- CES = mean of a 1-7 effort score (normal interval).
- Star ratings (1-5) give NPS classes only through the explicit proxy 5 = promoter,
  4 = passive, 1-3 = detractor; results built on it carry ``is_proxy = True``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback_nlp.errors import ConfigError

Z95 = 1.959963984540054

NPS_CLASSES = ("detractor", "passive", "promoter")

_NUMBER_WORDS = {
    "zero": 0,
    "zéro": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
}
_MISSING = {"", "na", "n/a", "nan", "none", "null", "nc", "nr", "-", "?", "ns", "nsp", "sans avis"}
_FRACTION = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/|sur)\s*(\d+)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:pts?|points?|étoiles?|etoiles?|stars?|★)?\s*$", re.IGNORECASE)
_STARS = re.compile(r"^\s*(★+)\s*(☆*)\s*$")


@dataclass(frozen=True)
class Scale:
    """A numeric answer scale."""

    name: str
    low: float
    high: float


NPS_SCALE = Scale("nps", 0, 10)
STAR_SCALE = Scale("stars", 1, 5)
CSAT_SCALE = Scale("csat", 1, 5)
CES_SCALE = Scale("ces", 1, 7)


def parse_score(value: object, scale: Scale = NPS_SCALE) -> tuple[float, str]:
    """Parse one raw score cell into ``(value, status)``.

    ``status`` is ``ok``, ``missing`` (blank, ``N/A``), ``invalid`` (not a number) or
    ``out_of_range``; ``value`` is NaN unless ``ok``. Accepts ``9``, ``"9"``, ``"9,5"``,
    ``"9/10"`` (rescaled when the denominator differs from the scale's top), ``"neuf"``,
    ``"★★★★"``.

    >>> parse_score("9/10")
    (9.0, 'ok')
    >>> parse_score("11")
    (nan, 'out_of_range')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan, "missing"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        folded = text.casefold()
        if folded in _MISSING:
            return math.nan, "missing"
        match = _NUMBER.match(text)
        fraction = _FRACTION.match(text)
        stars = _STARS.match(text)
        if match:
            number = float(match.group(1).replace(",", "."))
        elif fraction:
            number = float(fraction.group(1).replace(",", "."))
            top = float(fraction.group(2))
            if top <= 0:
                return math.nan, "invalid"
            if top != scale.high:  # "4/5" on a 0-10 question means 8
                number = number / top * scale.high
        elif stars:
            number = float(len(stars.group(1)))
        elif folded in _NUMBER_WORDS:
            number = float(_NUMBER_WORDS[folded])
        else:
            return math.nan, "invalid"
    if math.isnan(number) or math.isinf(number):
        return math.nan, "missing" if math.isnan(number) else "invalid"
    if number < scale.low or number > scale.high:
        return math.nan, "out_of_range"
    return number, "ok"


_STAR_WRITTEN = re.compile(r"[★☆]|\d\s*(?:étoiles?|etoiles?|stars?)\b", re.IGNORECASE)


def is_star_rating(value: object) -> bool:
    """Whether a score cell is written as a star rating (``★★★★☆``, ``3 étoiles``, ``4 stars``)."""
    return isinstance(value, str) and _STAR_WRITTEN.search(value) is not None


def parse_scores(values: pd.Series, scale: Scale = NPS_SCALE, *,
                 column: str = "score") -> pd.DataFrame:
    """Vectorised :func:`parse_score`: a frame with ``value`` and ``status``, same index.

    On the 0-10 NPS scale, star ratings are not scores: ``★★★★☆`` would become a 4/10
    detractor. When 5% or more of the filled cells are written as stars the column is a
    star rating and a :class:`ConfigError` says to use ``--score-scale stars``; a few
    stray star cells are ``invalid``.
    """
    cache: dict[object, tuple[float, str]] = {}
    parsed = []
    raw_values = values.tolist()
    nps = scale.name == "nps"
    if nps:
        starry = [v for v in raw_values if is_star_rating(v)]
        filled = sum(1 for v in raw_values if v is not None and str(v).strip()
                     and not (isinstance(v, float) and math.isnan(v)))
        if starry and len(starry) >= 0.05 * max(filled, 1):
            raise ConfigError(
                f"score column {column!r} holds star ratings ({len(starry):,} cells such as "
                f"{str(starry[0])[:20]!r}) but the scale is NPS 0-10: they would be read as "
                "4/10 detractors.",
                fix="use --score-scale stars (score_scale = \"stars\"): NPS classes then come "
                "from the star proxy, labelled as such.",
            )
    for raw in raw_values:
        key = raw if isinstance(raw, (str, int, float)) else repr(raw)
        hit = cache.get(key)
        if hit is None:
            hit = (math.nan, "invalid") if nps and is_star_rating(raw) else parse_score(raw, scale)
            cache[key] = hit
        parsed.append(hit)
    frame = pd.DataFrame(parsed, columns=["value", "status"], index=values.index)
    frame["value"] = frame["value"].astype(float)
    return frame


def nps_class(score: pd.Series | float, *, scale: str = "nps") -> pd.Series:
    """NPS class of each score (``detractor``/``passive``/``promoter``; missing stays missing).

    ``scale="stars"`` applies the star proxy (5 promoter, 4 passive, 1-3 detractor).
    """
    values = pd.Series(score, dtype=float) if not isinstance(score, pd.Series) else score.astype(float)
    if scale == "nps":
        bins = [-np.inf, 7, 9, np.inf]
    elif scale == "stars":
        bins = [-np.inf, 4, 5, np.inf]
    else:
        raise ValueError(f"unknown scale {scale!r}")
    classes = pd.cut(values, bins=bins, right=False, labels=list(NPS_CLASSES))
    return classes.astype(object).where(values.notna(), None)


@dataclass(frozen=True)
class NPSResult:
    """NPS with its 95% interval. Shares are proportions, ``nps`` is in points."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float
    ci_low: float
    ci_high: float
    std_error: float
    is_proxy: bool = False

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n if self.n else math.nan

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n if self.n else math.nan

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "promoter_share": self.promoter_share,
            "detractor_share": self.detractor_share,
            "nps": self.nps,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "std_error": self.std_error,
            "is_proxy": self.is_proxy,
        }


def nps_from_counts(promoters: int, passives: int, detractors: int, *, is_proxy: bool = False,
                    z: float = Z95) -> NPSResult:
    """NPS and its interval from class counts (see the module docstring for the formula).

    >>> r = nps_from_counts(50, 30, 20)
    >>> round(r.nps, 1), round(r.ci_low, 1), round(r.ci_high, 1)
    (30.0, 14.1, 44.2)
    """
    n = promoters + passives + detractors
    if n == 0:
        return NPSResult(0, 0, 0, 0, math.nan, math.nan, math.nan, math.nan, is_proxy)
    value = 100 * (promoters - detractors) / n
    low, high, se = nps_interval(promoters, detractors, n, z=z)
    return NPSResult(n, promoters, passives, detractors, value, min(low, value),
                     max(high, value), se, is_proxy)


def nps_interval(promoters: float, detractors: float, n: float, *, z: float = Z95
                 ) -> tuple[float, float, float]:
    """``(ci_low, ci_high, std_error)`` of the NPS in points: Dirichlet(1, 1, 1) posterior.

    See the module docstring: never zero width for ``n >= 1``, 95 % coverage from n = 10.

    >>> [round(v, 1) for v in nps_interval(0, 2, 2)]  # two detractors: not certainty
    [-100.0, 24.0, 32.7]
    """
    total = n + 3
    p, d = (promoters + 1) / total, (detractors + 1) / total
    centre = p - d
    se = 100 * math.sqrt(max(0.0, p + d - centre**2) / (total + 1))
    return max(-100.0, 100 * centre - z * se), min(100.0, 100 * centre + z * se), se


def nps(classes: pd.Series, *, is_proxy: bool = False) -> NPSResult:
    """NPS of a Series of NPS classes (missing values are ignored)."""
    counts = classes.value_counts()
    return nps_from_counts(
        int(counts.get("promoter", 0)), int(counts.get("passive", 0)),
        int(counts.get("detractor", 0)), is_proxy=is_proxy,
    )


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (well-behaved for small n and extreme p)."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def csat(values: pd.Series) -> dict[str, float]:
    """CSAT in % (share of 4-5 on a 1-5 scale) with a Wilson 95% interval."""
    scores = pd.Series(values, dtype=float).dropna()
    n = len(scores)
    satisfied = int((scores >= 4).sum())
    low, high = wilson_interval(satisfied, n)
    return {"n": n, "csat": 100 * satisfied / n if n else math.nan, "ci_low": 100 * low, "ci_high": 100 * high}


def ces(values: pd.Series) -> dict[str, float]:
    """CES: mean effort on 1-7 with a normal 95% interval."""
    scores = pd.Series(values, dtype=float).dropna()
    n = len(scores)
    if n == 0:
        return {"n": 0, "ces": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    mean = float(scores.mean())
    se = float(scores.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "ces": mean, "ci_low": mean - Z95 * se, "ci_high": mean + Z95 * se}


def metrics_table(documents: pd.DataFrame, by: list[str] | None = None, *,
                  is_proxy: bool = False) -> pd.DataFrame:
    """NPS / CSAT / CES overall and per value of each column in ``by``.

    Uses the ``nps_class``, ``csat`` and ``ces`` columns of ``documents`` where present.
    Returns one row per cut with columns ``cut``, ``value``, ``n``, ``nps``,
    ``nps_ci_low``, ``nps_ci_high``, ``promoter_share``, ``detractor_share``,
    ``csat``..., ``ces``..., ``is_proxy``.
    """
    rows = [_metrics_row(documents, "all", "all", is_proxy)]
    for column in by or []:
        if column not in documents.columns:
            continue
        keys = documents[column].fillna("(vide)").astype(str)
        for value, group in documents.groupby(keys, sort=True):
            rows.append(_metrics_row(group, column, str(value), is_proxy))
    return pd.DataFrame(rows)


def _metrics_row(frame: pd.DataFrame, cut: str, value: str, is_proxy: bool) -> dict[str, object]:
    row: dict[str, object] = {"cut": cut, "value": value, "rows": len(frame)}
    if "nps_class" in frame.columns:
        result = nps(frame["nps_class"].dropna(), is_proxy=is_proxy)
        row.update(
            n=result.n, nps=result.nps, nps_ci_low=result.ci_low, nps_ci_high=result.ci_high,
            promoter_share=result.promoter_share, detractor_share=result.detractor_share,
            passive_share=result.passives / result.n if result.n else math.nan,
        )
    if "csat" in frame.columns:
        result_c = csat(frame["csat"])
        row.update(csat_n=result_c["n"], csat=result_c["csat"], csat_ci_low=result_c["ci_low"],
                   csat_ci_high=result_c["ci_high"])
    if "ces" in frame.columns:
        result_e = ces(frame["ces"])
        row.update(ces_n=result_e["n"], ces=result_e["ces"], ces_ci_low=result_e["ci_low"],
                   ces_ci_high=result_e["ci_high"])
    row["is_proxy"] = is_proxy
    return row
