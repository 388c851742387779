"""``ThemeModel``: opinion-level French themes with an explicitly built BERTopic.

Pipeline (every component passed in, nothing sniffed):
embeddings (precomputed once) -> exact cosine kNN -> UMAP (seeded, on that kNN, numba code
cached on disk) -> HDBSCAN (sizes scaled to the corpus) -> French ``CountVectorizer`` (stop
words for keywords only, elisions stripped, min_df) -> c-TF-IDF -> keywords (or MMR) ->
outlier reduction -> ``update_topics``. Themes are then named "<family> — <phrase>, <phrase>"
from the taxonomy families (two-level hierarchy: family -> theme). The learned state
needed to tag new data (centroids, term counts, labels) is plain arrays + JSON, saved with
safetensors; the BERTopic object is kept in ``topic_model_`` for inspection only.

``ThemeModel`` is a scikit-learn estimator (``get_params``/``set_params``/``clone``); the
UMAP, HDBSCAN and vectorizer stages can be passed in as objects (BERTopic's "every stage
swappable" contract), else they are built from the parameters. The other concerns live in
their own modules: :mod:`.keywords` (stop words, vectorizer, c-TF-IDF), :mod:`.labels`,
:mod:`.knn` (exact kNN, UMAP numba cache), :mod:`.clusters` (outliers, share cap) and
:mod:`.curation` (rename/merge/split/exclude).

Small corpora (fewer than ``small_corpus`` usable opinions) skip clustering: opinions are
matched to taxonomy families by their words, then unmatched ones go to the nearest family.
"""

from __future__ import annotations

import copy
import json
import logging
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

import feedback_nlp.topics.curation as curation
from feedback_nlp.errors import ConfigError, ModelLoadError, NotFittedError
from feedback_nlp.topics.clusters import merge_small, normalise, outlier_threshold, split_large
from feedback_nlp.topics.constants import (
    GENERAL_ID,
    MODEL_FORMAT,
    OTHER_FAMILY,
    OTHER_ID,
    OTHER_LABEL,
)
from feedback_nlp.topics.embeddings import get_embedder, normalize_for_terms
from feedback_nlp.topics.keywords import (
    KEEP_WORDS,
    _has_two_words,
    ctfidf_keywords,
    french_stop_words,
    keyword_vectorizer,
)
from feedback_nlp.topics.knn import enable_umap_numba_cache, exact_cosine_knn, numba_warning
from feedback_nlp.topics.labels import make_labels
from feedback_nlp.topics.taxonomy import Taxonomy, load_taxonomy

__all__ = ["GENERAL_ID", "KEEP_WORDS", "MODEL_FORMAT", "OTHER_FAMILY", "OTHER_ID", "OTHER_LABEL",
           "CONFIG_PARAMS", "ThemeModel", "french_stop_words", "keyword_vectorizer"]

#: ``[themes]`` config field -> ``ThemeModel`` parameter: the one place they are mapped
#: (``enabled`` and ``model`` are the pipeline's, the seed comes from ``AnalysisConfig.seed``).
CONFIG_PARAMS = {"embedding": "embedding", "taxonomy": "taxonomy",
                 "min_theme_size": "min_theme_size", "max_themes": "max_themes",
                 "fit_sample": "fit_sample", "max_unassigned": "max_unassigned",
                 "max_theme_share": "max_theme_share"}
