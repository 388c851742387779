"""The text the theme vectorizers tokenise: elisions, PII placeholders, token pattern.

Below :mod:`~feedback_nlp.topics.embeddings` and :mod:`~feedback_nlp.topics.aspects`,
which both use it (re-exported by ``embeddings``).
"""

from __future__ import annotations

import re
import unicodedata

#: Elided articles/pronouns glued to the next word (l'avis, qu'il, jusqu'à).
ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
#: Placeholders written by the PII masking in feedback_nlp.clean (<NOM>, <EMAIL>, <TEL>,
#: <URL>, <IBAN>, <CARTE>, <NUM_COMMANDE>, <NUMERO>, <ADRESSE>): upper case in angle brackets.
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]{1,30}>")
#: Words of two letters or more, accents kept, digits dropped.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def normalize_for_terms(text: str) -> str:
    """Lower-case, NFC, elisions removed: the text the vectorizers tokenise.

    >>> normalize_for_terms("L'expérience qu'on a eue, d'abord TRÈS bien")
    'expérience on a eue, abord très bien'
    """
    text = unicodedata.normalize("NFC", str(text)).lower().replace("’", "'")
    return ELISION.sub("", text)
