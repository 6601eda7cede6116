"""The results file of a batch: one row per file, written as each file finishes, never lost to a crash.

* ``.jsonl``: each row is appended as one line, then flushed and ``fsync``-ed before the next file is
  counted as done. A kill (even ``kill -9``) loses at most the files still in flight; a line cut short by
  the kill is dropped when the file is opened again (its file is simply done again).
* ``.parquet``: rows go first to a journal beside it (``NAME.parquet.journal.jsonl``, the same append +
  fsync), and the Parquet file is rewritten (atomically) from its old rows and the journal when the batch
  ends, is cancelled or fails. After a kill the journal stays; the next run (``--resume``) reads both and
  finishes the Parquet file.

Every row carries ``schema`` (:data:`SCHEMA`); a file written by another version, or one that is not a
batch results file, is refused with a clear message and left exactly as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.atomic import atomic_path
from studio.errors import BadInputError, StudioError

SCHEMA = "studio.batch.inspect/1"
SUFFIXES = (".jsonl", ".parquet")


class ResultsError(StudioError):
    """A results file that cannot be continued (another version's, or damaged); it is left untouched."""


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    raise BadInputError(f"Results go to a .jsonl or a .parquet file, not '{path.name}'.",
                        "Name the file with --out RESULTS.jsonl or --out RESULTS.parquet.")


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal.jsonl")


def require_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise BadInputError("Writing Parquet needs pyarrow, which is not installed.",
                            "Install it with 'pip install pyarrow', or write JSON Lines: --out RESULTS.jsonl.") \
            from None
    return pyarrow


def _check_row(row: Any, where: str, schema: str) -> dict[str, Any]:
    if not isinstance(row, dict) or not ("path" in row or "index" in row):
        raise ResultsError(f"{where} is not a row of a Studio batch results file.",
                           "Nothing was changed. Write to a new file with --out, or move this one aside.")
    found = row.get("schema")
    if found != schema:
        raise ResultsError(
            f"{where} was written by another version of Studio (format '{found or 'unnamed'}', this version writes "
            f"'{schema}').", "Nothing was changed. Write to a new file with --out; the old results stay as they are.")
    return row


def read_jsonl(path: Path, schema: str = SCHEMA) -> tuple[list[dict[str, Any]], int]:
    """The rows of a JSON Lines results file, and the byte length of its complete lines.

    A last line without its newline is a row a kill cut short: it is not counted (nor is a blank line).
    Any other line that is not a row of this version raises :class:`ResultsError`.
    """
    data = path.read_bytes()
    rows: list[dict[str, Any]] = []
    good = 0
    start = 0
    number = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            break  # cut short by a kill: dropped, its file is done again
        number += 1
        line = data[start:end].strip()
        if line:
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ResultsError(f"Line {number} of {path.name} is not JSON: the file is damaged.",
                                   "Nothing was changed. Write to a new file with --out, or repair or move "
                                   "this one.") from None
            rows.append(_check_row(row, f"Line {number} of {path.name}", schema))
        start = end + 1
        good = start
    return rows, good


def read_parquet(path: Path, schema: str = SCHEMA) -> list[dict[str, Any]]:
    require_pyarrow()
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ResultsError(f"{path.name} is not a readable Parquet file ({exc}).",
                           "Nothing was changed. Write to a new file with --out, or move this one aside.") from None
    rows = [decode_parquet_row(r) for r in table.to_pylist()]
    for n, row in enumerate(rows):
        _check_row(row, f"Row {n + 1} of {path.name}", schema)
    return rows


JSON_COLUMNS = ("recovered", "signals", "verdicts", "extra")


def encode_parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    """Nested, free-form parts as JSON text: Parquet wants one type per column, plugins' data varies."""
    out = dict(row)
    for key in JSON_COLUMNS:
        if key in out:
            out[key] = json.dumps(out[key], default=str) if out[key] is not None else None
    return out


def decode_parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in JSON_COLUMNS:
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


class ResultsFile:
    """The rows done so far, and the append-only writer for the ones to come."""

    def __init__(self, path: str | Path, schema: str = SCHEMA) -> None:
        self.path = Path(path)
        self.kind = kind_of(self.path)
        self.schema = schema
        self.journal = journal_of(self.path) if self.kind == "parquet" else self.path
        self.rows: list[dict[str, Any]] = []  # rows already there when opened
        self._fh: Any = None
        self.written = 0

    def exists(self) -> bool:
        return self.path.exists() or (self.kind == "parquet" and self.journal.exists())

    def load(self) -> list[dict[str, Any]]:
        """Read what is there (refusing another version's or a damaged file); the rows are kept in :attr:`rows`."""
        if self.kind == "parquet":
            require_pyarrow()
        rows: list[dict[str, Any]] = []
        if self.kind == "parquet" and self.path.exists():
            rows += read_parquet(self.path, self.schema)
        if self.journal.exists():
            journal_rows, _ = read_jsonl(self.journal, self.schema)
            rows += journal_rows
        self.rows = rows
        return rows

    def open(self) -> None:
        """Start appending (after :meth:`load`): a line a kill cut short is cut off first."""
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        if self.journal.exists():
            _, good = read_jsonl(self.journal, self.schema)
            if good != self.journal.stat().st_size:
                with open(self.journal, "r+b") as fh:
                    fh.truncate(good)
        self._fh = open(self.journal, "ab")

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and make it durable before returning."""
        assert self._fh is not None, "open() first"
        line = json.dumps({"schema": self.schema, **row}, default=str, ensure_ascii=False).encode("utf-8") + b"\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.written += 1

    def close(self) -> None:
        """Stop appending; a Parquet file is (re)written from its old rows and the journal, then the journal goes."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.kind == "parquet" and self.journal.exists():
            rows = self.load()
            write_parquet(self.path, rows)
            self.journal.unlink()

    def all_rows(self) -> list[dict[str, Any]]:
        """Every row now in the file (after :meth:`close`, or while it is open: those written so far)."""
        if self.kind == "parquet":
            rows: list[dict[str, Any]] = read_parquet(self.path, self.schema) if self.path.exists() else []
            if self.journal.exists():
                rows += read_jsonl(self.journal, self.schema)[0]
            return rows
        return read_jsonl(self.path, self.schema)[0] if self.path.exists() else []


def write_parquet(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    pa = require_pyarrow()
    import pyarrow.parquet as pq

    encoded = [encode_parquet_row(r) for r in rows]
    columns: dict[str, None] = {}
    for row in encoded:
        for key in row:
            columns.setdefault(key)
    table = pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in encoded])
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
