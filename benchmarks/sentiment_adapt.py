"""Sentiment adapted to a run's own scores (feedback_nlp.sentiment.adapt), measured on
domains the model never trained on: blend-weight and threshold studies, the step and
end-to-end cost runs; writes ``benchmarks/results/sentiment_adapt.*``. The headline
figures (held-out domains and Booking with and without adaptation, side by side with the
lexicon tools) come from ``benchmarks/sentiment.py``, which reuses ``Run``, ``booking``,
``load_domain`` and ``cost`` from here.

Protocol (every figure: without adaptation = the shipped model alone, side by side):

- **unseen domains**: the review files added to ../shared/data in 2026-11 (banks, public
  services, a hotel, Cdiscount: never in the shipped model's training data). Units =
  :func:`feedback_nlp.segment.split_opinions` of the cleaned text; the adaptation learns
  from the file's own star ratings, cross-fitted (5 folds by review); a review's label is
  the arg-max of its units' aggregate (:func:`feedback_nlp.sentiment.aggregate_units`),
  compared with its star label. Cdiscount: a seeded sample.
- **Booking**: reviews = Booking rows, units = their cleaned ``positive_text`` /
  ``negative_text`` fields (non-answers dropped), adaptation on ``score_0_10`` (0-6 / 7-8 /
  9-10), measured on the fields' liked / disliked labels (binary, negative recall: p_neg >
  p_pos). Hidden complaints: reviews scored >= 9 with a disliked field -> at least one unit
  whose arg-max is negative; false alarms: the same on reviews >= 9 without one. The
  field labels are never trained on.
- **leave-one-domain-out with adaptation** (``--loso``): the shipped recipe refitted without
  a training domain (auto / eshops / insurance), adapted on that domain's star ratings
  (cross-fitted, all its rows), measured on its test rows.
- **weight and threshold**: the blend weight on all of the above; the gain as a function
  of the number of scored reviews (seeded subsamples).
- **cost**: the adaptation step (features + 5 cross-fitted fits + blend) on 100,000
  reviews (Cdiscount resampled with replacement, seed 0).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from booking_eval import BOOKING_FILE, booking_scores, booking_subset, booking_units  # noqa: E402
from clean_io import RESULTS, ROOT, SHARED, machine, write_results  # noqa: E402

sys.path.insert(0, str(ROOT))
from feedback_nlp.clean import clean_series  # noqa: E402
from feedback_nlp.segment import split_opinions  # noqa: E402
from feedback_nlp.sentiment import LABELS, aggregate_units, load_model  # noqa: E402
from feedback_nlp.sentiment.adapt import (  # noqa: E402
    DEFAULT_WEIGHT,
    MIN_REVIEWS,
    adapt_units,
    score_labels,
    unit_features,
)

UNSEEN = {"bank_google_africa": "fr_reviews_bank_google_africa.csv.gz",
          "bank_keytrade": "fr_reviews_bank_keytrade.csv.gz",
          "public_services_google": "fr_reviews_public_services_google.csv.gz",
          "hotel_tripadvisor_trianon": "fr_reviews_hotel_tripadvisor_trianon.csv.gz",
          "ecommerce_cdiscount": "fr_reviews_ecommerce_cdiscount.csv.gz"}
WEIGHTS = (0.3, 0.5, 0.7)
PARTS = ("booking", "unseen", "cost", "loso", "threshold", "step", "e2e")


class Run:
    """One run's units, shipped probabilities and review labels."""

    def __init__(self, review_texts: list[str], labels: np.ndarray, model: Any) -> None:
        rows = [(i, u.text, u.end - u.start) for i, t in enumerate(review_texts)
                for u in (split_opinions(t) or [])]
        self.units = pd.DataFrame(rows, columns=["review", "text", "length"])
        self.labels = labels
        self.n = len(review_texts)
        self.base = model.predict_proba(self.units["text"].tolist())[list(LABELS)].to_numpy()
        self.features = unit_features(self.units["text"].tolist())

    def adapt(self, weight: float, labels: np.ndarray | None = None, **kw: Any) -> Any:
        return adapt_units(self.units["review"].to_numpy(), self.base,
                           self.labels if labels is None else labels, features=self.features,
                           unit_weights=np.sqrt(self.units["length"].to_numpy()), weight=weight,
                           **kw)

    def review_scores(self, proba: np.ndarray, rows: np.ndarray | None = None) -> dict[str, Any]:
        agg = aggregate_units(pd.DataFrame(proba, columns=list(LABELS)), self.units["review"],
                              self.units["length"]).reindex(range(self.n))
        truth = self.labels.astype(str)
        pred = agg["sentiment"].to_numpy().astype(str)
        keep = np.ones(self.n, dtype=bool) if rows is None else rows
        keep = keep & agg["sentiment"].notna().to_numpy()
        polar = keep & (truth != "neutral")
        binary = ((agg["p_positive"].to_numpy() >= agg["p_negative"].to_numpy())
                  == (truth == "positive"))[polar]
        present = [c for c in LABELS if c in set(truth[keep])]
        return {"n": int(keep.sum()),
                "macro_f1": round(float(f1_score(truth[keep], pred[keep], labels=present,
                                                 average="macro", zero_division=0)), 4),
                "binary_accuracy": round(float(binary.mean()), 4)}


