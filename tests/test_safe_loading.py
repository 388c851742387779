"""Model directories with code-executing files are refused before anything is loaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedback_nlp._safe import check_model_dir, check_skops
from feedback_nlp.errors import ModelLoadError, UnsafeModelError


def _model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "meta.json").write_text("{}", encoding="utf-8")
    (folder / "weights.safetensors").write_bytes(b"")
    return folder


def test_malicious_pickle_is_refused_without_running(tmp_path: Path, plant_pickle) -> None:
    folder = _model_dir(tmp_path)
    marker = plant_pickle(folder)
    with pytest.raises(UnsafeModelError, match="model.pkl") as info:
        check_model_dir(folder, ["meta.json"], what="sentiment model")
    assert "refused" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_untrusted_skops_type_is_refused(tmp_path: Path) -> None:
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    folder = _model_dir(tmp_path)
    skops.io.dump(FunctionTransformer(func=os.system), folder / "model.skops")
    with pytest.raises(UnsafeModelError, match="untrusted types"):
        check_model_dir(folder, ["meta.json"])


def test_trusted_skops_is_accepted(tmp_path: Path) -> None:
    import skops.io
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    path = tmp_path / "lr.skops"
    skops.io.dump(model, path)
    # skops trusts scikit-learn's own estimators by default: nothing is left untrusted.
    assert set(check_skops(path)) <= {"sklearn.linear_model._logistic.LogisticRegression"}


def test_missing_and_incomplete_dirs(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        check_model_dir(tmp_path / "absent")
    folder = _model_dir(tmp_path)
    with pytest.raises(ModelLoadError, match="missing vocab.json"):
        check_model_dir(folder, ["meta.json", "vocab.json"])
    assert check_model_dir(folder, ["meta.json"]) == folder
