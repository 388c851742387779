"""Training data and the reproducible build of the shipped model.

The labelled reviews come from ``../shared/data`` (see its README): Trustpilot car/tyre
sites, small e-shops, showroomprive and insurance reviews, labelled from the star rating
(1-2 negative, 3 neutral, 4-5 positive). Booking (hotels) is never trained on: its
``positive_text`` / ``negative_text`` fields are an unseen-domain test.

Split: per source, a seeded stratified 80/20 split; the 20% test rows are never used to
fit the shipped model (``benchmarks/sentiment.py`` evaluates on them).
"""

from __future__ import annotations

import datetime as _dt
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from feedback_nlp.errors import InputFileError
from feedback_nlp.sentiment.linear import LABELS

#: Review files used for training, with the group used in leave-one-source-out tests.
TRAIN_FILES = {
    "fr_reviews_trustpilot_auto.csv.gz": "auto",
    "fr_reviews_trustpilot_multi.csv.gz": "eshops",
    "fr_reviews_trustpilot_showroomprive.csv.gz": "eshops",
    "fr_reviews_insurance.csv.gz": "insurance",
}
#: Review files added to shared/data in 2026-11 (new domains), with their group.
#: ``fr_experiences_servicespublicsplus`` has no rating: its ``label`` is the author's own.
NEW_DOMAIN_FILES = {
    "fr_reviews_ecommerce_cdiscount.csv.gz": "cdiscount",
    "fr_reviews_public_services_google.csv.gz": "public",
    "fr_experiences_servicespublicsplus.csv.gz": "public",
    "fr_reviews_bank_google_africa.csv.gz": "banks",
    "fr_reviews_bank_keytrade.csv.gz": "banks",
}
BOOKING_FILE = "fr_reviews_booking_paris_0to10.csv.gz"
TEST_SHARE = 0.2
#: Share of the training rows held back (first pass only) to tune the neutral bias.
VALIDATION_SHARE = 0.1


def _label(rating: pd.Series) -> pd.Series:
    return pd.Series(np.select([rating <= 2, rating == 3], ["negative", "neutral"], "positive"),
                     index=rating.index, dtype=object)


def load_reviews(data_dir: str | Path, *, clean: bool = True,
                 files: dict[str, str] | None = None) -> pd.DataFrame:
    """All labelled reviews of ``data_dir``: ``text``, ``label``, ``rating``, ``source``,
    ``group`` (auto | eshops | insurance), ``file``.

    ``files`` (default :data:`TRAIN_FILES`): file name -> group. A file without ratings
    keeps its own ``label`` column (``rating`` is then missing).

    ``clean=True`` applies :func:`feedback_nlp.clean.clean_series` (the same cleaning as
    ``analyze()``), so the model sees at training time what it sees in production.
    """
    data_dir = Path(data_dir)
    frames = []
    for name, group in (TRAIN_FILES if files is None else files).items():
        path = data_dir / name
        if not path.is_file():
            raise InputFileError(f"Training file {path} does not exist.",
                                 fix="pass --data pointing at the shared/data folder.")
        frame = pd.read_csv(path, usecols=["text", "rating", "label", "source"])
        if frame["rating"].notna().any():
            frame = frame.dropna(subset=["text", "rating"])
            frame["rating"] = frame["rating"].astype(int)
            frame["label"] = _label(frame["rating"])
        else:  # no stars: the author's own polarity
            frame = frame.dropna(subset=["text", "label"])
            frame["label"] = frame["label"].astype(object)
        frame["group"] = group
        frame["file"] = name
        frames.append(frame)
    reviews = pd.concat(frames, ignore_index=True)
    reviews["text"] = reviews["text"].astype(str)
    if clean:
        from feedback_nlp.clean import clean_series

        reviews["text"] = clean_series(reviews["text"]).to_numpy()
    reviews = reviews[reviews["text"].str.strip().str.len() > 0].reset_index(drop=True)
    return reviews


def split_reviews(reviews: pd.DataFrame, seed: int = 42) -> pd.Series:
    """``"train"`` / ``"test"`` per row: seeded, stratified by (source, label), 20% test."""
    rng = np.random.default_rng(seed)
    split = pd.Series("train", index=reviews.index, dtype=object)
    for _, cell in reviews.groupby(["source", "label"], sort=True).groups.items():
        index = np.asarray(cell)
        n_test = int(round(len(index) * TEST_SHARE))
        chosen = rng.permutation(index)[:n_test]
        split.loc[chosen] = "test"
    return split


