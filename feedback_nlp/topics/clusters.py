"""Cluster post-processing: outlier threshold, share cap (split large themes, merge small
ones back to the theme limit). Pure functions on theme ids and L2-normalised vectors."""

from __future__ import annotations

import numpy as np

from feedback_nlp.topics.constants import OTHER_ID


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def outlier_threshold(topics: np.ndarray, vectors: np.ndarray, max_unassigned: float) -> float:
    """Cosine threshold that leaves at most ``max_unassigned`` of opinions unassigned."""
    ids = sorted(set(topics.tolist()) - {OTHER_ID})
    centroids = normalise(np.stack([vectors[topics == t].mean(axis=0) for t in ids]))
    outliers = topics == OTHER_ID
    best = (vectors[outliers] @ centroids.T).max(axis=1)
    allowed = int(max_unassigned * 0.8 * len(topics))  # margin for new data
    if allowed >= len(best):
        return 0.3
    cut = float(np.sort(best)[::-1][len(best) - allowed - 1])
    return min(0.3, max(cut, 0.0))


def split_large(topics: np.ndarray, vectors: np.ndarray, cap: float | None,
                random_state: int) -> np.ndarray:
    """Split every theme above ``cap`` (a share of the opinions) by seeded k-means.

    A theme of ``share`` is cut into ``ceil(share / cap)`` parts by k-means on its opinions'
    L2-normalised embeddings; the parts get new topic ids. Three rounds at most, as k-means
    parts can still be uneven. Unassigned opinions (-1) are not touched. Only the clustering
    path applies it (small corpora use taxonomy matching).
    """
    from sklearn.cluster import KMeans

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
            points = normalise(np.asarray(vectors[members], dtype=np.float64))
            parts = KMeans(n_clusters=k, n_init=4, random_state=random_state).fit_predict(points)
            # Part 0 keeps the theme's id, parts 1..k-1 get new ids in k-means order.
            for part in range(1, k):
                topics[members[parts == part]] = next_id
                next_id += 1
    return topics


def merge_small(topics: np.ndarray, vectors: np.ndarray, limit: int,
                cap: float | None) -> np.ndarray:
    """Bring the theme count back to ``limit`` after :func:`split_large`.

    The smallest theme joins the theme with the closest centroid among those it can join
    without going above ``cap``; repeated until ``limit`` themes remain or no merge keeps
    every theme under the cap (then the count stays above the limit).
    """
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
        centroid = normalise(sums[smallest][None, :])[0]
        sims = normalise(np.stack([sums[t] for t in others])) @ centroid
        target = others[int(np.argmax(sims))]
        topics[members[smallest]] = target
        members[target] = np.concatenate([members[target], members.pop(smallest)])
        sums[target] = sums[target] + sums.pop(smallest)
    return topics
