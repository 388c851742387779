"""Writing tables safely: Parquet, formula-safe CSV, JSON; one place for every writer.

Every CSV the project writes goes through :func:`neutralize_frame` (formula injection);
every table goes through :func:`write_table` (a whole table) or :class:`TableAppender`
(a table written chunk by chunk, streaming).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.errors import OutputError

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize_formula(value: object) -> object:
    """Make a cell inert in spreadsheets (CSV/Excel formula injection).

    A text cell starting with ``= + - @``, a tab or a carriage return is prefixed with
    an apostrophe, which Excel and LibreOffice show as text. Non-strings pass through.

    >>> neutralize_formula('=HYPERLINK("http://x","clic")')
    '\\'=HYPERLINK("http://x","clic")'
    """
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with every text cell (and column name) neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralize_formula)
    out.columns = [neutralize_formula(str(c)) for c in out.columns]
    return out


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if needed and check it is writable, with a clear error if not."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".feedback_nlp_write_test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"Output folder {out} cannot be written ({exc.strerror or exc}).",
            fix="choose another folder with -o / --output, or fix its permissions.",
        ) from None
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a CSV (UTF-8 with BOM so Excel shows accents) with formula injection neutralised."""
    path = Path(path)
    try:
        neutralize_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")
    except OSError as exc:
        raise OutputError(f"Could not write {path} ({exc.strerror or exc}).") from None
    return path


def parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types (passthrough columns) are stored as text."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        values = out[column].dropna()
        kinds = {type(v) for v in values.head(1000)}
        if kinds and not kinds <= {str} and not kinds <= {list} and not kinds <= {bool}:
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    out.columns = [str(c) for c in out.columns]
    return out


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (``theme_ids``, ``examples``...) joined with ``"; "`` for a flat CSV."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, (list, np.ndarray))).any():
            out[column] = out[column].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, np.ndarray)) else v
            )
    return out


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str], *, safe: bool = True) -> Path:
    """Write one Parquet file (mixed object columns as text unless ``safe=False``)."""
    path = Path(path)
    try:
        (parquet_safe(frame) if safe else frame).to_parquet(path, index=False)
    except OSError as exc:
        raise OutputError(f"Could not write {path} ({exc}).") from None
    return path


def write_table(frame: pd.DataFrame, folder: str | os.PathLike[str], name: str, *,
                csv: bool = True, safe: bool = True) -> Path:
    """``<name>.parquet`` and (``csv=True``) ``<name>.csv`` (lists joined, formula-safe)."""
    folder = Path(folder)
    write_parquet(frame, folder / f"{name}.parquet", safe=safe)
    if csv:
        write_csv(csv_safe(frame) if safe else frame, folder / f"{name}.csv")
    return folder / f"{name}.parquet"


def to_jsonable(value: Any) -> Any:
    """``value`` with NumPy / pandas scalars made plain JSON (NaN becomes ``None``)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value


def json_default(value: Any) -> Any:
    """``default=`` hook of :func:`json.dumps` for NumPy values (NaN becomes ``null``)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_json(value: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``value`` as sorted, indented UTF-8 JSON (after :func:`to_jsonable`)."""
    path = Path(path)
    try:
        path.write_text(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, sort_keys=True),
                        encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"Could not write {path} ({exc.strerror or exc}).") from None
    return path


class TableAppender:
    """Append frames to ``<name>.parquet`` (one schema, from the first chunk) and ``<name>.csv``."""

    def __init__(self, folder: Path, name: str, *, csv: bool) -> None:
        self.parquet_path = folder / f"{name}.parquet"
        self.csv_path = folder / f"{name}.csv" if csv else None
        self._writer: Any = None
        self._schema: Any = None
        self._csv: Any = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        try:
            self._write_parquet(parquet_safe(frame))
            if self.csv_path is not None:
                if self._csv is None:
                    self._csv = self.csv_path.open("w", encoding="utf-8-sig", newline="")
                    header = True
                else:
                    header = False
                neutralize_frame(csv_safe(frame)).to_csv(self._csv, index=False, header=header)
        except OSError as exc:
            raise OutputError(f"Could not write {self.parquet_path} ({exc.strerror or exc}).") from None
        self.rows += len(frame)

    def _write_parquet(self, safe: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            table = pa.Table.from_pandas(safe, preserve_index=False)
            # A column that is all-missing in the first chunk would be typed null and
            # reject later values: store such columns as text.
            self._schema = pa.schema([_settle_null_type(f) for f in table.schema])
            self._writer = pq.ParquetWriter(self.parquet_path, self._schema)
        for name in self._schema.names:
            if name not in safe.columns:
                safe[name] = None
        safe = safe[self._schema.names]
        for field in self._schema:
            if pa.types.is_string(field.type) and safe[field.name].dtype != object:
                if not pd.api.types.is_string_dtype(safe[field.name]):
                    safe[field.name] = safe[field.name].map(
                        lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
        self._writer.write_table(pa.Table.from_pandas(safe, schema=self._schema, preserve_index=False))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._csv is not None:
            self._csv.close()


def _settle_null_type(field: Any) -> Any:
    """A concrete type for a column that is all-missing (or all-empty lists) in a chunk."""
    import pyarrow as pa

    if pa.types.is_null(field.type):
        return pa.field(field.name, pa.string())
    if pa.types.is_list(field.type) and pa.types.is_null(field.type.value_type):
        # theme_ids holds ints; other list columns (theme_labels...) hold text.
        value = pa.int64() if field.name.endswith("_ids") else pa.string()
        return pa.field(field.name, pa.list_(value))
    return field
