"""Theme labels: "<family> — <phrase>, <phrase>" from distinctive, nameable terms.

No tagger: proper names and verb forms are judged from how the corpus itself writes a word
(:func:`label_word_evidence`), generic words are listed, two-word keywords are written back
as customers write them (:func:`surface_form`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Container, Iterable, Sequence
from typing import Any

import numpy as np

from feedback_nlp.topics.constants import OTHER_ID
from feedback_nlp.topics.embeddings import PLACEHOLDER, TOKEN_PATTERN
from feedback_nlp.topics.keywords import _stop_words

#: Words that never name a theme on their own in a label (verbs, courtesy, vague nouns).
#: They may still appear inside a two-word phrase next to a word that does ("aucun sinistre").
LABEL_GENERIC = frozenset({
    "faut", "fallait", "pouvez", "pouvons", "peux", "peut", "pu", "doit", "dois", "devez",
    "devons", "rendez", "vous", "étions", "était", "étaient", "avais", "avait", "avions", "sert",
    "attends", "attend", "dit", "dire", "dis", "vois", "voir", "sais", "savoir", "trouve",
    "trouvé", "mis", "mise", "pris", "prise", "reste", "mr", "mme", "monsieur", "madame",
    "cordialement", "bonjour", "contre", "bout", "monde", "principe", "contraire", "tard",
    "cas", "fin", "suite", "part", "chose", "choses", "gens", "personnes", "année", "années",
    "heure", "heures", "semaine", "semaines", "aucun", "aucune", "souci", "soucis", "problème",
    "problèmes", "vivement", "vraiment", "rapidement", "simplement", "totalement", "grand",
    "grande", "petit", "petite", "gros", "vie", "redire", "envie", "besoin", "niveau", "point",
    "moment", "question", "façon", "sujet", "propos", "passé", "entre", "tant",
    "top", "super", "parfait", "parfaite", "excellent", "excellente", "satisfait", "satisfaite",
    "content", "contente", "ras", "ok", "proches", "succès", "journée", "beaucoup", "passe",
    "valable", "restés", "futur", "temps", "ligne", "assurance", "assureur", "assuré",
    "assurés", "min", "lieu", "exemple", "fonction", "souhaite",
    "demande", "demandé", "bons", "bonnes", "meilleur", "meilleure", "agit", "évidemment",
    "signaler", "entendre", "change", "ajouter", "vu", "fois", "personne", "autre", "autres",
    "faites", "voulez", "voudrais", "savais", "aurai", "bouge", "laisse", "continue", "final",
    "nouvelle", "nouveau", "mauvaise", "mauvais", "voie", "milieu", "type", "recevoir",
    "donner", "attendons", "répond", "répondent", "janvier", "février", "mars", "avril", "mai",
    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre", "lundi", "mardi",
    "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "nez", "bla", "doute",
    "absolument", "amis", "famille", "particulier", "dame", "idée", "soirée",
})


def _generic(word: str, verbs: Container[str] = ()) -> bool:
    """A word that cannot name a theme alone: listed, a verb form in -ez / -aient, or a word
    the corpus uses as a verb (``verbs``, from :func:`label_word_evidence`)."""
    return word in LABEL_GENERIC or word.endswith(("ez", "aient")) or word in verbs


#: Words written right before a noun: articles, possessives, demonstratives ("l'" included).
_DETERMINERS = frozenset({"un", "une", "des", "du", "au", "aux", "le", "la", "les", "l", "mon",
                          "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos",
                          "votre", "vos", "leurs", "ce", "cet", "cette", "ces", "chaque",
                          "plusieurs", "quel", "quelle", "quels", "quelles"})
#: Words written right before a conjugated verb or a past participle: subject pronouns, "ne",
#: "qui" and the forms of the auxiliary "avoir" ("on m'a répondu", "ils veulent").
_SUBJECTS = frozenset({"je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles",
                       "ne", "n", "qui"})
_VERB_LEFT = _SUBJECTS | {"ai", "as", "a", "avons", "avez", "ont", "avait", "avais", "avions",
                          "aviez", "avaient", "aurait", "aurais", "aurions", "auriez",
                          "auraient", "aura", "aurons", "auront", "eu"}
#: Object pronouns between a subject and its verb ("je le recommande", "on m'a dit").
_OBJECTS = frozenset({"le", "la", "les", "l", "lui", "leur", "me", "m", "te", "t", "se", "s",
                      "y", "en", "nous", "vous"})
_WORD = re.compile(r"[^\W\d_]+")
#: Customer-service acronyms written in capitals that still name a theme ("RIB", "SAV"):
#: never taken for a brand, like the taxonomy's own words.
CX_ACRONYMS = frozenset({"sav", "rib", "sms", "cb", "ttc", "tva", "pdf", "iban", "sepa", "gps",
                         "ct", "dpe", "pv", "tv", "wifi"})


def label_word_evidence(docs: Iterable[str], words: Collection[str],
                        keep: Container[str] = ()) -> tuple[set[str], set[str]]:
    """Proper names and verb forms among ``words``, from how the corpus itself writes them.

    One pass over ``docs`` (original case) looking only at the occurrences of ``words``
    (lower case), no tagger and no brand list:

    * a **name** (brand, insurer, town: "Axa", "MACIF", "Direct Assurance") is capitalised in
      at least a third of its mid-sentence occurrences (not the first word of a text or after
      ``.!?``), with at least 2 such occurrences. Customers often write brands in lower case
      ("chez direct assurance": 37% capitalised in 20k insurance reviews, "l'olivier" 34%),
      while ordinary words stay under 30% (measured there: "cordialement" 29%, months
      10-26%, "honte" or "arnaque" under 10%). An upper-case word right after another
      upper-case word is shouting, not a name; texts written all in capitals and PII
      placeholders (``<NOM>``) are skipped. ``keep`` (the taxonomy's words) and
      :data:`CX_ACRONYMS` ("SAV", "RIB") are never names.
    * a **verb form** ("faisons", "veulent", "répondu") follows a subject pronoun, "ne", "qui",
      a form of "avoir", or a subject + object pronoun ("je le recommande") more often than it
      follows a determiner (un, la, mes, l'...), in at least 2 occurrences and a fifth of them.

    Returns
    -------
    names, verbs : set of str
    """
    wanted = set(words)
    mid: dict[str, int] = {}
    capital: dict[str, int] = {}
    seen: dict[str, int] = {}
    as_verb: dict[str, int] = {}
    as_noun: dict[str, int] = {}
    for text in docs:
        text = str(text)
        if "<" in text:
            text = PLACEHOLDER.sub(" ", text)
        lower = text.lower()
        if len(lower) != len(text):  # rare letters whose lower case is longer: skip the text
            continue
        shouting = text == text.upper()
        prev2 = prev = ""
        prev_upper = False
        for match in _WORD.finditer(lower):
            token = match.group()
            if token in wanted:
                seen[token] = seen.get(token, 0) + 1
                if prev in _VERB_LEFT or (prev in _OBJECTS and prev2 in _SUBJECTS):
                    as_verb[token] = as_verb.get(token, 0) + 1
                elif prev in _DETERMINERS:
                    as_noun[token] = as_noun.get(token, 0) + 1
                start = match.start()
                j = start - 1
                while j >= 0 and text[j] in " \t\"'«»()-":
                    j -= 1
                if not shouting and j >= 0 and text[j] not in ".!?…\n":
                    mid[token] = mid.get(token, 0) + 1
                    if text[start].isupper() and not (prev_upper and text[start + 1:
                                                     match.end()].isupper()):
                        capital[token] = capital.get(token, 0) + 1
            original = text[match.start():match.end()]
            prev_upper = len(original) > 1 and original.isupper()
            prev2, prev = prev, token
    names = {w for w, n in mid.items()
             if n >= 2 and 3 * capital.get(w, 0) >= n and w not in keep
             and w not in CX_ACRONYMS}
    verbs = {w for w, n in seen.items()
             if as_verb.get(w, 0) >= max(2, 0.2 * n) and as_verb.get(w, 0) > as_noun.get(w, 0)}
    return names, verbs



def _stem(word: str) -> str:
    """Accent-free word without plural/feminine ending: "retards" ~ "retard", "satisfaite"."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", word.lower())
                     if not unicodedata.combining(c))
    for ending in ("ees", "es", "ee", "s", "x", "e"):
        if folded.endswith(ending) and len(folded) - len(ending) >= 3:
            return folded[: -len(ending)]
    return folded


