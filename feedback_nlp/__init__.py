"""feedback_nlp: French customer verbatims to decisions, offline.

>>> import feedback_nlp
>>> result = feedback_nlp.analyze("data/avis_assurance_2021.csv", text="text", score="rating",
...                               score_scale="stars", date="date")  # doctest: +SKIP
>>> result.priorities.head()  # doctest: +SKIP

Heavy modules are imported lazily: ``import feedback_nlp`` costs milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["AnalysisConfig", "FeedbackAnalysis", "analyze", "read_feedback", "__version__"]

if TYPE_CHECKING:
    from feedback_nlp.config import AnalysisConfig
    from feedback_nlp.io import read_feedback
    from feedback_nlp.pipeline import analyze
    from feedback_nlp.result import FeedbackAnalysis

_LAZY = {
    "AnalysisConfig": "feedback_nlp.config",
    "FeedbackAnalysis": "feedback_nlp.result",
    "analyze": "feedback_nlp.pipeline",
    "read_feedback": "feedback_nlp.io",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'feedback_nlp' has no attribute {name!r}")
