"""TransformerSentiment and finetune with a tiny BERT built here (random weights, a small
hand-written vocabulary): nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.errors import ModelLoadError
from feedback_nlp.sentiment import LABELS, TransformerSentiment, finetune, load_model

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "livraison", "rapide", "colis", "cassé",
         "super", "nul", "pas", "mal", "sav", "injoignable", "merci", "bof", "moyen", "très",
         "bien", "je", "recommande", "ne", "jamais", ",", ".", "!", "'"]
TEXTS = ["livraison rapide , merci !", "colis cassé , nul .", "bof , moyen .",
         "très bien , je recommande", "sav injoignable , nul", "pas mal , moyen"]
LABELS_ = ["positive", "negative", "neutral", "positive", "negative", "neutral"]


def tiny_bert(directory: Path, id2label: dict[int, str] | None = None) -> Path:
    """Write a 2-layer, hidden-size-32 BERT classifier with a tiny WordPiece vocab."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    id2label = id2label or {0: "NEGATIVE", 1: "NEUTRAL", 2: "POSITIVE"}
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=37, max_position_embeddings=64,
                        num_labels=len(id2label), id2label=id2label,
                        label2id={v: k for k, v in id2label.items()})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(str(directory), safe_serialization=True)
    tokenizer.save_pretrained(str(directory))
    return directory


def test_load_and_predict(tmp_path: Path) -> None:
    model = TransformerSentiment(tiny_bert(tmp_path / "bert"), batch_size=4, max_length=8)
    proba = model.predict_proba(TEXTS + ["texte " * 200])  # long text is truncated
    assert list(proba.columns) == list(LABELS)
    assert len(proba) == len(TEXTS) + 1
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(model.predict(TEXTS)) <= set(LABELS)
    assert model.device_ in ("cpu", "cuda")


def test_two_class_model_and_label_map(tmp_path: Path) -> None:
    path = tiny_bert(tmp_path / "bert2", {0: "mauvais", 1: "bon"})
    with pytest.raises(ModelLoadError, match="label_map"):
        TransformerSentiment(path).fit()
    model = TransformerSentiment(path, label_map={"mauvais": "negative", "bon": "positive"})
    proba = model.predict_proba(TEXTS)
    assert (proba["neutral"] == 0).all()
    np.testing.assert_allclose(proba["negative"] + proba["positive"], 1.0, rtol=1e-5)


def test_finetune_save_reload_predict(tmp_path: Path) -> None:
    base = tiny_bert(tmp_path / "base", {0: "LABEL_0", 1: "LABEL_1"})
    texts, labels = TEXTS * 8, LABELS_ * 8
    out = finetune(base, texts, labels, tmp_path / "tuned", epochs=1, batch_size=8,
                   learning_rate=2e-3, max_length=16, max_steps=40, seed=0)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["steps"] == 40 and meta["labels"] == list(LABELS)
    assert meta["last_loss"] < meta["first_loss"]
    assert list(out.glob("*.safetensors")) and not list(out.glob("*.bin"))
    model = load_model(out)  # dispatches on config.json
    assert isinstance(model, TransformerSentiment)
    predicted = model.predict(TEXTS)
    # 40 steps on 6 distinct sentences: the tiny model learns most of them (chance: 1/3).
    assert (predicted == np.array(LABELS_)).mean() >= 4 / 6


def test_finetune_cli(tmp_path: Path) -> None:
    from feedback_nlp.cli import main

    base = tiny_bert(tmp_path / "base")
    data = tmp_path / "train.csv"
    pd.DataFrame({"text": TEXTS * 2, "label": LABELS_ * 2}).to_csv(data, index=False)
    code = main(["finetune-sentiment", "--base", str(base), "--data", str(data),
                 "--out", str(tmp_path / "out"), "--max-steps", "2", "--batch-size", "4",
                 "--max-length", "16"])
    assert code == 0
    assert (tmp_path / "out" / "config.json").is_file()


def test_missing_or_unsafe_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelLoadError, match="never downloads"):
        TransformerSentiment(tmp_path / "absent").fit()
    bad = tmp_path / "pickled"
    bad.mkdir()
    (bad / "config.json").write_text("{}", encoding="utf-8")
    (bad / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError, match="refused"):
        TransformerSentiment(bad).fit()
    from feedback_nlp.cli import main

    code = main(["finetune-sentiment", "--base", str(tmp_path / "absent"), "--data",
                 str(tmp_path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code != 0 and "E301" in err and "Traceback" not in err



def test_transformer_loader_refuses_a_model_dir_with_a_pickle(tmp_path: Path,
                                                              plant_pickle) -> None:
    from feedback_nlp.errors import UnsafeModelError

    folder = tiny_bert(tmp_path / "bert")
    marker = plant_pickle(folder, "extra_head.pkl")
    with pytest.raises(UnsafeModelError, match=r"extra_head\.pkl.*refused") as info:
        TransformerSentiment(folder).fit()
    assert info.value.code == "E302" and "\n" not in str(info.value)
    with pytest.raises(UnsafeModelError, match="extra_head.pkl"):
        load_model(folder)
    with pytest.raises(UnsafeModelError, match="extra_head.pkl"):
        finetune(folder, ["bien"], ["positive"], tmp_path / "out", max_steps=1)
    assert not marker.exists() and not (tmp_path / "out").exists()
