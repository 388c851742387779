"""Opinion units: sentences, then clauses at French contrast markers, with offsets."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.segment import CONTRAST_MARKERS, segment_documents, split_opinions


def texts(text: str) -> list[str]:
    return [u.text for u in split_opinions(text)]


def test_contrast_and_sentences() -> None:
    assert texts("Livraison rapide mais SAV injoignable. Je ne recommande pas !") == [
        "Livraison rapide", "mais SAV injoignable.", "Je ne recommande pas !"]
    assert texts("Produit correct, par contre la livraison a pris un mois") == [
        "Produit correct", "par contre la livraison a pris un mois"]


@pytest.mark.parametrize("marker", ["mais", "par contre", "en revanche", "cependant", "toutefois",
                                    "sauf que", "néanmoins", "pourtant"])
def test_every_issue_marker_splits(marker: str) -> None:
    assert marker in CONTRAST_MARKERS
    units = texts(f"Accueil agréable {marker} attente interminable")
    assert units == ["Accueil agréable", f"{marker} attente interminable"]


def test_markers_inside_words_or_at_start_do_not_split() -> None:
    assert texts("Maison bien assurée, désormais tranquille") == [
        "Maison bien assurée, désormais tranquille"]
    assert texts("Mais enfin tout est bon") == ["Mais enfin tout est bon"]
    assert texts("Toutefois") == ["Toutefois"]


def test_offsets_point_into_the_text() -> None:
    text = "  Top produit !\nMais colis abîmé ;  SAV réactif, cependant lent.  "
    units = split_opinions(text)
    assert [u.text for u in units] == ["Top produit !", "Mais colis abîmé", "SAV réactif",
                                       "cependant lent."]
    for unit in units:
        assert text[unit.start:unit.end] == unit.text


def test_short_fragments_are_merged_and_abbreviations_kept() -> None:
    assert texts("Super service. :)") == ["Super service. :)"]
    assert texts("Reçu par M. Dupont, très aimable.") == ["Reçu par M. Dupont, très aimable."]
    assert texts("") == [] and texts("   ") == []
    assert texts("Parfait 👍👍") == ["Parfait 👍👍"]


def test_split_contrast_off() -> None:
    assert texts("Rapide mais cher.") == ["Rapide", "mais cher."]
    assert [u.text for u in split_opinions("Rapide mais cher.", split_contrast=False)] == [
        "Rapide mais cher."]


def test_segment_documents_table() -> None:
    documents = pd.DataFrame({"row_id": [10, 11, 12],
                              "clean_text": ["Rapide mais cher.", "RAS", "Bien. Très bien."]})
    segments = segment_documents(documents, mask=[True, False, True])
    assert list(segments.columns) == ["row_id", "segment_id", "unit", "text", "start", "end"]
    assert segments["row_id"].tolist() == [10, 10, 12, 12]
    assert segments["unit"].tolist() == [0, 1, 0, 1]
    assert segments["segment_id"].tolist() == [0, 1, 2, 3]
    assert segments.dtypes["start"] == "int64"
    empty = segment_documents(documents, mask=[False, False, False])
    assert len(empty) == 0 and list(empty.columns) == list(segments.columns)


WORDS = st.sampled_from(["bien", "mais", "nul", "par contre", "colis", ".", "!", ",", "\n",
                         "cependant", "SAV", "ok", "é", " ", "  ", "M.", "😀", "sauf que"])


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, max_size=25).map(" ".join))
def test_units_are_ordered_disjoint_and_cover_all_text(text: str) -> None:
    units = split_opinions(text)
    covered = set()
    last_end = 0
    for unit in units:
        assert unit.start >= last_end and unit.end > unit.start
        assert text[unit.start:unit.end] == unit.text == unit.text.strip()
        covered.update(range(unit.start, unit.end))
        last_end = unit.end
    # separators (whitespace, newlines, ";", the comma before a contrast marker) are the
    # only characters left out
    assert all(text[i].isspace() or text[i] in ";," for i in range(len(text)) if i not in covered)
