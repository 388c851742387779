"""Theme modelling (feedback_nlp.topics): French keywords, taxonomy, model, persistence, CLI.

Data: the bundled real review samples in data/ (no invented reviews); the French sentences
written inline below are hand-written fixtures, labelled as such.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.errors import ConfigError, ModelLoadError, NotFittedError, UnsafeModelError
from feedback_nlp.topics import GENERAL_ID, OTHER_ID, OTHER_LABEL, ThemeModel, curate
from feedback_nlp.topics.clusters import merge_small
from feedback_nlp.topics.embeddings import (
    LSAEmbedding,
    get_embedder,
    normalize_for_keywords,
    normalize_for_terms,
)
from feedback_nlp.topics.keywords import ctfidf_keywords, french_stop_words, keyword_vectorizer
from feedback_nlp.topics.knn import exact_cosine_knn
from feedback_nlp.topics.labels import _stem, label_candidates, label_word_evidence, surface_form
from feedback_nlp.topics.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]

# Hand-written fixtures (not real reviews).
FIXTURE = [
    "L'expérience de livraison était très lente, délai dépassé",
    "Le délai de livraison d'un colis est trop long",
    "qu'il est difficile de joindre le service client",
    "Très déçu du service client, aucune réponse à mes mails",
]


@pytest.fixture(scope="module")
def showroom() -> list[str]:
    frame = pd.read_csv(ROOT / "data" / "avis_showroomprive.csv")
    return frame["avis"].dropna().astype(str).tolist()


def test_normalize_strips_elisions_keeps_accents() -> None:
    assert normalize_for_terms("L'Expérience qu’on a eue") == "expérience on a eue"


def test_keyword_vectorizer_keeps_accents_drops_elisions_and_stop_words() -> None:
    vec = keyword_vectorizer(min_df=1).fit(FIXTURE)
    terms = set(vec.get_feature_names_out())
    assert {"délai", "expérience", "réponse", "déçu"} <= terms
    assert not terms & {"qu", "l", "d", "de", "le", "est", "il"}
    # negations are kept in text, dropped only from keyword lists
    assert "pas" in french_stop_words() and "ne" in french_stop_words()


def test_ctfidf_keywords_rank_distinctive_terms() -> None:
    counts = np.array([[5, 0, 1], [0, 4, 1]], dtype=float)
    assert ctfidf_keywords(counts, ["colis", "tarif", "service"], n=1) == [["colis"], ["tarif"]]


def test_shipped_taxonomy_and_matching() -> None:
    taxonomy = load_taxonomy()
    assert {"livraison", "service_client", "sinistre", "resiliation"} <= set(taxonomy.keys)
    matched = taxonomy.match(["Colis jamais reçu", "Impossible de joindre un conseiller",
                              "bonjour"])
    assert matched[0] == "livraison" and matched[2] is None


def test_taxonomy_ambiguous_words_do_not_pick_a_family() -> None:
    # Keywords of real insurance themes (benchmarks, 2026-11-24): processing delays are not
    # deliveries, and praise adjectives alone are not about the website.
    taxonomy = load_taxonomy()
    empty = np.zeros(2)
    delays = ["délais", "envoi", "erreurs", "traitement", "questions posées"]
    assert taxonomy.family_of(delays, empty, ["a", "b"]) != "livraison"
    praise = ["simple", "efficace", "simple rapide", "pratique", "rapide efficace"]
    assert taxonomy.family_of(praise, empty, ["a", "b"]) != "site_web"
    assert taxonomy.family_of(["délai livraison", "colis"], empty, ["a", "b"]) == "livraison"
    assert taxonomy.family_of(["site internet", "facile"], empty, ["a", "b"]) == "site_web"
    assert taxonomy.match(["Colis livré en retard", "temps d'attente interminable"]) == [
        "livraison", "joignabilite"]


def test_bad_taxonomy_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text("[families.x]\nlabel = 'X'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs a label and a list of terms"):
        load_taxonomy(bad)
    bad.write_text("[families", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_taxonomy(bad)
    with pytest.raises(ConfigError):
        Taxonomy({})


def test_default_embedding_is_shipped_and_normalised() -> None:
    embedder = get_embedder("default")
    vectors = embedder.embed(FIXTURE + [""])
    assert vectors.shape == (5, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5)
    assert not vectors[4].any()
    # two delivery complaints are closer to each other than to a service complaint
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[3]
    # "default" is the noun-lemma (aspect) embedding with e5-static vectors; "aspects" the
    # same nouns with fastText vectors; "lsa" the default before 2026-11-30
    assert get_embedder("default") is get_embedder("aspects-e5")
    assert get_embedder("default") is not get_embedder("aspects")
    assert isinstance(get_embedder("lsa"), LSAEmbedding)


@pytest.mark.parametrize(("embedding", "name"), [("lsa", "lsa"), ("aspects", "aspects")])
def test_models_saved_with_an_old_default_still_load_with_it(tmp_path: Path, embedding: str,
                                                             name: str) -> None:
    import json

    model = ThemeModel(embedding=embedding, random_state=0).fit(FIXTURE * 5)
    folder = model.save(tmp_path / "old")
    state = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    state["params"]["embedding"] = "default"  # as written when it was the default
    (folder / "model.json").write_text(json.dumps(state), encoding="utf-8")
    loaded = ThemeModel.load(folder)
    assert loaded.embedding == name
    assert np.array_equal(loaded.transform(FIXTURE), model.transform(FIXTURE))


def test_lsa_save_load_roundtrip(tmp_path: Path) -> None:
    model = LSAEmbedding.train(FIXTURE * 3, dim=2, min_df=1)
    loaded = LSAEmbedding.load(model.save(tmp_path / "lsa"))
    assert np.allclose(model.embed(FIXTURE), loaded.embed(FIXTURE))
    (tmp_path / "lsa" / "meta.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ModelLoadError):
        LSAEmbedding.load(tmp_path / "lsa")


def test_lsa_stop_words_leave_the_vocabulary_not_the_text() -> None:
    """``train(stop_words=...)``: no column for those words; texts are embedded unchanged."""
    stop = french_stop_words()
    plain = LSAEmbedding.train(FIXTURE * 3, dim=2, min_df=1)
    model = LSAEmbedding.train(FIXTURE * 3, dim=2, min_df=1, stop_words=stop)
    assert {"était", "il", "trop", "mes"} <= set(plain.vocabulary)  # under max_df=0.5
    assert not set(model.vocabulary) & set(stop)
    assert set(model.vocabulary) == set(plain.vocabulary) - set(stop)
    # same text in, content words carry it; a text of function words alone has no vector
    vectors = model.embed(FIXTURE + ["il était trop de mes"])
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5)
    assert not vectors[4].any()


def test_unknown_embedding_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="neither"):
        get_embedder("/nonexistent/folder")


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        ThemeModel().transform(["un texte"])


def test_small_corpus_uses_taxonomy(showroom: list[str]) -> None:
    texts = showroom[:150]
    model = ThemeModel(random_state=0)
    ids = model.fit_transform(texts)
    table = model.themes_table()
    assert model.topic_model_ is None and len(ids) == len(texts)
    assert 2 <= len(table) <= 30
    assert set(ids) <= set(table["theme_id"]) | {OTHER_ID, GENERAL_ID}
    assert any(label.startswith("Livraison — ") for label in table["label"])
    assert "Livraison et délais" in set(table["family"])  # the family level of the hierarchy
    assert model.get_params()["random_state"] == 0


@pytest.mark.slow
def test_bertopic_fit_assign_save_load_curate(showroom: list[str], tmp_path: Path) -> None:
    model = ThemeModel(random_state=1)
    ids = model.fit_transform(showroom)
    table = model.themes_table()
    assert model.topic_model_ is not None  # real BERTopic
    # BERTopic's language="english" would strip non-ASCII before c-TF-IDF (délai -> dlai)
    assert model.topic_model_._preprocess_text(np.array(["délai très long"])) == ["délai très long"]
    assert 3 <= len(table) <= 30
    assert (ids == OTHER_ID).mean() <= 0.15
    keywords = ",".join(table["keywords"])
    assert any(ch in keywords for ch in "éèàç"), keywords  # accented keywords survive
    assert not {"qu", "de", "le", "est"} & {k.strip() for k in keywords.split(",")}
    # deterministic: same input and seed -> same themes
    again = ThemeModel(random_state=1).fit_transform(showroom)
    assert np.array_equal(ids, again)
    # persistence: safetensors + JSON, same assignments on new data
    new = showroom[:40]
    loaded = ThemeModel.load(model.save(tmp_path / "tm"))
    assert sorted(p.name for p in (tmp_path / "tm").iterdir()) == ["model.json",
                                                                  "weights.safetensors"]
    assert np.array_equal(model.transform(new), loaded.transform(new))
    assert loaded.themes_table().equals(table)
    # curation in place
    first, second = table["theme_id"].iloc[0], table["theme_id"].iloc[1]
    loaded.merge([first, second], label="Fusion").rename(first, "Mon thème")
    assert "Mon thème" in set(loaded.themes_table()["label"])
    assert second not in set(loaded.themes_table()["theme_id"])
    assert np.array_equal(loaded.current_ids([second]), [first])
    # split out: the opinions of a theme that contain a term become a new theme
    big = int(loaded.themes_table().sort_values("size")["theme_id"].iloc[-1])
    members = [showroom[i] for i in np.flatnonzero(loaded.current_ids(ids) == big)]
    term = next(k for k in loaded.keywords_[big]
                if 0 < loaded.matches_terms(members, [k]).sum() < len(members))
    moved = loaded.matches_terms(members, [term])
    new_id = loaded.split_out(big, [term], "Scindé", members)
    table_after = loaded.themes_table().set_index("theme_id")
    assert table_after.loc[new_id, "label"] == "Scindé"
    assert table_after.loc[new_id, "size"] == moved.sum()
    assert table_after.loc[big, "size"] == (~moved).sum()
    assigned = loaded.transform([m for m, keep in zip(members, moved, strict=True) if keep])
    assert (assigned == new_id).mean() > 0.5
    with pytest.raises(ConfigError, match="no opinion"):
        loaded.split_out(big, ["zzzz introuvable"], "Vide", members)
    reloaded = ThemeModel.load(loaded.save(tmp_path / "tm_split"))
    assert reloaded.themes_table().equals(loaded.themes_table())
    loaded.exclude([first])
    assert first not in set(loaded.transform(showroom))
    vocab = loaded.vocabulary_
    assert ThemeModel.load(loaded.save(tmp_path / "tm2")).vocabulary_ == vocab


@pytest.mark.slow
def test_analyze_fills_theme_contract_without_sentiment(tmp_path: Path) -> None:
    from feedback_nlp import analyze
    from feedback_nlp.pipeline import apply_themes as apply

    frame = pd.read_csv(ROOT / "data" / "avis_showroomprive.csv")
    result = analyze(frame, text="avis", score="note", score_scale="stars", sentiment=False)
    segs, docs, themes = result.segments, result.documents, result.themes
    assert {"theme_id", "theme_label"} <= set(segs.columns)
    assert segs["theme_id"].notna().all()
    assert set(segs.loc[segs["theme_id"] == OTHER_ID, "theme_label"]) <= {OTHER_LABEL}
    assert len(docs) == len(frame)
    assert all(isinstance(v, list) for v in docs["theme_ids"])
    assert docs.loc[docs["text_status"] != "ok", "theme_ids"].map(len).eq(0).all()
    assert list(themes.columns) == ["theme_id", "label", "family", "keywords", "n_segments",
                                    "n_documents", "share", "negative_share", "neutral_share",
                                    "positive_share", "net_sentiment", "examples"]
    assert themes["negative_share"].isna().all()  # no sentiment columns -> NaN mix
    assert themes["examples"].map(lambda e: 1 <= len(e) <= 5).all()
    assert themes["n_segments"].sum() == len(segs)
    # apply the saved model to "next month" (the same file here): same themes, no refit
    result.save(tmp_path / "out")
    again = apply(tmp_path / "out" / "theme_model", frame, text="avis", score="note",
                  score_scale="stars", sentiment=False)
    assert set(again.themes["label"]) <= set(themes["label"])
    # annotate returns a new analysis: the one passed in keeps its tables and model
    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.topics import annotate

    config = AnalysisConfig()
    config = config.replace(themes={**{f: getattr(config.themes, f)
                                       for f in config.themes.__dataclass_fields__},
                                    "model": str(tmp_path / "out" / "theme_model")})
    segments_before, model_before = result.segments.copy(), result.theme_model
    annotated = annotate(result, config)
    assert annotated is not result and result.theme_model is model_before
    pd.testing.assert_frame_equal(result.segments, segments_before)
    assert np.array_equal(annotated.segments["theme_id"], again.segments["theme_id"])
    # curation returns a new analysis and leaves the one it is given untouched
    top = int(themes["theme_id"].iloc[0])
    labels_before = result.themes["label"].tolist()
    segments_before = result.segments.copy()
    model_labels_before = list(result.theme_model.labels_)
    curated = curate(result, rename={top: "Renommé"})
    assert curated is not result and curated.theme_model is not result.theme_model
    assert "Renommé" in set(curated.themes["label"])
    assert "Renommé" in set(curated.segments["theme_label"])
    assert result.themes["label"].tolist() == labels_before
    pd.testing.assert_frame_equal(result.segments, segments_before)
    assert result.theme_model.labels_ == model_labels_before
    result = curated
    # split out: opinions of the top theme that contain its first keyword get their own theme
    n_before = len(result.themes)
    rows = result.segments["theme_id"] == top
    term = next(k for k in result.theme_model.keywords_[top]
                if 0 < ThemeModel.matches_terms(result.segments.loc[rows, "text"], [k]).sum()
                < rows.sum())
    expected = rows & ThemeModel.matches_terms(result.segments["text"], [term])
    sizes_before = result.theme_model.sizes_.copy()
    split = curate(result, split={top: ([term], "Sous-thème")})
    assert len(split.themes) == n_before + 1 and len(result.themes) == n_before
    assert np.array_equal(result.theme_model.sizes_, sizes_before)
    assert (split.segments.loc[expected, "theme_label"] == "Sous-thème").all()
    assert (split.segments.loc[rows & ~expected, "theme_label"] == "Renommé").all()
    result = split
    assert len(result.documents) == len(frame)


def _tiny_sentence_transformer(tmp_path: Path) -> Path:
    """A 1-layer BERT + mean pooling saved as a local sentence-transformers folder."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted({w for t in FIXTURE for w in normalize_for_terms(t).split()})
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]),
                     encoding="utf-8")
    bert_dir = tmp_path / "bert"
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(bert_dir)
    config = BertConfig(vocab_size=5 + len(words), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(bert_dir)
    word = Transformer(str(bert_dir))
    st = SentenceTransformer(modules=[word, Pooling(16)], device="cpu")
    st.save(str(tmp_path / "st"))
    return tmp_path / "st"


def test_sentence_transformers_local_dir(tmp_path: Path) -> None:
    _tiny_sentence_transformer(tmp_path)
    embedder = get_embedder(str(tmp_path / "st"))
    vectors = embedder.embed(FIXTURE)
    assert vectors.shape == (4, 16)
    model = ThemeModel(embedding=str(tmp_path / "st")).fit(FIXTURE * 5)
    assert model.embedding_name_.startswith("sentence-transformers:")


def test_cli_themes_fit_and_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from feedback_nlp.cli import main

    small = tmp_path / "petit.csv"
    pd.read_csv(ROOT / "data" / "avis_showroomprive.csv").head(120).to_csv(small, index=False)
    common = ["--text", "avis", "--score", "note", "--score-scale", "stars", "--no-sentiment",
              "-q"]
    assert main(["themes", "fit", str(small), *common, "-o", str(tmp_path / "fit")]) == 0
    model_dir = tmp_path / "fit" / "theme_model"
    assert (model_dir / "weights.safetensors").exists()
    assert main(["themes", "apply", str(model_dir), str(small), *common,
                 "-o", str(tmp_path / "app")]) == 0
    segments = pd.read_parquet(tmp_path / "app" / "segments.parquet")
    assert segments["theme_id"].notna().all()
    capsys.readouterr()
    assert main(["themes", "apply", str(tmp_path / "absent"), str(small), "--text", "avis",
                 "-o", str(tmp_path / "x")]) != 0
    assert "[E301]" in capsys.readouterr().err


# -- safe loading: a pickle-family file in a model folder is refused before anything is read --


def test_theme_model_load_refuses_pickle(showroom: list[str], tmp_path: Path,
                                         plant_pickle) -> None:
    saved = ThemeModel(random_state=0).fit(showroom[:150]).save(tmp_path / "tm")
    assert ThemeModel.load(saved).labels_  # the clean copy loads
    marker = plant_pickle(saved)
    with pytest.raises(UnsafeModelError, match="theme model directory .* holds model.pkl"):
        ThemeModel.load(saved)
    assert not marker.exists()


def test_lsa_embedding_load_refuses_pickle(tmp_path: Path, plant_pickle) -> None:
    copy = Path(shutil.copytree(ROOT / "models" / "embeddings-fr-lsa", tmp_path / "lsa"))
    assert LSAEmbedding.load(copy).dim > 0
    marker = plant_pickle(copy, "extra.joblib")
    with pytest.raises(UnsafeModelError, match="LSA embedding model directory .* extra.joblib"):
        LSAEmbedding.load(copy)
    with pytest.raises(UnsafeModelError, match="refused"):
        get_embedder(str(copy))
    assert not marker.exists()


def test_sentence_transformers_dir_refuses_pickle(tmp_path: Path, plant_pickle) -> None:
    folder = _tiny_sentence_transformer(tmp_path)
    module = next(p for p in folder.iterdir() if p.is_dir())  # e.g. 1_Pooling
    marker = plant_pickle(module, "pytorch_model.bin")
    with pytest.raises(UnsafeModelError, match="sentence-transformers module .* pytorch_model.bin"):
        get_embedder(str(folder))
    (module / "pytorch_model.bin").unlink()
    plant_pickle(folder)
    with pytest.raises(UnsafeModelError, match="model.pkl"):
        get_embedder(str(folder))
    assert not marker.exists()


# -- speed helpers and labels --------------------------------------------------------------

def test_exact_knn_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    indices, distances = exact_cosine_knn(vectors, k=5, n_jobs=2, block=64)
    sims = vectors @ vectors.T
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :5]
    assert np.array_equal(indices[:, 0], np.arange(300)) and np.allclose(distances[:, 0], 0)
    assert np.array_equal(indices, expected)
    assert np.allclose(distances, 1 - np.take_along_axis(sims, expected, axis=1), atol=1e-5)
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_label_helpers() -> None:
    assert _stem("Retards") == _stem("retard") and _stem("satisfaite") == _stem("satisfait")
    # hand-written fixtures: the phrase as customers write it, elisions and small words back
    texts = ["temps d'attente trop long", "le temps d'attente au téléphone", "temps attente"]
    assert surface_form("temps attente", texts) == "temps d'attente"
    assert surface_form("prise charge", ["une prise en charge rapide"]) == "prise en charge"
    assert surface_form("colis perdu", []) == "colis perdu"
    vocabulary = ["colis", "colis perdu", "faut", "tarif"]
    counts = np.array([[10, 6, 9, 0], [0, 0, 9, 12]], dtype=float)
    candidates = label_candidates(counts, vocabulary, [["faut"], ["tarif"]])
    assert candidates[0][0] == "colis perdu"  # phrase preferred, generic "faut" never leads
    assert "faut" not in candidates[0] and candidates[1][0] == "tarif"


