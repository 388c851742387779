"""French theme modelling with BERTopic (issue 5 fills this package).

Until the theme model lands, ``annotate`` leaves the analysis unchanged.
"""

from __future__ import annotations

from typing import Any


def annotate(analysis: Any, config: Any, progress: Any = None) -> Any:
    """Fill ``analysis.themes`` and theme columns (placeholder: unchanged)."""
    return analysis
