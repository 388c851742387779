"""Fine-tune the converted multilingual-e5-small as a sentiment teacher (CPU).

    python scripts/train_teacher.py --out ~/.cache/feedback_nlp/e5-sentiment-teacher
    python scripts/train_teacher.py --eval-only --out DIR      # re-measure a saved teacher

Training data: short reviews (<= 220 characters, so that the star label applies to all
of the text) of the review files in ../shared/data, 1-2 stars -> negative, 4-5 ->
positive (3 stars dropped; servicespublicsplus: the author's own polarity), balanced per
(domain, label). Never trained on: Booking (measured on its liked/disliked fields) and
the held-out domain given by --hold-out (measured on it: leave-one-domain-out). Writes
the teacher (top layers + head, safetensors, ~20 MB) to --out, checkpointing every 50
steps (a rerun resumes), and the measures to --out/eval.json; benchmarks/encoder.py
--part teacher turns them into the results table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedback_nlp.encoders.teacher import E5SentimentTeacher  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
DOMAINS = ["fr_reviews_trustpilot_auto", "fr_reviews_trustpilot_multi", "fr_reviews_insurance",
           "fr_reviews_trustpilot_showroomprive", "fr_reviews_ecommerce_cdiscount",
           "fr_reviews_public_services_google", "fr_experiences_servicespublicsplus",
           "fr_reviews_bank_google_africa", "fr_reviews_bank_keytrade",
           "fr_reviews_hotel_tripadvisor_trianon"]


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def labelled(domain: str) -> pd.DataFrame:
    df = pd.read_csv(SHARED / f"{domain}.csv.gz")
    df = df[df["label"].isin(["negative", "positive"])][["text", "label"]].dropna()
    df["text"] = df["text"].astype(str).str.strip()
    df["domain"] = domain
    return df


def training_set(hold_out: str, per_cell: int, seed: int) -> pd.DataFrame:
    parts = []
    for d in DOMAINS:
        if d == hold_out:
            continue
        df = labelled(d)
        df = df[df["text"].str.len().between(10, 220)]
        for _, g in df.groupby("label"):
            parts.append(g.sample(n=min(per_cell, len(g)), random_state=seed))
    return pd.concat(parts, ignore_index=True).sample(frac=1, random_state=seed)


def binary_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    neg = truth == "negative"
    return {"n": int(len(truth)), "binary_accuracy": float((truth == pred).mean()),
            "negative_recall": float((pred[neg] == "negative").mean()),
            "positive_recall": float((pred[~neg] == "positive").mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path,
                    default=Path.home() / ".cache" / "feedback_nlp" / "e5-sentiment-teacher")
    ap.add_argument("--hold-out", default="fr_reviews_bank_google_africa")
    ap.add_argument("--per-cell", type=int, default=170, help="reviews per (domain, label)")
    ap.add_argument("--train-layers", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--booking", type=int, default=1500, help="Booking sentences measured")
    ap.add_argument("--hold-out-n", type=int, default=600)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-only", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from feedback_nlp.sentiment.train import load_booking_sentences

    result: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                    "load_average_1m_start": os.getloadavg()[0], "params": {
                        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    if args.eval_only:
        teacher = E5SentimentTeacher.load(args.out)
    else:
        train = training_set(args.hold_out, args.per_cell, args.seed)
        log(f"training on {len(train):,} short reviews from {train['domain'].nunique()} "
            f"domains ({(train['label'] == 'negative').sum():,} negative)")
        teacher = E5SentimentTeacher(train_layers=args.train_layers,
                                     max_length=args.max_length, seed=args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "train_info.json").write_text(json.dumps({
            "n_train": len(train), "train_domains": sorted(train["domain"].unique()),
            "hold_out": args.hold_out, "train_layers": args.train_layers,
            "max_length": args.max_length, "per_cell": args.per_cell}, indent=2) + "\n")
        t0 = time.perf_counter()
        teacher.fit(train["text"].tolist(), train["label"].tolist(), checkpoint=args.out,
                    log=log)
        result["train_seconds"] = time.perf_counter() - t0
        result["n_train"] = len(train)
        result["train_domains"] = sorted(train["domain"].unique())
    booking = load_booking_sentences(SHARED)
    booking = booking.sample(n=min(args.booking, len(booking)), random_state=args.seed)
    t0 = time.perf_counter()
    pred = teacher.predict(booking["text"].tolist())
    seconds = time.perf_counter() - t0
    result["booking"] = binary_scores(booking["label"].to_numpy(), pred)
    result["booking"]["texts_per_s"] = len(booking) / seconds
    result["booking"]["mean_chars"] = float(booking["text"].str.len().mean())
    log(f"Booking: {result['booking']}")
    held = labelled(args.hold_out)
    held = pd.concat([g.sample(n=min(args.hold_out_n // 2, len(g)), random_state=args.seed)
                      for _, g in held.groupby("label")])
    t0 = time.perf_counter()
    pred = teacher.predict(held["text"].tolist())
    result["hold_out"] = binary_scores(held["label"].to_numpy(), pred)
    result["hold_out"].update(domain=args.hold_out,
                              texts_per_s=len(held) / (time.perf_counter() - t0),
                              mean_chars=float(held["text"].str.len().mean()))
    log(f"held-out domain: {result['hold_out']}")
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["load_average_1m_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
