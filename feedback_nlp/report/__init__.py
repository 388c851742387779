"""What the analyst sees: a self-contained HTML report and an Excel workbook.

>>> from feedback_nlp.report import to_html, to_excel
>>> to_html(result, "resultats/report.html")      # doctest: +SKIP
>>> to_excel(result, "resultats/analyse.xlsx")    # doctest: +SKIP

Both only lay out the tables of a :class:`~feedback_nlp.pipeline.FeedbackAnalysis`;
each section appears when its table exists.
"""

from __future__ import annotations

from feedback_nlp.report.excel import to_excel
from feedback_nlp.report.html import render_html, to_html

__all__ = ["render_html", "to_excel", "to_html"]
