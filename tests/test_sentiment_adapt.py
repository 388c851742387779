"""Adaptation of sentiment to a run's own scores (feedback_nlp.sentiment.adapt)."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp.sentiment.adapt import adapt_units, score_labels, unit_features

# A small in-domain vocabulary the shipped model would not know: "clim" complaints are
# negative in this "domain", "vue" praise is positive.
NEG = ["la clim {} en panne", "clim bruyante {}", "clim {} hors service", "la clim {} fuit"]
POS = ["vue {} superbe", "la vue {} magnifique", "vue {} splendide", "jolie vue {}"]


def _toy(n_reviews: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    texts, unit_review, labels = [], [], []
    for review in range(n_reviews):
        label = "negative" if review % 2 else "positive"
        pool = NEG if label == "negative" else POS
        for _ in range(2):
            texts.append(rng.choice(pool).format(f"w{rng.integers(50)}"))
            unit_review.append(review)
        labels.append(label)
    base = np.tile([0.3, 0.4, 0.3], (len(texts), 1))  # an uninformed shipped model
    return texts, np.array(unit_review), np.array(labels, dtype=object), base


def test_score_labels_scales() -> None:
    assert score_labels([1, 2, 3, 4, 5], "stars").tolist() == [
        "negative", "negative", "neutral", "positive", "positive"]
    assert score_labels([0, 6, 7, 8, 9, 10], "nps").tolist() == [
        "negative", "negative", "neutral", "neutral", "positive", "positive"]
    assert score_labels([np.nan], "nps").tolist() == [None]


def test_adaptation_learns_the_domain_and_is_deterministic() -> None:
    texts, unit_review, labels, base = _toy()
    first = adapt_units(unit_review, base, labels, unit_texts=texts, seed=3, min_reviews=100)
    again = adapt_units(unit_review, base, labels, unit_texts=texts, seed=3, min_reviews=100)
    assert first.adapted and first.n_scored == 400
    np.testing.assert_array_equal(first.proba, again.proba)
    predicted = np.where(first.proba[:, 0] > first.proba[:, 2], "negative", "positive")
    truth = labels[unit_review]
    assert (predicted == truth).mean() > 0.95
    np.testing.assert_allclose(first.proba.sum(axis=1), 1.0)
    assert "400" in first.message()


def test_cross_fitting_never_uses_a_reviews_own_score() -> None:
    """A unit whose text occurs in no other review: flipping its review's score must not
    change its call (the model that predicts it never saw that score)."""
    texts, unit_review, labels, base = _toy()
    texts = list(texts)
    texts[0] = "zorglub unique"  # review 0, first unit: words seen nowhere else
    flipped = labels.copy()
    flipped[0] = "negative" if labels[0] == "positive" else "positive"
    one = adapt_units(unit_review, base, labels, unit_texts=texts, seed=1, min_reviews=100)
    two = adapt_units(unit_review, base, flipped, unit_texts=texts, seed=1, min_reviews=100)
    np.testing.assert_allclose(one.proba[0], two.proba[0], atol=1e-9)


def test_units_of_unscored_reviews_are_predicted_too() -> None:
    texts, unit_review, labels, base = _toy()
    labels = labels.copy()
    labels[:50] = None
    result = adapt_units(unit_review, base, labels, unit_texts=texts, min_reviews=100)
    assert result.adapted and result.n_scored == 350
    units = np.isin(unit_review, np.arange(50))
    predicted = np.where(result.proba[units, 0] > result.proba[units, 2], "negative", "positive")
    truth = np.where(unit_review[units] % 2, "negative", "positive")
    assert (predicted == truth).mean() > 0.95


@pytest.mark.parametrize("case", ["few", "uniform"])
def test_no_adaptation_below_the_threshold(case: str) -> None:
    texts, unit_review, labels, base = _toy()
    if case == "few":
        labels = labels.copy()
        labels[20:] = None
        reason = "20 scored reviews"
    else:
        labels = np.full(len(labels), "positive", dtype=object)
        reason = "too uniform"
    result = adapt_units(unit_review, base, labels, unit_texts=texts, min_reviews=100)
    assert not result.adapted
    assert reason in result.reason and "not adapted" in result.message()
    np.testing.assert_array_equal(result.proba, base)


def test_weight_zero_keeps_the_shipped_model() -> None:
    texts, unit_review, labels, _ = _toy()
    rng = np.random.default_rng(0)
    base = rng.dirichlet([1, 1, 1], size=len(texts))
    result = adapt_units(unit_review, base, labels, unit_texts=texts, weight=0.0, min_reviews=100)
    np.testing.assert_allclose(result.proba, base, atol=1e-9)


def test_unit_features_mark_negation() -> None:
    plain = unit_features(["service rapide"])
    negated = unit_features(["service pas rapide"])
    assert plain.shape == negated.shape
    # "rapide" under negation becomes neg_rapide: no shared non-zero column but "service"
    shared = set(plain.indices) & set(negated.indices)
    assert len(shared) == 1


def _reference_features(texts):
    """The previous implementation: sklearn's HashingVectorizer over the marked 1-2-grams."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    from feedback_nlp.sentiment.adapt import HASH_FEATURES
    from feedback_nlp.sentiment.linear import _marked_tokens

    def grams(text):
        tokens = _marked_tokens(text)
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]

    hasher = HashingVectorizer(analyzer=grams, n_features=HASH_FEATURES, alternate_sign=False,
                               norm=None, dtype=np.float32)
    counts = hasher.transform(list(texts)).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    return normalize(counts)


