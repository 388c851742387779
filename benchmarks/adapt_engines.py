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
  process, adaptation on: seconds, pre-pass, and equality of the probabilities;
- ``apply``: what applying the fold models adds to one part's sentiment stage;
- ``iters``: the solver iterations of the 5 fold fits (what the step's time follows,
  independent of the load) for the fit sample and folds chosen by row id and for the
  previous choice, 3 seeds, on the ``onepass`` frame.
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


def worker_iters(n: int, seeds: int) -> dict[str, Any]:
    """Solver iterations of the 5 fold fits (load-independent) on the same frame, for the
    fit sample and folds chosen by row id (now) and the previous choice (a label-stratified
    seeded sample, folds from a seeded permutation of positions), seeds 0..seeds-1."""
    _import_tree()
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from feedback_nlp import stages
    from feedback_nlp.io import read_feedback
    from feedback_nlp.sentiment import adapt as ad
    from feedback_nlp.sentiment import keep_unit_features

    config = _config()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_feedback(resampled_csv(n, Path(tmp)), **COLUMNS)
    with keep_unit_features(True) as kept:
        documents, segments = stages.process_partition(frame, config)
    features = kept.matrix_for(segments["text"].astype(str).tolist())
    labels = ad.score_labels(documents["score"].to_numpy(dtype=float), "stars")
    labels[~((documents["text_status"] == "ok") & (documents["score_status"] == "ok")).to_numpy()] = None
    position = pd.Series(np.arange(len(documents)), index=documents["row_id"].to_numpy())
    unit_review = position.reindex(segments["row_id"].to_numpy()).to_numpy()
    weights = np.sqrt(np.maximum((segments["end"] - segments["start"]).to_numpy(dtype=float), 1))
    ids = documents["row_id"].to_numpy()

    def iterations(vectors: Any, labs: Any, fold: Any) -> int:
        used = np.flatnonzero(np.bincount(vectors.indices, minlength=vectors.shape[1]) >= 2)
        total = 0
        with threadpool_limits(1):
            for f in range(5):
                model = LogisticRegression(C=ad.C, class_weight="balanced", max_iter=ad.MAX_ITER,
                                           tol=ad.TOL, random_state=0)
                model.fit(vectors[:, used][fold != f], labs[fold != f])
                total += int(model.n_iter_[0])
        return total

    every = ad.sample_reviews(ids, labels, unit_review, features, weights, seed=0, cap=10**9)
    rows = []
    for seed in range(seeds):
        now = ad.sample_reviews(ids, labels, unit_review, features, weights, seed=seed, cap=10_000)
        rng = np.random.default_rng(seed + 1)
        keep = np.zeros(len(every), dtype=bool)
        for label in ad.LABELS:
            cell = np.flatnonzero(every.labels == label)
            keep[rng.permutation(cell)[:int(round(10_000 * len(cell) / len(every)))]] = True
        fold = np.empty(len(documents), dtype=np.int64)
        fold[np.random.default_rng(seed).permutation(len(documents))] = np.arange(len(documents)) % 5
        before = fold[position.reindex(every.row_ids[keep]).to_numpy()]
        rows.append({"seed": seed,
                     "by_row_id": iterations(now.vectors, now.labels.astype(str),
                                             ad.review_folds(now.row_ids, 5, seed)),
                     "previous": iterations(every.vectors[keep], every.labels[keep].astype(str),
                                            before)})
    return {"reviews": n, "scored_reviews": len(every), "rows": rows}


def worker_apply(n: int, repeats: int) -> dict[str, Any]:
    """What applying the fold models adds to the sentiment stage of one part (chunked /
    Dask runs): ``sentiment.annotate`` on the same ``n`` rows without and with
    ``adaptation=``, alternating, best of ``repeats``."""
    _import_tree()
    from feedback_nlp import adaptation
    from feedback_nlp.io import read_feedback
    from feedback_nlp.prepare import prepare_documents
    from feedback_nlp.segment import segment_documents
    from feedback_nlp.sentiment import annotate

    config = _config()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_feedback(resampled_csv(n, Path(tmp)), **COLUMNS)
    columns = dict(frame.attrs["columns"])
    model, _ = adaptation.fit(adaptation.collect_part(frame, config, columns=columns), config,
                              sample_seconds=0.0)
    documents = prepare_documents(frame, config, columns=columns)
    segments = segment_documents(documents, mask=documents["text_status"] == "ok")
    annotate(documents, segments, config)  # model loads, caches
    times: dict[str, list[float]] = {"plain": [], "adapted": []}
    for _ in range(repeats):
        for name, fitted in (("plain", None), ("adapted", model)):
            started = time.perf_counter()
            annotate(documents, segments, config, adaptation=fitted)
            times[name].append(round(time.perf_counter() - started, 2))
    return {"reviews": n, "units": len(segments), **times, "load_avg": os.getloadavg()}


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
            source = "this tree" if r["source"] == "this tree" else \
                f"previous ({one.get('baseline_commit', r['source'])})"
            lines.append(f"| {source} | {r['reviews']:,} | {r['units']:,} | "
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
            prepass = [r["adaptation"]["seconds"] for r in on]
            lines += ["", f"Pre-pass + fit: {min(prepass):.1f}–{max(prepass):.1f} s per run. "
                      f"Whole runs: off {', '.join(str(r['seconds']) for r in off)} s, on "
                      f"{', '.join(str(r['seconds']) for r in on)} s; when the off runs alone "
                      "differ by more than the pre-pass, the load's noise hides the difference "
                      "of totals. Besides the pre-pass and fit, each chunk applies the fold "
                      "models (the units' hashed features, which a one-process run builds "
                      "too, and one sparse product)."]
        lines.append("")
    apply = data.get("apply")
    if apply:
        lines += ["## Applying the fold models in a part's sentiment stage", "",
                  f"`sentiment.annotate` on {apply['reviews']:,} reviews ({apply['units']:,} "
                  f"units): without adaptation {apply['plain']} s, with the fitted models "
                  f"{apply['adapted']} s (alternating; best {min(apply['plain'])} -> "
                  f"{min(apply['adapted'])} s).", ""]
    iters = data.get("iters")
    if iters:
        lines += ["## Solver iterations of the 5 fold fits (load-independent)", "",
                  f"{iters['reviews']:,} reviews ({iters['scored_reviews']:,} scored), fit sample "
                  "10,000. 'by row id': now; 'previous': label-stratified sample, folds from a "
                  "permutation of positions.", "", "| seed | by row id | previous |",
                  "|---:|---:|---:|"]
        lines += [f"| {r['seed']} | {r['by_row_id']} | {r['previous']} |" for r in iters["rows"]]
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
    parser.add_argument("--baseline-commit", default=None,
                        help="the commit --baseline was archived from (for the table)")
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
        functions = {"onepass": worker_onepass, "streaming": worker_streaming, "dask": worker_dask,
                     "iters": worker_iters, "apply": worker_apply}
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
    for part in ("onepass", "streaming", "dask", "iters", "apply"):
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
        data["onepass"] = {"runs": runs, "baseline_commit": args.baseline_commit}
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
    if "apply" in args.parts:
        data["apply"] = run("apply", args.onepass_n, 3)
        print(data["apply"], flush=True)
        save()
    if "iters" in args.parts:
        data["iters"] = run("iters", args.onepass_n, 3)
        print(data["iters"], flush=True)
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
