"""Generate the hostile-input corpus in tests/data/hostile/.

    python tests/data/make_hostile.py [OUT_DIR]

Every file is small and hand-made (not real reviews): each one reproduces one way a
survey-tool, CRM or scraper export goes wrong. tests/test_hostile.py holds the expected
behaviour of each file; the README's "Données et sécurité" table mirrors it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = "id;commentaire;nps;date\n"
GOOD = [
    "1;Livraison rapide, très bien;9;2024-01-05\n",
    "2;Colis abîmé et SAV injoignable;2;2024-01-06\n",
    "3;Pas mal du tout, je recommande;10;2024-02-01\n",
]


def _token(seed: int, size: int = 10_000) -> str:
    """A pseudo-random run of letters, no word in it (deterministic, no RNG state)."""
    return "".join("bcdfghjklmnpqrstvwxz"[(seed * 7919 + i * i * 31 + i) % 20] for i in range(size))


def _csv(rows: list[str], header: str = HEADER) -> bytes:
    return (header + "".join(rows)).encode("utf-8")


def _scale_out_hostile() -> bytes:
    """Issue 18: ``--engine dask`` read with ``dd.read_csv(blocksize=...)``: a cp1252 line in
    a UTF-8 export raised UnicodeDecodeError, a block cut inside a quoted multi-line comment
    "EOF inside string". 60 records: every 3rd in cp1252, every 4th a quoted comment over
    several lines (with ``;`` and ``""``), some CRLF line ends, a stray ``"`` mid-field."""
    out = HEADER.encode()
    for i in range(60):
        if i % 4 == 1:
            text = f'"Commande n°{i} : livré en retard;\nle colis ""express"" était abîmé\r\nSAV lent"'
        elif i % 7 == 2:
            text = f'Écran 27" reçu, très bien n°{i}'
        else:
            text = f"Déçu du délai de livraison n°{i}, sinon ça va"
        line = f"{i};{text};{i % 11};2024-01-{i % 28 + 1:02d}" + ("\r\n" if i % 5 == 0 else "\n")
        out += line.encode("cp1252" if i % 3 == 0 else "utf-8")
    return out


