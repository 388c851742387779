"""End-to-end speed and memory of ``analyze()`` vs a typical notebook; streaming; start-up.

Usage (one command; each part adds its figures to the same result files)::

    .venv/bin/python benchmarks/pipeline.py                      # every part, full sizes
    .venv/bin/python benchmarks/pipeline.py --parts end2end --sizes 1000 10000 100000
    .venv/bin/python benchmarks/pipeline.py --parts baseline --baseline-n 1000
    .venv/bin/python benchmarks/pipeline.py --parts streaming --stream-rows 1000000
    .venv/bin/python benchmarks/pipeline.py --parts startup dask

Parts
-----
end2end
    ``feedback_nlp.analyze`` on N real reviews (resampled with replacement, seed 0, from
    the star-rated files of ``../shared/data``: star ratings, so NPS is the labelled
    proxy) with dates and a segment; wall time per stage (the pipeline's own progress
    stages), reviews/s and peak RSS, each size in a fresh process; scaling ratio
    time(100k) / time(10k).
baseline
    The same job done the common notebook way on ``--baseline-n`` reviews: pandas
    ``apply`` of spaCy's full ``fr_core_news_sm`` pipeline for lemmas, a
    CamemBERT-base-sized classifier for sentiment (one review per call), BERTopic with
    a MiniLM-L12-sized sentence-transformers embedding. The transformers have
    **random weights** (built locally from configs, nothing downloaded): the timing is
    that of the real architectures, the outputs mean nothing.
streaming
    ``feedback_nlp.streaming.analyze_stream`` on a CSV of ``--stream-rows`` reviews with
    ``--stream-chunksize``: time, peak RSS, output row count.
dask
    ``feedback_nlp.distributed.analyze_dask`` on a 2-worker ``LocalCluster`` vs one process.
startup
    Fresh-process wall time of ``feedback-nlp --help``, ``import feedback_nlp``, and of
    scoring sentiment alone, with whether ``torch`` / ``bertopic`` got imported.

Writes ``benchmarks/results/pipeline.md`` and ``pipeline.json`` (machine, date, versions).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
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
    real_corpus,
    resampled_csv,
    run_worker,
    write_results,
)

NAME = "pipeline"
COLUMNS = {"text": "avis", "score": "note", "date": "date", "segment": "source"}
TARGETS = {"100k_seconds": 180, "100k_peak_rss_mb": 4096, "scaling_ratio": 11,
           "speedup_vs_notebook": 100, "stream_1m_peak_rss_mb": 6144, "help_seconds": 1.0}


# --------------------------------------------------------------------------- workers


def _config(n_jobs: int) -> Any:
    from feedback_nlp.config import AnalysisConfig

    return AnalysisConfig().replace(score_scale="stars", n_jobs=n_jobs)


def _instrument_topics(timings: dict[str, float]) -> None:
    """Time the theme stage's parts (it reports no progress stages of its own).

    Wraps, for measurement only: embedding (``embed`` of the embedding classes), theme
    fit (BERTopic / taxonomy fit and labelling), theme assignment (``transform``) and
    the theme table.
    """
    import functools

    from feedback_nlp import topics
    from feedback_nlp.topics import embeddings, model

    def timed(owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start

        setattr(owner, name, wrapper)

    for klass in (embeddings.LSAEmbedding, embeddings.SpacyEmbedding,
                  embeddings.SentenceTransformerEmbedding):
        timed(klass, "embed", "themes: embed")
    for name in ("_fit_bertopic", "_fit_taxonomy", "_finish_fit"):
        if hasattr(model.ThemeModel, name):
            timed(model.ThemeModel, name, "themes: fit")
    timed(model.ThemeModel, "transform", "themes: assign")
    timed(topics, "themes_table", "themes: table")


def worker_end2end(n: int, n_jobs: int) -> dict[str, Any]:
    start = time.perf_counter()
    from feedback_nlp import pipeline
    from feedback_nlp._progress import TimingProgress

    import_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = resampled_csv(n, Path(tmp))
        progress = TimingProgress()
        theme_parts: dict[str, float] = {}
        _instrument_topics(theme_parts)
        start = time.perf_counter()
        result = pipeline.analyze(path, config=_config(n_jobs), progress=progress, **COLUMNS)
        analyze_s = time.perf_counter() - start
        stages = dict(progress.timings)
        # The theme stage reports no progress stage: it is the time left between the
        # pipeline's stages (plus lazy imports). Its parts are listed after it; they may
        # nest (an embedding inside the fit), so they are a breakdown, not a sum.
        stages["themes (stage total)"] = max(0.0, analyze_s - sum(stages.values()))
        stages.update(theme_parts)
        report = {}
        for kind, method in (("html", result.to_html), ("excel", result.to_excel)):
            start = time.perf_counter()
            try:
                method(Path(tmp) / f"report.{kind}")
                report[kind] = round(time.perf_counter() - start, 3)
            except NotImplementedError:
                report[kind] = None
        stages["Rapport"] = sum(v for v in report.values() if v is not None)
    return {
        "n": n, "n_jobs": n_jobs, "analyze_s": round(analyze_s, 3),
        "import_feedback_nlp_pipeline_s": round(import_s, 3),
        "total_s": round(analyze_s + stages["Rapport"], 3),
        "reviews_per_s": round(n / (analyze_s + stages["Rapport"]), 1),
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "report_available": {k: v is not None for k, v in report.items()},
        "peak_rss_mb": round(peak_rss_mb()),
        "rows": len(result.documents), "segments": len(result.segments),
        "themes": len(result.themes), "has_sentiment": "sentiment" in result.segments.columns,
        "sentiment_adaptation": result.info.get("sentiment_adaptation"),
    }


def _local_tokenizer(texts: list[str], folder: Path) -> Any:
    """A WordPiece tokenizer trained here on the review texts (no download)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=32_000,
                                                             special_tokens=specials))
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=512)
    fast.save_pretrained(folder)
    return fast