def _signature(term: str) -> frozenset[str]:
    """Words of a phrase folded to 5-letter stems: "rapidité livraison" ~ "livraison rapide"."""
    return frozenset(_stem(w)[:5] for w in term.split())


def label_candidates(term_counts: np.ndarray, vocabulary: Sequence[str],
                     keywords: Sequence[Sequence[str]], n: int = 12,
                     names: Container[str] = (), verbs: Container[str] = ()) -> list[list[str]]:
    """Label phrases per theme, best first: distinctive, frequent enough, not generic.

    Score of a term in a theme = its share of the theme's words x log(lift), lift = that share
    over its share of the whole corpus (a pointwise KL term: frequent *and* distinctive).
    Two-word phrases get a 1.5x bonus (they read as phrases); a term needs at least 3
    occurrences in the theme. Falls back to the c-TF-IDF keywords when counts are empty.
    A term holding one of ``names`` (brands, insurers) is never a label phrase; ``verbs``
    are generic words: they only appear next to a word that names something ("colis perdu").
    """
    def generic(term: str) -> bool:
        return all(_generic(w, verbs) for w in term.split())

    def unusable(term: str) -> bool:
        return generic(term) or any(w in names for w in term.split())

    counts = np.asarray(term_counts, dtype=np.float64)
    out: list[list[str]] = []
    if counts.size == 0:
        return [list(k) for k in keywords]
    total = counts.sum(axis=1, keepdims=True)
    share = counts / np.maximum(total, 1.0)
    corpus = counts.sum(axis=0) / max(counts.sum(), 1.0)
    lift = share / np.maximum(corpus, 1e-12)[None, :]
    score = np.where((lift > 1.0) & (counts >= 3), share * np.log(np.maximum(lift, 1.0)), 0.0)
    bigram = np.array([" " in term for term in vocabulary])
    score[:, bigram] *= 1.5
    index = {term: col for col, term in enumerate(vocabulary)}
    bigrams_of: dict[str, list[int]] = {}
    for col in np.flatnonzero(bigram).tolist():
        for word in set(vocabulary[col].split()):
            bigrams_of.setdefault(word, []).append(int(col))
    for row in range(counts.shape[0]):
        terms: list[str] = []
        for col in np.argsort(-score[row], kind="stable")[: 8 * n]:
            if score[row, col] <= 0:
                break
            term = vocabulary[col]
            if " " not in term:
                # "temps" -> "temps attente" when the phrase carries a third of its uses.
                phrases = [c for c in bigrams_of.get(term, [])
                           if counts[row, c] >= 0.3 * counts[row, index[term]]
                           and not unusable(vocabulary[c])]
                if phrases:
                    term = vocabulary[max(phrases, key=lambda c: (counts[row, c], -c))]
            if unusable(term) or term in terms:
                continue
            terms.append(term)
            if len(terms) == n:
                break
        for keyword in keywords[row] if row < len(keywords) else []:
            if keyword not in terms and not unusable(keyword):
                terms.append(keyword)
        out.append(terms)
    return out


