"""Adapt sentiment to a run's own domain with the run's own scores (cross-fitted).

A real export nearly always has a score per review (NPS 0-10, stars): in-domain
supervision for free. :func:`adapt_units` fits a light in-domain model on score-derived
*review* labels and blends it with the shipped model's *unit* probabilities:

- review labels from the score (:func:`score_labels`): stars 1-2 / 3 / 4-5 and 0-10
  scores 0-6 / 7-8 / 9-10 give negative / neutral / positive;
- features: a review is represented by the (l2-normalised) sum of its units' feature
  vectors, so the in-domain model is trained on the same representation it predicts on
  (one unit); by default the features are hashed word 1-2-grams of the negation-marked
  unit text (:func:`unit_features`);
- in-domain model: multinomial logistic regression, classes balanced, on at most
  ``max_fit_reviews`` scored reviews: those of lowest seeded rank of their id
  (:func:`review_rank`, a uniform sample);
- **cross-fitted**: reviews get one of ``folds`` seeded folds from their id
  (:func:`review_folds`); the units of a review in fold *f* are predicted by the model
  fitted without fold *f*, so no unit's call ever comes from a model that saw its own
  review's score. Unscored reviews get a fold too and are predicted the same way;
- **the same on every engine**: the sample and the folds depend only on review ids
  (``row_id``) and the seed, so engines that cut the input (``--chunksize``, Dask) build
  the sample part by part (:class:`FitSample`, merged), fit the fold models once
  (:func:`fit_domain`) and apply them part by part (:class:`DomainModel`, plain arrays):
  the calls equal a one-process run's;
- blend: ``log p = (1 - w) log p_shipped + w log p_domain`` (renormalised); a class with
  too few scored reviews to be learnt keeps the shipped model's log-probability.

A unit inherits nothing from its review's score directly: its call comes from its own
text, through a model that never saw that score. Deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32
from threadpoolctl import threadpool_limits

from feedback_nlp.sentiment.linear import LABELS, _marked_tokens

#: Fewest scored, usable reviews for adapting (below: the shipped model alone).
MIN_REVIEWS = 1000
#: Fewest scored reviews per class for that class to be learnt (at least two classes).
MIN_PER_CLASS = 30
#: Weight of the in-domain model in the log-linear blend.
DEFAULT_WEIGHT = 0.5
DEFAULT_FOLDS = 5
#: At most this many scored reviews fit the in-domain models (cost on big exports).
MAX_FIT_REVIEWS = 10_000
HASH_FEATURES = 2**20
C = 1.0
MAX_ITER = 100
TOL = 1e-3


def score_labels(scores: Sequence[float] | np.ndarray, scale: str = "nps") -> np.ndarray:
    """Review labels from scores: ``"stars"`` 1-2 / 3 / 4-5, ``"nps"`` (0-10) 0-6 / 7-8 /
    9-10 -> ``negative`` / ``neutral`` / ``positive``; missing scores give ``None``.

    >>> score_labels([1, 3, 5, float("nan")], "stars").tolist()
    ['negative', 'neutral', 'positive', None]
    >>> score_labels([6, 8, 9.5], "nps").tolist()
    ['negative', 'neutral', 'positive']
    """
    values = np.asarray(scores, dtype=float)
    low, high = (2.0, 4.0) if scale == "stars" else (6.0, 9.0)
    labels = np.select([values <= low, values < high, values >= high],
                       ["negative", "neutral", "positive"], "").astype(object)
    labels[np.isnan(values)] = None
    return labels


def _hash_columns(terms: Sequence[str] | np.ndarray) -> np.ndarray:
    """Column of each term, exactly as ``HashingVectorizer(n_features=HASH_FEATURES,
    alternate_sign=False)`` places it (signed 32-bit murmurhash3 of the UTF-8 bytes, seed
    0, absolute value modulo the width; ``abs(-2**31) % 2**20`` is 0 either way)."""
    hashes = np.fromiter((murmurhash3_32(term, 0) for term in terms), dtype=np.int64,
                         count=len(terms))
    return np.abs(hashes) % HASH_FEATURES


def hashed_features(token_lists: Sequence[list[str]]) -> sp.csr_matrix:
    """:func:`unit_features` from already computed negation-marked tokens (one list per
    unit, :func:`~feedback_nlp.sentiment.linear._marked_tokens`), e.g. the tokens the
    shipped model has just used: same matrix, bit for bit (a test checks it).

    Each distinct unigram and bigram is hashed once (pandas' hash-based factorize finds
    them), instead of once per occurrence; the bigram strings are built only for the
    distinct pairs.
    """
    n = len(token_lists)
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=n)
    flat = np.fromiter(chain.from_iterable(token_lists), dtype=object, count=int(lengths.sum()))
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
    codes, uniques = pd.factorize(flat)
    rows = [doc, np.zeros(0, dtype=np.int64)]
    cols = [_hash_columns(uniques)[codes], np.zeros(0, dtype=np.int64)]
    if len(codes) > 1:
        same = doc[1:] == doc[:-1]
        pair = codes[:-1][same].astype(np.int64) * len(uniques) + codes[1:][same]
        pair_codes, pairs = pd.factorize(pair)
        first, second = np.divmod(pairs.astype(np.int64), len(uniques))
        terms = [f"{a} {b}" for a, b in zip(uniques[first], uniques[second])]
        rows[1] = doc[:-1][same]
        cols[1] = _hash_columns(terms)[pair_codes]
    row, col = np.concatenate(rows), np.concatenate(cols)
    counts = sp.csr_matrix((np.ones(len(row), dtype=np.float32), (row, col)),
                           shape=(n, HASH_FEATURES))
    counts.sum_duplicates()
    counts.data = 1.0 + np.log(counts.data)
    return normalize(counts) if n else counts


def unit_features(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed word 1-2-grams of the negation-marked texts, sublinear tf, l2-normalised."""
    return hashed_features([_marked_tokens(text) for text in texts])


