"""Row preparation: clean texts, parse scores and dates, give every row its status.

:func:`prepare_documents` is the first per-row stage (see :mod:`feedback_nlp.stages`);
:func:`mark_duplicate_ids` notes ids repeated across parts that engines processed apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedback_nlp import clean as clean_mod
from feedback_nlp import scores as scores_mod
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.dates import parse_dates_noted

_STATUS_FIX = {
    "empty": "réponse vide : rien à analyser",
    "noise": "réponse non informative ({detail}) : exclue des thèmes",
    "not_french": "texte non français ({detail}) : exclu de l'analyse de texte",
    "missing_score": "score manquant : ligne exclue du calcul NPS, remplir la colonne {column}",
    "invalid_score": "score {raw!r} {why} : corriger la valeur dans la colonne {column}",
}

def prepare_documents(frame: pd.DataFrame, config: AnalysisConfig, *,
                      columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Clean texts, parse scores and dates, and give every row its status.

    Pure function of one partition (used as is by streaming and Dask): ``frame`` is the
    output of :func:`~feedback_nlp.io.read_feedback`. Adds ``clean_text``,
    ``text_status``, ``score`` (float), ``score_status``, ``nps_class``, ``status``,
    ``status_detail`` and ``truncated``; ``text`` is PII-masked unless
    ``config.keep_raw_text``.
    """
    columns = columns or dict(frame.attrs.get("columns", {}))
    out = frame.copy()
    raw = out["text"].astype(object).where(out["text"].notna(), "").astype(str)
    lengths = raw.str.len()
    limit = config.max_text_chars
    truncated = lengths > limit
    # Cleaning a 10 MB cell would take seconds for nothing: NLP sees the first `limit`
    # characters; the full (masked) text stays in `text`.
    to_clean = raw.where(~truncated, raw.str.slice(0, limit))
    # The originals and the cleaned texts are mostly the same text at PII masking: one
    # memo for both.
    pii_cache: dict[str, str] = {}
    out["clean_text"] = clean_mod.clean_series(to_clean, pii_cache=pii_cache).to_numpy()
    out["truncated"] = truncated.to_numpy()
    if not config.keep_raw_text:
        out["text"] = _mask_originals(raw, pii_cache)

    statuses = _text_statuses(out["clean_text"].tolist(), config.check_language)
    out["text_status"] = [s for s, _ in statuses]
    text_detail = [d for _, d in statuses]

    score_scale = scores_mod.STAR_SCALE if config.score_scale == "stars" else scores_mod.NPS_SCALE
    if "score" in out.columns:
        parsed = scores_mod.parse_scores(out["score"], score_scale,
                                         column=columns.get("score", "score"))
        out = out.rename(columns={"score": "score_raw"})
        out["score"] = parsed["value"].to_numpy()
        out["score_status"] = parsed["status"].to_numpy()
        out["nps_class"] = scores_mod.nps_class(out["score"], scale=config.score_scale).to_numpy()
    for name, scale in (("csat", scores_mod.CSAT_SCALE), ("ces", scores_mod.CES_SCALE)):
        if name in out.columns:
            parsed = scores_mod.parse_scores(out[name], scale)
            out = out.rename(columns={name: f"{name}_raw"})
            out[name] = parsed["value"].to_numpy()
            out[f"{name}_status"] = parsed["status"].to_numpy()
    if "date" in out.columns:
        out = out.rename(columns={"date": "date_raw"})
        dates, date_notes = parse_dates_noted(out["date_raw"])
        out["date"] = dates.to_numpy()
    else:
        date_notes = []

    out["status"], detail = _row_status(out, text_detail, columns)
    if any(date_notes):  # month-first or month-only dates: said, never silent
        detail = [f"{d}; {n}" if d and n else d or n for d, n in zip(detail, date_notes)]
    out["status_detail"] = detail
    return mark_duplicate_ids(out)


def _text_statuses(texts: list[str], check_language: bool) -> list[tuple[str, str]]:
    """:func:`~feedback_nlp.clean.text_status` of each text, computed once per distinct
    text (exports repeat answers; the language check is the costly part)."""
    cache: dict[str, tuple[str, str]] = {}
    statuses = []
    for text in texts:
        hit = cache.get(text)
        if hit is None:
            hit = clean_mod.text_status(text, check_language=check_language)
            cache[text] = hit
        statuses.append(hit)
    return statuses


