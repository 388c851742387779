"""Each normaliser alone, then clean_text, then properties (hypothesis).

Test sentences here are hand-written fixtures (not real reviews) unless said otherwise.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp import clean as C


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TrÃ¨s dÃ©Ã§u", "Très déçu"),
        ("câ€™est nul", "c’est nul"),
        ("Ã  cause du cÅ“ur", "à cause du cœur"),
        ("âge, pâte et cœur", "âge, pâte et cœur"),  # real French, must not be touched
    ],
)
def test_fix_mojibake(raw: str, expected: str) -> None:
    assert C.fix_mojibake(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Super&nbsp;produit</p>", "Super\xa0produit"),
        ("<b>gras</b><br/>ligne", "gras ligne"),
        ("prix &lt; 10 &euro;", "prix < 10 €"),
        ("a < b > c", "a < b > c"),
        ("<EMAIL> reste", "<EMAIL> reste"),
        ("<script>alert(1)</script>ok", "ok"),
    ],
)
def test_strip_html(raw: str, expected: str) -> None:
    assert C.strip_html(raw).strip() == expected


def test_normalize_unicode_removes_invisible_and_composes() -> None:
    decomposed = "e\u0301te\u0301"  # é as e + combining accent
    assert C.normalize_unicode(decomposed) == "été"
    assert C.normalize_unicode("a\u200bb\u202ec\x00d\x07") == "abcd"
    assert C.normalize_unicode("ligne\nsuivante\t") == "ligne\nsuivante\t"


def test_normalize_punctuation() -> None:
    assert C.normalize_punctuation("j’ai « adoré » – vraiment…") == "j'ai \" adoré \" - vraiment..."
    assert C.normalize_punctuation("déjà vu") == "déjà vu"


def test_normalize_whitespace() -> None:
    assert C.normalize_whitespace("  trop \n\n  lent\t ") == "trop lent"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("trooop bien", "trop bien"),
        ("géniaaaal !!!!!!", "génial !!!"),
        ("nuuuul", "nul"),
        ("livraison rapide", "livraison rapide"),
        ("créée, belle", "créée, belle"),  # legitimate doubles stay
        ("bof...", "bof..."),
    ],
)
def test_reduce_elongations(raw: str, expected: str) -> None:
    assert C.reduce_elongations(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pb de livraison tjrs", "problème de livraison toujours"),
        ("c nul", "c'est nul"),
        ("c'est bien", "c'est bien"),
        ("vitamine C pure", "vitamine C pure"),
        ("bcp trop cher", "beaucoup trop cher"),
        ("le SAV ne répond pas", "le SAV ne répond pas"),
    ],
)
def test_expand_sms(raw: str, expected: str) -> None:
    assert C.expand_sms(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("écrire à jean.dupont+sav@mail.fr svp", "écrire à <EMAIL> svp"),
        ("tel 06 12 34 56 78", "tel <TEL>"),
        ("tel 06.12.34.56.78", "tel <TEL>"),
        ("tel 0612345678", "tel <TEL>"),
        ("tel +33 6 12 34 56 78", "tel <TEL>"),
        ("tel +33 (0)1 23 45 67 89", "tel <TEL>"),
        ("tel 0033612345678", "tel <TEL>"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189", "IBAN <IBAN>"),
        ("carte 4111 1111 1111 1111 débitée", "carte <CARTE> débitée"),
        ("voir https://exemple.fr/suivi?id=3", "voir <URL>"),
        ("commande n° 4567890", "commande n° <NUM_COMMANDE>"),
        ("dossier 2023-12345 en attente", "dossier <NUM_COMMANDE> en attente"),
        ("j'habite 12 rue de la Paix 75002 Paris", "j'habite <ADRESSE>"),
        ("SIRET 123 456 789 00012", "SIRET <NUMERO>"),
        ("merci à Mme Dupont pour son aide", "merci à Mme <NOM> pour son aide"),
        ("M. Jean-Marc DUPONT m'a rappelé", "M. <NOM> m'a rappelé"),
        ("Monsieur Bekerman, très pro", "Monsieur <NOM>, très pro"),
        ("le Dr Martin était absent", "le Dr <NOM> était absent"),
    ],
)
def test_mask_pii(raw: str, expected: str) -> None:
    assert C.mask_pii(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "Livré en 3 jours pour 49,99 €",
        "Commande du 12/03/2023 reçue le 15",
        "2 pneus Michelin 205/55 R16 à 89 € pièce",
        "Note 4/5, 10 ans de fidélité",
        "Ma commande 12 est arrivée",
        "Madame la conseillère était aimable",
        "Monsieur le directeur ne répond pas",
        "Acheté chez Mr Bricolage",
        "MERCI Madame !",
    ],
)
def test_mask_pii_leaves_ordinary_numbers(kept: str) -> None:
    assert C.mask_pii(kept) == kept


def test_luhn() -> None:
    assert C.luhn_valid("4111 1111 1111 1111")
    assert not C.luhn_valid("4111 1111 1111 1112")
    assert not C.luhn_valid("1234")


def test_clean_text_composes_and_never_removes_negations() -> None:
    text = "Je ne recommande PAS, jamais plus, sans aucun suivi mais très trop cher"
    cleaned = C.clean_text(text)
    for word in ("ne", "PAS", "jamais", "plus", "sans", "mais", "très", "trop"):
        assert re.search(rf"\b{word}\b", cleaned)
    assert C.clean_text(None) == ""
    assert C.clean_text(float("nan")) == ""
    assert C.clean_text(12) == "12"


def test_clean_text_keeps_emoji() -> None:
    assert C.clean_text("Super 😍👍") == "Super 😍👍"


def test_clean_series_keeps_index_and_caches() -> None:
    series = pd.Series(["trooop bien", None, "trooop bien"], index=[10, 11, 12])
    out = C.clean_series(series)
    assert out.tolist() == ["trop bien", "", "trop bien"]
    assert out.index.tolist() == [10, 11, 12]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("RAS", "non_informative"),
        ("R.A.S.", "non_informative"),
        ("rien à signaler", "non_informative"),
        ("Néant", "non_informative"),
        ("N/A", "non_informative"),
        ("ok", "non_informative"),
        (".", "no_letters"),
        ("-", "no_letters"),
        ("😡😡😡", "emoji_only"),
        ("👍 !", "emoji_only"),
        ("<EMAIL> <TEL>", "non_informative"),
        ("Parfait", None),
        ("nul", None),
        ("Très bien 👍", None),
    ],
)
def test_noise_reason(text: str, reason: str | None) -> None:
    assert C.noise_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Livraison rapide mais le service client ne répond jamais", "fr"),
        ("Very good service and fast delivery, thank you", "en"),
        ("Muy buena atención y el hotel está bien", "es"),
        ("Parfait", "unknown"),
        ("Top merci", "unknown"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert C.detect_language(text) == lang


def test_text_status() -> None:
    assert C.text_status("Very good service and fast delivery, thank you")[0] == "not_french"
    assert C.text_status("Very good service and fast delivery, thank you", check_language=False)[0] == "ok"
    assert C.text_status("RAS") == ("noise", "non_informative")


# ------------------------------------------------------------------ properties

_pii_values = st.one_of(
    st.from_regex(r"[a-z]{2,8}\.[a-z]{2,8}@[a-z]{3,8}\.(fr|com)", fullmatch=True),
    st.from_regex(r"0[67]( \d\d){4}", fullmatch=True),
    st.from_regex(r"0[1-5]\.\d\d\.\d\d\.\d\d\.\d\d", fullmatch=True),
    st.from_regex(r"\+33 [67]( \d\d){4}", fullmatch=True),
    st.from_regex(r"FR76( \d{4}){5} \d{3}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_clean_text_never_raises_and_is_idempotent(text: str) -> None:
    once = C.clean_text(text)
    assert isinstance(once, str)
    assert C.clean_text(once) == once


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from(["Contact : ", "Appelez le ", "mon IBAN ", "écrivez à ", ""]),
       value=_pii_values,
       suffix=st.sampled_from([" merci", ", svp.", " !", ""]))
def test_clean_text_never_returns_covered_pii(prefix: str, value: str, suffix: str) -> None:
    cleaned = C.clean_text(prefix + value + suffix)
    assert value not in cleaned
    digits = re.sub(r"\D", "", value)
    assert digits == "" or digits not in re.sub(r"\D", "", cleaned)


def test_fused_default_path_is_the_current_default_chain() -> None:
    # Editing DEFAULT_STEPS must never be silently ignored: the fused path runs only for
    # the chain it implements. If this fails, update clean._clean_default and
    # clean._FUSED_STEPS to the new DEFAULT_STEPS (the property test below checks them).
    assert C.DEFAULT_STEPS == C._FUSED_STEPS and C._FUSED_IS_DEFAULT
    # Another chain (here: without the last whitespace pass) runs step by step.
    edited = C.DEFAULT_STEPS[:-1]
    assert C.clean_text("tjrs  !!!!! ok", edited) == _plain_loop("tjrs  !!!!! ok", edited)


def _plain_loop(text: str, steps: tuple[C.Normalizer, ...] = ()) -> str:
    steps = steps or C.DEFAULT_STEPS
    for step in steps:
        text = step(text)
    return text


_MESSY = st.lists(st.sampled_from(list("aé e<>&;Ã©â€™ ’«»…\u200b\u00a0\x00!o")
                                   + ["&eacute;", "<br>", "Ã©", "â€™", "<b>", "&amp;lt;", " pb ",
                                      " tjrs ", "06 12 34 56 78", "a@b.fr", "www.x.fr/a", "!!!!",
                                      "ooo"]),
                  max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), _MESSY))
def test_fast_default_path_equals_the_plain_step_loop(text: str) -> None:
    # clean_text skips repeated steps that cannot change anything; the result must be
    # exactly the documented composition of DEFAULT_STEPS.
    assert C.clean_text(text) == _plain_loop(text)


@pytest.mark.parametrize("text", ["Ã©tÃ© &eacute;tÃ©", "a<br>b&nbsp;c\u200b", "trooop bien !!!!! pb",
                                  "« Livraison » – j’ai", "  \t x  ", "Ã¢â‚¬â„¢ test"])
def test_fast_default_path_on_hand_written_cases(text: str) -> None:
    assert C.clean_text(text) == _plain_loop(text)


def _mask_pii_unguarded(text: str) -> str:
    # mask_pii skips maskers whose pattern cannot match (digit-run guards); the result
    # must equal running every masker in the documented order.
    for step in (C.mask_emails, C.mask_urls, C.mask_names, C.mask_ibans, C.mask_nirs,
                 C.mask_company_ids, C.mask_cards, C.mask_passports, C.mask_plates, C.mask_phones,
                 C.mask_order_numbers, C.mask_addresses, C.mask_long_numbers):
        text = step(text)
    return text


_DIGIT_HEAVY = st.lists(st.sampled_from(list("0123456789 .-/+()#:²\n") + [
    "FR", "00", "33", "06", "rue ", "bis ", "Paris", "commande n° ", "tel ", "réf ", "a@b.fr",
    "carte ", "4111", "<", ">", "é", "AB", "2A", "SIREN ", "immat ", "CK", "-"]),
    max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_DIGIT_HEAVY, st.text(max_size=120)))
def test_mask_pii_guards_equal_the_unguarded_composition(text: str) -> None:
    assert C.mask_pii(text) == _mask_pii_unguarded(text)


@pytest.mark.parametrize("text", [
    "+32 (0)4 1 2 3", "0032 (0)4 12 34 56", "+33 (0)6 12 34 56 78", "réf ²³45A", "12 bis rue de la Paix",
    "FR7630006000011234567890189", "4111-1111-1111-1111", "06/12/34/56/78",
    "1 85 05 78 006 084 91", "185052A00608435", "SIREN 732 829 320", "73282932000074",
    "05CK89324", "AB-123-CD", "AB123CD", "immat 3823 VT 73", "FR76 3000 AB-123-CD",
])
def test_mask_pii_guards_on_edge_cases(text: str) -> None:
    assert C.mask_pii(text) == _mask_pii_unguarded(text)


def test_expand_sms_leaves_case_folded_lookalikes() -> None:
    # "KOİ" matches "koi" under IGNORECASE but lower() gives "koi̇": it used to raise KeyError.
    assert C.clean_text("KOİ c nul") == "KOİ c'est nul"
