"""HTML report and Excel workbook (issue 7 fills this package)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def to_html(analysis: Any, path: Any, lang: str = "fr") -> Path:
    raise NotImplementedError("HTML report lands with issue 7")


def to_excel(analysis: Any, path: Any, lang: str = "fr") -> Path:
    raise NotImplementedError("Excel export lands with issue 7")