def test_labels_read_like_french(showroom: list[str]) -> None:
    model = ThemeModel(random_state=0).fit(showroom[:150])
    labels = list(model.themes_table()["label"])
    assert len(labels) == len(set(labels))
    stop = set(french_stop_words())
    for label in labels:
        family, sep, phrases = label.partition(" — ")
        phrases = phrases if sep else family  # a theme without a family: phrases alone
        tokens = phrases.replace(",", " ").split()
        words = [_stem(w) for w in tokens if w not in stop]
        assert phrases and len(words) == len(set(words)), label  # no repeated word
        assert not {"qu", "l", "d", "j"} & set(tokens), label  # no elision fragment


def test_pii_placeholders_are_never_keywords() -> None:
    # hand-written fixtures, masked as feedback_nlp.clean masks them
    texts = ["Mme <NOM> ne m'a jamais rappelé", "écrivez à <EMAIL> ou au <TEL> sans réponse",
             "colis <NUM_COMMANDE> jamais arrivé, <URL>", "remboursé sur <IBAN> <CARTE>"]
    terms = set(keyword_vectorizer(min_df=1).fit(texts).get_feature_names_out())
    assert not terms & {"nom", "email", "tel", "num", "url", "iban", "carte", "numero"}
    assert {"rappelé", "colis", "remboursé"} <= terms
    # the word "nom" as a customer writes it stays: only the placeholders go
    assert "nom" in normalize_for_keywords("contrat au nom de mon fils").split()
    # the embedded text keeps its placeholders (only keyword counting drops them)
    assert normalize_for_terms("Mme <NOM>") == "mme <nom>"


