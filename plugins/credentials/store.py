"""The local manifest store: every signed export's manifest, kept by its watermark payload.

When a file loses its Content Credentials (a screenshot, a re-encode, an upload that strips metadata),
its invisible watermark usually survives; the watermark's payload is the key under which the export's
manifest was kept here, so ``studio verify`` can recover it (C2PA calls this a soft binding and the
store a manifest repository).

One SQLite file in the data directory (``data_dir()/credentials/manifests.sqlite``):

- WAL journal, each write one transaction (atomic: an interrupted write leaves the store as it was);
- ``PRAGMA application_id`` marks the file as Studio's and ``PRAGMA user_version`` is the schema version;
  a store from a newer Studio, or a file that is not a store, is refused and never written to;
- a damaged file is reported as such and left exactly as it is (move it aside to start a new one);
- a store locked by another program is waited for briefly (:data:`LOCK_WAIT_S`), then the error says so;
- the same payload with a *different* manifest is a collision: both are kept and both are reported,
  never one silently replacing the other. The same manifest twice is stored once.

``export_to`` writes a self-contained copy (atomically) and ``import_from`` merges one in a single
transaction, counting what was added, what was already there, and the collisions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import StudioError, data_dir

SCHEMA_VERSION = 1
APPLICATION_ID = 0x53544D53  # "STMS": Studio manifest store
LOCK_WAIT_S = 2.0
FILE_NAME = "manifests.sqlite"
MOVE_ASIDE = "Studio leaves it untouched; move it aside (or restore a copy) and a new store is started."

SCHEMA = f"""
CREATE TABLE manifests (
    id INTEGER PRIMARY KEY,
    alg TEXT NOT NULL,            -- the soft-binding algorithm (the watermark's identifier)
    payload TEXT NOT NULL,        -- its value, lower-case hex
    digest TEXT NOT NULL,         -- SHA-256 of the manifest bytes: the same manifest is kept once
    manifest BLOB NOT NULL,       -- the signed manifest store (JUMBF), exactly as it was embedded
    format TEXT NOT NULL,         -- the MIME type of the file it was signed into
    label TEXT NOT NULL,          -- the active manifest's label
    title TEXT NOT NULL,          -- the exported file's name
    signer TEXT NOT NULL,         -- the signing certificate's common name
    stored TEXT NOT NULL,         -- when it was stored (UTC, ISO 8601)
    UNIQUE (alg, payload, digest)
);
CREATE INDEX manifests_by_binding ON manifests (alg, payload);
PRAGMA user_version = {SCHEMA_VERSION};
PRAGMA application_id = {APPLICATION_ID};
"""
COLUMNS = ("alg", "payload", "digest", "manifest", "format", "label", "title", "signer", "stored")


class StoreError(StudioError):
    """The manifest store cannot be used; the message says why and what to do."""


class StoreLockedError(StoreError):
    """Another program holds the store's write lock longer than Studio waits."""


def default_path() -> Path:
    return data_dir() / "credentials" / FILE_NAME


@dataclass(frozen=True)
class Entry:
    """One kept manifest."""

    alg: str
    payload: str
    manifest: bytes
    format: str
    label: str = ""
    title: str = ""
    signer: str = ""
    stored: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()

    def row(self) -> tuple[Any, ...]:
        stored = self.stored or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        return (self.alg, self.payload.lower(), self.digest, self.manifest, self.format, self.label, self.title,
                self.signer, stored)

    def summary(self) -> dict[str, Any]:
        return {"alg": self.alg, "payload": self.payload, "label": self.label, "title": self.title,
                "signer": self.signer, "stored": self.stored, "format": self.format, "digest": self.digest}


@dataclass
class MergeReport:
    """What an import (or one add) did: counts, and the payloads that now hold several manifests."""

    added: int = 0
    present: int = 0
    collisions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "already_present": self.present, "collisions": sorted(set(self.collisions))}


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(alg=row["alg"], payload=row["payload"], manifest=bytes(row["manifest"]), format=row["format"],
                 label=row["label"], title=row["title"], signer=row["signer"], stored=row["stored"])


