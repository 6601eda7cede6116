"""``studio batch inspect``: the evidence report of many files, in parallel, into one results file.

The parent process gathers the files, skips those already in the results file with the same SHA-256
(``--resume``), hands the rest to a pool (:class:`~studio.batch.pool.LocalPool`, or
:class:`~studio.batch.raypool.RayPool` with ``--ray``) and appends each row as it comes back. The
command line and the window's Batch panel both call :func:`run_inspect`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.batch.inputs import gather
from studio.batch.pool import LocalPool, Outcome, WorkerSpec
from studio.batch.results import ResultsFile
from studio.batch.tasks import empty_row
from studio.errors import BadInputError, Cancelled
from studio.imageio import sha256_file

INSPECT = WorkerSpec("studio.batch.tasks:inspect_setup", "studio.batch.tasks:inspect_one")


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class BatchSummary:
    results: Path
    total: int = 0
    skipped: int = 0
    done: int = 0
    errors: int = 0
    crashed: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    html: Path | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        text = (f"{self.done} file{'s' if self.done != 1 else ''} inspected in {self.seconds:.1f} s "
                f"({self.rate:.2f} files/s)")
        if self.skipped:
            text += f", {self.skipped} already done"
        if self.errors:
            text += f", {self.errors} with errors"
        if self.crashed:
            text += f" ({self.crashed} crashed a worker)"
        return text + f"; results in {self.results}"


def make_pool(spec: WorkerSpec, workers: int, ray: str | None, timeout: float | None = None) -> Any:
    if ray:
        from studio.batch.raypool import RayPool

        return RayPool(spec, workers, ray)
    return LocalPool(spec, workers, timeout=timeout)


def plan(files: list[Path], done_rows: list[dict[str, Any]]) -> tuple[list[Path], int]:
    """The files still to do: a file whose path and SHA-256 are in a row already is skipped.

    Rows without a hash (a file that could not be read) are done again: the file may be back.
    """
    by_path: dict[str, set[str]] = {}
    for row in done_rows:
        if row.get("sha256"):
            by_path.setdefault(str(row["path"]), set()).add(str(row["sha256"]))
    todo: list[Path] = []
    skipped = 0
    for path in files:
        hashes = by_path.get(str(path))
        if hashes:
            try:
                if sha256_file(path) in hashes:
                    skipped += 1
                    continue
            except OSError:
                pass  # gone or unreadable now: done again, the worker records why
        todo.append(path)
    return todo, skipped


def crash_row(outcome: Outcome) -> dict[str, Any]:
    """The row of a file whose worker died: its hash and size from here, so ``--resume`` does not retry it."""
    path = Path(str(outcome.payload["path"]))
    row = empty_row(str(path))
    row["errors"] = [outcome.error]
    row["worker"] = outcome.worker
    row["seconds"] = round(outcome.seconds, 4)
    try:
        row["size"] = path.stat().st_size
        row["sha256"] = sha256_file(path)
    except OSError:
        pass
    return row


def open_results(out: Path, resume: bool) -> ResultsFile:
    results = ResultsFile(out)
    if results.exists() and not resume:
        raise BadInputError(f"{out} exists already.",
                            "Add --resume to continue it (files done already are skipped), or choose another --out.")
    if resume:
        results.load()
    return results


def run_inspect(source: str | Path, out: str | Path, workers: int | None = None, ray: str | None = None,
                resume: bool = False, html: str | Path | None = None, cancel: threading.Event | None = None,
                on_progress: Callable[[int, int, int], None] | None = None,
                config: dict[str, Any] | None = None, timeout: float | None = None) -> BatchSummary:
    """Inspect every file of ``source`` into ``out``; ``on_progress(done, to_do, errors)`` after each file.

    ``timeout``: seconds one file may take in the local pool before its worker is stopped and the file
    recorded as an error (None: no limit).

    Raises :class:`studio.errors.Cancelled` when ``cancel`` is set (the rows written so far are kept and the
    results file is finished); every other failure leaves the rows written so far in place too.
    """
    out = Path(out)
    results = open_results(out, resume)
    files = gather(source)
    todo, skipped = plan(files, results.rows)
    workers = workers or default_workers()
    summary = BatchSummary(results=out, total=len(files), skipped=skipped)
    spec = WorkerSpec(INSPECT.setup, INSPECT.work, {"threads": 1, **(config or {})})
    start = time.monotonic()
    results.open()
    try:
        if on_progress is not None:
            on_progress(0, len(todo), 0)
        if todo:
            pool = make_pool(spec, min(workers, len(todo)), ray, timeout)
            for outcome in pool.run(((str(p), {"path": str(p)}) for p in todo), cancel):
                row = outcome.value if outcome.value is not None else crash_row(outcome)
                if outcome.value is not None and outcome.error:
                    row["errors"].append(outcome.error)
                results.append(row)
                summary.done += 1
                summary.errors += bool(row.get("errors"))
                summary.crashed += outcome.crashed
                if on_progress is not None:
                    on_progress(summary.done, len(todo), summary.errors)
    except (Cancelled, KeyboardInterrupt):
        summary.cancelled = True
        raise
    finally:
        summary.seconds = time.monotonic() - start
        results.close()
        if html is not None:
            from studio.batch.report import write_html

            summary.html = Path(html)
            write_html(summary.html, results.all_rows(), title=f"Batch: {source}")
    return summary