def load_domain(path: Path, sample: int | None = None, seed: int = 0) -> pd.DataFrame:
    frame = pd.read_csv(path).dropna(subset=["text", "rating"])
    if sample is not None and len(frame) > sample:
        frame = frame.sample(n=sample, random_state=seed)
    frame = frame.reset_index(drop=True)
    frame["clean"] = clean_series(frame["text"].astype(str)).to_numpy()
    return frame


def unseen_domains(model: Any, data: Path, cdiscount: int) -> tuple[list[dict[str, Any]],
                                                                     dict[str, Run]]:
    rows, runs = [], {}
    for name, file in UNSEEN.items():
        frame = load_domain(data / file, cdiscount if "cdiscount" in name else None)
        run = Run(frame["clean"].tolist(), score_labels(frame["rating"].to_numpy(), "stars"), model)
        runs[name] = run
        item: dict[str, Any] = {"domain": name, "reviews": run.n, "units": len(run.units),
                                "without": run.review_scores(run.base)}
        for weight in WEIGHTS:
            started = time.perf_counter()
            result = run.adapt(weight)
            item[f"w={weight}"] = {**run.review_scores(result.proba),
                                   "adapted": result.adapted,
                                   "seconds": round(time.perf_counter() - started, 2)}
        rows.append(item)
        print(f"  unseen {name}: {item}", flush=True)
    return rows, runs


def booking(model: Any, data: Path, weights: tuple[float, ...] | None = None,
            keep: np.ndarray | None = None) -> dict[str, Any]:
    """Booking scores without and with adaptation at each weight (default :data:`WEIGHTS`).
    The adaptation learns from every review's score; ``keep`` (one flag per review) limits
    the scoring to those reviews (e.g. the ones a model never trained on)."""
    frame, table = booking_units(data / BOOKING_FILE)
    base = model.predict_proba(table["text"].tolist())[list(LABELS)].to_numpy()
    features = unit_features(table["text"].tolist())
    labels = score_labels(frame["score_0_10"].to_numpy(), "nps")
    review = table["review"].to_numpy()
    scored_frame, scored_table, mask = booking_subset(
        frame, table, np.ones(len(frame), dtype=bool) if keep is None else keep)
    truth = scored_table["label"].to_numpy()
    has_complaint = np.zeros(len(scored_frame), dtype=bool)
    has_complaint[scored_table["review"].to_numpy()[truth == "negative"]] = True
    high = (scored_frame["score_0_10"] >= 9).to_numpy()
    out: dict[str, Any] = {"reviews": len(scored_frame), "units": len(scored_table),
                           "hidden_complaint_reviews": int((high & has_complaint).sum()),
                           "clean_high_reviews": int((high & ~has_complaint).sum()),
                           "scored_by_label": {c: int((labels == c).sum()) for c in LABELS},
                           "without": booking_scores(scored_frame, scored_table, base[mask])}
    for weight in weights or WEIGHTS:
        result = adapt_units(review, base, labels, features=features,
                             unit_weights=np.sqrt(table["length"].to_numpy()), weight=weight)
        out[f"w={weight}"] = booking_scores(scored_frame, scored_table, result.proba[mask])
    print(f"  booking: {out}", flush=True)
    return out


