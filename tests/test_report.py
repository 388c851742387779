"""HTML report (rendered in headless Chromium) and Excel workbook.

Two analyses are used: the real bundled sample run through the whole pipeline, and a
small hand-built one (texts written for the test, labelled as such) carrying
formula-injection and HTML payloads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback_nlp import AnalysisConfig, FeedbackAnalysis, analyze
from feedback_nlp.report import render_html, to_excel, to_html

PAYLOADS = [
    '=HYPERLINK("http://example.invalid","clic") livraison en retard',
    "@SUM(A1:A2) colis perdu et SAV injoignable",
    "+cmd|' /C calc'!A0 remboursement jamais reçu",
    "-2+3 service client nul",
    "<script>alert('x')</script> prix trop cher",
]
SECTIONS = ["synthese", "nps", "priorites", "themes", "themes-nps", "tendances", "segments", "methode"]


@pytest.fixture(scope="module")
def real_result(sample_csv: Path) -> FeedbackAnalysis:
    """The whole pipeline on 600 real reviews of the bundled sample."""
    return analyze(sample_csv, text="avis", score="note", date="date", segment="produit",
                   score_scale="stars", sample=600)


@pytest.fixture(scope="module")
def hostile_result() -> FeedbackAnalysis:
    """Hand-written texts (test fixture, not real reviews) with injection payloads."""
    from feedback_nlp import drivers

    texts = PAYLOADS * 12
    frame = pd.DataFrame({
        "avis": texts,
        "nps": [(i * 7) % 11 for i in range(len(texts))],
        "date": pd.date_range("2024-01-01", periods=len(texts), freq="3D").strftime("%Y-%m-%d"),
        "canal": ["web", "magasin", "téléphone"] * (len(texts) // 3),
    })
    config = AnalysisConfig(sentiment=False).replace(themes={"enabled": False},
                                                    drivers={"min_support": 5})
    result = analyze(frame, "avis", "nps", date="date", channel="canal", config=config)
    segments = result.segments.copy()
    theme_of = {p: i % 3 for i, p in enumerate(PAYLOADS)}
    labels = ["=Livraison — retards", "Service client — <b>attente</b>", "Prix — @frais"]
    original = result.documents.set_index("row_id")["clean_text"]
    ids = [next((t for p, t in theme_of.items() if original[r][:12] in p or p[:12] in original[r]), 0)
           for r in segments["row_id"]]
    segments["theme_id"] = ids
    segments["theme_label"] = [labels[i] for i in ids]
    segments["sentiment"] = np.where(segments["row_id"] % 2 == 0, "negative", "positive")
    result.segments = segments
    docs = result.documents
    by_row = segments.groupby("row_id")["theme_id"].agg(lambda s: sorted(set(s)))
    docs["theme_ids"] = [by_row.get(r, []) for r in docs["row_id"]]
    docs["theme_labels"] = [[labels[i] for i in v] for v in docs["theme_ids"]]
    counts = segments.groupby("theme_id")["row_id"].nunique()
    result.themes = pd.DataFrame({
        "theme_id": [0, 1, 2], "label": labels, "family": ["Livraison", "Service client", "Prix"],
        "keywords": ["=cmd, retard", "attente, <i>sav</i>", "@prix, frais"],
        "n_segments": [int(counts.get(i, 0)) for i in range(3)],
        "n_documents": [int(counts.get(i, 0)) for i in range(3)],
        "share": [counts.get(i, 0) / len(docs) for i in range(3)],
        "negative_share": [0.5, 0.5, 0.5], "neutral_share": [0.0] * 3, "positive_share": [0.5] * 3,
        "net_sentiment": [0.0] * 3,
        "examples": [[PAYLOADS[0], PAYLOADS[4]], [PAYLOADS[1]], [PAYLOADS[2], PAYLOADS[3]]],
    })
    return drivers.annotate(result, config)


def test_html_escapes_user_text(hostile_result: FeedbackAnalysis) -> None:
    page = render_html(hostile_result)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "<b>attente</b>" not in page
    for sid in SECTIONS:
        assert f'id="{sid}"' in page, sid


def test_english_catalogue(hostile_result: FeedbackAnalysis) -> None:
    page = render_html(hostile_result, lang="en")
    assert "Priority matrix" in page and 'lang="en"' in page
    assert "Matrice de priorité" not in page


def test_report_without_optional_tables(sample_csv: Path) -> None:
    minimal = analyze(sample_csv, text="avis", sample=50, sentiment=False, themes={"enabled": False})
    page = render_html(minimal)
    assert 'id="synthese"' in page and 'id="methode"' in page
    assert 'id="priorites"' not in page and 'id="tendances"' not in page


def test_excel_workbook(hostile_result: FeedbackAnalysis, tmp_path: Path) -> None:
    import openpyxl

    path = to_excel(hostile_result, tmp_path / "analyse.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Synthèse", "Priorités", "Thèmes", "Thèmes × NPS", "Tendances", "Verbatims"]
    priorities = book["Priorités"]
    assert priorities.freeze_panes == "A2"
    assert priorities.auto_filter.ref
    assert len(priorities._charts) == 1
    share_cell = next(c for c in priorities[2] if c.column_letter == "E")
    assert share_cell.number_format == "0.0%"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    sheet = book["Verbatims"]
    column = next(c.column_letter for c in sheet[1] if c.value == "Verbatim (masqué)")
    verbatims = [c.value for c in sheet[column][1:]]
    assert "'=HYPERLINK" in " ".join(v for v in verbatims if v)
    assert "'@SUM" in " ".join(v for v in verbatims if v)
    labels = [c.value for c in priorities["B"][1:]]
    assert "'=Livraison — retards" in labels


def test_excel_english_sheets(hostile_result: FeedbackAnalysis, tmp_path: Path) -> None:
    import openpyxl

    path = to_excel(hostile_result, tmp_path / "analysis.xlsx", lang="en")
    assert openpyxl.load_workbook(path).sheetnames[:2] == ["Overview", "Priorities"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.slow
def test_report_in_headless_chromium(real_result: FeedbackAnalysis, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs the Debian package)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    report = to_html(real_result, tmp_path / "report.html")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=15000", "--window-size=1366,3000"]
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    status = re.search(r'<div id="fnlp-status"[^>]*>', dom.stdout)
    assert status, "report runner did not leave its status"
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', status.group(0)))
    assert attributes["errors"] == "", attributes["errors"]
    assert int(attributes["charts-expected"]) >= 4
    assert attributes["charts-rendered"] == attributes["charts-expected"]
    for sid in SECTIONS:
        assert f'id="{sid}"' in dom.stdout, sid
    for chart in ("chart-nps", "chart-priorities", "chart-theme-nps", "chart-trends"):
        rendered = re.search(rf'id="{chart}"[^>]*data-rendered="(\d+)"', dom.stdout)
        assert rendered and int(rendered.group(1)) > 0, chart
    assert "Uncaught" not in dom.stderr
    shot = tmp_path / "report.png"
    subprocess.run(flags + [f"--screenshot={shot}", report.as_uri()], capture_output=True,
                   timeout=180, check=True)
    assert shot.exists() and shot.stat().st_size > 50_000


def test_report_header_names_the_source_plainly() -> None:
    from feedback_nlp.report.html import _source_label

    assert _source_label("file data/avis.csv", "fr") == "data/avis.csv"
    assert _source_label("sheet 'Réponses' of export.xlsx", "fr") == "export.xlsx, feuille 'Réponses'"
    assert _source_label("sheet 'R' of e.xlsx", "en") == "e.xlsx, sheet 'R'"
    assert _source_label("the DataFrame", "fr") == "un DataFrame pandas"
    assert _source_label("Dask DataFrame", "en") == "Dask DataFrame"


def test_excel_splits_tables_past_the_sheet_row_limit(hostile_result: FeedbackAnalysis,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: past 1,048,576 rows xlsxwriter dropped rows silently (return code ignored).
    The limit is lowered here so that the 60-row table needs three sheets."""
    import openpyxl

    from feedback_nlp.errors import FeedbackWarning
    from feedback_nlp.report import excel

    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 26)  # 25 data rows + header per sheet
    docs = hostile_result.documents
    assert len(docs) == 60
    with pytest.warns(FeedbackWarning, match="Verbatims"):
        path = to_excel(hostile_result, tmp_path / "analyse.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[-3:] == ["Verbatims", "Verbatims (2)", "Verbatims (3)"]
    ids = [row[0] for name in book.sheetnames[-3:]
           for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert ids == docs["row_id"].tolist()  # every row, once, in order
    overview = " ".join(str(c.value) for c in book["Synthèse"]["A"] if c.value)
    assert "60 lignes" in overview and "3 feuilles" in overview
    assert any("Verbatims" in note for note in hostile_result.info["excel_notes"])


def test_excel_split_note_is_in_summary_json_too(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the sheet-split note was only inside the workbook; summary.json (written
    before the workbook) now holds it too, from `analyze` and from `report RESULT_DIR`."""
    import json
    import warnings

    from feedback_nlp.cli import main
    from feedback_nlp.report import excel

    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 26)  # the 60-row file needs three sheets
    out = tmp_path / "out"
    hostile = Path(__file__).parent / "data" / "hostile" / "scale_out_hostile.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(hostile), "--text", "commentaire", "--no-sentiment",
                     "--no-themes", "-q", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["excel_notes"]) == 1
    assert "Verbatims" in summary["excel_notes"][0] and "3 feuilles" in summary["excel_notes"][0]
    del summary["excel_notes"]
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(out), "--lang", "en"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "3 sheets" in summary["excel_notes"][0]
    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 1_048_576)
    assert main(["analyze", str(hostile), "--text", "commentaire", "--no-sentiment",
                 "--no-themes", "-q", "-o", str(tmp_path / "small")]) == 0
    assert "excel_notes" not in json.loads((tmp_path / "small" / "summary.json").read_text(
        encoding="utf-8"))


def test_excel_refused_cell_is_an_error_not_a_silent_drop(tmp_path: Path) -> None:
    import xlsxwriter

    from feedback_nlp.errors import OutputError
    from feedback_nlp.report.excel import _checked

    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = book.add_worksheet("S")
    code = sheet.write_number(2_000_000, 0, 1)
    assert code == -1
    with pytest.raises(OutputError, match="refused cell"):
        _checked(code, sheet, 2_000_000, 0)
    book.close()
