"""Sentiment adaptation on every engine (issue 15): one process, ``--chunksize`` and Dask
fit the same fold models on the same sample and give the same unit calls."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import feedback_nlp
from feedback_nlp import adaptation
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.distributed import analyze_dask, read_dask
from feedback_nlp.sentiment import adapt as adapt_mod
from feedback_nlp.streaming import analyze_stream

COLUMNS = {"text": "avis", "score": "note"}
CONFIG = AnalysisConfig().replace(score_scale="stars", themes={"enabled": False})
PROBA = ["p_negative", "p_neutral", "p_positive"]


@pytest.fixture(scope="module")
def export(sample_csv, tmp_path_factory):
    """The first 1,200 rows of the bundled real insurance sample (>= 1,000 scored)."""
    path = tmp_path_factory.mktemp("adapt") / "avis.csv"
    pd.read_csv(sample_csv, dtype=str, keep_default_na=False).head(1200).to_csv(path, index=False)
    return path


def _same_sentiment(one: feedback_nlp.FeedbackAnalysis, documents: pd.DataFrame,
                    segments: pd.DataFrame) -> None:
    for column in PROBA:  # the same numbers, bit for bit
        np.testing.assert_array_equal(segments[column].to_numpy(),
                                      one.segments[column].to_numpy())
        np.testing.assert_array_equal(documents[column].to_numpy(dtype=float),
                                      one.documents[column].to_numpy(dtype=float))
    assert segments["sentiment"].tolist() == one.segments["sentiment"].tolist()
    as_text = [None if pd.isna(v) else v for v in documents["sentiment"]]
    assert as_text == [None if pd.isna(v) else v for v in one.documents["sentiment"]]
    assert documents["mixed"].astype(object).fillna("-").tolist() == \
        one.documents["mixed"].astype(object).fillna("-").tolist()


def test_every_engine_adapts_alike_on_a_capped_sample(export, tmp_path, monkeypatch) -> None:
    """Fit sample capped at 500 of the ~1,200 scored reviews (the path of big exports):
    one process, chunks of 250 rows and Dask partitions pick the same reviews."""
    monkeypatch.setattr(adapt_mod, "MAX_FIT_REVIEWS", 500)
    one = feedback_nlp.analyze(export, config=CONFIG, **COLUMNS)
    streamed = analyze_stream(export, tmp_path / "stream", chunksize=250, config=CONFIG,
                              **COLUMNS)
    dask = analyze_dask(read_dask(export, blocksize=60_000), config=CONFIG, **COLUMNS)
    infos = [r.info["sentiment_adaptation"] for r in (one, streamed, dask)]
    assert all(i["adapted"] and i["fit_reviews"] == 500 for i in infos)
    assert len({i["scored_reviews"] for i in infos}) == 1 and infos[0]["scored_reviews"] >= 1000
    assert len({i["message"] for i in infos}) == 1
    assert infos[0]["message"] == f"sentiment adapted on {infos[0]['scored_reviews']:,} scored reviews"
    # the pre-passes cleaned and segmented only the rows that could enter the sample
    assert all(0 < i["sample_rows_processed"] < 1200 for i in infos[1:])
    assert all(i["sample_seconds"] >= 0 and i["fit_seconds"] > 0 for i in infos[1:])
    assert dask.info["npartitions"] > 1
    _same_sentiment(one, dask.documents, dask.segments)
    _same_sentiment(one, pd.read_parquet(tmp_path / "stream" / "documents.parquet"),
                    pd.read_parquet(tmp_path / "stream" / "segments.parquet"))
    # too little headroom (as with many unusable rows): a second read looks at every chunk
    monkeypatch.setattr(adaptation, "HEADROOM", 0.5)
    again = analyze_stream(export, tmp_path / "again", chunksize=300, config=CONFIG, **COLUMNS)
    assert again.info["sentiment_adaptation"]["sample_rows_processed"] > 600
    _same_sentiment(one, pd.read_parquet(tmp_path / "again" / "documents.parquet"),
                    pd.read_parquet(tmp_path / "again" / "segments.parquet"))
    saved = json.loads((tmp_path / "stream" / "summary.json").read_text(encoding="utf-8"))
    assert saved["sentiment_adaptation"]["message"] == infos[0]["message"]
    assert "Sentiment adapté au domaine sur" in streamed.summary()


@pytest.mark.slow
def test_dask_workers_in_other_processes_adapt_alike(export) -> None:
    """The fold models travel to worker processes as numpy arrays in the bundle."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    one = feedback_nlp.analyze(export, config=CONFIG, **COLUMNS)
    raw = pd.read_csv(export, dtype=str, keep_default_na=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = analyze_dask(dd.from_pandas(raw, npartitions=3), config=CONFIG, client=client,
                              **COLUMNS)
    assert result.info["sentiment_adaptation"]["message"] == \
        one.info["sentiment_adaptation"]["message"]
    assert result.info["sentiment_adaptation"]["adapted"]
    _same_sentiment(one, result.documents, result.segments)


def test_cli_says_adapted_and_no_adapt_turns_it_off(export, tmp_path, capsys) -> None:
    from feedback_nlp.cli import main

    base = ["analyze", str(export), "--text", "avis", "--score", "note", "--score-scale",
            "stars", "--no-themes", "--no-report", "-q"]
    assert main([*base, "--chunksize", "400", "-o", str(tmp_path / "a")]) == 0
    assert "Sentiment adapté au domaine sur" in capsys.readouterr().out
    summary = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert summary["sentiment_adaptation"]["adapted"] is True
    assert main([*base, "--chunksize", "400", "--no-adapt", "-o", str(tmp_path / "b")]) == 0
    assert "désactivé (--no-adapt)" in capsys.readouterr().out
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert summary["sentiment_adaptation"]["code"] == "off"
    off = CONFIG.replace(sentiment_adapt=False)  # what --no-adapt builds, on Dask
    dask = analyze_dask(read_dask(export, blocksize=60_000), config=off, **COLUMNS)
    assert dask.info["sentiment_adaptation"]["code"] == "off"
    plain = feedback_nlp.analyze(export, config=off, **COLUMNS)
    _same_sentiment(plain, dask.documents, dask.segments)


def test_fit_sample_does_not_depend_on_the_cut() -> None:
    """Hand-made vectors (not real reviews): merging parts in any cut and order keeps the
    same lowest-ranked reviews, in row_id order."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    n = 300
    ids = np.arange(n) + 10
    labels = np.array(["negative", "neutral", "positive", None], dtype=object)[rng.integers(0, 4, n)]
    columns = rng.integers(0, adapt_mod.HASH_FEATURES, size=(n, 5))
    features = sp.csr_matrix((rng.random(5 * n), (np.repeat(np.arange(n), 5), columns.ravel())),
                             shape=(n, adapt_mod.HASH_FEATURES))
    whole = adapt_mod.sample_reviews(ids, labels, np.arange(n), features, np.ones(n), seed=3,
                                     cap=50)
    merged = adapt_mod.FitSample.empty(50)
    for part in (slice(200, 300), slice(0, 70), slice(70, 200)):
        piece = adapt_mod.sample_reviews(ids[part], labels[part], np.arange(len(ids[part])),
                                         features[part], np.ones(len(ids[part])), seed=3,
                                         cap=50, below=merged.below)
        merged = merged.merge(piece)
    assert merged.full and len(merged) == 50
    np.testing.assert_array_equal(merged.row_ids, whole.row_ids)
    assert (np.diff(merged.row_ids) > 0).all()
    assert (merged.vectors != whole.vectors).nnz == 0
    assert set(merged.labels) <= {"negative", "neutral", "positive"}


def test_rows_kept_during_the_theme_read_give_the_same_sample(export, monkeypatch) -> None:
    """Streaming with themes on keeps the pre-pass rows while the theme reservoir reads the
    file (no extra read): same fit sample as a read of its own."""
    from feedback_nlp.io import iter_feedback

    monkeypatch.setattr(adapt_mod, "MAX_FIT_REVIEWS", 500)

    def chunks():
        return iter_feedback(export, 300, **COLUMNS)

    columns = dict(next(chunks()).attrs["columns"])
    alone = adaptation.collect_stream(chunks, CONFIG, columns)
    ranked = adaptation.ranked_rows(CONFIG)
    for chunk in chunks():
        ranked.add(chunk)
    shared = adaptation.collect_stream(lambda: iter(()), CONFIG, columns, ranked)
    assert alone.full and len(alone) == 500
    np.testing.assert_array_equal(shared.row_ids, alone.row_ids)
    assert (shared.vectors != alone.vectors).nnz == 0
    assert shared.rows_processed == alone.rows_processed <= 626
