"""The hostile-input suite: one test per file of tests/data/hostile/ (see make_hostile.py).

Each file gets either a clear one-line error (typed exception from the API, non-zero
exit and no traceback from the CLI) or per-row statuses — never a silent drop.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedback_nlp
from feedback_nlp import analyze
from feedback_nlp.cli import main
from feedback_nlp.config import AnalysisConfig
from feedback_nlp.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    FeedbackError,
    InputFileError,
)
from feedback_nlp.pipeline import STATUSES

HERE = Path(__file__).parent / "data"
COLUMNS = {"text": "commentaire", "score": "nps", "date": "date", "id": "id"}
FAST = {"sentiment": False, "themes": {"enabled": False}}


def _load_builder():  # the generator is a script, not a package module
    spec = importlib.util.spec_from_file_location("make_hostile", HERE / "make_hostile.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Regenerate the corpus (so the committed files cannot drift from the script)."""
    out = tmp_path_factory.mktemp("hostile")
    _load_builder().build(out)
    committed = sorted(p.name for p in (HERE / "hostile").iterdir())
    assert committed == sorted(p.name for p in out.iterdir()), "run tests/data/make_hostile.py"
    return out


# (file, expected error type, words the message must contain)
ERRORS = [
    ("empty.csv", EmptyInputError, ["empty.csv", "0 bytes", "Fix:"]),
    ("header_only.csv", EmptyInputError, ["header_only.csv", "no data rows"]),
    ("missing_text_column.csv", ColumnNotFoundError, ["'commentaire'", "'id', 'nps', 'date'", "--text"]),
    ("truncated.parquet", InputFileError, ["truncated.parquet", "Parquet", "Fix:"]),
    ("truncated.xlsx", InputFileError, ["truncated.xlsx", "Excel", "Fix:"]),
    ("binary_garbage.csv", InputFileError, ["binary_garbage.csv", "Fix:"]),
    ("ragged_rows.csv", InputFileError, ["ragged_rows.csv", "line 2", "6 fields", "header has 4"]),
    ("does_not_exist.csv", InputFileError, ["does_not_exist.csv", "does not exist"]),
    ("stars_on_nps.csv", ConfigError, ["star ratings", "NPS 0-10", "--score-scale stars"]),
    ("wide_header.csv", InputFileError, ["wide_header.csv", "100,000", "columns"]),
    ("zip_named.csv", InputFileError, ["zip_named.csv", "ZIP archive", "export.csv"]),
]


@pytest.mark.parametrize(("name", "error", "words"), ERRORS)
def test_api_raises_typed_error(hostile: Path, name: str, error: type[FeedbackError],
                                words: list[str]) -> None:
    with pytest.raises(error) as info:
        analyze(hostile / name, **COLUMNS, **FAST)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(("name", "error", "words"), ERRORS)
def test_cli_one_line_error(hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            name: str, error: type[FeedbackError], words: list[str]) -> None:
    code = main(["analyze", str(hostile / name), "--text", "commentaire", "--score", "nps",
                 "--date", "date", "--id", "id", "-o", str(tmp_path / "out"), "-q",
                 "--no-report", "--no-sentiment", "--no-themes"])
    captured = capsys.readouterr()
    assert code != 0
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("feedback-nlp: erreur: [E")
    assert "Traceback" not in captured.err + captured.out


def _docs(hostile: Path, name: str, **extra: object) -> pd.DataFrame:
    result = analyze(hostile / name, **COLUMNS, **FAST, **extra)  # type: ignore[arg-type]
    docs = result.documents
    assert docs["row_id"].tolist() == list(range(len(docs)))
    assert set(docs["status"]) <= set(STATUSES)
    return docs


def test_text_all_empty(hostile: Path) -> None:
    docs = _docs(hostile, "text_all_empty.csv")
    assert docs["status"].tolist() == ["empty"] * 3
    assert docs["score"].tolist() == [9.0, 7.0, 3.0]  # scores still count for NPS


