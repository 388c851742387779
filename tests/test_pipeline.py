"""analyze() end to end on the bundled real sample; save/load; config; determinism."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feedback_nlp import AnalysisConfig, FeedbackAnalysis, analyze
from feedback_nlp.errors import ConfigError
from feedback_nlp.pipeline import STATUSES

FAST = {"sentiment": False, "themes": {"enabled": False}}


@pytest.fixture(scope="module")
def sample_result(sample_csv: Path) -> FeedbackAnalysis:
    return analyze(sample_csv, text="avis", score="note", date="date", segment="produit",
                   keep=["assureur"], score_scale="stars", **FAST)


def test_every_row_accounted_for(sample_result: FeedbackAnalysis, sample_csv: Path) -> None:
    rows = len(pd.read_csv(sample_csv))
    docs = sample_result.documents
    assert len(docs) == rows == sample_result.info["rows_read"]
    assert docs["row_id"].tolist() == list(range(rows))
    assert sum(sample_result.info["rows_by_status"].values()) == rows
    assert set(docs["status"]) <= set(STATUSES)
    for column in ("row_id", "text", "clean_text", "status", "status_detail", "score",
                   "nps_class", "date", "segment", "assureur"):
        assert column in docs.columns


def test_star_proxy_is_labelled(sample_result: FeedbackAnalysis) -> None:
    assert sample_result.is_proxy
    overall = sample_result.metrics.iloc[0]
    assert overall["cut"] == "all" and bool(overall["is_proxy"])
    assert "proxy" in sample_result.summary()
    # 1-3 stars are detractors, 5 promoters under the proxy
    docs = sample_result.documents
    assert set(docs.loc[docs["score"] <= 3, "nps_class"]) == {"detractor"}
    assert set(docs.loc[docs["score"] == 5, "nps_class"]) == {"promoter"}


def test_metrics_by_segment(sample_result: FeedbackAnalysis) -> None:
    segments = sample_result.metrics[sample_result.metrics["cut"] == "segment"]
    assert {"auto", "sante"} <= set(segments["value"])
    assert segments["n"].sum() == sample_result.metrics.iloc[0]["n"]


def test_segments_cover_usable_rows(sample_result: FeedbackAnalysis) -> None:
    usable = set(sample_result.documents.loc[sample_result.documents["text_status"] == "ok", "row_id"])
    assert set(sample_result.segments["row_id"]) == usable
    seg = sample_result.segments.merge(sample_result.documents[["row_id", "clean_text"]], on="row_id")
    sliced = [t[s:e] for t, s, e in zip(seg["clean_text"], seg["start"], seg["end"])]
    assert sliced == seg["text"].tolist()


def test_save_load_roundtrip(sample_result: FeedbackAnalysis, tmp_path: Path) -> None:
    sample_result.save(tmp_path)
    for name in ("documents.parquet", "documents.csv", "metrics.parquet", "summary.json"):
        assert (tmp_path / name).exists()
    loaded = FeedbackAnalysis.load(tmp_path)
    pd.testing.assert_frame_equal(loaded.documents, sample_result.documents, check_dtype=False)
    assert loaded.info["rows_read"] == sample_result.info["rows_read"]
    assert loaded.info["seed"] == 42 and "pandas" in loaded.info["versions"]


def test_pii_never_reaches_saved_tables(tmp_path: Path) -> None:
    frame = pd.DataFrame({"avis": ["Rappelez-moi au 06 12 34 56 78 ou jean.dupont@mail.fr, colis perdu"],
                          "nps": [2]})
    result = analyze(frame, "avis", "nps", **FAST)
    result.save(tmp_path)
    for path in tmp_path.iterdir():
        if path.suffix in (".csv", ".json"):
            content = path.read_text(encoding="utf-8-sig")
            assert "06 12 34 56 78" not in content and "jean.dupont" not in content
    raw = analyze(frame, "avis", "nps", keep_raw_text=True, **FAST)
    assert "jean.dupont@mail.fr" in raw.documents["text"].iloc[0]


def test_same_input_same_tables(sample_csv: Path, tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        result = analyze(sample_csv, text="avis", score="note", date="date", score_scale="stars",
                         sample=500, **FAST)
        result.save(tmp_path / run)
        outputs.append(tmp_path / run)
    for name in ("documents.csv", "segments.csv", "metrics.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()


def test_sample_option(sample_csv: Path) -> None:
    result = analyze(sample_csv, text="avis", sample=100, **FAST)
    assert len(result.documents) == 100
    assert result.documents["row_id"].is_monotonic_increasing


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('seed = 7\nscore_scale = "stars"\n[themes]\nmax_themes = 12\n', encoding="utf-8")
    config = AnalysisConfig.from_toml(path)
    assert config.seed == 7 and config.score_scale == "stars" and config.themes.max_themes == 12
    path.write_text("sead = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="sead"):
        AnalysisConfig.from_toml(path)
    with pytest.raises(ConfigError, match="score_scale"):
        AnalysisConfig(score_scale="stars5")  # type: ignore[arg-type]
    assert AnalysisConfig().replace(themes={"enabled": False}).themes.enabled is False


def test_unknown_option_is_a_clear_error(sample_csv: Path) -> None:
    with pytest.raises(ConfigError, match="seeed"):
        analyze(sample_csv, text="avis", seeed=3)
