"""Model and result directories are data, never instructions: checked before anything
in them is read.

Our models are safetensors + JSON (weights cannot run code when loaded). A directory
that also holds a pickle-family file (``.pkl``, ``.joblib``, ``.pt``, ``.bin``...) or a
``.skops`` archive was not written by us, so it is refused rather than silently partly
trusted. A symbolic link inside the folder that points outside it is refused too (a
``weights.safetensors`` link to another file would make the folder read elsewhere), and
every file name read from a JSON file inside the folder goes through
:func:`confined_path`: no absolute path, no ``..``, no link out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from feedback_nlp.errors import ModelLoadError, UnsafeModelError

#: Extensions whose loaders can execute code, or that feedback-nlp never writes (.skops:
#: an archive of scikit-learn objects; our models are safetensors + JSON).
UNSAFE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".pt", ".pth", ".bin", ".ckpt", ".npy",
                   ".npz", ".dill", ".h5", ".skops")


def check_model_dir(path: str | Path, required: Iterable[str] = (), *, what: str = "model",
                    allow: Iterable[str] = ()) -> Path:
    """Return ``path`` after checking it is a complete, pickle-free model directory.

    Raises
    ------
    ModelLoadError
        The folder or a required file is missing (the message says what to pass).
    UnsafeModelError
        A file that could execute code when loaded (or that feedback-nlp never writes) is
        present, or a symbolic link inside the folder points outside it.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ModelLoadError(
            f"{what} directory {folder} does not exist.",
            fix="pass the folder written by the training command (it holds meta.json).",
        )
    allowed = set(allow)
    unsafe = sorted(p.name for p in folder.iterdir()
                    if p.suffix.lower() in UNSAFE_SUFFIXES and p.name not in allowed)
    if unsafe:
        raise UnsafeModelError(
            f"{what} directory {folder} holds {', '.join(unsafe)}: pickle-family files can run "
            "code when loaded and are refused.",
            fix="use a model saved by feedback-nlp (safetensors + JSON), or delete those files "
            "if you trust their origin and do not need them.",
        )
    check_no_links_out(folder, what=what)
    missing = [name for name in required if not (folder / name).exists()]
    if missing:
        raise ModelLoadError(
            f"{what} directory {folder} is incomplete: missing {', '.join(missing)}.",
            fix="rebuild it with the documented training command.",
        )
    return folder


def check_no_links_out(folder: str | Path, *, what: str = "model") -> None:
    """Refuse a symbolic link anywhere under ``folder`` whose target is outside it."""
    root = Path(folder).resolve()
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            entry = Path(base) / name
            if entry.is_symlink() and not _inside(entry.resolve(), root):
                raise UnsafeModelError(
                    f"{what} directory {folder} holds a link {entry.relative_to(folder)} that "
                    "points outside the folder: refused.",
                    fix="copy the real file into the folder instead of linking it.",
                )


def confined_path(folder: str | Path, name: object, *, what: str = "model",
                  key: str = "file name") -> Path:
    """``folder / name`` for a ``name`` read from a JSON file inside ``folder``.

    ``name`` must be a relative path string that stays inside ``folder`` once links are
    resolved: no absolute path, no ``..``, no link out (``[E302]`` otherwise).
    """
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise UnsafeModelError(f"{what} directory {folder}: {key} {name!r} is not a file name.",
                               fix="restore the JSON file written by feedback-nlp.")
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts or candidate.drive:
        raise UnsafeModelError(
            f"{what} directory {folder}: {key} {name!r} leaves the folder (absolute path or "
            "'..'): refused.",
            fix="file names in a saved folder are relative to it; restore the JSON file "
            "written by feedback-nlp.",
        )
    root = Path(folder).resolve()
    target = (Path(folder) / candidate).resolve()
    if not _inside(target, root):
        raise UnsafeModelError(
            f"{what} directory {folder}: {key} {name!r} resolves outside the folder "
            "(symbolic link): refused.",
            fix="copy the real file into the folder instead of linking it.",
        )
    return Path(folder) / candidate


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
