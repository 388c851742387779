"""French sentiment (issue 4 fills this package: shipped model, transformer backend).

Until the shipped model lands, ``annotate`` leaves the tables unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def annotate(documents: pd.DataFrame, segments: pd.DataFrame, config: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add sentiment columns to ``documents`` and ``segments`` (placeholder: unchanged)."""
    return documents, segments
