"""The local manifest store: round trip, collisions, a locked, damaged or newer store, export and import."""

import sqlite3

import pytest
from credentials_helpers import studio, studio_json

from studio_plugins.credentials.store import (
    SCHEMA_VERSION,
    Entry,
    ManifestStore,
    StoreError,
    StoreLockedError,
    default_path,
)


def entry(payload="00ff00ff00ff00ff", manifest=b"manifest one", title="a.png"):
    return Entry(alg="org.studio.watermark.1", payload=payload, manifest=manifest, format="image/png",
                 title=title, signer="Alice")


def test_round_trip_in_wal_mode_with_a_schema_version(tmp_path):
    path = tmp_path / "store.sqlite"
    with ManifestStore(path) as store:
        assert store.add(entry()).added == 1
        assert store.add(entry()).present == 1  # the same manifest twice is kept once
        (found,) = store.find("org.studio.watermark.1", "00FF00FF00FF00FF")
        assert found.manifest == b"manifest one" and found.signer == "Alice" and found.stored
        assert store.find("org.studio.watermark.1", "1111111111111111") == []
        assert store.find("another.alg", "00ff00ff00ff00ff") == []
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_the_default_store_is_in_the_data_directory(isolated_config):
    assert default_path().is_relative_to(isolated_config / "data")


def test_two_manifests_under_one_payload_are_both_kept_as_a_collision(tmp_path):
    with ManifestStore(tmp_path / "s.sqlite") as store:
        store.add(entry(manifest=b"first"))
        report = store.add(entry(manifest=b"second", title="b.jpg"))
        assert report.added == 1 and report.collisions == ["00ff00ff00ff00ff"]
        found = store.find("org.studio.watermark.1", "00ff00ff00ff00ff")
        assert sorted(e.manifest for e in found) == [b"first", b"second"]


def test_a_locked_store_is_waited_for_then_said_plainly(tmp_path):
    path = tmp_path / "s.sqlite"
    with ManifestStore(path) as store:
        store.add(entry())
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with ManifestStore(path, wait=0.3) as store:
            assert len(store.find("org.studio.watermark.1", "00ff00ff00ff00ff")) == 1  # reading still works (WAL)
            with pytest.raises(StoreLockedError, match="locked by another program; Studio waited 0.3 s"):
                store.add(entry(manifest=b"other"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    with ManifestStore(path) as store:  # nothing was half-written
        assert store.count() == 1


def test_a_damaged_store_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "s.sqlite"
    garbage = b"this is not a database at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="is damaged .* leaves it untouched"):
        ManifestStore(path).open()
    assert path.read_bytes() == garbage


def test_a_store_from_a_newer_studio_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "s.sqlite"
    with ManifestStore(path) as store:
        store.add(entry())
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="written by a newer Studio .*update Studio"):
        ManifestStore(path).open()
    assert path.read_bytes() == before


def test_another_sqlite_file_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a Studio manifest store"):
        ManifestStore(path).open()


def test_export_and_import_merge_with_counts_and_collisions(tmp_path):
    ours, theirs = tmp_path / "ours.sqlite", tmp_path / "theirs.sqlite"
    with ManifestStore(ours) as store:
        store.add(entry("00ff00ff00ff00ff", b"shared"))
        store.add(entry("1111111111111111", b"ours only"))
    with ManifestStore(theirs) as store:
        store.add(entry("00ff00ff00ff00ff", b"shared"))  # already present
        store.add(entry("1111111111111111", b"theirs, same payload"))  # a collision
        store.add(entry("2222222222222222", b"new"))  # added
        shared = tmp_path / "shared.sqlite"
        assert store.export_to(shared) == 3
    assert not list(tmp_path.glob(".shared*"))  # no temporary file left
    with ManifestStore(ours) as store:
        report = store.import_from(shared)
        assert report.to_dict() == {"added": 2, "already_present": 1, "collisions": ["1111111111111111"]}
        assert store.count() == 4
        assert len(store.find("org.studio.watermark.1", "1111111111111111")) == 2


def test_importing_a_damaged_file_changes_nothing(tmp_path):
    ours = tmp_path / "ours.sqlite"
    with ManifestStore(ours) as store:
        store.add(entry())
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with ManifestStore(ours) as store:
        with pytest.raises(StoreError, match="nothing was imported|damaged"):
            store.import_from(bad)
        assert store.count() == 1


def test_cli_store_export_and_import(tmp_path):
    from studio.settings import data_dir

    with ManifestStore() as store:  # the data directory's store, as the CLI uses it
        store.add(entry())
    out = tmp_path / "newsroom.sqlite"
    result, data = studio_json("credentials", "store", "export", out)
    assert result.returncode == 0 and data["manifests"] == 1 and out.is_file()
    with ManifestStore(out) as other:
        other.add(entry(manifest=b"a colleague's manifest"))
        other.add(entry(payload="3333333333333333", manifest=b"another"))
    result = studio("credentials", "store", "import", out)
    assert result.returncode == 0, result.stderr
    assert "2 added, 1 already present, 1 collision" in result.stdout and "0000" not in result.stderr
    assert "collision: payload 00ff00ff00ff00ff" in result.stdout
    assert str(data_dir()) in result.stdout
    missing = studio("credentials", "store", "import", tmp_path / "nope.sqlite")
    assert missing.returncode != 0 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
