"""Training rows of the sentiment build: new-domain files, group weight factors, the
Booking training half (issue 15). Small slices of the real shared files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.sentiment.train import (
    BOOKING_FILE,
    NEW_DOMAIN_FILES,
    TRAIN_FILES,
    booking_training_half,
    booking_training_units,
    domain_weights,
    group_weights,
    load_reviews,
    new_domain_reviews,
    split_reviews,
    training_rows,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
needs_data = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs ../shared/data")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first rows of every training, new-domain and Booking file."""
    folder = tmp_path_factory.mktemp("data")
    for name in [*TRAIN_FILES, *NEW_DOMAIN_FILES, BOOKING_FILE]:
        rows = 3000 if "cdiscount" in name else 300
        pd.read_csv(SHARED_DATA / name, nrows=rows).to_csv(folder / name, index=False)
    return folder


def test_group_weights_scale_a_group_and_keep_mean_one() -> None:
    groups = ["a"] * 6 + ["b"] * 4
    labels = ["positive", "negative"] * 5
    plain = domain_weights(groups, labels)
    np.testing.assert_allclose(group_weights(groups, labels), plain)
    scaled = group_weights(groups, labels, {"b": 0.5})
    assert scaled.mean() == pytest.approx(1.0)
    share_b = scaled[6:].sum() / scaled[:6].sum()
    assert share_b == pytest.approx(0.5 * plain[6:].sum() / plain[:6].sum())
    # within a group, the classes stay balanced
    assert scaled[6:][::2].sum() == pytest.approx(scaled[6:][1::2].sum())


def test_booking_training_half_is_seeded_and_half() -> None:
    a, b = booking_training_half(3631, seed=42), booking_training_half(3631, seed=42)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == 3631 // 2
    assert not np.array_equal(a, booking_training_half(3631, seed=1))


@needs_data
def test_booking_training_units_come_from_the_training_half_only(data: Path) -> None:
    frame = pd.read_csv(data / BOOKING_FILE)
    half = booking_training_half(len(frame), seed=42)
    fields = booking_training_units(data, seed=42, segment=False)
    units = booking_training_units(data, seed=42, segment=True)
    assert set(fields["label"]) == {"positive", "negative"} and (fields["group"] == "hotel").all()
    # every field comes from a training-half review, none from the other half
    from feedback_nlp.clean import clean_series

    for column in ("positive_text", "negative_text"):
        cleaned = clean_series(frame[column].fillna("").astype(str))
        other = set(cleaned[~half]) - set(cleaned[half])
        assert not other & set(fields["text"])
    # segmented: more, shorter units, each keeping its field's label
    assert len(units) > len(fields)
    assert units["text"].str.len().mean() < fields["text"].str.len().mean()
    assert units.groupby("label").size().index.tolist() == ["negative", "positive"]


@needs_data
def test_new_domain_reviews_cut_cdiscount_and_keep_own_labels(data: Path) -> None:
    rows = new_domain_reviews(data, cdiscount=1000, seed=42)
    cdiscount = rows[rows["group"] == "cdiscount"]
    assert abs(len(cdiscount) - 1000) <= 3
    full = load_reviews(data, files={"fr_reviews_ecommerce_cdiscount.csv.gz": "cdiscount"})
    shares = full["label"].value_counts(normalize=True)
    for label, share in cdiscount["label"].value_counts(normalize=True).items():
        assert share == pytest.approx(shares[label], abs=0.01)  # stratified by label
    spp = rows[rows["file"] == "fr_experiences_servicespublicsplus.csv.gz"]
    assert len(spp) > 0 and spp["rating"].isna().all() and spp["label"].notna().all()
    assert set(rows["split"]) == {"train", "test"}
    again = new_domain_reviews(data, cdiscount=1000, seed=42)
    pd.testing.assert_frame_equal(rows, again)


@needs_data
def test_training_rows_default_is_the_original_split(data: Path) -> None:
    reviews = load_reviews(data)
    train = reviews[split_reviews(reviews, seed=42) == "train"]
    rows = training_rows(data, seed=42)
    assert rows["text"].tolist() == train["text"].tolist()
    more = training_rows(data, seed=42, new_domains=True, cdiscount=1000, booking="units")
    # the original rows keep the same split when new domains are added
    assert more[more["file"].isin(list(TRAIN_FILES))]["text"].tolist() == train["text"].tolist()
    assert {"cdiscount", "public", "banks", "hotel"} <= set(more["group"])
    without = training_rows(data, seed=42, new_domains=True, cdiscount=1000, without=["banks"])
    assert "banks" not in set(without["group"]) and "public" in set(without["group"])
