"""``feedback-nlp`` command line: a thin layer over the library (spaCy's habit).

Each sub-command lives in its own module exposing ``register(subparsers)``; heavy
libraries are imported inside the command functions so ``feedback-nlp --help`` is fast.
Errors are printed as one line with their fix; the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from feedback_nlp.errors import FeedbackError

#: Modules of this package that register sub-commands, in --help order.
COMMAND_MODULES = (
    "analyze",
    "report",
    "compare",
    "sentiment",
    "themes",
)

EPILOG = """\
Exemple :
  feedback-nlp analyze data/avis_assurance_2021.csv --text avis --score note \\
      --score-scale stars --date date --segment produit --keep assureur -o resultats/
  -> resultats/report.html, resultats/analyse.xlsx et les tables (Parquet + CSV)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedback-nlp",
        description="Analyse de verbatims clients français : nettoyage, sentiment, thèmes, "
        "irritants et impact NPS, hors ligne.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from feedback_nlp import __version__

    parser.add_argument("--version", action="version", version=f"feedback-nlp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"feedback_nlp.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"feedback_nlp.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedback-nlp`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except FeedbackError as exc:
        print(f"feedback-nlp: erreur: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("feedback-nlp: interrompu.", file=sys.stderr)
        return 130
    except MemoryError:
        print("feedback-nlp: erreur: mémoire insuffisante. Fix: use --chunksize N or --sample N.",
              file=sys.stderr)
        return 3
    except Exception as exc:  # a bug of ours: still one line, with how to get details
        if os.environ.get("FEEDBACK_NLP_DEBUG"):
            raise
        print(
            f"feedback-nlp: erreur interne ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}). "
            "Relancez avec FEEDBACK_NLP_DEBUG=1 pour le détail et signalez-le.",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
