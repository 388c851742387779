"""Theme-model benchmark on real French reviews: embedding backends vs an LDA baseline.

Opinion units of N real insurance reviews (../shared/data/fr_reviews_insurance.csv.gz, seeded
sample) are built by the pipeline (clean + segment, no sentiment). For each backend and 3 seeds:
fit time (embedding + BERTopic fit on <= fit_sample units + assignment of all units), peak
Python-traced memory (tracemalloc, numpy included), number of themes, share unassigned (-1),
topic diversity (unique share of the top-10 keywords), NPMI coherence of the top-10 keywords
(document co-occurrence over the same units), and stability (mean pairwise adjusted Rand index
of the assignments across seeds). LDA (scikit-learn, same French vectorizer, as many topics as
the default backend found) is run in the same process.

Usage::

    .venv/bin/python benchmarks/themes.py [--reviews 20000] [--backends default,spacy]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fr_reviews_insurance.csv.gz"
RESULTS = Path(__file__).resolve().parent / "results"


def npmi_coherence(topics: list[list[str]], binary: object, index: dict[str, int]) -> float:
    """Mean NPMI over word pairs of each topic's keywords (document co-occurrence)."""
    n_docs = binary.shape[0]  # type: ignore[attr-defined]
    doc_freq = np.asarray(binary.sum(axis=0)).ravel()  # type: ignore[attr-defined]
    scores = []
    for words in topics:
        cols = [index[w] for w in words if w in index]
        for a, b in itertools.combinations(cols, 2):
            joint = binary[:, a].multiply(binary[:, b]).sum()  # type: ignore[index]
            if joint == 0:
                scores.append(-1.0)
                continue
            p_ab, p_a, p_b = joint / n_docs, doc_freq[a] / n_docs, doc_freq[b] / n_docs
            scores.append(float(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)))
    return float(np.mean(scores)) if scores else float("nan")


def diversity(topics: list[list[str]]) -> float:
    words = [w for t in topics for w in t]
    return len(set(words)) / len(words) if words else float("nan")


def mean_ari(runs: list[np.ndarray]) -> float:
    from sklearn.metrics import adjusted_rand_score

    pairs = list(itertools.combinations(runs, 2))
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])) if pairs else float("nan")


def load_units(n_reviews: int, seed: int) -> list[str]:
    from feedback_nlp import analyze

    frame = pd.read_csv(DATA, usecols=["text", "rating"])
    frame = frame.sample(n=min(n_reviews, len(frame)), random_state=seed)
    result = analyze(frame, text="text", score="rating", score_scale="stars", sentiment=False,
                     themes={"enabled": False})
    return result.segments["text"].astype(str).tolist()


def run_backend(name: str, texts: list[str], seeds: list[int], fit_sample: int) -> dict:
    from feedback_nlp.topics import ThemeModel
    from feedback_nlp.topics.embeddings import get_embedder

    rows, runs = [], []
    for seed in seeds:
        tracemalloc.start()
        start = time.perf_counter()
        embedder = get_embedder(name)
        vectors = embedder.embed(texts)
        embed_s = time.perf_counter() - start
        model = ThemeModel(embedding=name, fit_sample=fit_sample, random_state=seed)
        ids = model.fit_transform(texts, vectors)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        runs.append(ids)
        topics = [k[:10] for k in model.keywords_]
        rows.append({"seed": seed, "seconds": seconds, "embed_seconds": embed_s,
                     "peak_mib": peak / 2**20, "n_themes": len(model.themes_table()),
                     "unassigned": float((ids == -1).mean()), "topics": topics,
                     "labels": model.themes_table()["label"].tolist()})
    return {"rows": rows, "ari": mean_ari(runs)}


