"""Reading exports from survey tools and CRMs, and writing tables safely.

:func:`read_feedback` is the one way data comes in. It accepts a path (CSV with its
delimiter sniffed, XLSX, Parquet, JSON Lines) or a DataFrame, maps the user's column
names to canonical ones and adds a stable ``row_id``. It never drops a row: what is
wrong with a row becomes a status later in the pipeline, what is wrong with the file
becomes a :class:`~feedback_nlp.errors.FeedbackError` that names the file and the fix.

Reading lives in :mod:`feedback_nlp.io.read`, writing in :mod:`feedback_nlp.io.write`;
everything public is importable from ``feedback_nlp.io``. Code outside this package
uses only these names (never a ``_private`` one).
"""

from __future__ import annotations

from feedback_nlp.io.parts import DEFAULT_BLOCKSIZE, csv_parts, read_csv_part
from feedback_nlp.io.read import (
    ROLES,
    TEXT_COLUMN_GUESSES,
    canonical_frame,
    check_path,
    detect_encoding,
    detect_format,
    iter_feedback,
    map_columns,
    parse_dates,
    read_any,
    read_feedback,
    sniff_csv,
    sniff_delimiter,
)
from feedback_nlp.io.write import (
    RESULT_MARKERS,
    TableAppender,
    check_output_folder,
    csv_safe,
    ensure_output_dir,
    json_default,
    neutralize_formula,
    neutralize_frame,
    parquet_safe,
    staged_output,
    to_jsonable,
    write_csv,
    write_json,
    write_parquet,
    write_table,
)

__all__ = [
    "DEFAULT_BLOCKSIZE", "csv_parts", "read_csv_part", "RESULT_MARKERS", "check_output_folder",
    "staged_output",
    "ROLES", "TEXT_COLUMN_GUESSES", "TableAppender", "canonical_frame", "check_path",
    "csv_safe", "detect_encoding", "detect_format", "ensure_output_dir", "iter_feedback",
    "json_default", "map_columns", "neutralize_formula", "neutralize_frame", "parquet_safe",
    "parse_dates", "read_any", "read_feedback", "sniff_csv", "sniff_delimiter", "to_jsonable",
    "write_csv", "write_json", "write_parquet", "write_table",
]
