"""FeedbackAnalysis: save / load round-trips every table, the provenance and the theme model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp import analyze
from feedback_nlp.result import THEME_MODEL_DIR, FeedbackAnalysis


@pytest.fixture(scope="module")
def with_themes(sample_csv: Path) -> FeedbackAnalysis:
    """400 real reviews of the bundled sample, themes fitted (sentiment off: faster)."""
    return analyze(sample_csv, text="avis", score="note", date="date", segment="produit",
                   score_scale="stars", sample=400, sentiment=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_save_load_round_trips_everything_saved(with_themes: FeedbackAnalysis,
                                                tmp_path: Path) -> None:
    assert with_themes.theme_model is not None and not with_themes.themes.empty
    first = with_themes.save(tmp_path / "a")
    assert (first / THEME_MODEL_DIR / "model.json").exists()
    loaded = FeedbackAnalysis.load(first)
    # The theme model comes back, and assigns the same themes to new texts.
    model = loaded.theme_model
    assert model is not None and type(model) is type(with_themes.theme_model)
    pd.testing.assert_frame_equal(model.themes_table(), with_themes.theme_model.themes_table())
    texts = with_themes.segments["text"].head(60).tolist()
    assert np.array_equal(model.transform(texts), with_themes.theme_model.transform(texts))
    # Every table and the provenance come back (the extra tables too).
    assert set(loaded.tables) == set(with_themes.tables) and loaded.tables
    assert loaded.info == {**with_themes.info, "tables": loaded.info["tables"]} or \
        set(loaded.info) == set(with_themes.info) | {"tables"}
    for name in ("documents", "segments", "themes", "priorities", "metrics", "trends"):
        assert len(getattr(loaded, name)) == len(getattr(with_themes, name)), name
    # Saving what was loaded writes the same CSV, JSON and model bytes and the same
    # Parquet tables: nothing saved is lost on load.
    second = loaded.save(tmp_path / "b")
    one, two = _files(first), _files(second)
    assert one.keys() == two.keys()
    assert [n for n in one if not n.endswith(".parquet") and one[n] != two[n]] == []
    for name in (n for n in one if n.endswith(".parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(second / name),
                                      pd.read_parquet(first / name), obj=name)


def test_load_without_theme_model_leaves_it_empty(sample_csv: Path, tmp_path: Path) -> None:
    result = analyze(sample_csv, text="avis", score="note", score_scale="stars", sample=120,
                     sentiment=False, themes={"enabled": False})
    loaded = FeedbackAnalysis.load(result.save(tmp_path))
    assert loaded.theme_model is None
    assert not (tmp_path / THEME_MODEL_DIR).exists()
    pd.testing.assert_frame_equal(loaded.metrics, result.metrics, check_dtype=False)
