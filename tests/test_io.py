"""Reading exports: formats, encodings, delimiters, column mapping, errors.

The small tables written here are hand-made fixtures, not real reviews.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feedback_nlp import io as fio
from feedback_nlp.errors import (
    ColumnNotFoundError,
    EmptyInputError,
    FeedbackError,
    InputFileError,
    OutputError,
)

ROWS = [
    ("Livraison rapide, très bien", "9", "2024-01-05"),
    ("Colis abîmé; SAV injoignable", "2", "2024-01-06"),
    ("Pas mal du tout", "8", "2024-02-01"),
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["Commentaire", "NPS", "Date"])


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_csv_delimiters_sniffed(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "export.csv"
    _frame().to_csv(path, sep=sep, index=False)
    out = fio.read_feedback(path, text="Commentaire", score="NPS", date="Date")
    assert out["text"].tolist() == [r[0] for r in ROWS]
    assert out["row_id"].tolist() == [0, 1, 2]
    assert out.attrs["delimiter"] == sep


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_csv_encodings_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "export.csv"
    _frame().to_csv(path, sep=";", index=False, encoding=encoding)
    out = fio.read_feedback(path, text="Commentaire", score="NPS")
    assert out["text"].tolist()[1] == "Colis abîmé; SAV injoignable"
    assert list(out.columns) == ["row_id", "text", "score"]


def test_mixed_encodings_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"avis;note\n"
        + "Très bien;9\n".encode()
        + "Déçu du délai;3\n".encode("cp1252")
    )
    out = fio.read_feedback(path, text="avis", score="note")
    assert out["text"].tolist() == ["Très bien", "Déçu du délai"]


def test_quoted_fields_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('avis;note\n"Bien; vraiment\nsur deux lignes";9\n"Il a dit ""bof""";5\n',
                    encoding="utf-8")
    out = fio.read_feedback(path, text="avis", score="note")
    assert out["text"].tolist() == ["Bien; vraiment\nsur deux lignes", 'Il a dit "bof"']


def test_values_kept_as_text_never_dropped(tmp_path: Path) -> None:
    path = tmp_path / "na.csv"
    path.write_text("avis;note\nN/A;NA\n;\nnan;9\n", encoding="utf-8")
    out = fio.read_feedback(path, text="avis", score="note")
    assert out["text"].tolist() == ["N/A", "", "nan"]
    assert out["score"].tolist() == ["NA", "", "9"]