def worker_baseline(n: int) -> dict[str, Any]:
    """The common notebook: pandas apply + spaCy + CamemBERT-base + BERTopic(MiniLM-L12)."""
    import pandas as pd

    timings: dict[str, float] = {}
    start_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = real_corpus()
        # Setup not counted: a notebook downloads these; we build same-sized models here.
        start = time.perf_counter()
        tokenizer = _local_tokenizer(corpus["avis"].sample(20_000, random_state=1).tolist(),
                                     folder / "tok")
        import torch
        from transformers import (
            BertConfig,
            BertModel,
            CamembertConfig,
            CamembertForSequenceClassification,
        )

        torch.manual_seed(0)
        # base: 12 layers x 768; 514 positions as the real camembert-base (RoBERTa offsets
        # positions by 2, so 512 tokens need 514).
        camembert = CamembertForSequenceClassification(CamembertConfig(
            vocab_size=tokenizer.vocab_size + 8, num_labels=3,
            max_position_embeddings=514)).eval()
        minilm_dir = folder / "minilm"
        BertModel(BertConfig(vocab_size=tokenizer.vocab_size + 8, hidden_size=384,
                             num_hidden_layers=12, num_attention_heads=12,
                             intermediate_size=1536)).save_pretrained(minilm_dir)
        tokenizer.save_pretrained(minilm_dir)
        setup_s = time.perf_counter() - start

        path = resampled_csv(n, folder)
        start = time.perf_counter()
        df = pd.read_csv(path)
        timings["read"] = time.perf_counter() - start

        start = time.perf_counter()
        import spacy

        nlp = spacy.load("fr_core_news_sm")
        timings["spacy_load"] = time.perf_counter() - start
        start = time.perf_counter()
        df["avis"] = df["avis"].fillna("").astype(str)
        df["lemmas"] = df["avis"].apply(
            lambda t: " ".join(tok.lemma_.lower() for tok in nlp(t) if tok.is_alpha and not tok.is_stop))
        timings["spacy_lemmas"] = time.perf_counter() - start

        start = time.perf_counter()

        def sentiment(text: str) -> int:
            with torch.no_grad():
                inputs = tokenizer(text, truncation=True, max_length=512, return_tensors="pt")
                inputs.pop("token_type_ids", None)
                return int(camembert(**inputs).logits.argmax())

        df["sentiment"] = df["avis"].apply(sentiment)
        timings["camembert_sentiment"] = time.perf_counter() - start

        start = time.perf_counter()
        from bertopic import BERTopic
        from sentence_transformers import SentenceTransformer, models
        from umap import UMAP

        embedder = SentenceTransformer(modules=[models.Transformer(str(minilm_dir), max_seq_length=256),
                                                models.Pooling(384)], device="cpu")
        topic_model = BERTopic(embedding_model=embedder, language="multilingual",
                               umap_model=UMAP(n_neighbors=15, n_components=5, random_state=0))
        timings["bertopic_import"] = time.perf_counter() - start
        start = time.perf_counter()
        topics, _ = topic_model.fit_transform(df["avis"].tolist())
        timings["bertopic_fit"] = time.perf_counter() - start
        df["topic"] = topics
        start = time.perf_counter()
        summary = df.groupby("topic")["note"].agg(["count", "mean"])
        timings["aggregate"] = time.perf_counter() - start
    total = time.perf_counter() - start_all - setup_s
    return {"n": n, "total_s": round(total, 3), "reviews_per_s": round(n / total, 3),
            "stages_s": {k: round(v, 3) for k, v in timings.items()},
            "setup_not_counted_s": round(setup_s, 3), "topics": int(len(summary)),
            "torch_threads": torch.get_num_threads(), "peak_rss_mb": round(peak_rss_mb()),
            "weights": "random (architecture-sized, built locally)"}


