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
    add_options(parser, "config", "score_scale", "lang", "seed", "sample", "sentiment_model",
                "embedding", "taxonomy", "no_sentiment", "no_adapt", "no_themes", "no_report",
                "keep_raw_text", "quiet")
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
