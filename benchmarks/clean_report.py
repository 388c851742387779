"""Cleaning and report cost on the 100k-review frame of benchmarks/pipeline.py, per code version.

Usage (one fresh process per run; ``--source`` is the folder holding the ``feedback_nlp``
package to measure, so an older commit can be measured next to the current one on the
same input, back to back)::

    git archive <old-commit> feedback_nlp | tar -x -C /tmp/old
    .venv/bin/python benchmarks/clean_report.py --label before --source /tmp/old --analysis /tmp/a100k
    .venv/bin/python benchmarks/clean_report.py --label after --analysis /tmp/a100k

What is measured, on N real reviews resampled with replacement (seed 0) from the
star-rated files of ``../shared/data``, read with the columns of benchmarks/pipeline.py:

cleaning
    ``prepare.prepare_documents`` (the pipeline's "Nettoyage" stage: cleaning, PII
    masking of the originals, text statuses with the language check, scores, dates),
    best of ``--repeats`` passes (CPU and wall seconds), then one cProfile pass whose
    largest cumulative ``feedback_nlp`` entries are listed.
drivers
    ``drivers.annotate`` (the "Irritants et NPS" stage: priorities, theme x NPS, cuts,
    trends) on the saved analysis below.
report
    ``report.to_html``, ``report.to_excel`` (the benchmark's "Rapport" stage) and
    ``FeedbackAnalysis.save`` (Parquet + CSV tables, what ``feedback-nlp analyze -o``
    writes besides the report) of the analysis saved in ``--analysis`` (made once with
    ``pipeline.analyze`` and the configuration of benchmarks/pipeline.py when the folder
    does not exist yet), best of ``--repeats``.

CPU seconds are the figure to compare on a loaded machine (wall time then mostly
measures the other jobs); the load average is recorded at the start and end of each run.
The worker runs with one BLAS/OpenMP thread by default (``--threads``): on shared cores,
idle BLAS threads spin and their spinning counts as CPU time of whatever stage is running.
Writes ``benchmarks/results/clean_report.md`` and ``clean_report.json`` (runs are kept by
label; a later run with the same label replaces it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clean_io import RESULTS, ROOT, machine, resampled_csv, run_worker, write_results  # noqa: E402

NAME = "clean_report"
COLUMNS = {"text": "avis", "score": "note", "date": "date", "segment": "source"}


def _timed(function: Any, repeats: int) -> dict[str, float]:
    """Best CPU and wall seconds of ``repeats`` calls."""
    cpu, wall = [], []
    for _ in range(repeats):
        start_cpu, start = time.process_time(), time.perf_counter()
        function()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return {"cpu_s": round(min(cpu), 2), "wall_s": round(min(wall), 2)}


def _profile_top(function: Any, limit: int = 12) -> list[dict[str, Any]]:
    """The ``limit`` largest cumulative times of ``feedback_nlp`` functions in one call."""
    profile = cProfile.Profile()
    profile.enable()
    function()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, _line, name), (_calls, primitive, _tottime, cumtime, _callers) in stats.items():
        if "feedback_nlp" not in filename:
            continue
        module = filename[filename.rindex("feedback_nlp"):].removesuffix(".py").replace("/", ".")
        rows.append({"function": f"{module}.{name}", "calls": primitive, "cumulative_s": round(cumtime, 2)})
    rows.sort(key=lambda r: -r["cumulative_s"])
    return rows[:limit]


def worker(n: int, source: str, analysis_dir: str, repeats: int) -> dict[str, Any]:
    sys.path.insert(0, source)
    import feedback_nlp
    from feedback_nlp import drivers, pipeline, prepare
    from feedback_nlp.clean import language
    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.io import read_feedback
    from feedback_nlp.report import to_excel, to_html
    from feedback_nlp.result import FeedbackAnalysis

    load_start = [round(v, 2) for v in os.getloadavg()]
    config = AnalysisConfig().replace(score_scale="stars", n_jobs=2)
    out: dict[str, Any] = {"n": n, "repeats": repeats,
                           "package": str(Path(feedback_nlp.__file__).parent),
                           "load_avg_at_start": load_start}
    with tempfile.TemporaryDirectory() as tmp:
        path = resampled_csv(n, Path(tmp))
        frame = read_feedback(path, **COLUMNS)
        out["distinct_texts"] = int(frame["text"].nunique())
        language._detector()  # built once per process (0.7 s): start-up, not per row
        out["cleaning"] = _timed(lambda: prepare.prepare_documents(frame, config), repeats)
        out["cleaning_profile"] = _profile_top(lambda: prepare.prepare_documents(frame, config))
        folder = Path(analysis_dir)
        if not (folder / "summary.json").exists():
            pipeline.analyze(path, config=config, **COLUMNS).save(folder)
        analysis = FeedbackAnalysis.load(folder)
        out["report_rows"] = len(analysis.documents)
        out["drivers"] = _timed(lambda: drivers.annotate(analysis, config), repeats)
        target = Path(tmp)
        to_html(analysis, target / "warm.html")  # lazy imports (plotly, sentiment messages)
        out["html"] = _timed(lambda: to_html(analysis, target / "report.html"), repeats)
        out["excel"] = _timed(lambda: to_excel(analysis, target / "analyse.xlsx"), repeats)
        folders = (target / f"tables{i}" for i in range(repeats))  # save wants a new folder
        out["tables"] = _timed(lambda: analysis.save(next(folders)), repeats)
    out["load_avg_at_end"] = [round(v, 2) for v in os.getloadavg()]
    return out


def render(data: dict[str, Any]) -> str:
    runs = data.get("runs", {})
    lines = ["# Cleaning and report cost, per code version", "",
             "Same input for every run: real reviews resampled with replacement (seed 0) from "
             "the star-rated files of ../shared/data, as benchmarks/pipeline.py builds them; "
             "the report figures use one saved 100k analysis. CPU seconds are the figure to "
             "compare (the machine is shared: wall time then measures the other jobs too). "
             "Best of the repeats; one BLAS thread unless the run says otherwise.", ""]
    for label, run in runs.items():
        info = data.get("machines", {}).get(label, {})
        lines.append(f"- `{label}`: {run.get('note', '')} measured {info.get('date')} on "
                     f"{info.get('processor')} ({info.get('cpu_count')} cores), load average "
                     f"{run['load_avg_at_start']} at start, {run['load_avg_at_end']} at end; "
                     f"{run['n']:,} reviews ({run['distinct_texts']:,} distinct texts), report on "
                     f"{run['report_rows']:,} rows; BLAS threads {run.get('threads', 'default')}, "
                     f"best of {run.get('repeats', '?')}.")
    lines += ["", "| stage | " + " | ".join(f"{label} CPU s | {label} wall s" for label in runs) + " |",
              "|---|" + "---:|---:|" * len(runs)]
    stages = [("cleaning", "Nettoyage: prepare_documents"),
              ("drivers", "Irritants et NPS: drivers.annotate"), ("html", "Rapport: to_html"),
              ("excel", "Rapport: to_excel"), ("tables", "tables: FeedbackAnalysis.save")]
    for key, title in stages:
        cells = [f"{run[key]['cpu_s']:.2f} | {run[key]['wall_s']:.2f}" if key in run else "— | —"
                 for run in runs.values()]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    for label, run in runs.items():
        lines += ["", f"Largest cumulative `feedback_nlp` times in one profiled cleaning pass "
                  f"(`{label}`; cProfile adds overhead):", "", "| function | calls | cumulative s |",
                  "|---|---:|---:|"]
        lines += [f"| `{row['function'].replace('.__init__', '')}` | {row['calls']:,} | {row['cumulative_s']:.2f} |"
                  for row in run["cleaning_profile"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("--note", default="", help="what the label is (commit, change)")
    parser.add_argument("--source", default=str(ROOT), help="folder holding feedback_nlp/")
    parser.add_argument("--analysis", required=True, help="saved 100k analysis (made if absent)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", default="1",
                        help="BLAS/OpenMP threads of the worker (1: on a shared machine, idle "
                             "BLAS threads spinning would count as CPU time; 'default': the "
                             "libraries' own)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.n, args.source, args.analysis, args.repeats)))
        return 0
    info = machine()
    run = run_worker(Path(__file__), ["--source", args.source, "--analysis", args.analysis,
                                      "--n", str(args.n), "--repeats", str(args.repeats)],
                     threads=None if args.threads == "default" else args.threads)
    run["note"] = args.note
    run["threads"] = args.threads
    path = RESULTS / f"{NAME}.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault("runs", {})[args.label] = run
    data.setdefault("machines", {})[args.label] = info
    write_results(NAME, render(data), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
