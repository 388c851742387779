"""``transformers`` backend: a user's own local sequence-classification model (e.g. a
fine-tuned CamemBERT), and fine-tuning of any local base model on our labelled reviews.

Nothing reaches a hub: every load uses ``local_files_only=True`` and only safetensors
weights are accepted (``use_safetensors=True``), so loading never unpickles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from feedback_nlp.errors import ModelLoadError, NotFittedError
from feedback_nlp.sentiment.linear import LABELS

#: Model labels understood without a mapping (lower-cased), mapped to ours.
DEFAULT_LABEL_MAP = {
    "negative": "negative", "neg": "negative", "négatif": "negative", "negatif": "negative",
    "1 star": "negative", "2 stars": "negative", "label_0": "negative",
    "neutral": "neutral", "neu": "neutral", "neutre": "neutral", "3 stars": "neutral",
    "label_1": "neutral",
    "positive": "positive", "pos": "positive", "positif": "positive", "4 stars": "positive",
    "5 stars": "positive", "label_2": "positive",
}


_DOWNLOAD_FIX = ("download the model yourself (e.g. `huggingface-cli download "
                 "cmarkea/distilcamembert-base-sentiment --local-dir DIR` on a machine with "
                 "internet), copy the folder here and pass its path; feedback-nlp never downloads.")


def check_transformers_dir(path: str | Path) -> Path:
    """Check a local transformers model folder before anything in it is read.

    The folder must exist (nothing is downloaded), pass
    :func:`feedback_nlp._safe.check_model_dir` (no pickle-family file such as
    ``pytorch_model.bin`` or ``*.pkl``), hold ``config.json`` and safetensors weights.
    """
    from feedback_nlp._safe import check_model_dir

    path = Path(path)
    if not path.is_dir():
        raise ModelLoadError(
            f"No local transformers model in {path} (the folder does not exist).",
            fix=_DOWNLOAD_FIX)
    check_model_dir(path, what="transformers model")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"No local transformers model in {path} (config.json missing).",
                             fix=_DOWNLOAD_FIX)
    if not any(path.glob("*.safetensors")):
        raise ModelLoadError(
            f"{path} has no .safetensors weights; pickle-based weights are refused.",
            fix="convert the model once with `model.save_pretrained(dir, safe_serialization=True)`.")
    return path


def _device(device: str | None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class TransformerSentiment(ClassifierMixin, BaseEstimator):
    """Sentiment from a local ``transformers`` sequence-classification directory.

    Parameters
    ----------
    path
        Local model directory (``config.json``, tokenizer files, ``*.safetensors``).
    label_map
        Model label -> ``negative | neutral | positive``. ``None`` understands common
        names (``negative``, ``POSITIVE``, ``1 star``..., ``LABEL_0..2``). Two-class models
        get ``p_neutral = 0``.
    batch_size
        Texts per forward pass.
    max_length
        Longer texts are truncated to this many tokens.
    device
        ``"cpu"``, ``"cuda"``...; ``None`` picks the GPU when there is one.

    Examples
    --------
    >>> model = TransformerSentiment("models/mon-camembert")  # doctest: +SKIP
    >>> model.predict(["Livraison rapide mais SAV injoignable"])  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, label_map: Mapping[str, str] | None = None,
                 batch_size: int = 32, max_length: int = 256, device: str | None = None) -> None:
        self.path = path
        self.label_map = label_map
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device

    def _load(self) -> None:
        if hasattr(self, "model_"):
            return
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = check_transformers_dir(self.path)
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path), local_files_only=True, use_safetensors=True)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"Cannot load the transformers model in {path}: "
                                 f"{' '.join(str(exc).split())[:200]}",
                                 fix="check that the folder holds a complete sequence-"
                                     "classification model and its tokenizer.") from None
        self.device_ = _device(self.device)
        self.model_ = model.to(self.device_).eval()
        self.columns_ = self._columns(model.config.id2label)
        self.classes_ = np.array(LABELS, dtype=object)

    def _columns(self, id2label: Mapping[int, str]) -> list[str]:
        mapping = {k.lower(): v for k, v in (self.label_map or DEFAULT_LABEL_MAP).items()}
        columns = []
        for index in range(len(id2label)):
            name = str(id2label[index])
            target = mapping.get(name.lower())
            if target not in LABELS:
                raise ModelLoadError(
                    f"Model label {name!r} of {self.path} has no sentiment mapping.",
                    fix='pass label_map={"' + name + '": "negative" | "neutral" | "positive"}.')
            columns.append(target)
        return columns

    def fit(self, texts: Iterable[str] | None = None, y: Iterable[str] | None = None) -> TransformerSentiment:
        """Load the model (no training here; see :func:`finetune`). Returns ``self``."""
        self._load()
        return self

    def predict_proba(self, texts: Iterable[str]) -> pd.DataFrame:
        """Probabilities, one row per text, columns ``negative, neutral, positive``."""
        import torch

        self._load()
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), len(LABELS)))
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer_(texts[start:start + self.batch_size], padding=True,
                                        truncation=True, max_length=self.max_length,
                                        return_tensors="pt").to(self.device_)
                proba = torch.softmax(self.model_(**batch).logits.float(), dim=-1).cpu().numpy()
                for column, target in enumerate(self.columns_):
                    out[start:start + len(proba), LABELS.index(target)] += proba[:, column]
        return pd.DataFrame(out, columns=list(LABELS))

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        """Most probable label of each text."""
        proba = self.predict_proba(texts)
        return np.asarray(LABELS, dtype=object)[proba.to_numpy().argmax(axis=1)]