def _mask_originals(raw: pd.Series, pii_cache: dict[str, str]) -> list[str]:
    cache: dict[str, str] = {}
    mask = clean_mod.memoized_mask_pii(pii_cache)
    masked = []
    for text in raw.tolist():
        hit = cache.get(text)
        if hit is None:
            hit = mask(clean_mod.normalize_unicode(text))
            cache[text] = hit
        masked.append(hit)
    return masked


def _row_status(out: pd.DataFrame, text_detail: list[str],
                columns: dict[str, str]) -> tuple[list[str], list[str]]:
    text_status = out["text_status"].tolist()
    has_score = "score_status" in out.columns
    score_status = out["score_status"].tolist() if has_score else [None] * len(out)
    raw_scores = out["score_raw"].tolist() if has_score else [None] * len(out)
    extra_notes = _notes(out)
    status, detail = [], []
    score_column = columns.get("score", "score")
    for t_status, t_detail, s_status, raw, note in zip(
        text_status, text_detail, score_status, raw_scores, extra_notes
    ):
        if t_status != "ok":
            row_status = t_status
            text = _STATUS_FIX[t_status].format(detail=t_detail)
        elif s_status in ("missing",):
            row_status = "missing_score"
            text = _STATUS_FIX["missing_score"].format(column=score_column)
        elif s_status in ("invalid", "out_of_range"):
            row_status = "invalid_score"
            why = "hors de l'échelle" if s_status == "out_of_range" else "illisible"
            text = _STATUS_FIX["invalid_score"].format(raw=str(raw)[:40], why=why, column=score_column)
        else:
            row_status, text = "ok", ""
        if note:
            text = f"{text}; {note}" if text else note
        status.append(row_status)
        detail.append(text)
    return status, detail


def _notes(out: pd.DataFrame) -> list[str]:
    notes: list[list[str]] = [[] for _ in range(len(out))]
    for idx, flag in enumerate(out["truncated"].tolist()):
        if flag:
            notes[idx].append("texte tronqué pour l'analyse (texte complet conservé)")
    if "score_status" in out.columns and "text_status" in out.columns:
        for idx, (t, s) in enumerate(zip(out["text_status"].tolist(), out["score_status"].tolist())):
            if t != "ok" and s in ("invalid", "out_of_range"):
                notes[idx].append("score invalide")
    if "date" in out.columns:
        bad = out["date"].isna() & (out["date_raw"].astype(str).str.strip() != "")
        for position in np.flatnonzero(bad.to_numpy()):
            idx = int(position)
            notes[idx].append(f"date illisible ({str(out['date_raw'].iloc[idx])[:30]!r})")
    return ["; ".join(n) for n in notes]


def _duplicate_note(value: object) -> str:
    return f"identifiant {str(value)[:30]!r} en double"


def mark_duplicate_ids(documents: pd.DataFrame, seen: set[str] | None = None) -> pd.DataFrame:
    """Note every row whose ``id`` is repeated, across parts processed separately.

    :func:`prepare_documents` notes the ids repeated inside the frame it gets; engines
    that cut the input (worker processes, Dask partitions, streaming chunks) call this on
    the reassembled ``documents`` so that an id repeated in two parts is noted too, as in
    a one-process run. With ``seen`` (streaming: the ids of earlier chunks, updated in
    place), rows whose id appeared in an earlier chunk are noted as well; the earlier row,
    already written, keeps its note-free ``status_detail``. Rows are never dropped or
    re-statused: the note only tells the analyst. Idempotent.
    """
    if "id" not in documents.columns or "status_detail" not in documents.columns or not len(documents):
        return documents
    ids = documents["id"].astype(str)
    filled = ids.str.strip() != ""
    repeated = ids.duplicated(keep=False) & filled
    if seen is not None:
        repeated |= ids.isin(seen) & filled
        seen.update(ids[filled].tolist())
    positions = np.flatnonzero(repeated.to_numpy())
    if not len(positions):
        return documents
    detail = documents["status_detail"].tolist()
    raw_ids = documents["id"].tolist()
    changed = False
    for position in positions.tolist():
        note = _duplicate_note(raw_ids[position])
        current = detail[position] if isinstance(detail[position], str) else ""
        if note not in current:
            detail[position] = f"{current}; {note}" if current else note
            changed = True
    if not changed:
        return documents
    out = documents.copy()
    out["status_detail"] = pd.Series(detail, index=documents.index, dtype=documents["status_detail"].dtype)
    return out
