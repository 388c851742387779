"""Reading: sniffing (encoding, delimiter, format), readers per format, column mapping.

See :mod:`feedback_nlp.io` for the contract of :func:`read_feedback`.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import os
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from feedback_nlp.errors import (
    ColumnNotFoundError,
    EmptyInputError,
    EncodingError,
    InputFileError,
)

#: Canonical column names, in output order, for the roles a user can map.
ROLES = ("text", "score", "date", "id", "segment", "channel", "stage", "csat", "ces")

#: Names we try, in order, when the user does not say which column holds the text.
TEXT_COLUMN_GUESSES = (
    "comment",
    "commentaire",
    "commentaires",
    "verbatim",
    "avis",
    "texte",
    "text",
    "review",
    "message",
    "reponse",
    "réponse",
    "feedback",
)

_DELIMITERS = (";", ",", "\t", "|")
_SNIFF_BYTES = 1 << 20
_FALLBACK_HANDLER = "feedback_nlp.cp1252_fallback"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejects as cp1252 (latin-1 where cp1252 has no glyph).

    Exports are often UTF-8 with a few cp1252 lines pasted in (or plain cp1252): this
    keeps every valid UTF-8 sequence and reads the rest the way Windows wrote it.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    try:
        return bytes(chunk).decode("cp1252"), error.end
    except UnicodeDecodeError:
        return bytes(chunk).decode("latin-1"), error.end


codecs.register_error(_FALLBACK_HANDLER, _cp1252_fallback)


# --------------------------------------------------------------------------- sniffing


def detect_encoding(head: bytes) -> str:
    """Return the encoding of a file from its first bytes.

    BOMs decide first (UTF-8-sig, UTF-16). Without a BOM, a UTF-16 file shows NUL
    bytes in every other position. Everything else is read as UTF-8 with a per-sequence
    cp1252 fallback, which also reads pure cp1252 / latin-1 files correctly; the
    returned name says which of the two the sample looked like.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start < len(head) - 4:
            return "cp1252"
    return "utf-8"


def sniff_delimiter(text_sample: str, *, truncated: bool = False) -> str:
    """Pick the delimiter among ``; , tab |`` whose field count is most consistent.

    ``truncated`` says the sample stops mid-file: its last line is then ignored.
    """
    lines = text_sample.splitlines()[:50]
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    best, best_key = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        counts = [len(r) for r in rows if r]
        if not counts or max(counts) < 2:
            continue
        # Title lines above the header hold no delimiter: the header is the first line
        # with one (see title_lines), not necessarily the first line.
        rest = counts[next(i for i, c in enumerate(counts) if c > 1):]
        header = rest[0]
        consistency = sum(c == header for c in rest) / len(counts)  # title lines count against
        key = (consistency, header)
        if key > best_key:
            best, best_key = delimiter, key
    return best


# --------------------------------------------------------------------------- readers


def title_lines(text_sample: str, delimiter: str) -> int:
    """Leading lines without the delimiter (a title, "Généré le ...") above a header line
    that has it and matches the next line's field count: they are skipped, not blamed on
    the delimiter. 0 when the first line is the header."""
    lines = text_sample.splitlines()[:12]
    for index, line in enumerate(lines[:10]):
        if not line.strip():
            continue
        if delimiter in line:
            if index == 0:
                return 0
            nxt = next((n for n in lines[index + 1:] if n.strip()), None)
            fields = len(next(csv.reader([line], delimiter=delimiter)))
            if nxt is not None and len(next(csv.reader([nxt], delimiter=delimiter))) == fields:
                return index
            return 0
    return 0


def check_path(path: Path) -> None:
    """Raise a clear error when ``path`` is missing, a folder, unreadable or empty."""
    if not path.exists():
        raise InputFileError(
            f"File {path} does not exist.", fix="check the path (and the current folder)."
        )
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not a file.", fix="give the path of one file.")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"File {path} cannot be read (permission denied).")
    if path.stat().st_size == 0:
        raise EmptyInputError(
            f"File {path} is empty (0 bytes).", fix="export the data again with its header row."
        )


