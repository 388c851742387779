"""A French polarity lexicon as a candidate for knowledge beyond the training domains
(issue 15, deliverable 2), measured on the shipped model without retraining it.

Lexicon: ``fr_lexicon.txt`` of the PyPI package vaderSentiment-fr 1.3.4 (MIT licence,
installed in the venv; ~9k French words and phrases with a valence in [-4, 4]). Only its
single-word entries are used, keyed lower-case without accents, as vaderSentiment-fr does.

Per-unit lexicon score (vectorised, no call to vaderSentiment-fr): the unit's tokens from
the model's own tokenisation and negation scope
(:func:`feedback_nlp.sentiment.linear._marked_tokens`: a scope opened by *ne, pas, jamais,
sans, rien, aucun...* covers the next three words, closed by punctuation or *mais*); a
word in a negation scope counts ``-0.74 x`` its valence (vaderSentiment's ``N_SCALAR``);
the sum ``s`` is squashed as vaderSentiment's compound, ``c = s / sqrt(s^2 + 15)`` in
(-1, 1). One sparse matrix product per batch.

Variants (the model is never retrained):

- ``prior w``: log-linear prior, ``log p' = log p + w * c * (-1, 0, +1)`` (negative,
  neutral, positive), renormalised;
- ``rule t``: a unit whose compound is clearly negative (``c <= -t``) is moved to negative
  (its negative probability raised above the others), others untouched.

``w`` and ``t`` are chosen on a development split that is not a reported test set: the
Booking training half (:func:`feedback_nlp.sentiment.train.booking_training_half`, the half
a "+ Booking" model variant may train on), by binary accuracy of its liked / disliked
units. Reported: the Booking *other* half and all reviews (binary, negative recall, hidden
complaints, false alarms; without and with adaptation on ``score_0_10``), the in-domain full
test split (binary must stay >= 0.966), the TripAdvisor hotel reviews (never trained on,
review level), the hand-written tricky set, and units/s on one thread (model vs model +
lexicon). Every grid point is listed, not only the chosen one.

Writes ``benchmarks/results/sentiment_lexicon.{md,json}`` (machine, date, load average).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from booking_eval import BOOKING_FILE, booking_scores, booking_subset, booking_units  # noqa: E402
from clean_io import ROOT, SHARED, machine, write_results  # noqa: E402
from sentiment_adapt import Run  # noqa: E402
from sentiment_candidates import booking_parts, held_domain, in_domain, tricky, unit_speed  # noqa: E402

sys.path.insert(0, str(ROOT))
from feedback_nlp.sentiment import LABELS, default_model_path, load_model  # noqa: E402
from feedback_nlp.sentiment.linear import _marked_tokens  # noqa: E402
from feedback_nlp.sentiment.train import (  # noqa: E402
    booking_training_half,
    load_reviews,
    split_reviews,
)

N_SCALAR = -0.74  # vaderSentiment's weight of a negated word
ALPHA = 15.0  # vaderSentiment's compound normalisation
PRIOR_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
RULE_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
HOTEL = "fr_reviews_hotel_tripadvisor_trianon.csv.gz"
LICENCE = ("vaderSentiment-fr 1.3.4 (PyPI), fr_lexicon.txt, MIT licence "
           "(https://github.com/thomas7lieues/vader_FR; VADER: MIT, C.J. Hutto)")


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower())
                   if not unicodedata.combining(c))


def lexicon_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("vaderSentiment_fr")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("vaderSentiment-fr is not installed (pip install -e '.[bench]')")
    return Path(list(spec.submodule_search_locations)[0]) / "fr_lexicon.txt"


class Lexicon:
    """Single-word valences of the vaderSentiment-fr lexicon, scored on the model's tokens."""

    def __init__(self, path: Path | None = None) -> None:
        valence: dict[str, float] = {}
        for line in (path or lexicon_path()).read_text(encoding="utf-8").splitlines():
            word, sep, value = line.rpartition("->")
            if not sep or " " in word.strip() or not word.strip():
                continue
            try:
                valence[_fold(word.strip())] = float(value)
            except ValueError:
                continue
        self.valence = valence
        words = sorted(valence)
        self.index = {w: i for i, w in enumerate(words)}
        self.index.update({"neg_" + w: len(words) + i for i, w in enumerate(words)})
        base = np.array([valence[w] for w in words])
        self.vector = np.concatenate([base, N_SCALAR * base])

    def raw(self, texts: list[str]) -> np.ndarray:
        """Sum of the valences of each text's tokens (negated words x N_SCALAR)."""
        rows, cols = [], []
        index = self.index
        for r, text in enumerate(texts):
            for token in _marked_tokens(str(text)):
                j = index.get(_fold(token)) if not token.isascii() else index.get(token)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
        counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                               shape=(len(texts), len(self.vector)))
        return np.asarray(counts @ self.vector).ravel()

    def compound(self, texts: list[str]) -> np.ndarray:
        s = self.raw(texts)
        return s / np.sqrt(s * s + ALPHA)


