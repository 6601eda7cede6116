"""``studio batch inspect``: rows in the results file, resume after kill -9, crashes, bad inputs, Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CRASH_PLUGIN, read_rows, studio
from helpers import cli_env

from studio.batch.runner import run_inspect
from studio.cli import main
from studio.errors import BadInputError


def by_path(rows):
    return {Path(r["path"]).name: r for r in rows}


def test_rows_of_a_folder_with_a_signed_watermarked_export_and_the_html_summary(make_media, tmp_path):
    from studio.application import StudioApp
    from studio.document.provenance import Record

    folder = tmp_path / "in"
    make_media(folder / "sub", 3)
    rng = np.random.default_rng(1)
    pixels = rng.integers(40, 200, (288, 320, 3), dtype=np.uint8)
    report = StudioApp().export.export_image(pixels, folder / "exported.png", Record(action="test", title="t"))
    assert "c2pa.watermarked" in json.dumps(report.performed)
    from PIL import Image

    with Image.open(folder / "exported.png") as im:  # the credentials stripped, the pixels (and mark) kept
        im.convert("RGB").save(folder / "stripped.png")
    (folder / "notes.txt").write_text("not media")  # not taken from a folder
    out, html = tmp_path / "results.jsonl", tmp_path / "summary.html"

    summary = run_inspect(folder, out, workers=2, html=html)

    rows = by_path(read_rows(out))
    assert sorted(rows) == ["exported.png", "img-000.png", "img-001.jpg", "img-002.png", "stripped.png"]
    assert summary.done == 5 and summary.errors == 0
    exported = rows["exported.png"]
    assert exported["c2pa_state"] in ("valid", "trusted") and exported["watermark"] == "present"
    assert exported["watermark_payload"]
    assert exported["sha256"] == __import__("hashlib").sha256((folder / "exported.png").read_bytes()).hexdigest()
    assert exported["size"] == (folder / "exported.png").stat().st_size and exported["type"] == "image"
    for row in rows.values():
        assert row["schema"] == "studio.batch.inspect/1" and row["errors"] == []
        ids = {s["id"] for s in row["signals"]}
        assert {"ela", "noise", "spectrum"} <= ids  # forensics' signals, each with its id
        assert all(set(s) == {"id", "plugin", "title", "state", "score"} for s in row["signals"])
    assert rows["img-000.png"]["c2pa_state"] == "no-credentials" and rows["img-000.png"]["watermark"] == "absent"
    assert rows["img-000.png"]["recovered"] is None
    stripped = rows["stripped.png"]  # no credentials of its own; recovered from the store through its mark
    assert stripped["c2pa_state"] == "no-credentials" and stripped["watermark"] == "present"
    assert stripped["recovered"]["state"] in ("valid", "trusted")
    assert stripped["recovered"]["payload"] == exported["watermark_payload"]
    assert any(s["id"] == "detector" and isinstance(s["score"], float) for s in exported["signals"])
    page = html.read_text()
    assert page.index("exported.png") < page.index("img-000.png")  # files with credentials and marks first
    assert page.index("stripped.png") < page.index("img-000.png")
    assert page.count("data:image/jpeg;base64,") == 5 and "<script>" in page


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_resume_after_kill_9_loses_nothing_and_does_nothing_twice(make_media, tmp_path, suffix):
    files = make_media(tmp_path / "in", 16)
    out = tmp_path / f"results{suffix}"
    journal = out.with_name(out.name + ".journal.jsonl") if suffix == ".parquet" else out
    process = subprocess.Popen([sys.executable, "-m", "studio.cli", "batch", "inspect", tmp_path / "in", "--out", out,
                                "--workers", "2"], start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 3:
            break
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, with no chance to clean up
    process.wait()
    before = read_rows(journal)
    assert 3 <= len(before) < len(files), "the kill came too late to test a resume"
    if suffix == ".parquet":
        assert not out.exists()  # only the journal so far

    result = studio("batch", "inspect", tmp_path / "in", "--out", out, "--workers", "2", "--resume", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["skipped"] == len(before) and summary["done"] == len(files) - len(before)
    rows = read_rows(out)
    names = [Path(r["path"]).name for r in rows]
    assert sorted(names) == sorted(p.name for p in files)  # none lost, none twice
    assert all(r["sha256"] and not r["errors"] for r in rows)
    assert not (suffix == ".parquet" and journal.exists())


def test_a_worker_that_segfaults_on_one_file_costs_that_file_only(make_media, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(CRASH_PLUGIN))
    folder = tmp_path / "in"
    make_media(folder, 4)
    make_media(folder, 1, prefix="crash")
    out = tmp_path / "r.jsonl"

    summary = run_inspect(folder, out, workers=2)

    rows = by_path(read_rows(out))
    assert len(rows) == 5 and summary.crashed == 1
    crashed = rows["crash-000.png"]
    assert crashed["errors"] and "worker process died" in crashed["errors"][0] and "SIGSEGV" in crashed["errors"][0]
    assert crashed["sha256"]  # recorded with its hash, so a resume does not feed it to a worker again
    assert all(not r["errors"] and r["signals"] for n, r in rows.items() if n != "crash-000.png")
    again = run_inspect(folder, out, workers=2, resume=True)
    assert again.done == 0 and again.skipped == 5 and len(read_rows(out)) == 5


def test_a_file_that_hangs_its_worker_is_stopped_after_the_timeout(make_media, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(CRASH_PLUGIN))
    folder = tmp_path / "in"
    make_media(folder, 2)
    make_media(folder, 1, prefix="hang")
    out = tmp_path / "r.jsonl"
    start = time.monotonic()
    summary = run_inspect(folder, out, workers=2, timeout=20)  # generous: a first file warms its worker up
    rows = by_path(read_rows(out))
    assert len(rows) == 3 and summary.crashed == 1 and time.monotonic() - start < 120
    assert rows["hang-000.png"]["errors"] == ["took longer than 20 s; its worker was stopped"]
    assert all(not r["errors"] for n, r in rows.items() if n != "hang-000.png")


def test_unreadable_missing_and_vanishing_files_are_error_rows(make_media, tmp_path):
    files = make_media(tmp_path / "in", 4)
    broken = tmp_path / "in" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG" * 10)
    empty = tmp_path / "in" / "empty.png"
    empty.write_bytes(b"")
    vanishing = files[-1]
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join([str(files[0]), str(broken), str(empty), "nowhere/missing.png", "# a comment",
                                  str(files[1]), str(files[2]), str(vanishing)]) + "\n")
    out = tmp_path / "r.jsonl"
    seen = []

    def progress(done, total, errors):
        seen.append(done)
        if done == 1 and vanishing.exists():
            vanishing.unlink()  # gone after the batch started, before its turn came (one worker, in order)

    summary = run_inspect(listing, out, workers=1, on_progress=progress)

    rows = by_path(read_rows(out))
    assert len(rows) == 7 and summary.done == 7 and seen[-1] == 7
    assert rows["broken.jpg"]["errors"] == ["broken.jpg is damaged or truncated: Truncated File Read."]
    assert rows["broken.jpg"]["sha256"] and rows["broken.jpg"]["size"] == broken.stat().st_size
    assert "empty" in rows["empty.png"]["errors"][0].lower()
    assert "gone" in rows["missing.png"]["errors"][0] and rows["missing.png"]["sha256"] is None
    assert "gone" in rows[vanishing.name]["errors"][0]
    for name in (files[0].name, files[1].name, files[2].name):
        assert rows[name]["errors"] == [] and rows[name]["signals"]
    assert summary.errors == 4


def test_an_empty_list_file_is_refused_clearly(tmp_path, capsys):
    listing = tmp_path / "files.txt"
    listing.write_bytes(b"")
    with pytest.raises(BadInputError, match="names no files"):
        run_inspect(listing, tmp_path / "r.jsonl")
    assert main(["batch", "inspect", str(listing), "--out", str(tmp_path / "r.jsonl")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["studio: error: files.txt names no files (it is empty). Put one path a line in it, or give a "
                   "folder or a glob pattern."] or (len(err) == 1 and "names no files" in err[0])
    assert not (tmp_path / "r.jsonl").exists()


@pytest.mark.parametrize("content,words", [
    (b'{"schema": "studio.batch.inspect/0", "path": "/x/a.png", "sha256": "00"}\n', "another version"),
    (b'{"path": "/x/a.png", "sha": "00"}\n', "another version"),
    (b'{"schema": "studio.batch.inspect/1", "path": "/x/a.png", "sha256": "00", "errors": []}\n{oops\n'
     b'{"schema": "studio.batch.inspect/1", "path": "/x/b.png", "sha256": "00", "errors": []}\n', "damaged"),
    (b"PAR1 this is not parquet", "not a readable Parquet file"),
])
def test_an_old_or_damaged_results_file_is_refused_and_left_as_it_was(make_media, tmp_path, capsys, content, words):
    make_media(tmp_path / "in", 1)
    out = tmp_path / ("r.parquet" if content.startswith(b"PAR1") else "r.jsonl")
    out.write_bytes(content)
    assert main(["batch", "inspect", str(tmp_path / "in"), "--out", str(out), "--resume"]) == 1
    err = capsys.readouterr().err
    assert words in err and "Nothing was changed" in err and "Traceback" not in err
    assert out.read_bytes() == content
    assert main(["batch", "inspect", str(tmp_path / "in"), "--out", str(out)]) == 1  # not overwritten either
    assert "exists already" in capsys.readouterr().err and out.read_bytes() == content


def test_a_row_cut_short_by_a_kill_is_dropped_and_done_again(make_media, tmp_path):
    files = make_media(tmp_path / "in", 2)
    out = tmp_path / "r.jsonl"
    run_inspect(files[0], out, workers=1)
    good = out.read_bytes()
    out.write_bytes(good + b'{"schema": "studio.batch.inspect/1", "path": "' + str(files[1]).encode() + b'", "sh')
    summary = run_inspect(tmp_path / "in", out, workers=1, resume=True)
    assert summary.skipped == 1 and summary.done == 1
    rows = read_rows(out)
    assert [Path(r["path"]).name for r in rows] == [files[0].name, files[1].name]
    assert out.read_bytes().startswith(good)


def test_parquet_results_have_one_row_per_file(make_media, tmp_path):
    pytest.importorskip("pyarrow")
    make_media(tmp_path / "in", 3)
    out = tmp_path / "r.parquet"
    run_inspect(tmp_path / "in", out, workers=2)
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == 3 and {"path", "sha256", "c2pa_state", "watermark", "signals", "errors"} <= set(
        table.column_names)
    assert not out.with_name(out.name + ".journal.jsonl").exists()
    assert all(json.loads(s) for s in table.column("signals").to_pylist())


def test_without_ray_installed_the_message_says_how_to_get_it(make_media, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError, as when it is not installed
    make_media(tmp_path / "in", 1)
    assert main(["batch", "inspect", str(tmp_path / "in"), "--out", str(tmp_path / "r.jsonl"), "--ray", "local"]) == 1
    err = capsys.readouterr().err
    assert "needs Ray, which is not installed" in err and "pip install 'studio-media[ray]'" in err
    assert not (tmp_path / "r.jsonl").exists()


def test_a_ray_address_that_does_not_answer_fails_fast_and_clearly(make_media, tmp_path, capsys):
    pytest.importorskip("ray")
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make_media(tmp_path / "in", 1)
    start = time.monotonic()
    code = main(["batch", "inspect", str(tmp_path / "in"), "--out", str(tmp_path / "r.jsonl"), "--ray",
                 f"127.0.0.1:{port}"])
    assert code == 1 and time.monotonic() - start < 20
    err = capsys.readouterr().err
    assert f"No Ray cluster answers at 127.0.0.1:{port}" in err and "Traceback" not in err
    assert main(["batch", "inspect", str(tmp_path / "in"), "--out", str(tmp_path / "r.jsonl"), "--ray",
                 "no-port-here"]) == 1
    assert "is not a Ray address" in capsys.readouterr().err


def test_ray_local_gives_the_same_rows_and_survives_a_crashing_actor(make_media, tmp_path):
    pytest.importorskip("ray")
    folder = tmp_path / "in"
    make_media(folder, 3)
    make_media(folder, 1, prefix="crash")
    out = tmp_path / "r.jsonl"
    result = studio("batch", "inspect", folder, "--out", out, "--workers", "2", "--ray", "local", "--json",
                    env=cli_env(CRASH_PLUGIN))
    assert result.returncode == 0, result.stderr
    rows = by_path(read_rows(out))
    assert len(rows) == 4 and json.loads(result.stdout)["crashed"] == 1
    assert "Ray worker died" in rows["crash-000.png"]["errors"][0]
    for name in ("img-000.png", "img-001.jpg", "img-002.png"):
        assert rows[name]["errors"] == [] and {"ela", "noise"} <= {s["id"] for s in rows[name]["signals"]}
        assert rows[name]["worker"].startswith("pid")


def test_cancel_keeps_the_rows_written(make_media, tmp_path):
    from studio.errors import Cancelled

    make_media(tmp_path / "in", 8)
    out = tmp_path / "r.jsonl"
    cancel = threading.Event()

    def progress(done, total, errors):
        if done >= 2:
            cancel.set()

    with pytest.raises(Cancelled):
        run_inspect(tmp_path / "in", out, workers=1, cancel=cancel, on_progress=progress)
    rows = read_rows(out)
    assert 2 <= len(rows) < 8
    summary = run_inspect(tmp_path / "in", out, workers=2, resume=True)
    assert summary.skipped == len(rows) and len(read_rows(out)) == 8


def test_the_progress_bar_shows_rate_eta_and_errors():
    import io

    from studio.batch.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar("inspect", 10, stream=stream, enabled=True)
    bar.started -= 5.0  # five seconds in
    bar.update(5, 1, force=True)
    line = stream.getvalue().strip("\r").strip()
    assert line.startswith("inspect [############............] 5/10  1.00 files/s  ETA 0:05  1 error")
    bar.finish()
    assert stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    ProgressBar("inspect", 3, stream=quiet, enabled=False).update(1, force=True)
    assert quiet.getvalue() == ""
