"""Chunked analysis: same tables as one pass, every input row kept, bounded memory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import feedback_nlp
from feedback_nlp.cli import main
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import ConfigError
from feedback_nlp.streaming import COMPACT_DOCUMENT_COLUMNS, analyze_stream, reservoir_sample

COLUMNS = {"text": "avis", "score": "note", "date": "date", "segment": "produit"}
# Sentiment adaptation (issue 15) is off here to keep these tests quick; its equality
# across engines is tested in tests/test_adapt_engines.py.
CONFIG = AnalysisConfig().replace(score_scale="stars", themes={"enabled": False},
                                  sentiment_adapt=False)


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells as None: Parquet reads a missing label back as NaN (pandas string
    dtype) where the in-memory table holds None (e.g. sentiment of a not_french row)."""
    return frame.astype(object).where(frame.notna(), None)


@pytest.fixture(scope="module")
def single(sample_csv):
    return feedback_nlp.analyze(sample_csv, config=CONFIG, **COLUMNS)


@pytest.fixture(scope="module")
def streamed(sample_csv, tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    return analyze_stream(sample_csv, folder, chunksize=700, config=CONFIG, **COLUMNS), folder


def test_streamed_tables_equal_one_pass(single, streamed) -> None:
    result, folder = streamed
    documents = pd.read_parquet(folder / "documents.parquet")
    segments = pd.read_parquet(folder / "segments.parquet")
    assert len(documents) == len(single.documents) == 3000
    pd.testing.assert_frame_equal(_missing_as_none(documents),
                                  _missing_as_none(single.documents), check_dtype=False)
    pd.testing.assert_frame_equal(_missing_as_none(segments),
                                  _missing_as_none(single.segments), check_dtype=False)
    pd.testing.assert_frame_equal(result.metrics, single.metrics)
    pd.testing.assert_frame_equal(result.trends, single.trends)
    pd.testing.assert_frame_equal(result.theme_by_nps, single.theme_by_nps)


def test_stream_output_loads_back(streamed) -> None:
    _, folder = streamed
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_read"] == 3000
    assert summary["tables"][:2] == ["documents", "segments"]
    loaded = feedback_nlp.FeedbackAnalysis.load(folder)
    assert len(loaded.documents) == 3000
    csv = pd.read_csv(folder / "documents.csv", encoding="utf-8-sig")
    assert len(csv) == 3000 and csv["row_id"].tolist() == list(range(3000))


def test_in_memory_tables_are_compact(streamed) -> None:
    result, _ = streamed
    assert set(result.documents.columns) <= set(COMPACT_DOCUMENT_COLUMNS)
    assert "text" not in result.documents.columns and "clean_text" not in result.documents.columns
    assert "text" not in result.segments.columns


def test_every_row_kept_with_awkward_rows_across_chunks(tmp_path) -> None:
    # Hand-written fixture (not real reviews): blanks, noise, bad scores, a formula.
    texts = ["Livraison rapide mais SAV injoignable", "", "RAS", "=HYPERLINK(\"x\")",
             "Très déçu, jamais reçu le colis", "n/a", "Parfait"] * 5
    scores = ["9", "", "10", "abc", "2", "7", "11"] * 5
    path = tmp_path / "export.csv"
    pd.DataFrame({"commentaire": texts, "nps": scores}).to_csv(path, sep=";", index=False)
    out = tmp_path / "out"
    config = AnalysisConfig().replace(themes={"enabled": False})
    analyze_stream(path, out, "commentaire", "nps", chunksize=4, config=config)
    documents = pd.read_parquet(out / "documents.parquet")
    expected = feedback_nlp.analyze(path, "commentaire", "nps", config=config).documents
    assert documents["row_id"].tolist() == list(range(len(texts)))
    assert documents["status"].tolist() == expected["status"].tolist()
    assert documents["status_detail"].tolist() == expected["status_detail"].tolist()
    csv_text = (out / "documents.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text


def test_reservoir_sample_is_uniform_seeded_and_bounded() -> None:
    frame = pd.DataFrame({"row_id": np.arange(10_000), "value": np.arange(10_000) % 7})
    chunks = [frame.iloc[i : i + 900] for i in range(0, len(frame), 900)]
    sample, seen = reservoir_sample(iter(chunks), 500, seed=3)
    again, _ = reservoir_sample(iter(chunks), 500, seed=3)
    other, _ = reservoir_sample(iter(chunks), 500, seed=4)
    assert seen == 10_000 and len(sample) == 500
    assert sample["row_id"].is_unique and sample["row_id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(sample, again)
    assert not sample.equals(other)
    # Uniform: each tenth of the input holds about a tenth of the sample (binomial
    # sd ~6.7; 5 sd bounds make a false alarm practically impossible).
    counts = np.bincount(sample["row_id"].to_numpy() // 1000, minlength=10)
    assert counts.min() > 50 - 34 and counts.max() < 50 + 34
    whole, n = reservoir_sample(iter(chunks), 20_000, seed=3)
    assert n == 10_000 and whole["row_id"].tolist() == list(range(10_000))


def test_bad_chunksize_is_a_clear_error(sample_csv, tmp_path) -> None:
    with pytest.raises(ConfigError):
        analyze_stream(sample_csv, tmp_path, chunksize=0, **COLUMNS)


def test_cli_chunksize(sample_csv, tmp_path, capsys) -> None:
    out = tmp_path / "cli"
    code = main(["analyze", str(sample_csv), "--text", "avis", "--score", "note",
                 "--score-scale", "stars", "--chunksize", "1000", "--no-themes",
                 "--no-report", "-q", "-o", str(out)])
    assert code == 0
    assert len(pd.read_parquet(out / "documents.parquet")) == 3000
    assert "Lignes lues : 3 000" in capsys.readouterr().out


def test_cli_rejects_conflicting_scale_options(sample_csv, tmp_path, capsys) -> None:
    code = main(["analyze", str(sample_csv), "--chunksize", "100", "--engine", "dask",
                 "-q", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code = main(["analyze", str(sample_csv), "--chunksize", "100", "--sample", "10",
                 "-q", "-o", str(tmp_path)])
    assert code != 0


@pytest.mark.slow
def test_worker_processes_give_the_same_tables(sample_csv, tmp_path) -> None:
    # Sentiment off: this checks the process pool's ordering, not the model (and a
    # spawned worker loading it costs seconds).
    config = CONFIG.replace(sentiment=False)
    one = analyze_stream(sample_csv, tmp_path / "one", chunksize=600, config=config, **COLUMNS)
    two = analyze_stream(sample_csv, tmp_path / "two", chunksize=600,
                         config=config.replace(n_jobs=2), **COLUMNS)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "documents.parquet"),
                                  pd.read_parquet(tmp_path / "two" / "documents.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "segments.parquet"),
                                  pd.read_parquet(tmp_path / "two" / "segments.parquet"))
    pd.testing.assert_frame_equal(one.metrics, two.metrics)


def test_table_writer_types_columns_empty_in_the_first_chunk(tmp_path) -> None:
    from feedback_nlp.io import TableAppender

    writer = TableAppender(tmp_path, "documents", csv=True)
    writer.write(pd.DataFrame({"row_id": [0, 1], "theme_ids": [[], []], "theme_labels": [[], []],
                               "note": [None, None]}))
    writer.write(pd.DataFrame({"row_id": [2], "theme_ids": [[3, 5]],
                               "theme_labels": [["Prix", "Délais"]], "note": ["x"]}))
    writer.close()
    back = pd.read_parquet(tmp_path / "documents.parquet")
    assert back["row_id"].tolist() == [0, 1, 2]
    assert list(back["theme_ids"].iloc[2]) == [3, 5]
    assert list(back["theme_labels"].iloc[2]) == ["Prix", "Délais"]
    assert back["note"].tolist()[2] == "x"


def test_ids_repeated_in_a_later_chunk_are_noted(tmp_path) -> None:
    # Hand-written fixture (not real reviews): id "A" in chunks 1 and 3, "B" twice in chunk 2.
    frame = pd.DataFrame({"commentaire": ["Livraison rapide", "SAV injoignable", "Colis abîmé",
                                          "Très bien", "Remboursement lent", "Prix correct"],
                          "nps": ["9", "2", "3", "10", "1", "8"],
                          "ref": ["A", "Z", "B", "B", "A", "C"]})
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", index=False)
    config = AnalysisConfig().replace(themes={"enabled": False}, sentiment=False)
    analyze_stream(path, tmp_path / "out", "commentaire", "nps", id="ref", chunksize=2, config=config)
    details = pd.read_parquet(tmp_path / "out" / "documents.parquet")["status_detail"].tolist()
    # The first "A" was written before its repeat was read: only the repeat is noted.
    assert ["en double" in d for d in details] == [False, False, True, True, True, False]