def new_domain_reviews(data_dir: str | Path, *, cdiscount: int | None = 12_000, seed: int = 42,
                       clean: bool = True, files: dict[str, str] | None = None) -> pd.DataFrame:
    """The 2026-11 new-domain reviews (:data:`NEW_DOMAIN_FILES`) with a ``split`` column.

    Cdiscount (86k rows, close to the e-shop domain) is cut to ``cdiscount`` rows, a
    seeded sample stratified by label, so that it does not swamp the smaller domains.
    The split is :func:`split_reviews` on these rows alone, so the original files' split
    (the in-domain test split every model is measured on) is unchanged.
    """
    reviews = load_reviews(data_dir, clean=clean, files=files or NEW_DOMAIN_FILES)
    big = reviews["group"] == "cdiscount"
    if cdiscount is not None and big.sum() > cdiscount:
        share = cdiscount / big.sum()
        chosen = [cell.sample(n=int(round(len(cell) * share)), random_state=seed).index
                  for _, cell in reviews[big].groupby("label", sort=True)]
        keep = ~big.to_numpy()
        keep[reviews.index.get_indexer(pd.Index(np.concatenate(chosen)))] = True
        reviews = reviews[keep].reset_index(drop=True)
    reviews["split"] = split_reviews(reviews, seed=seed)
    return reviews


