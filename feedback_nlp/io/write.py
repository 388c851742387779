"""Writing tables safely: Parquet, formula-safe CSV, JSON; one place for every writer.

Every CSV the project writes goes through :func:`neutralize_frame` (formula injection);
every table goes through :func:`write_table` (a whole table) or :class:`TableAppender`
(a table written chunk by chunk, streaming). A run writes its folder through
:func:`staged_output` (a temporary sibling moved into place when complete).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import socket
import zlib
from collections.abc import Iterator
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
        values = out[column]
        if values.dtype == object:
            out[column] = values.map(neutralize_formula)
        elif pd.api.types.is_string_dtype(values):
            out[column] = _neutralize_strings(values)
    out.columns = [neutralize_formula(str(c)) for c in out.columns]
    return out


def _neutralize_strings(values: pd.Series) -> pd.Series:
    """:func:`neutralize_formula` over a pandas string column, vectorised: the cells to
    prefix are found with ``str.startswith`` (most columns have none) and only they are
    rewritten. Same values as ``values.map(neutralize_formula)``."""
    flagged = values.str.startswith(_FORMULA_PREFIXES).fillna(False).astype(bool)
    if not flagged.any():
        return values
    out = values.copy()
    out[flagged] = "'" + values[flagged]
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


#: A folder holding one of these is a result folder (what ``--overwrite`` may replace whole):
#: ``analyze`` / ``save`` write summary.json, ``themes fit`` writes theme_model/.
RESULT_MARKERS = ("summary.json", "theme_model", "comparison_overall.csv")
_OVERWRITE_FIX = ("pass --overwrite to replace it whole (API: save(path, overwrite=True)), "
                  "or choose another folder with -o / --output.")


def check_output_folder(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Refuse, before any work, an output folder a run must not write into.

    A run never mixes its files with another run's: a folder that holds anything is
    refused unless ``overwrite`` is set, and even then only a folder that holds a saved
    result (``summary.json``) is replaced whole (never the current folder or one above it).
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"Output {out} is a file, not a folder.",
                          fix="choose a folder with -o / --output.")
    _check_parent(out)
    here = Path.cwd().resolve()
    if out.exists() and (out.resolve() == here or out.resolve() in here.parents):
        # The run is moved into place as a whole folder: not the one we are standing in.
        raise OutputError(f"Output folder {out} is the current folder or holds it.",
                          fix="give a subfolder, e.g. -o resultats/.")
    entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if not entries:
        return out
    shown = ", ".join(entries[:4]) + (f" and {len(entries) - 4} more" if len(entries) > 4 else "")
    if not overwrite:
        raise OutputError(f"Output folder {out} is not empty ({shown}): the new run's files "
                          "would sit next to older ones.", fix=_OVERWRITE_FIX)
    if not set(RESULT_MARKERS) & set(entries):
        raise OutputError(f"Output folder {out} holds files that are not a feedback-nlp result "
                          f"({shown}; no {' or '.join(RESULT_MARKERS)}): --overwrite only "
                          "replaces a result folder.",
                          fix="choose another folder with -o / --output, or empty this one.")
    return out


def _check_parent(out: Path) -> None:
    """The folder that will hold ``out`` (and its temporary sibling) exists and is writable."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(out.parent, os.W_OK | os.X_OK):
            raise PermissionError(13, "permission denied")
    except OSError as exc:
        raise OutputError(f"Output folder {out} cannot be written ({exc.strerror or exc}).",
                          fix="choose another folder with -o / --output, or fix its permissions.") from None


@contextlib.contextmanager
def staged_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Write a run into a temporary sibling folder; move it into place only when complete.

    Yields the temporary folder. If the block raises (an error, Ctrl-C), the temporary
    folder is removed and ``path`` is left as it was: an interrupted run leaves no
    complete-looking result. On success ``path`` becomes the new folder; a previous result
    there (``overwrite=True``, see :func:`check_output_folder`) is replaced whole.
    """
    target = Path(path)
    check_output_folder(target, overwrite=overwrite)
    remove_stale_stages(target)
    stage = target.parent / f".{target.name}.partial-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        stage.mkdir()
    except OSError as exc:
        raise OutputError(f"Output folder {target} cannot be written ({exc.strerror or exc}).",
                          fix="choose another folder with -o / --output, or fix its permissions.") from None
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _move_into_place(stage, target, overwrite=overwrite)


# Temporary folders carry the writing process: ".NAME.partial-HOST-PID-TOKEN" (HOST: a
# short hash of the host name, so that a run on another machine sharing the folder is
# never taken for a dead one here).
_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF:08x}"
_STAGE_NAME = re.compile(r"\.(?P<name>.+)\.(?:partial|old)-(?:(?P<host>[0-9a-f]{8})-)?(?P<pid>\d+)-[0-9a-f]{8}")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: keep its folder
    return True


def remove_stale_stages(target: Path) -> list[Path]:
    """Remove the temporary folders a killed run (SIGKILL, power cut) left next to ``target``.

    A run killed before it could clean up leaves ``.NAME.partial-…`` (or, killed while
    replacing an old result, ``.NAME.old-…``). Only folders for this ``target`` whose
    writing process is gone (same host, pid no longer running) are removed; a run still
    going, or one from another machine, is left alone. Returns the removed folders.
    """
    removed: list[Path] = []
    parent = target.parent
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        found = _STAGE_NAME.fullmatch(entry.name)
        if not found or found["name"] != target.name or not entry.is_dir() or entry.is_symlink():
            continue
        if found["host"] not in (None, _HOST) or _process_alive(int(found["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _move_into_place(stage: Path, target: Path, *, overwrite: bool) -> None:
    try:
        check_output_folder(target, overwrite=overwrite)  # it may have changed during the run
    except OutputError as exc:
        raise OutputError(f"{exc.message} The complete new result is in {stage}.",
                          fix=exc.fix) from None
    old = None
    try:
        if target.is_dir() and any(target.iterdir()):
            old = target.parent / f".{target.name}.old-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
            target.rename(old)
        elif target.is_dir():
            target.rmdir()
        stage.rename(target)
    except OSError as exc:
        if old is not None and not target.exists():
            old.rename(target)
        raise OutputError(f"Could not move the result into {target} ({exc.strerror or exc}); "
                          f"it is complete in {stage}.") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
