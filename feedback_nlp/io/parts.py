"""A CSV export cut into byte ranges on record boundaries, each read like the whole file.

Engines that read a file in parallel (Dask's ``from_map``, a Spark ``flatMap``) need parts
that can be read independently. ``dd.read_csv(blocksize=...)`` cuts at a newline without
knowing about quotes (a multi-line comment cut in two: "EOF inside string") and decodes
strictly (a cp1252 line in a UTF-8 export: ``UnicodeDecodeError``). Here:

- :func:`csv_parts` scans the file once with a CSV state machine (the :mod:`csv` module,
  the same quoting rules as pandas' tokenizer: a quote opens a field only at its start,
  ``""`` inside quotes is a quote) and cuts after a complete record, about every
  ``blocksize`` bytes. Quote, delimiter and newline are ASCII, so the scan reads the
  bytes as latin-1 whatever the encoding (UTF-8, cp1252 and their mix alike).
- :func:`read_csv_part` reads one part with **the same options** as
  :func:`~feedback_nlp.io.read_feedback` (sniffed delimiter and encoding, per-sequence
  cp1252 fallback, title lines, text cells, ragged-row check): the bytes before the
  first record (title lines, header) are put in front of the part's bytes.

The parts are plain dicts (path, byte range, options), so they travel to workers as
data. A UTF-16 file cannot be cut on ``\\n`` bytes: it is one part. A gzip file is cut
on decompressed offsets (each part decompresses from the start of the file up to its
range: correct, slower for big archives).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from feedback_nlp.io.read import _open_binary, _read_csv, check_path, sniff_csv

#: Parts are cut after the first record that ends this many bytes past the last cut.
DEFAULT_BLOCKSIZE = 16 * 1024 * 1024


def _record_ends(handle: IO[bytes], sep: str) -> Iterator[int]:
    """Byte offset just after each CSV record (blank lines count as records, as for
    pandas' ``skiprows``)."""
    position = 0

    def lines() -> Iterator[str]:
        nonlocal position
        for raw in handle:
            position += len(raw)
            yield raw.decode("latin-1")

    for _ in csv.reader(lines(), delimiter=sep, quotechar='"', doublequote=True, strict=False):
        yield position


def csv_parts(path: str | os.PathLike[str], *, blocksize: int = DEFAULT_BLOCKSIZE,
              delimiter: str | None = None, encoding: str | None = None) -> list[dict[str, Any]]:
    """Cut a CSV export into parts of about ``blocksize`` bytes, on record boundaries.

    Returns a list of plain dicts for :func:`read_csv_part` (at least one, which may hold
    no record). Reading every part in order gives the rows
    :func:`~feedback_nlp.io.read_feedback` gives, with the same cells.
    """
    file = Path(path)
    options = sniff_csv(file, delimiter, encoding)
    base = {"path": str(file), "options": {k: v for k, v in options.items()
                                           if not k.startswith("_") and k != "compression"},
            "gzip": options["compression"] == "gzip",
            "encoding_name": options["_detected_encoding"]}
    if options["encoding"].lower().startswith("utf-16"):
        return [{**base, "prefix_end": 0, "start": None, "end": None}]
    skip = int(options["skiprows"])
    with _open_binary(file) as handle:
        try:
            cuts, last = _cuts(_record_ends(handle, options["sep"]), skip, blocksize)
        except csv.Error:  # e.g. old Mac "\r" line ends: read as one part, like the whole file
            return [{**base, "prefix_end": 0, "start": None, "end": None}]
    if last > cuts[-1] or len(cuts) == 1:
        cuts.append(last)
    return [{**base, "prefix_end": cuts[0], "start": a, "end": b}
            for a, b in zip(cuts[:-1], cuts[1:])]


def _cuts(ends: Iterator[int], skip: int, blocksize: int) -> tuple[list[int], int]:
    """Cut offsets (the first is where the data starts) and the end of the last record."""
    data_start = 0
    for _ in range(skip + 1):  # title lines, then the header record
        data_start = next(ends, data_start)
    cuts, last = [data_start], data_start
    for last in ends:
        if last - cuts[-1] >= blocksize:
            cuts.append(last)
    return cuts, last


def _part_bytes(part: dict[str, Any]) -> bytes:
    """The file's bytes before its first record, then the part's byte range."""
    with _open_binary(Path(part["path"])) as handle:
        prefix = handle.read(part["prefix_end"])
        handle.seek(part["start"])
        return prefix + handle.read(part["end"] - part["start"])


def read_csv_part(part: dict[str, Any]) -> pd.DataFrame:
    """One part of :func:`csv_parts` as text cells with the user's column names (no
    ``row_id``: its position across parts is the caller's to add)."""
    path = Path(part["path"])
    check_path(path)
    options = dict(part["options"])
    if part["start"] is None:  # the whole file (UTF-16)
        options["compression"] = "gzip" if part["gzip"] else "infer"
        frame = _read_csv(path, options, None)
    else:
        frame = _read_csv(path, options, None, source=io.BytesIO(_part_bytes(part)))
    frame.attrs["encoding"] = part["encoding_name"]
    frame.attrs["delimiter"] = options["sep"]
    return frame


__all__ = ["DEFAULT_BLOCKSIZE", "csv_parts", "read_csv_part"]
