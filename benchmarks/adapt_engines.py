"""Sentiment adaptation on every engine (issue 15): cost of the pre-pass on chunked and
Dask runs, equality with one process, and the one-process step before / after.

Writes ``benchmarks/results/adapt_engines.{md,json}``. Parts (``--parts``):

- ``onepass``: the one-process adaptation step (``sentiment.adapt_run`` with the features
  kept by the sentiment stage, what ``analyze`` does) and ``analyze`` (themes off) on a
  seeded resample of the real star-rated files (benchmarks/clean_io.resampled_csv, the
  frame of benchmarks/pipeline.py), this tree against ``--baseline DIR`` (a copy of an
  earlier commit's ``feedback_nlp/``, e.g. ``git archive 8bcd9a9 feedback_nlp``), in
  alternating fresh processes; best of the repeats;
- ``streaming``: ``analyze_stream`` on a larger resample, adaptation on vs off
  (``--no-adapt``), fresh processes: total seconds, the pre-pass (``sample_seconds``,
  rows cleaned and segmented by it), the fit, peak RSS, and whether the unit
  probabilities equal a one-process run's (on ``--equal-rows`` rows);
- ``dask``: ``analyze_dask`` on a 2-worker ``LocalCluster`` (processes) against one
  process, adaptation on: seconds, pre-pass, and equality of the probabilities.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clean_io import (  # noqa: E402
    RESULTS,
    ROOT,
    machine,
    peak_rss_mb,
    resampled_csv,
    run_worker,
    write_results,
)

NAME = "adapt_engines"
COLUMNS = {"text": "avis", "score": "note", "date": "date", "segment": "source"}
PROBA = ["p_negative", "p_neutral", "p_positive"]


def _import_tree() -> None:
    """This tree's package, or the one ``ADAPT_SOURCE`` names (the baseline)."""
    sys.path.insert(0, os.environ.get("ADAPT_SOURCE", str(ROOT)))


def _config(adapt: bool = True) -> Any:
    from feedback_nlp.config import AnalysisConfig

    return AnalysisConfig().replace(score_scale="stars", themes={"enabled": False},
                                    sentiment_adapt=adapt)


def worker_onepass(n: int, repeats: int) -> dict[str, Any]:
    _import_tree()
    import feedback_nlp
    from feedback_nlp import stages
    from feedback_nlp.io import read_feedback
    from feedback_nlp.sentiment import adapt_run, keep_unit_features

    config = _config()
    with tempfile.TemporaryDirectory() as tmp:
        path = resampled_csv(n, Path(tmp))
        frame = read_feedback(path, **COLUMNS)
        with keep_unit_features(True) as kept:
            documents, segments = stages.process_partition(frame, config)
        steps, totals = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            _, adapted, info = adapt_run(documents, segments, config, features=kept)
            steps.append(time.perf_counter() - started)
            started = time.perf_counter()
            feedback_nlp.analyze(path, config=config, **COLUMNS)
            totals.append(time.perf_counter() - started)
    return {"source": os.environ.get("ADAPT_SOURCE", "this tree"), "reviews": n,
            "units": len(segments), "scored_reviews": info["scored_reviews"],
            "fit_reviews": info.get("fit_reviews"), "step_s": [round(x, 2) for x in steps],
            "analyze_s": [round(x, 2) for x in totals], "features_seconds":
            info.get("features_seconds"), "load_avg": os.getloadavg()}


