"""``ThemeModel``: opinion-level French themes with an explicitly built BERTopic.

Pipeline (every component passed in, nothing sniffed):
embeddings (precomputed once) -> exact cosine kNN -> UMAP (seeded, on that kNN, numba code
cached on disk) -> HDBSCAN (sizes scaled to the corpus) -> French ``CountVectorizer`` (stop
words for keywords only, elisions stripped, min_df) -> c-TF-IDF -> keywords (or MMR) ->
outlier reduction -> ``update_topics``. Themes are then named "<family> — <phrase>, <phrase>"
from the taxonomy families (two-level hierarchy: family -> theme). The learned state
needed to tag new data (centroids, term counts, labels) is plain arrays + JSON, saved with
safetensors; the BERTopic object is kept in ``topic_model_`` for inspection only.

Small corpora (fewer than ``small_corpus`` usable opinions) skip clustering: opinions are
matched to taxonomy families by their words, then unmatched ones go to the nearest family.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import unicodedata
import warnings
from collections.abc import Collection, Container, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.errors import ConfigError, ModelLoadError, NotFittedError
from feedback_nlp.topics.embeddings import (
    PLACEHOLDER,
    TOKEN_PATTERN,
    get_embedder,
    normalize_for_keywords,
    normalize_for_terms,
)
from feedback_nlp.topics.taxonomy import Taxonomy, load_taxonomy

OTHER_ID = -1
OTHER_LABEL = "Autre / non classé"
OTHER_FAMILY = "Autres sujets"
MODEL_FORMAT = "feedback-nlp-theme-model/1"

#: Negations and intensifiers stay out of the stop list (they are never removed anywhere).
KEEP_WORDS = frozenset({"ne", "pas", "sans", "plus", "jamais", "mais", "très", "trop", "rien",
                        "aucun", "aucune", "personne", "ni", "non", "moins", "peu"})
#: Review filler that says nothing about a theme (added to spaCy's French stop words).
EXTRA_STOP = frozenset({"qu", "ça", "ca", "cela", "ceci", "ai", "as", "avons", "avez", "ont",
                        "suis", "es", "sommes", "êtes", "sont", "été", "être", "avoir", "fait",
                        "faire", "très", "trop", "pas", "plus", "bien", "bon", "bonne", "mal",
                        "tout", "tous", "toute", "toutes", "rien", "jamais", "sans", "mais",
                        "ne", "non", "moins", "peu", "vraiment", "toujours", "encore", "déjà",
                        "merci", "etc", "chez", "depuis", "car", "donc", "alors", "aussi",
                        "même", "quand", "après", "avant", "fois", "ans", "an", "jour", "jours",
                        "mois", "euros", "euro", "xxx", "ok"})


#: Words that never name a theme on their own in a label (verbs, courtesy, vague nouns).
#: They may still appear inside a two-word phrase next to a word that does ("aucun sinistre").
LABEL_GENERIC = frozenset({
    "faut", "fallait", "pouvez", "pouvons", "peux", "peut", "pu", "doit", "dois", "devez",
    "devons", "rendez", "vous", "étions", "était", "étaient", "avais", "avait", "avions", "sert",
    "attends", "attend", "dit", "dire", "dis", "vois", "voir", "sais", "savoir", "trouve",
    "trouvé", "mis", "mise", "pris", "prise", "reste", "mr", "mme", "monsieur", "madame",
    "cordialement", "bonjour", "contre", "bout", "monde", "principe", "contraire", "tard",
    "cas", "fin", "suite", "part", "chose", "choses", "gens", "personnes", "année", "années",
    "heure", "heures", "semaine", "semaines", "aucun", "aucune", "souci", "soucis", "problème",
    "problèmes", "vivement", "vraiment", "rapidement", "simplement", "totalement", "grand",
    "grande", "petit", "petite", "gros", "vie", "redire", "envie", "besoin", "niveau", "point",
    "moment", "question", "façon", "sujet", "propos", "passé", "entre", "tant",
    "top", "super", "parfait", "parfaite", "excellent", "excellente", "satisfait", "satisfaite",
    "content", "contente", "ras", "ok", "proches", "succès", "journée", "beaucoup", "passe",
    "valable", "restés", "futur", "temps", "ligne", "assurance", "assureur", "assuré",
    "assurés", "min", "lieu", "exemple", "fonction", "souhaite",
    "demande", "demandé", "bons", "bonnes", "meilleur", "meilleure", "agit", "évidemment",
    "signaler", "entendre", "change", "ajouter", "vu", "fois", "personne", "autre", "autres",
    "faites", "voulez", "voudrais", "savais", "aurai", "bouge", "laisse", "continue", "final",
    "nouvelle", "nouveau", "mauvaise", "mauvais", "voie", "milieu", "type", "recevoir",
    "donner", "attendons", "répond", "répondent", "janvier", "février", "mars", "avril", "mai",
    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre", "lundi", "mardi",
    "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "nez", "bla", "doute",
    "absolument", "amis", "famille", "particulier", "dame", "idée", "soirée",
})


def _generic(word: str, verbs: Container[str] = ()) -> bool:
    """A word that cannot name a theme alone: listed, a verb form in -ez / -aient, or a word
    the corpus uses as a verb (``verbs``, from :func:`label_word_evidence`)."""
    return word in LABEL_GENERIC or word.endswith(("ez", "aient")) or word in verbs


#: Words written right before a noun: articles, possessives, demonstratives ("l'" included).
_DETERMINERS = frozenset({"un", "une", "des", "du", "au", "aux", "le", "la", "les", "l", "mon",
                          "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos",
                          "votre", "vos", "leurs", "ce", "cet", "cette", "ces", "chaque",
                          "plusieurs", "quel", "quelle", "quels", "quelles"})
#: Words written right before a conjugated verb or a past participle: subject pronouns, "ne",
#: "qui" and the forms of the auxiliary "avoir" ("on m'a répondu", "ils veulent").
_SUBJECTS = frozenset({"je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles",
                       "ne", "n", "qui"})
_VERB_LEFT = _SUBJECTS | {"ai", "as", "a", "avons", "avez", "ont", "avait", "avais", "avions",
                          "aviez", "avaient", "aurait", "aurais", "aurions", "auriez",
                          "auraient", "aura", "aurons", "auront", "eu"}
#: Object pronouns between a subject and its verb ("je le recommande", "on m'a dit").
_OBJECTS = frozenset({"le", "la", "les", "l", "lui", "leur", "me", "m", "te", "t", "se", "s",
                      "y", "en", "nous", "vous"})
_WORD = re.compile(r"[^\W\d_]+")
#: Customer-service acronyms written in capitals that still name a theme ("RIB", "SAV"):
#: never taken for a brand, like the taxonomy's own words.
CX_ACRONYMS = frozenset({"sav", "rib", "sms", "cb", "ttc", "tva", "pdf", "iban", "sepa", "gps",
                         "ct", "dpe", "pv", "tv", "wifi"})


def label_word_evidence(docs: Iterable[str], words: Collection[str],
                        keep: Container[str] = ()) -> tuple[set[str], set[str]]:
    """Proper names and verb forms among ``words``, from how the corpus itself writes them.

    One pass over ``docs`` (original case) looking only at the occurrences of ``words``
    (lower case), no tagger and no brand list:

    * a **name** (brand, insurer, town: "Axa", "MACIF", "Direct Assurance") is capitalised in
      at least a third of its mid-sentence occurrences (not the first word of a text or after
      ``.!?``), with at least 2 such occurrences. Customers often write brands in lower case
      ("chez direct assurance": 37% capitalised in 20k insurance reviews, "l'olivier" 34%),
      while ordinary words stay under 30% (measured there: "cordialement" 29%, months
      10-26%, "honte" or "arnaque" under 10%). An upper-case word right after another
      upper-case word is shouting, not a name; texts written all in capitals and PII
      placeholders (``<NOM>``) are skipped. ``keep`` (the taxonomy's words) and
      :data:`CX_ACRONYMS` ("SAV", "RIB") are never names.
    * a **verb form** ("faisons", "veulent", "répondu") follows a subject pronoun, "ne", "qui",
      a form of "avoir", or a subject + object pronoun ("je le recommande") more often than it
      follows a determiner (un, la, mes, l'...), in at least 2 occurrences and a fifth of them.

    Returns
    -------
    names, verbs : set of str
    """
    wanted = set(words)
    mid: dict[str, int] = {}
    capital: dict[str, int] = {}
    seen: dict[str, int] = {}
    as_verb: dict[str, int] = {}
    as_noun: dict[str, int] = {}
    for text in docs:
        text = str(text)
        if "<" in text:
            text = PLACEHOLDER.sub(" ", text)
        lower = text.lower()
        if len(lower) != len(text):  # rare letters whose lower case is longer: skip the text
            continue
        shouting = text == text.upper()
        prev2 = prev = ""
        prev_upper = False
        for match in _WORD.finditer(lower):
            token = match.group()
            if token in wanted:
                seen[token] = seen.get(token, 0) + 1
                if prev in _VERB_LEFT or (prev in _OBJECTS and prev2 in _SUBJECTS):
                    as_verb[token] = as_verb.get(token, 0) + 1
                elif prev in _DETERMINERS:
                    as_noun[token] = as_noun.get(token, 0) + 1
                start = match.start()
                j = start - 1
                while j >= 0 and text[j] in " \t\"'«»()-":
                    j -= 1
                if not shouting and j >= 0 and text[j] not in ".!?…\n":
                    mid[token] = mid.get(token, 0) + 1
                    if text[start].isupper() and not (prev_upper and text[start + 1:
                                                     match.end()].isupper()):
                        capital[token] = capital.get(token, 0) + 1
            original = text[match.start():match.end()]
            prev_upper = len(original) > 1 and original.isupper()
            prev2, prev = prev, token
    names = {w for w, n in mid.items()
             if n >= 2 and 3 * capital.get(w, 0) >= n and w not in keep
             and w not in CX_ACRONYMS}
    verbs = {w for w, n in seen.items()
             if as_verb.get(w, 0) >= max(2, 0.2 * n) and as_verb.get(w, 0) > as_noun.get(w, 0)}
    return names, verbs


def _spacy_french_stop_words() -> set[str]:
    """spaCy's French stop list, read from its data file without importing spaCy.

    ``import spacy.lang.fr`` costs 5-7 s here (tokenizer exceptions), paid once per process by
    every theme fit; the list itself is a plain string in ``spacy/lang/fr/stop_words.py``.
    """
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "lang" / "fr" / "stop_words.py"
        try:
            found = re.search(r'"""(.*?)"""', path.read_text(encoding="utf-8"), re.S)
        except OSError:
            found = None
        if found:
            return set(found.group(1).split())
    from spacy.lang.fr.stop_words import STOP_WORDS  # layout changed: import it

    return set(STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _stop_words() -> tuple[str, ...]:
    words = set(EXTRA_STOP)
    for word in _spacy_french_stop_words():  # tokenised like the texts: sklearn finds them
        words.update(re.findall(TOKEN_PATTERN, normalize_for_terms(word)))
    return tuple(sorted(words))


def french_stop_words() -> list[str]:
    """spaCy's French stop words plus review filler, for theme keywords only.

    Negations and intensifiers are kept out of every list the *embedded* or sentiment text
    sees; here they are dropped from keywords only, because "pas" or "très" never name a theme.
    """
    return list(_stop_words())


def keyword_vectorizer(min_df: int = 2, ngram_range: tuple[int, int] = (1, 2)) -> Any:
    """The French ``CountVectorizer`` used for c-TF-IDF keywords (PII placeholders dropped)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(preprocessor=normalize_for_keywords, token_pattern=TOKEN_PATTERN,
                           stop_words=french_stop_words(), ngram_range=ngram_range,
                           min_df=min_df, max_features=30_000, dtype=np.float32)


_TOKEN = re.compile(TOKEN_PATTERN)


def _has_two_words(text: str) -> bool:
    """At least two words, without tokenising the whole text (6x faster on 360k units)."""
    words = _TOKEN.finditer(text)
    return next(words, None) is not None and next(words, None) is not None


def ctfidf_keywords(term_counts: np.ndarray, vocabulary: Sequence[str], n: int = 8) -> list[list[str]]:
    """Top ``n`` c-TF-IDF terms per row of a class x term count matrix (BERTopic's formula)."""
    counts = np.asarray(term_counts, dtype=np.float64)
    if counts.size == 0:
        return [[] for _ in range(counts.shape[0])]
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg = counts.sum() / max(counts.shape[0], 1)
    idf = np.log(1.0 + avg / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    out = []
    for row in scores:
        top = np.argsort(-row, kind="stable")[:n]
        out.append([vocabulary[i] for i in top if row[i] > 0])
    return out


def _stem(word: str) -> str:
    """Accent-free word without plural/feminine ending: "retards" ~ "retard", "satisfaite"."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", word.lower())
                     if not unicodedata.combining(c))
    for ending in ("ees", "es", "ee", "s", "x", "e"):
        if folded.endswith(ending) and len(folded) - len(ending) >= 3:
            return folded[: -len(ending)]
    return folded


def _signature(term: str) -> frozenset[str]:
    """Words of a phrase folded to 5-letter stems: "rapidité livraison" ~ "livraison rapide"."""
    return frozenset(_stem(w)[:5] for w in term.split())


def label_candidates(term_counts: np.ndarray, vocabulary: Sequence[str],
                     keywords: Sequence[Sequence[str]], n: int = 12,
                     names: Container[str] = (), verbs: Container[str] = ()) -> list[list[str]]:
    """Label phrases per theme, best first: distinctive, frequent enough, not generic.

    Score of a term in a theme = its share of the theme's words x log(lift), lift = that share
    over its share of the whole corpus (a pointwise KL term: frequent *and* distinctive).
    Two-word phrases get a 1.5x bonus (they read as phrases); a term needs at least 3
    occurrences in the theme. Falls back to the c-TF-IDF keywords when counts are empty.
    A term holding one of ``names`` (brands, insurers) is never a label phrase; ``verbs``
    are generic words: they only appear next to a word that names something ("colis perdu").
    """
    def generic(term: str) -> bool:
        return all(_generic(w, verbs) for w in term.split())

    def unusable(term: str) -> bool:
        return generic(term) or any(w in names for w in term.split())

    counts = np.asarray(term_counts, dtype=np.float64)
    out: list[list[str]] = []
    if counts.size == 0:
        return [list(k) for k in keywords]
    total = counts.sum(axis=1, keepdims=True)
    share = counts / np.maximum(total, 1.0)
    corpus = counts.sum(axis=0) / max(counts.sum(), 1.0)
    lift = share / np.maximum(corpus, 1e-12)[None, :]
    score = np.where((lift > 1.0) & (counts >= 3), share * np.log(np.maximum(lift, 1.0)), 0.0)
    bigram = np.array([" " in term for term in vocabulary])
    score[:, bigram] *= 1.5
    index = {term: col for col, term in enumerate(vocabulary)}
    bigrams_of: dict[str, list[int]] = {}
    for col in np.flatnonzero(bigram).tolist():
        for word in set(vocabulary[col].split()):
            bigrams_of.setdefault(word, []).append(int(col))
    for row in range(counts.shape[0]):
        terms: list[str] = []
        for col in np.argsort(-score[row], kind="stable")[: 8 * n]:
            if score[row, col] <= 0:
                break
            term = vocabulary[col]
            if " " not in term:
                # "temps" -> "temps attente" when the phrase carries a third of its uses.
                phrases = [c for c in bigrams_of.get(term, [])
                           if counts[row, c] >= 0.3 * counts[row, index[term]]
                           and not unusable(vocabulary[c])]
                if phrases:
                    term = vocabulary[max(phrases, key=lambda c: (counts[row, c], -c))]
            if unusable(term) or term in terms:
                continue
            terms.append(term)
            if len(terms) == n:
                break
        for keyword in keywords[row] if row < len(keywords) else []:
            if keyword not in terms and not unusable(keyword):
                terms.append(keyword)
        out.append(terms)
    return out


def surface_form(term: str, texts: Sequence[str]) -> str:
    """A two-word keyword as customers write it, with the small words the vectorizer dropped.

    "prise charge" -> "prise en charge", "attente téléphone" -> "attente au téléphone": the
    most frequent span of the member texts where the two words are separated by at most one
    stop word or an elision. The term itself when no span is found.
    """
    words = term.split()
    if len(words) != 2 or not texts:
        return term
    stop = set(_stop_words())  # negations included: "recommande sans hésiter"
    # Texts are lower-cased but keep their elisions: "temps d'attente", "prise en charge".
    pattern = re.compile(rf"\b{re.escape(words[0])}((?:\s+[^\W\d_]+)?)\s+"
                         rf"((?:[dlc]|qu)')?{re.escape(words[1])}\b")
    found: dict[str, int] = {}
    for text in texts:
        for match in pattern.finditer(text):
            middle = match.group(1).split()
            if all(w in stop for w in middle):
                last = (match.group(2) or "") + words[1]
                span = " ".join([words[0], *middle, last])
                found[span] = found.get(span, 0) + 1
    if not found:
        return term
    return max(found, key=lambda span: (found[span], -len(span)))


def exact_cosine_knn(vectors: np.ndarray, k: int, n_jobs: int = 2,
                     block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-nearest neighbours of L2-normalised rows (each row its own first).

    Replaces pynndescent inside UMAP: on <= 20k opinions of 128 dims the exact search takes a
    few seconds, is deterministic, and skips NN-descent's numba compilation, which cannot be
    cached (about 30 s per process measured here). Blocks run on ``n_jobs`` threads (numpy
    releases the GIL in matrix products and partitions).

    Returns
    -------
    indices : ndarray of int32, shape (n, k)
    distances : ndarray of float32, shape (n, k)
        Cosine distances ``1 - similarity``, ascending.
    """
    from concurrent.futures import ThreadPoolExecutor

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    k = min(k, n)
    indices = np.empty((n, k), dtype=np.int32)
    distances = np.empty((n, k), dtype=np.float32)

    def run(start: int) -> None:
        stop = min(start + block, n)
        sims = vectors[start:stop] @ vectors.T
        sims[np.arange(stop - start), np.arange(start, stop)] = 2.0  # self first, distance 0
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_sims), axis=1)  # ties broken by index: deterministic
        indices[start:stop] = np.take_along_axis(part, order, axis=1)
        distances[start:stop] = np.clip(1.0 - np.take_along_axis(part_sims, order, axis=1),
                                        0.0, 2.0)

    starts = range(0, n, block)
    if n_jobs > 1 and n > block:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    return indices, distances


_NUMBA_CACHE_READY = False


def enable_umap_numba_cache() -> None:
    """Cache UMAP's numba-compiled functions on disk (once per process).

    umap-learn compiles ~20 s of numba code on first use in every process because most of its
    functions are declared without ``cache=True``. Turning caching on for those dispatchers
    makes the second and later processes load machine code instead (numba's own cache: next
    to the installed package when writable, else the user cache dir, or ``NUMBA_CACHE_DIR``).
    The compiled code is the same, so results do not change. Set
    ``FEEDBACK_NLP_NUMBA_CACHE=0`` to leave umap-learn untouched.
    """
    global _NUMBA_CACHE_READY
    if _NUMBA_CACHE_READY or os.environ.get("FEEDBACK_NLP_NUMBA_CACHE", "1") == "0":
        return
    _NUMBA_CACHE_READY = True
    import importlib

    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # numba internals moved: run uncached
        return
    for name in ("umap.umap_", "umap.layouts", "umap.spectral", "umap.utils", "umap.distances",
                 "umap.sparse", "pynndescent.distances", "pynndescent.utils",
                 "pynndescent.sparse"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for obj in list(vars(module).values()):
            cache = getattr(obj, "_cache", None)
            if isinstance(obj, Dispatcher) and type(cache).__name__ == "NullCache":
                try:
                    obj.enable_caching()
                except Exception:  # noqa: BLE001 - a function that cannot be cached stays JIT
                    continue


class ThemeModel:
    """Opinion-level theme model (BERTopic inside), with French labels and curation.

    Parameters
    ----------
    embedding : str or object
        ``"default"`` (shipped LSA model), ``"spacy"``, a local sentence-transformers
        directory, or an object with ``embed(texts)``.
    taxonomy : str or None
        TOML taxonomy path; None = the shipped French CX taxonomy.
    min_theme_size : int or None
        HDBSCAN ``min_cluster_size``; None = scaled to the corpus.
    max_themes : int
        Upper bound on the number of themes (BERTopic ``nr_topics``).
    fit_sample : int
        Fit on at most this many opinions (seeded sample); the rest is assigned to the
        nearest theme centroid. 10,000 by default: on 72,849 real units it gave the same
        theme count, unassigned share and stability as 20,000 in about half the time.
    max_unassigned : float
        Target share of opinions left in "Autre / non classé" after outlier reduction.
    max_theme_share : float or None
        No theme may hold more than this share of the fitted opinions: after topic reduction
        and outlier reduction, a larger theme is split by seeded k-means on its opinions'
        embeddings into ``ceil(share / max_theme_share)`` themes (repeated up to 3 times),
        then the smallest themes join their closest theme (by centroid) while that keeps
        them under the cap, until ``max_themes`` remain (the count stays above only when no
        such merge exists). Catch-all themes of unrelated sentences otherwise reach 20-40%
        of the units (docs/themes.md). None = no cap.
    small_corpus : int
        Below this many usable opinions, use taxonomy matching instead of clustering.
    n_keywords : int
    representation : {"ctfidf", "mmr"}
        Keywords straight from c-TF-IDF, or re-ranked by MaximalMarginalRelevance.
    reducer : {"umap", "pca"}
        Dimensionality reduction before HDBSCAN: seeded UMAP (5 dims, on exact cosine
        neighbours computed here, numba code cached on disk), or PCA (5 dims: faster but
        measured to give 3-4 coarse themes, see docs/themes.md).
    umap_epochs : int
        UMAP layout epochs (single-threaded, as UMAP is seeded).
    n_jobs : int
        Threads for the exact neighbour search and HDBSCAN core distances.
    random_state : int

    Examples
    --------
    >>> model = ThemeModel(max_themes=20).fit(textes)          # doctest: +SKIP
    >>> model.themes_table()[["theme_id", "label"]]             # doctest: +SKIP
    >>> model.merge([3, 7], label="Livraison — colis perdus")  # doctest: +SKIP
    """

    def __init__(self, embedding: str | Any = "default", taxonomy: str | None = None,
                 min_theme_size: int | None = None, max_themes: int = 30,
                 fit_sample: int = 10_000, max_unassigned: float = 0.15,
                 max_theme_share: float | None = 0.15,
                 small_corpus: int = 300, n_keywords: int = 8, representation: str = "ctfidf",
                 reducer: str = "umap", umap_epochs: int = 200, n_jobs: int = 2,
                 random_state: int = 42) -> None:
        self.embedding = embedding
        self.taxonomy = taxonomy
        self.min_theme_size = min_theme_size
        self.max_themes = max_themes
        self.fit_sample = fit_sample
        self.max_unassigned = max_unassigned
        self.max_theme_share = max_theme_share
        self.small_corpus = small_corpus
        self.n_keywords = n_keywords
        self.representation = representation
        self.reducer = reducer
        self.umap_epochs = umap_epochs
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- scikit-learn plumbing -------------------------------------------------------------
    _PARAMS = ("embedding", "taxonomy", "min_theme_size", "max_themes", "fit_sample",
               "max_unassigned", "max_theme_share", "small_corpus", "n_keywords", "representation", "reducer",
               "umap_epochs", "n_jobs", "random_state")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> ThemeModel:
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"invalid parameter {name!r} for ThemeModel")
            setattr(self, name, value)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise NotFittedError("this ThemeModel is not fitted yet.",
                                 fix="call fit(texts) or ThemeModel.load(dir) first.")

    # -- fitting ---------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str], embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is not None:
            if len(embeddings) != len(texts):
                raise ConfigError("embeddings and texts differ in length.",
                                  fix="pass one embedding row per text.")
            return np.asarray(embeddings, dtype=np.float32)
        return get_embedder(self.embedding).embed(list(texts))

    def min_cluster_size(self, n: int) -> int:
        """HDBSCAN ``min_cluster_size`` scaled to the corpus (≈0.5% of the fitted opinions)."""
        if self.min_theme_size is not None:
            return max(2, int(self.min_theme_size))
        return int(min(max(10, round(0.005 * n)), 300))

    def theme_limit(self, n: int) -> int:
        """At most ``max_themes``, fewer on small corpora (≈ sqrt(n)/2, at least 8)."""
        return int(min(self.max_themes, max(8, round(np.sqrt(n) / 2))))

    def fit(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> ThemeModel:
        """Learn themes from opinion texts (opinion units or whole reviews).

        Parameters
        ----------
        texts : sequence of str
        embeddings : ndarray, optional
            Precomputed embeddings (one L2-normalised row per text), reused as is.

        Returns
        -------
        self
        """
        self.fit_transform(texts, embeddings)
        return self

    def fit_transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Fit, and return the theme id of every text (``-1`` = "Autre / non classé")."""
        texts = [str(t) for t in texts]
        vectors = self._embed(texts, embeddings)
        self.taxonomy_ = load_taxonomy(self.taxonomy)
        self.embedding_name_ = getattr(get_embedder(self.embedding), "name", str(self.embedding)) \
            if embeddings is None else str(getattr(self.embedding, "name", self.embedding))
        informative = np.array([_has_two_words(t) for t in texts], dtype=bool)
        norms = np.linalg.norm(vectors, axis=1) > 0
        candidates = np.flatnonzero(informative & norms)
        # One copy of each canned phrase in the fit: duplicates would form their own theme.
        seen: dict[str, int] = {}
        keys: dict[str, str] = {}  # raw text -> normalised key, each distinct text once
        for i in candidates.tolist():
            text = texts[i]
            key = keys.get(text)
            if key is None:
                key = keys[text] = normalize_for_terms(text).strip(" .!")
            seen.setdefault(key, i)
        unique = np.array(sorted(seen.values()), dtype=int)
        rng = np.random.default_rng(self.random_state)
        if len(unique) > self.fit_sample:
            unique = np.sort(rng.choice(unique, size=self.fit_sample, replace=False))
        self.n_fit_ = int(len(unique))
        if len(unique) < self.small_corpus:
            fit_topics = self._fit_taxonomy([texts[i] for i in unique], vectors[unique])
        else:
            fit_topics = self._fit_bertopic([texts[i] for i in unique], vectors[unique])
        self._finish_fit([texts[i] for i in unique], vectors[unique], fit_topics)
        result = self.transform(texts, vectors)
        result[unique] = self.remap(fit_topics)
        return result

    def _fit_bertopic(self, docs: list[str], vectors: np.ndarray) -> np.ndarray:
        from bertopic import BERTopic
        from bertopic.representation import MaximalMarginalRelevance
        from bertopic.vectorizers import ClassTfidfTransformer
        from hdbscan import HDBSCAN
        from umap import UMAP

        from feedback_nlp.topics.embeddings import as_bertopic_backend

        n = len(docs)
        size = self.min_cluster_size(n)
        if self.reducer == "pca":
            from sklearn.decomposition import PCA

            umap_model: Any = PCA(n_components=5, random_state=self.random_state)
        elif self.reducer == "umap":
            enable_umap_numba_cache()
            # Exact neighbours computed here (deterministic, no NN-descent compilation);
            # UMAP only builds the fuzzy graph and runs its seeded layout on them.
            knn_indices, knn_distances = exact_cosine_knn(vectors, k=15, n_jobs=self.n_jobs)
            umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                              random_state=self.random_state, n_jobs=1,
                              n_epochs=self.umap_epochs, low_memory=n > 50_000,
                              precomputed_knn=(knn_indices, knn_distances))
        else:
            raise ConfigError(f"[themes] reducer={self.reducer!r} is not supported.",
                              fix='use "umap" or "pca".')
        hdbscan_model = HDBSCAN(min_cluster_size=size, min_samples=max(2, size // 5),
                                metric="euclidean", cluster_selection_method="eom",
                                prediction_data=False, core_dist_n_jobs=self.n_jobs)
        # BERTopic fits this vectorizer on one document per *topic*: min_df counts topics, so
        # it must stay below the number of topics (min_df=3 crashed with 2 topics).
        vectorizer = keyword_vectorizer(min_df=2)
        ctfidf = ClassTfidfTransformer(reduce_frequent_words=True)
        representation = MaximalMarginalRelevance(diversity=0.3, top_n_words=self.n_keywords) \
            if self.representation == "mmr" else None
        # language="multilingual": BERTopic's "english" strips every non-ASCII letter
        # (délai -> dlai) before c-TF-IDF.
        topic_model = BERTopic(embedding_model=as_bertopic_backend(_FixedEmbedder(docs, vectors,
                                                                                  self.embedding)),
                               umap_model=umap_model, hdbscan_model=hdbscan_model,
                               vectorizer_model=vectorizer, ctfidf_model=ctfidf,
                               representation_model=representation, language="multilingual",
                               top_n_words=self.n_keywords, nr_topics=None,
                               calculate_probabilities=False, verbose=False)
        with warnings.catch_warnings():
            # UMAP warns that a precomputed kNN without a search index cannot transform new
            # data: we never call UMAP.transform (new data goes to the nearest centroid).
            warnings.filterwarnings("ignore", message=".*knn_search_index.*")
            warnings.filterwarnings("ignore", category=_numba_warning())
            try:
                topics, _ = topic_model.fit_transform(docs, embeddings=vectors)
            except ValueError as exc:  # a single topic: no term is in two topic documents
                if "no terms remain" not in str(exc):
                    raise
                vectorizer.set_params(min_df=1)
                topics, _ = topic_model.fit_transform(docs, embeddings=vectors)
        n_topics = len(set(topics) - {OTHER_ID})
        limit = self.theme_limit(n)
        if n_topics > limit:
            topic_model.reduce_topics(docs, nr_topics=limit + 1)  # +1: outliers
            topics = list(topic_model.topics_)
        topics_arr = np.asarray(topics)
        changed = False
        if (topics_arr == OTHER_ID).any() and (topics_arr != OTHER_ID).any():
            threshold = self._outlier_threshold(topic_model, topics_arr, vectors)
            topics_arr = np.asarray(topic_model.reduce_outliers(
                docs, list(topics_arr), strategy="embeddings", embeddings=vectors,
                threshold=threshold))
            changed = True
        split = self._merge_small(self._split_large(topics_arr, vectors), vectors, limit)
        changed = changed or not np.array_equal(split, topics_arr)
        topics_arr = split
        if changed:
            new_topics = [int(t) for t in topics_arr]
            if len(set(new_topics)) < 3:
                vectorizer.set_params(min_df=1)
            # BERTopic logs a warning for every custom topic list; this one is intended.
            bertopic_logger = logging.getLogger("BERTopic")
            level = bertopic_logger.level
            bertopic_logger.setLevel(logging.ERROR)
            try:
                topic_model.update_topics(docs, topics=new_topics, vectorizer_model=vectorizer,
                                          ctfidf_model=ctfidf,
                                          representation_model=representation,
                                          top_n_words=self.n_keywords)
            finally:
                bertopic_logger.setLevel(level)
        self.topic_model_ = topic_model
        self.vectorizer_ = vectorizer
        return topics_arr

    def _split_large(self, topics: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Split every theme above ``max_theme_share`` of the opinions (seeded k-means).

        A theme of ``share`` is cut into ``ceil(share / max_theme_share)`` parts by k-means on
        its opinions' L2-normalised embeddings; the parts get new topic ids. Three rounds at
        most, as k-means parts can still be uneven. Unassigned opinions (-1) are not touched.
        Only the clustering path applies it (small corpora use taxonomy matching).
        """
        from sklearn.cluster import KMeans

        cap = self.max_theme_share
        topics = np.asarray(topics).copy()
        if cap is None or cap <= 0 or len(topics) == 0:
            return topics
        limit = cap * len(topics)
        for _ in range(3):
            ids, sizes = np.unique(topics[topics != OTHER_ID], return_counts=True)
            large = [int(t) for t, c in zip(ids, sizes) if c > limit]
            if not large:
                break
            next_id = int(ids.max()) + 1
            for t in large:
                members = np.flatnonzero(topics == t)
                k = min(int(np.ceil(len(members) / limit)), len(members))
                points = _normalise(np.asarray(vectors[members], dtype=np.float64))
                parts = KMeans(n_clusters=k, n_init=4,
                               random_state=self.random_state).fit_predict(points)
                # Part 0 keeps the theme's id, parts 1..k-1 get new ids in k-means order.
                for part in range(1, k):
                    topics[members[parts == part]] = next_id
                    next_id += 1
        return topics

    def _merge_small(self, topics: np.ndarray, vectors: np.ndarray, limit: int) -> np.ndarray:
        """Bring the theme count back to ``limit`` after :meth:`_split_large`.

        The smallest theme joins the theme with the closest centroid among those it can join
        without going above ``max_theme_share``; repeated until ``limit`` themes remain or no
        merge keeps every theme under the cap (then the count stays above the limit).
        """
        cap = self.max_theme_share
        topics = np.asarray(topics).copy()
        ids = sorted(set(topics.tolist()) - {OTHER_ID})
        if cap is None or cap <= 0 or len(ids) <= limit:
            return topics
        room = cap * len(topics)
        members = {t: np.flatnonzero(topics == t) for t in ids}
        sums = {t: vectors[m].sum(axis=0, dtype=np.float64) for t, m in members.items()}
        while len(members) > limit:
            smallest = min(members, key=lambda t: (len(members[t]), t))
            size = len(members[smallest])
            others = [t for t in members if t != smallest and len(members[t]) + size <= room]
            if not others:
                break
            centroid = _normalise(sums[smallest][None, :])[0]
            sims = _normalise(np.stack([sums[t] for t in others])) @ centroid
            target = others[int(np.argmax(sims))]
            topics[members[smallest]] = target
            members[target] = np.concatenate([members[target], members.pop(smallest)])
            sums[target] = sums[target] + sums.pop(smallest)
        return topics

    def _outlier_threshold(self, topic_model: Any, topics: np.ndarray, vectors: np.ndarray) -> float:
        """Cosine threshold that leaves at most ``max_unassigned`` of opinions unassigned."""
        ids = sorted(set(topics.tolist()) - {OTHER_ID})
        centroids = _normalise(np.stack([vectors[topics == t].mean(axis=0) for t in ids]))
        outliers = topics == OTHER_ID
        best = (vectors[outliers] @ centroids.T).max(axis=1)
        allowed = int(self.max_unassigned * 0.8 * len(topics))  # margin for new data
        if allowed >= len(best):
            return 0.3
        cut = float(np.sort(best)[::-1][len(best) - allowed - 1])
        return min(0.3, max(cut, 0.0))

    def _fit_taxonomy(self, docs: list[str], vectors: np.ndarray) -> np.ndarray:
        """Small corpora: opinions matched to taxonomy families by their words."""
        matches = self.taxonomy_.match(docs)
        self.topic_model_ = None
        self.vectorizer_ = keyword_vectorizer(min_df=1)
        topics = np.full(len(docs), OTHER_ID)
        family_ids = {key: i for i, key in enumerate(self.taxonomy_.keys)}
        for i, family in enumerate(matches):
            if family is not None:
                topics[i] = family_ids[family]
        present = sorted(set(topics.tolist()) - {OTHER_ID})
        # Families with a single opinion are not themes: leave them for nearest assignment.
        counts = {t: int((topics == t).sum()) for t in present}
        for t, c in counts.items():
            if c < 2:
                topics[topics == t] = OTHER_ID
        present = [t for t in present if counts[t] >= 2]
        if not present:
            return topics
        centroids = _normalise(np.stack([vectors[topics == t].mean(axis=0) for t in present]))
        outliers = np.flatnonzero(topics == OTHER_ID)
        if len(outliers):
            sims = vectors[outliers] @ centroids.T
            best = sims.argmax(axis=1)
            ok = sims.max(axis=1) >= 0.3
            topics[outliers[ok]] = np.asarray(present)[best[ok]]
        return topics

    def _finish_fit(self, docs: list[str], vectors: np.ndarray, topics: np.ndarray) -> None:
        ids = sorted(set(topics.tolist()) - {OTHER_ID})
        self.vectorizer_ = self.vectorizer_ if hasattr(self.vectorizer_, "vocabulary_") \
            else self.vectorizer_.fit(docs)
        counts = self.vectorizer_.transform(docs)
        vocabulary = self.vectorizer_.get_feature_names_out().tolist()
        self.vocabulary_ = vocabulary
        dim = vectors.shape[1]
        self.centroids_ = np.zeros((len(ids), dim), dtype=np.float32)
        self.term_counts_ = np.zeros((len(ids), len(vocabulary)), dtype=np.float32)
        self.sizes_ = np.zeros(len(ids), dtype=np.int64)
        for row, t in enumerate(ids):
            mask = topics == t
            self.centroids_[row] = _normalise(vectors[mask].mean(axis=0, keepdims=True))[0]
            self.term_counts_[row] = np.asarray(counts[np.flatnonzero(mask)].sum(axis=0)).ravel()
            self.sizes_[row] = int(mask.sum())
        # Assignment threshold for new data: 5th percentile of members' similarity.
        if ids:
            own = np.concatenate([vectors[topics == t] @ self.centroids_[row]
                                  for row, t in enumerate(ids)])
            self.threshold_ = float(min(0.3, np.quantile(own, 0.05)))
        else:
            self.threshold_ = 1.0
        self.theme_ids_ = list(range(len(ids)))
        self.id_map_ = {int(t): row for row, t in enumerate(ids)}
        self.id_map_[OTHER_ID] = OTHER_ID
        self.excluded_: set[int] = set()
        self.merged_into_: dict[int, int] = {}
        keywords = self._keywords_from_bertopic(ids) or ctfidf_keywords(
            self.term_counts_, vocabulary, self.n_keywords)
        self.keywords_ = [list(k) for k in keywords]
        self.families_ = [self.taxonomy_.family_of(k, self.term_counts_[row], vocabulary)
                          for row, k in enumerate(self.keywords_)]
        self.labels_ = self._make_labels(docs, topics)

    def _keywords_from_bertopic(self, ids: list[int]) -> list[list[str]] | None:
        model = getattr(self, "topic_model_", None)
        if model is None:
            return None
        out = []
        for t in ids:
            words = [w for w, _ in (model.get_topic(t) or []) if w]
            out.append(words[: self.n_keywords])
        return out

    def _make_labels(self, docs: Sequence[str] | None = None,
                     topics: np.ndarray | None = None) -> list[str]:
        """``"<famille> — <expression>, <expression>"`` for every theme.

        The phrases are the theme's most distinctive terms (share in the theme times log-lift
        over the corpus, two-word phrases preferred), without generic words, without words
        the family name already says, never repeating a word (plural/feminine folded), and
        written as customers write them ("prise charge" -> "prise en charge") from the
        member texts when they are given. Themes are labelled largest first; a phrase already
        used by another label (same words, plural/feminine folded, in any order) is taken only
        when nothing else is left, so labels stay distinct.
        """
        members: dict[int, list[str]] = {}
        if docs is not None and topics is not None:
            for text, t in zip(docs, np.asarray(topics).tolist(), strict=True):
                row = self.id_map_.get(int(t), OTHER_ID)
                if row != OTHER_ID and len(members.setdefault(row, [])) < 3000:
                    members[row].append(unicodedata.normalize("NFC", str(text)).lower()
                                        .replace("’", "'"))
        candidates = label_candidates(self.term_counts_, self.vocabulary_, self.keywords_)
        if docs is not None:
            # Brands and verb forms, judged on the fitted texts for the words that could
            # label a theme (a few hundred): then the candidates again without them.
            pool = {w for terms in candidates for term in terms for w in term.split()}
            keep = {w for key in self.taxonomy_.keys for term in self.taxonomy_.terms_of(key)
                    for w in term.split()}
            names, verbs = label_word_evidence(docs, pool, keep=keep)
            candidates = label_candidates(self.term_counts_, self.vocabulary_, self.keywords_,
                                          names=names, verbs=verbs)
        order = np.argsort(-self.sizes_, kind="stable")
        labels: list[str] = [""] * len(self.keywords_)
        used: set[str] = set()
        said: set[frozenset[str]] = set()  # phrases already in a label ("livraison rapide")
        for row in order.tolist():
            family = self.families_[row]
            short = self.taxonomy_.short_label(family) if family else ""
            blocked = {_stem(w) for w in re.findall(TOKEN_PATTERN, short.lower())}
            picked: list[str] = []
            stems: set[str] = set(blocked)
            for fresh_only in (True, False):  # a phrase of another label only as a last resort
                for term in candidates[row]:
                    term_stems = [_stem(w) for w in term.split()]
                    if (len(set(term_stems)) < len(term_stems) or stems & set(term_stems)
                            or term in picked):
                        continue
                    if fresh_only and _signature(term) in said:
                        continue
                    picked.append(term)
                    stems.update(term_stems)
                    if len(picked) == 2:
                        break
                if len(picked) == 2:
                    break
            if not picked and candidates[row]:
                picked = [candidates[row][0]]
            said.update(_signature(term) for term in picked)
            phrases = [surface_form(term, members.get(row, [])) for term in picked]
            text = ", ".join(phrases) if phrases else "divers"
            label = f"{short} — {text}" if short else text[:1].upper() + text[1:]
            base, k = label, 2
            while label in used:
                label, k = f"{base} ({k})", k + 1
            used.add(label)
            labels[row] = label
        return labels

    # -- assignment ------------------------------------------------------------------------
    def remap(self, fitted_ids: Iterable[int]) -> np.ndarray:
        """Map raw fitted cluster ids to current theme ids (after merges and exclusions)."""
        self._check_fitted()
        return self.current_ids([self.id_map_.get(int(t), OTHER_ID) for t in fitted_ids])

    def current_ids(self, theme_ids: Iterable[int]) -> np.ndarray:
        """Theme ids after the analyst's merges and exclusions (``-1`` stays ``-1``)."""
        out = []
        for t in theme_ids:
            t = int(t)
            while t in self.merged_into_:
                t = self.merged_into_[t]
            out.append(OTHER_ID if t in self.excluded_ else t)
        return np.asarray(out, dtype=np.int64)

    def transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Theme id of each text by nearest theme centroid (``-1`` below the threshold)."""
        self._check_fitted()
        vectors = self._embed(list(texts), embeddings)
        if len(vectors) == 0 or len(self.centroids_) == 0:
            return np.full(len(vectors), OTHER_ID, dtype=np.int64)
        active = [t for t in self.theme_ids_ if t not in self.excluded_ and self.sizes_[t] > 0]
        if not active:
            return np.full(len(vectors), OTHER_ID, dtype=np.int64)
        sims = vectors @ self.centroids_[active].T
        best = sims.argmax(axis=1)
        out = np.asarray(active, dtype=np.int64)[best]
        out[sims.max(axis=1) < self.threshold_] = OTHER_ID
        out[np.linalg.norm(vectors, axis=1) == 0] = OTHER_ID
        return out

    # -- curation --------------------------------------------------------------------------
    def _check_ids(self, ids: Iterable[int]) -> list[int]:
        self._check_fitted()
        ids = [int(i) for i in ids]
        for i in ids:
            if i not in self.theme_ids_ or self.sizes_[i] == 0:
                raise ConfigError(f"theme {i} does not exist.",
                                  fix="use a theme_id from the themes table.")
        return ids

    def rename(self, theme_id: int, label: str, family: str | None = None) -> ThemeModel:
        """Give a theme the analyst's label (and optionally a family label)."""
        (theme_id,) = self._check_ids([theme_id])
        self.labels_[theme_id] = str(label)
        if family is not None:
            self.families_[theme_id] = family
        return self

    def merge(self, theme_ids: Sequence[int], label: str | None = None) -> ThemeModel:
        """Merge themes into the first one; keywords are recomputed from pooled word counts."""
        ids = self._check_ids(theme_ids)
        keep, rest = ids[0], ids[1:]
        weights = self.sizes_[ids].astype(np.float32)
        self.centroids_[keep] = _normalise((self.centroids_[ids] * weights[:, None]).sum(0,
                                                                               keepdims=True))[0]
        self.term_counts_[keep] = self.term_counts_[ids].sum(axis=0)
        self.sizes_[keep] = int(self.sizes_[ids].sum())
        for t in rest:
            self.sizes_[t] = 0
            self.term_counts_[t] = 0
            self.merged_into_[t] = keep
        self.keywords_[keep] = ctfidf_keywords(self.term_counts_, self.vocabulary_,
                                               self.n_keywords)[keep]
        if label is not None:
            self.labels_[keep] = str(label)
        return self

    def exclude(self, theme_ids: Sequence[int]) -> ThemeModel:
        """Send themes to "Autre / non classé" (e.g. a theme of greetings)."""
        self.excluded_.update(self._check_ids(theme_ids))
        return self

    def split_out(self, theme_id: int, terms: Sequence[str], label: str,
                  texts: Sequence[str], embeddings: np.ndarray | None = None) -> int:
        """Move a theme's opinions that contain one of ``terms`` into a new theme.

        Parameters
        ----------
        theme_id : int
            The theme to split (a current id).
        terms : sequence of str
            Words or phrases (accents and case ignored, whole words) that define the new
            theme, e.g. ``["colis perdu", "perdu"]``.
        label : str
            The new theme's label.
        texts : sequence of str
            The opinion texts currently assigned to ``theme_id`` (e.g. the ``text`` of its
            rows in ``segments``); :func:`feedback_nlp.topics.curate` passes them.
        embeddings : ndarray, optional
            Their embeddings, when already computed.

        Returns
        -------
        int
            The new theme id. Both themes get centroids, word counts and keywords from
            ``texts``, so new data is assigned to the nearer of the two.
        """
        (theme_id,) = self._check_ids([theme_id])
        texts = [str(t) for t in texts]
        moved = self.matches_terms(texts, terms)
        if not moved.any():
            raise ConfigError(f"no opinion of theme {theme_id} contains {', '.join(map(repr, terms))}.",
                              fix="pick words that appear in the theme's verbatims (see its keywords).")
        if moved.all():
            raise ConfigError(f"every opinion of theme {theme_id} contains those terms: nothing would "
                              "stay in it.", fix="rename the theme instead.")
        vectors = self._embed(texts, embeddings)
        counts = self._count_terms(texts)
        new_id = len(self.theme_ids_)
        parts = {theme_id: ~moved, new_id: moved}
        self.centroids_ = np.vstack([self.centroids_, np.zeros((1, self.centroids_.shape[1]),
                                                                dtype=self.centroids_.dtype)])
        self.term_counts_ = np.vstack([self.term_counts_,
                                       np.zeros((1, self.term_counts_.shape[1]),
                                                dtype=self.term_counts_.dtype)])
        self.sizes_ = np.append(self.sizes_, 0).astype(np.int64)
        for t, mask in parts.items():
            self.centroids_[t] = _normalise(vectors[mask].mean(axis=0, keepdims=True))[0]
            self.term_counts_[t] = np.asarray(counts[np.flatnonzero(mask)].sum(axis=0)).ravel()
            self.sizes_[t] = int(mask.sum())
        self.theme_ids_.append(new_id)
        keywords = ctfidf_keywords(self.term_counts_, self.vocabulary_, self.n_keywords)
        self.keywords_[theme_id] = keywords[theme_id]
        self.keywords_.append(keywords[new_id])
        self.families_.append(self.taxonomy_.family_of(keywords[new_id], self.term_counts_[new_id],
                                                       self.vocabulary_))
        self.labels_.append(str(label))
        return new_id

    @staticmethod
    def matches_terms(texts: Sequence[str], terms: Sequence[str]) -> np.ndarray:
        """Which texts contain one of ``terms`` as whole words (accents and case ignored)."""
        import unicodedata

        def fold(text: str) -> str:
            text = unicodedata.normalize("NFKD", normalize_for_terms(str(text)))
            return " ".join(re.findall(r"\w+", "".join(c for c in text if not unicodedata.combining(c))))

        wanted = [fold(t) for t in terms if fold(t)]
        if not wanted:
            raise ConfigError("split_out needs at least one non-empty term.",
                              fix='pass words such as ["colis perdu"].')
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in wanted) + r")\b")
        return np.array([bool(pattern.search(fold(t))) for t in texts], dtype=bool)

    def _count_terms(self, texts: Sequence[str]) -> Any:
        vectorizer = keyword_vectorizer(min_df=1)
        vectorizer.set_params(vocabulary={w: i for i, w in enumerate(self.vocabulary_)})
        return vectorizer.fit_transform(list(texts))

    # -- tables ----------------------------------------------------------------------------
    def themes_table(self) -> Any:
        """``theme_id``, ``label``, ``family``, ``keywords`` (comma-separated), ``size``."""
        import pandas as pd

        self._check_fitted()
        rows = [{"theme_id": t, "label": self.labels_[t],
                 "family": self.taxonomy_.label(str(self.families_[t])) if self.families_[t]
                 else OTHER_FAMILY,
                 "keywords": ", ".join(self.keywords_[t]), "size": int(self.sizes_[t])}
                for t in self.theme_ids_ if t not in self.excluded_ and self.sizes_[t] > 0]
        return pd.DataFrame(rows, columns=["theme_id", "label", "family", "keywords", "size"])

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``weights.safetensors`` + ``model.json`` (no pickle)."""
        from safetensors.numpy import save_file

        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        save_file({"centroids": np.ascontiguousarray(self.centroids_),
                   "term_counts": np.ascontiguousarray(self.term_counts_),
                   "sizes": np.ascontiguousarray(self.sizes_)}, str(out / "weights.safetensors"))
        params = self.get_params()
        if not isinstance(params["embedding"], str):
            params["embedding"] = self.embedding_name_
        state = {"format": MODEL_FORMAT, "params": params,
                 "embedding_name": self.embedding_name_, "threshold": self.threshold_,
                 "n_fit": self.n_fit_, "theme_ids": self.theme_ids_,
                 "id_map": {str(k): v for k, v in self.id_map_.items()},
                 "excluded": sorted(self.excluded_),
                 "merged_into": {str(k): v for k, v in self.merged_into_.items()},
                 "labels": self.labels_,
                 "families": self.families_, "keywords": self.keywords_,
                 "vocabulary": self.vocabulary_, "taxonomy": self.taxonomy_.to_dict()}
        (out / "model.json").write_text(json.dumps(state, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> ThemeModel:
        """Load a directory written by :meth:`save` (no code runs)."""
        from safetensors.numpy import load_file

        from feedback_nlp._safe import check_model_dir

        path = check_model_dir(directory, ["model.json", "weights.safetensors"],
                               what="theme model")
        try:
            state = json.loads((path / "model.json").read_text(encoding="utf-8"))
            tensors = load_file(str(path / "weights.safetensors"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot read a theme model in {path}: {exc}",
                                 fix="pass the theme_model folder written by analyze/save.") from exc
        if state.get("format") != MODEL_FORMAT:
            raise ModelLoadError(f"{path} is not a feedback-nlp theme model.",
                                 fix="pass the theme_model folder written by analyze/save.")
        model = cls(**state["params"])
        model.taxonomy_ = Taxonomy.from_dict(state["taxonomy"])
        model.embedding_name_ = state["embedding_name"]
        model.threshold_ = float(state["threshold"])
        model.n_fit_ = int(state["n_fit"])
        model.theme_ids_ = [int(t) for t in state["theme_ids"]]
        model.id_map_ = {int(k): int(v) for k, v in state["id_map"].items()}
        model.excluded_ = {int(t) for t in state["excluded"]}
        model.merged_into_ = {int(k): int(v) for k, v in state.get("merged_into", {}).items()}
        model.labels_ = list(state["labels"])
        model.families_ = list(state["families"])
        model.keywords_ = [list(k) for k in state["keywords"]]
        model.vocabulary_ = list(state["vocabulary"])
        model.centroids_ = tensors["centroids"]
        model.term_counts_ = tensors["term_counts"]
        model.sizes_ = tensors["sizes"]
        model.topic_model_ = None
        return model


class _FixedEmbedder:
    """Embeds through the configured backend (used by BERTopic for keyword embeddings)."""

    def __init__(self, docs: list[str], vectors: np.ndarray, embedding: Any) -> None:
        self.embedding = embedding

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return get_embedder(self.embedding).embed(list(texts))


def _numba_warning() -> type[Warning]:
    try:
        from numba.core.errors import NumbaWarning
    except ImportError:
        return UserWarning
    return NumbaWarning


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