def test_label_word_evidence_finds_names_and_verb_forms() -> None:
    # hand-written fixtures (not real reviews)
    docs = ["Je suis chez Axa depuis dix ans et la garantie est correcte",
            "Avant j'étais à la MACIF, maintenant chez AXA pour ma garantie",
            "le conseiller de chez Axa nous a répondu vite",
            "Axa ne rembourse rien.", "Macif : un contrat clair avec la Macif",
            "Nous faisons confiance au SAV et au conseiller",
            "ils veulent rien savoir, on m'a répondu non, nous faisons appel au SAV",
            "TRES DECU DU SAV",  # all in capitals: no evidence for names
            "une garantie obsèques. Garantie souscrite en ligne, mes garanties",
            "service TRES LENT, la garantie promise",  # shouting after an upper-case word
            "je le recommande, mais le SAV répond mal"]
    words = {"axa", "macif", "garantie", "faisons", "veulent", "répondu", "sav", "conseiller",
             "tres", "lent", "recommande"}
    names, verbs = label_word_evidence(docs, words, keep={"sav"})
    assert names == {"axa", "macif"}  # SAV is upper case but a taxonomy word
    assert {"faisons", "répondu"} <= verbs and not verbs & {"garantie", "conseiller", "axa"}
    # deterministic and cheap: same input, same answer
    assert label_word_evidence(docs, words, keep={"sav"}) == (names, verbs)


