"""Strict configuration (issue 18): every section's types and ranges are checked, with a
one-line [E201] error naming the key and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.config import AnalysisConfig, DriverConfig, ThemeConfig
from feedback_nlp.errors import ConfigError


@pytest.mark.parametrize(("changes", "words"), [
    # "no" is truthy: before, raw (unmasked) text was kept.
    ({"keep_raw_text": "no"}, ["keep_raw_text", "true or false", "keep_raw_text = false"]),
    ({"keep_raw_text": 0}, ["keep_raw_text", "true or false"]),
    ({"check_language": "yes"}, ["check_language", "check_language = true"]),
    # before: "erreur interne" (TypeError comparing str and int)
    ({"n_jobs": "2"}, ["n_jobs", "an integer", "n_jobs = 2 (no quotes)"]),
    ({"n_jobs": 2.5}, ["n_jobs", "an integer"]),
    ({"seed": True}, ["seed", "an integer"]),
    ({"seed": -1}, ["seed", "between 0"]),
    ({"batch_size": 0}, ["batch_size", "at least 1"]),
    ({"max_text_chars": "5000"}, ["max_text_chars", "max_text_chars = 5000"]),
    ({"worker_timeout": "30"}, ["worker_timeout", "a number"]),
    ({"worker_timeout": float("nan")}, ["worker_timeout"]),
    ({"score_scale": 5}, ["score_scale", "'nps'"]),
    ({"sentiment_model": 3}, ["sentiment_model", "a string"]),
    # ThemeConfig was never validated before
    ({"themes": {"enabled": "false"}}, ["[themes] enabled", "[themes] section"]),
    ({"themes": {"max_themes": "30"}}, ["[themes] max_themes", "max_themes = 30"]),
    ({"themes": {"max_themes": 1}}, ["[themes] max_themes=1", "between 2 and 500"]),
    ({"themes": {"min_theme_size": 1}}, ["min_theme_size", "at least 2"]),
    ({"themes": {"fit_sample": 10}}, ["fit_sample", "at least 100"]),
    ({"themes": {"max_unassigned": 1.5}}, ["max_unassigned"]),
    ({"themes": {"max_theme_share": 0}}, ["max_theme_share"]),
    ({"themes": {"embedding": ""}}, ["embedding"]),
    ({"themes": {"taxonomy": 3}}, ["[themes] taxonomy", "a string"]),
    ({"drivers": {"confidence": "0.9"}}, ["[drivers] confidence", "confidence = 0.9"]),
    ({"drivers": {"min_support": True}}, ["[drivers] min_support"]),
    ({"drivers": {"n_bootstrap": 10}}, ["n_bootstrap"]),
])
def test_bad_values_give_one_line_e201(changes: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        AnalysisConfig().replace(**changes)
    message = str(info.value)
    assert message.startswith("[E201]") and "\n" not in message and "Fix:" in message
    for word in words:
        assert word in message, message


def test_toml_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('keep_raw_text = "no"\n[themes]\nmax_themes = 12\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="keep_raw_text"):
        AnalysisConfig.from_toml(path)
    path.write_text('n_jobs = 2\n[themes]\nmax_themes = 12\n', encoding="utf-8")
    config = AnalysisConfig.from_toml(path)
    assert config.n_jobs == 2 and config.themes.max_themes == 12


def test_good_values_are_normalised(tmp_path: Path) -> None:
    config = AnalysisConfig(n_jobs=np.int64(2), themes={"enabled": False},  # type: ignore[arg-type]
                            sentiment_model=tmp_path)  # type: ignore[arg-type]
    assert type(config.n_jobs) is int and config.n_jobs == 2
    assert isinstance(config.themes, ThemeConfig) and config.themes.enabled is False
    assert config.sentiment_model == str(tmp_path)
    assert DriverConfig(confidence=1 - 0.05).confidence == 0.95
    assert ThemeConfig(max_unassigned=0).max_unassigned == 0.0
    assert AnalysisConfig().replace(worker_timeout=None).worker_timeout is None


def test_direct_section_construction_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"\[themes\] enabled"):
        ThemeConfig(enabled="no")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Unknown configuration key"):
        AnalysisConfig(themes={"max_topics": 3})  # type: ignore[arg-type]
