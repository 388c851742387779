"""What the sub-commands share: option definitions, column mapping, config, report writing.

Every option used by more than one command is defined once here (:data:`OPTIONS`) and
added with :func:`add_options`; the command modules only say which ones they take.
Nothing here imports another command module, so the commands never import each other.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

#: Shared options: name -> (flags, argparse keywords). Commands pick them by name.
OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "config": (("--config",), {"help": "fichier TOML de configuration (AnalysisConfig)"}),
    "score_scale": (("--score-scale",), {
        "choices": ["nps", "stars"],
        "help": "nps = recommandation 0-10 (défaut); stars = note 1-5, NPS en proxy"}),
    "lang": (("--lang",), {"choices": ["fr", "en"], "help": "langue du rapport (défaut fr)"}),
    "seed": (("--seed",), {"type": int, "help": "graine aléatoire (défaut 42)"}),
    "sample": (("--sample",), {"type": int, "metavar": "N",
                               "help": "analyser un échantillon de N lignes"}),
    "sentiment_model": (("--sentiment-model",), {
        "metavar": "DIR", "help": "dossier d'un modèle de sentiment (défaut: modèle livré)"}),
    "sentiment_mode": (("--sentiment-mode",), {
        "choices": ["fast", "cascade", "accurate"],
        "help": "fast = modèle livré (défaut); cascade = le modèle e5 affiné (teacher) revoit "
                "les unités incertaines; accurate = le teacher revoit toutes les unités (lent). "
                "cascade/accurate: construire le teacher une fois avec "
                "`python scripts/train_teacher.py`"}),
    "teacher": (("--teacher",), {
        "metavar": "DIR", "help": "dossier du teacher de sentiment (défaut: "
                                  "~/.cache/feedback_nlp/e5-sentiment-teacher)"}),
    "embedding": (("--embedding",), {
        "metavar": "NAME_OR_DIR",
        "help": "plongements des thèmes: default, spacy, ou dossier sentence-transformers"}),
    "taxonomy": (("--taxonomy",), {"metavar": "TOML",
                                   "help": "taxonomie d'irritants personnalisée"}),
    "no_sentiment": (("--no-sentiment",), {"action": "store_true",
                                           "help": "sans analyse de sentiment"}),
    "no_adapt": (("--no-adapt",), {
        "action": "store_true",
        "help": "ne pas adapter le sentiment aux scores du fichier (adapté par défaut "
                "s'il y a assez de réponses notées)"}),
    "no_themes": (("--no-themes",), {"action": "store_true",
                                     "help": "sans modélisation des thèmes"}),
    "no_report": (("--no-report",), {"action": "store_true",
                                     "help": "ne pas écrire report.html / analyse.xlsx"}),
    "keep_raw_text": (("--keep-raw-text",), {
        "action": "store_true", "help": "garder le texte brut non masqué (données personnelles!)"}),
    "overwrite": (("--overwrite",), {
        "action": "store_true",
        "help": "remplacer en entier le résultat déjà présent dans le dossier -o (sinon un "
                "dossier non vide est refusé : jamais un mélange de deux analyses)"}),
    "quiet": (("-q", "--quiet"), {"action": "store_true", "help": "sans barre de progression"}),
}


def add_options(parser: argparse.ArgumentParser | Any, *names: str, **helps: str) -> None:
    """Add the shared options ``names`` in this order; ``helps`` overrides a help text."""
    for name in names:
        flags, keywords = OPTIONS[name]
        parser.add_argument(*flags, **{**keywords, **({"help": helps[name]} if name in helps else {})})


def add_column_options(parser: argparse.ArgumentParser) -> None:
    """Column-mapping options shared by the commands that read an export."""
    group = parser.add_argument_group("colonnes du fichier")
    group.add_argument("--text", help="colonne du verbatim (devinée si absente)")
    group.add_argument("--score", help="colonne du score NPS 0-10 (ou note 1-5 avec --score-scale stars)")
    group.add_argument("--date", help="colonne de date")
    group.add_argument("--id", help="colonne d'identifiant de réponse")
    group.add_argument("--segment", help="colonne de segment client")
    group.add_argument("--channel", help="colonne de canal")
    group.add_argument("--stage", help="colonne d'étape du parcours")
    group.add_argument("--csat", help="colonne CSAT (1-5)")
    group.add_argument("--ces", help="colonne CES (1-7)")
    group.add_argument("--keep", action="append", metavar="COL", help="colonne à recopier (répétable)")
    group.add_argument("--sheet", help="feuille Excel (nom ou numéro à partir de 0)")
    group.add_argument("--delimiter", help="séparateur CSV (détecté sinon)")
    group.add_argument("--encoding", help="encodage CSV (détecté sinon)")


def column_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The column options as keyword arguments of :func:`feedback_nlp.analyze`."""
    sheet: str | int | None = args.sheet
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    return {
        "text": args.text, "score": args.score, "date": args.date, "id": args.id,
        "segment": args.segment, "channel": args.channel, "stage": args.stage,
        "csat": args.csat, "ces": args.ces, "keep": args.keep, "sheet": sheet,
    }


def build_config(args: argparse.Namespace) -> Any:
    """An :class:`~feedback_nlp.config.AnalysisConfig` from ``--config`` and the options."""
    from feedback_nlp.config import AnalysisConfig

    config = AnalysisConfig.from_toml(args.config) if getattr(args, "config", None) else AnalysisConfig()
    changes: dict[str, Any] = {}
    for option, key in (("score_scale", "score_scale"), ("lang", "lang"), ("seed", "seed"),
                        ("sentiment_model", "sentiment_model"),
                        ("sentiment_mode", "sentiment_mode"), ("teacher", "sentiment_teacher")):
        value = getattr(args, option, None)
        if value is not None:
            changes[key] = value
    if getattr(args, "no_sentiment", False):
        changes["sentiment"] = False
    if getattr(args, "no_adapt", False):
        changes["sentiment_adapt"] = False
    if getattr(args, "keep_raw_text", False):
        changes["keep_raw_text"] = True
    themes: dict[str, Any] = {}
    if getattr(args, "no_themes", False):
        themes["enabled"] = False
    if getattr(args, "embedding", None):
        themes["embedding"] = args.embedding
    if getattr(args, "taxonomy", None):
        themes["taxonomy"] = args.taxonomy
    if themes:
        changes["themes"] = themes
    return config.replace(**changes) if changes else config


def write_reports(result: Any, output: Path, lang: str, progress: Any) -> list[Path]:
    """report.html and analyse.xlsx, when the report module is available."""
    try:
        from feedback_nlp import report
    except ImportError:  # pragma: no cover - report is part of the package
        print("feedback-nlp: module report indisponible, rapport non écrit.", file=sys.stderr)
        return []
    paths = []
    with progress.stage("Rapport"):
        paths.append(report.to_html(result, output / "report.html", lang=lang))
        paths.append(report.to_excel(result, output / "analyse.xlsx", lang=lang))
    record_excel_notes(result, output)
    return paths


def record_excel_notes(result: Any, output: Path) -> None:
    """Add the workbook's notes (a table split across sheets) to ``summary.json``.

    The workbook is written after the tables and ``summary.json``: without this, a split
    table would be said only inside the workbook (issue 18).
    """
    import json

    from feedback_nlp.io import write_json

    notes = (getattr(result, "info", None) or {}).get("excel_notes")
    summary = Path(output) / "summary.json"
    if not notes or not summary.is_file():
        return
    content = json.loads(summary.read_text(encoding="utf-8"))
    content["excel_notes"] = list(notes)
    write_json(content, summary)
