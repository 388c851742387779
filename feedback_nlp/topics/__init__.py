"""French theme modelling with BERTopic: opinion-level themes, taxonomy families, curation.

``annotate(analysis, config)`` is the pipeline stage: it embeds every opinion unit once,
fits a :class:`~feedback_nlp.topics.model.ThemeModel` (or applies the saved one named by
``config.themes.model``), and fills ``segments.theme_id/theme_label``,
``documents.theme_ids/theme_labels``, ``analysis.themes`` and ``analysis.theme_model`` of a
new analysis (``dataclasses.replace``: the one passed in is left untouched, as by
:func:`curate`).

Modules: :mod:`.model` (``ThemeModel``), :mod:`.keywords`, :mod:`.labels`, :mod:`.knn`,
:mod:`.clusters`, :mod:`.curation`, :mod:`.embeddings`, :mod:`.taxonomy`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.topics.constants import (
    GENERAL_FAMILY,
    GENERAL_ID,
    GENERAL_LABEL,
    OTHER_FAMILY,
    OTHER_ID,
    OTHER_LABEL,
)
from feedback_nlp.topics.model import ThemeModel

__all__ = ["ThemeModel", "annotate", "assign", "curate", "repetition_note", "themes_table",
           "OTHER_ID",
           "OTHER_LABEL", "GENERAL_ID", "GENERAL_LABEL"]

THEME_COLUMNS = ["theme_id", "label", "family", "keywords", "n_segments", "n_documents", "share",
                 "negative_share", "neutral_share", "positive_share", "net_sentiment", "examples"]


def _model_from_config(config: Any) -> ThemeModel:
    themes = config.themes
    saved = getattr(themes, "model", None)
    if saved:  # the model's embedding folder only when the config names it (issue 18)
        return ThemeModel.load(saved, embedding=getattr(themes, "embedding", None))
    return ThemeModel.from_config(themes, seed=config.seed)


def annotate(analysis: Any, config: Any, progress: Any = None) -> Any:
    """Fill theme columns and the ``themes`` table of a :class:`FeedbackAnalysis`.

    Works with or without sentiment columns in ``segments`` (sentiment shares are NaN
    without them). Returns the same analysis object, updated.
    """
    from feedback_nlp._progress import SilentProgress
    from feedback_nlp.topics.embeddings import get_embedder

    progress = progress if progress is not None else SilentProgress()
    segments = analysis.segments.copy()
    model = _model_from_config(config)
    texts = segments["text"].astype(str).tolist() if "text" in segments else []
    if len(texts) == 0:
        ids = np.zeros(0, dtype=np.int64)
        vectors = np.zeros((0, 1), dtype=np.float32)
    else:
        with progress.stage("Plongements", total=len(texts)) as step:
            vectors = get_embedder(model.embedding).embed(texts)
            step.advance(len(texts))
        with progress.stage("Thèmes", total=len(texts)) as step:
            if hasattr(model, "centroids_"):
                ids = model.transform(texts, vectors)
            else:
                ids = model.fit_transform(texts, vectors)
            step.advance(len(texts))
    return _write_columns(analysis, segments, ids, model, vectors,
                          theme_model=model if hasattr(model, "centroids_") else None)


def repetition_note(analysis: Any, config: Any) -> dict[str, Any] | None:
    """A note when the corpus is too repetitive to form themes, else ``None``.

    Themes are clustered from *distinct* opinion texts (copies are fitted once): with at
    least ``small_corpus`` (300) opinions but fewer distinct texts than that, clustering
    cannot run, and every opinion ends in the few taxonomy matches of those texts or in
    "Autre". Rows all keep their status; the note says why (summary.json ``themes_note``,
    the CLI summary, the report). Only for themes fitted in this run.
    """
    themes = getattr(config, "themes", None)
    if themes is None or not themes.enabled or getattr(themes, "model", None):
        return None
    segments = analysis.segments
    minimum = int(getattr(analysis.theme_model, "small_corpus", 0) or ThemeModel().small_corpus)
    if len(segments) < minimum:
        return None
    distinct = getattr(analysis.theme_model, "n_fit_", None)
    if distinct is None:
        if "text" not in segments.columns:
            return None
        distinct = int(segments["text"].astype(str).str.strip().str.lower().nunique())
    if distinct >= minimum:
        return None
    n_themes = int((analysis.themes["theme_id"] >= 0).sum()) \
        if "theme_id" in analysis.themes.columns else 0
    return {"code": "repetitive_corpus", "opinions": int(len(segments)),
            "distinct_opinions": int(distinct), "minimum": minimum, "themes": n_themes}


def _labels(model: Any) -> dict[int, str]:
    """Theme id -> label of a fitted model, the general-satisfaction bucket included."""
    if not hasattr(model, "centroids_"):
        return {}
    table = model.themes_table()
    return {**dict(zip(table["theme_id"].astype(int).tolist(), table["label"], strict=True)),
            GENERAL_ID: GENERAL_LABEL}


def _theme_columns(documents: pd.DataFrame, segments: pd.DataFrame, ids: np.ndarray,
                   labels: dict[int, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies of ``documents`` and ``segments`` with the theme columns of ``ids``.

    ``segments.theme_id/theme_label`` for every unit; ``documents.theme_ids`` (sorted,
    distinct, themes only: neither -1 nor the general-satisfaction bucket -2) and
    ``theme_labels``.
    """
    segments = segments.copy()
    segments["theme_id"] = np.asarray(ids, dtype=np.int64)
    segments["theme_label"] = [labels.get(int(t), OTHER_LABEL) for t in ids]
    documents = documents.copy()
    per_doc: dict[Any, list[int]] = {}
    for row_id, theme in zip(segments["row_id"].tolist(), segments["theme_id"].tolist(),
                             strict=True):
        if theme != OTHER_ID and theme != GENERAL_ID:
            themes = per_doc.setdefault(row_id, [])
            if theme not in themes:
                themes.append(int(theme))
    documents["theme_ids"] = [sorted(per_doc.get(r, [])) for r in documents["row_id"].tolist()]
    documents["theme_labels"] = [[labels.get(t, OTHER_LABEL) for t in ids_]
                                 for ids_ in documents["theme_ids"]]
    return documents, segments