def test_mixed_encodings(hostile: Path) -> None:
    docs = _docs(hostile, "mixed_encodings.csv")
    assert docs["clean_text"].tolist() == ["Très satisfait", "Déçu du délai de livraison"]


@pytest.mark.parametrize("name", ["utf16.csv", "bom.csv", "empty_first_sheet.xlsx",
                                  "merged_header.xlsx", "gzip_named.csv", "xlsx_named.csv",
                                  "bom.jsonl", "hidden_first_sheet.xlsx",
                                  "blank_cell_first_sheet.xlsx", "title_lines.csv"])
def test_readable_variants(hostile: Path, name: str) -> None:
    docs = _docs(hostile, name)
    assert docs["clean_text"].tolist() == [
        "Livraison rapide, très bien", "Colis abîmé et SAV injoignable",
        "Pas mal du tout, je recommande",
    ]
    assert docs["score"].tolist() == [9.0, 2.0, 10.0]


def test_semicolon_and_newlines_in_quoted_cells(hostile: Path) -> None:
    assert _docs(hostile, "semicolon_in_quotes.csv")["clean_text"].iloc[0] == "Bien; vraiment bien; merci"
    assert _docs(hostile, "newlines_in_cells.csv")["clean_text"].iloc[0] == (
        "Première ligne seconde ligne troisième"
    )


def test_one_mb_cell_is_truncated_for_nlp_but_kept(hostile: Path) -> None:
    docs = _docs(hostile, "one_mb_cell.csv", max_text_chars=5000)
    first = docs.iloc[0]
    assert bool(first["truncated"]) and len(first["clean_text"]) <= 5000
    assert len(first["text"]) > 1_000_000
    assert "tronqué" in first["status_detail"]
    assert first["status"] == "ok"


def test_nul_and_control_characters(hostile: Path) -> None:
    assert _docs(hostile, "nul_control.csv")["clean_text"].iloc[0] == "Livraison rapide et soignée"


def test_rtl_and_zero_width(hostile: Path) -> None:
    docs = _docs(hostile, "rtl_zero_width.csv")
    assert docs["clean_text"].iloc[0] == "Très bien service rapide"
    assert docs["status"].iloc[1] == "empty"


def test_emoji_only(hostile: Path) -> None:
    docs = _docs(hostile, "emoji_only.csv")
    assert docs["status"].tolist()[:2] == ["noise", "noise"]
    assert "emoji_only" in docs["status_detail"].iloc[0]


def test_not_french(hostile: Path) -> None:
    docs = _docs(hostile, "not_french.csv")
    assert docs["status"].tolist() == ["not_french", "not_french", "ok"]


def test_other_languages_are_flagged_and_kept_out_of_sentiment(hostile: Path) -> None:
    result = analyze(hostile / "other_languages.csv", **COLUMNS, sentiment=True,
                     themes={"enabled": False})
    docs = result.documents
    assert docs["status"].tolist() == ["not_french"] * 6 + ["ok"] * 4
    details = docs["status_detail"].tolist()
    for idx, code in enumerate(["pt", "pt", "ar", "zh", "es", "de"]):
        assert f"'{code}'" in details[idx], details[idx]
    sentiment = [c for c in docs.columns if c.startswith("sentiment")]
    assert sentiment, docs.columns
    assert docs.loc[:5, sentiment[0]].isna().all()  # not analysed, not "positive"
    assert docs.loc[6:, sentiment[0]].notna().all()
    assert len(docs) == 10  # kept, flagged


def test_stars_on_nps_read_with_the_stars_scale(hostile: Path) -> None:
    docs = _docs(hostile, "stars_on_nps.csv", score_scale="stars")
    assert docs["score"].tolist() == [4.0, 3.0, 5.0]
    assert docs["nps_class"].tolist() == ["passive", "detractor", "promoter"]


def test_long_tokens_are_noise_not_an_internal_error(hostile: Path) -> None:
    result = analyze(hostile / "long_tokens.csv", **COLUMNS, sentiment=False)  # themes on
    docs = result.documents
    assert docs["status"].tolist() == ["noise"] * 4 + ["ok"]
    assert all("no_words" in d for d in docs["status_detail"].tolist()[:4])


