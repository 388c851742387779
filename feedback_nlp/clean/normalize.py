"""Text normalisers: encoding (mojibake, HTML, Unicode), punctuation, whitespace,
elongations and SMS spellings. Each is a pure ``str -> str`` function, tested alone.

None of them removes words; :mod:`feedback_nlp.clean` composes them with the PII masks.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

# ----------------------------------------------------------------------- encoding

# UTF-8 read as cp1252 leaves "Ã" or "Â" before a cp1252 continuation glyph, "â€" before
# quotes and dashes, "Å“" for œ. Plain "â" (âge, pâte) and "œ" must not trigger ftfy.
_MOJIBAKE_HINT = re.compile("[ÃÂ][\u0080-\u00bf\u0152-\u0178\u02c6-\u2122]|â€|Å[“’\u0093\u0092]|ï¿½")


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 read as cp1252/latin-1 (``Ã©`` -> ``é``, ``â€™`` -> ``’``).

    ftfy is only called when a telltale character is present: it is the slow part of
    cleaning and most texts are fine.
    """
    # Substring tests first (C speed): every hint pattern holds one of these.
    if text.isascii() or not (
        "Ã" in text or "Â" in text or "â€" in text or "Å" in text or "ï¿½" in text
    ):
        return text
    if not _MOJIBAKE_HINT.search(text):
        return text
    import ftfy

    return ftfy.fix_text(
        text,
        unescape_html=False,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        normalization="NFC",
    )


