"""The e5 sentiment teacher in the product: a cascade, or every unit ("accurate").

``AnalysisConfig.sentiment_mode`` (CLI ``--sentiment-mode``):

- ``"fast"`` (default): the shipped linear model alone; the teacher is never loaded.
- ``"cascade"``: the shipped model scores every opinion unit; the units it is unsure of
  (top-two probability margin below :data:`CASCADE_MARGIN`) are re-scored by the teacher.
- ``"accurate"``: the teacher re-scores every unit (~40 units per CPU-second: hours on a
  large export, see the README's cost table).

The teacher (:class:`feedback_nlp.encoders.teacher.E5SentimentTeacher`) is binary. On a
re-scored unit the neutral probability is the shipped model's ``n`` times
:data:`NEUTRAL_SCALE` (``n' = s n``) and the teacher splits the rest:
``[(1 - n') t_neg, n', (1 - n') t_pos]``; the polarity comes from the teacher.

The teacher is not shipped (it sits on top of the ~250 MB converted e5, and its
fine-tuning takes ~26 CPU-minutes); it is looked for in ``$FEEDBACK_NLP_TEACHER_DIR`` or
``~/.cache/feedback_nlp/e5-sentiment-teacher`` (``config.sentiment_teacher`` overrides
both). When it is missing, asking for ``cascade`` / ``accurate`` stops with E301 naming
the build command; the default mode never needs it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.errors import ConfigError, ModelLoadError

MODES = ("fast", "cascade", "accurate")
#: Units whose shipped-model margin (top probability minus the second) is below this go
#: to the teacher in ``cascade`` mode. Chosen on a development split that is neither a
#: test set nor a training domain (benchmarks/encoder.py --part cascade).
CASCADE_MARGIN = 0.4
#: Share of the shipped model's neutral probability kept on a re-scored unit (chosen on
#: the same development split, by macro-F1 of the accurate mode).
NEUTRAL_SCALE = 1.0
COLUMNS = ["negative", "neutral", "positive"]
BUILD_COMMAND = "python scripts/train_teacher.py"


def default_teacher_dir() -> Path:
    """Where the fine-tuned teacher is looked for (``$FEEDBACK_NLP_TEACHER_DIR`` first)."""
    override = os.environ.get("FEEDBACK_NLP_TEACHER_DIR")
    if override:
        return Path(override).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "feedback_nlp" / "e5-sentiment-teacher"


def _missing(path: Path, why: str) -> ModelLoadError:
    return ModelLoadError(
        f"The sentiment teacher asked for by sentiment_mode 'cascade' / 'accurate' is "
        f"{why} ({path}).",
        fix=f"build it once with `{BUILD_COMMAND} --out {path}` (~26 CPU-minutes; it builds "
            "the e5 encoder first if needed), pass its folder with --teacher DIR / "
            "sentiment_teacher, or use the default --sentiment-mode fast.")


@lru_cache(maxsize=2)
def _load_teacher(path: str) -> Any:
    from feedback_nlp.encoders.teacher import E5SentimentTeacher

    folder = Path(path)
    if not (folder / "teacher.safetensors").is_file() or not (folder / "config.json").is_file():
        raise _missing(folder, "not built" if not folder.exists() else "incomplete")
    return E5SentimentTeacher.load(folder)


def load_teacher(path: str | Path | None = None) -> Any:
    """The teacher (cached per folder); E301 with the build command when it is missing."""
    return _load_teacher(str(Path(path).expanduser() if path else default_teacher_dir()))


def margin(proba: np.ndarray) -> np.ndarray:
    """Top probability minus the second, per row of an ``(n, 3)`` array."""
    ordered = np.sort(np.asarray(proba, dtype=np.float64), axis=1)
    return ordered[:, -1] - ordered[:, -2]


def combine(fast: np.ndarray, teacher: np.ndarray,
            neutral_scale: float = NEUTRAL_SCALE) -> np.ndarray:
    """``(n, 3)`` probabilities: ``neutral_scale`` times the shipped model's neutral share,
    the rest split by the teacher's ``(n, 2)`` negative / positive probabilities."""
    fast = np.asarray(fast, dtype=np.float64)
    teacher = np.asarray(teacher, dtype=np.float64)
    neutral = neutral_scale * fast[:, 1]
    polar = 1.0 - neutral
    return np.column_stack([polar * teacher[:, 0], neutral, polar * teacher[:, 1]])


class TeacherSentiment:
    """A sentiment model (``predict_proba`` / ``predict``) that is the shipped model with
    the teacher on top, in ``cascade`` or ``accurate`` mode.

    ``routed`` and ``scored`` count the units sent to the teacher and all units scored
    since the object was built (what the cost depends on).
    """

    def __init__(self, fast: Any, teacher: Any, mode: str = "cascade",
                 threshold: float = CASCADE_MARGIN) -> None:
        if mode not in ("cascade", "accurate"):
            raise ConfigError(f"TeacherSentiment mode {mode!r} is not supported.",
                              fix="use 'cascade' or 'accurate'.")
        self.fast = fast
        self.teacher = teacher
        self.mode = mode
        self.threshold = float(threshold)
        self.routed = 0
        self.scored = 0

    def predict_proba(self, texts: Any) -> pd.DataFrame:
        texts = [str(t) for t in texts]
        base = self.fast.predict_proba(texts)[COLUMNS].to_numpy(dtype=np.float64)
        if self.mode == "accurate":
            chosen = np.ones(len(texts), dtype=bool)
        else:
            chosen = margin(base) < self.threshold
        out = base.copy()
        if chosen.any():
            picked = [t for t, c in zip(texts, chosen) if c]
            out[chosen] = combine(base[chosen], self.teacher.predict_proba(picked))
        self.routed += int(chosen.sum())
        self.scored += len(texts)
        return pd.DataFrame(out, columns=COLUMNS)

    def predict(self, texts: Any) -> np.ndarray:
        proba = self.predict_proba(texts).to_numpy()
        return np.asarray(COLUMNS, dtype=object)[proba.argmax(axis=1)]


def with_teacher(model: Any, config: Any) -> Any:
    """``model`` itself in ``fast`` mode, else the shipped model with the teacher on top
    (the pipeline's sentiment stage calls this; the teacher is loaded only here)."""
    mode = getattr(config, "sentiment_mode", "fast")
    if mode == "fast":
        return model
    return TeacherSentiment(model, load_teacher(getattr(config, "sentiment_teacher", None)),
                            mode=mode)
