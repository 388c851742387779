"""Personal data masking: e-mails, URLs, names after a title, IBANs, NIRs, SIREN/SIRET,
passports, plates, cards (Luhn), phones, order numbers, addresses, long numbers.

:func:`mask_pii` applies them in order; :data:`PII_PLACEHOLDERS` lists what they write.
"""

from __future__ import annotations

import re

#: Placeholders that replace personal data. They survive a second cleaning unchanged.
PII_PLACEHOLDERS = (
    "<EMAIL>",
    "<TEL>",
    "<IBAN>",
    "<CARTE>",
    "<URL>",
    "<NUM_COMMANDE>",
    "<ADRESSE>",
    "<NUMERO>",
    "<NOM>",
    "<NIR>",
    "<SIRET>",
    "<SIREN>",
    "<PASSEPORT>",
    "<IMMAT>",
)

# ----------------------------------------------------------------------- PII

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[\w-]+\.(?:fr|com|net|org|eu|io|be|ch)/[^\s<>\"']*",
    re.IGNORECASE,
)
_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b", re.IGNORECASE
)
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9](?:[\s.\-]?\d{2}){4}"  # +33 6 12 34 56 78
    r"|(?:\+|00)\s?(?:32|41|352|262|590|594|596|687|689)\s?(?:\(0\)\s?)?\d(?:[\s.\-]?\d{1,3}){3,5}"
    r"|0[1-9](?:[\s.\-/]?\d{2}){4}"  # 06 12 34 56 78, 06.12.34.56.78, 0612345678
    r"|0[1-9]\d{2}(?:[\s.\-]?\d{2}){3}"  # 0612 34 56 78
    r"|0[1-9]\s?\d{2}\s?\d{3}\s?\d{3}"  # 06 12 345 678
    r")(?!\w)"
)
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_ORDER_LABEL = re.compile(
    r"(?:\b(?:commandes?|cdes?|cmde?s?|dossiers?|tickets?|r[ée]f(?:[ée]rences?)?\.?|"
    r"factures?|contrats?|sinistres?|colis|suivi|num[ée]ros?|clients?|adh[ée]rents?|"
    r"sociétaires?|souscripteurs?|polices?|immatriculation)"
    r"(?:\s*(?:n°|no\.?|n\.|num\.?|numéro|nº|#|:|de suivi|client))*\s*:?\s*|(?:n°|nº|#)\s*)\Z",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_TOKEN_CHARS = frozenset("/_-")
_ADDRESS = re.compile(
    r"\b\d{1,4}\s?(?:bis|ter|b)?,?\s+(?:rue|avenue|av\.?|boulevard|bd|bld|allée|allee|impasse|"
    r"place|chemin|route|rte|quai|cours|square|passage|lotissement|lot\.?|résidence|residence|"
    r"hameau|lieu-dit|voie|sentier|faubourg|fg|esplanade|parvis|promenade|rond-point|cité|"
    r"cite|villa|clos)\b(?:\s+(?:de la|de l'|du|des|de|d'|la|le|les|l'))?"
    r"(?:\s*[A-ZÀ-Ýa-zà-ÿ'’-]+){1,4}"
    r"(?:,?\s*\d{5}(?:\s+[A-ZÀ-Ý][\wÀ-ÿ'-]+(?:[ -][A-ZÀ-Ý][\wÀ-ÿ'-]+)*)?)?",
)
_LONG_DIGITS = re.compile(r"(?<![\w<])\d(?:[ .-]?\d){8,}(?![\w>])")


# French social-security number (NIR): sex 1/2 (3, 4, 7, 8 for special cases), year,
# month, department (2A/2B for Corsica), commune, order number, then the 2-digit key
# (97 - number mod 97). Written in groups "1 85 05 78 006 084 36" or in one run.
_NIR = re.compile(
    r"(?<![\w<])[1-478][ .]?\d{2}[ .]?\d{2}[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}"
    r"(?:[ .]?\d{2})?(?![\w>])",
    re.IGNORECASE,
)
# SIREN (9 digits, "732 829 320") and SIRET (SIREN + 5-digit NIC), Luhn-checked.
_SIRET = re.compile(r"(?<![\w<])\d{3}[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{5})?(?![\w>])")
# French passport: 2 digits, 2 letters, 5 digits ("12AB34567").
_PASSPORT = re.compile(r"(?<![\w<])\d{2}[A-Z]{2}\d{5}(?![\w>])", re.IGNORECASE)
# French licence plates: SIV "AB-123-CD" (same separator twice, no I/O/U) and the older
# FNI "1234 AB 56" / "123-ABC-75" (department last).
_PLATE_LETTERS = "A-HJ-NP-TV-Z"
_PLATE = re.compile(
    rf"(?<![\w<-])[{_PLATE_LETTERS}]{{2}}([- ]?)\d{{3}}\1[{_PLATE_LETTERS}]{{2}}(?![\w>-])"
    rf"|(?<![\w<-])\d{{2,4}}([- ])[A-Z]{{2,3}}\2(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])(?![\w>-])"
)


def luhn_valid(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn checksum (payment cards)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 13:
        return False
    total = 0
    for idx, digit in enumerate(reversed(digits)):
        if idx % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def mask_emails(text: str) -> str:
    return _EMAIL.sub("<EMAIL>", text) if "@" in text else text


_URL_HINT = re.compile(r"https?://|www\.|\.(?:fr|com|net|org|eu|io|be|ch)/", re.IGNORECASE)


def mask_urls(text: str) -> str:
    # Every URL form holds a "/" or "www": substring tests are far cheaper than the hint
    # regex, and French reviews rarely contain a "w".
    if "/" not in text and "w" not in text and "W" not in text:
        return text
    return _URL.sub("<URL>", text) if _URL_HINT.search(text) else text


def mask_ibans(text: str) -> str:
    """IBANs whose mod-97 check digits and country structure are right (python-stdnum).

    A wrong IBAN-shaped string is left to the long-number step, which still masks its
    digits."""

    def replace(match: re.Match[str]) -> str:
        compact = re.sub(r"[ -]", "", match.group(0))
        # An IBAN mixes 2 letters, 2 check digits and a long, mostly numeric body.
        if len(compact) < 14 or sum(c.isdigit() for c in compact) < 10:
            return match.group(0)
        from stdnum import iban

        if not iban.is_valid(compact, check_country=False):
            return match.group(0)
        return "<IBAN>"

    return _IBAN.sub(replace, text)


def mask_nirs(text: str) -> str:
    """French social-security numbers: ``<NIR>`` when the key checks (python-stdnum),
    ``<NUMERO>`` for the same shape with a wrong key or without key (a typo is still
    personal data; the phone pattern must not take its middle, leaving birth year,
    month and key)."""

    def replace(match: re.Match[str]) -> str:
        compact = re.sub(r"[ .]", "", match.group(0)).upper()
        if len(compact) == 15:
            from stdnum.fr import nir

            return "<NIR>" if nir.is_valid(compact) else "<NUMERO>"
        return "<NUMERO>"

    return _NIR.sub(replace, text)


def mask_company_ids(text: str) -> str:
    """SIRET (14 digits) and SIREN (9 digits, after a label such as *SIREN* or *RCS*) that
    pass their Luhn check (python-stdnum).

    Other 9- or 14-digit numbers are left to the later steps (phones, long numbers)."""

    def replace(match: re.Match[str]) -> str:
        compact = re.sub(r"[ .]", "", match.group(0))
        from stdnum.fr import siren, siret

        if len(compact) == 14:
            return "<SIRET>" if siret.is_valid(compact) else match.group(0)
        # 9 digits are also customer and contract numbers (1 in 10 pass Luhn): SIREN
        # only after its label; the other steps mask the rest.
        if siren.is_valid(compact) and _SIREN_LABEL.search(text, max(0, match.start() - 40),
                                                            match.start()):
            return "<SIREN>"
        return match.group(0)

    return _SIRET.sub(replace, text)


def mask_passports(text: str) -> str:
    return _PASSPORT.sub("<PASSEPORT>", text)


# Letter pairs that are words or units in capitalised text ("DE 300 CC", "HP301XL"): not
# plates unless written with dashes (AB-123-CD).
_NOT_PLATE_PAIRS = frozenset(
    "DE LE LA EN ET CE SE NE ME TE SA MA TA ES CV CC KM KG CM MM MN HT TT PM AM GB MB KW MG ML "
    "XL XS HP".split()
)
_PLATE_LABEL = re.compile(r"immat|plaque|v[ée]hicule|voiture", re.IGNORECASE)
_SIREN_LABEL = re.compile(r"siren|siret|rcs|entreprise|soci[ée]t[ée]", re.IGNORECASE)


def mask_plates(text: str) -> str:
    """French licence plates -> ``<IMMAT>``: SIV ``AB-123-CD`` (also ``AB 123 CD`` and
    ``AB123CD`` unless a pair is a word or unit such as ``DE`` or ``CV``), and the older FNI
    ``1234 AB 56`` only after a word such as *immatriculation*, *plaque* or *véhicule*
    (dates and scores in capitals, "20 ET 21", "04 OCT 17", look the same)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if match.group(1) is not None:  # SIV
            if match.group(1) != "-" and (found[:2] in _NOT_PLATE_PAIRS
                                          or found[-2:] in _NOT_PLATE_PAIRS):
                return found
            return "<IMMAT>"
        if _PLATE_LABEL.search(text, max(0, match.start() - 40), match.start()):
            return "<IMMAT>"
        return found

    return _PLATE.sub(replace, text)


def mask_cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return "<CARTE>" if luhn_valid(match.group(0)) else match.group(0)

    return _CARD.sub(replace, text)


def mask_phones(text: str) -> str:
    return _PHONE.sub("<TEL>", text)


_ORDER_HINT = re.compile(
    r"n°|nº|#|comm|cde|cmd|dossier|ticket|r[ée]f|factur|contrat|sinistre|colis|suivi|num|"
    r"client|adh|soci|souscr|police|immat"
)


def mask_order_numbers(text: str) -> str:
    """``commande n° 4567890`` -> ``commande n° <NUM_COMMANDE>`` (also dossier, ticket, contrat...).

    A token with a digit (4+ characters) is masked when a reference word ends right
    before it. Digit runs are found first: scanning every position with the label
    alternation is what made this slow.
    """
    if not _ORDER_HINT.search(text.lower()):
        return text
    pieces, last, size = [], 0, len(text)
    for match in _DIGITS.finditer(text):
        start, end = match.start(), match.end()
        if start < last:
            continue
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _TOKEN_CHARS):
            start -= 1
        while end < size and (text[end].isalnum() or text[end] in _TOKEN_CHARS):
            end += 1
        if end - start < 4 or not text[start].isalnum() or start < last:
            continue
        if sum(c.isdigit() for c in text[start:end]) < 3:  # "2ème", "3e", "A1" are not references
            continue
        if text[start - 1 : start] == "<":
            continue
        if _ORDER_LABEL.search(text, max(last, start - 60), start):
            pieces.append(text[last:start])
            pieces.append("<NUM_COMMANDE>")
            last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def mask_addresses(text: str) -> str:
    return _ADDRESS.sub("<ADRESSE>", text)


def mask_long_numbers(text: str) -> str:
    """Any remaining run of 9+ digits (SIRET, account or customer numbers)."""
    return _LONG_DIGITS.sub("<NUMERO>", text)


_TITLE = (r"(?:M\.|Mr\.?|MR\.?|Mme\.?|MME\.?|Mlle\.?|Madame|MADAME|Monsieur|MONSIEUR|Mademoiselle|"
          r"MADEMOISELLE|Ma[iî]tre|Dr\.?|Docteur)")
# A name: a capitalised word ("Dupont", "Jean-Marc", "D'Angelo", "N'Diaye") or an upper-case one
# ("DUPONT") on the same line; articles, pronouns, greetings, titles ("Madame Monsieur")
# and the shop brand "Mr Bricolage" are not names.
_NOT_NAMES = ("Le|La|Les|L|Un|Une|De|Du|Des|Et|Je|Il|Elle|On|Nous|Vous|Ce|Cette|Mon|Ma|Mes|Votre|Vos|"
              "Tout|Toute|Tous|Que|Qui|Pour|Mais|Merci|Bonjour|Bonsoir|Cordialement|Sinc[eè]res|"
              "Madame|Monsieur|Mademoiselle|Bricolage|LE|LA|LES|DE|DU|ET|MADAME|MONSIEUR")
_NAME = (r"(?!(?:" + _NOT_NAMES + r")\b)"
         r"(?:(?:[A-ZÀ-Ý]['’])?[A-ZÀ-Ý][a-zà-ÿ]+(?:[-'’][A-ZÀ-Ý][a-zà-ÿ]+)?"
         r"|(?:[A-ZÀ-Ý]['’])?[A-ZÀ-Ý]{2,}(?:-[A-ZÀ-Ý]{2,})?)")
_TITLED_NAME_HINT = re.compile(_TITLE + r"[^\S\n]+" + _NAME)
_TITLED_NAME = re.compile(r"(?<!\w)(" + _TITLE + r"[^\S\n]+)" + _NAME + r"(?:[^\S\n]+" + _NAME + r")?\b")


def mask_names(text: str) -> str:
    """``Mme Dupont``, ``M. Jean DUPONT`` -> ``Mme <NOM>``, ``M. <NOM>``: names after a title.

    Reviews name staff and customers mostly this way (about 0.3% of the real reviews in
    ``../shared/data``). A first name alone ("merci à Kevin") is not detected.
    """
    if "M" not in text and "D" not in text:  # every title starts with M or D
        return text
    if _TITLED_NAME_HINT.search(text) is None:  # no word-boundary test: much faster
        return text
    return _TITLED_NAME.sub(r"\1<NOM>", text)


def mask_pii(text: str) -> str:
    """Replace French personal data with placeholders.

    Order matters: e-mails and URLs first (they contain digits and dots), names after a
    title (``Mme <NOM>``), then IBANs and
    cards (long digit runs, the card checked with Luhn), phones, order/ticket numbers,
    postal addresses and finally any leftover 9+ digit run.

    >>> mask_pii("Appelez le +33 6 12 34 56 78 ou écrivez à a.b@exemple.fr, commande n° 4567890")
    'Appelez le <TEL> ou écrivez à <EMAIL>, commande n° <NUM_COMMANDE>'
    """
    text = mask_emails(text)
    text = mask_urls(text)
    text = mask_names(text)
    # Every later pattern needs digits, most of them many digits in one group (runs
    # joined by single separators: "06 12 34 56 78"). Review texts often hold a date or a
    # price, rarely such a group: measure the digit runs once and skip the regexes that
    # cannot match. Masking only removes digits and never joins two groups, so the first
    # measure bounds every later one.
    if _DIGITS.search(text) is None:
        return text
    runs = [match.span() for match in _DIGITS.finditer(text)]
    digits = sum(end - start for start, end in runs)
    group = _largest_digit_group(text, runs)
    original = text
    if digits >= 10 and _iban_start(text, runs):  # IBAN: at least 10 digits (see mask_ibans)
        text = mask_ibans(text)
    # NIR: 13 digits (+ 2 for the key; Corsica writes 2A/2B in it), before phones can
    # take its middle.
    if group >= 13 or (digits >= 11 and ("2A" in text or "2B" in text or "2a" in text
                                         or "2b" in text)):
        text = mask_nirs(text)
    if group >= 9:  # SIREN (9) / SIRET (14), before cards: a SIRET passes Luhn too
        text = mask_company_ids(text)
    if group >= 13:  # card: 13 to 19 digits joined by single spaces or dashes
        text = mask_cards(text)
    if text is not original:
        runs = [match.span() for match in _DIGITS.finditer(text)]
    if _passport_or_plate(text, runs):
        text = mask_plates(mask_passports(text))
    # Phones: 9+ digits in one group, or an international prefix and 4+ digits.
    if group >= 9 or (group >= 4 and ("+" in text or "00" in text)):
        text = mask_phones(text)
    # An order number is a token with 3+ digits (str.isdigit, which also counts "²").
    if digits >= 3 or (not text.isascii() and sum(map(str.isdigit, text)) >= 3):
        text = mask_order_numbers(text)
    if text is not original:
        runs = [match.span() for match in _DIGITS.finditer(text)]
    # An address starts with a run of at most 4 digits at a word boundary: try the
    # pattern there only, and substitute over the whole text when one matches.
    if any(end - start <= 4 and _ADDRESS.match(text, start) for start, end in runs):
        text = mask_addresses(text)
    if group >= 9:  # long numbers: 9+ digits joined by single spaces, dots or dashes
        text = mask_long_numbers(text)
    return text


def _largest_digit_group(text: str, runs: list[tuple[int, int]]) -> int:
    """Most digits in a group of digit runs joined by single whitespace, ``.``, ``-`` or ``/``."""
    best = current = 0
    previous_end = -2
    for start, end in runs:
        if start - previous_end == 1 and (text[previous_end] in ".-/" or text[previous_end].isspace()):
            current += end - start
        else:
            current = end - start
        best = max(best, current)
        previous_end = end
    return best


def _passport_or_plate(text: str, runs: list[tuple[int, int]]) -> bool:
    """Whether a digit run sits where a passport (5 digits after 2 letters) or a plate
    (3 digits between letters; 2-4 digits before letters) can: the regexes run only then."""
    for start, end in runs:
        size = end - start
        if size == 5 and start >= 2 and text[start - 1].isalpha():
            return True
        if 2 <= size <= 4 and end + 1 < len(text) and text[end] in " -" and text[end + 1].isupper():
            return True
        if size == 3 and end < len(text) and (text[end].isupper() or text[end] in " -"):
            return True
    return False


def _iban_start(text: str, runs: list[tuple[int, int]]) -> bool:
    """Whether a run of 2+ digits follows two letters (``FR76``): where an IBAN starts."""
    return any(end - start >= 2 and start >= 2 and text[start - 1].isalpha() and text[start - 2].isalpha()
               for start, end in runs)
