"""``feedback-nlp themes apply MODEL_DIR FILE -o DIR``: tag a new export with saved themes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from feedback_nlp.cli._shared import add_column_options, add_options, build_config, column_kwargs

EXAMPLE = """\
Exemples :
  feedback-nlp analyze data/avis_assurance_2021.csv --text avis --score note \\
      --score-scale stars -o janvier/
  feedback-nlp themes apply janvier/theme_model data/avis_assurance_2021.csv --text avis \\
      --score note --score-scale stars -o fevrier/
  feedback-nlp themes fit data/avis_assurance_2021.csv --text avis -o modele_themes/
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "themes", help="thèmes : appliquer un modèle sauvegardé ou en entraîner un",
        description="Modèle de thèmes (BERTopic) : apply réutilise les thèmes d'une analyse "
                    "précédente sur un nouvel export; fit entraîne et sauvegarde un modèle.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="themes_command", metavar="ACTION")
    apply = sub.add_parser("apply", help="étiqueter un fichier avec un modèle de thèmes sauvegardé")
    apply.add_argument("model_dir", help="dossier theme_model (écrit par analyze -o ou themes fit)")
    apply.add_argument("file", help="CSV, XLSX, Parquet ou JSONL")
    apply.add_argument("--embedding", metavar="DIR",
                       help="dossier du modèle de plongements utilisé à l'entraînement, s'il "
                            "n'est pas celui livré (un modèle sauvegardé ne choisit pas de chemin)")
    fit = sub.add_parser("fit", help="entraîner un modèle de thèmes et le sauvegarder")
    fit.add_argument("file", help="CSV, XLSX, Parquet ou JSONL")
    for command in (apply, fit):
        add_column_options(command)
        command.add_argument("-o", "--output", required=True, help="dossier de sortie")
        add_options(command, "score_scale", "seed", "no_sentiment", "overwrite", "quiet")
    add_options(fit, "embedding", "taxonomy")
    fit.add_argument("--max-themes", type=int, help="nombre maximal de thèmes (défaut 30)")
    apply.set_defaults(func=run_apply)
    fit.set_defaults(func=run_fit)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _config(args: argparse.Namespace, themes: dict[str, Any]) -> Any:
    config = build_config(args)  # --score-scale, --seed, --no-sentiment, --embedding...
    base = {f: getattr(config.themes, f) for f in config.themes.__dataclass_fields__}
    return config.replace(themes={**base, **themes, "enabled": True})


def _analyze(args: argparse.Namespace, config: Any) -> Any:
    from feedback_nlp._progress import default_progress
    from feedback_nlp.io import check_output_folder
    from feedback_nlp.pipeline import analyze

    check_output_folder(args.output, overwrite=args.overwrite)  # refuse before the work
    return analyze(args.file, config=config, progress=default_progress(args.quiet),
                   delimiter=args.delimiter, encoding=args.encoding, **column_kwargs(args))


def run_apply(args: argparse.Namespace) -> int:
    from feedback_nlp.topics import ThemeModel

    # fail fast with a clear error before reading the data
    ThemeModel.load(args.model_dir, embedding=args.embedding)
    themes: dict[str, Any] = {"model": str(args.model_dir)}
    if args.embedding:
        themes["embedding"] = args.embedding
    result = _analyze(args, _config(args, themes))
    result.save(args.output, overwrite=args.overwrite)
    print(result.summary())
    print(f"Thèmes appliqués depuis {args.model_dir}; résultats dans {Path(args.output).resolve()}")
    return 0


def run_fit(args: argparse.Namespace) -> int:
    from feedback_nlp.io import staged_output, write_csv

    themes: dict[str, Any] = {"model": None}
    if args.max_themes:
        themes["max_themes"] = args.max_themes
    result = _analyze(args, _config(args, themes))
    out = Path(args.output)
    if result.theme_model is None:
        print("Aucun thème : pas assez de textes exploitables.")
        return 1
    with staged_output(out, overwrite=args.overwrite) as stage:
        result.theme_model.save(stage / "theme_model")
        write_csv(result.themes.drop(columns="examples"), stage / "themes.csv")
    print(result.themes[["theme_id", "label", "n_segments"]].to_string(index=False))
    print(f"Modèle de thèmes écrit dans {(out / 'theme_model').resolve()}")
    return 0