def test_repetitive_corpus_says_why_there_are_no_themes(hostile: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """400 copies of one text (stop words only): before, an internal error ("empty
    vocabulary"); 5,000 copies of a text gave every theme "Autre" without a word."""
    out = tmp_path / "out"
    code = main(["analyze", str(hostile / "repetitive.csv"), "--text", "commentaire", "--score",
                 "nps", "--no-sentiment", "-q", "-o", str(out)])  # themes on
    printed = capsys.readouterr().out
    assert code == 0
    assert "Corpus trop répétitif" in printed and "sur 400 opinions" in printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    note = summary["themes_note"]
    assert note["code"] == "repetitive_corpus" and note["distinct_opinions"] <= 1
    assert note["opinions"] == 400 and "trop répétitif" in note["message"]
    assert summary["rows_by_status"] == {"ok": 400}  # every row kept with its status
    assert "Corpus trop répétitif" in (out / "report.html").read_text(encoding="utf-8")
    documents = pd.read_parquet(out / "documents.parquet")
    assert documents["row_id"].tolist() == list(range(400))
    from feedback_nlp.report import to_html

    english = to_html(feedback_nlp.FeedbackAnalysis.load(out), tmp_path / "en.html", lang="en")
    assert "Corpus too repetitive to form themes" in english.read_text(encoding="utf-8")
    from feedback_nlp.streaming import analyze_stream

    streamed = analyze_stream(hostile / "repetitive.csv", tmp_path / "stream", chunksize=150,
                              text="commentaire", config=AnalysisConfig(sentiment=False))
    assert streamed.info["themes_note"]["code"] == "repetitive_corpus"
    varied = analyze(hostile / "other_languages.csv", **COLUMNS, sentiment=False)
    assert "themes_note" not in varied.info  # a small varied file: no note


def test_dates_in_words_and_month_first_notes(hostile: Path) -> None:
    docs = _docs(hostile, "dates_in_words.csv")
    assert docs["date"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-12-31"),
                                     pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-05")]
    assert "mois/jour" in docs["status_detail"].iloc[1]
    assert "mois seul" in docs["status_detail"].iloc[2]
    assert docs["status"].tolist() == ["ok"] * 4


def test_wide_header_is_refused_quickly(hostile: Path) -> None:
    import time

    start = time.perf_counter()
    with pytest.raises(InputFileError, match="columns"):
        analyze(hostile / "wide_header.csv", **COLUMNS, **FAST)
    assert time.perf_counter() - start < 30  # before: past 2 minutes


def test_case_clash_in_guessed_text_column_is_refused(hostile: Path) -> None:
    with pytest.raises(ColumnNotFoundError, match="'Commentaire'.*'commentaire'.*--text"):
        analyze(hostile / "case_clash.csv", score="nps", **FAST)


@pytest.mark.parametrize("columns", [["avis", "avis", "note"], [0, "0", "note"]])
def test_duplicate_column_names_are_refused(columns: list[object]) -> None:
    frame = pd.DataFrame([["Livraison rapide", "", 9]], columns=columns)
    text = str(columns[0])
    with pytest.raises(ColumnNotFoundError, match="2 columns"):
        analyze(frame, text, "note", **FAST)


def test_saved_analysis_table_names_are_confined(tmp_path: Path) -> None:
    import json

    from feedback_nlp import FeedbackAnalysis
    from feedback_nlp.errors import UnsafeModelError

    frame = pd.DataFrame({"avis": ["Livraison rapide", "Colis abîmé"], "note": [9, 2]})
    analyze(frame, "avis", "note", **FAST).save(tmp_path / "out")
    outside = tmp_path / "outside"
    outside.mkdir()
    pd.DataFrame({"x": [1]}).to_parquet(outside / "loot.parquet")
    summary = tmp_path / "out" / "summary.json"
    info = json.loads(summary.read_text(encoding="utf-8"))
    info["tables"] = [*info["tables"], "../outside/loot"]
    summary.write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(UnsafeModelError, match="leaves the folder"):
        FeedbackAnalysis.load(tmp_path / "out")


def test_non_text_cells_are_flagged() -> None:
    # before: {'fr': ...}, lists and True were analysed as French text
    frame = pd.DataFrame({"avis": [{"fr": "Très bien"}, ["a", "b"], True, "Livraison rapide"],
                          "note": [9, 8, 7, 9]})
    docs = analyze(frame, "avis", "note", **FAST).documents
    assert docs["status"].tolist() == ["noise", "noise", "noise", "ok"]
    assert all("non_text" in d for d in docs["status_detail"].tolist()[:3])


def test_bad_scores(hostile: Path) -> None:
    docs = _docs(hostile, "bad_scores.csv")
    assert docs["score_status"].tolist() == [
        "ok", "ok", "ok", "out_of_range", "out_of_range", "missing", "missing", "invalid",
    ]
    assert docs["score"].tolist()[:3] == [9.0, 9.5, 9.0]
    assert docs["status"].tolist()[3:] == [
        "invalid_score", "invalid_score", "missing_score", "missing_score", "invalid_score",
    ]
    assert "'11'" in docs["status_detail"].iloc[4] and "nps" in docs["status_detail"].iloc[4]
    assert all(math.isnan(v) for v in docs["score"].tolist()[3:])


def test_duplicate_ids_are_kept_and_flagged(hostile: Path) -> None:
    docs = _docs(hostile, "duplicate_ids.csv")
    assert len(docs) == 3 and docs["row_id"].is_unique
    assert "en double" in docs["status_detail"].iloc[0]
    assert "en double" not in docs["status_detail"].iloc[2]


def test_bad_dates_are_noted(hostile: Path) -> None:
    docs = _docs(hostile, "bad_dates.csv")
    assert docs["date"].isna().tolist() == [True, True, False]
    assert "date illisible" in docs["status_detail"].iloc[0]


def test_excel_formulas(hostile: Path) -> None:
    docs = _docs(hostile, "formulas.xlsx")
    assert len(docs) == 3
    assert docs["status"].iloc[0] == "ok"


def test_parquet_wrong_types(hostile: Path) -> None:
    docs = _docs(hostile, "wrong_types.parquet")
    assert docs["text"].tolist() == ["123", "4.5", ""]
    assert docs["status"].tolist() == ["noise", "noise", "empty"]
    assert docs["score_status"].tolist() == ["ok", "ok", "ok"]


def test_formula_payloads_are_neutralised_in_csv(hostile: Path, tmp_path: Path) -> None:
    result = analyze(hostile / "formula_payloads.csv", **COLUMNS, **FAST)
    result.save(tmp_path)
    text = (tmp_path / "documents.csv").read_text(encoding="utf-8-sig")
    for payload in ("'=HYPERLINK", "'@SUM", "'+cmd", "'-2+3"):
        assert payload in text


def test_unwritable_output_folder(hostile: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code = main(["analyze", str(hostile / "bom.csv"), "--text", "commentaire", "-o",
                 str(blocker / "out"), "-q", "--no-sentiment", "--no-themes"])
    err = capsys.readouterr().err
    assert code != 0 and "[E401]" in err and "Traceback" not in err


# ------------------------------------------------------------------ row accounting

_cell = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=20),
    st.sampled_from(["", "RAS", "N/A", "😡", "Livraison trooop lente mais SAV top", "9/10", "x" * 6000]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_cell, _cell, _cell), min_size=1, max_size=25))
def test_row_accounting_invariant(rows: list[tuple[object, object, object]]) -> None:
    frame = pd.DataFrame(rows, columns=["avis", "note", "quand"])
    try:
        result = analyze(frame, "avis", "note", date="quand", **FAST)  # type: ignore[arg-type]
    except FeedbackError:
        return  # documented errors are allowed
    docs = result.documents
    assert len(docs) == len(frame)
    assert sorted(docs["row_id"]) == list(range(len(frame)))
    counts = result.info["rows_by_status"]
    assert sum(counts.values()) == len(frame)
    assert set(docs["status"]) <= set(STATUSES)
