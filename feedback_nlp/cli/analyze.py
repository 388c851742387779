"""``feedback-nlp analyze FILE``: the main job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXAMPLE = """\
Exemples :
  feedback-nlp analyze data/avis_assurance_2021.csv --text avis --score note \\
      --score-scale stars --date date --segment produit -o resultats/
  feedback-nlp analyze data/avis_showroomprive.csv --text avis --score note \\
      --score-scale stars --date date --channel canal -o resultats_showroom/

Sorties dans le dossier -o : report.html, analyse.xlsx, les tables en Parquet et CSV
(documents, segments, themes, priorities, ...) et summary.json.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="analyser un export de verbatims (tables, rapport HTML, Excel)",
        description="Analyse un fichier de verbatims clients de bout en bout.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="CSV, XLSX, Parquet ou JSONL")
    add_column_options(parser)
    parser.add_argument("-o", "--output", default="resultats_feedback",
                        help="dossier de sortie (créé si besoin; défaut: %(default)s)")
    parser.add_argument("--config", help="fichier TOML de configuration (AnalysisConfig)")
    parser.add_argument("--score-scale", choices=["nps", "stars"],
                        help="nps = recommandation 0-10 (défaut); stars = note 1-5, NPS en proxy")
    parser.add_argument("--lang", choices=["fr", "en"], help="langue du rapport (défaut fr)")
    parser.add_argument("--seed", type=int, help="graine aléatoire (défaut 42)")
    parser.add_argument("--sample", type=int, metavar="N", help="analyser un échantillon de N lignes")
    parser.add_argument("--sentiment-model", metavar="DIR",
                        help="dossier d'un modèle de sentiment (défaut: modèle livré)")
    parser.add_argument("--embedding", metavar="NAME_OR_DIR",
                        help="plongements des thèmes: default, spacy, ou dossier sentence-transformers")
    parser.add_argument("--taxonomy", metavar="TOML", help="taxonomie d'irritants personnalisée")
    parser.add_argument("--no-sentiment", action="store_true", help="sans analyse de sentiment")
    parser.add_argument("--no-adapt", action="store_true",
                        help="ne pas adapter le sentiment aux scores du fichier (adapté par défaut "
                             "s'il y a assez de réponses notées)")
    parser.add_argument("--no-themes", action="store_true", help="sans modélisation des thèmes")
    parser.add_argument("--no-report", action="store_true", help="ne pas écrire report.html / analyse.xlsx")
    parser.add_argument("--keep-raw-text", action="store_true",
                        help="garder le texte brut non masqué (données personnelles!)")
    parser.add_argument("-q", "--quiet", action="store_true", help="sans barre de progression")
    scale = parser.add_argument_group("gros volumes")
    scale.add_argument("--chunksize", type=int, metavar="N",
                       help="traiter le fichier par blocs de N lignes (mémoire bornée, "
                            "fichiers plus grands que la RAM)")
    scale.add_argument("--engine", choices=["local", "dask"], default="local",
                       help="local (défaut) ou dask: étapes par ligne sur un cluster Dask")
    scale.add_argument("--scheduler", metavar="ADDRESS",
                       help="adresse du scheduler Dask (tcp://hote:8786); défaut: cluster local")
    parser.set_defaults(func=run)


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
    sheet: str | int | None = args.sheet
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    return {
        "text": args.text, "score": args.score, "date": args.date, "id": args.id,
        "segment": args.segment, "channel": args.channel, "stage": args.stage,
        "csat": args.csat, "ces": args.ces, "keep": args.keep, "sheet": sheet,
    }


def build_config(args: argparse.Namespace) -> Any:
    from feedback_nlp.config import AnalysisConfig

    config = AnalysisConfig.from_toml(args.config) if getattr(args, "config", None) else AnalysisConfig()
    changes: dict[str, Any] = {}
    for option, key in (("score_scale", "score_scale"), ("lang", "lang"), ("seed", "seed"),
                        ("sentiment_model", "sentiment_model")):
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


def run(args: argparse.Namespace) -> int:
    from feedback_nlp._progress import default_progress
    from feedback_nlp.io import ensure_output_dir
    from feedback_nlp.pipeline import analyze

    config = build_config(args)
    output = ensure_output_dir(args.output)  # fail before hours of work, not after
    progress = default_progress(args.quiet)
    chunksize, engine = getattr(args, "chunksize", None), getattr(args, "engine", "local")
    written = [output]
    if chunksize is not None or engine == "dask":
        from feedback_nlp.cli._scale import run_scaled

        result, reports = run_scaled(args, config, output, progress)
        written.extend(reports)
    else:
        result = analyze(args.file, config=config, progress=progress, sample=args.sample,
                         delimiter=args.delimiter, encoding=args.encoding, **column_kwargs(args))
        result.save(output)
        if not args.no_report:
            written.extend(write_reports(result, output, config.lang, progress))
    print(result.summary())
    print(f"Résultats écrits dans : {Path(output).resolve()}")
    for path in written[1:]:
        print(f"  {Path(path).name}")
    return 0


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
    return paths
