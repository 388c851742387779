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
  ``max_fit_reviews`` scored reviews (seeded, stratified sample);
- **cross-fitted**: reviews are split into ``folds`` seeded folds;
  the units of a review in fold *f* are predicted by the model fitted without fold *f*,
  so no unit's call ever comes from a model that saw its own review's score. Unscored
  reviews get a fold too (seeded) and are predicted the same way;
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


def _folds(n_reviews: int, folds: int, seed: int) -> np.ndarray:
    """Seeded fold of each review. It depends on the review's position only, never on
    its score, so changing one review's score changes no other review's fold."""
    rng = np.random.default_rng(seed)
    fold = np.empty(n_reviews, dtype=np.int64)
    fold[rng.permutation(n_reviews)] = np.arange(n_reviews) % folds
    return fold


def _fit_sample(labels: np.ndarray, scored: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Scored reviews used for fitting: all, or a seeded label-stratified sample of cap."""
    index = np.flatnonzero(scored)
    if len(index) <= cap:
        return scored.copy()
    rng = np.random.default_rng(seed + 1)
    keep = np.zeros(len(labels), dtype=bool)
    for label in LABELS:
        cell = index[labels[index] == label]
        share = int(round(cap * len(cell) / len(index)))
        keep[rng.permutation(cell)[:share]] = True
    return keep


def _cross_fit(reviews: sp.csr_matrix, features: sp.csr_matrix, labels: np.ndarray,
               fit_mask: np.ndarray, fold: np.ndarray, unit_fold: np.ndarray, base: np.ndarray,
               domain_log: np.ndarray, learnt: list[str], folds: int, seed: int) -> None:
    """Fill ``domain_log`` (in place): units of fold f scored by the model fitted without
    fold f."""
    columns = [LABELS.index(c) for c in learnt]
    for f in range(folds):
        train = fit_mask & (fold != f)
        targets = unit_fold == f
        if not targets.any():
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=MAX_ITER, tol=TOL,
                                   random_state=seed)
        model.fit(reviews[train], labels[train].astype(str))
        order = [list(model.classes_).index(c) for c in learnt]
        # log-probabilities over the learnt classes, rescaled to the shipped model's mass
        # on those classes so that a class not learnt is left as it was
        log_domain = model.predict_log_proba(features[targets])[:, order]
        mass = np.log(np.clip(base[targets][:, columns].sum(axis=1, keepdims=True), 1e-12, 1.0))
        part = domain_log[targets]
        part[:, columns] = log_domain + mass
        domain_log[targets] = part


def _review_vectors(features: sp.csr_matrix, unit_review: np.ndarray, weights: np.ndarray,
                    n_reviews: int) -> sp.csr_matrix:
    """Each review's normalised weighted sum of its units' feature vectors."""
    pool = sp.csr_matrix((weights, (unit_review, np.arange(len(unit_review)))),
                         shape=(n_reviews, len(unit_review)))
    return normalize(pool @ features)


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
                weight: float = DEFAULT_WEIGHT, folds: int = DEFAULT_FOLDS, seed: int = 0,
                min_reviews: int = MIN_REVIEWS, min_per_class: int = MIN_PER_CLASS,
                max_fit_reviews: int = MAX_FIT_REVIEWS) -> Adaptation:
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

    Returns
    -------
    Adaptation
        ``proba`` is ``base_proba`` unchanged when the run does not meet the threshold.
    """
    base = np.asarray(base_proba, dtype=np.float64)
    unit_review = np.asarray(unit_review, dtype=np.int64)
    labels = np.asarray(review_labels, dtype=object)
    scored_reviews = np.isin(labels, LABELS)
    labels = labels.copy()
    labels[~scored_reviews] = None
    # A review counts only if it has at least one unit.
    has_unit = np.zeros(len(labels), dtype=bool)
    has_unit[unit_review] = True
    scored_reviews &= has_unit
    n_scored = int(scored_reviews.sum())
    counts = {c: int((labels[scored_reviews] == c).sum()) for c in LABELS}
    info: dict[str, Any] = {"scored_reviews_by_label": counts, "weight": weight,
                            "folds": folds, "seed": seed, "min_reviews": min_reviews}
    learnt = [c for c in LABELS if counts[c] >= min_per_class]
    if n_scored < min_reviews:
        return Adaptation(base, False, n_scored,
                          f"{n_scored:,} scored reviews with text (at least {min_reviews} needed)",
                          info, code="too_few")
    if len(learnt) < 2:
        return Adaptation(base, False, n_scored,
                          f"scores too uniform (fewer than {min_per_class} reviews in all "
                          "classes but one)", info, code="too_uniform")
    if features is None:
        if unit_texts is None:
            raise ValueError("adapt_units needs unit_texts or features")
        features = unit_features(unit_texts)
    weights = np.ones(len(unit_review)) if unit_weights is None else np.asarray(unit_weights, float)
    reviews = _review_vectors(features := sp.csr_matrix(features), unit_review, weights, len(labels))
    fold = _folds(len(labels), folds, seed)
    fit_mask = _fit_sample(labels, scored_reviews, max_fit_reviews, seed)
    fit_mask &= np.isin(labels, learnt)
    # Only the columns at least two fitting reviews use: a column seen once cannot
    # generalise, and the solver's cost grows with the column count.
    fitted = reviews[fit_mask]
    frequent = np.flatnonzero(np.bincount(fitted.indices, minlength=fitted.shape[1]) >= 2)
    features, reviews = features[:, frequent], reviews[:, frequent]
    domain_log = np.log(np.clip(base, 1e-12, 1.0))  # classes not learnt keep the shipped value
    unit_fold = fold[unit_review]
    # One thread: on shared cores the solver's OpenMP/BLAS threads made a fit ~8x slower
    # (measured at load 12 on 2 cores), and one thread keeps the sums in a fixed order.
    with threadpool_limits(limits=1):
        _cross_fit(reviews, features, labels, fit_mask, fold, unit_fold, base, domain_log,
                   learnt, folds, seed)
    proba = _blend(base, domain_log, weight)
    info["classes_learnt"] = learnt
    info["fit_reviews"] = int(fit_mask.sum())
    return Adaptation(proba, True, n_scored, "", info)
