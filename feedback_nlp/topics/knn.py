"""UMAP helpers: exact cosine kNN (instead of NN-descent) and the on-disk numba cache."""

from __future__ import annotations

import os

import numpy as np


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


def numba_warning() -> type[Warning]:
    """numba's warning class (``UserWarning`` when numba is absent), to silence it in fits."""
    try:
        from numba.core.errors import NumbaWarning
    except ImportError:
        return UserWarning
    return NumbaWarning