def test_label_candidates_skip_names_and_prefer_nouns_to_verbs() -> None:
    vocabulary = ["axa", "faisons", "garantie", "contrat axa", "franchise", "tarif"]
    counts = np.array([[30, 25, 8, 12, 6, 0], [0, 0, 0, 0, 0, 20]], dtype=float)
    keywords = [["axa", "faisons", "garantie"], ["tarif"]]
    before = label_candidates(counts, vocabulary, keywords)
    assert before[0][:2] == ["contrat axa", "faisons"]  # what the labels used to say
    after = label_candidates(counts, vocabulary, keywords, names={"axa"}, verbs={"faisons"})
    assert after[0][0] == "garantie" and "franchise" in after[0]
    assert not {"axa", "contrat axa", "faisons"} & set(after[0])
    assert after[1][0] == "tarif"


@pytest.mark.slow
def test_insurer_names_never_label_a_theme() -> None:
    """Real reviews: the insurers named in the `assureur` column never word a label.

    Before the name check, 800 reviews of the bundled sample gave "Satisfaction — direct
    assurance, recommande vivement"; the names are found from the texts' capitals alone.
    """
    import re

    frame = pd.read_csv(ROOT / "data" / "avis_assurance_2021.csv")
    # distinctive words of the insurers' names (not "assurance", "mutuelle", "santé"...)
    insurers = {"direct", "olivier", "april", "gmf", "amv", "mgp", "néoliane", "zen", "pacifica",
                "macif", "santiane", "mercer", "maif", "cegema", "axa", "allianz", "maaf",
                "matmut", "eurofil", "mgen", "harmonie", "afer", "cnp", "sogecap", "groupama",
                "carac", "malakoff", "humanis", "generali", "cardif", "sogessur"}
    model = ThemeModel(random_state=0).fit(frame["avis"].astype(str).iloc[:800].tolist())
    keywords = {w for k in model.keywords_ for term in k for w in term.split()}
    assert keywords & insurers  # they are still keywords
    for label in model.themes_table()["label"]:
        phrases = label.partition(" — ")[2] or label
        assert not set(re.findall(r"[^\W\d_]+", phrases.lower())) & insurers, label


