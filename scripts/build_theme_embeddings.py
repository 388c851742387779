"""Rebuild the shipped offline theme embedding ``models/embeddings-fr-lsa``.

TF-IDF (words, sublinear tf) -> TruncatedSVD(128) fitted on every real French review text in
``../shared/data`` (insurance, Trustpilot auto/multi/showroomprive, Booking liked/disliked
texts). Deterministic for a given seed. Usage::

    .venv/bin/python scripts/build_theme_embeddings.py [--data ../shared/data] [--dim 128] \
        [--stop-words keywords|keywords-keep-negations|none]

``--stop-words`` chooses the words the model has no column for (the texts are never altered):
``keywords`` (default, the shipped model since 2026-11-29) = leave out the French stop list
of the theme keywords (``feedback_nlp.topics.keywords.french_stop_words``: spaCy's list + review
filler, 478 words, 420 of them in the vocabulary), so function words ("tout", "rien", "nous",
"était", "un", "sans") carry no topic signal; ``keywords-keep-negations`` = the same list
minus the negations/quantities of ``KEEP_WORDS`` ("pas", "rien", "sans", "jamais", "aucun",
"trop"...); ``none`` (the model shipped until 2026-11-29) = every word seen >= 5 times in
under half of the texts, function words included. Measured in docs/themes.md ("Function words
in the embedding" and "Theme share cap", 2026-11-29): without function words one theme
gathered ~37% of the units until ``ThemeModel(max_theme_share=0.15)`` split such themes.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from feedback_nlp.topics.embeddings import DEFAULT_MODEL_DIR, LSAEmbedding
from feedback_nlp.topics.keywords import KEEP_WORDS, french_stop_words

FILES = {
    "fr_reviews_insurance.csv.gz": ["text"],
    "fr_reviews_trustpilot_auto.csv.gz": ["text"],
    "fr_reviews_trustpilot_multi.csv.gz": ["text"],
    "fr_reviews_trustpilot_showroomprive.csv.gz": ["text"],
    "fr_reviews_booking_paris_0to10.csv.gz": ["positive_text", "negative_text"],
}


def load_texts(data_dir: Path) -> list[str]:
    texts: list[str] = []
    for name, columns in FILES.items():
        frame = pd.read_csv(data_dir / name, usecols=columns)
        for column in columns:
            texts.extend(t for t in frame[column].dropna().astype(str) if len(t) > 2)
    return texts


def stop_list(choice: str) -> list[str]:
    """The words left out of the embedding's vocabulary for ``--stop-words choice``."""
    if choice == "none":
        return []
    words = french_stop_words()
    if choice == "keywords-keep-negations":
        words = [w for w in words if w not in KEEP_WORDS]
    return sorted(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--max-terms", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--stop-words", default="keywords",
                        choices=["keywords", "keywords-keep-negations", "none"],
                        help="words the embedding has no column for (texts are not altered)")
    args = parser.parse_args()
    texts = load_texts(args.data)
    stop = stop_list(args.stop_words)
    start = time.perf_counter()
    model = LSAEmbedding.train(texts, dim=args.dim, max_terms=args.max_terms, seed=args.seed,
                               stop_words=stop or None)
    seconds = time.perf_counter() - start
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    model.save(args.out, meta={
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": args.seed, "training_texts": len(texts), "training_sha256_16": digest,
        "training_data": sorted(FILES), "fit_seconds": round(seconds, 1),
        "method": "TfidfVectorizer(sublinear_tf, min_df=5, max_df=0.5"
                  + (f", stop_words={args.stop_words}" if stop else "") + ") -> TruncatedSVD",
        "stop_words": args.stop_words, "n_stop_words": len(stop),
        "rebuild": "python scripts/build_theme_embeddings.py",
    })
    print(f"{args.out}: {len(texts)} texts, {len(model.vocabulary)} terms, dim {model.dim}, "
          f"{len(stop)} stop words, "
          f"{seconds:.1f}s")


if __name__ == "__main__":
    main()
