"""A saved theme model (``model.json`` + ``weights.safetensors``) is data: every value is
checked before use, with one-line ``[E301]`` errors naming the key (issue 18).

A hand-edited ``model.json`` (an extra parameter, ``threshold: "abc"``, theme ids that do
not match the weights) or a cut ``weights.safetensors`` used to end in internal errors;
``params.embedding`` used to choose any folder on disk to load as an embedding. Now the
embedding a saved model names must be one of the shipped ones, or a folder the caller
passes explicitly.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.errors import ModelLoadError

#: Embedding names a saved model may carry without the caller passing a folder.
SHIPPED_EMBEDDINGS = re.compile(r"default|lsa|aspects|aspects-fr|aspects-e5|spacy|spacy:fr_core_news_(?:sm|md|lg)")
_FIX = "pass the theme_model folder written by analyze/save (a hand-edited model.json is refused)."
_NULLABLE = frozenset({"min_theme_size", "taxonomy", "max_theme_share"})


def _bad(path: Path, key: str, why: str) -> ModelLoadError:
    return ModelLoadError(f"theme model {path}: {key} {why}.", fix=_FIX)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(state: dict[str, Any], key: str, path: Path) -> list[int]:
    value = state.get(key)
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise _bad(path, key, "must be a list of integers")
    return value


def _str_list(state: dict[str, Any], key: str, path: Path) -> list[str]:
    value = state.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(path, key, "must be a list of strings")
    return value


def _int_map(state: dict[str, Any], key: str, path: Path) -> dict[int, int]:
    value = state.get(key, {})
    if not isinstance(value, dict):
        raise _bad(path, key, "must be a mapping of integers")
    out = {}
    for k, v in value.items():
        try:
            out[int(k)] = v
        except (TypeError, ValueError):
            raise _bad(path, key, f"has a key {k!r} that is not an integer") from None
        if not _is_int(v):
            raise _bad(path, key, f"maps {k!r} to {v!r}, not an integer")
    return out


def check_params(params: Any, defaults: dict[str, Any], path: Path) -> None:
    """``params`` holds only known constructor arguments, each of its default's type."""
    if not isinstance(params, dict):
        raise _bad(path, "params", "must be a mapping")
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise _bad(path, "params", f"holds unknown parameter(s) {', '.join(map(str, unknown))}")
    for key, value in params.items():
        default = defaults[key]
        if value is None and (key in _NULLABLE or default is None):
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif _is_int(default):
            ok = _is_int(value)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value)
        elif isinstance(default, str) or default is None:
            ok = isinstance(value, str)
        else:
            ok = True
        if not ok:
            raise _bad(path, f"params.{key}", f"is {value!r}, not a valid value")


def check_state(state: Any, tensors: dict[str, np.ndarray], path: Path,
                defaults: dict[str, Any]) -> None:
    """Types of every value of ``model.json`` and shapes against the weights."""
    if not isinstance(state, dict):
        raise _bad(path, "model.json", "is not a JSON object")
    check_params(state.get("params"), defaults, path)
    threshold = state.get("threshold")
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) \
            or not math.isfinite(threshold) or not -1 <= threshold <= 1:
        raise _bad(path, "threshold", f"is {threshold!r}, not a number between -1 and 1")
    if not _is_int(state.get("n_fit")) or state["n_fit"] < 0:
        raise _bad(path, "n_fit", "must be a non-negative integer")
    if not isinstance(state.get("embedding_name"), str):
        raise _bad(path, "embedding_name", "must be a string")
    if not isinstance(state.get("taxonomy"), dict):
        raise _bad(path, "taxonomy", "must be a mapping")
    for name in ("centroids", "term_counts", "sizes"):
        if name not in tensors:
            raise _bad(path, "weights.safetensors", f"has no {name!r} tensor")
    centroids, counts, sizes = tensors["centroids"], tensors["term_counts"], tensors["sizes"]
    if centroids.ndim != 2 or counts.ndim != 2 or sizes.ndim != 1:
        raise _bad(path, "weights.safetensors", "has tensors of the wrong rank")
    n = sizes.shape[0]
    if centroids.shape[0] != n or counts.shape[0] != n:
        raise _bad(path, "weights.safetensors", f"has {centroids.shape[0]} centroids, "
                   f"{counts.shape[0]} term-count rows and {n} sizes")
    if not np.isfinite(centroids).all() or not np.isfinite(counts).all():
        raise _bad(path, "weights.safetensors", "holds NaN or infinite values")
    labels = _str_list(state, "labels", path)
    families = state.get("families")  # a theme may have no family (None)
    if not isinstance(families, list) or not all(f is None or isinstance(f, str) for f in families):
        raise _bad(path, "families", "must be a list of strings (or null)")
    vocabulary = _str_list(state, "vocabulary", path)
    keywords = state.get("keywords")
    if not isinstance(keywords, list) or not all(
            isinstance(k, list) and all(isinstance(w, str) for w in k) for k in keywords):
        raise _bad(path, "keywords", "must be a list of lists of strings")
    for key, value in (("labels", labels), ("families", families), ("keywords", keywords)):
        if len(value) != n:
            raise _bad(path, key, f"has {len(value)} entries for {n} themes in the weights")
    if counts.shape[1] != len(vocabulary):
        raise _bad(path, "vocabulary", f"has {len(vocabulary)} words for {counts.shape[1]} "
                   "term-count columns in the weights")
    valid = set(range(n))
    for key in ("theme_ids", "excluded"):
        outside = sorted(set(_int_list(state, key, path)) - valid)
        if outside:
            raise _bad(path, key, f"names theme(s) {outside[:5]} absent from the weights "
                       f"(0 to {n - 1})")
    for key, allowed in (("id_map", valid | {-1}), ("merged_into", valid)):
        mapping = _int_map(state, key, path)
        if key == "merged_into":
            outside = sorted((set(mapping) | set(mapping.values())) - allowed)
        else:
            outside = sorted(set(mapping.values()) - allowed)
        if outside:
            raise _bad(path, key, f"names theme(s) {outside[:5]} absent from the weights")


def resolve_embedding(saved: Any, explicit: str | None, path: Path) -> str:
    """The embedding to use with a loaded model: the caller's folder when given, else the
    saved name only if it is a shipped one (a model folder never chooses a path to load)."""
    if explicit is not None and explicit not in ("default", ""):
        return explicit
    if isinstance(saved, str) and SHIPPED_EMBEDDINGS.fullmatch(saved):
        return saved
    raise ModelLoadError(
        f"theme model {path} was fitted with the embedding {str(saved)[:80]!r}, which is not "
        "shipped: a saved model does not choose a folder to load.",
        fix="pass that embedding folder explicitly (ThemeModel.load(dir, embedding=FOLDER), "
        "or [themes] embedding = FOLDER with the model).",
    )
