"""Read + clean throughput and peak memory on real French reviews (10k and 100k rows).

Usage::

    .venv/bin/python benchmarks/clean_io.py            # 10k and 100k
    .venv/bin/python benchmarks/clean_io.py --sizes 2000

Each size runs in a fresh process (so peak RSS is that size's own) on one core:
write a CSV of N reviews resampled (seeded, with replacement) from the real star-rated
files of ``../shared/data`` (insurance, Trustpilot auto / multi / Showroomprivé), then
time ``read_feedback`` (sniffing + parsing + column mapping), ``clean_series`` alone
(the ``str -> str`` normalisers), and ``prepare_documents`` (cleaning + PII masking of
the originals + statuses + scores + dates). Writes ``benchmarks/results/clean_io.md``
and ``clean_io.json``.

Helpers here (corpus, machine description, result files) are shared by the other
benchmark scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = Path(os.environ.get("FEEDBACK_NLP_SHARED_DATA", ROOT.parent / "shared" / "data"))
STAR_FILES = ("fr_reviews_insurance.csv.gz", "fr_reviews_trustpilot_auto.csv.gz",
              "fr_reviews_trustpilot_multi.csv.gz", "fr_reviews_trustpilot_showroomprive.csv.gz")
TARGET_CLEAN_PER_S = 20_000
CLEAN_REPEATS = 5


# --------------------------------------------------------------------------- shared helpers


def real_corpus() -> Any:
    """The real star-rated reviews: columns avis, note (1-5), date (may be blank), source."""
    import pandas as pd

    parts = []
    for name in STAR_FILES:
        frame = pd.read_csv(SHARED / name, dtype=str, keep_default_na=False)
        parts.append(pd.DataFrame({
            "avis": frame["text"], "note": frame["rating"],
            "date": frame["date"] if "date" in frame.columns else "",
            "source": frame["source"],
        }))
    return pd.concat(parts, ignore_index=True)


def resampled_csv(n: int, folder: Path, seed: int = 0) -> Path:
    """Write ``n`` real reviews drawn with replacement (seeded) to ``folder/avis_<n>.csv``."""
    corpus = real_corpus()
    sample = corpus.sample(n=n, replace=n > len(corpus), random_state=seed)
    path = folder / f"avis_{n}.csv"
    sample.to_csv(path, index=False)
    return path


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    """Where and when the figures were measured."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "processor": _cpu_model(),
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 1024**3, 1)
    except (ValueError, OSError):
        pass
    try:
        info["load_avg_at_start"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
    sys.path.insert(0, str(ROOT))
    from feedback_nlp.pipeline import versions

    info["versions"] = versions()
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_worker(script: Path, args: list[str], timeout: float | None = None,
               threads: str | None = "1") -> dict[str, Any]:
    """Run ``script --worker ...`` in a fresh process; it prints one JSON object last.

    ``threads`` caps BLAS/OpenMP threads (``None``: the libraries' defaults, all cores).
    """
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads
    done = subprocess.run([sys.executable, str(script), "--worker", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_results(name: str, markdown: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    print(markdown)


# --------------------------------------------------------------------------- this benchmark


def worker(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from feedback_nlp import clean
    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.io import read_feedback
    from feedback_nlp.prepare import prepare_documents

    with tempfile.TemporaryDirectory() as tmp:
        path = resampled_csv(n, Path(tmp))
        size_mb = path.stat().st_size / 1024**2
        baseline_rss = peak_rss_mb()
        start = time.perf_counter()
        frame = read_feedback(path, text="avis", score="note", date="date", segment="source")
        read_s = time.perf_counter() - start
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    # Lazy imports (ftfy on the first mojibake) are start-up cost, not throughput: warm
    # them up on a hand-written string, then time CLEAN_REPEATS passes (each pass cleans
    # every distinct text again: clean_series caches per call only). The best pass is the
    # figure (timeit's advice: slower passes measure the other jobs on these shared
    # cores, whose speed moves by +-30% between runs); the median is recorded next to it.
    clean.clean_text("Ã©tÃ© trooop bien, pb <b>SAV</b> 06 12 34 56 78 commande n° 12345")
    timings = []
    for _ in range(CLEAN_REPEATS):
        start = time.perf_counter()
        clean.clean_series(frame["text"])
        timings.append(time.perf_counter() - start)
    clean_s = min(timings)
    clean_median_s = statistics.median(timings)
    config = AnalysisConfig(score_scale="stars")
    start = time.perf_counter()
    documents = prepare_documents(frame, config)
    prepare_s = time.perf_counter() - start
    assert len(documents) == n
    return {"n": n, "csv_mb": round(size_mb, 1), "read_s": round(read_s, 3),
            "clean_s": round(clean_s, 3), "clean_median_s": round(clean_median_s, 3),
            "clean_median_per_s": round(n / clean_median_s), "prepare_s": round(prepare_s, 3),
            "read_per_s": round(n / read_s), "clean_per_s": round(n / clean_s),
            "prepare_per_s": round(n / prepare_s),
            "peak_rss_mb": round(peak_rss_mb()), "rss_before_read_mb": round(baseline_rss),
            "usable_share": round(float((documents["text_status"] == "ok").mean()), 3),
            "distinct_texts": int(frame["text"].nunique())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.sizes[0])))
        return 0
    info = machine()
    rows = [run_worker(Path(__file__), ["--sizes", str(n)]) for n in args.sizes]
    lines = [
        "# Read + clean throughput (one core)",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['cpu_count']} cores, "
        f"{info.get('memory_gb', '?')} GB), Python {info['python']}, pandas "
        f"{info['versions'].get('pandas')}. Real reviews resampled with replacement (seed 0) "
        "from the star-rated files of ../shared/data; each size in a fresh process. "
        f"Target: cleaning ≥ {TARGET_CLEAN_PER_S:,} reviews/s.",
        "",
        "| reviews | distinct texts | CSV MB | read s | read rev/s | clean_series s | clean rev/s | "
        "clean rev/s (median pass) | prepare_documents s | prepare rev/s | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r.get('distinct_texts', 0):,} | {r['csv_mb']} | "
                     f"{r['read_s']} | {r['read_per_s']:,} | "
                     f"{r['clean_s']} | {r['clean_per_s']:,} | {r['clean_median_per_s']:,} | "
                     f"{r['prepare_s']} | "
                     f"{r['prepare_per_s']:,} | {r['peak_rss_mb']:,} |")
    lines += ["", "`clean_series`: the str -> str normalisers alone, best of "
              f"{CLEAN_REPEATS} passes after a one-string warm-up (lazy imports; the median pass "
              "is in the JSON as `clean_median_per_s`); identical texts are "
              "cleaned once, so a sample with repeated reviews (100k drawn from 91.7k real "
              "ones) runs faster than the same number of distinct texts. `prepare_documents`: "
              "cleaning + PII masking of the originals + text status (noise, language) + "
              "score and date parsing + row status.", ""]
    write_results("clean_io", "\n".join(lines), {"machine": info, "results": rows,
                                                 "target_clean_per_s": TARGET_CLEAN_PER_S})
    return 0


if __name__ == "__main__":
    sys.exit(main())
