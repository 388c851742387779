"""``feedback-nlp analyze FILE``: the main job."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from feedback_nlp.cli._shared import (
    add_column_options,
    add_options,
    build_config,
    column_kwargs,
    write_reports,
)

EXAMPLE = """\
Exemples :
  feedback-nlp analyze data/avis_assurance_2021.csv --text avis --score note \\
      --score-scale stars --date date --segment produit --keep assureur -o resultats/
  feedback-nlp analyze data/avis_showroomprive.csv --text avis --score note \\
      --score-scale stars --date date --channel canal -o resultats_showroom/

Sorties dans le dossier -o : report.html, analyse.xlsx, les tables en Parquet et CSV
(documents, segments, themes, priorities, ...) et summary.json. Le dossier est écrit en
entier ou pas du tout; un dossier non vide est refusé, sauf avec --overwrite qui
remplace en entier le résultat précédent.
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
    add_options(parser, "config", "score_scale", "lang", "seed", "sample", "sentiment_model",
                "sentiment_mode", "teacher",
                "embedding", "taxonomy", "no_sentiment", "no_adapt", "no_themes", "no_report",
                "keep_raw_text", "overwrite", "quiet")
    scale = parser.add_argument_group("gros volumes")
    scale.add_argument("--chunksize", type=int, metavar="N",
                       help="traiter le fichier par blocs de N lignes (mémoire bornée, "
                            "fichiers plus grands que la RAM)")
    scale.add_argument("--engine", choices=["local", "dask"], default="local",
                       help="local (défaut) ou dask: étapes par ligne sur un cluster Dask")
    scale.add_argument("--scheduler", metavar="ADDRESS",
                       help="adresse du scheduler Dask (tcp://hote:8786); défaut: cluster local")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from feedback_nlp._progress import default_progress
    from feedback_nlp.io import staged_output

    config = build_config(args)
    progress = default_progress(args.quiet)
    # Everything is written into a temporary sibling folder, moved into place when the run
    # is complete: Ctrl-C or an error leaves the -o folder as it was. A folder that is not
    # empty is refused before any work (--overwrite replaces a previous result whole).
    with staged_output(args.output, overwrite=args.overwrite) as stage:
        result, reports = _run_into(args, config, stage, progress)
    output = Path(args.output)
    print(result.summary())
    print(f"Résultats écrits dans : {output.resolve()}")
    for path in reports:
        print(f"  {Path(path).name}")
    return 0


def _run_into(args: argparse.Namespace, config: Any, output: Path,
              progress: Any) -> tuple[Any, list[Path]]:
    from feedback_nlp.pipeline import analyze

    chunksize, engine = getattr(args, "chunksize", None), getattr(args, "engine", "local")
    if chunksize is not None or engine == "dask":
        from feedback_nlp.cli._scale import run_scaled

        return run_scaled(args, config, output, progress)
    result = analyze(args.file, config=config, progress=progress, sample=args.sample,
                     delimiter=args.delimiter, encoding=args.encoding, **column_kwargs(args))
    result.save_into(output)
    reports = [] if args.no_report else write_reports(result, output, config.lang, progress)
    return result, reports
