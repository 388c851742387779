"""Themes as subjects (issue 16): the aspect representation, the general-satisfaction bucket,
families by meaning and noun labels.

Data: the bundled real review sample data/avis_showroomprive.csv; the short French phrases
below are hand-written fixtures (not real reviews), labelled as such.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.errors import ModelLoadError, UnsafeModelError
from feedback_nlp.topics import GENERAL_ID, GENERAL_LABEL, OTHER_ID, ThemeModel, curate
from feedback_nlp.topics.aspects import (
    ASPECTS_FORMAT,
    DEFAULT_ASPECTS_DIR,
    E5_VECTORS,
    NON_SUBJECT,
    AspectEmbedding,
    aspect_vectorizer,
    load_aspects,
)
from feedback_nlp.topics.embeddings import get_embedder

ROOT = Path(__file__).resolve().parents[1]
#: Praise and style words that must never lead a subject theme's label.
PRAISE = {"rapide", "efficace", "simple", "pratique", "clair", "net", "satisfait", "top", "super",
          "parfait", "bien", "bon", "excellent", "agréable", "sérieux", "réactif", "facile",
          "fluide", "recommande", "merci", "bravo", "impeccable"}


@pytest.fixture(scope="module")
def showroom() -> list[str]:
    frame = pd.read_csv(ROOT / "data" / "avis_showroomprive.csv")
    return frame["avis"].dropna().astype(str).tolist()


def test_shipped_aspect_model_is_small_safe_and_documented() -> None:
    meta = json.loads((DEFAULT_ASPECTS_DIR / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == ASPECTS_FORMAT and "build_theme_aspects.py" in meta["rebuild"]
    assert "fr_aspect_categories" not in json.dumps(meta["training_data"])  # gold never read
    size = sum(p.stat().st_size for p in DEFAULT_ASPECTS_DIR.iterdir())
    assert size < 8 * 2**20
    assert sorted(p.suffix for p in DEFAULT_ASPECTS_DIR.iterdir()) == [
        ".json", ".json", ".json", ".json", ".safetensors"]


def test_units_are_represented_by_their_nouns() -> None:
    aspects = load_aspects()
    # hand-written fixtures
    assert aspects.nouns("Livraisons en retard") == ["livraison", "retard"]
    assert aspects.nouns("Le serveur était désagréable mais les plats délicieux") == [
        "serveur", "plat"]
    assert "attente téléphone" in aspects.terms("le temps d'attente au téléphone est trop long")
    for praise in ("Très bien", "Parfait", "Je recommande", "rapide et efficace", "Merci !"):
        assert aspects.nouns(praise) == [], praise
    vectors = aspects.embed(["Livraison rapide", "livraison en retard", "prix élevé",
                             "Très bien"])
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()  # no subject: a zero vector
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[1, 2]  # delivery ~ delivery
    assert get_embedder("aspects") is get_embedder("aspects-fr")
    assert not (NON_SUBJECT & {aspects.lemmas[row] for row in aspects.lexicon.values()})
    counts = aspect_vectorizer(min_df=1).fit(["Livraison en retard", "colis perdu, livraison"])
    assert {"livraison", "retard", "colis", "livraison retard"} <= set(
        counts.get_feature_names_out())


def test_adjective_homographs_are_not_subjects() -> None:
    """"pratique" was tagged NOUN by spaCy and labelled a theme ("Site et appli — pratique,
    système" on the bundled sample): adjective homographs rarely written after an article
    are dropped at load (not_nouns.json), real nouns after an article stay."""
    from feedback_nlp.topics.taxonomy import load_taxonomy

    # hand-written fixtures
    for aspects in (load_aspects(), load_aspects(vectors=E5_VECTORS)):
        assert aspects.nouns("Site très pratique, numéro surtaxé") == ["site", "numéro"]
        assert aspects.nouns("Les frais de dossier du service client") == [
            "frais", "dossier", "service", "client"]
    before = AspectEmbedding.load(vectors=E5_VECTORS, keep_not_nouns=True)
    assert before.nouns("Site très pratique") == ["site", "pratique"]
    shipped = json.loads((DEFAULT_ASPECTS_DIR / "not_nouns.json").read_text(encoding="utf-8"))
    forms = shipped["forms"]
    assert 10 <= len(forms) <= 100 and "pratique" in forms
    for form, (after_article, total) in forms.items():  # the rule of the build script
        assert total >= 5 and after_article < 0.2 * total, form
    taxonomy = load_taxonomy(None)
    words = " ".join(t for key in taxonomy.keys for t in taxonomy.terms_of(key)).lower()
    assert not [form for form in forms if f" {form} " in f" {words} "]


def test_default_subject_vectors_are_e5_static_on_the_same_nouns() -> None:
    fasttext, e5 = load_aspects(), load_aspects(vectors=E5_VECTORS)
    assert get_embedder("default") is e5 and get_embedder("aspects") is fasttext
    assert e5.lexicon == fasttext.lexicon and e5.lemmas == fasttext.lemmas
    assert e5.dim == 256 and fasttext.dim == 300 and e5.name == "aspects-fr+e5-static-fr"
    # hand-written fixtures
    vectors = e5.embed(["Livraison rapide", "livraison en retard", "prix élevé", "Très bien",
                        "le serveur", "la serveuse"])
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 2, 4, 5]], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[1, 2]
    assert sims[4, 5] > sims[4, 2]  # serveur ~ serveuse, not ~ prix
    with pytest.raises(ModelLoadError):
        AspectEmbedding.load(DEFAULT_ASPECTS_DIR, vectors="glove")


def test_fit_shortcuts_change_nothing() -> None:
    from bertopic import BERTopic

    from feedback_nlp.topics.aspects import aspect_terms
    from feedback_nlp.topics.model import _lean

    # hand-written fixtures: the cached keyword analyzer returns the model's terms
    for text in ("le temps d'attente au téléphone est trop long", "Livraisons en retard", ""):
        assert aspect_terms(text) == tuple(load_aspects().terms(text))
    embeddings = load_aspects(vectors=E5_VECTORS).embed(["Livraison rapide", "Très bien",
                                                         "Livraison rapide"])
    assert np.array_equal(embeddings[0], embeddings[2]) and not embeddings[1].any()
    lean = _lean(BERTopic)()
    lean._save_representative_docs(None)  # representative docs are never computed
    assert lean.representative_docs_ == {} and isinstance(lean, BERTopic)


def test_aspect_model_refuses_pickle(tmp_path: Path, plant_pickle) -> None:
    folder = tmp_path / "aspects"
    shutil.copytree(DEFAULT_ASPECTS_DIR, folder)
    marker = plant_pickle(folder)
    with pytest.raises(UnsafeModelError):
        AspectEmbedding.load(folder)
    assert not marker.exists()


def test_not_nouns_file_is_optional_and_checked(tmp_path: Path) -> None:
    folder = tmp_path / "aspects"
    shutil.copytree(DEFAULT_ASPECTS_DIR, folder)
    (folder / "not_nouns.json").unlink()  # a folder built before the file existed
    assert AspectEmbedding.load(folder).nouns("Site très pratique") == ["site", "pratique"]
    (folder / "not_nouns.json").write_text('["pratique"]', encoding="utf-8")  # no "forms"
    with pytest.raises(ModelLoadError):
        AspectEmbedding.load(folder)


@pytest.mark.slow
def test_subject_themes_general_bucket_families_and_labels(showroom: list[str],
                                                           tmp_path: Path) -> None:
    model = ThemeModel(embedding="default", random_state=0)  # e5-static noun vectors
    ids = model.fit_transform(showroom)
    vectors = get_embedder("default").embed(showroom)
    no_subject = np.linalg.norm(vectors, axis=1) == 0
    assert no_subject.any()
    assert (ids[no_subject] == GENERAL_ID).all() and not (ids[~no_subject] == GENERAL_ID).any()
    table = model.themes_table()
    assert GENERAL_ID not in set(table["theme_id"])  # reported apart, not a theme
    for label in table["label"]:
        first = label.split(" — ", 1)[-1].split(",")[0].split()[0].lower()
        assert first not in PRAISE, label
    # families by meaning: a score per theme, no family below the threshold
    assert len(model.family_scores_) == len(model.keywords_)
    cut = get_embedder("default").family_min_similarity
    for family, score in zip(model.families_, model.family_scores_, strict=True):
        assert (family is None) == (score < cut)
    # persistence keeps the subject mode (new subject-less units still go to the bucket)
    loaded = ThemeModel.load(model.save(tmp_path / "tm"))
    assert loaded.subjects_ and loaded.family_scores_ == model.family_scores_
    assert np.array_equal(loaded.transform(showroom[:50]), model.transform(showroom[:50]))
    assert loaded.transform(["Parfait", "Très bien"]).tolist() == [GENERAL_ID, GENERAL_ID]


@pytest.mark.slow
def test_analysis_reports_the_general_bucket_apart(tmp_path: Path) -> None:
    from feedback_nlp import analyze

    frame = pd.read_csv(ROOT / "data" / "avis_showroomprive.csv")
    result = analyze(frame, text="avis", score="note", score_scale="stars", sentiment=False,
                     themes={"embedding": "aspects"})
    segments, themes = result.segments, result.themes
    general = segments["theme_id"] == GENERAL_ID
    assert general.any()
    assert (segments.loc[general, "theme_label"] == GENERAL_LABEL).all()
    # the bucket is a row of the themes table, after the themes and before "Autre"
    ids = themes["theme_id"].tolist()
    assert GENERAL_ID in ids and ids.index(GENERAL_ID) >= len(ids) - 2
    assert all(t >= 0 for t in ids[: ids.index(GENERAL_ID)])
    assert themes["n_segments"].sum() == len(segments)
    # documents list themes only: neither -1 nor the general bucket
    assert not any(t < 0 for ts in result.documents["theme_ids"] for t in ts)
    # curation keeps working on subject themes (split counts noun lemmas)
    top = int(themes["theme_id"].iloc[0])
    rows = segments["theme_id"] == top
    term = next(k for k in result.theme_model.keywords_[top] if " " not in k
                and 0 < ThemeModel.matches_terms(segments.loc[rows, "text"], [k]).sum()
                < rows.sum())
    split = curate(result, split={top: ([term], "Sous-thème")}, rename={top: "Renommé"})
    assert "Sous-thème" in set(split.themes["label"]) and "Renommé" in set(split.themes["label"])
    assert (split.segments.loc[general, "theme_id"] == GENERAL_ID).all()
    assert OTHER_ID not in set(split.segments.loc[general, "theme_id"])
