"""``feedback-nlp sentiment "texte"``, ``train-sentiment`` and ``finetune-sentiment``."""

from __future__ import annotations

import argparse
from typing import Any

from feedback_nlp.cli._shared import add_options

TRAIN_EXAMPLE = """\
Exemple (reconstruit le modèle livré, graine 42, ~5-10 min sur 2 cœurs) :
  feedback-nlp train-sentiment --data ../shared/data --out models/sentiment-fr-4 \\
      --new-domains --cdiscount 12000 --scale banks=0.3,cdiscount=0.3,public=0.3
"""
FINETUNE_EXAMPLE = """\
Exemple (modèle de base téléchargé au préalable dans un dossier local) :
  feedback-nlp finetune-sentiment --base ~/modeles/camembert-base --data ../shared/data \\
      --out models/mon-camembert --epochs 1
Rien n'est téléchargé : --base doit être un dossier local (config.json, tokenizer, .safetensors).
"""


def register(subparsers: Any) -> None:
    quick = subparsers.add_parser(
        "sentiment", help="sentiment d'un ou plusieurs textes (vérification rapide)",
        description="Affiche le sentiment de chaque texte, par unité d'opinion et au global.")
    quick.add_argument("texts", nargs="+", metavar="TEXTE")
    add_options(quick, "sentiment_model", "sentiment_mode", "teacher")
    quick.set_defaults(func=run_sentiment)

    train = _training_parser(
        subparsers, "train-sentiment", "entraîner le modèle de sentiment linéaire (reproductible)",
        "Entraîne le modèle de sentiment par défaut sur les avis étiquetés de "
        "--data (split 80/20 par source, graine fixe) et l'enregistre (safetensors + JSON).",
        TRAIN_EXAMPLE)
    train.add_argument("--data", required=True, help="dossier shared/data (fichiers .csv.gz)")
    train.add_argument("--out", required=True, help="dossier du modèle à écrire")
    train.add_argument("--seed", type=int, default=42, help="graine (défaut %(default)s)")
    train.add_argument("--sample", type=int, help="n'utiliser que N avis d'entraînement (essai)")
    train.add_argument("--new-domains", action="store_true",
                       help="ajouter les domaines de 2026-11 (Cdiscount, services publics, banques)")
    train.add_argument("--cdiscount", type=int, default=12_000,
                       help="avis Cdiscount gardés (échantillon par étiquette, défaut %(default)s)")
    train.add_argument("--scale", default="",
                       help="facteurs de poids par groupe, ex. cdiscount=0.3,public=0.3")
    train.add_argument("--booking", choices=("units", "fields"),
                       help="ajouter les champs aimé / pas aimé d'une moitié des avis Booking "
                            "(units : coupés en unités d'opinion)")
    train.add_argument("--static-weight", type=float, default=0.0,
                       help="poids de la tête e5-static (défaut %(default)s : aucune)")
    train.set_defaults(func=run_train)

    tune = _training_parser(
        subparsers, "finetune-sentiment", "affiner un modèle transformers local sur nos avis",
        "Affine un modèle transformers local (ex. CamemBERT) en classifieur "
        "négatif / neutre / positif sur les avis étiquetés de --data.",
        FINETUNE_EXAMPLE)
    tune.add_argument("--base", required=True, metavar="LOCAL_MODEL_DIR",
                      help="dossier local du modèle de base")
    tune.add_argument("--data", required=True,
                      help="dossier shared/data, ou un CSV avec les colonnes text et label")
    tune.add_argument("--out", required=True, help="dossier du modèle affiné")
    tune.add_argument("--epochs", type=float, default=1.0, help="époques (défaut %(default)s)")
    tune.add_argument("--max-steps", type=int, help="nombre maximal de pas")
    tune.add_argument("--batch-size", type=int, default=16)
    tune.add_argument("--learning-rate", type=float, default=3e-5)
    tune.add_argument("--max-length", type=int, default=256, help="tokens par texte")
    tune.add_argument("--sample", type=int, help="n'utiliser que N avis (essai)")
    tune.add_argument("--seed", type=int, default=42)
    tune.add_argument("--device", help="cpu, cuda... (défaut: GPU s'il y en a un)")
    tune.set_defaults(func=run_finetune)


def _training_parser(subparsers: Any, name: str, help: str, description: str,  # noqa: A002
                     example: str) -> argparse.ArgumentParser:
    """A training command's parser: its help line, description and example kept as written."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description, epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def run_sentiment(args: argparse.Namespace) -> int:
    from feedback_nlp.sentiment.quick import sentiment_of_texts

    names = {"negative": "négatif", "neutral": "neutre", "positive": "positif"}
    results = sentiment_of_texts(args.texts, model_path=args.sentiment_model,
                                 mode=args.sentiment_mode or "fast", teacher=args.teacher)
    for result in results:
        if result.sentiment is None:
            print(f"{result.text!r}: texte vide")
            continue
        flag = " (mitigé)" if result.mixed else ""
        print(f"{names[result.sentiment]}{flag}  neg={result.p_negative:.2f} "
              f"neu={result.p_neutral:.2f} pos={result.p_positive:.2f}  {result.text}")
        if len(result.units) > 1:
            for unit, label in result.units:
                print(f"    - {names[label]:8s} {unit}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from feedback_nlp.errors import InputFileError
    from feedback_nlp.sentiment.train import train_default

    scale = {}
    for item in filter(None, (part.strip() for part in args.scale.split(","))):
        group, _, factor = item.partition("=")
        try:
            scale[group.strip()] = float(factor)
        except ValueError:
            raise InputFileError(f"--scale {item!r} is not GROUP=FACTOR.",
                                 fix="e.g. --scale cdiscount=0.3,public=0.3") from None
    params = {"static_weight": args.static_weight} if args.static_weight else None
    out = train_default(args.data, args.out, seed=args.seed, sample=args.sample,
                        new_domains=args.new_domains, cdiscount=args.cdiscount,
                        scale=scale or None, booking=args.booking, params=params)
    print(f"Modèle écrit dans {out}")
    return 0


def run_finetune(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from feedback_nlp.errors import InputFileError
    from feedback_nlp.sentiment.train import load_reviews, split_reviews
    from feedback_nlp.sentiment.transformer import check_transformers_dir, finetune

    check_transformers_dir(args.base)  # fail before reading the data
    data = Path(args.data)
    if data.is_dir():
        reviews = load_reviews(data)
        reviews = reviews[split_reviews(reviews, seed=args.seed) == "train"]
    elif data.is_file():
        reviews = pd.read_csv(data)
        if not {"text", "label"} <= set(reviews.columns):
            raise InputFileError(f"{data} needs the columns text and label.",
                                 fix="label = negative | neutral | positive.")
    else:
        raise InputFileError(f"{data} does not exist.", fix="pass --data DIR or a CSV file.")
    if args.sample and args.sample < len(reviews):
        reviews = reviews.sample(n=args.sample, random_state=args.seed)
    out = finetune(args.base, reviews["text"].astype(str).tolist(), reviews["label"].tolist(),
                   args.out, epochs=args.epochs, batch_size=args.batch_size,
                   learning_rate=args.learning_rate, max_length=args.max_length,
                   max_steps=args.max_steps, seed=args.seed, device=args.device)
    print(f"Modèle affiné écrit dans {out}")
    return 0

