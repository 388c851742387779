"""Shared fixtures. Area-specific fixtures live in their own test modules."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    """The bundled real sample (3,000 insurance reviews from 2021, star ratings)."""
    return ROOT / "data" / "avis_assurance_2021.csv"


@pytest.fixture(scope="session")
def showroom_csv() -> Path:
    """The bundled real Showroomprivé sample (812 Trustpilot reviews, MIT)."""
    return ROOT / "data" / "avis_showroomprive.csv"


class _Exploit:
    """Unpickling this object would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def plant_pickle(tmp_path: Path) -> Callable[..., Path]:
    """``plant(folder, name="model.pkl")`` writes a malicious pickle into ``folder``.

    Returns the marker file that unpickling would create: tests assert it never exists.
    """

    def plant(folder: Path, name: str = "model.pkl") -> Path:
        marker = tmp_path / f"pwned-{name}"
        (folder / name).write_bytes(pickle.dumps(_Exploit(marker)))
        return marker

    return plant