def run_lda(texts: list[str], seeds: list[int], n_topics: int) -> dict:
    from sklearn.decomposition import LatentDirichletAllocation

    from feedback_nlp.topics.model import keyword_vectorizer

    rows, runs = [], []
    for seed in seeds:
        tracemalloc.start()
        start = time.perf_counter()
        vec = keyword_vectorizer(min_df=3)
        counts = vec.fit_transform(texts)
        lda = LatentDirichletAllocation(n_components=n_topics, random_state=seed,
                                        learning_method="online", max_iter=10, n_jobs=1)
        doc_topic = lda.fit_transform(counts)
        ids = doc_topic.argmax(axis=1)
        ids[np.asarray(counts.sum(axis=1)).ravel() == 0] = -1  # no keyword: unassigned
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        vocab = vec.get_feature_names_out()
        topics = [[vocab[i] for i in np.argsort(-row)[:10]] for row in lda.components_]
        runs.append(ids)
        rows.append({"seed": seed, "seconds": seconds, "embed_seconds": 0.0,
                     "peak_mib": peak / 2**20, "n_themes": n_topics,
                     "unassigned": float((ids == -1).mean()), "topics": topics, "labels": []})
    return {"rows": rows, "ari": mean_ari(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=20_000)
    parser.add_argument("--backends", default="default,spacy")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--fit-sample", type=int, default=20_000)
    parser.add_argument("--name", default="themes")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    texts = load_units(args.reviews, seed=0)
    from feedback_nlp.topics.model import keyword_vectorizer

    vec = keyword_vectorizer(min_df=3)
    binary = (vec.fit_transform(texts) > 0).astype(np.float32).tocsc()
    index = {w: i for i, w in enumerate(vec.get_feature_names_out())}
    results = {}
    for backend in args.backends.split(","):
        results[backend] = run_backend(backend, texts, seeds, args.fit_sample)
        print(backend, "done", round(time.perf_counter() - started), "s", flush=True)
    n_lda = int(round(np.median([r["n_themes"] for r in next(iter(results.values()))["rows"]])))
    results["lda (sklearn)"] = run_lda(texts, seeds, n_lda)
    table = []
    for backend, res in results.items():
        rows = res["rows"]
        table.append({
            "backend": backend,
            "fit_seconds": np.mean([r["seconds"] for r in rows]),
            "embed_seconds": np.mean([r["embed_seconds"] for r in rows]),
            "peak_mib": max(r["peak_mib"] for r in rows),
            "n_themes": np.mean([r["n_themes"] for r in rows]),
            "unassigned": np.mean([r["unassigned"] for r in rows]),
            "diversity": np.mean([diversity(r["topics"]) for r in rows]),
            "npmi": np.mean([npmi_coherence(r["topics"], binary, index) for r in rows]),
            "ari_3_seeds": res["ari"],
        })
    import bertopic
    import sklearn
    import umap

    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": f"{platform.machine()} {platform.processor() or ''} "
                       f"{__import__('os').cpu_count()} CPUs".strip(),
            "python": platform.python_version(), "bertopic": bertopic.__version__,
            "umap": umap.__version__, "sklearn": sklearn.__version__,
            "reviews": args.reviews, "units": len(texts), "seeds": seeds,
            "fit_sample": args.fit_sample, "data": DATA.name}
    out = {"meta": meta, "table": table,
           "labels_first_seed": {b: r["rows"][0]["labels"] for b, r in results.items()},
           "keywords_first_seed": {b: r["rows"][0]["topics"] for b, r in results.items()}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1,
                                                          default=float), encoding="utf-8")
    lines = [f"# Themes benchmark ({meta['date']})", "",
             f"{meta['units']} opinion units from {args.reviews} real insurance reviews "
             f"({DATA.name}, seeded sample); fit on at most {args.fit_sample} units, the rest "
             f"assigned. Machine: {meta['machine']}; Python {meta['python']}, BERTopic "
             f"{meta['bertopic']}, UMAP {meta['umap']}, scikit-learn {meta['sklearn']}. "
             f"Means over seeds {seeds}.", "",
             "| backend | fit s (embed s) | peak MiB | themes | unassigned | diversity | "
             "NPMI | ARI (3 seeds) |", "|---|---|---|---|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row['backend']} | {row['fit_seconds']:.1f} ({row['embed_seconds']:.1f})"
                     f" | {row['peak_mib']:.0f} | {row['n_themes']:.1f} | "
                     f"{100 * row['unassigned']:.1f}% | {row['diversity']:.2f} | "
                     f"{row['npmi']:.3f} | {row['ari_3_seeds']:.2f} |")
    lines += ["", "Fit time includes UMAP's numba compilation on the first seed of the first "
              "backend. LDA assigns every unit with a keyword (argmax), so its unassigned share is "
              "not comparable. Peak memory is Python-traced (tracemalloc), not RSS.", "",
              "## Theme labels, default backend, first seed", ""]
    first = next(iter(results))
    lines += [f"- {label}" for label in results[first]["rows"][0]["labels"]]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:12 + len(table)]))


if __name__ == "__main__":
    main()
