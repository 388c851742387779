"""Model directories with code-executing files are refused before anything is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback_nlp._safe import check_model_dir, confined_path
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


def test_skops_archive_is_refused(tmp_path: Path) -> None:
    # feedback-nlp never writes .skops (skops is no longer a dependency): not ours, refused.
    folder = _model_dir(tmp_path)
    (folder / "model.skops").write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsafeModelError, match="model.skops"):
        check_model_dir(folder, ["meta.json"])


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _model_dir(tmp_path)
    outside = tmp_path / "elsewhere.safetensors"
    outside.write_bytes(b"")
    (folder / "weights.safetensors").unlink()
    (folder / "weights.safetensors").symlink_to(outside)
    with pytest.raises(UnsafeModelError, match="points outside"):
        check_model_dir(folder, ["meta.json"])
    (tmp_path / "ok").mkdir()
    inner = _model_dir(tmp_path / "ok")
    (inner / "alias.json").symlink_to(inner / "meta.json")  # a link inside is fine
    assert check_model_dir(inner, ["meta.json"]) == inner


@pytest.mark.parametrize("name", ["/etc/passwd", "../../outside/loot", "a/../../b", "", 3, None,
                                  "sub/../../x"])
def test_confined_path_refuses_escapes(tmp_path: Path, name: object) -> None:
    with pytest.raises(UnsafeModelError) as info:
        confined_path(tmp_path, name)
    assert str(info.value).startswith("[E302]")


def test_confined_path_follows_links_before_deciding(tmp_path: Path) -> None:
    folder = tmp_path / "result"
    folder.mkdir()
    (folder / "documents.parquet").write_bytes(b"")
    (folder / "loot.parquet").symlink_to(tmp_path)
    assert confined_path(folder, "documents.parquet") == folder / "documents.parquet"
    with pytest.raises(UnsafeModelError, match="outside"):
        confined_path(folder, "loot.parquet")


def test_missing_and_incomplete_dirs(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        check_model_dir(tmp_path / "absent")
    folder = _model_dir(tmp_path)
    with pytest.raises(ModelLoadError, match="missing vocab.json"):
        check_model_dir(folder, ["meta.json", "vocab.json"])
    assert check_model_dir(folder, ["meta.json"]) == folder
