"""Keep optional heavy libraries out of imports that do not need them (issue 18).

``import bertopic`` pulls torch and transformers (its optional text-generation and
sentence-transformers backends) although a theme fit with the shipped LSA embedding uses
neither. :func:`without` blocks such top-level packages while a ``with`` block imports:
the importing library then takes its own "not installed" branch. Packages already
imported are never blocked, and nothing stays blocked after the block.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: What bertopic imports only for features feedback-nlp does not use with its own embeddings.
TORCH_STACK = ("torch", "transformers", "sentence_transformers", "tensorflow", "keras")


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not needed here)",
                                      name=fullname)
        return None


@contextmanager
def without(names: Sequence[str] = TORCH_STACK) -> Iterator[None]:
    """Block the top-level packages ``names`` that are not imported yet, for the block."""
    todo = [n for n in names if n not in sys.modules]
    if not todo:
        yield
        return
    blocker = _Blocker(todo)
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)