@dataclass
class Adaptation:
    """What :func:`adapt_units` did: ``proba`` (units x 3, columns :data:`LABELS`) and
    why it adapted or not (``adapted``, ``n_scored``, ``reason``, ``info``)."""

    proba: np.ndarray
    adapted: bool
    n_scored: int
    reason: str
    info: dict[str, Any] = field(default_factory=dict)
    code: str = "adapted"

    def message(self) -> str:
        """One line for the summary / report."""
        if self.adapted:
            return f"sentiment adapted on {self.n_scored:,} scored reviews"
        return f"sentiment not adapted: {self.reason}"


# ------------------------------------------------------------------ choice by review id
# Folds and the fit sample depend only on a review's id (its row_id: its position in the
# input) and the seed, never on its score or on how an engine cut the input, so one
# process, ``--chunksize`` and Dask fit the same models and give the same calls.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, uint64 -> uint64 (wrapping arithmetic)."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _review_hash(review_ids: Sequence[int] | np.ndarray, seed: int) -> np.ndarray:
    ids = np.asarray(review_ids, dtype=np.int64).astype(np.uint64)
    salt = _mix(np.array([seed % 2**64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return _mix(ids * _GOLDEN + salt)


def review_rank(review_ids: Sequence[int] | np.ndarray, seed: int) -> np.ndarray:
    """Seeded pseudo-random rank in [0, 1) of each review id: the fit sample is the
    ``cap`` scored reviews of lowest rank (a uniform sample, the same on every engine)."""
    return (_review_hash(review_ids, seed) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def review_folds(review_ids: Sequence[int] | np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Seeded fold of each review id. It depends on the id only, never on the score, so
    changing one review's score changes no other review's fold."""
    mixed = _mix(_review_hash(review_ids, seed) ^ _GOLDEN)
    return (mixed % np.uint64(folds)).astype(np.int64)


@dataclass
class FitSample:
    """The scored reviews an adaptation fits on: at most ``cap``, those of lowest
    :func:`review_rank`, in ``row_id`` order, with their labels and review vectors (the
    normalised weighted sum of their units' features, :data:`HASH_FEATURES` wide).

    Engines that cut the input build one per part (:func:`sample_reviews`) and
    :meth:`merge` them: the result does not depend on the cut. Memory: ``cap`` sparse
    review vectors.
    """

    row_ids: np.ndarray
    ranks: np.ndarray
    labels: np.ndarray
    vectors: sp.csr_matrix
    cap: int = MAX_FIT_REVIEWS
    #: rows a pre-pass cleaned and segmented to build it (its cost)
    rows_processed: int = 0

    @classmethod
    def empty(cls, cap: int | None = None) -> FitSample:
        cap = MAX_FIT_REVIEWS if cap is None else cap
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=object),
                   sp.csr_matrix((0, HASH_FEATURES)), cap)

    def __len__(self) -> int:
        return len(self.row_ids)

    @property
    def full(self) -> bool:
        """``cap`` reviews kept: reviews of higher rank than :attr:`below` cannot enter."""
        return len(self) >= self.cap

    @property
    def below(self) -> float:
        """Only reviews of lower rank can still enter (``inf`` while not full)."""
        return float(self.ranks.max()) if self.full and len(self) else float("inf")

    def merge(self, other: FitSample) -> FitSample:
        """The ``cap`` lowest-ranked reviews of both, in ``row_id`` order."""
        row_ids = np.concatenate([self.row_ids, other.row_ids])
        ranks = np.concatenate([self.ranks, other.ranks])
        keep = np.lexsort((row_ids, ranks))[:self.cap]
        keep = keep[np.argsort(row_ids[keep], kind="stable")]
        vectors = sp.vstack([self.vectors, other.vectors], format="csr")
        return FitSample(row_ids[keep], ranks[keep],
                         np.concatenate([self.labels, other.labels])[keep], vectors[keep],
                         self.cap, self.rows_processed + other.rows_processed)


def sample_reviews(review_ids: np.ndarray, review_labels: np.ndarray, unit_review: np.ndarray,
                   features: sp.spmatrix, unit_weights: np.ndarray, *, seed: int,
                   cap: int | None = None, below: float = float("inf")) -> FitSample:
    """:class:`FitSample` of one part: among its scored reviews (a label and at least one
    unit) of rank below ``below``, the ``cap`` of lowest rank.

    ``unit_review``: position (0..n_reviews-1) of each unit's review; ``features``: one
    row per unit. Only the chosen reviews' vectors are built.
    """
    cap = MAX_FIT_REVIEWS if cap is None else cap
    review_ids = np.asarray(review_ids, dtype=np.int64)
    labels = np.asarray(review_labels, dtype=object)
    scored = np.isin(labels, LABELS)
    has_unit = np.zeros(len(labels), dtype=bool)
    has_unit[unit_review] = True
    ranks = review_rank(review_ids, seed)
    pick = np.flatnonzero(scored & has_unit & (ranks < below))
    pick = pick[np.lexsort((review_ids[pick], ranks[pick]))][:cap]
    pick = pick[np.argsort(review_ids[pick], kind="stable")]
    position = np.full(len(labels), -1, dtype=np.int64)
    position[pick] = np.arange(len(pick))
    unit_position = position[unit_review]
    chosen = np.flatnonzero(unit_position >= 0)
    pool = sp.csr_matrix((np.asarray(unit_weights, dtype=np.float64)[chosen],
                          (unit_position[chosen], chosen)), shape=(len(pick), len(unit_review)))
    vectors = normalize(pool @ sp.csr_matrix(features)) if len(pick) else \
        sp.csr_matrix((0, HASH_FEATURES))
    return FitSample(review_ids[pick], ranks[pick], labels[pick].astype(object),
                     sp.csr_matrix(vectors), cap)


@dataclass(frozen=True)
class DomainModel:
    """The fitted in-domain models, plain numpy arrays (what engines ship to workers):
    fold ``f``'s logistic regression (``coef[f]``, ``intercept[f]``) on the hashed
    ``columns``, over the ``learnt`` classes. :meth:`apply` blends them into a part's unit
    probabilities: a unit gets the model of its review's fold, which never saw that
    review's score (reviews outside the fit sample: their fold's model, which never saw
    them at all)."""

    columns: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    learnt: tuple[str, ...]
    weight: float
    folds: int
    seed: int

    def to_arrays(self) -> dict[str, Any]:
        """Plain data: numpy arrays and numbers (e.g. in a ``ModelBundle``)."""
        return {"columns": self.columns, "coef": self.coef, "intercept": self.intercept,
                "learnt": list(self.learnt), "weight": self.weight, "folds": self.folds,
                "seed": self.seed}

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> DomainModel:
        return cls(np.asarray(arrays["columns"]), np.asarray(arrays["coef"]),
                   np.asarray(arrays["intercept"]), tuple(arrays["learnt"]),
                   float(arrays["weight"]), int(arrays["folds"]), int(arrays["seed"]))

    def apply(self, features: sp.spmatrix, unit_review_ids: np.ndarray,
              base_proba: np.ndarray) -> np.ndarray:
        """Adapted probabilities of units (``features``: one row per unit, full hashed
        width; ``unit_review_ids``: each unit's review id). Row by row: the result for a
        unit does not depend on the other rows passed with it."""
        base = np.asarray(base_proba, dtype=np.float64)
        matrix = sp.csr_matrix(features)[:, self.columns]
        unit_fold = review_folds(unit_review_ids, self.folds, self.seed)
        domain_log = np.log(np.clip(base, 1e-12, 1.0))  # classes not learnt: shipped value
        columns = [LABELS.index(c) for c in self.learnt]
        for f in range(self.folds):
            targets = unit_fold == f
            if not targets.any():
                continue
            decision = matrix[targets] @ self.coef[f].T + self.intercept[f]
            if decision.shape[1] == 1:  # two classes: sklearn's binary logistic model
                log_domain = np.hstack([-np.logaddexp(0.0, decision), -np.logaddexp(0.0, -decision)])
            else:
                log_domain = decision - logsumexp(decision, axis=1, keepdims=True)
            # rescaled to the shipped model's mass on the learnt classes, so that a class
            # not learnt is left as it was
            mass = np.log(np.clip(base[targets][:, columns].sum(axis=1, keepdims=True),
                                  1e-12, 1.0))
            part = domain_log[targets]
            part[:, columns] = log_domain + mass
            domain_log[targets] = part
        return _blend(base, domain_log, self.weight)


def fit_domain(sample: FitSample, *, weight: float = DEFAULT_WEIGHT, folds: int = DEFAULT_FOLDS,
               seed: int = 0, min_reviews: int = MIN_REVIEWS,
               min_per_class: int = MIN_PER_CLASS) -> tuple[DomainModel | None, str, str]:
    """Fit the ``folds`` in-domain models on a :class:`FitSample`; returns the model (or
    ``None``), a code (``adapted`` / ``too_few`` / ``too_uniform``) and the reason.

    A sample that is not full holds every scored review of the run, so its size is the
    run's count; a full one means at least ``cap`` (>= ``min_reviews``) of them.
    """
    counts = {c: int((sample.labels == c).sum()) for c in LABELS}
    if not sample.full and len(sample) < min_reviews:
        return None, "too_few", (f"{len(sample):,} scored reviews with text (at least "
                                 f"{min_reviews} needed)")
    learnt = [c for c in LABELS if counts[c] >= min_per_class]
    if len(learnt) < 2:
        return None, "too_uniform", (f"scores too uniform (fewer than {min_per_class} reviews "
                                     "in all classes but one)")
    fit = np.isin(sample.labels, learnt)
    vectors, labels = sample.vectors[fit], sample.labels[fit].astype(str)
    fold = review_folds(sample.row_ids[fit], folds, seed)
    # Only the columns at least two fitting reviews use: a column seen once cannot
    # generalise, and the solver's cost grows with the column count.
    columns = np.flatnonzero(np.bincount(vectors.indices, minlength=vectors.shape[1]) >= 2)
    vectors = vectors[:, columns]
    coefs, intercepts = [], []
    # One thread: on shared cores the solver's OpenMP/BLAS threads made a fit ~8x slower
    # (measured at load 12 on 2 cores), and one thread keeps the sums in a fixed order.
    with threadpool_limits(limits=1):
        for f in range(folds):
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=MAX_ITER, tol=TOL,
                                       random_state=seed)
            model.fit(vectors[fold != f], labels[fold != f])
            if list(model.classes_) != learnt:  # a class missing from this fold's reviews
                return None, "too_uniform", "a class too rare to learn in every fold"
            coefs.append(model.coef_)
            intercepts.append(model.intercept_)
    return (DomainModel(columns.astype(np.int64), np.stack(coefs), np.stack(intercepts),
                        tuple(learnt), weight, folds, seed), "adapted", "")


def _blend(base: np.ndarray, domain_log: np.ndarray, weight: float) -> np.ndarray:
    """``log p = (1 - w) log p_base + w log p_domain``, renormalised."""
    blended = (1.0 - weight) * np.log(np.clip(base, 1e-12, 1.0)) + weight * domain_log
    blended -= blended.max(axis=1, keepdims=True)
    proba = np.exp(blended)
    return proba / proba.sum(axis=1, keepdims=True)


def adapt_units(unit_review: Sequence[int] | np.ndarray, base_proba: np.ndarray,
                review_labels: Sequence[Any] | np.ndarray, *,
                unit_texts: Sequence[str] | None = None,
                features: sp.spmatrix | None = None,
                unit_weights: Sequence[float] | np.ndarray | None = None,
                review_ids: Sequence[int] | np.ndarray | None = None,
                weight: float = DEFAULT_WEIGHT, folds: int = DEFAULT_FOLDS, seed: int = 0,
                min_reviews: int = MIN_REVIEWS, min_per_class: int = MIN_PER_CLASS,
                max_fit_reviews: int | None = None) -> Adaptation:
    """Blend the shipped model's unit probabilities with a cross-fitted in-domain model.

    Parameters
    ----------
    unit_review
        For each unit, the position (0..n_reviews-1) of its review.
    base_proba
        Shipped-model probabilities of the units, shape ``(n_units, 3)``, columns
        :data:`LABELS`.
    review_labels
        Per review: ``negative`` / ``neutral`` / ``positive`` from its score
        (:func:`score_labels`), ``None`` when the review has no usable score.
    unit_texts, features
        The units' texts (features built with :func:`unit_features`) or a ready feature
        matrix, one row per unit.
    unit_weights
        Weight of each unit in its review's vector (default 1).
    review_ids
        Each review's id (its ``row_id``; default its position): folds and the fit sample
        are chosen by id (:func:`review_folds`, :func:`review_rank`).

    Returns
    -------
    Adaptation
        ``proba`` is ``base_proba`` unchanged when the run does not meet the threshold.
    """
    base = np.asarray(base_proba, dtype=np.float64)
    unit_review = np.asarray(unit_review, dtype=np.int64)
    labels = np.asarray(review_labels, dtype=object).copy()
    labels[~np.isin(labels, LABELS)] = None
    ids = np.arange(len(labels)) if review_ids is None else np.asarray(review_ids, np.int64)
    # A review counts only if it has at least one unit.
    has_unit = np.zeros(len(labels), dtype=bool)
    has_unit[unit_review] = True
    scored_reviews = np.isin(labels, LABELS) & has_unit
    n_scored = int(scored_reviews.sum())
    counts = {c: int((labels[scored_reviews] == c).sum()) for c in LABELS}
    info: dict[str, Any] = {"scored_reviews_by_label": counts, "weight": weight,
                            "folds": folds, "seed": seed, "min_reviews": min_reviews}
    if n_scored < min_reviews:  # before featurising: the common "too few" case is free
        return Adaptation(base, False, n_scored,
                          f"{n_scored:,} scored reviews with text (at least {min_reviews} needed)",
                          info, code="too_few")
    if features is None:
        if unit_texts is None:
            raise ValueError("adapt_units needs unit_texts or features")
        features = unit_features(unit_texts)
    weights = np.ones(len(unit_review)) if unit_weights is None else np.asarray(unit_weights, float)
    sample = sample_reviews(ids, labels, unit_review, features, weights, seed=seed,
                            cap=max_fit_reviews)
    model, code, reason = fit_domain(sample, weight=weight, folds=folds, seed=seed,
                                     min_reviews=min_reviews, min_per_class=min_per_class)
    if model is None:
        return Adaptation(base, False, n_scored, reason, info, code=code)
    proba = model.apply(features, ids[unit_review], base)
    info["classes_learnt"] = list(model.learnt)
    info["fit_reviews"] = int(np.isin(sample.labels, model.learnt).sum())
    return Adaptation(proba, True, n_scored, "", info)