#: Subject-based embeddings (aspects): a theme's family is the taxonomy family whose noun
#: vector is the most similar to the theme centroid, when the cosine reaches this; else none
#: ("Autres sujets"). Chosen by reading the bundled insurance sample's themes (0.5 gave "Qualité
#: produit — chien, animal" and "Site et appli — téléphone, net"), never on the aspect gold.
FAMILY_MIN_SIMILARITY = 0.6
#: Name of the LSA embedding, the default until 2026-11-30 (older saved models say "default").
LSA_NAME = "embeddings-fr-lsa"
#: ``embedding_name`` of a model saved as "default" -> the embedding it was fitted with: the
#: LSA (default until 2026-11-30) and the fastText noun vectors (default for a few hours on
#: 2026-11-30, before the e5-static noun vectors).
_OLD_DEFAULTS = {LSA_NAME: "lsa", "aspects-fr": "aspects"}
#: Parameters holding stage objects: fit-time only, never saved.
_STAGE_PARAMS = ("umap_model", "hdbscan_model", "vectorizer_model")
class ThemeModel(BaseEstimator):  # type: ignore[misc]
    """Opinion-level theme model (BERTopic inside), with French labels and curation.

    Parameters
    ----------
    embedding : str or object
        ``"default"`` = ``"aspects-e5"`` (noun lemmas of ``models/aspects-fr`` with the
        e5-static vectors of ``models/e5-static-fr``: themes are subjects, units without a
        noun go to the general-satisfaction bucket ``-2``), ``"aspects"`` (same nouns,
        fastText vectors), ``"lsa"`` (shipped LSA model, the default until 2026-11-30),
        ``"spacy"``, a local sentence-transformers directory, or an object with ``embed(texts)``.
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
    umap_model, hdbscan_model : estimator, optional
        Replace the dimensionality reduction (anything with ``fit``/``transform``, e.g. a
        configured ``umap.UMAP`` or ``sklearn.decomposition.PCA``) or the clustering
        (anything with ``fit`` and ``labels_``, e.g. ``hdbscan.HDBSCAN`` or
        ``sklearn.cluster.KMeans``). A copy (``sklearn.base.clone``) is fitted; ``reducer``,
        ``umap_epochs`` and the cluster sizes then do not apply to that stage.
    vectorizer_model : CountVectorizer, optional
        Replace the French keyword vectorizer (a clone is fitted).

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
                 random_state: int = 42, umap_model: Any = None, hdbscan_model: Any = None,
                 vectorizer_model: Any = None) -> None:
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
        self.umap_model = umap_model
        self.hdbscan_model = hdbscan_model
        self.vectorizer_model = vectorizer_model

    @classmethod
    def from_config(cls, themes: Any, seed: int = 42) -> ThemeModel:
        """The model a ``[themes]`` config section describes (see :data:`CONFIG_PARAMS`)."""
        params = {param: getattr(themes, field) for field, param in CONFIG_PARAMS.items()
                  if hasattr(themes, field)}
        return cls(**params, random_state=seed)

    def _check_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise NotFittedError("this ThemeModel is not fitted yet.",
                                 fix="call fit(texts) or ThemeModel.load(dir) first.")

    def copy(self) -> ThemeModel:
        """An independent copy of the fitted state (the inspection-only BERTopic object and
        the fitted vectorizer are shared: curation never changes them)."""
        memo = {id(self.__dict__[k]): self.__dict__[k] for k in ("topic_model_", "vectorizer_")
                if k in self.__dict__}
        return copy.deepcopy(self, memo)

    # -- fitting ---------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str], embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is not None:
            if len(embeddings) != len(texts):
                raise ConfigError("embeddings and texts differ in length.",
                                  fix="pass one embedding row per text.")
            return np.asarray(embeddings, dtype=np.float32)
        return get_embedder(self.embedding).embed(list(texts))

    def _keyword_vectorizer(self, min_df: int) -> Any:
        """Keywords of subject themes are noun lemmas; of the others, French words."""
        if getattr(self, "subjects_", False):
            from feedback_nlp.topics.aspects import aspect_vectorizer

            return aspect_vectorizer(min_df=min_df)
        return keyword_vectorizer(min_df=min_df)

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

    def _fit_rows(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """Rows to fit on: informative (2+ words, non-zero vector), one copy of each canned
        phrase (duplicates would form their own theme), at most ``fit_sample`` (seeded)."""
        informative = np.array([_has_two_words(t) for t in texts], dtype=bool)
        norms = np.linalg.norm(vectors, axis=1) > 0
        candidates = np.flatnonzero(informative & norms)
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
        return unique

    def fit_transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Fit, and return the theme id of every text (``-1`` = "Autre / non classé")."""
        texts = [str(t) for t in texts]
        vectors = self._embed(texts, embeddings)
        self.taxonomy_ = load_taxonomy(self.taxonomy)
        self.subjects_ = bool(getattr(get_embedder(self.embedding), "subject_based", False))
        self.embedding_name_ = getattr(get_embedder(self.embedding), "name", str(self.embedding)) \
            if embeddings is None else str(getattr(self.embedding, "name", self.embedding))
        unique = self._fit_rows(texts, vectors)
        self.n_fit_ = int(len(unique))
        if len(unique) < self.small_corpus:
            fit_topics = self._fit_taxonomy([texts[i] for i in unique], vectors[unique])
        else:
            fit_topics = self._fit_bertopic([texts[i] for i in unique], vectors[unique])
        self._finish_fit([texts[i] for i in unique], vectors[unique], fit_topics)
        result = self.transform(texts, vectors)
        result[unique] = self.remap(fit_topics)
        return result

    def _stages(self, vectors: np.ndarray) -> tuple[Any, Any, Any]:
        """The UMAP (or other reducer), HDBSCAN (or other clusterer) and vectorizer to fit:
        clones of the objects passed in, else built from the parameters."""
        from sklearn.base import clone

        n = len(vectors)
        if self.umap_model is not None:
            umap_model = clone(self.umap_model)
        elif self.reducer == "pca":
            from sklearn.decomposition import PCA

            umap_model = PCA(n_components=5, random_state=self.random_state)
        elif self.reducer == "umap":
            from umap import UMAP

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
        if self.hdbscan_model is not None:
            hdbscan_model = clone(self.hdbscan_model)
        else:
            from hdbscan import HDBSCAN

            size = self.min_cluster_size(n)
            hdbscan_model = HDBSCAN(min_cluster_size=size, min_samples=max(2, size // 5),
                                    metric="euclidean", cluster_selection_method="eom",
                                    prediction_data=False, core_dist_n_jobs=self.n_jobs)
        # BERTopic fits this vectorizer on one document per *topic*: min_df counts topics, so
        # it must stay below the number of topics (min_df=3 crashed with 2 topics).
        vectorizer = clone(self.vectorizer_model) if self.vectorizer_model is not None \
            else self._keyword_vectorizer(min_df=2)
        return umap_model, hdbscan_model, vectorizer

    def _fit_bertopic(self, docs: list[str], vectors: np.ndarray) -> np.ndarray:
        from feedback_nlp import _imports

        # bertopic would import torch + transformers (~10 s) for features not used here
        # (issue 18); a sentence-transformers embedding has already imported them.
        with _imports.without():
            from bertopic import BERTopic
            from bertopic.representation import MaximalMarginalRelevance
            from bertopic.vectorizers import ClassTfidfTransformer

        from feedback_nlp.topics.embeddings import as_bertopic_backend

        umap_model, hdbscan_model, vectorizer = self._stages(vectors)
        ctfidf = ClassTfidfTransformer(reduce_frequent_words=True)
        representation = MaximalMarginalRelevance(diversity=0.3, top_n_words=self.n_keywords) \
            if self.representation == "mmr" else None
        # language="multilingual": BERTopic's "english" strips every non-ASCII letter
        # (délai -> dlai) before c-TF-IDF.
        backend = as_bertopic_backend(_FixedEmbedder(self.embedding))
        topic_model = _lean(BERTopic)(embedding_model=backend,
                               umap_model=umap_model, hdbscan_model=hdbscan_model,
                               vectorizer_model=vectorizer, ctfidf_model=ctfidf,
                               representation_model=representation, language="multilingual",
                               top_n_words=self.n_keywords, nr_topics=None,
                               calculate_probabilities=False, verbose=False)
        with warnings.catch_warnings():
            # UMAP warns that a precomputed kNN without a search index cannot transform new
            # data: we never call UMAP.transform (new data goes to the nearest centroid).
            warnings.filterwarnings("ignore", message=".*knn_search_index.*")
            warnings.filterwarnings("ignore", category=numba_warning())
            try:
                topics, _ = topic_model.fit_transform(docs, embeddings=vectors)
            except ValueError as exc:  # a single topic: no term is in two topic documents
                if "no terms remain" not in str(exc):
                    raise
                vectorizer.set_params(min_df=1)
                topics, _ = topic_model.fit_transform(docs, embeddings=vectors)
        limit = self.theme_limit(len(docs))
        if len(set(topics) - {OTHER_ID}) > limit:
            topic_model.reduce_topics(docs, nr_topics=limit + 1)  # +1: outliers
            topics = list(topic_model.topics_)
        topics_arr = self._refine(topic_model, docs, np.asarray(topics), vectors, limit,
                                  (vectorizer, ctfidf, representation))
        self.topic_model_ = topic_model
        self.vectorizer_ = vectorizer
        return topics_arr

    def _refine(self, topic_model: Any, docs: list[str], topics: np.ndarray,
                vectors: np.ndarray, limit: int, stages: tuple[Any, Any, Any]) -> np.ndarray:
        """Outlier reduction, then the share cap (split large, merge small back to
        ``limit``), then BERTopic's keywords recomputed when anything moved."""
        vectorizer, ctfidf, representation = stages
        changed = False
        if (topics == OTHER_ID).any() and (topics != OTHER_ID).any():
            threshold = outlier_threshold(topics, vectors, self.max_unassigned)
            topics = np.asarray(topic_model.reduce_outliers(
                docs, list(topics), strategy="embeddings", embeddings=vectors,
                threshold=threshold))
            changed = True
        split = merge_small(split_large(topics, vectors, self.max_theme_share,
                                        self.random_state),
                            vectors, limit, self.max_theme_share)
        changed = changed or not np.array_equal(split, topics)
        topics = split
        if changed:
            new_topics = [int(t) for t in topics]
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
        return topics

    def _fit_taxonomy(self, docs: list[str], vectors: np.ndarray) -> np.ndarray:
        """Small corpora: opinions matched to taxonomy families by their words."""
        matches = self.taxonomy_.match(docs)
        self.topic_model_ = None
        self.vectorizer_ = self._keyword_vectorizer(min_df=1)
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
        centroids = normalise(np.stack([vectors[topics == t].mean(axis=0) for t in present]))
        outliers = np.flatnonzero(topics == OTHER_ID)
        if len(outliers):
            sims = vectors[outliers] @ centroids.T
            best = sims.argmax(axis=1)
            ok = sims.max(axis=1) >= 0.3
            topics[outliers[ok]] = np.asarray(present)[best[ok]]
        return topics

    def _finish_fit(self, docs: list[str], vectors: np.ndarray, topics: np.ndarray) -> None:
        ids = sorted(set(topics.tolist()) - {OTHER_ID})
        try:
            self.vectorizer_ = self.vectorizer_ if hasattr(self.vectorizer_, "vocabulary_") \
                else self.vectorizer_.fit(docs)
            counts = self.vectorizer_.transform(docs)
            vocabulary = self.vectorizer_.get_feature_names_out().tolist()
        except ValueError as exc:  # only stop words (e.g. 5,000 x "je vous remercie pour tout")
            if "empty vocabulary" not in str(exc) or ids:
                raise
            from scipy.sparse import csr_matrix

            counts, vocabulary = csr_matrix((len(docs), 0), dtype=np.float32), []
        self.vocabulary_ = vocabulary
        dim = vectors.shape[1]
        self.centroids_ = np.zeros((len(ids), dim), dtype=np.float32)
        self.term_counts_ = np.zeros((len(ids), len(vocabulary)), dtype=np.float32)
        self.sizes_ = np.zeros(len(ids), dtype=np.int64)
        for row, t in enumerate(ids):
            mask = topics == t
            self.centroids_[row] = normalise(vectors[mask].mean(axis=0, keepdims=True))[0]
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
        by_meaning = self._families_by_meaning() if getattr(self, "subjects_", False) else None
        if by_meaning is not None:
            self.families_, self.family_scores_ = by_meaning
        else:
            self.family_scores_ = []  # families by words: no similarity score
            self.families_ = [self.taxonomy_.family_of(k, self.term_counts_[row], vocabulary)
                              for row, k in enumerate(self.keywords_)]
        self.labels_ = self._make_labels(docs, topics)

    def family_vectors(self) -> np.ndarray:
        """One unit vector per taxonomy family: its terms embedded like the opinions."""
        embedder = get_embedder(self.embedding)
        rows = [embedder.embed(sorted(self.taxonomy_.terms_of(key))).sum(axis=0)
                for key in self.taxonomy_.keys]
        return normalise(np.stack(rows)) if rows else np.zeros((0, self.centroids_.shape[1]))

    def _families_by_meaning(self) -> tuple[list[str | None], list[float]] | None:
        """Each theme's closest family (cosine of centroid and family vector) and the score;
        None below :data:`FAMILY_MIN_SIMILARITY`. None when the centroids do not live in the
        embedding's space (embeddings passed in from elsewhere): families by words then."""
        families = self.family_vectors()
        if families.shape[1] != self.centroids_.shape[1]:
            return None
        if len(families) == 0 or len(self.centroids_) == 0:
            return [None] * len(self.centroids_), [0.0] * len(self.centroids_)
        sims = self.centroids_ @ families.T
        keys = list(self.taxonomy_.keys)
        best = sims.argmax(axis=1)
        scores = [round(float(sims[row, j]), 4) for row, j in enumerate(best)]
        cut = float(getattr(get_embedder(self.embedding), "family_min_similarity",
                            FAMILY_MIN_SIMILARITY))
        return ([keys[j] if score >= cut else None
                 for j, score in zip(best, scores, strict=True)], scores)

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
        """Labels of every theme (see :func:`feedback_nlp.topics.labels.make_labels`)."""
        return make_labels(self, docs, topics)

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
        empty = np.where(np.linalg.norm(vectors, axis=1) == 0, self._no_subject_id(), OTHER_ID) \
            .astype(np.int64) if len(vectors) else np.zeros(0, dtype=np.int64)
        if len(vectors) == 0 or len(self.centroids_) == 0:
            return empty
        active = [t for t in self.theme_ids_ if t not in self.excluded_ and self.sizes_[t] > 0]
        if not active:
            return empty
        sims = vectors @ self.centroids_[active].T
        best = sims.argmax(axis=1)
        out = np.asarray(active, dtype=np.int64)[best]
        out[sims.max(axis=1) < self.threshold_] = OTHER_ID
        out[np.linalg.norm(vectors, axis=1) == 0] = self._no_subject_id()
        return out

    def _no_subject_id(self) -> int:
        """Where a unit without a subject goes: the general-satisfaction bucket
        (:data:`GENERAL_ID`) for subject-based embeddings, else "Autre / non classé"."""
        return GENERAL_ID if getattr(self, "subjects_", False) else OTHER_ID


    # -- curation (see feedback_nlp.topics.curation) -----------------------------------------
    def rename(self, theme_id: int, label: str, family: str | None = None) -> ThemeModel:
        """Give a theme the analyst's label (and optionally a family label)."""
        curation.rename(self, theme_id, label, family)
        return self

    def merge(self, theme_ids: Sequence[int], label: str | None = None) -> ThemeModel:
        """Merge themes into the first one; keywords are recomputed from pooled word counts."""
        curation.merge(self, theme_ids, label)
        return self

    def exclude(self, theme_ids: Sequence[int]) -> ThemeModel:
        """Send themes to "Autre / non classé" (e.g. a theme of greetings)."""
        curation.exclude(self, theme_ids)
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
        curation.check_ids(self, [theme_id])
        texts = [str(t) for t in texts]
        curation.matches_terms(texts, terms)  # empty terms: ConfigError before embedding
        return curation.split_out(self, theme_id, terms, label, texts,
                                  self._embed(texts, embeddings))

    matches_terms = staticmethod(curation.matches_terms)

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
        params = {name: value for name, value in self.get_params(deep=False).items()
                  if name not in _STAGE_PARAMS}  # stage objects are fit-time only
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
        if getattr(self, "subjects_", False):  # only written for subject models (older files)
            state["subjects"] = True
            state["family_scores"] = list(getattr(self, "family_scores_", []))
        (out / "model.json").write_text(json.dumps(state, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path, embedding: str | None = None) -> ThemeModel:
        """Load a directory written by :meth:`save` (no code runs).

        Every value of ``model.json`` is checked against the weights (``[E301]``); a
        model fitted with a non-shipped embedding folder needs that folder passed as
        ``embedding`` (the saved model never chooses a path to load)."""
        from safetensors.numpy import load_file

        from feedback_nlp._safe import check_model_dir
        from feedback_nlp.topics._saved import check_state, resolve_embedding

        path = check_model_dir(directory, ["model.json", "weights.safetensors"],
                               what="theme model")
        try:
            state = json.loads((path / "model.json").read_text(encoding="utf-8"))
            tensors = load_file(str(path / "weights.safetensors"))
        except Exception as exc:  # OSError, JSON errors, SafetensorError (a cut file)...
            raise ModelLoadError(f"cannot read a theme model in {path}: {exc}",
                                 fix="pass the theme_model folder written by analyze/save.") from None
        if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
            raise ModelLoadError(f"{path} is not a feedback-nlp theme model.",
                                 fix="pass the theme_model folder written by analyze/save.")
        defaults = {k: v for k, v in cls().get_params(deep=False).items() if k not in _STAGE_PARAMS}
        check_state(state, tensors, path, defaults)
        params = dict(state["params"])
        params["embedding"] = resolve_embedding(params.get("embedding", "default"), embedding, path)
        if params["embedding"] == "default" and state.get("embedding_name") in _OLD_DEFAULTS:
            # saved when "default" meant another embedding (same centroid space needed)
            params["embedding"] = _OLD_DEFAULTS[state["embedding_name"]]
        model = cls(**params)
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
        model.subjects_ = state.get("subjects", False) is True
        if model.subjects_:
            scores = state.get("family_scores", [])
            if not isinstance(scores, list) or len(scores) not in (0, len(model.labels_)) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in scores):
                raise ModelLoadError(f"{path}: model.json family_scores must be one number per "
                                     "theme (or empty).", fix="pass the theme_model folder written by "
                                     "analyze/save (a hand-edited model.json is refused).")
            model.family_scores_ = [float(x) for x in scores]
        return model


def _lean(bertopic_class: Any) -> Any:
    """BERTopic without its representative documents: it picks them after every fit,
    topic reduction and ``update_topics`` (c-TF-IDF over up to 500 documents per topic, ~9%
    of a fit), and nothing here reads them (a theme's examples come from
    :func:`feedback_nlp.topics.annotate`). Themes, keywords and labels are unchanged."""

    class LeanBERTopic(bertopic_class):  # type: ignore[misc, valid-type]
        def _save_representative_docs(self, documents: Any) -> None:
            self.representative_docs_: dict[int, list[str]] = {}

    return LeanBERTopic


class _FixedEmbedder:
    """Embeds through the configured backend (used by BERTopic for keyword embeddings)."""

    def __init__(self, embedding: Any) -> None:
        self.embedding = embedding

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return get_embedder(self.embedding).embed(list(texts))