def test_missing_column_suggests_close_match(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(ColumnNotFoundError) as info:
        fio.read_feedback(path, text="commentaire")
    message = str(info.value)
    assert "'commentaire'" in message and str(path) in message
    assert "--text 'Commentaire'" in message
    assert "'NPS'" in message  # lists the columns that exist
    assert "\n" not in message


def test_text_column_guessed_when_omitted() -> None:
    out = fio.read_feedback(_frame())
    assert out["text"].tolist()[0] == ROWS[0][0]
    with pytest.raises(ColumnNotFoundError, match="--text"):
        fio.read_feedback(pd.DataFrame({"x": [1]}))


def test_dataframe_input_not_modified() -> None:
    frame = _frame()
    before = frame.copy()
    fio.read_feedback(frame, text="Commentaire", score="NPS", keep=["Date"])
    pd.testing.assert_frame_equal(frame, before)


def test_keep_and_roles() -> None:
    frame = _frame().assign(canal=["web", "magasin", "web"])
    out = fio.read_feedback(frame, text="Commentaire", score="NPS", channel="canal", keep=["Date"])
    assert list(out.columns) == ["row_id", "text", "score", "channel", "Date"]


def test_excel_sheet_choice_and_empty_first_sheet(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Vide", index=False)
        _frame().to_excel(writer, sheet_name="Réponses", index=False)
    out = fio.read_feedback(path, text="Commentaire", score="NPS")
    assert out["score"].tolist() == ["9", "2", "8"]
    assert "Réponses" in out.attrs["source"]
    out = fio.read_feedback(path, text="Commentaire", sheet="Réponses")
    assert len(out) == 3
    with pytest.raises(InputFileError, match="Vide, Réponses"):
        fio.read_feedback(path, text="Commentaire", sheet="Feuil9")


def test_excel_title_row_above_header(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "title.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Enquête satisfaction T1"
    sheet.merge_cells("A1:C1")
    sheet.append(["Commentaire", "NPS", "Date"])
    for row in ROWS:
        sheet.append([row[0], int(row[1]), row[2]])
    book.save(path)
    out = fio.read_feedback(path, text="Commentaire", score="NPS")
    assert out["text"].tolist() == [r[0] for r in ROWS]


def test_parquet_and_jsonl(tmp_path: Path) -> None:
    frame = _frame().assign(NPS=[9, 2, 8])
    frame.to_parquet(tmp_path / "e.parquet")
    frame.to_json(tmp_path / "e.jsonl", orient="records", lines=True, force_ascii=False)
    for name in ("e.parquet", "e.jsonl"):
        out = fio.read_feedback(tmp_path / name, text="Commentaire", score="NPS")
        assert out["score"].tolist() == ["9", "2", "8"]
        assert out["text"].tolist()[1] == ROWS[1][0]


def test_chunked_reading_continues_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    pd.DataFrame({"avis": [f"avis {i}" for i in range(25)]}).to_csv(path, index=False)
    chunks = list(fio.read_feedback(path, text="avis", chunksize=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert pd.concat(chunks)["row_id"].tolist() == list(range(25))


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyInputError),
        (b"\n\n", EmptyInputError),
    ],
)
def test_empty_files(tmp_path: Path, content: bytes, error: type[FeedbackError]) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(error, match=str(path).replace("\\", "\\\\")):
        fio.read_feedback(path, text="avis")


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        fio.read_feedback(tmp_path / "nope.csv", text="avis")
    with pytest.raises(InputFileError, match="folder"):
        fio.read_feedback(tmp_path, text="avis")


def test_corrupt_xlsx_and_parquet(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(InputFileError, match="Excel"):
        fio.read_feedback(tmp_path / "bad.xlsx", text="avis")
    with pytest.raises(InputFileError, match="Parquet"):
        fio.read_feedback(tmp_path / "bad.parquet", text="avis")


def test_parse_dates_iso_and_french() -> None:
    parsed = fio.parse_dates(pd.Series(["2024-03-05", "05/03/2024", "", "bientôt", None]))
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:2] == ["2024-03-05", "2024-03-05"]
    assert parsed.isna().tolist() == [False, False, True, True, True]


@pytest.mark.parametrize(
    "payload",
    ['=HYPERLINK("http://x","clic")', "@SUM(A1:A2)", "+cmd|' /C calc'!A0", "-2+3", "\tx", "\rx"],
)
def test_neutralize_formula(payload: str) -> None:
    assert fio.neutralize_formula(payload) == "'" + payload
    assert fio.neutralize_formula("Très bien") == "Très bien"
    assert fio.neutralize_formula(-3) == -3


def test_write_csv_neutralises(tmp_path: Path) -> None:
    path = fio.write_csv(pd.DataFrame({"avis": ["=1+1", "ok"]}), tmp_path / "out.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "'=1+1" in text


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot be written"):
        fio.ensure_output_dir(blocker / "sub")


HOSTILE = Path(__file__).parent / "data" / "hostile"
#: CSV exports the one-machine reader reads (issue 18: each engine must read them alike).
READABLE_CSV = ["scale_out_hostile.csv", "mixed_encodings.csv", "newlines_in_cells.csv",
                "semicolon_in_quotes.csv", "bom.csv", "utf16.csv", "title_lines.csv",
                "gzip_named.csv", "one_mb_cell.csv"]


@pytest.mark.parametrize("name", READABLE_CSV)
@pytest.mark.parametrize("blocksize", [1, 150, 10**9])
def test_csv_parts_read_the_rows_the_whole_file_gives(name: str, blocksize: int) -> None:
    """Parts cut on record boundaries (never inside a quoted multi-line comment), each read
    with the one-machine options (cp1252 fallback, title lines, BOM, gzip, UTF-16)."""
    path = HOSTILE / name
    whole = fio.read_any(path)
    parts = fio.csv_parts(path, blocksize=blocksize)
    frames = [fio.read_csv_part(part) for part in parts]
    together = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(together, whole)
    if name == "scale_out_hostile.csv" and blocksize == 150:
        assert len(parts) > 10 and all(len(f) for f in frames)


def test_csv_parts_of_a_file_without_rows_and_with_old_mac_line_ends(tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("avis;note\n", encoding="utf-8")
    (part,) = fio.csv_parts(header_only)
    assert list(fio.read_csv_part(part).columns) == ["avis", "note"]
    old_mac = tmp_path / "mac.csv"  # "\r" line ends: one part, read like the whole file
    old_mac.write_bytes(b'avis;note\r"Bien\ncoupe";9\rBof;3\r')
    parts = fio.csv_parts(old_mac, blocksize=1)
    together = pd.concat([fio.read_csv_part(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(together, fio.read_any(old_mac))
