"""Coverage and width of the NPS interval on small groups: exact, plus real Booking groups.

Usage::

    .venv/bin/python benchmarks/intervals.py        # ~1 min, writes results/intervals.*

What it measures (issue 17: "honest intervals"):

- **Exact coverage** of the 95 % interval of :func:`feedback_nlp.scores.nps_from_counts`
  (Dirichlet(1, 1, 1) posterior, the one every table uses) for n = 1…50 answers. For each
  n every outcome (P promoters, D detractors) is enumerated with its multinomial
  probability, so the figures carry no sampling noise. True class mixes: the grid of
  ``tests/test_nps_interval_simulation.py`` (promoter and detractor shares 5 %…95 % by
  steps of 10 points, 45 mixes). The multinomial Wald interval used before
  (variance ``(p + d − (p − d)²) / n``) is measured alongside.
- **Real small groups**: Booking's 3,631 Paris hotel reviews (``score_0_10``, a
  satisfaction score, so the NPS is a labelled proxy) grouped by reviewer country, as a
  "by country" cut would show them. For the groups under 30 answers: how many get a
  zero-width interval (the old Wald gives one whenever every answer falls in one class)
  and the median width, Wald vs the shipped interval.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clean_io import ROOT, SHARED, machine, write_results  # noqa: E402

sys.path.insert(0, str(ROOT))
from feedback_nlp import scores  # noqa: E402

BOOKING = SHARED / "fr_reviews_booking_paris_0to10.csv.gz"
Z = scores.Z95
GRID = [(p, 1 - p - d, d) for p in np.arange(0.05, 0.96, 0.1) for d in np.arange(0.05, 0.96, 0.1)
        if p + d <= 0.951]
SIZES = (1, 2, 3, 5, 10, 20, 30, 50)
SMALL = 30


def _wald(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray | int
          ) -> tuple[np.ndarray, np.ndarray]:
    p, d = promoters / n, detractors / n
    se = np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / n)
    return 100 * np.clip(p - d - Z * se, -1, 1), 100 * np.clip(p - d + Z * se, -1, 1)


def _shipped(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray | int
             ) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.broadcast_to(n, promoters.shape)
    results = [scores.nps_from_counts(int(p), int(m - p - d), int(d))
               for p, d, m in zip(promoters, detractors, sizes)]
    return np.array([r.ci_low for r in results]), np.array([r.ci_high for r in results])


def exact_coverage(n: int) -> dict[str, float]:
    """Mean and minimum coverage over :data:`GRID` of both intervals, and their widths."""
    promoters, detractors = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = promoters + detractors <= n
    promoters, detractors = promoters[keep], detractors[keep]
    counts = np.stack([promoters, n - promoters - detractors, detractors], axis=1)
    row: dict[str, float] = {"n": n}
    for name, (low, high) in (("shipped", _shipped(promoters, detractors, n)),
                              ("wald", _wald(promoters, detractors, n))):
        coverage, width = [], []
        for p, q, d in GRID:
            pmf = stats.multinomial.pmf(counts, n, [p, q, d])
            truth = 100 * (p - d)
            coverage.append(float(pmf[(low <= truth + 1e-9) & (high >= truth - 1e-9)].sum()))
            width.append(float((pmf * (high - low)).sum()))
        row[f"{name}_mean"] = 100 * float(np.mean(coverage))
        row[f"{name}_min"] = 100 * float(np.min(coverage))
        row[f"{name}_width"] = float(np.mean(width))
        row[f"{name}_zero_width_outcomes"] = int(((high - low) < 1e-9).sum())
    return row


def booking_groups() -> dict[str, Any]:
    """Zero-width and median width of both intervals on Booking's small country groups."""
    frame = pd.read_csv(BOOKING, usecols=["score_0_10", "reviewer_country_es"])
    classes = scores.nps_class(frame["score_0_10"])
    table = (pd.DataFrame({"country": frame["reviewer_country_es"].fillna("?"), "cls": classes})
             .groupby("country")["cls"].value_counts().unstack(fill_value=0))
    for column in ("promoter", "passive", "detractor"):
        if column not in table:
            table[column] = 0
    table["n"] = table[["promoter", "passive", "detractor"]].sum(axis=1)
    small = table[table["n"] < SMALL]
    promoters, detractors = small["promoter"].to_numpy(), small["detractor"].to_numpy()
    n = small["n"].to_numpy()
    out: dict[str, Any] = {"reviews": int(len(frame)), "groups": int(len(table)),
                           "small_groups": int(len(small)), "small_below": SMALL}
    for name, (low, high) in (("wald", _wald(promoters, detractors, n)),
                              ("shipped", _shipped(promoters, detractors, n))):
        width = high - low
        out[f"{name}_zero_width"] = int((width < 1e-9).sum())
        out[f"{name}_median_width"] = float(np.median(width))
    return out


def main() -> None:
    info = machine()
    rows = [exact_coverage(n) for n in range(1, 51)]
    table = pd.DataFrame(rows).set_index("n")
    booking = booking_groups()
    lines = [
        "# NPS interval on small groups",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['cpu_count']} cores), "
        f"load average at start {info.get('load_avg_at_start')}. Script: "
        "`benchmarks/intervals.py`.",
        "",
        "## Exact coverage of the 95 % interval (every outcome enumerated)",
        "",
        f"Mean and worst coverage over {len(GRID)} true class mixes (promoter and detractor "
        "shares 5–95 %); expected width in NPS points. *Shipped* = Dirichlet(1, 1, 1) "
        "posterior (every table), *Wald* = the interval used before.",
        "",
        "| n | shipped mean | shipped min | shipped width | Wald mean | Wald min | Wald width |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in SIZES:
        r = table.loc[n]
        lines.append(f"| {n} | {r.shipped_mean:.1f} % | {r.shipped_min:.1f} % | "
                     f"{r.shipped_width:.0f} | {r.wald_mean:.1f} % | {r.wald_min:.1f} % | "
                     f"{r.wald_width:.0f} |")
    from_10 = table.loc[10:50]
    lines += [
        "",
        f"n = 10…50: shipped mean coverage {from_10.shipped_mean.min():.2f}–"
        f"{from_10.shipped_mean.max():.2f} % (Wald {from_10.wald_mean.min():.1f}–"
        f"{from_10.wald_mean.max():.1f} %). Outcomes with a zero-width interval for "
        f"n = 1…50: shipped {int(table.shipped_zero_width_outcomes.sum())}, "
        f"Wald {int(table.wald_zero_width_outcomes.sum())}.",
        "",
        "## Real small groups: Booking reviews by reviewer country",
        "",
        f"{booking['reviews']:,} reviews, {booking['groups']} countries, "
        f"{booking['small_groups']} of them with fewer than {SMALL} answers (NPS proxy on "
        "Booking's 0–10 satisfaction score).",
        "",
        "| interval | zero-width intervals | median width (points) |",
        "|---|---:|---:|",
        f"| Wald (before) | {booking['wald_zero_width']} of {booking['small_groups']} | "
        f"{booking['wald_median_width']:.0f} |",
        f"| shipped | {booking['shipped_zero_width']} of {booking['small_groups']} | "
        f"{booking['shipped_median_width']:.0f} |",
        "",
    ]
    write_results("intervals", "\n".join(lines), {
        "machine": info, "grid_mixes": len(GRID),
        "exact": table.reset_index().to_dict("records"), "booking_by_country": booking})


if __name__ == "__main__":
    main()
