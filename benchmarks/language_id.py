"""Language flag speed and verdicts on 100k real reviews (issue 18).

Usage::

    .venv/bin/python benchmarks/language_id.py            # 100k
    .venv/bin/python benchmarks/language_id.py --n 20000

Real reviews resampled with replacement (seed 0) from the star-rated files of
../shared/data, cleaned, then :func:`feedback_nlp.clean.text_status` on every text in
one process, one core: how many texts the fast paths decide, how many reach the offline
detector (lingua, low-accuracy mode), the time to build it, the throughput and the
statuses. Writes ``benchmarks/results/language_id.md`` and ``language_id.json``.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clean_io import machine, peak_rss_mb, real_corpus, write_results  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args(argv)
    from feedback_nlp import clean as C

    info = machine()
    texts = real_corpus()["avis"].sample(args.n, replace=True, random_state=0).tolist()
    cleaned = C.clean_series(texts).tolist()
    C.text_status("warm up")  # regexes compiled, nothing else
    start = time.perf_counter()
    detector = C._detector()
    build_s = time.perf_counter() - start
    calls = collections.Counter()

    class Counting:
        def compute_language_confidence_values(self, text: str):  # type: ignore[no-untyped-def]
            calls["lingua"] += 1
            return detector.compute_language_confidence_values(text)

    C._DETECTOR[0] = Counting()
    start = time.perf_counter()
    statuses = [C.text_status(text) for text in cleaned]
    run_s = time.perf_counter() - start
    C._DETECTOR[0] = detector
    by_status = collections.Counter(status for status, _ in statuses)
    by_language = collections.Counter(detail.split("'")[1] for status, detail in statuses
                                      if status == "not_french")
    row = {"n": args.n, "detector_build_s": round(build_s, 2), "text_status_s": round(run_s, 2),
           "text_status_per_s": round(args.n / run_s), "lingua_calls": calls["lingua"],
           "lingua_share": round(calls["lingua"] / args.n, 4), "statuses": dict(by_status),
           "not_french_by_language": dict(by_language.most_common()),
           "peak_rss_mb": round(peak_rss_mb())}
    lines = [
        "# Language flag: speed on real reviews (one core)",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['cpu_count']} cores), load "
        f"average at start {info.get('load_avg_at_start')}. {args.n:,} real reviews resampled "
        "(seed 0) from the star-rated files of ../shared/data, cleaned first (not timed).",
        "",
        "| texts | detector build s | text_status s | texts/s | reached lingua | not_french | "
        "peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {args.n:,} | {row['detector_build_s']} | {row['text_status_s']} | "
        f"{row['text_status_per_s']:,} | {row['lingua_calls']:,} ({row['lingua_share']:.1%}) | "
        f"{by_status.get('not_french', 0):,} | {row['peak_rss_mb']:,} |",
        "",
        "not_french by language: " + ", ".join(f"{k} {v}" for k, v in by_language.most_common())
        + ".",
        "",
    ]
    write_results("language_id", "\n".join(lines), {"machine": info, "results": [row]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
