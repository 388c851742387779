"""Shared fixtures. Area-specific fixtures live in their own test modules."""

from __future__ import annotations

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