_HTML_TAG = re.compile(
    r"<!--.*?-->|<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>|"
    r"</?(?:a|abbr|b|br|div|em|font|h[1-6]|i|img|li|ol|p|span|strong|table|tbody|thead|"
    r"td|tr|th|u|ul|sup|sub|small|big|center|hr|code|pre|blockquote|section|article|header|"
    r"footer|main|nav|title|html|body|head|meta|link|iframe|input|form|label|button|svg|"
    r"path|s|strike|del|ins|mark|q|cite|dl|dt|dd|figure|figcaption|caption|col|colgroup|"
    r"tfoot|wbr|o:p)\b[^<>]*/?\s*>",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^<>]*>", re.IGNORECASE)


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities (``&eacute;`` -> ``é``); block tags become spaces.

    Only real HTML tag names are removed, so ``<EMAIL>``-style placeholders and a
    literal ``a < b > c`` are left alone.
    """
    if "<" not in text and "&" not in text:
        return text
    if "<" in text:
        text = _BLOCK_TAG.sub(" ", text)
        text = _HTML_TAG.sub("", text)
    if "&" in text:
        # html.unescape("&lt;EMAIL&gt;") would create a tag-like string: fine, it is text.
        text = html.unescape(text)
    return text


_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # control characters (keep \t \n \r)
    "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def normalize_unicode(text: str) -> str:
    """NFC composition, and removal of control, zero-width and bidi-override characters."""
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u3000": " ",
    }
)


_QUOTE_HINT = re.compile("[" + "".join(chr(c) for c in _QUOTES if c != ord("`")) + "`]")


def normalize_punctuation(text: str) -> str:
    """Typographic apostrophes and quotes to ASCII (``j’ai`` -> ``j'ai``, ``« »`` -> ``"``)."""
    if text.isascii() and "`" not in text:
        return text
    if not _QUOTE_HINT.search(text):
        return text
    return text.translate(_QUOTES)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace (including newlines) to one space; strip the ends."""
    return " ".join(text.split())


_ELONGATED_LETTER = re.compile(r"([^\W\d_])\1{2,}")
_TRIPLE = re.compile(r"(.)\1\1", re.DOTALL)
_REPEATED_PUNCT = re.compile(r"([!?.])\1{3,}")
_LETTER = re.compile(r"[^\W\d_]")


def reduce_elongations(text: str) -> str:
    """``trooop`` -> ``trop``, ``géniaaaal`` -> ``génial``, ``!!!!!`` -> ``!!!``.

    A letter repeated three times or more is written once (no French word triples a
    letter); punctuation keeps three marks, which still says "intense".
    """
    # Cheap test first: most texts have no triple, and most triples are "..." or "!!!".
    # Every run of 3+ identical characters starts a match of _TRIPLE, so the letter
    # substitution (slow: a category test per character) only runs when one is a letter.
    letters = False
    for match in _TRIPLE.finditer(text):
        if _LETTER.match(match.group(1)):
            letters = True
            break
    else:
        if not ("!!!!" in text or "????" in text or "...." in text):
            return text
    if letters:
        text = _ELONGATED_LETTER.sub(r"\1", text)
    if "!!!!" in text or "????" in text or "...." in text:
        text = _REPEATED_PUNCT.sub(r"\1\1\1", text)
    return text


# ----------------------------------------------------------------------- SMS

_SMS = {
    "tjrs": "toujours",
    "tjs": "toujours",
    "pb": "problème",
    "pbs": "problèmes",
    "pbm": "problème",
    "bcp": "beaucoup",
    "bcq": "beaucoup",
    "svp": "s'il vous plaît",
    "stp": "s'il te plaît",
    "rdv": "rendez-vous",
    "qd": "quand",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pcq": "parce que",
    "pcke": "parce que",
    "jms": "jamais",
    "dsl": "désolé",
    "ds": "dans",
    "avc": "avec",
    "ac": "avec",
    "pr": "pour",
    "ke": "que",
    "koi": "quoi",
    "mtn": "maintenant",
    "mnt": "maintenant",
    "auj": "aujourd'hui",
    "ajd": "aujourd'hui",
    "jsp": "je ne sais pas",
    "chui": "je suis",
    "jsuis": "je suis",
    "tkt": "t'inquiète",
    "nn": "non",
    "slt": "salut",
    "cc": "coucou",
    "msg": "message",
    "tel": "téléphone",
    "tél": "téléphone",
    "sav": "SAV",
    "cdt": "cordialement",
    "cdlt": "cordialement",
    "tt": "tout",
    "tte": "toute",
    "ts": "tous",
    "tres": "très",
    "trés": "très",
    "ya": "il y a",
    "yavait": "il y avait",
    "g": "j'ai",
    "c": "c'est",
    "ct": "c'était",
    "jamai": "jamais",
}
_SMS_KEYS = frozenset(_SMS)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation for ``words`` written as a trie (``a(?:c|jd|uj)|...``):
    the regex engine tries one branch per character instead of every word."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if "" in node else group

    return emit(root)


# An SMS word is a whole token: a maximal run of [\w'<>] of the lower-cased text (the
# old test split the text on [^\w'<>]+ and intersected the tokens with _SMS_KEYS; this
# search answers the same question ~1.5x faster).
_SMS_TOKEN = re.compile(r"(?<![\w'<>])" + _trie_pattern(_SMS) + r"(?![\w'<>])")
_SMS_WORD = re.compile(r"(?<![\w'<])(" + "|".join(sorted(_SMS, key=len, reverse=True)) + r")(?![\w'>])", re.IGNORECASE)


def expand_sms(text: str) -> str:
    """Common French SMS abbreviations to words (``pb`` -> ``problème``, ``tjrs`` -> ``toujours``).

    Only whole words are replaced, and single letters only where the abbreviation is
    unambiguous in reviews (``c nul`` -> ``c'est nul``; ``g`` -> ``j'ai``).
    """

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        low = word.lower()
        if low in ("c", "g") and (word != low or not _single_letter_ok(match)):
            return word
        # IGNORECASE matches "KOİ" whose lower() is not a key ("koi̇"): leave it.
        return _SMS.get(low, word)

    if _SMS_TOKEN.search(text.lower()) is None:  # cheap test first
        return text
    return _SMS_WORD.sub(replace, text)


def _single_letter_ok(match: re.Match[str]) -> bool:
    # "c nul", "g reçu": a lone lowercase c/g followed by a word, not "vitamine C" or "point c.".
    return bool(re.match(r" [a-zàâçéèêëîïôûùüÿœ]", match.string[match.end() :]))

