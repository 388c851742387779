"""One frozen configuration object, passed down explicitly (no global state).

Load it from TOML with :func:`AnalysisConfig.from_toml`; every field has a default that
works. Example file::

    seed = 42
    lang = "fr"
    score_scale = "nps"          # "nps" (0-10) or "stars" (1-5, NPS classes as a proxy)
    max_text_chars = 5000

    [themes]
    min_theme_size = 15
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from feedback_nlp.errors import ConfigError, ConfigFileError, UnknownOptionError

ScoreScale = Literal["nps", "stars"]
SentimentMode = Literal["fast", "cascade", "accurate"]


@dataclass(frozen=True)
class ThemeConfig:
    """Theme-model settings (see :mod:`feedback_nlp.topics`)."""

    enabled: bool = True
    # "default" = "aspects-e5" (nouns, e5-static vectors), "aspects", "lsa", "spacy", or a dir
    embedding: str = "default"
    taxonomy: str | None = None  # path to a TOML taxonomy; None = the shipped French CX taxonomy
    min_theme_size: int | None = None  # None = scaled to the corpus
    max_themes: int = 30
    fit_sample: int = 10_000  # fit on at most this many opinion units, assign the rest
    max_unassigned: float = 0.15
    max_theme_share: float | None = 0.15  # larger themes are split (k-means); None = no cap
    model: str | None = None  # folder of a saved theme model: apply it instead of fitting

    def __post_init__(self) -> None:
        _validate_types(self, "[themes] ")
        if not self.embedding.strip():
            _range_error("[themes] ", "embedding", self.embedding, "a non-empty name or folder",
                         '"default"')
        if self.min_theme_size is not None and self.min_theme_size < 2:
            _range_error("[themes] ", "min_theme_size", self.min_theme_size,
                         "at least 2 (or unset: scaled to the corpus)", 15)
        if not 2 <= self.max_themes <= 500:
            _range_error("[themes] ", "max_themes", self.max_themes, "between 2 and 500", 30)
        if self.fit_sample < 100:
            _range_error("[themes] ", "fit_sample", self.fit_sample, "at least 100", 10_000)
        if not 0 <= self.max_unassigned < 1:
            _range_error("[themes] ", "max_unassigned", self.max_unassigned,
                         "at least 0 and below 1", 0.15)
        if self.max_theme_share is not None and not 0 < self.max_theme_share <= 1:
            _range_error("[themes] ", "max_theme_share", self.max_theme_share,
                         "above 0 and at most 1 (or unset: no cap)", 0.15)


@dataclass(frozen=True)
class DriverConfig:
    """Driver-analysis settings (see :mod:`feedback_nlp.drivers`)."""

    min_support: int = 30  # themes with fewer scored mentioners are flagged, never ranked first
    n_bootstrap: int = 500
    confidence: float = 0.95
    ci_method: str = "delta"  # interval of impacts: "delta" or "bootstrap" (seeded, n_bootstrap)
    target: str = "nps"  # driver model outcome: "nps" (-100/0/100), "score" or "detractor"
    period: str | None = None  # trends granularity: "week", "month", "quarter"; None = from span

    def __post_init__(self) -> None:
        _validate_types(self, "[drivers] ")
        if self.min_support < 1:
            raise ConfigError("[drivers] min_support must be at least 1.", fix="use e.g. 30.")
        if self.n_bootstrap < 50:
            raise ConfigError("[drivers] n_bootstrap must be at least 50.", fix="use e.g. 500.")
        if not 0.5 < self.confidence < 1:
            raise ConfigError("[drivers] confidence must be between 0.5 and 1.", fix="use 0.95.")
        if self.ci_method not in ("bootstrap", "delta"):
            raise ConfigError(f"[drivers] ci_method={self.ci_method!r} is not supported.",
                              fix='use "bootstrap" or "delta".')
        if self.target not in ("nps", "score", "detractor"):
            raise ConfigError(f"[drivers] target={self.target!r} is not supported.",
                              fix='use "nps", "score" or "detractor".')
        if self.period not in (None, "week", "month", "quarter"):
            raise ConfigError(f"[drivers] period={self.period!r} is not supported.",
                              fix='use "week", "month", "quarter" or leave it unset.')


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings for :func:`feedback_nlp.analyze`.

    Parameters
    ----------
    seed
        Seed for every random step (UMAP, HDBSCAN sampling, bootstrap).
    lang
        Language of the report labels: ``"fr"`` (default) or ``"en"``.
    score_scale
        ``"nps"`` for a 0-10 recommendation score, ``"stars"`` for a 1-5 rating. With
        ``"stars"`` NPS classes come from the explicit proxy 5 = promoter, 4 = passive,
        1-3 = detractor and every NPS figure is labelled as a proxy.
    max_text_chars
        Longer texts are truncated for NLP (the full text stays in the output).
    keep_raw_text
        Keep the unmasked original text in outputs. Off by default: PII is masked.
    sentiment_model
        Directory of a sentiment model; ``None`` uses the shipped model.
    sentiment_adapt
        Adapt sentiment to the run's own scores when enough scored reviews have text
        (:func:`feedback_nlp.sentiment.adapt_run`); ``False`` (CLI ``--no-adapt``) keeps
        the shipped model's calls.
    sentiment_mode
        ``"fast"`` (default): the shipped model alone. ``"cascade"``: units the shipped
        model is unsure of are re-scored by the e5 sentiment teacher; ``"accurate"``: the
        teacher re-scores every unit (slow; :mod:`feedback_nlp.encoders.cascade`). Both
        need the teacher built (``python scripts/train_teacher.py``).
    sentiment_teacher
        Folder of the sentiment teacher; ``None`` = ``$FEEDBACK_NLP_TEACHER_DIR`` or
        ``~/.cache/feedback_nlp/e5-sentiment-teacher``.
    n_jobs
        Worker processes for the per-row stages where a path uses them (streaming chunks,
        :func:`feedback_nlp.distributed.process_parallel`).
    worker_timeout
        Seconds one worker-process task (a chunk, a part of the table) may run before the
        analysis stops with a clear error instead of hanging; ``None`` = no limit.
    """

    seed: int = 42
    lang: str = "fr"
    score_scale: ScoreScale = "nps"
    max_text_chars: int = 5000
    keep_raw_text: bool = False
    check_language: bool = True
    sentiment: bool = True
    sentiment_model: str | None = None
    sentiment_adapt: bool = True
    sentiment_mode: SentimentMode = "fast"
    sentiment_teacher: str | None = None
    batch_size: int = 4096
    n_jobs: int = 1
    worker_timeout: float | None = 1800.0
    themes: ThemeConfig = field(default_factory=ThemeConfig)
    drivers: DriverConfig = field(default_factory=DriverConfig)

    def __post_init__(self) -> None:
        for key, section in (("themes", ThemeConfig), ("drivers", DriverConfig)):
            value = getattr(self, key)
            if isinstance(value, dict):  # AnalysisConfig(themes={"enabled": False})
                _check_keys(value, section, f"[{key}]")
                object.__setattr__(self, key, section(**value))
        _validate_types(self, "")
        if self.score_scale not in ("nps", "stars"):
            raise ConfigError(
                f"score_scale={self.score_scale!r} is not supported.",
                fix='use "nps" (0-10 score) or "stars" (1-5 rating, NPS as a proxy).',
            )
        if self.lang not in ("fr", "en"):
            raise ConfigError(f"lang={self.lang!r} is not supported.", fix='use "fr" or "en".')
        if self.max_text_chars < 20:
            raise ConfigError("max_text_chars must be at least 20.", fix="raise max_text_chars.")
        if not 0 <= self.seed < 2**32:
            _range_error("", "seed", self.seed, "between 0 and 2**32 - 1", 42)
        if self.batch_size < 1:
            _range_error("", "batch_size", self.batch_size, "at least 1", 4096)
        if self.n_jobs < 1:
            raise ConfigError(f"n_jobs={self.n_jobs} must be at least 1.", fix="use 1 or the number of cores.")
        if self.worker_timeout is not None and self.worker_timeout <= 0:
            raise ConfigError(f"worker_timeout={self.worker_timeout} must be positive.",
                              fix="give seconds (e.g. 1800) or leave it unset for no limit.")

    def replace(self, **changes: Any) -> AnalysisConfig:
        """Return a copy with ``changes`` applied (nested sections accept dicts)."""
        current = dataclasses.asdict(self)
        for key, value in changes.items():
            if key in ("themes", "drivers") and isinstance(value, dict):
                current[key].update(value)
            else:
                current[key] = value
        return AnalysisConfig.from_dict(current)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AnalysisConfig:
        """Build a config from plain values, rejecting unknown keys with a clear error."""
        values = dict(values)
        nested: dict[str, Any] = {}
        for key, section in (("themes", ThemeConfig), ("drivers", DriverConfig)):
            raw = values.pop(key, None) or {}
            if isinstance(raw, section):
                nested[key] = raw
                continue
            _check_keys(raw, section, f"[{key}]")
            nested[key] = section(**raw)
        _check_keys(values, cls, "top level")
        return cls(**values, **nested)

    @classmethod
    def from_toml(cls, path: str | Path) -> AnalysisConfig:
        """Read a TOML configuration file."""
        path = Path(path)
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigFileError(f"Configuration file {path} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigFileError(f"Configuration file {path} is not valid TOML: {exc}.") from None
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_keys(values: dict[str, Any], klass: type, where: str) -> None:
    allowed = {f.name for f in dataclasses.fields(klass)}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise UnknownOptionError(
            f"Unknown configuration key(s) {', '.join(unknown)} at {where}.",
            fix=f"allowed keys: {', '.join(sorted(allowed))}.",
        )


# ----------------------------------------------------------------------- strict types

_PATH_KEYS = frozenset({"embedding", "taxonomy", "model", "sentiment_model",
                        "sentiment_teacher"})


def _type_name(hint: Any) -> str:
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(hint))
    if isinstance(hint, type):
        return f"a [{hint.__name__}] section"
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(args) == 1:
        return _type_name(args[0]) + " (or unset)"
    return " or ".join(_type_name(a) for a in args)


