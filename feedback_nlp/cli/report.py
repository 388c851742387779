"""``feedback-nlp report RESULT_DIR``: re-render report.html and analyse.xlsx from a saved analysis."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="régénérer report.html et analyse.xlsx depuis un dossier de résultats",
        description="Relit un dossier écrit par `feedback-nlp analyze -o DIR` et réécrit le rapport.",
        epilog="Exemple :\n  feedback-nlp report resultats/ --lang en -o rapport_en/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("result_dir", help="dossier de résultats (avec summary.json)")
    parser.add_argument("-o", "--output", help="dossier où écrire le rapport (défaut: RESULT_DIR)")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="langue du rapport")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from feedback_nlp.io import ensure_output_dir
    from feedback_nlp.pipeline import FeedbackAnalysis
    from feedback_nlp.report import to_excel, to_html

    analysis = FeedbackAnalysis.load(args.result_dir)
    output = ensure_output_dir(args.output or args.result_dir)
    html_path = to_html(analysis, Path(output) / "report.html", lang=args.lang)
    xlsx_path = to_excel(analysis, Path(output) / "analyse.xlsx", lang=args.lang)
    if Path(output).resolve() == Path(args.result_dir).resolve():
        from feedback_nlp.cli._shared import record_excel_notes

        record_excel_notes(analysis, Path(output))
    print(f"Rapport : {html_path.resolve()}")
    print(f"Classeur : {xlsx_path.resolve()}")
    return 0
