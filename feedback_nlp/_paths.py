"""Where the shipped models are: the installed wheel, the repository, or an override.

A wheel carries ``models/`` as ``feedback_nlp/_models/`` (see ``pyproject.toml``); an
editable install or a clone reads the repository's ``models/`` folder; the
``FEEDBACK_NLP_MODELS`` environment variable points elsewhere (e.g. a shared folder on
cluster workers).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def models_dir() -> Path:
    """The folder that holds the shipped model folders (``sentiment-fr-3``...)."""
    override = os.environ.get("FEEDBACK_NLP_MODELS")
    if override:
        return Path(override).expanduser()
    installed = _PACKAGE / "_models"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "models"


def shipped_model(name: str) -> Path:
    """The folder of one shipped model, e.g. ``shipped_model("sentiment-fr-3")``."""
    return models_dir() / name