def test_stop_list_does_not_import_spacy() -> None:
    """The stop list is read from spaCy's data file: `import spacy.lang.fr` costs 5-7 s."""
    import subprocess
    import sys

    code = ("import sys; from feedback_nlp.topics.keywords import french_stop_words; "
            "words = french_stop_words(); "
            "assert {'de', 'le', 'les', 'est'} <= set(words), 'stop words missing'; "
            "assert 'spacy.lang.fr' not in sys.modules, 'spaCy imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_split_themes_merge_back_to_the_theme_limit_under_the_cap() -> None:
    # Synthetic unit vectors: six themes of sizes 40, 30, 10, 8, 6, 6 (100 opinions), cap
    # 0.45 -> no theme may grow above 45. Limit 3: the smallest themes join their nearest
    # neighbour, and a merge that would break the cap is never made.
    dim = 6
    axes = np.eye(dim)
    sizes = [40, 30, 10, 8, 6, 6]
    # theme 5 lies closest to theme 0, theme 4 closest to theme 1, themes 2 and 3 to each other
    directions = [axes[0], axes[1], axes[2], axes[2] + 0.3 * axes[3], axes[1] + 0.2 * axes[4],
                  axes[0] + 0.2 * axes[5]]
    vectors = np.vstack([np.repeat(d[None, :] / np.linalg.norm(d), s, axis=0)
                         for d, s in zip(directions, sizes)]).astype(np.float32)
    topics = np.repeat(np.arange(6), sizes)
    topics = np.concatenate([topics, [OTHER_ID] * 5])
    vectors = np.vstack([vectors, np.tile(axes[3], (5, 1)).astype(np.float32)])
    merged = merge_small(topics, vectors, limit=3, cap=0.45)
    assert (merged[-5:] == OTHER_ID).all()  # unassigned opinions stay unassigned
    sizes_after = np.bincount(merged[merged >= 0])
    assert len(set(merged[merged >= 0].tolist())) == 3
    assert sizes_after.max() <= 0.45 * len(merged)
    assert (merged[topics == 5] == 0).all() and (merged[topics == 3] == 2).all()
    assert (merged[topics == 4] == 1).all()
    # the cap wins over the limit: with cap 0.2 nothing can merge into the two big themes
    capped = merge_small(topics, vectors, limit=2, cap=0.2)
    assert len(set(capped[capped >= 0].tolist())) > 2
    assert all(np.sum(capped == t) <= max(0.2 * len(capped), np.sum(topics == t))
               for t in set(capped[capped >= 0].tolist()))


def test_no_theme_above_max_theme_share(tmp_path: Path) -> None:
    # Hand-written fixture sentences (not real reviews) on synthetic embeddings built to make
    # one blob of 70% of the opinions next to six small, well separated clusters.
    rng = np.random.default_rng(0)
    dim, blob, small = 24, 420, 30
    centers = np.eye(dim)
    vectors = [centers[0] + 0.08 * rng.standard_normal((blob, dim))]
    vectors += [centers[c] + 0.03 * rng.standard_normal((small, dim)) for c in range(1, 7)]
    embeddings = np.vstack(vectors).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    words = ["délai", "colis", "prix", "conseiller", "site", "remboursement", "contrat"]
    texts = [f"avis {i} sur le {words[0]} de traitement" for i in range(blob)]
    texts += [f"avis {blob + c * small + i} sur le {words[c]} proposé"
              for c in range(1, 7) for i in range(small)]
    n = len(texts)
    uncapped = ThemeModel(max_theme_share=None, random_state=0).fit_transform(texts, embeddings)
    assert np.bincount(uncapped[uncapped >= 0]).max() > 0.15 * n  # the blob is one theme
    model = ThemeModel(random_state=0)
    assert model.max_theme_share == 0.15
    ids = model.fit_transform(texts, embeddings)
    assert np.bincount(ids[ids >= 0]).max() <= 0.15 * n
    assert (ids == OTHER_ID).mean() <= 0.15
    assert len(model.themes_table()) <= model.theme_limit(n)
    # deterministic, and the cap survives save/load as a parameter
    assert np.array_equal(ids, ThemeModel(random_state=0).fit_transform(texts, embeddings))
    loaded = ThemeModel.load(model.save(tmp_path / "capped"))
    assert loaded.max_theme_share == 0.15
    assert np.array_equal(loaded.transform(texts, embeddings), model.transform(texts, embeddings))


def test_theme_model_is_a_scikit_learn_estimator() -> None:
    from sklearn.base import BaseEstimator, clone
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    from feedback_nlp.config import ThemeConfig
    from feedback_nlp.topics.model import CONFIG_PARAMS

    model = ThemeModel(max_themes=12, random_state=3, umap_model=PCA(n_components=3),
                       hdbscan_model=KMeans(n_clusters=4, n_init=2, random_state=0))
    assert isinstance(model, BaseEstimator)
    params = model.get_params(deep=False)
    assert params["max_themes"] == 12 and params["random_state"] == 3
    assert {"umap_model", "hdbscan_model", "vectorizer_model"} <= set(params)
    assert model.get_params(deep=True)["umap_model__n_components"] == 3  # nested, as sklearn
    twin = clone(model)
    assert twin is not model and twin.umap_model is not model.umap_model
    assert twin.get_params(deep=False)["max_themes"] == 12
    assert twin.set_params(max_themes=5).max_themes == 5 and model.max_themes == 12
    with pytest.raises(ValueError):
        model.set_params(no_such_parameter=1)
    # every [themes] field that is a model parameter is mapped, once
    fields = set(ThemeConfig.__dataclass_fields__) - {"enabled", "model"}
    assert set(CONFIG_PARAMS) == fields
    config = ThemeConfig(max_themes=7, fit_sample=500, max_theme_share=None)
    built = ThemeModel.from_config(config, seed=11)
    assert (built.max_themes, built.fit_sample, built.max_theme_share, built.random_state) == \
        (7, 500, None, 11)


@pytest.mark.slow
def test_stages_passed_in_as_objects_are_used(showroom: list[str], tmp_path: Path) -> None:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    clusterer = KMeans(n_clusters=6, n_init=2, random_state=0)
    vectorizer = keyword_vectorizer(min_df=1, ngram_range=(1, 1))
    model = ThemeModel(umap_model=PCA(n_components=4, random_state=0), hdbscan_model=clusterer,
                       vectorizer_model=vectorizer, max_theme_share=None, random_state=0)
    ids = model.fit_transform(showroom)
    assert not hasattr(clusterer, "labels_")  # a clone was fitted, not the object passed in
    assert 2 <= len(model.themes_table()) <= 6  # KMeans(6), not HDBSCAN's count
    assert all(" " not in term for term in model.vocabulary_)  # the unigram vectorizer
    assert (ids != OTHER_ID).any()
    loaded = ThemeModel.load(model.save(tmp_path / "tm"))  # stage objects are not saved
    assert loaded.umap_model is None and loaded.hdbscan_model is None
    assert np.array_equal(loaded.transform(showroom[:30]), model.transform(showroom[:30]))
