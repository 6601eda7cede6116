"""A batch inspection as a job of the window's queue: progress per file, Cancel, the summary at the end.

The window's Batch panel submits ``Job(batch_action(), {"folder": …, "out": …})`` to its job runner like
any action; the batch itself runs in worker processes (:func:`studio.batch.runner.run_inspect`), and the
job's thread only waits for rows and reports them. No Qt here.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from studio.actions import Action, ActionResult, Param, Progress

ACTION_ID = "batch.inspect"


def default_output(folder: str | Path) -> Path:
    """Where a batch of the window goes: ``DATA/batches/FOLDER-NAME-YYYYmmdd-HHMMSS/results.jsonl``."""
    from studio.settings import data_dir

    stamp = time.strftime("%Y%m%d-%H%M%S")
    return data_dir() / "batches" / f"{Path(folder).name or 'batch'}-{stamp}" / "results.jsonl"


def _run(ctx: Any, params: dict[str, Any]) -> Generator[Progress, None, ActionResult]:
    from studio.batch.runner import run_inspect

    out = Path(params["out"] or default_output(params["folder"]))
    html = Path(params["html"]) if params.get("html") else out.with_name("summary.html")

    def progress(done: int, total: int, errors: int) -> None:
        ctx.progress(done, total, f"{done} of {total} files" + (f", {errors} with errors" if errors else ""))

    summary = run_inspect(params["folder"], out, workers=params.get("workers") or None, resume=bool(params["resume"]),
                          html=html, cancel=ctx.job.cancel_event, on_progress=progress)
    if False:  # pragma: no cover - a generator, as every action's run is; progress comes through ctx.progress
        yield Progress(0, 0)
    return ActionResult(messages=[summary.line()],
                        data={"results": str(summary.results), "html": str(summary.html), "done": summary.done,
                              "skipped": summary.skipped, "errors": summary.errors, "files": summary.total})


def batch_action() -> Action:
    return Action(
        id=ACTION_ID, title="Batch verify", run=_run, c2pa_action="",
        description="The evidence report of every picture and video of a folder, into one results file and an "
                    "HTML summary",
        params=(Param("folder", "path", required=True, help="the folder to verify (with its sub-folders)"),
                Param("out", "path", "", help="the results file (.jsonl or .parquet); empty: a new one in the "
                                              "data folder"),
                Param("html", "path", "", help="the HTML summary; empty: summary.html beside the results"),
                Param("workers", "int", 0, minimum=0, maximum=256, help="parallel workers (0: one per core)"),
                Param("resume", "bool", False, help="continue the results file: files done already are skipped")),
        job_title=lambda params, result: f"Batch verify: {Path(str(params.get('folder', ''))).name}",
    )
