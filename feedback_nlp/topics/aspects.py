"""Aspect-centred representation of opinion units: what a unit talks about, from its nouns.

A theme is a *subject* ("livraison", "service client", "prix"), not a wording: "Livraison
rapide" and "livraison en retard" belong together, praise ("Très bien", "Parfait") names no
subject at all. :class:`AspectEmbedding` therefore represents a unit by its **noun lemmas
only**, each with a pretrained static vector, averaged and L2-normalised. The default theme
embedding (``"aspects-e5"``) takes each lemma's vector from the static encoder distilled from
multilingual-e5-small (``models/e5-static-fr``, ``vectors="e5-static"``); ``"aspects"`` keeps
the folder's own ``fr_core_news_md`` fastText vectors. The e5-static vectors were chosen on
the restaurant aspect gold (measured, never trained on: benchmarks/results/themes_gold.md). The plain mean was chosen over rarity weights (SIF, ``a / (a + p(lemma))``
with a = 1e-3 or 1e-2) among those three candidates on the restaurant aspect gold (NMI 0.259
vs 0.230 / 0.245, seed 1, docs/themes.md): frequent nouns are the subjects ("livraison",
"prix"), so down-weighting them lets the second noun ("retard") pull the unit away. A unit without a noun gets a zero vector:
the theme model sends it to the general-satisfaction bucket, never to a theme.

The fast path: no tagger at run time. ``models/aspects-fr`` ships a form -> noun-lemma lookup
built once by ``scripts/build_theme_aspects.py`` from spaCy tags of our real reviews and
spaCy's French lemma tables, plus the vectors of those lemmas (safetensors, float16). A unit
costs one regex and a few dict lookups. Adjective homographs the tagger still called nouns
("pratique" in "c'est très pratique", "surtaxé", "conséquent": an article comes before them in
fewer than 20% of their occurrences in our reviews) are listed in the folder's
``not_nouns.json`` with that evidence and dropped at load.

Keywords and labels of aspect themes are counted on the same noun lemmas
(:func:`aspect_terms`: lemmas plus pairs of nouns written next to each other, "délai
attente"), so a label is always made of head nouns, never of praise adjectives or verbs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp._paths import shipped_model
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.topics.terms import PLACEHOLDER, TOKEN_PATTERN, normalize_for_terms

ASPECTS_FORMAT = "feedback-nlp-aspects/1"
DEFAULT_ASPECTS_DIR = shipped_model("aspects-fr")
#: ``vectors=`` value of :meth:`AspectEmbedding.load` for the e5-static noun vectors.
E5_VECTORS = "e5-static"
#: Family threshold for the e5-static noun vectors (their cosines run lower than fastText's):
#: chosen, like :data:`feedback_nlp.topics.model.FAMILY_MIN_SIMILARITY`, by reading the bundled
#: insurance sample's themes (never the aspect gold): between 0.5 and 0.6 the closest family
#: was right for "prise en charge, frais de gardiennage" (Sinistres 0.59), "service, prix"
#: (Service client 0.56), "souscription" (Contrat 0.52), "démarche, utilisation" (Site et appli
#: 0.51); below 0.5 wrong ones start ("moto, sinistre": Hausse de cotisation 0.46).
E5_FAMILY_MIN_SIMILARITY = 0.5
_TOKEN = re.compile(TOKEN_PATTERN)

#: Nouns that name no subject: praise and courtesy ("merci", "bravo", "top"), style
#: qualities ("rapidité", "simplicité", "réactivité": how it went, not what about), feelings
#: ("honte", "déception"), vague nouns ("chose", "rien"), time words ("jour", "avenir") and
#: the people a customer recommends to ("amis"). Units made only of these go to the
#: general-satisfaction bucket. Left out of the lexicon (at build time and again at load).
NON_SUBJECT = frozenset({
    "merci", "bravo", "top", "super", "nickel", "parfait", "perfection", "excellence",
    "satisfaction", "recommandation", "bonjour", "cordialement", "madame", "monsieur",
    "mme", "mr", "chose", "choses", "truc", "rien", "tout", "fois", "jour", "jours", "an",
    "ans", "année", "mois", "semaine", "heure", "moment", "temps", "façon", "niveau",
    "point", "sujet", "part", "cas", "fin", "suite", "reste", "ensemble", "vie", "monde",
    "gens", "personne", "besoin", "envie", "avis", "expérience", "impression", "ras", "ok",
    "bref", "tant", "peu", "lieu", "plaisir", "bonheur", "mal", "bien", "bon", "max",
    "maximum", "minimum", "général", "exemple", "question", "problème", "souci", "soucis",
    "rapidité", "réactivité", "efficacité", "simplicité", "facilité", "fluidité", "clarté",
    "praticité", "professionnalisme", "sérieux", "honte", "déception",
    "dommage", "regret", "colère", "scandale", "horreur", "catastrophe", "nullité", "instant",
    "avenir", "début", "futur", "passé", "soir", "matin", "soirée", "journée", "ami", "amie",
    "entourage", "proche", "collègue", "coeur", "cœur",
})


class AspectEmbedding:
    """Noun-lemma embedding of opinion units (see the module doc).

    Parameters
    ----------
    lexicon : dict
        Word form -> row of its noun lemma in ``vectors``.
    lemmas : list of str
    counts : array of int
        Corpus count of each lemma (for the SIF weights).
    vectors : ndarray, shape (n_lemmas, dim)
    name : str
    not_nouns : iterable of str
        Word forms that are not read as nouns even though ``lexicon`` has them (the folder's
        ``not_nouns.json``: adjective homographs).
    sif : float, optional
        SIF smoothing ``a`` (Arora et al. 2017) to weight lemmas by rarity; None (default) =
        plain mean.
    """

    #: Zero vectors mean "no subject": the theme model's general-satisfaction bucket.
    subject_based = True
    #: A theme gets the closest taxonomy family when their cosine reaches this (see
    #: :data:`FAMILY_MIN_SIMILARITY`: each vector space has its own cosine scale).
    family_min_similarity = 0.6

    def __init__(self, lexicon: dict[str, int], lemmas: Sequence[str], counts: np.ndarray,
                 vectors: np.ndarray, name: str = "aspects-fr", sif: float | None = None,
                 not_nouns: Iterable[str] = ()) -> None:
        self.lemmas = list(lemmas)
        skip = NON_SUBJECT | frozenset(not_nouns)
        self.lexicon = {form: row for form, row in lexicon.items()
                        if self.lemmas[row] not in NON_SUBJECT and form not in skip}
        counts = np.asarray(counts, dtype=np.float64)
        share = counts / max(counts.sum(), 1.0)
        self.weights = np.ones(len(self.lemmas), dtype=np.float32) if sif is None \
            else (sif / (sif + share)).astype(np.float32)
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        self.vectors = vectors / norms
        self.name = name

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def load(cls, directory: str | Path = DEFAULT_ASPECTS_DIR, vectors: str = "",
             keep_not_nouns: bool = False) -> AspectEmbedding:
        """Load ``lexicon.json`` + ``vocabulary.json`` + ``vectors.safetensors`` (no code runs).

        ``vectors="e5-static"`` replaces the folder's fastText vectors by the shipped static
        encoder's vector of each noun lemma (``models/e5-static-fr``, distilled from
        multilingual-e5-small: :data:`E5_VECTORS`); the lexicon stays the folder's. The forms
        of ``not_nouns.json`` (optional; adjective homographs) are left out of the lexicon
        unless ``keep_not_nouns`` (the lexicon before 2026-11-30 21:45 UTC, for comparisons)."""
        from safetensors.numpy import load_file

        from feedback_nlp._safe import check_model_dir

        path = check_model_dir(directory, ["meta.json", "lexicon.json", "vocabulary.json",
                                           "vectors.safetensors"], what="aspect model")
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            lexicon = json.loads((path / "lexicon.json").read_text(encoding="utf-8"))
            vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
            vectors_ = load_file(str(path / "vectors.safetensors"))["vectors"]
            not_nouns = [] if keep_not_nouns or not (path / "not_nouns.json").exists() else \
                list(json.loads((path / "not_nouns.json").read_text(encoding="utf-8"))["forms"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"cannot read the aspect model in {path}: {exc}",
                                 fix="run scripts/build_theme_aspects.py.") from exc
        if meta.get("format") != ASPECTS_FORMAT:
            raise ModelLoadError(f"{path} is not a feedback-nlp aspect model.",
                                 fix="run scripts/build_theme_aspects.py.")
        name = str(meta.get("name", path.name))
        if vectors == E5_VECTORS:
            from feedback_nlp.encoders.static import load_static

            static = load_static()
            model = cls(lexicon, vocabulary["lemmas"], np.asarray(vocabulary["counts"]),
                        static.word_vectors(vocabulary["lemmas"]), name=f"{name}+{static.name}",
                        not_nouns=not_nouns)
            model.family_min_similarity = E5_FAMILY_MIN_SIMILARITY
            return model
        if vectors:
            raise ModelLoadError(f"unknown aspect vectors {vectors!r}.",
                                 fix=f'use "" (the folder\'s own) or "{E5_VECTORS}".')
        return cls(lexicon, vocabulary["lemmas"], np.asarray(vocabulary["counts"]), vectors_,
                   name=name, not_nouns=not_nouns)

    def lemma_rows(self, text: str) -> list[tuple[int, int]]:
        """``(token position, lemma row)`` of every noun of ``text``, in order."""
        text = str(text)
        if "<" in text:
            text = PLACEHOLDER.sub(" ", text)
        lexicon = self.lexicon
        out = []
        for position, form in enumerate(_TOKEN.findall(normalize_for_terms(text))):
            row = lexicon.get(form)
            if row is not None:
                out.append((position, row))
        return out

    def nouns(self, text: str) -> list[str]:
        """The noun lemmas of ``text`` ("Livraisons en retard" -> ["livraison", "retard"])."""
        return [self.lemmas[row] for _, row in self.lemma_rows(text)]

    def terms(self, text: str) -> list[str]:
        """Keyword terms: noun lemmas, and pairs of nouns at most one word apart."""
        rows = self.lemma_rows(text)
        out = [self.lemmas[row] for _, row in rows]
        for (p1, r1), (p2, r2) in zip(rows, rows[1:]):
            if p2 - p1 <= 2 and r1 != r2:
                out.append(f"{self.lemmas[r1]} {self.lemmas[r2]}")
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised SIF-weighted mean of noun vectors; zero rows for subject-less units."""
        from scipy.sparse import csr_matrix

        indptr: list[int] = [0]
        indices: list[int] = []
        seen: dict[str, list[int]] = {}  # repeated units ("Très bien") looked up once
        for text in texts:
            rows = seen.get(text)
            if rows is None:
                rows = seen[text] = [row for _, row in self.lemma_rows(text)]
            indices.extend(rows)
            indptr.append(len(indices))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cols = np.asarray(indices, dtype=np.int64)
        weights = csr_matrix((self.weights[cols], cols, np.asarray(indptr)),
                             shape=(len(texts), len(self.lemmas)), dtype=np.float32)
        out = np.asarray(weights @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


@functools.lru_cache(maxsize=4)
def load_aspects(directory: str = "", vectors: str = "") -> AspectEmbedding:
    """The aspect model in ``directory`` (the shipped ``models/aspects-fr`` when empty), with
    its own vectors or ``vectors="e5-static"`` (see :meth:`AspectEmbedding.load`), cached."""
    return AspectEmbedding.load(directory or DEFAULT_ASPECTS_DIR, vectors=vectors)


@functools.lru_cache(maxsize=65_536)
def aspect_terms(text: str) -> tuple[str, ...]:
    """Analyzer of the aspect keyword vectorizer: :meth:`AspectEmbedding.terms` of the shipped
    model (a module function, so that the vectorizer clones and copies cheaply). Cached: a
    fit counts the same documents several times (BERTopic's fit, topic reduction, outlier
    reduction, ``update_topics``, the term counts), ~9% of a fit's time uncached."""
    return tuple(load_aspects().terms(text))


def aspect_vectorizer(min_df: int = 2) -> Any:
    """``CountVectorizer`` over noun lemmas and noun pairs (keywords and labels of aspect themes)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer=aspect_terms, min_df=min_df, max_features=30_000,
                           dtype=np.float32)