def threshold_curve(runs: dict[str, Run], sizes: tuple[int, ...] = (100, 200, 300, 500, 1000),
                    repeats: int = 3) -> list[dict[str, Any]]:
    """Macro-F1 gain of adapting on n scored reviews (others unscored: their units are
    still predicted by the cross-fitted models), measured on all the domain's reviews."""
    out = []
    for name in ("bank_google_africa", "public_services_google", "ecommerce_cdiscount"):
        run = runs[name]
        base = run.review_scores(run.base)
        for size in sizes:
            gains, binary_gains = [], []
            for rep in range(repeats):
                rng = np.random.default_rng(rep)
                keep = np.zeros(run.n, dtype=bool)
                keep[rng.choice(run.n, size=min(size, run.n), replace=False)] = True
                labels = np.where(keep, run.labels, None).astype(object)
                result = run.adapt(DEFAULT_WEIGHT, labels=labels, min_reviews=0, seed=rep)
                scores = run.review_scores(result.proba)
                gains.append(scores["macro_f1"] - base["macro_f1"])
                binary_gains.append(scores["binary_accuracy"] - base["binary_accuracy"])
            out.append({"domain": name, "scored_reviews": size,
                        "macro_f1_gain_mean": round(float(np.mean(gains)), 4),
                        "macro_f1_gain_min": round(float(np.min(gains)), 4),
                        "binary_gain_mean": round(float(np.mean(binary_gains)), 4)})
            print(f"  threshold {out[-1]}", flush=True)
    return out


def loso(model_seed: int, data: Path) -> list[dict[str, Any]]:
    from feedback_nlp.sentiment.linear import LinearSentiment
    from feedback_nlp.sentiment.train import domain_weights, load_reviews, split_reviews

    reviews = load_reviews(data)
    reviews["split"] = split_reviews(reviews, seed=42)
    out = []
    for group in ("auto", "eshops", "insurance"):
        fit_rows = reviews[(reviews["split"] == "train") & (reviews["group"] != group)]
        held = reviews[reviews["group"] == group].reset_index(drop=True)
        started = time.perf_counter()
        other = LinearSentiment(random_state=model_seed, class_weight=None)
        other.fit(fit_rows["text"].tolist(), fit_rows["label"].tolist(),
                  sample_weight=domain_weights(fit_rows["group"], fit_rows["label"]))
        fit_s = time.perf_counter() - started
        run = Run(held["text"].tolist(), score_labels(held["rating"].to_numpy(), "stars"), other)
        test = (held["split"] == "test").to_numpy()
        item: dict[str, Any] = {"held_out": group, "reviews_adapted_on": run.n,
                                "test_reviews": int(test.sum()), "fit_seconds": round(fit_s, 1),
                                "without": run.review_scores(run.base, test)}
        for weight in WEIGHTS:
            item[f"w={weight}"] = run.review_scores(run.adapt(weight).proba, test)
        out.append(item)
        print(f"  LOSO {item}", flush=True)
    return out


def cost(model: Any, data: Path, n: int = 100_000) -> dict[str, Any]:
    frame = pd.read_csv(data / UNSEEN["ecommerce_cdiscount"]).dropna(subset=["text", "rating"])
    frame = frame.sample(n=n, replace=True, random_state=0).reset_index(drop=True)
    texts = clean_series(frame["text"].astype(str)).tolist()
    rows = [(i, u.text, u.end - u.start) for i, t in enumerate(texts)
            for u in (split_opinions(t) or [])]
    units = pd.DataFrame(rows, columns=["review", "text", "length"])
    started = time.perf_counter()
    base = model.predict_proba(units["text"].tolist())[list(LABELS)].to_numpy()
    shipped_s = time.perf_counter() - started
    load_before = os.getloadavg()
    started = time.perf_counter()
    features = unit_features(units["text"].tolist())
    features_s = time.perf_counter() - started
    labels = score_labels(frame["rating"].to_numpy(), "stars")
    result = adapt_units(units["review"].to_numpy(), base, labels, features=features,
                         unit_weights=np.sqrt(units["length"].to_numpy()))
    total_s = time.perf_counter() - started
    out = {"reviews": n, "units": len(units), "shipped_model_predict_s": round(shipped_s, 2),
           "adapt_features_s": round(features_s, 2), "adapt_total_s": round(total_s, 2),
           "fit_reviews": result.info.get("fit_reviews"), "load_avg_before": load_before,
           "load_avg_after": os.getloadavg()}
    print(f"  cost {out}", flush=True)
    return out