_GZIP_MAGIC = b"\x1f\x8b"
#: A header line with more fields than this is refused before pandas reads it (a 100k-column
#: header took minutes: pandas de-duplicates the names).
MAX_COLUMNS = 10_000


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _zip_kind(path: Path) -> str:
    """``"xlsx"`` for a workbook, else an error that names the archive's content."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return "xlsx"  # a truncated workbook: the Excel reader says so
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    raise InputFileError(f"File {path} is a ZIP archive (holding {shown}), not a table.",
                         fix="extract the file you want from it and pass that file.")


def _file_kind(path: Path, head: bytes) -> str:
    if head.startswith(b"PK") and not path.name.lower().endswith((".xlsx", ".xlsm")):
        return _zip_kind(path)  # by content: an .xlsx saved as .csv is still a workbook
    suffixes = "".join(path.suffixes[-2:]).lower()
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")) or (head.startswith(b"PK") and ".xls" in suffixes):
        return "xlsx"
    if name.endswith(".xls"):
        return "xls"
    if name.endswith((".parquet", ".pq")) or head.startswith(b"PAR1"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".json")):
        return "jsonl"
    if head.startswith(b"PK"):
        return "xlsx"
    return "csv"


def _read_head(path: Path) -> bytes:
    if path.name.lower().endswith(".gz") or _is_gzip(path):
        import gzip

        try:
            with gzip.open(path, "rb") as fh:
                return fh.read(_SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise InputFileError(f"File {path} is not a valid gzip file ({exc}).") from None
    with path.open("rb") as fh:
        return fh.read(_SNIFF_BYTES)


def _csv_options(path: Path, head: bytes, delimiter: str | None, encoding: str | None) -> dict:
    encoding = encoding or detect_encoding(head)
    pandas_encoding = "utf-8" if encoding == "cp1252" else encoding
    try:
        sample = head.decode(pandas_encoding, errors=_FALLBACK_HANDLER)
    except (UnicodeError, LookupError) as exc:
        raise EncodingError(
            f"File {path} could not be decoded as {encoding} ({exc}).",
            fix="save it as UTF-8 (Excel: 'CSV UTF-8'), or pass encoding=... / --encoding.",
        ) from None
    sample = sample.replace("\x00", "")
    if not sample.strip():
        raise EmptyInputError(
            f"File {path} holds no text.", fix="export the data again with its header row."
        )
    sep = delimiter or sniff_delimiter(sample, truncated=len(head) >= _SNIFF_BYTES)
    first_line = sample.split("\n", 1)[0]
    if first_line.count(sep) >= MAX_COLUMNS:
        fields = first_line.count(sep) + 1
        more = "" if "\n" in sample else " or more"
        raise InputFileError(
            f"File {path}: the header line has {fields:,}{more} columns (limit {MAX_COLUMNS:,}).",
            fix="check the delimiter (--delimiter) or export only the columns you need.",
        )
    return {
        "compression": "gzip" if _is_gzip(path) else "infer",
        "skiprows": title_lines(sample, sep),
        "sep": sep,
        "encoding": pandas_encoding,
        "encoding_errors": _FALLBACK_HANDLER if pandas_encoding == "utf-8" else "replace",
        "dtype": str,
        "keep_default_na": False,
        "na_values": [],
        "skip_blank_lines": True,
        "engine": "c",
        "on_bad_lines": "error",
        "_detected_encoding": encoding,
    }


def _read_csv(path: Path, options: dict, chunksize: int | None, header: int = 0,
              source: Any = None) -> Any:
    """``pd.read_csv`` of ``path`` (or of ``source``, bytes of part of it) with our errors."""
    options = {k: v for k, v in options.items() if not k.startswith("_")}
    try:
        with warnings.catch_warnings():
            # A row with more fields than the header would silently shift or lose data.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path if source is None else source, chunksize=chunksize,
                               header=header, index_col=False, **options)
    except pd.errors.ParserWarning:
        raise _ragged_error(path, options, header) from None
    except pd.errors.EmptyDataError:
        raise EmptyInputError(
            f"File {path} has no columns.", fix="export the data again with its header row."
        ) from None
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"File {path} could not be parsed as CSV ({_short(exc)}).",
            fix="check the delimiter (pass --delimiter) and that quotes are balanced.",
        ) from None
    except UnicodeError as exc:
        raise EncodingError(f"File {path} could not be decoded ({_short(exc)}).") from None


def _ragged_error(path: Path, options: dict, header: int) -> InputFileError:
    """Name the first line whose field count differs from the header's."""
    opener = _open_text(path, options)
    with opener as handle:
        reader = csv.reader(handle, delimiter=options["sep"])
        expected = None
        for index, row in enumerate(reader):
            if index < header or not row:
                continue
            if expected is None:
                expected = len(row)
            elif len(row) > expected:
                return InputFileError(
                    f"File {path}: record {index - header} (line {reader.line_num}) has {len(row)} "
                    f"fields but the header has {expected}; the data would shift columns.",
                    fix=f"quote texts that contain {options['sep']!r}, or pass --delimiter.",
                )
    return InputFileError(f"File {path} has rows longer than its header.",
                          fix=f"quote texts that contain {options['sep']!r}, or pass --delimiter.")


