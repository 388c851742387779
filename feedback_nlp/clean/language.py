"""Language check: is a cleaned answer French? Word lists first, the lingua detector
(an optional extra) for the undecided, script ranges for non-Latin text."""

from __future__ import annotations

import re
from collections import Counter

from feedback_nlp.clean.noise import _PLACEHOLDER

_WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ]+(?:'[a-zàâäçéèêëîïôöûùüÿœæ]+)?")
_FRENCH_WORDS = frozenset(
    "le la les de des du un une et est à au aux en pour que qui pas ne très trop avec sur "
    "mais je j'ai il elle nous vous ils on ce cette ces mon ma mes son sa ses votre vos leur "
    "été être avoir fait plus bien tout tous rien sans jamais dans par se sont était c'est "
    "n'est qu'il j'avais d'un d'une l'on ça cela car donc aussi encore merci bonjour "
    "commande livraison service client produit prix rapide délai colis reçu satisfait "
    "déçu problème toujours depuis après avant même chez".split()
)
_OTHER_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is was it to of i you my with for this that very not but have has had "
        "they we are be been will would your our their from at as an on or so good great "
        "service delivery order product customer recommend fast thank thanks".split()
    ),
    "es": frozenset(
        "el los las y es una por para con muy pero del al lo se su sus fue como más "
        "está bien gracias todo nada ya hotel habitación buena excelente".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ich sie es mit für auf ein eine sehr aber war wir "
        "auch zu den dem von gut schnell danke alles".split()
    ),
    "it": frozenset(
        "il lo gli e è di che non per con una sono molto ma della del alla ho ottimo "
        "grazie tutto bene servizio".split()
    ),
    "nl": frozenset(
        "de het een en is niet ik met voor op zeer maar was wij ook van goed snel "
        "bedankt alles".split()
    ),
}


_OTHER_WORDS["pt"] = frozenset(
    "o os as um uma é não com para muito mas por mais foi são está bem obrigado tudo nada "
    "atendimento entrega produto ótimo ótima recomendo péssimo loja compra prazo".split()
)
# Words shared with Spanish, Portuguese or Italian ("la", "de", "que", "en", "mais"...):
# they do not make a text French on their own.
_SHARED_WORDS = frozenset("la de que en se un a son sa ses ne il me est car on plus mais "
                          "sur ce tout".split())
# More words of French reviews, only for the fast path (the old lists stay as they were).
_FRENCH_REVIEW_WORDS = frozenset(
    "livré livrée livrés reçue reçus recommande recommander parfait parfaite qualité "
    "vendeur article articles état envoi emballage commandé acheté achat remboursement "
    "attente réponse conseiller accueil agréable efficace sérieux "
    "excellente facile cher chère tarif tarifs contrat assurance sinistre agence "
    "magasin retour retard délais rapidement vraiment beaucoup peu moins assez comme "
    "leurs notre nos ont avez avons fais suis êtes sommes était étaient avait j'ai je "
    "pas ne n'ai n'a n'y y'a ai aucun aucune malgré toujours enfin déjà lors fois jours "
    "mois semaine semaines heures minutes nul nulle bon bonne mauvais mauvaise génial "
    "rien appli compte".split()
)
_FRENCH_ONLY = (_FRENCH_WORDS | _FRENCH_REVIEW_WORDS) - _SHARED_WORDS - frozenset().union(
    *_OTHER_WORDS.values())