def test_hashed_features_equal_hashing_vectorizer_bit_for_bit() -> None:
    """The fast path (each distinct 1-/2-gram hashed once, from tokens the shipped model
    already computed) gives exactly sklearn's matrix on real reviews' units."""
    from feedback_nlp.segment import split_opinions
    from feedback_nlp.sentiment.adapt import hashed_features
    from feedback_nlp.sentiment.linear import _marked_tokens

    reviews = _sample("avis_assurance_2021.csv")["avis"].dropna().astype(str).head(800)
    texts = [u.text for t in reviews for u in (split_opinions(t) or [])]
    texts += ["", "pas", "n'est pas", "Très très bien !!", "ça ne va pas du tout, mais ok"]
    expected = _reference_features(texts)
    for got in (unit_features(texts), hashed_features([_marked_tokens(t) for t in texts])):
        got.sort_indices()
        expected.sort_indices()
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.indptr, expected.indptr)
        np.testing.assert_array_equal(got.indices, expected.indices)
        np.testing.assert_array_equal(got.data, expected.data)
    assert hashed_features([]).shape == (0, expected.shape[1])
    assert hashed_features([[], []]).nnz == 0


# ------------------------------------------------------------------ wired into analyze()

def _sample(name: str = "avis_showroomprive.csv"):
    from pathlib import Path

    import pandas as pd

    return pd.read_csv(Path(__file__).resolve().parents[1] / "data" / name)


def test_analyze_adapts_by_default_and_no_adapt_turns_it_off() -> None:
    import feedback_nlp

    frame = _sample("avis_assurance_2021.csv")  # 3,000 scored reviews (>= MIN_REVIEWS)
    options = dict(score_scale="stars", themes={"enabled": False})
    adapted = feedback_nlp.analyze(frame, "avis", "note", **options)
    plain = feedback_nlp.analyze(frame, "avis", "note", sentiment_adapt=False, **options)
    info = adapted.info["sentiment_adaptation"]
    assert info["adapted"] and info["scored_reviews"] >= 1000
    assert f"{info['scored_reviews']:,}" in info["message"]
    assert "adapté" in adapted.summary()
    assert plain.info["sentiment_adaptation"]["code"] == "off"
    assert "non adapté" in plain.summary()
    from feedback_nlp.report.html import render_html

    assert "Sentiment adapté au domaine sur" in render_html(adapted, "fr")
    assert "Sentiment not adapted: turned off" in render_html(plain, "en")
    # units changed, every row kept its status, and the calls stay probabilities
    assert len(adapted.segments) == len(plain.segments)
    assert (adapted.segments["p_negative"] != plain.segments["p_negative"]).any()
    total = adapted.segments[["p_negative", "p_neutral", "p_positive"]].sum(axis=1)
    assert np.allclose(total, 1.0)
    assert adapted.documents["status"].tolist() == plain.documents["status"].tolist()
    # cross-fitted, so agreement with the stars is a fair check: not worse than the shipped model
    ok = adapted.documents["text_status"] == "ok"
    truth = np.where(adapted.documents.loc[ok, "score"] >= 4, "positive", "negative")
    polar = adapted.documents.loc[ok, "score"] != 3

    def binary(result) -> float:
        docs = result.documents.loc[ok]
        call = np.where(docs["p_positive"] >= docs["p_negative"], "positive", "negative")
        return float((call == truth)[polar.to_numpy()].mean())

    assert binary(adapted) >= binary(plain) - 0.01
    # the sentiment stage's tokens gave the adaptation features; same result as
    # featurising the units again in the adaptation step
    assert info["features_reused"] is True
    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.sentiment import adapt_run

    config = AnalysisConfig().replace(score_scale="stars")
    base = plain.segments.drop(columns=["theme_id", "theme_label"], errors="ignore")
    _, again, again_info = adapt_run(plain.documents, base, config)
    assert again_info["features_reused"] is False
    np.testing.assert_array_equal(again["p_negative"].to_numpy(),
                                  adapted.segments["p_negative"].to_numpy())


def test_analyze_without_enough_scores_says_why() -> None:
    import feedback_nlp

    frame = _sample().head(60)
    result = feedback_nlp.analyze(frame, "avis", "note", score_scale="stars",
                                  themes={"enabled": False})
    info = result.info["sentiment_adaptation"]
    assert not info["adapted"] and info["code"] == "too_few"
    assert "non adapté" in result.summary()
    no_score = feedback_nlp.analyze(frame, "avis", themes={"enabled": False})
    assert no_score.info["sentiment_adaptation"]["code"] == "no_score"


def test_cli_no_adapt_flag() -> None:
    from feedback_nlp.cli import build_parser
    from feedback_nlp.cli.analyze import build_config

    parser = build_parser()
    args = parser.parse_args(["analyze", "x.csv", "--no-adapt"])
    assert build_config(args).sentiment_adapt is False
    args = parser.parse_args(["analyze", "x.csv"])
    assert build_config(args).sentiment_adapt is True


def test_features_are_kept_only_when_the_run_may_adapt() -> None:
    import pandas as pd

    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.sentiment import may_adapt

    config = AnalysisConfig()
    scored = pd.DataFrame({"text": ["ok"] * 1000, "score": [9.0] * 1000})
    assert may_adapt(scored, config)
    assert not may_adapt(scored.head(999), config)
    assert not may_adapt(scored.drop(columns="score"), config)
    assert not may_adapt(scored, config.replace(sentiment_adapt=False))