def _open_binary(path: Path) -> Any:
    """The file's bytes (decompressed when it is gzip), as a seekable binary handle."""
    if path.name.lower().endswith(".gz") or _is_gzip(path):
        import gzip

        return gzip.open(path, "rb")
    return path.open("rb")


def _open_text(path: Path, options: dict) -> Any:
    errors = options.get("encoding_errors", "strict")
    if path.name.lower().endswith(".gz") or _is_gzip(path):
        import gzip

        return gzip.open(path, "rt", encoding=options["encoding"], errors=errors, newline="")
    return path.open("r", encoding=options["encoding"], errors=errors, newline="")


def _read_excel(path: Path, sheet: str | int | None, header: int = 0) -> pd.DataFrame:
    try:
        import openpyxl

        source: Any = path
        if not path.name.lower().endswith((".xlsx", ".xlsm", ".xltx", ".xltm")):
            import io as _io

            source = _io.BytesIO(path.read_bytes())  # detected by content (zip workbook)
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputFileError(
            f"File {path} is not a valid Excel .xlsx file ({_short(exc)}).",
            fix="open it in Excel and save it again as .xlsx, or export CSV.",
        ) from None
    try:
        names = list(book.sheetnames)
        if sheet is None:
            visible = [n for n in names if getattr(book[n], "sheet_state", "visible") == "visible"]
            chosen = next((n for n in visible if _sheet_has_data(book[n])), None)
            if chosen is None:
                raise EmptyInputError(
                    f"Every sheet of {path} is empty ({', '.join(names)}).",
                    fix="check that you exported the right file.",
                )
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputFileError(
                    f"{path} has {len(names)} sheet(s); sheet index {sheet} does not exist.",
                    fix=f"use a sheet name among: {', '.join(names)}.",
                )
            chosen = names[sheet]
        else:
            if sheet not in names:
                raise InputFileError(
                    f"Sheet {sheet!r} not found in {path}.",
                    fix=f"use one of: {', '.join(names)}.",
                )
            chosen = sheet
    finally:
        book.close()
    try:
        frame = pd.read_excel(source, sheet_name=chosen, dtype=str, header=header, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise InputFileError(f"Sheet {chosen!r} of {path} could not be read ({_short(exc)}).") from None
    frame.attrs["sheet"] = chosen
    return frame


def _sheet_has_data(worksheet: Any) -> bool:
    for row in worksheet.iter_rows(max_row=50, values_only=True):
        if any(value is not None and str(value).strip() for value in row):
            return True
    return False


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise InputFileError(
            f"File {path} is not a readable Parquet file ({_short(exc)}).",
            fix="check that the file is complete (not truncated) and really Parquet.",
        ) from None


def _read_jsonl(path: Path) -> pd.DataFrame:
    try:
        return pd.read_json(path, lines=True, dtype=False, encoding="utf-8-sig")
    except ValueError as exc:
        try:  # a plain JSON array of records is common too
            return pd.read_json(path, dtype=False, encoding="utf-8-sig")
        except ValueError:
            raise InputFileError(
                f"File {path} is not valid JSON Lines ({_short(exc)}).",
                fix="write one JSON object per line.",
            ) from None


# --------------------------------------------------------------------------- mapping


def _fold(name: object) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _missing_column(role: str, wanted: str, columns: list[str], where: str) -> ColumnNotFoundError:
    folded = {_fold(c): c for c in columns}
    close = difflib.get_close_matches(_fold(wanted), list(folded), n=1, cutoff=0.6)
    option = "--" + role.replace("_", "-")
    fix = f"use {option} {folded[close[0]]!r}" if close else f"pass {option} with one of them"
    shown = ", ".join(repr(c) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
    return ColumnNotFoundError(
        f"Column {wanted!r} ({role}) not found in {where}. Columns: {shown}.", fix=fix + "."
    )


def _find_header_row(frame: pd.DataFrame, wanted: list[str], limit: int = 10) -> int | None:
    """Row index (0-based, in a header-less read) whose cells hold the wanted names."""
    targets = {_fold(w) for w in wanted}
    for idx in range(min(limit, len(frame))):
        cells = {_fold(v) for v in frame.iloc[idx].tolist() if isinstance(v, str)}
        if targets <= cells:
            return idx
    return None


def map_columns(
    frame: pd.DataFrame,
    mapping: dict[str, str | None],
    *,
    where: str = "the input",
    keep: list[str] | None = None,
    row_offset: int = 0,
) -> pd.DataFrame:
    """Return a new frame with ``row_id`` and canonical role columns (as strings).

    ``mapping`` maps a role (``text``, ``score``...) to the user's column name. Cells
    are kept as text (``""`` for a missing value) so later stages can say exactly what
    was wrong with a row; nothing is dropped and the input is not modified.
    """
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    for role in ROLES:
        name = mapping.get(role)
        if name is not None and columns.count(name) > 1:
            raise ColumnNotFoundError(
                f"{columns.count(name)} columns are named {name!r} in {where} ({role}); "
                "their cells would be mixed.",
                fix="rename the columns so that each name appears once (int 0 and str '0' "
                "count as the same name).",
            )
    out = pd.DataFrame({"row_id": pd.RangeIndex(row_offset, row_offset + len(frame))})
    for role in ROLES:
        name = mapping.get(role)
        if name is None:
            continue
        if name not in frame.columns:
            raise _missing_column(role, name, columns, where)
        out[role] = _as_text(frame[name])
    for name in keep or []:
        if name not in frame.columns:
            raise _missing_column("keep", name, columns, where)
        if name not in out.columns:
            out[name] = frame[name].to_numpy()
    out.attrs["columns"] = {k: v for k, v in mapping.items() if v is not None}
    return out


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as Python strings; NaN/None become "" (a missing answer, not the text "nan")."""
    values = series.to_numpy(dtype=object)
    return pd.Series(
        ["" if _is_missing(v) else v if isinstance(v, str) else _scalar_text(v) for v in values],
        dtype=object,
    ).set_axis(range(len(values)))


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _scalar_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors=_FALLBACK_HANDLER)
    return str(value)


def _guess_text_column(columns: list[str]) -> str | None:
    folded = {_fold(c): c for c in columns}
    for guess in TEXT_COLUMN_GUESSES:
        if _fold(guess) in folded:
            same = [c for c in columns if _fold(c) == _fold(guess)]
            if len(same) > 1:  # "Commentaire" and "commentaire": never pick one silently
                raise ColumnNotFoundError(
                    f"Columns {', '.join(repr(c) for c in same)} could each be the text column.",
                    fix=f"choose one with --text (e.g. --text {same[0]!r}).",
                )
            return folded[_fold(guess)]
    return None


# --------------------------------------------------------------------------- public


def read_feedback(
    source: str | os.PathLike[str] | pd.DataFrame,
    text: str | None = None,
    score: str | None = None,
    date: str | None = None,
    id: str | None = None,  # noqa: A002 - the user's word for it
    segment: str | None = None,
    channel: str | None = None,
    stage: str | None = None,
    *,
    csat: str | None = None,
    ces: str | None = None,
    keep: list[str] | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    chunksize: int | None = None,
) -> pd.DataFrame | Iterator[pd.DataFrame]:
    """Read customer feedback into a DataFrame with canonical columns.

    Parameters
    ----------
    source
        A path (``.csv``/``.txt``/``.tsv`` optionally gzipped, ``.xlsx``, ``.parquet``,
        ``.jsonl``) or a DataFrame.
    text, score, date, id, segment, channel, stage, csat, ces
        The user's column names for each role. ``text`` is guessed from common names
        (``commentaire``, ``verbatim``, ``avis``...) when omitted.
    keep
        Extra columns copied to the output unchanged.
    sheet
        Excel sheet name or index; default: the first non-empty sheet.
    delimiter, encoding
        Override CSV sniffing.
    chunksize
        For CSV only: return an iterator of DataFrames of this many rows, with
        ``row_id`` continuing across chunks.

    Returns
    -------
    DataFrame with ``row_id`` (0-based position in the input, stable across runs) and
    one text column per mapped role, in :data:`ROLES` order; or an iterator of them.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Commentaire": ["Livraison rapide"], "NPS": [9]})
    >>> read_feedback(df, text="Commentaire", score="NPS")[["row_id", "text", "score"]]
       row_id              text score
    0       0  Livraison rapide     9
    """
    mapping = {
        "text": text,
        "score": score,
        "date": date,
        "id": id,
        "segment": segment,
        "channel": channel,
        "stage": stage,
        "csat": csat,
        "ces": ces,
    }
    if isinstance(source, pd.DataFrame):
        if chunksize:
            return _chunks_of_frame(source, mapping, keep, chunksize)
        return _finish(source, mapping, keep, "the DataFrame")

    path = Path(source)
    kind, head = _sniff(path)
    if kind == "csv" and chunksize:
        options = _csv_options(path, head, delimiter, encoding)
        return _csv_chunks(path, options, mapping, keep, chunksize)
    frame, where = _read_whole(path, kind, head, mapping, sheet=sheet, delimiter=delimiter,
                               encoding=encoding)
    if chunksize:
        return _chunks_of_frame(frame, mapping, keep, chunksize, where)
    return _finish(frame, mapping, keep, where)


def _sniff(path: Path) -> tuple[str, bytes]:
    """The file's format and its first bytes (checks that it can be read)."""
    check_path(path)
    head = _read_head(path)
    kind = _file_kind(path, head)
    if kind == "xls":
        raise InputFileError(
            f"{path} is an old Excel .xls file.", fix="save it as .xlsx or CSV and try again."
        )
    return kind, head


def _read_whole(path: Path, kind: str, head: bytes, mapping: dict, *, sheet: str | int | None,
                delimiter: str | None, encoding: str | None) -> tuple[pd.DataFrame, str]:
    """The whole file with the user's column names, and how errors should name it."""
    where = f"file {path}"
    if kind == "csv":
        options = _csv_options(path, head, delimiter, encoding)
        frame = _read_csv(path, options, None)
        frame = _retry_with_header(frame, mapping, lambda h: _read_csv(path, options, None, h))
        frame.attrs["encoding"] = options["_detected_encoding"]
        frame.attrs["delimiter"] = options["sep"]
    elif kind == "xlsx":
        frame = _read_excel(path, sheet)
        chosen = frame.attrs.get("sheet")
        frame = _retry_with_header(frame, mapping, lambda h: _read_excel(path, chosen, h))
        where = f"sheet {chosen!r} of {path}"
    elif kind == "parquet":
        frame = _read_parquet(path)
    else:
        frame = _read_jsonl(path)
    return frame, where


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"csv"``, ``"xlsx"``, ``"parquet"`` or ``"jsonl"``, from the name and first bytes.

    Raises :class:`~feedback_nlp.errors.InputFileError` for a missing, empty or old
    ``.xls`` file.
    """
    return _sniff(Path(path))[0]


def read_any(path: str | os.PathLike[str], *, sheet: str | int | None = None,
             delimiter: str | None = None, encoding: str | None = None,
             columns: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """Read a whole file as it is: the user's column names, no mapping, no ``row_id``.

    ``columns`` (role -> column name, as :func:`read_feedback` takes them) lets the reader
    find a header below title rows the way :func:`read_feedback` does."""
    file = Path(path)
    kind, head = _sniff(file)
    return _read_whole(file, kind, head, dict(columns or {}), sheet=sheet, delimiter=delimiter,
                       encoding=encoding)[0]


def sniff_csv(path: str | os.PathLike[str], delimiter: str | None = None,
              encoding: str | None = None) -> dict[str, Any]:
    """How to read a CSV export: ``sep``, ``encoding`` (as pandas takes it),
    ``encoding_errors`` and the other :func:`pandas.read_csv` options, plus
    ``_detected_encoding`` (the name to report)."""
    file = Path(path)
    check_path(file)
    return _csv_options(file, _read_head(file), delimiter, encoding)


def canonical_frame(frame: pd.DataFrame, mapping: Mapping[str, str | None],
                    keep: list[str] | None = None, where: str = "the input",
                    row_offset: int = 0) -> pd.DataFrame:
    """:func:`read_feedback` on a frame already read: ``mapping`` is role -> column name
    (roles absent or ``None`` are not mapped; ``text`` is guessed when ``None``)."""
    full = {role: mapping.get(role) for role in ROLES}
    return _finish(frame, full, keep, where, row_offset)


def _retry_with_header(frame: pd.DataFrame, mapping: dict, reread: Any) -> pd.DataFrame:
    """Exports often put a title (merged cells) above the header: find the real header."""
    wanted = [v for v in mapping.values() if v is not None]
    if not wanted or all(w in [str(c) for c in frame.columns] for w in wanted):
        return frame
    raw = frame.columns.to_frame().T.astype(object)
    probe = pd.concat([raw.set_axis(range(raw.shape[1]), axis=1),
                       frame.head(10).set_axis(range(frame.shape[1]), axis=1)])
    row = _find_header_row(probe.reset_index(drop=True), wanted)
    if row is None or row == 0:
        return frame
    return reread(row)


def _finish(frame: pd.DataFrame, mapping: dict, keep: list[str] | None, where: str,
            row_offset: int = 0) -> pd.DataFrame:
    columns = [str(c) for c in frame.columns]
    if len(columns) == 0:
        raise EmptyInputError(f"{where[0].upper()}{where[1:]} has no columns.")
    mapping = dict(mapping)
    if mapping["text"] is None:
        guess = _guess_text_column(columns)
        if guess is None:
            raise ColumnNotFoundError(
                f"No text column given and none recognised in {where}. Columns: "
                + ", ".join(repr(c) for c in columns[:30]) + ".",
                fix="pass --text with the column that holds the comments.",
            )
        mapping["text"] = guess
    out = map_columns(frame, mapping, where=where, keep=keep, row_offset=row_offset)
    out.attrs.update({k: v for k, v in frame.attrs.items() if k != "columns"})
    out.attrs["source"] = where
    return out


def _csv_chunks(path: Path, options: dict, mapping: dict, keep: list[str] | None,
                chunksize: int) -> Iterator[pd.DataFrame]:
    reader = _read_csv(path, options, chunksize)
    offset = 0
    where = f"file {path}"
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                chunk = next(reader)
        except StopIteration:
            break
        except pd.errors.ParserWarning:
            raise _ragged_error(path, options, 0) from None
        except pd.errors.ParserError as exc:
            raise InputFileError(
                f"File {path} could not be parsed as CSV after row {offset} ({_short(exc)}).",
                fix="check the delimiter (pass --delimiter) and that quotes are balanced.",
            ) from None
        out = _finish(chunk, mapping, keep, where, row_offset=offset)
        out.attrs["encoding"] = options["_detected_encoding"]
        out.attrs["delimiter"] = options["sep"]
        offset += len(chunk)
        yield out
    if offset == 0:
        raise EmptyInputError(f"File {path} has a header but no data rows.")


def _chunks_of_frame(frame: pd.DataFrame, mapping: dict, keep: list[str] | None,
                     chunksize: int, where: str = "the DataFrame") -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), chunksize):
        yield _finish(frame.iloc[start : start + chunksize], mapping, keep, where, start)


def iter_feedback(source: Any, chunksize: int, **columns: Any) -> Iterator[pd.DataFrame]:
    """Chunks of :func:`read_feedback` for any source (CSV streams; others are sliced)."""
    return cast(Iterator[pd.DataFrame], read_feedback(source, chunksize=chunksize, **columns))


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as exports write them (see :mod:`feedback_nlp.dates`): ISO, day-first, French
    month names, Excel serials. Unparseable or blank cells become ``NaT`` (the row is kept)."""
    from feedback_nlp.dates import parse_dates as _parse

    return _parse(values)