# Letters that French does not use (Spanish ñ ¿ ¡, Portuguese ã õ, German ß, Italian ò ì...).
# The other languages' words that French does not also use ("de", "en" are Dutch too).
_OTHER_VOCABULARY = {lang: words - _FRENCH_WORDS - _SHARED_WORDS for lang, words in _OTHER_WORDS.items()}
_FOREIGN_LETTERS = re.compile("[ñãõßìòáíóú¿¡]")
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: Scripts that are not French whatever the length of the text (code, letter ranges).
_SCRIPTS = (
    ("ar", re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")),
    ("zh", re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("ja", re.compile("[\u3040-\u30ff]")),
    ("ko", re.compile("[\uac00-\ud7af\u1100-\u11ff]")),
    ("ru", re.compile("[\u0400-\u04ff]")),
    ("he", re.compile("[\u0590-\u05ff]")),
    ("el", re.compile("[\u0370-\u03ff]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
    ("hi", re.compile("[\u0900-\u097f]")),
)
_ASCII_LETTERS = re.compile("[A-Za-zÀ-ÿŒœ]")
#: Languages the offline detector chooses from: those met in French customer exports.
DETECTOR_LANGUAGES = ("FRENCH", "ENGLISH", "SPANISH", "PORTUGUESE", "GERMAN", "ITALIAN",
                      "DUTCH", "ARABIC", "TURKISH", "ROMANIAN", "POLISH", "INDONESIAN")
_LINGUA_CODES = {"FRENCH": "fr", "ENGLISH": "en", "SPANISH": "es", "PORTUGUESE": "pt",
                 "GERMAN": "de", "ITALIAN": "it", "DUTCH": "nl", "ARABIC": "ar",
                 "TURKISH": "tr", "ROMANIAN": "ro", "POLISH": "pl", "INDONESIAN": "id"}
_DETECTOR: list[object] = []


def _detector():  # type: ignore[no-untyped-def]
    """The lingua detector, built once per process (its n-gram models ship in the wheel:
    nothing is downloaded)."""
    if not _DETECTOR:
        from lingua import Language, LanguageDetectorBuilder

        languages = [getattr(Language, name) for name in DETECTOR_LANGUAGES]
        # Low-accuracy mode (trigram models, preloaded): 0.7 s and ~100 MB to build, a few
        # thousand texts/s; the high-accuracy models take ~18 s and ~450 MB to load. The
        # rules in detect_language make up for its overconfidence on short texts.
        _DETECTOR.append(LanguageDetectorBuilder.from_languages(*languages)
                         .with_low_accuracy_mode().with_preloaded_language_models().build())
    return _DETECTOR[0]


_NON_LATIN = re.compile("[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0750-\u077f\u0900-\u097f"
                        "\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                        "\uac00-\ud7af\ufb50-\ufdff\ufe70-\ufeff]")


def _script_language(text: str) -> str | None:
    """A non-Latin script holding more letters than the Latin one (Arabic, Chinese...)."""
    if _NON_LATIN.search(text) is None:
        return None
    latin = len(_ASCII_LETTERS.findall(text))
    for code, pattern in _SCRIPTS:
        found = len(pattern.findall(text))
        if found >= 2 and found > latin:
            return code
    return None


#: The word lists counted in a text: French-only, shared, then each other language.
_VOCABULARIES = (_FRENCH_ONLY, _SHARED_WORDS, *_OTHER_VOCABULARY.values())
#: For every listed word, the indexes of the lists of :data:`_VOCABULARIES` holding it.
_LISTS_OF_WORD = {word: tuple(index for index, words in enumerate(_VOCABULARIES) if word in words)
                  for word in frozenset().union(*_VOCABULARIES)}


def _vocabulary_hits(words: list[str]) -> list[int]:
    """How many of ``words`` each list of :data:`_VOCABULARIES` holds.

    One pass in C (a Counter of each word's lists; a dozen distinct tuples) instead of
    one pass per list: same counts, ~2x faster."""
    totals = [0] * len(_VOCABULARIES)
    for lists, count in Counter(map(_LISTS_OF_WORD.get, words)).items():
        if lists is not None:
            for index in lists:
                totals[index] += count
    return totals


def detect_language(text: str) -> str:
    """Language of a cleaned text: ``"fr"``, another code (``"en"``, ``"es"``, ``"pt"``,
    ``"ar"``, ``"zh"``...) or ``"unknown"``.

    1. A text written mostly in a non-Latin script (Arabic, Chinese, Cyrillic...) is
       not French, however short ("الخدمة سيئة جدا").
    2. Fast path for obvious French: two or more words that only French uses (not "la",
       "de", "que", "en", shared with Spanish and Portuguese), no word of the other
       lists and no letter French does not have (ñ, ã, ß...).
    3. Clear function words of one other language ("thank you for your...") name it.
    4. Otherwise the offline detector (lingua, low-accuracy mode, restricted to
       :data:`DETECTOR_LANGUAGES`) decides, and only with confidence: another language
       needs 0.6 or more and French 0.1 or less, and the text may not hold more
       French-only words than foreign ones; under six words it must also be backed by a
       foreign function word or letter. Under three words
       the answer is ``"unknown"``: "Top", "Nickel chrome" and "OK merci" are not flagged.
    """
    if not text.isascii():
        script = _script_language(text)
        if script is not None:
            return script
    if "<" in text:
        text = _PLACEHOLDER.sub(" ", text)
    folded = text.casefold()
    words = _LATIN_WORD.findall(folded)
    if len(words) < 3:
        return "unknown"
    french, shared, *other_hits = _vocabulary_hits(words)
    best_lang, best = "unknown", 0
    for lang, hits in zip(_OTHER_VOCABULARY, other_hits):
        if hits > best:
            best_lang, best = lang, hits
    foreign_letters = not folded.isascii() and _FOREIGN_LETTERS.search(folded) is not None
    if not foreign_letters and french >= 1 and french + shared >= 2 and french >= 3 * best:
        return "fr"
    if best >= 2 and best >= 0.15 * len(words) and best > 2 * french:
        return best_lang  # the function-word lists are clear ("thank you for your...")
    confidences = {value.language.name: value.value
                   for value in _detector().compute_language_confidence_values(text[:1000])}
    top = max(confidences, key=confidences.__getitem__)
    if top == "FRENCH":
        return "fr"
    if french > 0 and french >= best:  # a French-only word and no stronger foreign one
        return "unknown"
    if confidences[top] < 0.6 or confidences.get("FRENCH", 0.0) > 0.1:
        return "unknown"
    # Under six words the detector is overconfident ("Nickel chrome impeccable" -> English):
    # it must be backed by a foreign function word or letter, and no French-only word.
    if len(words) < 6 and not (best > 0 or foreign_letters):
        return "unknown"
    return _LINGUA_CODES.get(top, top.lower())