def finetune(base: str | Path, texts: Sequence[str], labels: Sequence[str], out: str | Path, *,
             epochs: float = 1.0, batch_size: int = 16, learning_rate: float = 3e-5,
             max_length: int = 256, max_steps: int | None = None, seed: int = 42,
             device: str | None = None, meta: dict[str, Any] | None = None) -> Path:
    """Fine-tune the local model ``base`` on ``texts`` / ``labels`` (3 classes) and save it
    to ``out`` (safetensors + tokenizer + ``meta.json``).

    A fresh 3-way classification head is created (``ignore_mismatched_sizes``) with our
    labels, so the result loads directly with :class:`TransformerSentiment`.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = check_transformers_dir(base)
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"Unknown labels {sorted(unknown)}; expected {list(LABELS)}.")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True, use_safetensors=True, num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)},
            ignore_mismatched_sizes=True)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"Cannot load the base model in {path}: "
                             f"{' '.join(str(exc).split())[:200]}",
                             fix="pass a local transformers model directory as --base.") from None
    target = _device(device)
    model.to(target).train()
    y = np.array([LABELS.index(label) for label in labels])
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    class_weight = torch.tensor(np.where(counts > 0, len(y) / (len(LABELS) * np.maximum(counts, 1)),
                                         0.0), dtype=torch.float32, device=target)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weight)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    steps_per_epoch = max(1, int(np.ceil(len(texts) / batch_size)))
    total = max_steps or max(1, int(round(epochs * steps_per_epoch)))
    losses = []
    step = 0
    while step < total:
        order = rng.permutation(len(texts))
        for start in range(0, len(order), batch_size):
            if step >= total:
                break
            index = order[start:start + batch_size]
            batch = tokenizer([str(texts[i]) for i in index], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt").to(target)
            logits = model(**batch).logits
            loss = loss_fn(logits, torch.tensor(y[index], device=target))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach().cpu()))
            step += 1
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    window = max(1, len(losses) // 5)  # mean over the first / last fifth of the steps
    info = {"kind": "transformers", "base": str(base), "labels": list(LABELS), "steps": step,
            "rows": len(texts), "seed": seed,
            "first_loss": float(np.mean(losses[:window])) if losses else None,
            "last_loss": float(np.mean(losses[-window:])) if losses else None}
    info.update(meta or {})
    (out / "meta.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return out


def is_transformers_dir(path: str | Path) -> bool:
    """Whether ``path`` holds a transformers model (``config.json``) rather than ours."""
    path = Path(path)
    if (path / "meta.json").is_file():
        try:
            if json.loads((path / "meta.json").read_text(encoding="utf-8")).get("kind") == "linear":
                return False
        except ValueError:
            pass
    return (path / "config.json").is_file()


def _not_fitted() -> None:  # pragma: no cover - kept for API symmetry
    raise NotFittedError("Model not loaded.", fix="call fit() or predict_proba().")