def combine(base: np.ndarray, compound: np.ndarray, kind: str, value: float,
            gate: float | None = None) -> np.ndarray:
    """Model probabilities (columns negative, neutral, positive) with the lexicon; ``gate``
    (rule only): move a unit only where the model's p_positive - p_negative < gate."""
    if kind == "prior":
        if value == 0:
            return base
        logits = np.log(np.clip(base, 1e-12, 1)) + value * compound[:, None] * np.array([-1.0, 0.0, 1.0])
        out = np.exp(logits - logits.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)
    out = base.copy()
    move = compound <= -value
    if gate is not None:
        move &= (base[:, 2] - base[:, 0]) < gate
    out[move, 0] = out[move].max(axis=1) + 1e-3
    return out / out.sum(axis=1, keepdims=True)


class View:
    """The shipped model seen with the lexicon (``kind`` prior / rule / none)."""

    def __init__(self, model: Any, lexicon: Lexicon, kind: str, value: float,
                 cache: dict[int, np.ndarray] | None = None, gate: float | None = None) -> None:
        self.model, self.lexicon, self.kind, self.value = model, lexicon, kind, value
        self.cache, self.gate = cache, gate

    def _base(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        key = hash(tuple(texts))
        if self.cache is not None and key in self.cache:
            return self.cache[key], self.cache[-key - 1]
        base = self.model.predict_proba(texts)[list(LABELS)].to_numpy()
        compound = self.lexicon.compound(texts) if self.kind != "none" else np.zeros(len(texts))
        if self.cache is not None and self.kind != "none":
            self.cache[key], self.cache[-key - 1] = base, compound
        return base, compound

    def predict_proba(self, texts: list[str]) -> pd.DataFrame:
        texts = [str(t) for t in texts]
        base, compound = self._base(texts)
        if self.kind == "none":
            return pd.DataFrame(base, columns=list(LABELS))
        return pd.DataFrame(combine(base, compound, self.kind, self.value, self.gate),
                            columns=list(LABELS))


def development(model: Any, lexicon: Lexicon, data: Path, seed: int) -> dict[str, Any]:
    """Booking training half: every grid point's scores; choice by binary accuracy."""
    frame, units = booking_units(data / BOOKING_FILE)
    dev_frame, dev_units, mask = booking_subset(frame, units,
                                                booking_training_half(len(frame), seed))
    texts = dev_units["text"].tolist()
    base = model.predict_proba(texts)[list(LABELS)].to_numpy()
    compound = lexicon.compound(texts)
    out: dict[str, Any] = {"reviews": len(dev_frame), "units": len(dev_units),
                           "coverage": round(float((compound != 0).mean()), 4),
                           "prior": {}, "rule": {}}
    for kind, grid in (("prior", PRIOR_GRID), ("rule", RULE_GRID)):
        for value in grid:
            out[kind][str(value)] = booking_scores(dev_frame, dev_units,
                                                   combine(base, compound, kind, value))
        best = max(grid, key=lambda v: (out[kind][str(v)]["binary_accuracy"], -v))
        out[f"chosen_{kind}"] = best
    print(f"  development: {json.dumps(out)}", flush=True)
    return out


def measure(name: str, view: View, data: Path, test: pd.DataFrame, seed: int,
            speed: bool) -> dict[str, Any]:
    run = Run(test["text"].tolist(), test["label"].to_numpy(), view)
    item: dict[str, Any] = {"in_domain_full_test": in_domain(view, test),
                            "in_domain_full_test_units": run.review_scores(run.base),
                            "booking": booking_parts(view, data, seed),
                            "hotel_tripadvisor": held_domain(view, data, HOTEL)["without"],
                            "tricky": tricky(view)}
    if speed:
        plain = View(view.model, view.lexicon, view.kind, view.value)  # no cache
        item["speed"] = unit_speed(plain, test)
    print(f"  {name}: {json.dumps(item)}", flush=True)
    return item


GATED_T = (0.1, 0.3)
GATES = (-0.3, 0.0, 0.3, 0.6)


def gated(model: Any, lexicon: Lexicon, data: Path, test: pd.DataFrame, seed: int,
          cache: dict[int, np.ndarray]) -> list[dict[str, Any]]:
    """The rule applied only where the model is not clearly positive, on a small grid,
    every point shown (diagnosis of the in-domain / Booking trade-off, not a selection)."""
    out = []
    for t in GATED_T:
        for g in GATES:
            view = View(model, lexicon, "rule", t, cache, gate=g)
            bk = booking_parts(view, data, seed)
            item = {"t": t, "gate": g, "in_domain_full_test": in_domain(view, test),
                    "booking_other_half": bk["other_half"]}
            print(f"  gated: {json.dumps(item)}", flush=True)
            out.append(item)
    return out


def _b(r: dict[str, Any]) -> str:
    return (f"{r['binary_accuracy']:.3f} / {r['negative_recall']:.3f} / "
            f"{r['hidden_complaints_recall']:.3f} / {r['false_alarms_clean_high']:.3f}")


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    dev = data["development"]
    lines = ["# A French polarity lexicon on the shipped model (issue 15, deliverable 2)", "",
             f"Measured {m['date']} on {m.get('processor', '?')} ({m['cpu_count']} cores, "
             f"shared; OMP/BLAS threads 1; 1-min load average at start "
             f"{m.get('load_avg_at_start')}, at end {m.get('load_avg_at_end')}). Command: "
             f"`{data['command']}`. Model: `{data['model']}` (not retrained). Lexicon: "
             f"{LICENCE}; {data['lexicon_words']:,} single-word entries used.", "",
             "Lexicon score per unit: sum of the valences of the unit's tokens (the model's "
             "own tokenisation and negation scope; a negated word counts -0.74 x its valence), "
             "squashed to c = s / sqrt(s² + 15). **prior w**: log p' = log p + w·c·(−1, 0, +1); "
             "**rule t**: units with c ≤ −t moved to negative. w and t chosen on the Booking "
             "training half (development, not reported as a test), by binary accuracy.", "",
             f"## Development: Booking training half ({dev['reviews']:,} reviews, "
             f"{dev['units']:,} units; lexicon covers {dev['coverage']:.1%} of units)", "",
             "binary / negative recall / hidden complaints / false alarms (≥ 9, no complaint)",
             "", "| variant | dev scores |", "|---|---|"]
    for kind in ("prior", "rule"):
        for value, r in dev[kind].items():
            chosen = " **(chosen)**" if float(value) == dev[f"chosen_{kind}"] else ""
            lines.append(f"| {kind} {value}{chosen} | {_b(r)} |")
    lines += ["", "## Held-out measures", "",
              "Booking: binary / negative recall / hidden complaints / false alarms; *other "
              "half* = the reviews not used for development; adapted = `score_0_10` "
              "adaptation (w = 0.5) on top. In-domain: the full test split (18,347 reviews, "
              "whole text as `benchmarks/sentiment.py` scores it), macro-F1 / binary, floor "
              "0.966; *units*: "
              "the same reviews labelled from their opinion units' aggregate, as `analyze()` "
              "does. Hotel: TripAdvisor Trianon (never "
              "trained on), review level from units, macro-F1 / binary. Speed: opinion units/s, "
              "one thread, best of 3 (model alone vs model + lexicon).", "",
              "| variant | in-domain macro-F1 / binary | in-domain, units | Booking other half | Booking other half "
              "adapted | Booking all | Booking all adapted | hotel | tricky | units/s (load) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in data["views"].items():
        ind, bk, ho = r["in_domain_full_test"], r["booking"], r["hotel_tripadvisor"]
        speed = (f"{r['speed']['units_per_s']:,} ({r['speed']['load_1min_at_best']})"
                 if "speed" in r else "–")
        iu = r["in_domain_full_test_units"]
        lines.append(f"| {name} | {ind['macro_f1']:.3f} / {ind['binary_accuracy']:.4f} | "
                     f"{iu['macro_f1']:.3f} / {iu['binary_accuracy']:.4f} | "
                     f"{_b(bk['other_half']['without'])} | {_b(bk['other_half']['adapted'])} | "
                     f"{_b(bk['all']['without'])} | {_b(bk['all']['adapted'])} | "
                     f"{ho['macro_f1']:.3f} / {ho['binary_accuracy']:.3f} | "
                     f"{r['tricky']['accuracy']:.3f} | {speed} |")
    if data.get("gated"):
        lines += ["", "## Diagnosis: the rule gated by the model's confidence", "",
                  "A unit is moved to negative only if c ≤ −t **and** the model's p_positive − "
                  "p_negative < gate. Every grid point is shown on the test sets (no selection: "
                  "a diagnosis of the trade-off, not a tuned result).", "",
                  "| t | gate | in-domain macro-F1 / binary | Booking other half | adapted |",
                  "|---|---|---|---|---|"]
        for r in data["gated"]:
            ind, bk = r["in_domain_full_test"], r["booking_other_half"]
            lines.append(f"| {r['t']} | {r['gate']} | {ind['macro_f1']:.3f} / "
                         f"{ind['binary_accuracy']:.4f} | {_b(bk['without'])} | "
                         f"{_b(bk['adapted'])} |")
    if data.get("reading"):
        lines += ["", "## Reading", "", data["reading"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(SHARED))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--extra-prior", type=float, nargs="*", default=[],
                        help="prior weights measured besides the chosen one")
    parser.add_argument("--extra-rule", type=float, nargs="*", default=[],
                        help="rule thresholds measured besides the chosen one")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--gated", action="store_true",
                        help="diagnosis: gated rules (t x gate grid) on the in-domain test "
                             "split and the Booking other half; no selection")
    args = parser.parse_args(argv)
    data_dir = Path(args.data)
    started = time.perf_counter()
    info = machine()
    model = load_model()
    lexicon = Lexicon()
    reviews = load_reviews(data_dir)
    reviews["split"] = split_reviews(reviews, seed=args.seed)
    test = reviews[reviews["split"] == "test"]
    dev = development(model, lexicon, data_dir, args.seed)
    cache: dict[int, np.ndarray] = {}
    plans = [("model alone", "none", 0.0)]
    priors = [dev["chosen_prior"]] + [w for w in args.extra_prior if w != dev["chosen_prior"]]
    plans += [(f"prior w={w}", "prior", w) for w in priors if w > 0]
    rules = [dev["chosen_rule"]] + [t for t in args.extra_rule if t != dev["chosen_rule"]]
    plans += [(f"rule t={t}", "rule", t) for t in rules]
    result: dict[str, Any] = {"machine": info, "model": Path(default_model_path()).name,
                              "lexicon": LICENCE, "lexicon_words": len(lexicon.valence),
                              "command": "python benchmarks/sentiment_lexicon.py "
                                         + " ".join(argv if argv is not None else sys.argv[1:]),
                              "development": dev, "views": {}}
    for name, kind, value in plans:
        view = View(model, lexicon, kind, value, cache)
        result["views"][name] = measure(name, view, data_dir, test, args.seed,
                                        speed=not args.no_speed)
        info["load_avg_at_end"] = [round(v, 2) for v in os.getloadavg()]
        result["wall_s"] = round(time.perf_counter() - started, 1)
        write_results("sentiment_lexicon", markdown(result), result)
    if args.gated:
        result["gated"] = gated(model, lexicon, data_dir, test, args.seed, cache)
        info["load_avg_at_end"] = [round(v, 2) for v in os.getloadavg()]
        result["wall_s"] = round(time.perf_counter() - started, 1)
        write_results("sentiment_lexicon", markdown(result), result)


if __name__ == "__main__":
    main()
