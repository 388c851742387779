"""Theme keywords: the French stop list, the keyword ``CountVectorizer`` and c-TF-IDF.

Stop words are for keywords only: the embedded and sentiment texts keep every word
(negations are never stop words anywhere else).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.topics.embeddings import (
    TOKEN_PATTERN,
    normalize_for_keywords,
    normalize_for_terms,
)

#: Negations and intensifiers stay out of the stop list (they are never removed anywhere).
KEEP_WORDS = frozenset({"ne", "pas", "sans", "plus", "jamais", "mais", "très", "trop", "rien",
                        "aucun", "aucune", "personne", "ni", "non", "moins", "peu"})
#: Review filler that says nothing about a theme (added to spaCy's French stop words).
EXTRA_STOP = frozenset({"qu", "ça", "ca", "cela", "ceci", "ai", "as", "avons", "avez", "ont",
                        "suis", "es", "sommes", "êtes", "sont", "été", "être", "avoir", "fait",
                        "faire", "très", "trop", "pas", "plus", "bien", "bon", "bonne", "mal",
                        "tout", "tous", "toute", "toutes", "rien", "jamais", "sans", "mais",
                        "ne", "non", "moins", "peu", "vraiment", "toujours", "encore", "déjà",
                        "merci", "etc", "chez", "depuis", "car", "donc", "alors", "aussi",
                        "même", "quand", "après", "avant", "fois", "ans", "an", "jour", "jours",
                        "mois", "euros", "euro", "xxx", "ok"})



def _spacy_french_stop_words() -> set[str]:
    """spaCy's French stop list, read from its data file without importing spaCy.

    ``import spacy.lang.fr`` costs 5-7 s here (tokenizer exceptions), paid once per process by
    every theme fit; the list itself is a plain string in ``spacy/lang/fr/stop_words.py``.
    """
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "lang" / "fr" / "stop_words.py"
        try:
            found = re.search(r'"""(.*?)"""', path.read_text(encoding="utf-8"), re.S)
        except OSError:
            found = None
        if found:
            return set(found.group(1).split())
    from spacy.lang.fr.stop_words import STOP_WORDS  # layout changed: import it

    return set(STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _stop_words() -> tuple[str, ...]:
    words = set(EXTRA_STOP)
    for word in _spacy_french_stop_words():  # tokenised like the texts: sklearn finds them
        words.update(re.findall(TOKEN_PATTERN, normalize_for_terms(word)))
    return tuple(sorted(words))


def french_stop_words() -> list[str]:
    """spaCy's French stop words plus review filler, for theme keywords only.

    Negations and intensifiers are kept out of every list the *embedded* or sentiment text
    sees; here they are dropped from keywords only, because "pas" or "très" never name a theme.
    """
    return list(_stop_words())


def keyword_vectorizer(min_df: int = 2, ngram_range: tuple[int, int] = (1, 2)) -> Any:
    """The French ``CountVectorizer`` used for c-TF-IDF keywords (PII placeholders dropped)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(preprocessor=normalize_for_keywords, token_pattern=TOKEN_PATTERN,
                           stop_words=french_stop_words(), ngram_range=ngram_range,
                           min_df=min_df, max_features=30_000, dtype=np.float32)


_TOKEN = re.compile(TOKEN_PATTERN)


def _has_two_words(text: str) -> bool:
    """At least two words, without tokenising the whole text (6x faster on 360k units)."""
    words = _TOKEN.finditer(text)
    return next(words, None) is not None and next(words, None) is not None


def ctfidf_keywords(term_counts: np.ndarray, vocabulary: Sequence[str], n: int = 8) -> list[list[str]]:
    """Top ``n`` c-TF-IDF terms per row of a class x term count matrix (BERTopic's formula)."""
    counts = np.asarray(term_counts, dtype=np.float64)
    if counts.size == 0:
        return [[] for _ in range(counts.shape[0])]
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg = counts.sum() / max(counts.shape[0], 1)
    idf = np.log(1.0 + avg / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    out = []
    for row in scores:
        top = np.argsort(-row, kind="stable")[:n]
        out.append([vocabulary[i] for i in top if row[i] > 0])
    return out


def count_terms(vocabulary: Sequence[str], texts: Sequence[str], subjects: bool = False) -> Any:
    """Document x term counts of ``texts`` over a fixed ``vocabulary`` (sparse matrix); noun
    lemmas and noun pairs when ``subjects`` (the aspect vectorizer), else French words."""
    if subjects:
        from feedback_nlp.topics.aspects import aspect_vectorizer

        vectorizer = aspect_vectorizer(min_df=1)
    else:
        vectorizer = keyword_vectorizer(min_df=1)
    vectorizer.set_params(vocabulary={w: i for i, w in enumerate(vocabulary)})
    return vectorizer.fit_transform(list(texts))
