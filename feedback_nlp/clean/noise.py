"""Noise flags: answers that carry no information (empty, emoji only, ``RAS``...)."""

from __future__ import annotations

import re
import unicodedata

from feedback_nlp.clean.pii import PII_PLACEHOLDERS

NOISE_ANSWERS = frozenset(
    {
        "ras",
        "r.a.s",
        "rien",
        "rien a dire",
        "rien à dire",
        "rien a signaler",
        "rien à signaler",
        "rien de special",
        "rien de spécial",
        "rien de plus",
        "rien a ajouter",
        "rien à ajouter",
        "neant",
        "néant",
        "aucun",
        "aucune",
        "aucun commentaire",
        "pas de commentaire",
        "sans commentaire",
        "sans avis",
        "pas d'avis",
        "n/a",
        "na",
        "nc",
        "nr",
        "n.a",
        "none",
        "null",
        "nan",
        "nil",
        "ok",
        "okay",
        "oui",
        "non",
        "x",
        "xx",
        "xxx",
        "test",
        "je ne sais pas",
        "ne sais pas",
        "nsp",
        "idem",
        "voir ci-dessus",
        "cf ci-dessus",
        "no comment",
        "nothing",
    }
)
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PII_PLACEHOLDERS))
_STRIPPED = r"[\s.!?,;:…\-_/\\*'\"()]"  # what a noise key ignores
_NOISE_STRIP = re.compile(_STRIPPED + "+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_PY_ATOM = r"""(?:'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|None|True|False)"""
_PY_OBJECT = re.compile(
    r"^(?:\{\s*" + _PY_ATOM + r"\s*:.*\}|\[\s*" + _PY_ATOM + r"(?:\s*,\s*" + _PY_ATOM
    + r")*\s*,?\s*\]|\(\s*" + _PY_ATOM + r"(?:\s*,\s*" + _PY_ATOM + r")+\s*,?\s*\))$",
    re.DOTALL,
)
#: A text holding more characters that :data:`_NOISE_STRIP` keeps than the longest
#: answer of :data:`NOISE_ANSWERS` cannot be one of them: matched (from the start, linear)
#: before the costly strip-and-compare.
_TOO_LONG_FOR_NOISE = re.compile(
    _STRIPPED + "*(?:[^" + _STRIPPED[1:] + _STRIPPED + "*){" + str(max(map(len, NOISE_ANSWERS)) + 1) + "}"
)
_MAX_WORD = 40  # "anticonstitutionnellement" has 25 letters
_SHORT_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]{2," + str(_MAX_WORD) + r"}(?![^\W\d_])")


def is_emoji_only(text: str) -> bool:
    """True when ``text`` has emoji/symbols but no letter or digit (``"😡😡"``, ``"👍 !"``)."""
    stripped = text.strip()
    if not stripped or _HAS_LETTER.search(stripped) or any(c.isdigit() for c in stripped):
        return False
    return any(unicodedata.category(c) in ("So", "Sk", "Cs") or ord(c) > 0x2100 for c in stripped)


def noise_reason(text: str) -> str | None:
    """Why a cleaned answer carries no information, or ``None`` when it does.

    Returns ``"empty"``, ``"emoji_only"``, ``"no_letters"``, ``"non_text"`` (a dict, list
    or boolean written as text: ``{'fr': 'Très bien'}``, ``['a', 'b']``, ``True``),
    ``"no_words"`` (no run of 2
    to 40 letters: single letters, 10k-character "tokens") or ``"non_informative"``
    (``RAS``, ``néant``, ``N/A``, ``ok``...). Short real opinions such as ``"Parfait"``
    or ``"nul"`` are informative.
    """
    stripped = text.strip()
    if not stripped:
        return "empty"
    if is_emoji_only(stripped):
        return "emoji_only"
    if not _HAS_LETTER.search(stripped):
        return "no_letters"
    if stripped[0] in "{[(" and _PY_OBJECT.match(stripped) or stripped in ("True", "False"):
        return "non_text"  # a dict, list or boolean cell written as text by str()
    folded = stripped.casefold()
    # The key keeps every character of `folded` outside _NOISE_STRIP (runs of the others
    # become one space): with more such characters than the longest answer, it is none.
    if _TOO_LONG_FOR_NOISE.match(folded) is None:
        key = _NOISE_STRIP.sub(" ", folded).strip()
        if key in NOISE_ANSWERS or key.replace(" ", "") in NOISE_ANSWERS:
            return "non_informative"
    if _PLACEHOLDER.sub(" ", stripped).strip(" .,;:!?-/") == "":
        return "non_informative"
    if _SHORT_WORD.search(stripped) is None:
        # no word of 2 to 40 letters: 10k-character "tokens", or "aaaa..." reduced to "a"
        return "no_words"
    return None