def worker_streaming(rows: int, chunksize: int, n_jobs: int) -> dict[str, Any]:
    import pandas as pd
    import pyarrow.parquet as pq

    from feedback_nlp.streaming import analyze_stream

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"avis_{rows}.csv"
        # Write the big file by chunks so that making it does not inflate the peak RSS.
        corpus = real_corpus()
        written, seed = 0, 0
        while written < rows:
            part = corpus.sample(n=min(100_000, rows - written), replace=True, random_state=seed)
            part.to_csv(path, mode="a", header=written == 0, index=False)
            written += len(part)
            seed += 1
        del corpus, part
        size_mb = path.stat().st_size / 1024**2
        rss_before = peak_rss_mb()
        start = time.perf_counter()
        result = analyze_stream(path, Path(tmp) / "out", chunksize=chunksize,
                                config=_config(n_jobs), csv=False, **COLUMNS)
        elapsed = time.perf_counter() - start
        out_rows = pq.ParquetFile(Path(tmp) / "out" / "documents.parquet").metadata.num_rows
        _ = pd
    return {"rows": rows, "chunksize": chunksize, "n_jobs": n_jobs, "csv_mb": round(size_mb),
            "seconds": round(elapsed, 1), "reviews_per_s": round(rows / elapsed),
            "peak_rss_mb": round(peak_rss_mb()), "rss_before_mb": round(rss_before),
            "output_rows": int(out_rows), "rows_by_status": result.info["rows_by_status"],
            "themes": len(result.themes)}


