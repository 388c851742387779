"""French CX irritant taxonomy (TOML data) used to name themes and match small corpora."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.errors import ConfigError


def _fold(text: str) -> str:
    """Lower case without accents: matching ignores "délai" vs "delai"."""
    text = unicodedata.normalize("NFKD", str(text).lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _variants(term: str) -> set[str]:
    """A term and its plural / feminine forms (livraison -> livraisons)."""
    base = _fold(term)
    out = {base}
    if " " not in base and len(base) > 3:
        out |= {base + "s", base + "e", base + "es", base + "x"}
        if base.endswith("s"):
            out.add(base[:-1])
    return out


class Taxonomy:
    """Families of themes: ``key -> (label, terms)``.

    Parameters
    ----------
    families : dict
        ``{key: {"label": str, "terms": [str, ...], "short": str}}`` in priority order;
        ``short`` (optional) starts theme labels ("Livraison — retards, colis perdu"),
        ``label`` names the family in the two-level hierarchy.
    """

    def __init__(self, families: dict[str, dict[str, Any]]) -> None:
        if not families:
            raise ConfigError("the theme taxonomy has no family.",
                              fix="add [families.<name>] tables with label and terms.")
        self.families: dict[str, dict[str, Any]] = {}
        for key, family in families.items():
            if not isinstance(family, dict) or "label" not in family or not family.get("terms"):
                raise ConfigError(f"taxonomy family {key!r} needs a label and a list of terms.",
                                  fix='e.g. [families.livraison] label = "Livraison" '
                                      'terms = ["colis", "livreur"]')
            self.families[str(key)] = {"label": str(family["label"]),
                                       "terms": [str(t) for t in family["terms"]]}
            if family.get("short"):
                self.families[str(key)]["short"] = str(family["short"])
        self.keys = list(self.families)
        self._words = {k: set().union(*(_variants(t) for t in f["terms"] if " " not in t))
                       for k, f in self.families.items()}
        self._phrases = {k: [_fold(t) for t in f["terms"] if " " in t]
                         for k, f in self.families.items()}

    def label(self, key: str) -> str:
        return str(self.families[key]["label"]) if key in self.families else str(key)

    def short_label(self, key: str) -> str:
        """The short family name used at the start of theme labels ("Livraison")."""
        family = self.families.get(key)
        if family is None:
            return str(key)
        return str(family.get("short") or family["label"])

    def terms_of(self, key: str) -> set[str]:
        """Terms of a family as written (for label building)."""
        family = self.families.get(key)
        return {t.lower() for t in family["terms"]} if family else set()

    def _score(self, words: Sequence[str], folded: str) -> dict[str, float]:
        scores = {}
        for key in self.keys:
            score = sum(1.0 for w in words if w in self._words[key])
            score += sum(2.0 for p in self._phrases[key] if p in folded)
            if score:
                scores[key] = score
        return scores

    def match(self, texts: Sequence[str]) -> list[str | None]:
        """Best family of each text by its words (None when no term matches)."""
        out: list[str | None] = []
        for text in texts:
            folded = _fold(text)
            scores = self._score(re.findall(r"[a-z]+", folded), f" {folded} ")
            out.append(max(scores, key=lambda k: (scores[k], -self.keys.index(k)))
                       if scores else None)
        return out

    def family_of(self, keywords: Sequence[str], term_counts: np.ndarray,
                  vocabulary: Sequence[str]) -> str | None:
        """Family of a theme from its keywords (rank-weighted), else from its word counts."""
        scores: dict[str, float] = {}
        for rank, keyword in enumerate(keywords):
            folded = _fold(keyword)
            for key, value in self._score(folded.split(), f" {folded} ").items():
                scores[key] = scores.get(key, 0.0) + value / (1.0 + rank)
        if scores:
            return max(scores, key=lambda k: (scores[k], -self.keys.index(k)))
        counts = np.asarray(term_counts, dtype=np.float64)
        total = counts.sum()
        if total <= 0:
            return None
        for row in np.argsort(-counts)[:50]:
            if counts[row] <= 0:
                break
            folded = _fold(vocabulary[row])
            for key, value in self._score(folded.split(), f" {folded} ").items():
                scores[key] = scores.get(key, 0.0) + value * counts[row] / total
        best = max(scores, key=lambda k: scores[k]) if scores else None
        return best if best is not None and scores[best] >= 0.02 else None

    def to_dict(self) -> dict[str, Any]:
        return {"families": self.families}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Taxonomy:
        return cls(data.get("families", {}))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy TOML file; None = the shipped ``feedback_nlp/data/taxonomy_fr.toml``."""
    try:
        if path is None:
            text = resources.files("feedback_nlp").joinpath("data/taxonomy_fr.toml").read_text(
                encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read the taxonomy file {path}: {exc.strerror}.",
                          fix="give the path of a TOML file with [families.<name>] tables.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the taxonomy file {path} is not valid TOML: {exc}.",
                          fix="check the syntax (see feedback_nlp/data/taxonomy_fr.toml).") from exc
    return Taxonomy(data.get("families", {}))