def step_cost(n: int = 100_000, repeats: int = 2) -> dict[str, Any]:
    """The adaptation step alone on benchmarks/pipeline.py's 100k frame (the same seeded
    resample of the star-rated files, read the same way). After the per-row stages, each
    repeat times, one after the other (so that a change of load hits both sides): the
    sentiment stage without and with keeping the units' adaptation features
    (``keep_unit_features``, what ``analyze`` does), then ``adapt_run`` with the kept
    features and without them (the units featurised again: the previous step). The
    adaptation's cost before = the step featurising; now = the step reusing + what keeping
    added to the sentiment stage; best of ``repeats`` each. Both must give the same
    probabilities."""
    import tempfile

    from clean_io import resampled_csv
    from pipeline import COLUMNS, _config

    from feedback_nlp import stages
    from feedback_nlp.io import read_feedback
    from feedback_nlp.sentiment import adapt_run, annotate, keep_unit_features

    config = _config(1).replace(themes={"enabled": False})
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_feedback(resampled_csv(n, Path(tmp)), **COLUMNS)
    documents, segments = stages.process_partition(frame, config)
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"sentiment": [], "sentiment_keeping": [], "reusing": [],
                                     "featurising": []}
    probas: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for keep in (False, True):
            started = time.perf_counter()
            with keep_unit_features(keep) as kept:
                documents, segments = annotate(documents, segments, config)
            times["sentiment_keeping" if keep else "sentiment"].append(time.perf_counter() - started)
        for mode in ("reusing", "featurising"):
            started = time.perf_counter()
            _, adapted, info = adapt_run(documents, segments, config,
                                         features=kept if mode == "reusing" else None)
            times[mode].append(time.perf_counter() - started)
            probas[mode] = adapted[["p_negative", "p_neutral", "p_positive"]].to_numpy()
            assert info["features_reused"] == (mode == "reusing")
    best = {k: min(v) for k, v in times.items()}
    out = {"reviews": n, "units": len(segments), "scored_reviews": info["scored_reviews"],
           "fit_reviews": info.get("fit_reviews"), "repeats": repeats,
           "identical_probabilities": bool(np.array_equal(probas["reusing"],
                                                          probas["featurising"])),
           **{f"{k}_s": [round(x, 2) for x in v] for k, v in times.items()},
           "adaptation_cost_before_s": round(best["featurising"], 2),
           "adaptation_cost_now_s": round(best["reusing"] + best["sentiment_keeping"]
                                          - best["sentiment"], 2),
           "load_avg_before": load_before, "load_avg_after": os.getloadavg()}
    print(f"  step cost {out}", flush=True)
    return out


def end_to_end(n: int = 100_000) -> dict[str, Any]:
    """benchmarks/pipeline.py's 100k end-to-end run (analyze + report, adaptation on by
    default); the adaptation stage's share of the total."""
    from pipeline import worker_end2end

    load_before = os.getloadavg()
    result = worker_end2end(n, 2)
    stages = result["stages_s"]
    info = result.get("sentiment_adaptation") or {}
    # the adaptation features are built inside the sentiment stage (from its tokens): they
    # count as adaptation cost
    features_s = float(info.get("features_seconds") or 0.0)
    adapt_s = stages.get("Adaptation du sentiment", 0.0) + features_s
    out = {"reviews": n, "total_s": result["total_s"], "adapt_s": adapt_s,
           "adapt_stage_s": stages.get("Adaptation du sentiment", 0.0),
           "adapt_features_in_sentiment_stage_s": features_s,
           "sentiment_s": stages.get("Sentiment"), "stages_s": stages,
           "adapt_share_of_total_without_it": round(adapt_s / max(result["total_s"] - adapt_s,
                                                                   1e-9), 4),
           "load_avg_before": load_before, "load_avg_after": os.getloadavg()}
    print(f"  e2e {out}", flush=True)
    return out