def worker_dask(n: int) -> dict[str, Any]:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    import feedback_nlp
    from feedback_nlp.distributed import analyze_dask

    with tempfile.TemporaryDirectory() as tmp:
        raw = pd.read_csv(resampled_csv(n, Path(tmp)), dtype=str, keep_default_na=False)
    # Themes off: this compares the per-row stages (clean, segment, sentiment) and the
    # aggregates; the theme fit runs on the client either way (same cost as one machine).
    # Sentiment adaptation on (default): Dask adapts like one process (issue 15).
    config = _config(1).replace(themes={"enabled": False})
    start = time.perf_counter()
    single = feedback_nlp.analyze(raw, config=config, **COLUMNS)
    single_s = time.perf_counter() - start
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        start = time.perf_counter()
        result = analyze_dask(dd.from_pandas(raw, npartitions=8), config=config, client=client,
                              **COLUMNS)
        dask_s = time.perf_counter() - start
    from feedback_nlp.distributed import process_parallel
    from feedback_nlp.io import read_feedback

    frame = read_feedback(raw, **COLUMNS)
    start = time.perf_counter()
    process_parallel(frame, config, n_jobs=2)
    parallel_s = time.perf_counter() - start
    start = time.perf_counter()
    process_parallel(frame, config, n_jobs=1)
    per_row_one_s = time.perf_counter() - start
    same = bool(result.documents.drop(columns=["theme_ids", "theme_labels"], errors="ignore").equals(
        single.documents.drop(columns=["theme_ids", "theme_labels"], errors="ignore")))
    return {"n": n, "single_process_s": round(single_s, 2), "dask_2_workers_s": round(dask_s, 2),
            "speedup": round(single_s / dask_s, 2), "documents_equal_except_themes": same,
            "sentiment_adapted": bool((result.info.get("sentiment_adaptation") or {}).get("adapted")),
            "per_row_one_process_s": round(per_row_one_s, 2),
            "per_row_process_parallel_2_s": round(parallel_s, 2)}


def worker_startup() -> dict[str, Any]:
    exe = sys.executable
    script = Path(exe).with_name("feedback-nlp")

    def timed(cmd: list[str]) -> tuple[float, str]:
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        return time.perf_counter() - start, done.stdout

    out: dict[str, Any] = {}
    runs = [timed([str(script), "--help"])[0] for _ in range(3)]
    out["help_s_first"] = round(runs[0], 3)
    out["help_s_best_of_3"] = round(min(runs), 3)
    out["import_feedback_nlp_s"] = round(min(timed([exe, "-c", "import feedback_nlp"])[0]
                                             for _ in range(3)), 3)
    probe = (
        "import sys, time; t = time.perf_counter();"
        "import pandas as pd; from feedback_nlp.config import AnalysisConfig;"
        "from feedback_nlp.sentiment import annotate;"
        "d = pd.DataFrame({'row_id': [0], 'text_status': ['ok']});"
        "s = pd.DataFrame({'row_id': [0], 'segment_id': [0], 'unit': [0],"
        " 'text': ['Livraison rapide mais SAV injoignable'], 'start': [0], 'end': [36]});"
        "annotate(d, s, AnalysisConfig());"
        "print(round(time.perf_counter() - t, 3), 'torch' in sys.modules,"
        " 'bertopic' in sys.modules, 'spacy' in sys.modules)"
    )
    seconds, stdout = timed([exe, "-c", probe])
    fields = stdout.split()
    out["sentiment_one_text_process_s"] = round(seconds, 3)
    out["sentiment_one_text_in_process_s"] = float(fields[0]) if fields else None
    out["sentiment_imports_torch"] = fields[1] == "True" if len(fields) > 1 else None
    out["sentiment_imports_bertopic"] = fields[2] == "True" if len(fields) > 2 else None
    out["sentiment_imports_spacy"] = fields[3] == "True" if len(fields) > 3 else None
    for module in ("bertopic", "spacy", "torch"):
        out[f"import_{module}_s"] = round(timed([exe, "-c", f"import {module}"])[0], 3)
    return out


# --------------------------------------------------------------------------- report