def assign(model: ThemeModel, documents: pd.DataFrame,
           segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tag new ``documents``/``segments`` with a fitted model (no refit): the theme columns
    of the contract, as :func:`annotate` writes them. Used by the Dask/Spark engine."""
    from feedback_nlp.topics.embeddings import get_embedder

    texts = segments["text"].astype(str).tolist() if "text" in segments.columns else []
    ids = model.transform(texts, get_embedder(model.embedding).embed(texts)) if texts \
        else np.zeros(0, dtype=np.int64)
    return _theme_columns(documents, segments, np.asarray(ids, dtype=np.int64), _labels(model))


def _write_columns(analysis: Any, segments: pd.DataFrame, ids: np.ndarray, model: ThemeModel,
                   vectors: np.ndarray, theme_model: Any) -> Any:
    """A copy of ``analysis`` with the theme columns, ``themes`` and ``theme_model`` set."""
    documents, segments = _theme_columns(analysis.documents, segments, ids, _labels(model))
    return dataclasses.replace(analysis, segments=segments, documents=documents,
                               themes=themes_table(documents, segments, model, vectors),
                               theme_model=theme_model)


def themes_table(documents: pd.DataFrame, segments: pd.DataFrame, model: ThemeModel | None,
                 vectors: np.ndarray | None = None, n_examples: int = 4) -> pd.DataFrame:
    """The ``themes`` table (see module doc); theme ``-1`` last, the rest by size."""
    if model is None or not hasattr(model, "centroids_"):
        info = pd.DataFrame(columns=["theme_id", "label", "family", "keywords"])
    else:
        info = model.themes_table().drop(columns="size")
    info = pd.concat([info, pd.DataFrame([
        {"theme_id": GENERAL_ID, "label": GENERAL_LABEL, "family": GENERAL_FAMILY, "keywords": ""},
        {"theme_id": OTHER_ID, "label": OTHER_LABEL, "family": OTHER_FAMILY, "keywords": ""}])],
        ignore_index=True)
    usable = int((documents.get("text_status", pd.Series(dtype=object)) == "ok").sum())
    has_sentiment = "sentiment" in segments.columns
    rows: list[dict[str, Any]] = []
    theme_of = segments["theme_id"].to_numpy() if "theme_id" in segments else np.zeros(0)
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()}
                                     for r in info.to_dict(orient="records")]
    for record in records:
        mask = theme_of == record["theme_id"]
        members = segments.loc[mask]
        n_seg = int(mask.sum())
        n_doc = int(members["row_id"].nunique()) if n_seg else 0
        shares: dict[str, float] = {"negative_share": np.nan, "neutral_share": np.nan, "positive_share": np.nan,
                  "net_sentiment": np.nan}
        if has_sentiment and n_seg:
            counts = members["sentiment"].value_counts()
            known = int(counts.sum())
            if known:
                for name in ("negative", "neutral", "positive"):
                    shares[f"{name}_share"] = float(counts.get(name, 0) / known)
                shares["net_sentiment"] = round(100.0 * (shares["positive_share"]
                                                         - shares["negative_share"]), 1)
        examples = _examples(members, vectors[mask] if vectors is not None and len(vectors)
                             == len(segments) else None, model, int(record["theme_id"]), n_examples)
        rows.append({**record, "n_segments": n_seg, "n_documents": n_doc,
                     "share": n_doc / usable if usable else np.nan, **shares,
                     "examples": examples})
    table = pd.DataFrame(rows, columns=THEME_COLUMNS)
    table = table[(table["n_segments"] > 0) | (table["theme_id"] >= 0)]
    # Themes by size, then the general-satisfaction bucket, then "Autre / non classé".
    order = np.lexsort((table["theme_id"].to_numpy(), -table["n_segments"].to_numpy(),
                        (table["theme_id"] == GENERAL_ID).to_numpy(),
                        (table["theme_id"] == OTHER_ID).to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _examples(members: pd.DataFrame, vectors: np.ndarray | None, model: ThemeModel | None,
              theme_id: int, n: int) -> list[str]:
    """3-5 representative (closest to the centroid), distinct, readable verbatims."""
    if members.empty:
        return []
    texts = members["text"].astype(str).tolist()
    order = np.arange(len(texts))
    if vectors is not None and model is not None and theme_id >= 0 \
            and hasattr(model, "centroids_"):
        order = np.argsort(-(vectors @ model.centroids_[theme_id]), kind="stable")
    picked: list[str] = []
    for pass_min in (25, 1):
        for i in order:
            text = texts[i].strip()
            if len(text) >= pass_min and len(text) <= 300 and text not in picked:
                picked.append(text)
            if len(picked) >= n:
                return picked
    return picked


def curate(analysis: Any, *, rename: dict[int, str] | None = None,
           merge: list[list[int]] | None = None, exclude: list[int] | None = None,
           split: dict[int, tuple[Sequence[str], str]] | None = None) -> Any:
    """Apply analyst edits to a copy of ``analysis.theme_model``: a new analysis.

    Parameters
    ----------
    rename : dict, optional
        ``{theme_id: "nouveau libellé"}``.
    merge : list of lists, optional
        Groups of theme ids; each group is merged into its first id.
    exclude : list, optional
        Themes sent to "Autre / non classé".
    split : dict, optional
        ``{theme_id: (terms, "nouveau libellé")}``: the theme's opinions that contain one
        of ``terms`` (whole words, accents and case ignored) become a new theme, e.g.
        ``{4: (["colis perdu", "jamais reçu"], "Livraison — colis perdus")}``.
        Applied after merges, before renames and exclusions.

    Returns
    -------
    A new analysis with ``segments``, ``documents``, ``themes`` and ``theme_model``
    updated; ``analysis`` and its model are left untouched (the model is copied first),
    the vectorizer settings and vocabulary are kept.
    """
    if analysis.theme_model is None:
        from feedback_nlp.errors import NotFittedError

        raise NotFittedError("this analysis has no theme model to curate.",
                             fix="run analyze() with themes enabled first.")
    model = analysis.theme_model.copy()
    before = analysis.segments["theme_id"].to_numpy()
    for group in merge or []:
        model.merge(group)
    current = model.current_ids(before)
    from feedback_nlp.topics.embeddings import get_embedder

    texts = analysis.segments["text"].astype(str).tolist()
    vectors = get_embedder(model.embedding).embed(texts) if texts else None
    for theme_id, (terms, label) in (split or {}).items():
        if isinstance(terms, str):
            terms = [terms]
        members = np.flatnonzero(current == int(theme_id))
        member_texts = [texts[i] for i in members]
        new_id = model.split_out(int(theme_id), terms, label, member_texts,
                                 None if vectors is None else vectors[members])
        current[members[model.matches_terms(member_texts, terms)]] = new_id
    for theme_id, label in (rename or {}).items():
        model.rename(theme_id, label)
    if exclude:
        model.exclude(exclude)
    after = model.current_ids(current)
    return _write_columns(analysis, analysis.segments.copy(), after, model,
                          vectors if vectors is not None else np.zeros((0, 1)), theme_model=model)
