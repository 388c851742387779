"""Analyst curation of a fitted :class:`~feedback_nlp.topics.model.ThemeModel`: rename,
merge, exclude, split out. Each function edits the model it is given (``ThemeModel``'s
methods of the same names call them); :func:`feedback_nlp.topics.curate` works on a copy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from feedback_nlp.errors import ConfigError
from feedback_nlp.topics.clusters import normalise
from feedback_nlp.topics.embeddings import normalize_for_terms
from feedback_nlp.topics.keywords import count_terms, ctfidf_keywords


def check_ids(model: Any, ids: Iterable[int]) -> list[int]:
    """``ids`` as ints, each an existing, non-empty theme of ``model`` (else ``ConfigError``)."""
    model._check_fitted()
    ids = [int(i) for i in ids]
    for i in ids:
        if i not in model.theme_ids_ or model.sizes_[i] == 0:
            raise ConfigError(f"theme {i} does not exist.",
                              fix="use a theme_id from the themes table.")
    return ids


def rename(model: Any, theme_id: int, label: str, family: str | None = None) -> None:
    """Give a theme the analyst's label (and optionally a family label)."""
    (theme_id,) = check_ids(model, [theme_id])
    model.labels_[theme_id] = str(label)
    if family is not None:
        model.families_[theme_id] = family


def merge(model: Any, theme_ids: Sequence[int], label: str | None = None) -> None:
    """Merge themes into the first one; keywords are recomputed from pooled word counts."""
    ids = check_ids(model, theme_ids)
    keep, rest = ids[0], ids[1:]
    weights = model.sizes_[ids].astype(np.float32)
    model.centroids_[keep] = normalise((model.centroids_[ids] * weights[:, None]).sum(
        0, keepdims=True))[0]
    model.term_counts_[keep] = model.term_counts_[ids].sum(axis=0)
    model.sizes_[keep] = int(model.sizes_[ids].sum())
    for t in rest:
        model.sizes_[t] = 0
        model.term_counts_[t] = 0
        model.merged_into_[t] = keep
    model.keywords_[keep] = ctfidf_keywords(model.term_counts_, model.vocabulary_,
                                            model.n_keywords)[keep]
    if label is not None:
        model.labels_[keep] = str(label)


def exclude(model: Any, theme_ids: Sequence[int]) -> None:
    """Send themes to "Autre / non classé" (e.g. a theme of greetings)."""
    model.excluded_.update(check_ids(model, theme_ids))


def matches_terms(texts: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Which texts contain one of ``terms`` as whole words (accents and case ignored)."""
    def fold(text: str) -> str:
        text = unicodedata.normalize("NFKD", normalize_for_terms(str(text)))
        return " ".join(re.findall(r"\w+", "".join(c for c in text
                                                   if not unicodedata.combining(c))))

    wanted = [fold(t) for t in terms if fold(t)]
    if not wanted:
        raise ConfigError("split_out needs at least one non-empty term.",
                          fix='pass words such as ["colis perdu"].')
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in wanted) + r")\b")
    return np.array([bool(pattern.search(fold(t))) for t in texts], dtype=bool)


def split_out(model: Any, theme_id: int, terms: Sequence[str], label: str,
              texts: Sequence[str], vectors: np.ndarray) -> int:
    """Move a theme's opinions that contain one of ``terms`` into a new theme.

    ``texts`` are the opinions currently in ``theme_id`` and ``vectors`` their embeddings;
    see :meth:`ThemeModel.split_out`. Returns the new theme id.
    """
    (theme_id,) = check_ids(model, [theme_id])
    texts = [str(t) for t in texts]
    moved = matches_terms(texts, terms)
    if not moved.any():
        raise ConfigError(f"no opinion of theme {theme_id} contains "
                          f"{', '.join(map(repr, terms))}.",
                          fix="pick words that appear in the theme's verbatims (see its keywords).")
    if moved.all():
        raise ConfigError(f"every opinion of theme {theme_id} contains those terms: nothing "
                          "would stay in it.", fix="rename the theme instead.")
    counts = count_terms(model.vocabulary_, texts, getattr(model, "subjects_", False))
    new_id = len(model.theme_ids_)
    parts = {theme_id: ~moved, new_id: moved}
    model.centroids_ = np.vstack([model.centroids_, np.zeros((1, model.centroids_.shape[1]),
                                                             dtype=model.centroids_.dtype)])
    model.term_counts_ = np.vstack([model.term_counts_,
                                    np.zeros((1, model.term_counts_.shape[1]),
                                             dtype=model.term_counts_.dtype)])
    model.sizes_ = np.append(model.sizes_, 0).astype(np.int64)
    for t, mask in parts.items():
        model.centroids_[t] = normalise(vectors[mask].mean(axis=0, keepdims=True))[0]
        model.term_counts_[t] = np.asarray(counts[np.flatnonzero(mask)].sum(axis=0)).ravel()
        model.sizes_[t] = int(mask.sum())
    model.theme_ids_.append(new_id)
    keywords = ctfidf_keywords(model.term_counts_, model.vocabulary_, model.n_keywords)
    model.keywords_[theme_id] = keywords[theme_id]
    model.keywords_.append(keywords[new_id])
    model.families_.append(model.families_[theme_id] if getattr(model, "subjects_", False)
                           else model.taxonomy_.family_of(keywords[new_id],
                                                          model.term_counts_[new_id],
                                                          model.vocabulary_))
    if getattr(model, "family_scores_", None):  # empty when families came from words
        model.family_scores_.append(model.family_scores_[theme_id])
    model.labels_.append(str(label))
    return new_id