def surface_form(term: str, texts: Sequence[str]) -> str:
    """A two-word keyword as customers write it, with the small words the vectorizer dropped.

    "prise charge" -> "prise en charge", "attente téléphone" -> "attente au téléphone": the
    most frequent span of the member texts where the two words are separated by at most one
    stop word or an elision. The term itself when no span is found.
    """
    words = term.split()
    if len(words) != 2 or not texts:
        return term
    stop = set(_stop_words())  # negations included: "recommande sans hésiter"
    # Texts are lower-cased but keep their elisions: "temps d'attente", "prise en charge".
    pattern = re.compile(rf"\b{re.escape(words[0])}((?:\s+[^\W\d_]+)?)\s+"
                         rf"((?:[dlc]|qu)')?{re.escape(words[1])}\b")
    found: dict[str, int] = {}
    for text in texts:
        for match in pattern.finditer(text):
            middle = match.group(1).split()
            if all(w in stop for w in middle):
                last = (match.group(2) or "") + words[1]
                span = " ".join([words[0], *middle, last])
                found[span] = found.get(span, 0) + 1
    if not found:
        return term
    return max(found, key=lambda span: (found[span], -len(span)))


def make_labels(model: Any, docs: Sequence[str] | None = None,
                topics: np.ndarray | None = None) -> list[str]:
    """``"<famille> — <expression>, <expression>"`` for every theme.

    The phrases are the theme's most distinctive terms (share in the theme times log-lift
    over the corpus, two-word phrases preferred), without generic words, without words
    the family name already says, never repeating a word (plural/feminine folded), and
    written as customers write them ("prise charge" -> "prise en charge") from the
    member texts when they are given. Themes are labelled largest first; a phrase already
    used by another label (same words, plural/feminine folded, in any order) is taken only
    when nothing else is left, so labels stay distinct.
    """
    members: dict[int, list[str]] = {}
    if docs is not None and topics is not None:
        for text, t in zip(docs, np.asarray(topics).tolist(), strict=True):
            row = model.id_map_.get(int(t), OTHER_ID)
            if row != OTHER_ID and len(members.setdefault(row, [])) < 3000:
                members[row].append(unicodedata.normalize("NFC", str(text)).lower()
                                    .replace("’", "'"))
    candidates = label_candidates(model.term_counts_, model.vocabulary_, model.keywords_)
    if docs is not None:
        # Brands and verb forms, judged on the fitted texts for the words that could
        # label a theme (a few hundred): then the candidates again without them.
        pool = {w for terms in candidates for term in terms for w in term.split()}
        keep = {w for key in model.taxonomy_.keys for term in model.taxonomy_.terms_of(key)
                for w in term.split()}
        names, verbs = label_word_evidence(docs, pool, keep=keep)
        candidates = label_candidates(model.term_counts_, model.vocabulary_, model.keywords_,
                                      names=names, verbs=verbs)
    order = np.argsort(-model.sizes_, kind="stable")
    labels: list[str] = [""] * len(model.keywords_)
    used: set[str] = set()
    said: set[frozenset[str]] = set()  # phrases already in a label ("livraison rapide")
    for row in order.tolist():
        family = model.families_[row]
        short = model.taxonomy_.short_label(family) if family else ""
        blocked = {_stem(w) for w in re.findall(TOKEN_PATTERN, short.lower())}
        picked: list[str] = []
        stems: set[str] = set(blocked)
        for fresh_only in (True, False):  # a phrase of another label only as a last resort
            for term in candidates[row]:
                term_stems = [_stem(w) for w in term.split()]
                if (len(set(term_stems)) < len(term_stems) or stems & set(term_stems)
                        or term in picked):
                    continue
                if fresh_only and _signature(term) in said:
                    continue
                picked.append(term)
                stems.update(term_stems)
                if len(picked) == 2:
                    break
            if len(picked) == 2:
                break
        if not picked and candidates[row]:
            picked = [candidates[row][0]]
        said.update(_signature(term) for term in picked)
        phrases = [surface_form(term, members.get(row, [])) for term in picked]
        text = ", ".join(phrases) if phrases else "divers"
        label = f"{short} — {text}" if short else text[:1].upper() + text[1:]
        base, k = label, 2
        while label in used:
            label, k = f"{base} ({k})", k + 1
        used.add(label)
        labels[row] = label
    return labels