def _cell(result: dict[str, Any]) -> str:
    return f"{result['macro_f1']:.3f} / {result['binary_accuracy']:.3f}"


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    md = ["# Sentiment adapted to the run's own scores", "",
          f"Measured {m['date']} on {m['processor']} ({m['cpu_count']} cores, shared with other "
          f"jobs; 1-min load average at start {m.get('load_avg_at_start')}). Command: "
          f"`{data['command']}`. Model: shipped `sentiment-fr-3` + "
          "`feedback_nlp.sentiment.adapt` (5 cross-fitted folds, seed 0, log-linear blend "
          f"weight w; default w = {DEFAULT_WEIGHT}, threshold {MIN_REVIEWS} scored reviews).", ""]
    stamps = data.get("part_measured", {})
    if stamps:
        md += ["Each part's date and 1-min load average at the start of its run: " + "; ".join(
            f"{part} {v.get('date')} (load {(v.get('load_avg_at_start') or ['?'])[0]})"
            for part, v in stamps.items()) + ".", ""]
    if data.get("unseen"):
        md += ["## Unseen domains (review level: macro-F1 / binary accuracy)", "",
               "| domain | reviews | units | shipped model | " +
               " | ".join(f"adapted w={w}" for w in WEIGHTS) + " |",
               "|---|---|---|---|" + "---|" * len(WEIGHTS)]
        for item in data["unseen"]:
            md.append(f"| {item['domain']} | {item['reviews']:,} | {item['units']:,} | "
                      f"{_cell(item['without'])} | " +
                      " | ".join(_cell(item[f'w={w}']) for w in WEIGHTS) + " |")
        md.append("")
    if data.get("booking"):
        b = data["booking"]
        md += ["## Booking (adapted on score_0_10, measured on the liked / disliked fields)", "",
               f"{b['reviews']:,} reviews, {b['units']:,} units; scored labels "
               f"{b['scored_by_label']}; {b['hidden_complaint_reviews']} reviews >= 9 with a "
               f"disliked field, {b['clean_high_reviews']} without.", "",
               "| | binary | negative recall | positive recall | hidden complaints recall | "
               "false alarms (>= 9, no complaint) |", "|---|---|---|---|---|---|"]
        for key in ["without", *[f"w={w}" for w in WEIGHTS]]:
            r = b[key]
            md.append(f"| {'shipped model' if key == 'without' else 'adapted ' + key} | "
                      f"{r['binary_accuracy']:.3f} | {r['negative_recall']:.3f} | "
                      f"{r['positive_recall']:.3f} | {r['hidden_complaints_recall']:.3f} | "
                      f"{r['false_alarms_clean_high']:.3f} |")
        md.append("")
    if data.get("loso"):
        md += ["## Leave-one-domain-out with adaptation (test rows: macro-F1 / binary)", "",
               "| held-out domain | adapted on | test reviews | without | " +
               " | ".join(f"adapted w={w}" for w in WEIGHTS) + " | fit s |",
               "|---|---|---|---|" + "---|" * len(WEIGHTS) + "---|"]
        for item in data["loso"]:
            md.append(f"| {item['held_out']} | {item['reviews_adapted_on']:,} | "
                      f"{item['test_reviews']:,} | {_cell(item['without'])} | " +
                      " | ".join(_cell(item[f'w={w}']) for w in WEIGHTS) +
                      f" | {item['fit_seconds']} |")
        md.append("")
    if data.get("threshold"):
        md += ["## Gain by number of scored reviews (w = default, 3 seeded subsamples)", "",
               "| domain | scored reviews | macro-F1 gain (mean) | (worst) | binary gain (mean) |",
               "|---|---|---|---|---|"]
        for r in data["threshold"]:
            md.append(f"| {r['domain']} | {r['scored_reviews']} | {r['macro_f1_gain_mean']:+.3f} | "
                      f"{r['macro_f1_gain_min']:+.3f} | {r['binary_gain_mean']:+.3f} |")
        md.append("")
    if data.get("cost"):
        c = data["cost"]
        md += ["## Cost on 100,000 reviews", "",
               f"{c['units']:,} units; shipped model predict {c['shipped_model_predict_s']} s; "
               f"adaptation step {c['adapt_total_s']} s (features {c['adapt_features_s']} s, "
               f"fits on {c['fit_reviews']:,} reviews); 1-min load average before / after "
               f"{c['load_avg_before'][0]:.2f} / {c['load_avg_after'][0]:.2f}.", ""]
    if data.get("step"):
        c = data["step"]
        md += ["## The adaptation step on benchmarks/pipeline.py's 100k frame", "",
               f"{c['units']:,} units, {c['scored_reviews']:,} scored reviews (fits on "
               f"{c['fit_reviews']:,}); {c['repeats']} alternating repeats, seconds per repeat. "
               f"Sentiment stage {c['sentiment_s']}, keeping the units' adaptation features "
               f"{c['sentiment_keeping_s']}; adaptation step reusing them "
               f"{c['reusing_s']}, featurising the units again (the previous step) "
               f"{c['featurising_s']}. Adaptation cost (best of each): before "
               f"{c['adaptation_cost_before_s']} s, now {c['adaptation_cost_now_s']} s (step + "
               f"what keeping adds to the sentiment stage). Same probabilities both ways: "
               f"{c['identical_probabilities']}. 1-min load average before / after "
               f"{c['load_avg_before'][0]:.2f} / {c['load_avg_after'][0]:.2f}.", ""]
    if data.get("e2e"):
        e = data["e2e"]
        md += ["## 100k end to end (benchmarks/pipeline.py's run, adaptation on)", "",
               f"Total {e['total_s']} s (analyze + report), of which the adaptation "
               f"{e['adapt_s']:.2f} s (stage {e.get('adapt_stage_s', e['adapt_s'])} s + "
               f"{e.get('adapt_features_in_sentiment_stage_s', 0.0)} s building its features "
               f"inside the sentiment stage) and sentiment {e['sentiment_s']} s (that "
               "included): the adaptation adds "
               f"{100 * e['adapt_share_of_total_without_it']:.1f}% to the run without it. "
               f"1-min load average before / after {e['load_avg_before'][0]:.2f} / "
               f"{e['load_avg_after'][0]:.2f}.", ""]
    return "\n".join(md)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(SHARED))
    parser.add_argument("--cdiscount", type=int, default=20_000, help="Cdiscount sample size")
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    data_dir = Path(args.data)
    model = load_model()
    data: dict[str, Any] = {"machine": machine(), "args": vars(args),
                            "command": "python benchmarks/sentiment_adapt.py --parts " + args.parts}
    # Parts not rerun keep their previous figures, with the date and load they were
    # measured at (``part_measured``).
    previous_file = RESULTS / "sentiment_adapt.json"
    previous = json.loads(previous_file.read_text(encoding="utf-8")) if previous_file.exists() else {}
    stamps = dict(previous.get("part_measured", {}))
    for part in PARTS:
        if part not in parts and part in previous:
            data[part] = previous[part]
            stamps.setdefault(part, {"date": previous.get("machine", {}).get("date"),
                                     "load_avg_at_start":
                                         previous.get("machine", {}).get("load_avg_at_start")})
    for part in parts:
        stamps[part] = {"date": data["machine"]["date"],
                        "load_avg_at_start": data["machine"].get("load_avg_at_start")}
    data["part_measured"] = {k: stamps[k] for k in PARTS if k in stamps}
    runs: dict[str, Run] = {}

    def save() -> None:
        write_results("sentiment_adapt", markdown(data), data)

    if "booking" in parts:
        data["booking"] = booking(model, data_dir)
        save()
    if "unseen" in parts or "threshold" in parts:
        data["unseen"], runs = unseen_domains(model, data_dir, args.cdiscount)
        save()
    if "cost" in parts:
        data["cost"] = cost(model, data_dir)
        save()
    if "loso" in parts:
        data["loso"] = loso(42, data_dir)
        save()
    if "threshold" in parts:
        data["threshold"] = threshold_curve(runs)
        save()
    if "step" in parts:
        data["step"] = step_cost()
        save()
    if "e2e" in parts:
        data["e2e"] = end_to_end()
        save()
    data["machine"]["load_avg_at_end"] = os.getloadavg()
    save()


if __name__ == "__main__":
    main()