def booking_training_half(n_reviews: int, seed: int = 42) -> np.ndarray:
    """Boolean mask of the Booking reviews (file row positions) whose liked / disliked
    fields may be trained on: a seeded half, by review. The other half is the evaluation
    half ("Booking, other reviews")."""
    mask = np.zeros(n_reviews, dtype=bool)
    mask[np.random.default_rng(seed + 7).permutation(n_reviews)[:n_reviews // 2]] = True
    return mask


def booking_training_units(data_dir: str | Path, *, seed: int = 42, segment: bool = True
                           ) -> pd.DataFrame:
    """Opinion-level examples from the training half of the Booking reviews
    (:func:`booking_training_half`): ``positive_text`` -> positive, ``negative_text`` ->
    negative, cleaned, non-answers dropped; with ``segment`` each field is cut into the
    opinion units the product predicts (:func:`feedback_nlp.segment.split_opinions`), each
    keeping its field's label. Columns as :func:`load_reviews` (group ``hotel``)."""
    from feedback_nlp.clean import clean_series, text_status
    from feedback_nlp.segment import split_opinions

    frame = pd.read_csv(Path(data_dir) / BOOKING_FILE, usecols=["positive_text", "negative_text"])
    keep = booking_training_half(len(frame), seed)
    rows = []
    for column, label in (("positive_text", "positive"), ("negative_text", "negative")):
        cleaned = clean_series(frame[column].fillna("").astype(str))
        for text in cleaned[keep]:
            if not text or text_status(text, check_language=False)[0] != "ok":
                continue
            parts = [u.text for u in split_opinions(text)] if segment else [text]
            rows += [(part, label) for part in parts if part.strip()]
    units = pd.DataFrame(rows, columns=["text", "label"])
    units["rating"] = np.nan
    units["source"], units["group"], units["file"] = "booking_paris", "hotel", BOOKING_FILE
    units["split"] = "train"
    return units


def group_weights(groups: Sequence[str] | pd.Series, labels: Sequence[str] | pd.Series,
                  scale: dict[str, float] | None = None) -> np.ndarray:
    """:func:`domain_weights` with the total weight of each group in ``scale`` multiplied
    by its factor (e.g. ``{"cdiscount": 0.3}``), then renormalised to a mean of 1."""
    weights = domain_weights(groups, labels)
    if scale:
        weights = weights * np.array([scale.get(g, 1.0) for g in groups], dtype=float)
        weights *= len(weights) / weights.sum()
    return weights


def load_booking_sentences(data_dir: str | Path, *, clean: bool = True) -> pd.DataFrame:
    """Booking hotel reviews as sentence-level examples: ``positive_text`` -> positive,
    ``negative_text`` -> negative; non-answers ("RAS", "rien") are dropped with
    :func:`feedback_nlp.clean.text_status`."""
    from feedback_nlp.clean import clean_series, text_status

    frame = pd.read_csv(Path(data_dir) / BOOKING_FILE, usecols=["positive_text", "negative_text"])
    rows = []
    for column, label in (("positive_text", "positive"), ("negative_text", "negative")):
        texts = frame[column].dropna().astype(str)
        rows.append(pd.DataFrame({"text": texts.to_numpy(), "label": label}))
    sentences = pd.concat(rows, ignore_index=True)
    if clean:
        sentences["text"] = clean_series(sentences["text"]).to_numpy()
    keep = [text_status(t, check_language=False)[0] == "ok" for t in sentences["text"]]
    return sentences[keep].reset_index(drop=True)


def domain_weights(groups: Sequence[str] | pd.Series, labels: Sequence[str] | pd.Series) -> np.ndarray:
    """Sample weights giving every (group, label) cell the same total weight within a
    group's label share, i.e. balanced classes inside each domain and equal domains."""
    frame = pd.DataFrame({"group": list(groups), "label": list(labels)})
    cell = frame.groupby(["group", "label"])["label"].transform("size").to_numpy(float)
    n_groups = frame["group"].nunique()
    n_labels = frame.groupby("group")["label"].transform("nunique").to_numpy(float)
    weights = len(frame) / (n_groups * n_labels * cell)
    return weights


def validation_split(train: pd.DataFrame, seed: int = 42, share: float = VALIDATION_SHARE) -> np.ndarray:
    """Boolean mask of a seeded validation slice of the *training* rows, stratified by
    (source, label): used to tune the neutral bias, never the test split."""
    rng = np.random.default_rng(seed + 1)
    mask = np.zeros(len(train), dtype=bool)
    positions = pd.RangeIndex(len(train))
    keys = train[["source", "label"]].astype(str).agg("|".join, axis=1).to_numpy()
    for key in sorted(set(keys)):
        cell = positions[keys == key].to_numpy()
        chosen = rng.permutation(cell)[:int(round(len(cell) * share))]
        mask[chosen] = True
    return mask


def tune_neutral_bias(model: Any, texts: Sequence[str], labels: np.ndarray,
                      grid: Sequence[float] = tuple(np.round(np.arange(-1.0, 2.01, 0.1), 2)),
                      ) -> dict[str, Any]:
    """The neutral log-odds offset in ``grid`` with the best macro-F1 on ``texts``.

    Returns ``{"neutral_bias", "validation_rows", "macro_f1_before", "macro_f1_after"}``.
    """
    from sklearn.metrics import f1_score

    neutral = LABELS.index("neutral")
    scores = np.asarray(model.decision_function(texts), dtype=np.float64)
    scores[:, neutral] -= getattr(model, "neutral_bias", 0.0)  # back to the unbiased scores

    def macro(bias: float) -> float:
        shifted = scores.copy()
        shifted[:, neutral] += bias
        predicted = np.asarray(LABELS, dtype=object)[shifted.argmax(axis=1)]
        return float(f1_score(labels, predicted, labels=list(LABELS), average="macro",
                              zero_division=0))

    results = {float(b): macro(float(b)) for b in grid}
    best = max(results, key=lambda b: (round(results[b], 6), -abs(b)))
    return {"neutral_bias": round(best, 2), "validation_rows": len(texts),
            "macro_f1_before": round(macro(0.0), 4), "macro_f1_after": round(results[best], 4)}


def versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import scipy
    import sklearn

    from feedback_nlp import __version__

    return {"python": platform.python_version(), "feedback_nlp": __version__,
            "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__}


def _fit_default(model: Any, train: pd.DataFrame, *, seed: int, tune_neutral: bool,
                 tuning: dict[str, Any], scale: dict[str, float] | None = None) -> None:
    if tune_neutral and train["label"].nunique() == len(LABELS) and len(train) >= 200:
        # Pass 1: fit without a validation slice of the training rows, pick the neutral
        # bias that maximises its macro-F1. The test split is never looked at.
        holdout = validation_split(train, seed=seed)
        fit_part, valid = train[~holdout], train[holdout]
        probe = clone(model).fit(fit_part["text"].tolist(), fit_part["label"].tolist(),
                                 sample_weight=group_weights(fit_part["group"], fit_part["label"],
                                                             scale))
        tuning.update(tune_neutral_bias(probe, valid["text"].tolist(), valid["label"].to_numpy()))
        model.set_params(neutral_bias=tuning["neutral_bias"])
    weights = group_weights(train["group"], train["label"], scale)
    model.fit(train["text"].tolist(), train["label"].tolist(), sample_weight=weights)


def training_rows(data_dir: str | Path, *, seed: int = 42, new_domains: bool = False,
                  cdiscount: int | None = 12_000, booking: str | None = None,
                  without: Sequence[str] = ()) -> pd.DataFrame:
    """The training rows of a build: the training split of :data:`TRAIN_FILES`, plus (with
    ``new_domains``) that of :data:`NEW_DOMAIN_FILES`, plus (``booking="units"`` or
    ``"fields"``) the Booking training half (:func:`booking_training_units`, segmented or
    whole fields). ``without``: groups left out (leave-one-domain-out fits)."""
    reviews = load_reviews(data_dir)
    reviews["split"] = split_reviews(reviews, seed=seed)
    parts = [reviews]
    if new_domains:
        parts.append(new_domain_reviews(data_dir, cdiscount=cdiscount, seed=seed))
    if booking is not None:
        if booking not in ("units", "fields"):
            raise ValueError(f"booking must be 'units', 'fields' or None, not {booking!r}.")
        parts.append(booking_training_units(data_dir, seed=seed, segment=booking == "units"))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[(rows["split"] == "train") & ~rows["group"].isin(list(without))]
    return rows.reset_index(drop=True)


def train_default(data_dir: str | Path, out: str | Path, *, seed: int = 42,
                  params: dict[str, Any] | None = None, sample: int | None = None,
                  metrics: dict[str, Any] | None = None, tune_neutral: bool = True,
                  new_domains: bool = False, cdiscount: int | None = 12_000,
                  scale: dict[str, float] | None = None, booking: str | None = None) -> Path:
    """Fit the default :class:`~feedback_nlp.sentiment.linear.LinearSentiment` on the
    training split of ``data_dir`` and save it (with ``meta.json``) to ``out``.

    ``sample`` keeps a seeded subset of the training rows (tests, quick runs).
    ``tune_neutral`` first fits on 90% of the training rows and sets ``neutral_bias`` to
    the value that maximises macro-F1 on the other 10% (see :func:`tune_neutral_bias`),
    then fits on all training rows with that bias. ``new_domains``, ``cdiscount`` and
    ``booking``: see :func:`training_rows`; ``scale``: group weight factors (see
    :func:`group_weights`).
    """
    from threadpoolctl import threadpool_limits

    from feedback_nlp.sentiment.linear import LinearSentiment

    train = training_rows(data_dir, seed=seed, new_domains=new_domains, cdiscount=cdiscount,
                          booking=booking)
    if sample is not None and sample < len(train):
        train = train.sample(n=sample, random_state=seed)
    model = LinearSentiment(random_state=seed, **(params or {}))
    model.set_params(class_weight=None)
    tuning: dict[str, Any] = {}
    started = time.perf_counter()
    # One BLAS thread: the solver's floating-point sums then run in the same order on every
    # machine, so the same seed gives the same weights.
    with threadpool_limits(limits=1):
        _fit_default(model, train, seed=seed, tune_neutral=tune_neutral, tuning=tuning,
                     scale=scale)
    fit_seconds = time.perf_counter() - started
    counts = train.groupby("label").size().to_dict()
    options = ""
    if new_domains:
        options += f" --new-domains --cdiscount {cdiscount}"
    if scale:
        options += " --scale " + ",".join(f"{g}={v:g}" for g, v in sorted(scale.items()))
    if booking:
        options += f" --booking {booking}"
    if params and params.get("static_weight"):
        options += f" --static-weight {params['static_weight']:g}"
    meta = {
        "name": Path(out).name,
        "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "training_data": sorted(train["file"].unique().tolist()),
        "split": "per source, seeded stratified 80/20 (feedback_nlp.sentiment.train.split_reviews)",
        "weighting": "domain-balanced: equal weight per domain, balanced classes within it"
                     + (f"; group weight factors {scale}" if scale else ""),
        "rows_train": int(len(train)),
        "rows_per_class": {k: int(v) for k, v in counts.items()},
        "rows_per_group": {k: int(v) for k, v in train.groupby("group").size().items()},
        "fit_seconds": round(fit_seconds, 1),
        "neutral_bias_tuning": tuning or None,
        "versions": versions(),
        "metrics": metrics or {},
        "command": f"feedback-nlp train-sentiment --data {data_dir} --out {out} --seed {seed}"
                   + options,
    }
    if booking:
        meta["booking_training_half"] = ("Booking liked / disliked fields of a seeded half of "
                                         "the reviews (train.booking_training_half); the other "
                                         "half is never trained on")
    return model.save(out, meta=meta)
