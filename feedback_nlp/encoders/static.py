"""A fast static French encoder distilled from multilingual-e5-small.

Every word of our review corpora (and, for the words it does not know, the e5 pieces
they split into) has one vector; a text's vector is the L2-normalised sum of its
tokens' vectors. The vectors start as e5's embedding of each word alone
(model2vec-style), reduced by PCA fitted on e5 sentence embeddings of real review
units, then fitted so that the normalised sum reproduces e5's own sentence embedding
of those units (the vector norms act as learned word weights). Built by
``scripts/distill_static.py``; shipped in ``models/e5-static-fr`` (safetensors + JSON).

>>> enc = StaticEncoder.load()                                       # doctest: +SKIP
>>> enc.encode(["Livraison rapide", "Colis jamais reçu"]).shape      # doctest: +SKIP
(2, 256)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp._paths import shipped_model
from feedback_nlp.errors import ModelLoadError

MODEL_NAME = "e5-static-fr"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def default_static_dir() -> Path:
    return shipped_model(MODEL_NAME)


def normalize_text(text: str) -> str:
    """The text as the static model sees it: NFKC, lower case, straight apostrophes."""
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("`", "'")


def tokenize(text: str) -> list[str]:
    """Words, numbers and punctuation marks ("!" and "?" carry opinion) of ``text``."""
    return _TOKEN.findall(normalize_text(text))


class StaticEncoder:
    """Static word/piece vectors: ``encode(texts)`` and ``word_vectors(words)``.

    Parameters
    ----------
    vectors : ndarray (n_words + n_pieces, dim)
        Word rows first, then piece rows.
    words : list of str
        The normalised words (see :func:`tokenize`), in row order.
    pieces : list of str
        e5 pieces of the remaining rows, used for words outside ``words``.
    piece_tokenizer : tokenizers.Tokenizer, optional
        A Unigram tokenizer whose id ``k + 1`` is ``pieces[k]`` (id 0 is ``<unk>``), to
        split unknown words into known pieces (without it, unknown words are skipped).
    """

    name = "e5-static-fr"

    def __init__(self, vectors: np.ndarray, words: Sequence[str], pieces: Sequence[str],
                 piece_tokenizer: Any = None, meta: dict[str, Any] | None = None) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.words = list(words)
        self.pieces = list(pieces)
        self.meta = meta or {}
        self._row = {w: i for i, w in enumerate(self.words)}
        self._tok = piece_tokenizer
        self._oov: dict[str, tuple[int, ...]] = {}
        self.dim = self.vectors.shape[1]

    # ------------------------------------------------------------ persistence
    @classmethod
    def load(cls, path: str | Path | None = None) -> StaticEncoder:
        """Load a folder written by :meth:`save` (``models/e5-static-fr`` by default)."""
        from safetensors.numpy import load_file

        from feedback_nlp._safe import check_model_dir

        path = Path(path) if path else default_static_dir()
        check_model_dir(path, ["weights.safetensors", "vocabulary.json", "meta.json",
                               "tokenizer.json"], what="static encoder")
        vocab = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        vectors = load_file(str(path / "weights.safetensors"))["vectors"]
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        return cls(vectors.astype(np.float32), vocab["words"], vocab["pieces"], tok, meta)

    def save(self, path: str | Path) -> Path:
        """Write ``weights.safetensors`` (fp16), ``vocabulary.json``, ``meta.json`` and the
        pieces' ``tokenizer.json``."""
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({"vectors": self.vectors.astype(np.float16)},
                  str(path / "weights.safetensors"))
        (path / "vocabulary.json").write_text(
            json.dumps({"words": self.words, "pieces": self.pieces}, ensure_ascii=False),
            encoding="utf-8")
        (path / "meta.json").write_text(json.dumps(self.meta, indent=2, ensure_ascii=False)
                                        + "\n", encoding="utf-8")
        if self._tok is not None:
            self._tok.save(str(path / "tokenizer.json"))
        return path

    # ---------------------------------------------------------------- lookup
    def _oov_rows(self, word: str) -> tuple[int, ...]:
        rows = self._oov.get(word)
        if rows is None:
            rows = ()
            if self._tok is not None:
                base = len(self.words) - 1
                ids = self._tok.encode(word, add_special_tokens=False).ids
                rows = tuple(base + i for i in ids if 0 < i <= len(self.pieces))
            if len(self._oov) < 200_000:
                self._oov[word] = rows
        return rows

    def rows(self, tokens: Iterable[str]) -> list[int]:
        """Vector rows of normalised tokens (unknown words -> their known e5 pieces)."""
        out: list[int] = []
        get = self._row.get
        for t in tokens:
            r = get(t)
            if r is not None:
                out.append(r)
            else:
                out.extend(self._oov_rows(t))
        return out

    def encode(self, texts: Sequence[str] | Iterable[str], normalize: bool = True
               ) -> np.ndarray:
        """One vector per text (L2-normalised sum of its token vectors), float32.

        A text with no known token gets a zero vector.
        """
        from scipy.sparse import csr_matrix

        texts = list(texts)
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        flat: list[int] = []
        rows = self.rows
        for i, text in enumerate(texts):
            flat.extend(rows(_TOKEN.findall(normalize_text(str(text)))))
            offsets[i + 1] = len(flat)
        # a sparse (texts x vocabulary) count matrix times the vectors: sums without
        # materialising one row per token
        counts = csr_matrix((np.ones(len(flat), dtype=np.float32),
                             np.asarray(flat, dtype=np.int64), offsets),
                            shape=(len(texts), len(self.vectors)))
        out = np.asarray(counts @ self.vectors, dtype=np.float32)
        if normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Alias of :meth:`encode` (the theme model's ``Embedder`` protocol)."""
        return self.encode(texts)

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """L2-normalised vector of each word or short phrase (e.g. a noun lemma
        "livraison" or "service client"); equal to ``encode(words)``."""
        return self.encode(words)

    def __contains__(self, word: str) -> bool:
        return normalize_text(word) in self._row


def piece_tokenizer(e5_tokenizer_json: str | Path, pieces: Sequence[str]) -> Any:
    """e5's tokenizer restricted to ``pieces`` (ids 1..n, ``<unk>`` = 0), with e5's
    scores and normalisation: unknown words split into pieces the model has vectors for."""
    from tokenizers import Tokenizer

    spec = json.loads(Path(e5_tokenizer_json).read_text(encoding="utf-8"))
    scores = dict((p, s) for p, s in spec["model"]["vocab"])
    spec["model"]["vocab"] = [["<unk>", 0.0]] + [[p, scores[p]] for p in pieces]
    spec["model"]["unk_id"] = 0
    spec["model"]["byte_fallback"] = False
    spec["added_tokens"] = []
    spec["post_processor"] = None
    return Tokenizer.from_str(json.dumps(spec))


@lru_cache(maxsize=4)
def _cached(path: str) -> StaticEncoder:
    return StaticEncoder.load(path or None)


def load_static(path: str | Path | None = None) -> StaticEncoder:
    """The shipped static encoder (loaded once per process and path)."""
    folder = Path(path) if path else default_static_dir()
    if not (folder / "weights.safetensors").is_file():
        raise ModelLoadError(f"No static encoder in {folder}.",
                             fix="run `python scripts/distill_static.py` to rebuild it.")
    return _cached(str(folder))


def encode(texts: Sequence[str]) -> np.ndarray:
    """Vectors of ``texts`` from the shipped static encoder, shape ``(n, 256)``."""
    return load_static().encode(texts)