def _load_previous() -> dict[str, Any]:
    path = RESULTS / f"{NAME}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def render(data: dict[str, Any]) -> str:
    lines = ["# End-to-end pipeline benchmark", ""]
    for part, info in data.get("machines", {}).items():
        lines.append(f"- `{part}` measured {info['date']} on {info['processor']} "
                     f"({info['cpu_count']} cores, {info.get('memory_gb', '?')} GB, load average "
                     f"at start {info.get('load_avg_at_start')}), Python {info['python']}.")
    lines += ["", "Data: real French reviews resampled with replacement (seed 0) from the "
              "star-rated files of ../shared/data (insurance, Trustpilot auto / multi / "
              "Showroomprivé); NPS from stars is the labelled proxy. Sizes above 91,732 rows "
              "repeat reviews.", ""]
    end2end = data.get("end2end")
    if end2end:
        stage_names: list[str] = []
        for row in end2end["rows"]:
            stage_names += [s for s in row["stages_s"] if s not in stage_names]
        lines += ["## analyze() end to end", "",
                  "| reviews | n_jobs | " + " | ".join(stage_names) + " | total s | reviews/s | peak RSS MB |",
                  "|---:|---:|" + "---:|" * len(stage_names) + "---:|---:|---:|"]
        for row in end2end["rows"]:
            cells = [f"{row['stages_s'].get(s, 0):.2f}" for s in stage_names]
            lines.append(f"| {row['n']:,} | {row['n_jobs']} | " + " | ".join(cells)
                         + f" | {row['total_s']:.1f} | {row['reviews_per_s']:,.0f} | "
                           f"{row['peak_rss_mb']:,} |")
        if end2end.get("scaling_ratio") is not None:
            lines.append("")
            lines.append(f"Scaling ratio time(100k) / time(10k): **{end2end['scaling_ratio']:.2f}** "
                         f"(target ≤ {TARGETS['scaling_ratio']}).")
        last = end2end["rows"][-1]
        missing = [k for k, v in last.get("report_available", {}).items() if not v]
        notes = []
        if not last.get("has_sentiment"):
            notes.append("sentiment was not available (placeholder) when measured")
        if not last.get("themes"):
            notes.append("no themes were produced (theme stage not available) when measured")
        if missing:
            notes.append(f"report ({', '.join(missing)}) not available when measured")
        if notes:
            lines += ["", "Caveats: " + "; ".join(notes) + "."]
        lines.append("")
    baseline = data.get("baseline")
    if baseline:
        b = baseline["result"]
        lines += ["## Typical notebook baseline", "",
                  f"{b['n']:,} reviews, pandas `apply` + spaCy `fr_core_news_sm` (full pipeline, "
                  "lemmas) + CamemBERT-base-sized classifier (one call per review) + BERTopic "
                  "with a MiniLM-L12-sized sentence-transformers embedding. **Random weights**, "
                  "built locally from configs (timing only). torch threads: "
                  f"{b['torch_threads']}.", "",
                  "| stage | seconds |", "|---|---:|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in b["stages_s"].items()]
        lines += [f"| **total** | **{b['total_s']:.1f}** |", "",
                  f"Throughput: {b['reviews_per_s']:.2f} reviews/s, peak RSS {b['peak_rss_mb']:,} MB."]
        if baseline.get("speedup") is not None:
            lines.append(f"Ours ({baseline['ours_n']:,} reviews end to end): "
                         f"{baseline['ours_reviews_per_s']:,.0f} reviews/s → **{baseline['speedup']:,.0f}×** "
                         f"the notebook's per-review throughput (target ≥ {TARGETS['speedup_vs_notebook']}×).")
        lines.append("")
    streaming = data.get("streaming")
    if streaming:
        s = streaming["result"]
        lines += ["## Streaming (`--chunksize`)", "",
                  "| rows | CSV MB | chunksize | n_jobs | seconds | reviews/s | peak RSS MB | output rows |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {s['rows']:,} | {s['csv_mb']:,} | {s['chunksize']:,} | {s['n_jobs']} | "
                  f"{s['seconds']:,.0f} | {s['reviews_per_s']:,} | {s['peak_rss_mb']:,} | "
                  f"{s['output_rows']:,} |", ""]
    dask_part = data.get("dask")
    if dask_part:
        d = dask_part["result"]
        adapted = ("sentiment adapted on both sides (Dask: pre-pass for the fit sample, "
                   "fold models applied on the workers; benchmarks/adapt_engines.py)"
                   if d.get("sentiment_adapted") else
                   "sentiment adaptation off (a run-level step that Dask did not run then: like "
                   "is compared with like)")
        lines += ["## Dask LocalCluster (2 workers × 1 thread)", "",
                  "Themes off (per-row stages and aggregates; the theme fit runs on the client "
                  f"in both cases), {adapted}. Same machine as above, so 2 workers share "
                  "its 2 cores.", "",
                  "| reviews | one process s | Dask s | speed-up | documents equal |",
                  "|---:|---:|---:|---:|---|",
                  f"| {d['n']:,} | {d['single_process_s']} | {d['dask_2_workers_s']} | "
                  f"{d['speedup']} | {d['documents_equal_except_themes']} |", "",
                  f"Per-row stages only (clean, segment, sentiment) on the same rows: one "
                  f"process {d.get('per_row_one_process_s')} s, `distributed.process_parallel` "
                  f"with 2 worker processes {d.get('per_row_process_parallel_2_s')} s.", ""]
    startup = data.get("startup")
    if startup:
        s = startup["result"]
        lines += ["## Start-up (fresh processes, files in the page cache)", "",
                  "| what | seconds |", "|---|---:|",
                  f"| `feedback-nlp --help` (first / best of 3) | {s['help_s_first']} / "
                  f"{s['help_s_best_of_3']} |",
                  f"| `import feedback_nlp` | {s['import_feedback_nlp_s']} |",
                  f"| score one text with `sentiment.annotate` (whole process) | "
                  f"{s['sentiment_one_text_process_s']} |",
                  f"| `import bertopic` | {s['import_bertopic_s']} |",
                  f"| `import spacy` | {s['import_spacy_s']} |",
                  f"| `import torch` | {s['import_torch_s']} |", "",
                  f"Scoring sentiment imported torch: {s['sentiment_imports_torch']}, "
                  f"bertopic: {s['sentiment_imports_bertopic']}, spacy: {s['sentiment_imports_spacy']}.",
                  ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["startup", "end2end", "baseline", "dask",
                                                       "streaming"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--baseline-n", type=int, default=1_000)
    parser.add_argument("--stream-rows", type=int, default=1_000_000)
    parser.add_argument("--stream-chunksize", type=int, default=50_000)
    parser.add_argument("--dask-n", type=int, default=20_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", type=int, default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        functions = {"end2end": worker_end2end, "baseline": worker_baseline,
                     "streaming": worker_streaming, "dask": worker_dask, "startup": worker_startup}
        print(json.dumps(functions[args.worker](*args.args)))
        return 0

    produced: dict[str, Any] = {}
    machines: dict[str, Any] = {}
    script = Path(__file__)

    def run(part: str, *values: int) -> dict[str, Any]:
        machines[part] = machine()
        return run_worker(script, [part, "--args", *map(str, values)], threads=None)

    if "startup" in args.parts:
        produced["startup"] = {"result": run("startup")}
    if "end2end" in args.parts:
        rows = [run("end2end", n, args.n_jobs) for n in args.sizes]
        by_n = {r["n"]: r for r in rows}
        ratio = (by_n[100_000]["total_s"] / by_n[10_000]["total_s"]
                 if 100_000 in by_n and 10_000 in by_n else None)
        produced["end2end"] = {"rows": rows, "scaling_ratio": ratio}
    if "baseline" in args.parts:
        produced["baseline"] = {"result": run("baseline", args.baseline_n)}
    if "dask" in args.parts:
        produced["dask"] = {"result": run("dask", args.dask_n)}
    if "streaming" in args.parts:
        produced["streaming"] = {"result": run("streaming", args.stream_rows,
                                               args.stream_chunksize, args.n_jobs)}
    # Parts may run as separate (even concurrent) commands: merge into the file as it is
    # now, not as it was when this run started.
    data = _load_previous()
    data.update(produced)
    data.setdefault("machines", {}).update(machines)
    data["targets"] = TARGETS
    if data.get("baseline") and data.get("end2end"):
        ours = max(data["end2end"]["rows"], key=lambda r: r["n"])
        base = data["baseline"]["result"]["reviews_per_s"]
        data["baseline"]["ours_n"] = ours["n"]
        data["baseline"]["ours_reviews_per_s"] = ours["reviews_per_s"]
        data["baseline"]["speedup"] = ours["reviews_per_s"] / base if base else None
    write_results(NAME, render(data), data)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
