"""Drivers (themes × NPS) on the real 0-10 scored French set, plus simulated coverage.

Usage::

    .venv/bin/python benchmarks/drivers.py                 # Booking + simulation (~2 min)
    .venv/bin/python benchmarks/drivers.py --pipeline      # also the full analyze() run

Real data: ``../shared/data/fr_reviews_booking_paris_0to10.csv.gz`` (3,631 Paris hotel
reviews; Booking's 0-10 review score, a *satisfaction* score, so every NPS figure is a
labelled proxy). Booking asks separately what the guest liked and disliked, so each
review gives up to two opinions whose polarity comes from the form itself:
``positive_text`` → positive, ``negative_text`` → negative ("RAS", "Rien" and other
non-answers are dropped by :func:`feedback_nlp.clean.text_status`).

Themes: a transparent keyword code frame written for this benchmark (``CODE_FRAME``
below; a unit may hit several themes, a unit hitting none is ``-1``). It is *not* the
product's theme model: it isolates the driver statistics from theme quality. With
``--pipeline`` the script also runs ``analyze()`` end to end (shipped sentiment and
BERTopic themes) when those stages are available.

Measured:
- the priority table on the real data (impact, negative impact, penalty with intervals);
- split-half stability: Spearman correlation of the themes' negative impact between two
  random halves of the reviews (20 seeded splits) and overlap of the top 3;
- bootstrap vs delta interval widths;
- the length control of the driver model: random themes on real reviews (insurance
  sample), penalties with and without it;
- run time of ``drivers.annotate`` (delta, and 500 bootstrap replicates) on the 3,631 reviews and on
  the same reviews repeated 10 times (36,310 rows; repetition only for timing);
- SIMULATED coverage of the 95% intervals (generator of ``tests/test_drivers_simulation``,
  true values computed exactly): 1,000 repetitions (delta), 200 (bootstrap).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clean_io import ROOT, SHARED, machine, write_results  # noqa: E402

sys.path.insert(0, str(ROOT))
from feedback_nlp import drivers  # noqa: E402
from feedback_nlp.clean import clean_series, text_status  # noqa: E402
from feedback_nlp.config import AnalysisConfig, DriverConfig  # noqa: E402
from feedback_nlp.drivers.mentions import population  # noqa: E402
from feedback_nlp.pipeline import FeedbackAnalysis, analyze  # noqa: E402

BOOKING = SHARED / "fr_reviews_booking_paris_0to10.csv.gz"

#: Keyword code frame for hotel reviews (benchmark only): label -> regex on lower-cased text.
CODE_FRAME: dict[str, tuple[str, str]] = {
    "Propreté": ("Chambre", r"\bpropre|\bsale\b|\bsales\b|saleté|poussi[eè]re|cheveux|tache|ménage|nettoy"),
    "Personnel et accueil": ("Service", r"personnel|accueil|réception|staff|équipe|aimable|gentil|"
                             r"serviable|souriant|concierge|employé"),
    "Petit-déjeuner": ("Restauration", r"petit[- ]d[ée]j|buffet|viennoiserie|croissant"),
    "Emplacement": ("Emplacement", r"emplacement|\bsitu[ée]|situation|quartier|métro|localisation|"
                    r"proximité|à pied|bien plac"),
    "Taille de la chambre": ("Chambre", r"(chambre|pièce)s? (très |trop |assez |un peu )?(petite|exigu)|"
                             r"exigu|spacieu|superficie|\bm2\b|étroit|minuscule"),
    "Literie": ("Chambre", r"\blits?\b|literie|matelas|oreiller|couette|\bdraps?\b"),
    "Bruit": ("Chambre", r"\bbruit|bruyant|insonoris|\bcalme|silenc"),
    "Salle de bain": ("Chambre", r"salle de bain|salle d'eau|douche|baignoire|toilette|\bwc\b|lavabo|"
                      r"eau chaude|serviette"),
    "Prix": ("Prix", r"\bprix|\bcher\b|chère|tarif|coût|qualité[- ]prix|\beuros?\b|€"),
    "Climatisation et chauffage": ("Chambre", r"\bclim|chauffage|température|trop chaud|froid"),
    "Wifi": ("Équipements", r"wi-?fi|internet|connexion"),
    "Restaurant et bar": ("Restauration", r"restaurant|\bbar\b|rooftop|dîner|diner|repas|serveur|"
                          r"cocktail"),
    "Ascenseur": ("Équipements", r"ascenseur"),
    "Vue": ("Emplacement", r"\bvue\b|tour eiffel|balcon|terrasse"),
}


# --------------------------------------------------------------------------- data


def booking_analysis(repeat: int = 1) -> FeedbackAnalysis:
    """Documents from ``analyze()`` (cleaning, statuses, NPS classes) + field-level
    opinions themed by the code frame."""
    raw = pd.read_csv(BOOKING)
    if repeat > 1:
        raw = pd.concat([raw] * repeat, ignore_index=True)
    positive = raw["positive_text"].fillna("").astype(str)
    negative = raw["negative_text"].fillna("").astype(str)
    frame = pd.DataFrame({"avis": (positive + "\n" + negative).str.strip(),
                          "note": raw["score_0_10"], "type": raw["property_type"]})
    result = analyze(frame, text="avis", score="note", segment="type", sentiment=False,
                     themes={"enabled": False}, check_language=False)
    units = []
    for sentiment, texts in (("positive", positive), ("negative", negative)):
        cleaned = clean_series(texts)
        for row_id, text in zip(result.documents["row_id"].tolist(), cleaned.tolist()):
            if text_status(text, check_language=False)[0] == "ok":
                units.append((row_id, text, sentiment))
    units_frame = pd.DataFrame(units, columns=["row_id", "text", "sentiment"])
    units_frame["segment_id"] = np.arange(len(units_frame))
    labels = list(CODE_FRAME)
    patterns = [re.compile(CODE_FRAME[label][1]) for label in labels]
    rows = []
    for unit in units_frame.itertuples(index=False):
        lowered = unit.text.lower()
        hits = [k + 1 for k, pattern in enumerate(patterns) if pattern.search(lowered)] or [-1]
        rows.extend((unit.row_id, unit.segment_id, unit.text, unit.sentiment, t) for t in hits)
    segments = pd.DataFrame(rows, columns=["row_id", "segment_id", "text", "sentiment", "theme_id"])
    names = {k + 1: label for k, label in enumerate(labels)} | {-1: "Autre / non classé"}
    segments["theme_label"] = segments["theme_id"].map(names)
    themes = pd.DataFrame({"theme_id": list(range(1, len(labels) + 1)), "label": labels,
                           "family": [CODE_FRAME[label][0] for label in labels]})
    result.segments, result.themes = segments, themes
    return result


# --------------------------------------------------------------------------- measures


def split_half(analysis: FeedbackAnalysis, config: AnalysisConfig, n_splits: int = 20
               ) -> dict[str, float]:
    docs = analysis.documents
    rho, overlap = [], []
    for seed in range(n_splits):
        half = np.random.default_rng(seed).random(len(docs)) < 0.5
        tables = []
        for part in (docs[half], docs[~half]):
            segs = analysis.segments[analysis.segments["row_id"].isin(part["row_id"])]
            tables.append(drivers.priorities(part, segs, analysis.themes, config,
                                             ci_method="delta").set_index("theme_id"))
        a, b = tables
        common = a.index.intersection(b.index)
        rho.append(stats.spearmanr(a.loc[common, "negative_impact"],
                                   b.loc[common, "negative_impact"]).statistic)
        top_a = set(a.sort_values("rank").index[:3])
        top_b = set(b.sort_values("rank").index[:3])
        overlap.append(len(top_a & top_b) / 3)
    return {"spearman_negative_impact_mean": float(np.mean(rho)),
            "spearman_negative_impact_min": float(np.min(rho)),
            "top3_overlap_mean": float(np.mean(overlap)), "splits": n_splits}


def random_theme_control(n_themes: int = 8, seed: int = 0) -> dict[str, Any]:
    """Real reviews (bundled insurance sample), themes assigned to opinion units at random
    (30% of units, random polarity): no theme can have a true effect. Penalties of the
    driver model with and without the length control."""
    result = analyze(ROOT / "data" / "avis_assurance_2021.csv", text="avis", score="note",
                     score_scale="stars", sentiment=False, themes={"enabled": False})
    rng = np.random.default_rng(seed)
    segments = result.segments.copy()
    segments["theme_id"] = np.where(rng.random(len(segments)) < 0.3,
                                    rng.integers(0, n_themes, len(segments)), -1)
    segments["sentiment"] = rng.choice(["negative", "positive"], len(segments))
    themes = pd.DataFrame({"theme_id": range(n_themes),
                           "label": [f"aléatoire {k}" for k in range(n_themes)]})
    with_control = drivers.priorities(result.documents, segments, themes, min_support=30)
    scored = result.documents[population(result.documents).to_numpy()]
    found = drivers.theme_mentions(scored, segments, list(range(n_themes)))
    bare = drivers.driver_model(drivers.nps_values(scored["nps_class"]), found.negative,
                                found.positive)
    out: dict[str, Any] = {"reviews": len(result.documents), "themes": n_themes}
    for name, table in (("with_control", with_control), ("without_control", bare)):
        out[name] = {"penalty_min": float(table["penalty"].min()),
                     "penalty_max": float(table["penalty"].max()),
                     "intervals_excluding_0": int(((table["penalty_ci_low"] > 0)
                                                   | (table["penalty_ci_high"] < 0)).sum())}
    return out


def simulated_coverage(repetitions: dict[str, int]) -> dict[str, dict[str, float]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_drivers_simulation import THEMES, _simulate, _truth

    truth = _truth()
    out: dict[str, dict[str, float]] = {}
    for method, reps in repetitions.items():
        rng = np.random.default_rng(100)
        covered = {"nps_mentioners": 0, "nps_impact": 0, "negative_impact": 0}
        for r in range(reps):
            documents, segments = _simulate(2000, rng)
            table = drivers.priorities(documents, segments, THEMES, min_support=1,
                                       ci_method=method, n_bootstrap=500,
                                       seed=r).set_index("theme_id").sort_index()
            for name in covered:
                low, high = table[f"{name}_ci_low"], table[f"{name}_ci_high"]
                covered[name] += int(((low <= truth[name]) & (truth[name] <= high)).sum())
        out[method] = {name: count / (reps * 5) for name, count in covered.items()}
        out[method]["intervals_per_quantity"] = reps * 5
    return out


def pipeline_run() -> dict[str, Any]:
    raw = pd.read_csv(BOOKING)
    frame = pd.DataFrame({"avis": (raw["positive_text"].fillna("") + "\n"
                                   + raw["negative_text"].fillna("")).str.strip(),
                          "note": raw["score_0_10"], "type": raw["property_type"]})
    started = time.perf_counter()
    result = analyze(frame, text="avis", score="note", segment="type")
    elapsed = time.perf_counter() - started
    if result.themes.empty or result.priorities.empty:
        return {"available": False, "elapsed_s": elapsed}
    top = result.priorities.head(10)[["label", "mentions", "nps_impact", "negative_impact",
                                      "priority_score", "quadrant", "low_support"]]
    return {"available": True, "elapsed_s": elapsed, "n_themes": len(result.themes),
            "top": top.to_dict("records")}


# --------------------------------------------------------------------------- report


def _fmt(value: float, digits: int = 1) -> str:
    return "—" if pd.isna(value) else f"{value:+.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", action="store_true", help="also run analyze() end to end")
    parser.add_argument("--quick", action="store_true", help="fewer simulation repetitions")
    args = parser.parse_args(argv)

    config = AnalysisConfig(drivers=DriverConfig(min_support=30, n_bootstrap=500,
                                                 ci_method="delta"))
    analysis = booking_analysis()
    documents = analysis.documents
    scored = documents["nps_class"].notna() & (documents["text_status"] == "ok")
    overall = drivers.scores_mod.nps(documents.loc[scored, "nps_class"], is_proxy=True)

    boot_config = config.replace(drivers={"ci_method": "bootstrap"})
    timings = {}
    for name, chosen in (("delta", config), ("bootstrap", boot_config)):
        fresh = booking_analysis()
        started = time.perf_counter()
        annotated = drivers.annotate(fresh, chosen)
        timings[f"booking_{name}"] = time.perf_counter() - started
    analysis = drivers.annotate(analysis, config)  # the default: delta intervals
    table = analysis.priorities
    delta = table.set_index("theme_id")
    boot = annotated.priorities.set_index("theme_id").loc[delta.index]
    width_ratio = ((boot["negative_impact_ci_high"] - boot["negative_impact_ci_low"])
                   / (delta["negative_impact_ci_high"] - delta["negative_impact_ci_low"]))
    stability = split_half(analysis, config)

    for name, chosen in (("delta", config), ("bootstrap", boot_config)):
        big = booking_analysis(repeat=10)
        started = time.perf_counter()
        drivers.annotate(big, chosen)
        timings[f"booking_x10_{name}"] = time.perf_counter() - started

    control = random_theme_control()
    reps = {"delta": 200, "bootstrap": 50} if args.quick else {"delta": 1000, "bootstrap": 200}
    coverage = simulated_coverage(reps)
    pipeline = pipeline_run() if args.pipeline else None

    info = machine()
    lines = [
        "# Drivers: themes × NPS on real 0-10 scores (Booking, Paris hotels)",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['cpu_count']} cores, one used), "
        f"load average at start {info.get('load_avg_at_start')}; "
        "`benchmarks/drivers.py`. Booking's score is a satisfaction score: NPS is a proxy.",
        "Themes: keyword code frame of the script (not the theme model); opinions' polarity "
        "from Booking's liked / disliked fields.",
        "",
        f"Reviews: {len(documents):,}; scored with usable text: {int(scored.sum()):,}; "
        f"opinions: {analysis.segments['segment_id'].nunique():,}. "
        f"NPS (proxy) {overall.nps:+.1f} [{overall.ci_low:+.1f} ; {overall.ci_high:+.1f}].",
        "",
        "Intervals: delta method (the default).",
        "",
        "| rank | theme | mentions | % neg. | NPS mentioners | impact [95% CI] | "
        "negative impact [95% CI] | penalty [95% CI] | priority | quadrant |",
        "|---:|---|---:|---:|---:|---|---|---|---:|---|",
    ]
    for row in table.itertuples(index=False):
        flag = " (low support)" if row.low_support else ""
        lines.append(
            f"| {row.rank} | {row.label}{flag} | {row.mentions} | {100 * row.negative_share:.0f} | "
            f"{_fmt(row.nps_mentioners)} | {_fmt(row.nps_impact)} [{_fmt(row.nps_impact_ci_low)} ; "
            f"{_fmt(row.nps_impact_ci_high)}] | {_fmt(row.negative_impact)} "
            f"[{_fmt(row.negative_impact_ci_low)} ; {_fmt(row.negative_impact_ci_high)}] | "
            f"{_fmt(row.penalty)} [{_fmt(row.penalty_ci_low)} ; {_fmt(row.penalty_ci_high)}] | "
            f"{row.priority_score:.1f} | {row.quadrant} |")
    lines += [
        "",
        "| measure | value |",
        "|---|---:|",
        f"| split-half Spearman of negative impact (mean / min over {stability['splits']} splits) | "
        f"{stability['spearman_negative_impact_mean']:.2f} / "
        f"{stability['spearman_negative_impact_min']:.2f} |",
        f"| split-half overlap of the top 3 (mean) | {stability['top3_overlap_mean']:.2f} |",
        f"| bootstrap / delta CI width of negative impact (median) | "
        f"{float(width_ratio.median()):.2f} |",
        f"| drivers.annotate, {len(documents):,} reviews, delta / 500 bootstrap replicates | "
        f"{timings['booking_delta']:.2f} s / {timings['booking_bootstrap']:.2f} s |",
        f"| drivers.annotate, {len(big.documents):,} rows (reviews repeated ×10, timing only), "
        f"delta / bootstrap | {timings['booking_x10_delta']:.2f} s / "
        f"{timings['booking_x10_bootstrap']:.2f} s |",
        "",
        f"Length control, real reviews with random themes (bundled insurance sample, "
        f"{control['reviews']:,} reviews, {control['themes']} themes assigned at random to 30% of "
        "opinion units with random polarity: no true effect):",
        "",
        "| driver model | penalty range | intervals excluding 0 |",
        "|---|---|---:|",
    ]
    for name in ("without_control", "with_control"):
        item = control[name]
        lines.append(f"| {name.replace('_', ' ')} | {item['penalty_min']:+.1f} to "
                     f"{item['penalty_max']:+.1f} | {item['intervals_excluding_0']} of "
                     f"{control['themes']} |")
    lines += [
        "",
        "SIMULATED data (tests/test_drivers_simulation.py generator, exact truth), n = 2,000 "
        "per repetition, 5 themes: share of 95% intervals covering the true value.",
        "",
        "| method | intervals per quantity | NPS of mentioners | impact | negative impact |",
        "|---|---:|---:|---:|---:|",
    ]
    for method, values in coverage.items():
        lines.append(f"| {method} | {values['intervals_per_quantity']:,} | "
                     f"{values['nps_mentioners']:.3f} | {values['nps_impact']:.3f} | "
                     f"{values['negative_impact']:.3f} |")
    lines.append("")
    lines.append("(NPS of mentioners always uses the analytic multinomial interval.)")
    if pipeline is not None:
        lines.append("")
        if pipeline["available"]:
            lines.append(f"Full `analyze()` (shipped sentiment + themes): {pipeline['n_themes']} "
                         f"themes, {pipeline['elapsed_s']:.1f} s. Top priorities:")
            for item in pipeline["top"]:
                lines.append(f"- {item['label']}: impact {_fmt(item['nps_impact'])}, negative "
                             f"impact {_fmt(item['negative_impact'])}, {item['quadrant']}")
        else:
            lines.append("Full `analyze()`: no themes produced (theme stage not available).")
    data = {"machine": info, "n_reviews": len(documents), "n_scored_text": int(scored.sum()),
            "nps": overall.as_dict(), "priorities": table.to_dict("records"),
            "split_half": stability, "bootstrap_delta_width_ratio_median": float(width_ratio.median()),
            "annotate_s": timings,
            "simulated_coverage": coverage, "random_theme_control": control, "pipeline": pipeline, "code_frame": CODE_FRAME}
    write_results("drivers", "\n".join(lines) + "\n", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
