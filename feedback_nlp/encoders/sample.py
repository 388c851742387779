"""Real French sentences from the bundled sample (``data/`` in a clone), for checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp.segment import split_opinions

BUNDLED = Path(__file__).resolve().parents[2] / "data"
_FILES = {"avis_assurance_2021.csv": "avis", "avis_showroomprive.csv": "avis"}


def real_sentences(n: int, seed: int = 0, min_chars: int = 15, max_chars: int = 300,
                   data_dir: str | Path = BUNDLED) -> list[str]:
    """``n`` distinct opinion units (sentences/clauses) of the bundled reviews, seeded.

    Raises ``FileNotFoundError`` when the bundled files are absent (an installed wheel).
    """
    units: list[str] = []
    for name, column in _FILES.items():
        reviews = pd.read_csv(Path(data_dir) / name)[column].dropna().astype(str)
        for review in reviews:
            units.extend(u.text for u in split_opinions(review))
    pool = sorted({u for u in units if min_chars <= len(u) <= max_chars})
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(pool), size=min(n, len(pool)), replace=False)
    return [pool[i] for i in sorted(picked)]
