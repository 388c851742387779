"""``feedback-nlp compare FILE --before A:B --after C:D``: did the NPS move, and why?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from feedback_nlp.cli._shared import add_column_options, add_options, build_config, column_kwargs

EXAMPLE = """\
Exemple :
  feedback-nlp compare data/avis_assurance_2021.csv --text avis --score note \\
      --score-scale stars --date date --before 2021-01-01:2021-06-30 \\
      --after 2021-07-01:2021-11-30 -o comparaison/

Les thèmes sont appris une seule fois sur tout le fichier, puis lus dans chaque période :
les deux périodes sont comparées avec le même plan de codes. Les dates sont incluses.
Sorties (-o) : comparison_overall.csv / .parquet (NPS avant, après, évolution avec IC)
et comparison_themes.csv / .parquet (part et impact de chaque thème avant / après).
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="comparer deux périodes (NPS, part et impact des thèmes)",
        description="Compare deux périodes d'un export : évolution du NPS avec son intervalle "
        "de confiance, et de la part et de l'impact NPS de chaque thème.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="CSV, XLSX, Parquet ou JSONL")
    parser.add_argument("--before", required=True, metavar="DEBUT:FIN",
                        help="période de référence, ex. 2024-01-01:2024-03-31")
    parser.add_argument("--after", required=True, metavar="DEBUT:FIN",
                        help="période comparée, ex. 2024-04-01:2024-06-30")
    add_column_options(parser)
    parser.add_argument("-o", "--output", help="dossier où écrire les tables de comparaison")
    add_options(parser, "config", "score_scale", "seed", "sentiment_model", "embedding",
                "taxonomy", "no_sentiment", "no_themes", no_themes="NPS seulement, sans thèmes")
    parser.add_argument("--top", type=int, default=10, help="thèmes affichés (défaut %(default)s)")
    add_options(parser, "overwrite", "quiet")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from feedback_nlp._progress import default_progress
    from feedback_nlp.drivers import compare_periods, parse_date_range
    from feedback_nlp.errors import OptionConflictError
    from feedback_nlp.io import check_output_folder, staged_output, write_csv
    from feedback_nlp.pipeline import analyze

    # Fail before the analysis, not after it.
    before, after = parse_date_range(args.before), parse_date_range(args.after)
    if not args.date:
        raise OptionConflictError("compare needs the date column.", fix="add --date COLUMN.")
    config = build_config(args)
    if args.output:  # refuse a used folder before the analysis (--overwrite replaces it)
        check_output_folder(args.output, overwrite=args.overwrite)
    result = analyze(args.file, config=config, progress=default_progress(args.quiet),
                     delimiter=args.delimiter, encoding=args.encoding, **column_kwargs(args))
    if "nps_class" not in result.documents.columns:
        raise OptionConflictError("compare needs a score column.", fix="add --score COLUMN.")
    comparison = compare_periods(result, before, after, config)
    print(comparison.summary(top=args.top))
    if args.output:
        # Written into a temporary sibling folder, moved into place only when complete.
        with staged_output(args.output, overwrite=args.overwrite) as stage:
            for name, frame in (("comparison_overall", comparison.overall),
                                ("comparison_themes", comparison.themes)):
                if frame.empty:
                    continue
                write_csv(frame, stage / f"{name}.csv")
                frame.to_parquet(stage / f"{name}.parquet", index=False)
        print(f"Tables écrites dans : {Path(args.output).resolve()}")
    return 0
