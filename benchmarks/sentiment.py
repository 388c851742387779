"""French sentiment: the shipped model (or ``--model DIR``) vs a majority baseline,
textblob-fr and vaderSentiment-fr, in one run: in-domain test split, held-out domains
with and without adaptation to their own scores, Booking sentences and hidden complaints,
tricky sentences, speed, the cost of adaptation; a targets table (issue 15).

Usage (from a clean checkout, after ``make install`` and ``pip install -e ".[bench]"``)::

    .venv/bin/python benchmarks/sentiment.py                 # full run (runtime in the results)
    .venv/bin/python benchmarks/sentiment.py --model models/sentiment-fr-4
    .venv/bin/python benchmarks/sentiment.py --quick         # a few minutes: subsamples,
                                                             # writes results/sentiment_quick.*
    .venv/bin/python benchmarks/sentiment.py --no-loso       # skips the refits

Data: ``../shared/data`` (see its README). Test rows = the seeded per-source 20% split of
:func:`feedback_nlp.sentiment.train.split_reviews` (the shipped model never saw them).
Labels from stars: 1-2 negative, 3 neutral, 4-5 positive. Binary accuracy = positive vs
negative on rows whose label is not neutral, predicted class = the larger of
p_positive / p_negative (lexicon tools: sign of their polarity score).

The lexicon tools are slow (vaderSentiment-fr is pure Python with fuzzy matching), so
the first comparison table runs every method on the same seeded sample of at most
``--per-group`` test rows per domain; our model is also reported on the full test split.

**Held-out domains, with and without adaptation** (the product's
:mod:`feedback_nlp.sentiment.adapt`, cross-fitted, default weight; units, review
aggregation and scoring of ``benchmarks/sentiment_adapt.py``'s ``Run``):

- each training domain (auto / eshops / insurance, and the 2026-11 groups when the model
  trained on them): the model's recipe (``sklearn.clone`` of ``--model``: same parameters,
  neutral bias kept, not re-tuned; its training rows and group weights as
  :func:`feedback_nlp.sentiment.train.training_rows` / ``group_weights`` build them from
  the options in its ``meta.json``) refitted without the domain, adapted on all the
  domain's rows' star ratings (cross-fitted: a review is never scored by a model that saw
  its score), measured on the domain's test rows;
- each review file of ../shared/data the model never trained on (``meta.json``
  ``training_data``): the model itself, adapted on the file's stars, measured on all its
  rows (Cdiscount: a seeded sample). Runs under 1,000 scored reviews are not adapted
  (the product's threshold).

Review level = the arg-max of the units' aggregate (as ``analyze()``); lexicon tools and
"whole text" score the review text at once.

**Booking** (``benchmarks/booking_eval.py``): units = the cleaned liked / disliked fields,
adaptation on ``score_0_10``; binary, negative recall, hidden complaints (reviews >= 9
with a disliked field that get at least one negative unit) and false alarms. A model
trained on the fields of half of the reviews (``train-sentiment --booking``) is scored on
the other half only.

**Cost**: the adaptation step (features + 5 cross-fitted fits + blend) on 100,000
Cdiscount reviews (``sentiment_adapt.cost``), and its share of the 100k end-to-end run
quoted from ``benchmarks/results/pipeline.json`` (a quiet-machine run; date and load
given).

Also measured: leave-one-source-out on whole texts; the hand-written tricky sentences of
``tests/data/sentiment_tricky_fr.csv``; review-level aggregation (whole text vs mean of
opinion units); throughput on one core; model size. Weight / threshold studies and the
step / end-to-end cost runs: ``benchmarks/sentiment_adapt.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sentiment_adapt as sa  # noqa: E402
from booking_eval import BOOKING_FILE, booking_scores, booking_subset, booking_units  # noqa: E402
from clean_io import RESULTS, ROOT, SHARED, machine, write_results  # noqa: E402

sys.path.insert(0, str(ROOT))
from feedback_nlp.clean import clean_series  # noqa: E402
from feedback_nlp.segment import split_opinions  # noqa: E402
from feedback_nlp.sentiment import LABELS, aggregate_units, default_model_path  # noqa: E402
from feedback_nlp.sentiment.adapt import DEFAULT_WEIGHT, MIN_REVIEWS, score_labels  # noqa: E402
from feedback_nlp.sentiment.linear import LinearSentiment  # noqa: E402
from feedback_nlp.sentiment.train import (  # noqa: E402
    NEW_DOMAIN_FILES,
    booking_training_half,
    group_weights,
    load_reviews,
    new_domain_reviews,
    split_reviews,
    training_rows,
    versions,
)

TRICKY = ROOT / "tests" / "data" / "sentiment_tricky_fr.csv"
#: Issue 15's targets.
TARGETS = {"booking_binary": 0.88, "booking_negative_recall": 0.80, "hidden_complaints": 0.70,
           "held_out_macro_f1": 0.70, "in_domain_binary": 0.966, "units_per_s_core": 5000,
           "adapt_share_100k": 0.15}


# ------------------------------------------------------------------------- methods


class Majority:
    """Always the majority class of the training split."""

    name = "majority baseline"

    def __init__(self, label: str) -> None:
        self.label = label

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        labels = np.full(len(texts), self.label, dtype=object)
        return labels, np.full(len(texts), 1.0 if self.label == "positive" else -1.0)


class Ours:
    def __init__(self, model: Any, name: str | None = None) -> None:
        self.model = model
        self.name = f"feedback-nlp {name or getattr(model, 'meta_', {}).get('name', 'model')}"

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        proba = self.model.predict_proba(texts)
        labels = np.asarray(LABELS, dtype=object)[proba.to_numpy().argmax(axis=1)]
        return labels, (proba["positive"] - proba["negative"]).to_numpy()


class TextBlobFr:
    """textblob-fr PatternAnalyzer: polarity > 0.1 positive, < -0.1 negative."""

    name = "textblob-fr"
    threshold = 0.1

    def __init__(self) -> None:
        from textblob import Blobber
        from textblob_fr import PatternAnalyzer, PatternTagger

        self.blob = Blobber(pos_tagger=PatternTagger(), analyzer=PatternAnalyzer())

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        polarity = np.array([self.blob(t).sentiment[0] for t in texts], dtype=float)
        return _three_way(polarity, 0.1), polarity


class VaderFr:
    """vaderSentiment-fr compound: >= 0.05 positive, <= -0.05 negative (VADER's rule)."""

    name = "vaderSentiment-fr"
    threshold = 0.05 - 1e-9

    def __init__(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
        self.analyzer = SentimentIntensityAnalyzer()

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        compound = np.array([self.analyzer.polarity_scores(t)["compound"] for t in texts])
        return _three_way(compound, self.threshold), compound


def lexicon_scores(method: Any, texts: list[str]) -> np.ndarray:
    """A lexicon tool's calls as a units x 3 score matrix (columns :data:`LABELS`) that
    :func:`booking_eval.booking_scores` reads like probabilities: the arg-max is the tool's
    three-way label, and negative > positive exactly when its polarity is below 0 (its
    binary call). Scores, not probabilities."""
    labels, polarity = method.scores(texts)
    out = np.zeros((len(texts), 3))
    out[:, 0] = np.maximum(-polarity, 0.0)
    out[:, 2] = np.maximum(polarity, 0.0)
    out[:, 1] = np.where(labels == "neutral", np.inf, 0.0)
    return out


def _three_way(score: np.ndarray, threshold: float) -> np.ndarray:
    return np.select([score > threshold, score < -threshold], ["positive", "negative"],
                     "neutral").astype(object)


# ------------------------------------------------------------------------- metrics


def evaluate(method: Any, texts: list[str], truth: np.ndarray) -> dict[str, Any]:
    started = time.perf_counter()
    labels, polarity = method.scores(texts)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"n": len(texts), "seconds": round(seconds, 2),
                           "reviews_per_s": round(len(texts) / max(seconds, 1e-9))}
    polar = truth != "neutral"
    binary = np.where(polarity[polar] >= 0, "positive", "negative")
    out["binary_accuracy"] = round(float((binary == truth[polar]).mean()), 4) if polar.any() else None
    if set(truth) <= {"positive", "negative"}:
        return out
    present = [c for c in LABELS if c in set(truth)]
    out["accuracy"] = round(float(accuracy_score(truth, labels)), 4)
    out["macro_f1"] = round(float(f1_score(truth, labels, labels=present, average="macro",
                                           zero_division=0)), 4)
    per_class = f1_score(truth, labels, labels=list(LABELS), average=None, zero_division=0)
    out["f1"] = {c: round(float(v), 4) for c, v in zip(LABELS, per_class)}
    out["confusion"] = confusion_matrix(truth, labels, labels=list(LABELS)).tolist()
    return out


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def comparison_table(rows: list[dict[str, Any]], three_way: bool = True) -> str:
    if three_way:
        lines = ["| test set | method | n | accuracy | macro-F1 | F1 neg | F1 neu | F1 pos | "
                 "binary acc | reviews/s |", "|---|---|---|---|---|---|---|---|---|---|"]
    else:
        lines = ["| test set | method | n | binary acc | reviews/s |", "|---|---|---|---|---|"]
    for row in rows:
        r = row["result"]
        if three_way:
            f1 = r.get("f1", {})
            lines.append(f"| {row['set']} | {row['method']} | {r['n']:,} | {_fmt(r.get('accuracy'))} "
                         f"| {_fmt(r.get('macro_f1'))} | {_fmt(f1.get('negative'))} | "
                         f"{_fmt(f1.get('neutral'))} | {_fmt(f1.get('positive'))} | "
                         f"{_fmt(r['binary_accuracy'])} | {r['reviews_per_s']:,} |")
        else:
            lines.append(f"| {row['set']} | {row['method']} | {r['n']:,} | "
                         f"{_fmt(r['binary_accuracy'])} | {r['reviews_per_s']:,} |")
    return "\n".join(lines)


def aggregation_study(model: LinearSentiment, test: pd.DataFrame) -> dict[str, Any]:
    """Review label from the whole text vs from its opinion units (three weightings)."""
    truth = test["label"].to_numpy()
    whole = model.predict_proba(test["text"].tolist())
    rows, texts, lengths = [], [], []
    for row, text in enumerate(test["text"]):
        for unit in split_opinions(text) or []:
            rows.append(row)
            texts.append(unit.text)
            lengths.append(unit.end - unit.start)
    proba = model.predict_proba(texts)
    results: dict[str, Any] = {}

    def score(p: pd.DataFrame) -> dict[str, float]:
        labels = np.asarray(LABELS, dtype=object)[p[["p_negative", "p_neutral", "p_positive"]]
                                                  .to_numpy().argmax(axis=1)]
        polar = truth != "neutral"
        binary = np.where(p["p_positive"].to_numpy()[polar] >= p["p_negative"].to_numpy()[polar],
                          "positive", "negative")
        return {"accuracy": round(float(accuracy_score(truth, labels)), 4),
                "macro_f1": round(float(f1_score(truth, labels, average="macro")), 4),
                "binary_accuracy": round(float((binary == truth[polar]).mean()), 4)}

    whole_frame = whole.rename(columns={c: f"p_{c}" for c in LABELS})
    results["whole text"] = score(whole_frame)
    for name, weights in (("units, mean weighted by sqrt(length) (shipped)", lengths),
                          ("units, unweighted mean", [1] * len(lengths)),
                          ("units, mean weighted by length", [n * n for n in lengths])):
        agg = aggregate_units(proba, rows, weights).reindex(range(len(test)))
        results[name] = score(agg)
    mixed = aggregate_units(proba, rows, lengths).reindex(range(len(test)))["mixed"]
    results["mixed_share_by_label"] = {label: round(float(mixed[truth == label].mean()), 4)
                                       for label in LABELS}
    results["units_per_review"] = round(len(texts) / len(test), 2)
    return results


def throughput(model: LinearSentiment, texts: list[str], repeat: int = 5) -> dict[str, Any]:
    """Best of ``repeat`` runs, one process, one thread; the 1-minute load average is read
    before each run (the machine is shared, so the best run is the least disturbed one)."""
    runs = []
    model.predict_proba(texts[:100])  # warm-up: builds the n-gram index once
    for _ in range(repeat):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        model.predict_proba(texts)
        runs.append((time.perf_counter() - started, load))
    best, load_at_best = min(runs)
    lengths = [len(t) for t in texts]
    return {"n": len(texts), "best_seconds": round(best, 3),
            "reviews_per_s": round(len(texts) / best), "mean_chars": round(float(np.mean(lengths))),
            "runs_seconds": [round(r, 3) for r, _ in runs],
            "load_avg_1min_before_runs": [round(x, 2) for _, x in runs],
            "load_avg_1min_at_best": round(load_at_best, 2)}


def record_in_meta(model_dir: Path, data: dict[str, Any]) -> None:
    """Copy the headline figures into the shipped model's meta.json (its model card)."""
    meta_path = model_dir / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    rows, full_rows, loso = data["comparison"], data["full"], data["loso"]
    every = {row["set"]: row["result"] for row in full_rows}
    best_lexicon = max(row["result"]["macro_f1"] for row in rows
                       if row["set"] == "all domains (test sample)"
                       and row["method"] in ("textblob-fr", "vaderSentiment-fr"))
    ours = next(row["result"]["macro_f1"] for row in rows
                if row["set"] == "all domains (test sample)" and "feedback-nlp" in row["method"])
    weight = f"w={DEFAULT_WEIGHT}"
    meta["metrics"] = {
        "source": "benchmarks/results/sentiment.md",
        "measured": data["machine"]["date"],
        "test_all_domains": {k: every["all domains (full test split)"][k]
                             for k in ("n", "accuracy", "macro_f1", "binary_accuracy", "f1")},
        "test_by_domain_binary_accuracy": {k.split(" ")[0]: v["binary_accuracy"]
                                           for k, v in every.items() if "full test" in k and "ablation" not in k},
        "booking_sentences_binary_accuracy": next(
            v["binary_accuracy"] for k, v in every.items() if k.startswith("Booking hotel")),
        "leave_one_source_out_binary_accuracy": {i["held_out"]: i["result"]["binary_accuracy"]
                                                 for i in loso},
        "held_out_domains_macro_f1_units_without_adapted": {
            i["domain"]: [i["without"]["macro_f1"], i[weight]["macro_f1"]]
            for i in data["held_out"]},
        "booking_adapted": {k: data["booking"][weight][k] for k in
                            ("binary_accuracy", "negative_recall", "hidden_complaints_recall")}
        if data.get("booking") else None,
        "tricky_hand_written_accuracy": data["tricky_accuracy"]["accuracy"],
        "macro_f1_points_above_best_lexicon": round(100 * (ours - best_lexicon), 1),
        "reviews_per_s_one_core": data["speed_reviews"]["reviews_per_s"],
        "units_per_s_one_core": data["speed_units"]["reviews_per_s"],
        "reviews_per_s_load_avg_1min": data["speed_reviews"]["load_avg_1min_at_best"],
    }
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------- held-out domains


def _pair(result: dict[str, Any] | None) -> str:
    if not result or result.get("macro_f1") is None:
        return "–"
    return f"{result['macro_f1']:.3f} / {result['binary_accuracy']:.3f}"


def adapted_scores(run: sa.Run, rows: np.ndarray | None, weights: tuple[float, ...]
                   ) -> dict[str, Any]:
    """Review-level scores of ``run`` on ``rows``: the model alone and adapted at each weight."""
    out: dict[str, Any] = {"without": run.review_scores(run.base, rows)}
    for weight in weights:
        started = time.perf_counter()
        result = run.adapt(weight)
        out[f"w={weight}"] = {**run.review_scores(result.proba, rows), "adapted": result.adapted,
                              "scored_reviews": result.n_scored, "reason": result.reason,
                              "seconds": round(time.perf_counter() - started, 1)}
    return out


def lexicon_review_scores(lexicons: list[Any], texts: list[str], truth: np.ndarray
                          ) -> dict[str, Any]:
    return {lex.name: {k: v for k, v in evaluate(lex, texts, truth).items()
                       if k in ("macro_f1", "binary_accuracy", "n", "seconds")}
            for lex in lexicons}


def training_recipe(meta: dict[str, Any]) -> dict[str, Any]:
    """How the model's training rows were built (:func:`train.training_rows` arguments and
    :func:`train.group_weights` factors): ``meta["training_recipe"]`` when recorded, else
    read from its ``training_data`` and ``command`` (``train-sentiment`` options)."""
    if isinstance(meta.get("training_recipe"), dict):
        return {"seed": 42, "new_domains": False, "cdiscount": 12_000, "booking": None,
                "scale": None, **meta["training_recipe"]}
    command = str(meta.get("command") or "")
    files = set(meta.get("training_data") or [])

    def option(name: str) -> str | None:
        found = re.search(rf"--{name} (\S+)", command)
        return found.group(1) if found else None

    cdiscount = option("cdiscount")
    scale = option("scale")
    return {"seed": int(meta.get("seed", 42)), "new_domains": bool(files & set(NEW_DOMAIN_FILES)),
            "cdiscount": None if cdiscount == "None" else int(cdiscount or 12_000),
            "booking": option("booking") if BOOKING_FILE in files else None,
            "scale": {k: float(v) for k, v in (p.split("=") for p in scale.split(","))}
            if scale else None}


def refit_without(model: LinearSentiment, train: pd.DataFrame, group: str, seed: int,
                  sample: int | None, scale: dict[str, float] | None
                  ) -> tuple[LinearSentiment, float]:
    """The model's recipe (its parameters, neutral bias kept, its training rows and group
    weights) fitted without ``group``."""
    fit_rows = train[train["group"] != group]
    if sample is not None and sample < len(fit_rows):
        fit_rows = fit_rows.sample(n=sample, random_state=seed)
    started = time.perf_counter()
    other = clone(model)
    with threadpool_limits(limits=1):
        other.fit(fit_rows["text"].tolist(), fit_rows["label"].tolist(),
                  sample_weight=group_weights(fit_rows["group"], fit_rows["label"], scale))
    return other, time.perf_counter() - started


def training_pool(reviews: pd.DataFrame, recipe: dict[str, Any], data: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's training rows and every row of its training domains (with ``split``)."""
    pool = reviews
    if recipe["new_domains"]:
        new = new_domain_reviews(data, cdiscount=recipe["cdiscount"], seed=recipe["seed"])
        pool = pd.concat([reviews, new], ignore_index=True)
    if recipe["new_domains"] or recipe["booking"]:
        train = training_rows(data, seed=recipe["seed"], new_domains=recipe["new_domains"],
                              cdiscount=recipe["cdiscount"], booking=recipe["booking"])
    else:  # the default recipe: the training split of the original files
        train = reviews[reviews["split"] == "train"]
    return train, pool


def held_out_domains(model: LinearSentiment, reviews: pd.DataFrame, booking: pd.DataFrame,
                     lexicons: list[Any], args: argparse.Namespace
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Leave-one-source-out refits (whole-text rows of the old section, and with / without
    adaptation) and the review files the model never trained on."""
    weights = tuple(args.weights)
    meta = getattr(model, "meta_", {})
    recipe = training_recipe(meta)
    loso: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    train, pool = training_pool(reviews, recipe, args.data) if not args.no_loso else (None, None)
    # Booking units are measured in their own section (on the reviews never trained on)
    groups = [] if train is None else (args.loso_domains
                                       or sorted(set(train["group"]) - {"hotel"}))
    for group in groups:
        assert train is not None and pool is not None
        other, fit_s = refit_without(model, train, group, args.seed,
                                     8000 if args.quick else None, recipe["scale"])
        rows = pool[pool["group"] == group]
        if args.quick:
            rows = rows.sample(n=min(3000, len(rows)), random_state=args.seed)
        rows = rows.reset_index(drop=True)
        test = (rows["split"] == "test").to_numpy()
        texts, truth = rows["text"].tolist(), rows["label"].to_numpy()
        ours = Ours(other, f"{Path(args.model).name} without {group}")
        whole = evaluate(ours, [t for t, k in zip(texts, test) if k], truth[test])
        loso.append({"held_out": group, "fit_seconds": round(fit_s, 1), "result": whole,
                     "booking_binary_accuracy": evaluate(ours, booking["text"].tolist(),
                                                         booking["label"].to_numpy())
                     ["binary_accuracy"]})
        run = sa.Run(texts, score_labels(rows["rating"].to_numpy(dtype=float), "stars"), other)
        held.append({"domain": group, "how": "refit without it; test rows",
                     "reviews": run.n, "test_reviews": int(test.sum()),
                     "fit_seconds": round(fit_s, 1), "whole_text": whole,
                     **adapted_scores(run, test, weights),
                     "lexicons": lexicon_review_scores(
                         lexicons, [t for t, k in zip(texts, test) if k], truth[test])})
        print(f"  held-out {group} done (fit {fit_s:.0f} s)", flush=True)
    trained_on = set(meta.get("training_data") or [])
    for name, file in sa.UNSEEN.items():
        if file in trained_on or name in args.skip_domains:
            continue
        sample = (3000 if args.quick else args.cdiscount) if "cdiscount" in name else None
        frame = sa.load_domain(Path(args.data) / file, sample)
        labels = score_labels(frame["rating"].to_numpy(), "stars")
        texts = frame["clean"].tolist()
        run = sa.Run(texts, labels, model)
        held.append({"domain": name, "how": "never trained on; all rows" if sample is None
                     else f"never trained on; seeded sample of {sample:,}",
                     "reviews": run.n, "test_reviews": run.n,
                     "whole_text": evaluate(Ours(model), texts, labels),
                     **adapted_scores(run, None, weights),
                     "lexicons": lexicon_review_scores(lexicons, texts, labels)})
        print(f"  held-out {name} done", flush=True)
    return loso, held


def booking_held(model: LinearSentiment, data: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                             np.ndarray | None]:
    """Booking reviews and units; ``keep`` = the reviews the model never trained on (all:
    ``None``)."""
    frame, table = booking_units(Path(data) / BOOKING_FILE)
    recipe = training_recipe(getattr(model, "meta_", {}))
    if not recipe["booking"]:
        return frame, table, None
    keep = ~booking_training_half(len(frame), recipe["seed"])
    frame, table, _ = booking_subset(frame, table, keep)
    return frame, table, keep


def booking_section(model: LinearSentiment, lexicons: list[Any], args: argparse.Namespace
                    ) -> dict[str, Any]:
    """Booking units: the model without / with adaptation on score_0_10, the lexicon tools,
    scored on the reviews the model never trained on."""
    frame, table, keep = booking_held(model, args.data)
    out = sa.booking(model, Path(args.data), weights=tuple(args.weights), keep=keep)
    out["lexicons"] = {lex.name: booking_scores(frame, table,
                                                lexicon_scores(lex, table["text"].tolist()))
                       for lex in lexicons}
    out["model_trained_on_booking"] = keep is not None
    return out


def pipeline_share() -> dict[str, Any] | None:
    """The adaptation's share of the latest 100k end-to-end run in results/pipeline.json."""
    path = RESULTS / "pipeline.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    row = next((r for r in data.get("end2end", {}).get("rows", []) if r.get("n") == 100_000), None)
    if row is None:
        return None
    info = row.get("sentiment_adaptation") or {}
    adapt_s = (row["stages_s"].get("Adaptation du sentiment", 0.0)
               + float(info.get("features_seconds") or 0.0))
    when = data.get("machines", {}).get("end2end", {})
    return {"total_s": row["total_s"], "adapt_s": round(adapt_s, 2),
            "adapt_stage_s": row["stages_s"].get("Adaptation du sentiment"),
            "features_s": info.get("features_seconds"),
            "share_of_run_without_it": round(adapt_s / (row["total_s"] - adapt_s), 4),
            "date": when.get("date"), "load_avg_at_start": when.get("load_avg_at_start"),
            "source": "benchmarks/results/pipeline.json (end2end, 100k)"}


# ------------------------------------------------------------------------- markdown


def held_out_table(held: list[dict[str, Any]], weights: tuple[float, ...]) -> list[str]:
    lexicons = list(held[0]["lexicons"]) if held else []
    md = ["| held-out domain | how | scored reviews (adapted on) | test reviews | "
          + " | ".join(lexicons) + " | model, whole text | model, units | "
          + " | ".join(f"model, units, adapted w={w}" for w in weights) + " | ≥ 0.70 adapted |",
          "|---|---|---|---|" + "---|" * (len(lexicons) + 2 + len(weights) + 1)]
    for item in held:
        adapted = item[f"w={DEFAULT_WEIGHT}"]
        cells = []
        for w in weights:
            r = item[f"w={w}"]
            cells.append(_pair(r) if r["adapted"] else
                         f"not adapted ({r['scored_reviews']:,} < {MIN_REVIEWS:,})")
        met = ("met" if adapted["macro_f1"] >= TARGETS["held_out_macro_f1"] else "missed") + (
            "" if adapted["adapted"] else " (not adapted)")
        md.append(f"| {item['domain']} | {item['how']} | {adapted['scored_reviews']:,} | "
                  f"{item['test_reviews']:,} | "
                  + " | ".join(_pair(item["lexicons"][n]) for n in lexicons)
                  + f" | {_pair(item['whole_text'])} | {_pair(item['without'])} | "
                  + " | ".join(cells) + f" | {met} |")
    return md


def booking_table(b: dict[str, Any], model_name: str, weights: tuple[float, ...]) -> list[str]:
    md = ["| method | binary | negative recall | positive recall | hidden complaints recall | "
          "false alarms (≥ 9, no complaint) |", "|---|---|---|---|---|---|"]
    rows = [(name, r) for name, r in b["lexicons"].items()]
    rows += [(model_name, b["without"])]
    rows += [(f"{model_name} adapted w={w}", b[f"w={w}"]) for w in weights]
    for name, r in rows:
        md.append(f"| {name} | {r['binary_accuracy']:.3f} | {r['negative_recall']:.3f} | "
                  f"{r['positive_recall']:.3f} | {r['hidden_complaints_recall']:.3f} | "
                  f"{r['false_alarms_clean_high']:.3f} |")
    return md


def targets_table(data: dict[str, Any]) -> list[str]:
    weight = f"w={DEFAULT_WEIGHT}"
    every = {row["set"]: row["result"] for row in data["full"]}
    rows = []

    def add(target: str, value: str, ok: bool | None) -> None:
        rows.append(f"| {target} | {value} | "
                    f"{'–' if ok is None else ('met' if ok else '**missed**')} |")

    if data.get("booking"):
        b, w = data["booking"]["without"], data["booking"][weight]
        add(f"Booking sentences binary ≥ {TARGETS['booking_binary']} with negative recall ≥ "
            f"{TARGETS['booking_negative_recall']}",
            f"{w['binary_accuracy']:.3f} / {w['negative_recall']:.3f} adapted "
            f"({b['binary_accuracy']:.3f} / {b['negative_recall']:.3f} without)",
            w["binary_accuracy"] >= TARGETS["booking_binary"]
            and w["negative_recall"] >= TARGETS["booking_negative_recall"])
        add(f"hidden complaints on Booking ≥ {TARGETS['hidden_complaints']} recall",
            f"{w['hidden_complaints_recall']:.3f} adapted ({b['hidden_complaints_recall']:.3f} "
            "without)", w["hidden_complaints_recall"] >= TARGETS["hidden_complaints"])
    if data.get("held_out"):
        cells = [f"{i['domain']} {i[weight]['macro_f1']:.3f}" for i in data["held_out"]]
        worst = min(i[weight]["macro_f1"] for i in data["held_out"])
        add(f"held-out domains macro-F1 ≥ {TARGETS['held_out_macro_f1']} in every domain, "
            "with adaptation", "; ".join(cells), worst >= TARGETS["held_out_macro_f1"])
    binary = every["all domains (full test split)"]["binary_accuracy"]
    add(f"in-domain binary not below {TARGETS['in_domain_binary']} (the issue's 3 decimals)",
        f"{binary:.4f} (full test split, {every['all domains (full test split)']['n']:,} "
        "reviews)", round(binary, 3) >= TARGETS["in_domain_binary"])
    units = data["speed_units"]
    add(f"≥ {TARGETS['units_per_s_core']:,} units/s/core (shipped model)",
        f"{units['reviews_per_s']:,} units/s, one thread (load {units['load_avg_1min_at_best']})",
        units["reviews_per_s"] >= TARGETS["units_per_s_core"])
    share = data.get("pipeline_share")
    if share:
        add(f"adaptation adds ≤ {100 * TARGETS['adapt_share_100k']:.0f}% to the 100k "
            "end-to-end time", f"+{100 * share['share_of_run_without_it']:.1f}% "
            f"({share['adapt_s']} s of {share['total_s']} s; quoted from pipeline.json, "
            f"{share['date']}, load {(share['load_avg_at_start'] or ['?'])[0]})",
            share["share_of_run_without_it"] <= TARGETS["adapt_share_100k"])
    tricky = data["tricky_accuracy"]
    add("hand-written tricky set (no target)", f"3-class {tricky['accuracy']:.3f}, binary "
        f"{tricky['binary_accuracy']:.3f}", None)
    return ["| target (issue 15) | measured | |", "|---|---|---|", *rows]


def markdown(data: dict[str, Any]) -> str:
    m, args = data["machine"], data["args"]
    weights = tuple(args["weights"])
    name = data["model"]
    speed, speed_units, aggregation = data["speed_reviews"], data["speed_units"], data["aggregation"]
    tricky = data["tricky_accuracy"]
    md = ["# French sentiment benchmark", "",
          f"Measured {m['date']} on {m['processor']} ({m['cpu_count']} cores visible, shared "
          "with other jobs, OMP/BLAS threads = 1; 1-min load average at start "
          f"{m.get('load_avg_at_start')}, at end {data.get('load_avg_at_end')}). Command: "
          f"`{data['command']}`. Model: `{name}` ({data['model_size_mb']:.1f} MB on disk). "
          f"One run, {data['runtime_s']:.0f} s wall clock"
          + (" (**quick mode: subsamples, not the committed figures**)" if args["quick"] else "")
          + ".", "",
          "## Targets (issue 15)", "", *targets_table(data), "",
          "## Held-out test splits (same seeded sample for every method)", "",
          f"At most {args['per_group']} test rows per domain; the model never trained on them.",
          "", comparison_table(data["comparison"]), "",
          "## Our model on the full test splits and unseen Booking sentences", "",
          comparison_table(data["full"]), ""]
    if data.get("held_out"):
        md += ["## Held-out domains, without and with adaptation to their own stars", "",
               "Review level, macro-F1 / binary. Adapted: `feedback_nlp.sentiment.adapt` on "
               "the domain's star ratings (stars 1–2 / 3 / 4–5), 5 cross-fitted folds, seed 0; "
               f"default weight {DEFAULT_WEIGHT}, threshold {MIN_REVIEWS:,} scored reviews. "
               "Training domains: the model's recipe refitted on the training split without "
               "the domain (neutral bias kept), adapted on all the domain's rows, measured on "
               "its test rows. Other files: the model never trained on them; adapted and "
               "measured on all rows. Lexicon tools and \"whole text\" score the review text; "
               "\"units\" = the arg-max of the opinion units' aggregate, as `analyze()`.", "",
               *held_out_table(data["held_out"], weights), ""]
    if data.get("booking"):
        b = data["booking"]
        md += ["## Booking: liked / disliked fields, adaptation on score_0_10", "",
               f"{b['reviews']:,} reviews, {b['units']:,} units (cleaned fields, non-answers "
               f"dropped); review labels from score_0_10 (0–6 / 7–8 / 9–10): "
               f"{b['scored_by_label']}; hidden complaints: {b['hidden_complaint_reviews']} "
               f"reviews ≥ 9 with a disliked field → at least one negative unit (arg-max); "
               f"false alarms: the same on the {b['clean_high_reviews']} reviews ≥ 9 without one. "
               + ("The model trained on the fields of a seeded half of the reviews "
                  "(`train.booking_training_half`): these figures are on the other half only."
                  if b.get("model_trained_on_booking") else
                  "The field labels are never trained on."), "",
               *booking_table(b, name, weights), ""]
    md += ["## Unseen domains and tricky sentences (binary: positive vs negative)", "",
           comparison_table(data["unseen_and_tricky"], three_way=False), "",
           f"Tricky hand-written sentences, 3-class accuracy of our model: "
           f"{tricky['accuracy']:.3f} (macro-F1 {tricky['macro_f1']:.3f}); by category: "
           + ", ".join(f"{r['category']} {r['mean']:.2f} (n={int(r['size'])})"
                       for r in data["tricky_by_category"]) + ".", ""]
    if data["loso"]:
        md += ["## Leave-one-source-out, whole texts (fit without the domain, test on its test "
               "rows)", "",
               "| held-out domain | n | accuracy | macro-F1 | binary acc | Booking binary | fit s |",
               "|---|---|---|---|---|---|---|"]
        for item in data["loso"]:
            r = item["result"]
            md.append(f"| {item['held_out']} | {r['n']:,} | {r['accuracy']:.3f} | "
                      f"{r['macro_f1']:.3f} | {r['binary_accuracy']:.3f} | "
                      f"{item['booking_binary_accuracy']:.3f} | {item['fit_seconds']} |")
        md.append("")
    md += [f"## Review-level aggregation ({aggregation['reviews']:,} test reviews)", "",
           "| review label from | accuracy | macro-F1 | binary acc |", "|---|---|---|---|"]
    for key, r in aggregation.items():
        if isinstance(r, dict) and "accuracy" in r:
            md.append(f"| {key} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                      f"{r['binary_accuracy']:.3f} |")
    md += ["", f"Opinion units per review: {aggregation['units_per_review']}. Share flagged "
           "`mixed` by true label: " + ", ".join(f"{k} {v:.2f}" for k, v in
                                                aggregation["mixed_share_by_label"].items()) + ".",
           "", "## Speed (one process, one thread, best of 5)", "",
           f"- whole reviews: {speed['reviews_per_s']:,} reviews/s ({speed['n']:,} test reviews, "
           f"mean {speed['mean_chars']} chars; 1-min load average {speed['load_avg_1min_at_best']}"
           f" before the best run, {speed['load_avg_1min_before_runs']} before each run on "
           f"{m['cpu_count']} cores; runs {speed['runs_seconds']} s)",
           f"- opinion units: {speed_units['reviews_per_s']:,} units/s per core "
           f"({speed_units['n']:,} units, mean {speed_units['mean_chars']} chars; load "
           f"{speed_units['load_avg_1min_at_best']})",
           f"- model size on disk: {data['model_size_mb']:.1f} MB; fit time recorded in "
           f"meta.json: {data['fit_seconds_meta']} s", ""]
    md += cost_lines(data)
    md += ["Seconds per part of this run: " + ", ".join(
        f"{k} {v:.0f}" for k, v in data["part_seconds"].items()) + ".", ""]
    return "\n".join(md)


def cost_lines(data: dict[str, Any]) -> list[str]:
    md = ["## Cost of adaptation on 100,000 reviews", ""]
    c = data.get("cost")
    if c:
        md.append(f"- measured here: the adaptation step on {c['reviews']:,} Cdiscount reviews "
                  f"resampled with replacement (seed 0), {c['units']:,} units: "
                  f"{c['adapt_total_s']} s (features {c['adapt_features_s']} s, 5 cross-fitted "
                  f"fits on {c['fit_reviews']:,} reviews, blend); the model's own predictions "
                  f"on the same units {c['shipped_model_predict_s']} s; 1-min load average "
                  f"before / after {c['load_avg_before'][0]:.2f} / {c['load_avg_after'][0]:.2f}")
    else:
        md.append("- not measured in this run (`--quick` or `--no-cost`)")
    share = data.get("pipeline_share")
    if share:
        md.append(f"- share of the 100k end-to-end run (not measured here: quoted from "
                  f"{share['source']}, {share['date']}, 1-min load average at start "
                  f"{(share['load_avg_at_start'] or ['?'])[0]}): adaptation {share['adapt_s']} s "
                  f"(stage {share['adapt_stage_s']} s + {share['features_s']} s building its "
                  f"features inside the sentiment stage) of {share['total_s']} s, i.e. "
                  f"+{100 * share['share_of_run_without_it']:.1f}% over the run without it")
    md.append("")
    return md


# ------------------------------------------------------------------------- main


def side_by_side(methods: list[Any], test: pd.DataFrame, booking: pd.DataFrame,
                 tricky: pd.DataFrame, args: argparse.Namespace
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every method on the same seeded test sample, Booking sample and tricky set."""
    sample = pd.concat([g.sample(n=min(args.per_group, len(g)), random_state=args.seed)
                        for _, g in test.groupby("group")])
    booking_sample = booking.sample(n=min(2 * args.per_group, len(booking)), random_state=args.seed)
    rows: list[dict[str, Any]] = []
    booking_rows: list[dict[str, Any]] = []
    for method in methods:
        for group in sorted(test["group"].unique()):
            part = sample[sample["group"] == group]
            rows.append({"set": f"{group} (test sample)", "method": method.name,
                         "result": evaluate(method, part["text"].tolist(), part["label"].to_numpy())})
        rows.append({"set": "all domains (test sample)", "method": method.name,
                     "result": evaluate(method, sample["text"].tolist(), sample["label"].to_numpy())})
        part = "" if booking.attrs["part"] == "all" else f", {booking.attrs['part']}"
        booking_rows.append({"set": f"Booking hotel sentences (sample{part})",
                             "method": method.name,
                             "result": evaluate(method, booking_sample["text"].tolist(),
                                                booking_sample["label"].to_numpy())})
        booking_rows.append({"set": f"tricky hand-written ({len(tricky)})", "method": method.name,
                             "result": evaluate(method, tricky["clean"].tolist(),
                                                tricky["label"].to_numpy())})
        print(f"  {method.name} done", flush=True)
    return rows, booking_rows


def full_test(model: LinearSentiment, test: pd.DataFrame, booking: pd.DataFrame
              ) -> list[dict[str, Any]]:
    ours = Ours(model)
    full_rows = [{"set": f"{group} (full test split)", "method": ours.name,
                  "result": evaluate(ours, g["text"].tolist(), g["label"].to_numpy())}
                 for group, g in test.groupby("group")]
    full_rows.append({"set": "all domains (full test split)", "method": ours.name,
                      "result": evaluate(ours, test["text"].tolist(), test["label"].to_numpy())})
    if getattr(model, "neutral_bias", 0.0):
        import copy

        plain = copy.copy(model)
        plain.neutral_bias = 0.0
        full_rows.append({"set": "all domains (full test split), neutral bias 0 (ablation)",
                          "method": ours.name,
                          "result": evaluate(Ours(plain, ours.name.split(" ", 1)[1]),
                                             test["text"].tolist(), test["label"].to_numpy())})
    full_rows.append({"set": f"Booking hotel sentences ({booking.attrs['part']})",
                      "method": ours.name,
                      "result": evaluate(ours, booking["text"].tolist(), booking["label"].to_numpy())})
    return full_rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(SHARED))
    parser.add_argument("--model", default=str(default_model_path()),
                        help="a folder written by train-sentiment (default: the shipped model)")
    parser.add_argument("--per-group", type=int, default=1500,
                        help="test rows per domain in the side-by-side table")
    parser.add_argument("--no-loso", action="store_true",
                        help="skip the leave-one-source-out refits (the slowest part)")
    parser.add_argument("--loso-domains", nargs="*", default=None,
                        help="training domains to hold out (default: every one)")
    parser.add_argument("--skip-domains", nargs="*", default=[],
                        help="never-trained-on files to leave out (sentiment_adapt.UNSEEN keys)")
    parser.add_argument("--weights", type=float, nargs="+", default=[DEFAULT_WEIGHT],
                        help="adaptation blend weights (the first table's target column uses "
                             "the product's default)")
    parser.add_argument("--cdiscount", type=int, default=20_000, help="Cdiscount sample size")
    parser.add_argument("--no-cost", action="store_true", help="skip the 100k adaptation cost")
    parser.add_argument("--quick", action="store_true",
                        help="develop: subsamples everywhere, no cost part, writes "
                             "results/sentiment_quick.* and leaves meta.json alone")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if DEFAULT_WEIGHT not in args.weights:
        args.weights = [DEFAULT_WEIGHT, *args.weights]
    if args.quick:
        args.per_group = min(args.per_group, 300)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    parts: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        parts[name] = round(now - since, 1)
        return now

    data: dict[str, Any] = {"machine": machine(), "versions": versions(),
                            "command": " ".join(["python benchmarks/sentiment.py",
                                                 *(sys.argv[1:] if argv is None else argv)])}
    model = LinearSentiment.load(args.model)
    data["model"] = getattr(model, "meta_", {}).get("name") or Path(args.model).name
    reviews = load_reviews(args.data)
    reviews["split"] = split_reviews(reviews, seed=args.seed)
    train, test = reviews[reviews["split"] == "train"], reviews[reviews["split"] == "test"]
    frame_keep = booking_held(model, args.data)
    booking = frame_keep[1][["text", "label"]]
    booking.attrs["part"] = "all" if frame_keep[2] is None else "reviews never trained on"
    tricky = pd.read_csv(TRICKY)
    tricky["clean"] = clean_series(tricky["text"]).to_numpy()
    print(f"loaded: {len(train):,} train, {len(test):,} test, {len(booking):,} Booking sentences",
          flush=True)
    t = lap("load", started)
    model.predict_proba(["warm-up"])  # builds the n-gram index before anything is timed
    lexicons = [TextBlobFr(), VaderFr()]
    methods = [Majority(train["label"].mode().iloc[0]), *lexicons, Ours(model)]
    data["comparison"], data["unseen_and_tricky"] = side_by_side(methods, test, booking, tricky, args)
    t = lap("side by side", t)
    data["full"] = full_test(model, test, booking)
    ours = Ours(model)
    data["tricky_accuracy"] = evaluate(ours, tricky["clean"].tolist(), tricky["label"].to_numpy())
    labels, _ = ours.scores(tricky["clean"].tolist())
    data["tricky_by_category"] = (pd.DataFrame({"category": tricky["category"],
                                                "ok": labels == tricky["label"].to_numpy()})
                                  .groupby("category")["ok"].agg(["mean", "size"])
                                  .reset_index().to_dict("records"))
    n_agg = 1000 if args.quick else 6000
    data["aggregation"] = {"reviews": min(n_agg, len(test)), **aggregation_study(
        model, test.sample(n=min(n_agg, len(test)), random_state=args.seed).reset_index(drop=True))}
    t = lap("full test, tricky, aggregation", t)
    data["booking"] = booking_section(model, lexicons, args)
    t = lap("Booking", t)
    data["loso"], data["held_out"] = held_out_domains(model, reviews, booking, lexicons, args)
    t = lap("held-out domains", t)
    speed_texts = test["text"].sample(n=min(10_000, len(test)), random_state=1).tolist()
    data["speed_reviews"] = throughput(model, speed_texts)
    data["speed_units"] = throughput(model, [u.text for x in speed_texts[:3000]
                                             for u in split_opinions(x)])
    t = lap("speed", t)
    data["cost"] = None if args.quick or args.no_cost else sa.cost(model, Path(args.data))
    data["pipeline_share"] = pipeline_share()
    lap("cost", t)
    data["model_size_mb"] = round(sum(f.stat().st_size for f in Path(args.model).iterdir())
                                  / 1e6, 2)
    data["fit_seconds_meta"] = getattr(model, "meta_", {}).get("fit_seconds")
    data["args"] = vars(args)
    data["part_seconds"] = parts
    data["runtime_s"] = round(time.perf_counter() - started, 1)
    data["load_avg_at_end"] = [round(v, 2) for v in os.getloadavg()]
    write_results("sentiment_quick" if args.quick else "sentiment", markdown(data), data)
    if not args.quick and Path(args.model).resolve() == default_model_path().resolve():
        record_in_meta(Path(args.model), data)


if __name__ == "__main__":
    main()