def worker_streaming(n: int, chunksize: int, adapt: int, equal_rows: int) -> dict[str, Any]:
    _import_tree()
    import numpy as np
    import pandas as pd

    import feedback_nlp
    from feedback_nlp.streaming import analyze_stream

    config = _config(bool(adapt))
    with tempfile.TemporaryDirectory() as tmp:
        path = resampled_csv(n, Path(tmp))
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        result = analyze_stream(path, Path(tmp) / "out", chunksize=chunksize, config=config,
                                csv=False, **COLUMNS)
        elapsed = time.perf_counter() - started
        peak = peak_rss_mb()
        info = result.info.get("sentiment_adaptation") or {}
        equal = None
        if adapt and equal_rows:
            # the same calls as one process on the first rows? (a run of its own: the
            # sample of a smaller file differs, so both sides are rerun on those rows)
            head = Path(tmp) / "head.csv"
            pd.read_csv(path, dtype=str, keep_default_na=False).head(equal_rows).to_csv(
                head, index=False)
            small = analyze_stream(head, Path(tmp) / "small", chunksize=max(1, equal_rows // 7),
                                   config=config, csv=False, **COLUMNS)
            one = feedback_nlp.analyze(head, config=config, **COLUMNS)
            streamed = pd.read_parquet(Path(tmp) / "small" / "segments.parquet")
            equal = bool(all(np.array_equal(streamed[c].to_numpy(), one.segments[c].to_numpy())
                             for c in PROBA)) and small.info["sentiment_adaptation"]["adapted"]
    return {"rows": n, "chunksize": chunksize, "adapt": bool(adapt), "seconds": round(elapsed, 1),
            "peak_rss_mb": round(peak), "rss_before_mb": round(rss_before),
            "adaptation": {k: info.get(k) for k in ("adapted", "scored_reviews", "fit_reviews",
                                                    "sample_seconds", "sample_rows_processed",
                                                    "fit_seconds", "seconds", "code")},
            "equal_rows": equal_rows if equal is not None else None,
            "probabilities_equal_one_process": equal, "load_avg": os.getloadavg()}


def worker_dask(n: int) -> dict[str, Any]:
    _import_tree()
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd
    from distributed import Client, LocalCluster

    import feedback_nlp
    from feedback_nlp.distributed import analyze_dask

    config = _config()
    with tempfile.TemporaryDirectory() as tmp:
        raw = pd.read_csv(resampled_csv(n, Path(tmp)), dtype=str, keep_default_na=False)
    started = time.perf_counter()
    one = feedback_nlp.analyze(raw, config=config, **COLUMNS)
    one_s = time.perf_counter() - started
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        result = analyze_dask(dd.from_pandas(raw, npartitions=8), config=config, client=client,
                              **COLUMNS)
        dask_s = time.perf_counter() - started
    info = result.info["sentiment_adaptation"]
    equal = all(np.array_equal(result.segments[c].to_numpy(), one.segments[c].to_numpy())
                for c in PROBA)
    return {"reviews": n, "one_process_s": round(one_s, 2), "dask_2_workers_s": round(dask_s, 2),
            "one_process_adaptation_s": one.info["sentiment_adaptation"].get("seconds"),
            "adaptation": {k: info.get(k) for k in ("adapted", "scored_reviews", "fit_reviews",
                                                    "sample_seconds", "sample_rows_processed",
                                                    "fit_seconds", "seconds")},
            "probabilities_equal_one_process": bool(equal),
            "documents_equal": bool(result.documents.equals(one.documents)),
            "load_avg": os.getloadavg()}


def _equal_cell(run: dict[str, Any]) -> str:
    if run.get("probabilities_equal_one_process") is None:
        return "—"
    return f"{run['probabilities_equal_one_process']} ({run['equal_rows']:,} rows)"


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = ["# Sentiment adaptation on every engine", "",
             f"Measured {m['date']} on {m['processor']} ({m['cpu_count']} cores, shared with other "
             f"jobs; 1-min load average at start {m.get('load_avg_at_start')}). Command: "
             f"`{data['command']}`. Resamples of the real star-rated files "
             "(benchmarks/clean_io.resampled_csv, seed 0), themes off.", ""]
    for part, stamp in data.get("part_measured", {}).items():
        lines.append(f"- part `{part}`: {stamp['date']}, load {stamp['load_avg_at_start']}, "
                     f"`{stamp['command']}`")
    lines.append("")
    one = data.get("onepass")
    if one:
        lines += ["## One process: the adaptation step and analyze(), before / after", "",
                  "| source | reviews | units | fit reviews | adaptation step s (repeats) | "
                  "analyze s (repeats) | load |", "|---|---:|---:|---:|---|---|---|"]
        for r in one["runs"]:
            lines.append(f"| {r['source']} | {r['reviews']:,} | {r['units']:,} | "
                         f"{r['fit_reviews']} | {r['step_s']} | {r['analyze_s']} | "
                         f"{[round(x, 1) for x in r['load_avg']]} |")
        lines.append("")
    stream = data.get("streaming")
    if stream:
        lines += ["## `--chunksize`: adaptation on vs off", "",
                  "| rows | chunksize | adapt | seconds | pre-pass s | rows cleaned by the pre-pass | "
                  "fit s | fit reviews | peak RSS MB | equal to one process | load |",
                  "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
        for r in stream["runs"]:
            a = r["adaptation"]
            lines.append(f"| {r['rows']:,} | {r['chunksize']:,} | {r['adapt']} | {r['seconds']} | "
                         f"{a.get('sample_seconds')} | {a.get('sample_rows_processed')} | "
                         f"{a.get('fit_seconds')} | {a.get('fit_reviews')} | {r['peak_rss_mb']:,} | "
                         f"{_equal_cell(r)} | {[round(x, 1) for x in r['load_avg']]} |")
        on = [r for r in stream["runs"] if r["adapt"]]
        off = [r for r in stream["runs"] if not r["adapt"]]
        if on and off:
            extra = min(r["seconds"] for r in on) - min(r["seconds"] for r in off)
            parts = min(r["adaptation"]["seconds"] for r in on)
            lines += ["", f"Adaptation adds {extra:.1f} s "
                      f"({100 * extra / min(r['seconds'] for r in off):.1f}%) to the chunked run "
                      f"(best of each), of which pre-pass + fit {parts:.1f} s (best); the rest is "
                      "applying the fold models in each chunk (the units' hashed features, "
                      "also built by a one-process run, and one sparse product) and the load's "
                      "noise."]
        lines.append("")
    dask = data.get("dask")
    if dask:
        d = dask["result"]
        a = d["adaptation"]
        lines += ["## Dask LocalCluster (2 workers × 1 thread, processes), adaptation on", "",
                  "| reviews | one process s | Dask s | pre-pass s | rows cleaned by the pre-pass | "
                  "fit s | probabilities equal | documents equal |",
                  "|---:|---:|---:|---:|---:|---:|---|---|",
                  f"| {d['reviews']:,} | {d['one_process_s']} | {d['dask_2_workers_s']} | "
                  f"{a.get('sample_seconds')} | {a.get('sample_rows_processed')} | "
                  f"{a.get('fit_seconds')} | {d['probabilities_equal_one_process']} | "
                  f"{d['documents_equal']} |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["onepass", "streaming", "dask"])
    parser.add_argument("--baseline", help="folder holding an earlier commit's feedback_nlp/")
    parser.add_argument("--onepass-n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--stream-rows", type=int, default=100_000)
    parser.add_argument("--chunksize", type=int, default=20_000)
    parser.add_argument("--stream-repeats", type=int, default=1)
    parser.add_argument("--equal-rows", type=int, default=2_000)
    parser.add_argument("--dask-n", type=int, default=20_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", type=int, default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        functions = {"onepass": worker_onepass, "streaming": worker_streaming, "dask": worker_dask}
        print(json.dumps(functions[args.worker](*args.args)))
        return 0
    script = Path(__file__)
    data: dict[str, Any] = {"machine": {**machine(), "load_avg_at_start": os.getloadavg()},
                            "command": "python benchmarks/adapt_engines.py " + " ".join(
                                argv if argv is not None else sys.argv[1:])}

    def run(part: str, *values: int, source: str | None = None) -> dict[str, Any]:
        if source:
            os.environ["ADAPT_SOURCE"] = source
            os.environ["FEEDBACK_NLP_MODELS"] = str(ROOT / "models")
        try:
            return run_worker(script, [part, "--args", *map(str, values)])
        finally:
            os.environ.pop("ADAPT_SOURCE", None)
            os.environ.pop("FEEDBACK_NLP_MODELS", None)

    # Parts not rerun keep their previous figures, with the date and load they were
    # measured at (``part_measured``).
    previous_file = RESULTS / f"{NAME}.json"
    previous = json.loads(previous_file.read_text(encoding="utf-8")) if previous_file.exists() else {}
    stamps = dict(previous.get("part_measured", {}))
    for part in ("onepass", "streaming", "dask"):
        if part in args.parts:
            stamps[part] = {"date": data["machine"]["date"],
                            "load_avg_at_start": data["machine"]["load_avg_at_start"],
                            "command": data["command"]}
        elif part in previous:
            data[part] = previous[part]
    data["part_measured"] = stamps

    def save() -> None:
        write_results(NAME, render(data), data)

    if "onepass" in args.parts:
        runs = []
        for _ in range(args.repeats):  # alternating, so that a change of load hits both
            for source in ([args.baseline] if args.baseline else []) + [None]:
                runs.append(run("onepass", args.onepass_n, 1, source=source))
                print(runs[-1], flush=True)
        data["onepass"] = {"runs": runs}
        save()
    if "streaming" in args.parts:
        runs = []
        for repeat in range(args.stream_repeats):  # alternating off / on
            for adapt in (0, 1):
                runs.append(run("streaming", args.stream_rows, args.chunksize, adapt,
                                args.equal_rows if adapt and repeat == 0 else 0))
                print(runs[-1], flush=True)
        data["streaming"] = {"runs": runs}
        save()
    if "dask" in args.parts:
        data["dask"] = {"result": run("dask", args.dask_n)}
        print(data["dask"], flush=True)
        save()
    data["machine"]["load_avg_at_end"] = os.getloadavg()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