def _matches(value: Any, hint: Any) -> bool:
    """Strict check: a bool is not an int, a string is not a number, "no" is not False."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return isinstance(value, str) and value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return (isinstance(value, numbers.Real) and not isinstance(value, bool)
                and math.isfinite(float(value)))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _toml_example(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _validate_types(obj: Any, where: str) -> None:
    """Check every field of a config dataclass against its annotation; normalise
    path-like values to ``str`` and integral values to ``int`` (numpy scalars)."""
    hints = typing.get_type_hints(type(obj))
    for item in dataclasses.fields(obj):
        key, hint = item.name, hints[item.name]
        value = getattr(obj, key)
        if key in _PATH_KEYS and isinstance(value, os.PathLike):
            value = os.fspath(value)
            object.__setattr__(obj, key, value)
        if not _matches(value, hint):
            default = item.default if item.default is not dataclasses.MISSING else None
            if isinstance(value, str):  # suggest the user's own value, unquoted, when it parses
                default = _parse_like(value, hint, default)
            shown = repr(value) if not isinstance(value, str) else f"the string {value!r}"
            fix = f"write {key} = {_toml_example(default)}" if default is not None else \
                f"give {key} as {_type_name(hint)}"
            if isinstance(value, str) and hint in (int, float, bool, int | None, float | None):
                fix += " (no quotes)"
            section = f" in the {where.strip()} section" if where else " at the top level"
            raise ConfigError(
                f"{where}{key} must be {_type_name(hint)}, got {shown}"
                f" ({type(value).__name__}).",
                fix=fix + section + ".",
            )
        if hint in (int, int | None) and value is not None and not isinstance(value, int):
            object.__setattr__(obj, key, int(value))
        if hint in (float, float | None) and value is not None and not isinstance(value, float):
            object.__setattr__(obj, key, float(value))


def _range_error(where: str, key: str, value: Any, expected: str, example: Any) -> typing.NoReturn:
    raise ConfigError(f"{where}{key}={value!r} must be {expected}.",
                      fix=f"use e.g. {key} = {_toml_example(example)}.")


def _parse_like(text: str, hint: Any, default: Any) -> Any:
    word = text.strip().lower()
    if hint is bool:
        if word in ("true", "yes", "oui", "vrai", "1", "on"):
            return True
        if word in ("false", "no", "non", "faux", "0", "off"):
            return False
        return default
    for kind in (int, float):
        if hint in (kind, kind | None):
            try:
                return kind(word)
            except ValueError:
                return default
    return default