class ManifestStore:
    """The store at ``path`` (default: the data directory's). Opened per use: ``with ManifestStore() as s:``."""

    def __init__(self, path: str | Path | None = None, wait: float = LOCK_WAIT_S) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.wait = wait
        self._db: sqlite3.Connection | None = None

    # -- opening -------------------------------------------------------------------
    def __enter__(self) -> ManifestStore:
        self.open(create=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self, create: bool = True) -> None:
        """Open (and, with ``create``, make) the store; refuse a damaged, foreign or newer one."""
        exists = self.path.exists()
        if not exists and not create:
            raise StoreError(f"There is no manifest store at {self.path}.")
        if exists and self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a manifest store.")
        if not exists:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=self.wait, isolation_level=None)
        db.row_factory = sqlite3.Row
        self._db = db
        try:
            self._check_or_create(exists)
        except BaseException:
            self.close()
            raise

    def _check_or_create(self, existed: bool) -> None:
        version, app_id, tables = self._header()
        if version == 0 and app_id == 0 and not tables:
            with self._write():  # a new (or empty) file: make the schema in one transaction
                self._header()  # another process may have made it while we waited for the lock
                assert self._db is not None
                if not self._db.execute("SELECT name FROM sqlite_master WHERE name = 'manifests'").fetchone():
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
            self._run("PRAGMA journal_mode = WAL")
            return
        check(self.path, version, app_id)
        if self._run("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._run("PRAGMA journal_mode = WAL")

    def _header(self) -> tuple[int, int, int]:
        version = self._run("PRAGMA user_version").fetchone()[0]
        app_id = self._run("PRAGMA application_id").fetchone()[0]
        tables = self._run("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return int(version), int(app_id), int(tables)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- errors ------------------------------------------------------------------------
    def _translate(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return StoreLockedError(f"The manifest store {self.path} is locked by another program; Studio waited "
                                    f"{self.wait:g} s. Nothing was changed: try again when it is done.")
        if isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text
                                                          or "disk" in text):
            return StoreError(f"The manifest store {self.path} cannot be written: {text}.")
        return StoreError(f"The manifest store {self.path} is damaged ({text}). {MOVE_ASIDE}")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        assert self._db is not None, "the store is not open"
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._translate(exc) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it happens, or none (the lock is waited for up to ``wait``)."""
        assert self._db is not None, "the store is not open"
        self._run("BEGIN IMMEDIATE")
        try:
            yield self._db
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise self._translate(exc) from None
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise self._translate(exc) from None

    # -- use ----------------------------------------------------------------------------------
    def add(self, entry: Entry) -> MergeReport:
        """Keep ``entry``; a different manifest already under its payload makes a collision (both kept)."""
        with self._write() as db:
            return _merge(db, [entry.row()])

    def find(self, alg: str, payload: str) -> list[Entry]:
        """Every manifest kept under this binding, the most recently stored first."""
        rows = self._run("SELECT * FROM manifests WHERE alg = ? AND payload = ? ORDER BY stored DESC, id DESC",
                         (alg, payload.lower())).fetchall()
        return [_entry(r) for r in rows]

    def payloads(self, alg: str) -> list[str]:
        """Every distinct payload (hex) kept under ``alg``."""
        return [str(r[0]) for r in self._run("SELECT DISTINCT payload FROM manifests WHERE alg = ?", (alg,))]

    def count(self) -> int:
        return int(self._run("SELECT count(*) FROM manifests").fetchone()[0])

    def export_to(self, dest: str | Path) -> int:
        """Write a self-contained copy of the store to ``dest`` atomically; returns how many manifests it holds."""
        dest = Path(dest)
        if dest.exists() and dest.is_dir():
            raise StoreError(f"{dest} is a folder; name the file to write.")
        if dest.resolve() == self.path.resolve():
            raise StoreError(f"{dest} is the store itself; name another file.")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            copy = sqlite3.connect(tmp_name, isolation_level=None)
            try:
                assert self._db is not None
                self._db.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one file, to share
                count = int(copy.execute("SELECT count(*) FROM manifests").fetchone()[0])
            finally:
                copy.close()
            os.replace(tmp, dest)
        except sqlite3.Error as exc:
            raise self._translate(exc) from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return count

    def import_from(self, source: str | Path) -> MergeReport:
        """Merge the store at ``source`` into this one, in one transaction (all of it, or nothing)."""
        rows = read_rows(Path(source))
        with self._write() as db:
            return _merge(db, rows)


def _merge(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> MergeReport:
    report = MergeReport()
    for row in rows:
        alg, payload, digest = row[0], row[1], row[2]
        others = db.execute("SELECT digest FROM manifests WHERE alg = ? AND payload = ?", (alg, payload)).fetchall()
        if any(o[0] == digest for o in others):
            report.present += 1
            continue
        db.execute(f"INSERT INTO manifests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", row)
        report.added += 1
        if others:
            report.collisions.append(payload)
    return report


def check(path: Path, version: int, app_id: int) -> None:
    """Refuse a file that is not a Studio manifest store, or one from a newer Studio."""
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path} is an SQLite file but not a Studio manifest store. {MOVE_ASIDE}")
    if version > SCHEMA_VERSION:
        raise StoreError(f"The manifest store {path} was written by a newer Studio (store version {version}; this "
                         f"one reads up to {SCHEMA_VERSION}). Studio leaves it untouched: update Studio to use it.")
    if version < 1:
        raise StoreError(f"The manifest store {path} has no schema version. {MOVE_ASIDE}")


def read_rows(source: Path) -> list[tuple[Any, ...]]:
    """Every manifest of the store file ``source`` (read-only), after checking it whole."""
    if not source.is_file():
        raise StoreError(f"{source} does not exist or is not a file.")
    uri = source.resolve().as_uri() + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"{source} cannot be opened as a manifest store: {exc}.") from None
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
        check(source, version, app_id)
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise StoreError(f"The manifest store {source} is damaged ({verdict}); nothing was imported.")
        rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM manifests ORDER BY id").fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{source} is not a readable manifest store ({exc}); nothing was imported.") from None
    finally:
        db.close()
    out = []
    for row in rows:
        manifest = bytes(row[3])
        if hashlib.sha256(manifest).hexdigest() != row[2]:
            raise StoreError(f"The manifest store {source} holds a manifest whose bytes do not match their "
                             "digest (damaged); nothing was imported.")
        out.append(tuple(row))
    return out