def build(out: Path) -> list[Path]:
    """Write every hostile file into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "header_only.csv": HEADER.encode(),
        "missing_text_column.csv": _csv(["1;9;2024-01-05\n"], "id;nps;date\n"),
        "text_all_empty.csv": _csv(["1;;9;2024-01-05\n", "2;  ;7;2024-01-06\n", "3;;3;2024-01-07\n"]),
        "mixed_encodings.csv": HEADER.encode()
        + "1;Très satisfait;9;2024-01-05\n".encode()
        + "2;Déçu du délai de livraison;3;2024-01-06\n".encode("cp1252"),
        "utf16.csv": _csv(GOOD).decode().encode("utf-16"),
        "bom.csv": b"\xef\xbb\xbf" + _csv(GOOD),
        "scale_out_hostile.csv": _scale_out_hostile(),
        # Issue 18: 5,000 identical texts gave every theme "Autre" without a word (and
        # texts of stop words only ended in "erreur interne (empty vocabulary)").
        "repetitive.csv": _csv([f"{i};Bonjour, je vous remercie pour tout;{i % 11};2024-01-05\n"
                                for i in range(400)]),
        "semicolon_in_quotes.csv": _csv(['1;"Bien; vraiment bien; merci";9;2024-01-05\n'] + GOOD[1:]),
        "newlines_in_cells.csv": _csv(['1;"Première ligne\nseconde ligne\r\ntroisième";8;2024-01-05\n']
                                      + GOOD[1:]),
        "one_mb_cell.csv": _csv(["1;" + "Le colis est arrivé en retard. " * 34_000 + ";4;2024-01-05\n"]
                                + GOOD[1:]),
        "nul_control.csv": _csv(["1;Livraison\x00 rapide\x07 et\x1b soignée;9;2024-01-05\n"] + GOOD[1:]),
        "rtl_zero_width.csv": _csv(["1;Tr\u200bès bien \u202eservice\u202c rapide\ufeff;9;2024-01-05\n",
                                    "2;\u200f\u200e\u200b;5;2024-01-06\n"] + GOOD[2:]),
        "emoji_only.csv": _csv(["1;😡😡😡;0;2024-01-05\n", "2;👍;10;2024-01-06\n"] + GOOD[2:]),
        "not_french.csv": _csv(["1;Very good service and fast delivery, thank you;9;2024-01-05\n",
                                "2;El hotel está muy bien y el personal es muy amable;8;2024-01-06\n"]
                               + GOOD[2:]),
        # Issue 18: Portuguese came out "unknown" (then analysed as French), Arabic and
        # Chinese "ok" with a positive sentiment, Spanish rich in la/de/que/en as French.
        "other_languages.csv": _csv([
            "1;Ótimo atendimento, entrega rápida, recomendo;9;2024-01-05\n",
            "2;Produto chegou antes do prazo, muito bom;9;2024-01-05\n",
            "3;الخدمة سيئة جدا;1;2024-01-05\n",
            "4;服务很差，退款很慢;1;2024-01-05\n",
            "5;Me gusta la casa de mi madre que vive en Madrid;8;2024-01-05\n",
            "6;Sehr schnelle Lieferung, gerne wieder;10;2024-01-05\n",
            "7;Top;10;2024-01-05\n",
            "8;Nickel chrome impeccable;10;2024-01-05\n",
            "9;Service client top, delivery rapide, je recommande;9;2024-01-05\n",
            "10;La livraison est arrivée en retard et le colis était abîmé;2;2024-01-05\n",
        ]),
        # Issue 18: star ratings given to a 0-10 NPS question became 4/10 and 3/10 detractors.
        "stars_on_nps.csv": _csv([
            "1;Livraison rapide, très bien;★★★★☆;2024-01-05\n",
            "2;Colis abîmé et SAV injoignable;3 étoiles;2024-01-06\n",
            "3;Pas mal du tout, je recommande;★★★★★;2024-02-01\n",
        ]),
        # Issue 18: reviews made of 10k-character tokens ended in "empty vocabulary".
        "long_tokens.csv": _csv([f"{i};{_token(i)};{i + 2};2024-01-05\n" for i in range(3)]
                                + ["3;" + "a" * 10_000 + ";5;2024-01-05\n",
                                   "4;Colis arrivé en retard " + _token(9) + ";3;2024-01-05\n"]),
        # Issue 18: French month names were NaT; "12/31/2024" read month-first without a note.
        "dates_in_words.csv": _csv(["1;Livraison rapide, très bien;9;5 mars 2024\n",
                                    "2;Colis abîmé et SAV injoignable;2;12/31/2024\n",
                                    "3;Pas mal du tout, je recommande;10;mars 2024\n",
                                    "4;Correct sans plus;7;45356\n"]),
        # Issue 18: a 100k-column header line ran past 2 minutes.
        "wide_header.csv": (";".join(f"c{i}" for i in range(100_000)) + "\n"
                            + ";".join("x" for _ in range(100_000)) + "\n").encode(),
        # Issue 18: "Commentaire" and "commentaire" both present: the last was taken silently.
        "case_clash.csv": _csv(["1;Livraison rapide;Colis abîmé;9\n"],
                               "id;Commentaire;commentaire;nps\n"),
        # Issue 18: title lines above the CSV header were blamed on the delimiter.
        "title_lines.csv": ("Export satisfaction T1 2024\nGénéré le 05/04/2024\n\n"
                            + HEADER + "".join(GOOD)).encode("utf-8"),
        "bom.jsonl": b"\xef\xbb\xbf" + "".join(
            json.dumps(dict(zip(["id", "commentaire", "nps", "date"], r.strip().split(";"), strict=True)),
                       ensure_ascii=False) + "\n"
            for r in GOOD).encode(),
        "bad_scores.csv": _csv([
            "1;Très bien;9/10;2024-01-05\n",
            "2;Correct;9,5;2024-01-05\n",
            "3;Super;neuf;2024-01-05\n",
            "4;Nul;-1;2024-01-05\n",
            "5;Excellent;11;2024-01-05\n",
            "6;Moyen;;2024-01-05\n",
            "7;Bof;N/A;2024-01-05\n",
            "8;Bien;très bien;2024-01-05\n",
        ]),
        "duplicate_ids.csv": _csv(["1;Livraison rapide;9;2024-01-05\n", "1;Livraison rapide;9;2024-01-05\n",
                                   "2;Colis abîmé;2;2024-01-06\n"]),
        "bad_dates.csv": _csv(["1;Très bien;9;hier\n", "2;Correct;7;31/02/2024\n", "3;Bien;8;05/03/2024\n"]),
        "ragged_rows.csv": _csv(["1;Bien;9;2024-01-05;colonne en trop;encore\n"] + GOOD[1:]),
        "truncated.parquet": b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00",
        "truncated.xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        "binary_garbage.csv": bytes(range(256)) * 4,
        "formula_payloads.csv": _csv([
            '1;=HYPERLINK("http://example.invalid","clic");9;2024-01-05\n',
            "2;@SUM(A1:A2) livraison lente;3;2024-01-05\n",
            "3;+cmd|' /C calc'!A0 colis perdu;1;2024-01-05\n",
            "4;-2+3 service client nul;2;2024-01-05\n",
        ]),
    }
    paths = []
    for name, content in files.items():
        path = out / name
        path.write_bytes(content)
        paths.append(path)
    paths.extend(_excel_files(out))
    paths.extend(_format_files(out))
    paths.append(_parquet_wrong_types(out))
    return paths


def _answer_sheet(book: Any) -> None:
    """A "Réponses" sheet holding the GOOD rows (placed after a decoy first sheet)."""
    data = book.create_sheet("Réponses")
    data.append(["id", "commentaire", "nps", "date"])
    for row in GOOD:
        ident, text, score, date = row.strip().split(";")
        data.append([int(ident), text, int(score), date])


def _excel_files(out: Path) -> list[Path]:
    import openpyxl

    paths = []
    book = openpyxl.Workbook()
    book.active.title = "Vide"
    _answer_sheet(book)
    path = out / "empty_first_sheet.xlsx"
    book.save(path)
    paths.append(path)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Baromètre satisfaction — T1 2024"
    sheet.merge_cells("A1:D1")
    sheet.append(["id", "commentaire", "nps", "date"])
    for row in GOOD:
        ident, text, score, date = row.strip().split(";")
        sheet.append([int(ident), text, int(score), date])
    path = out / "merged_header.xlsx"
    book.save(path)
    paths.append(path)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "commentaire", "nps", "date"])
    sheet.append([1, "Livraison rapide", 9, "2024-01-05"])
    sheet.append([2, "=CONCATENATE(\"Colis \",\"abîmé\")", "=1+1", "2024-01-06"])
    sheet.append([3, "Très bien", "=A3*3", "2024-01-07"])
    path = out / "formulas.xlsx"
    book.save(path)
    paths.append(path)
    return paths


def _format_files(out: Path) -> list[Path]:
    """Files whose name lies about their format (issue 18)."""
    import gzip
    import io
    import zipfile

    import openpyxl

    paths = []
    (out / "gzip_named.csv").write_bytes(gzip.compress(_csv(GOOD), mtime=0))
    paths.append(out / "gzip_named.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "commentaire", "nps", "date"])
    for row in GOOD:
        ident, text, score, date = row.strip().split(";")
        sheet.append([int(ident), text, int(score), date])
    buffer = io.BytesIO()
    book.save(buffer)
    (out / "xlsx_named.csv").write_bytes(buffer.getvalue())
    paths.append(out / "xlsx_named.csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("export.csv", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(info, _csv(GOOD))
    (out / "zip_named.csv").write_bytes(buffer.getvalue())
    paths.append(out / "zip_named.csv")

    book = openpyxl.Workbook()  # a hidden first sheet with other data, then the real one
    hidden = book.active
    hidden.title = "Brouillon"
    hidden.append(["id", "commentaire", "nps", "date"])
    hidden.append([9, "Ligne de test à ne pas analyser", 0, "2023-01-01"])
    hidden.sheet_state = "hidden"
    _answer_sheet(book)
    book.save(out / "hidden_first_sheet.xlsx")
    paths.append(out / "hidden_first_sheet.xlsx")

    book = openpyxl.Workbook()  # a first sheet holding one blank cell
    book.active.title = "Notes"
    book.active["B2"] = " "
    _answer_sheet(book)
    book.save(out / "blank_cell_first_sheet.xlsx")
    paths.append(out / "blank_cell_first_sheet.xlsx")
    return paths


def _parquet_wrong_types(out: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "commentaire": [123, 4.5, None],  # numbers where text is expected
            "nps": ["9", "dix", "7"],  # strings where numbers are expected
            "date": [20240105, 20240106, 20240107],
        }
    )
    path = out / "wrong_types.parquet"
    frame.to_parquet(path, index=False)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "hostile"
    for built in build(target):
        print(built)
