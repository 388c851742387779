"""Model directories are checked before anything in them is read.

Our models are safetensors + JSON (weights cannot run code when loaded). A directory
that also holds a pickle-family file (``.pkl``, ``.joblib``, ``.pt``, ``.bin``...) was
not written by us, so it is refused rather than silently partly trusted; a ``.skops``
file is accepted only when every type it references is in an explicit trusted list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from feedback_nlp.errors import ModelLoadError, UnsafeModelError

#: Extensions whose loaders can execute code.
UNSAFE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".pt", ".pth", ".bin", ".ckpt", ".npy",
                   ".npz", ".dill", ".h5")

#: Types a .skops file may reference (scikit-learn building blocks and numpy/scipy data).
TRUSTED_SKOPS_TYPES = (
    "numpy.dtype",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
)


def check_model_dir(path: str | Path, required: Iterable[str] = (), *, what: str = "model",
                    allow: Iterable[str] = ()) -> Path:
    """Return ``path`` after checking it is a complete, pickle-free model directory.

    Raises
    ------
    ModelLoadError
        The folder or a required file is missing (the message says what to pass).
    UnsafeModelError
        A file that could execute code when loaded is present, or a .skops file
        references an untrusted type.
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
    for skops_file in folder.glob("*.skops"):
        check_skops(skops_file)
    missing = [name for name in required if not (folder / name).exists()]
    if missing:
        raise ModelLoadError(
            f"{what} directory {folder} is incomplete: missing {', '.join(missing)}.",
            fix="rebuild it with the documented training command.",
        )
    return folder


def check_skops(path: str | Path, trusted: Iterable[str] = TRUSTED_SKOPS_TYPES) -> list[str]:
    """Return the types of a .skops file, refusing any outside ``trusted``."""
    from skops.io import get_untrusted_types

    try:
        found = list(get_untrusted_types(file=str(path)))
    except Exception as exc:  # a corrupt archive raises zipfile / json / key errors
        raise UnsafeModelError(f"{path} is not a readable .skops file ({exc}).") from None
    untrusted = sorted(set(found) - set(trusted))
    if untrusted:
        raise UnsafeModelError(
            f"{path} references untrusted types: {', '.join(untrusted)}.",
            fix="only load .skops files whose types you have reviewed.",
        )
    return found
