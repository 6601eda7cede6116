"""``studio batch generate PROMPTS --out DIR``: one generation per row of a CSV or JSON Lines file.

Each row names the ``generate`` action's parameters (``prompt``, ``model``, ``seed``, ``steps``, ``size``,
``scheduler``, ``guidance``, ``negative_prompt``, ``vae``, ``lora``, ``init``, ``mask``, ``strength``…), and
optionally ``name``, the output file's name (its suffix picks the format; default ``NNNN-prompt.png``).
Each worker keeps its application, and so the diffusion plugin's loaded pipeline, from row to row; every
picture is written by the same code as ``studio generate --out`` (the export pipeline: watermark, Content
Credentials, the record). One row per generation goes to ``DIR/batch-results.jsonl`` as it finishes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.batch.pool import WorkerSpec
from studio.batch.results import ResultsFile
from studio.errors import BadInputError, Cancelled, StudioError

SCHEMA = "studio.batch.generate/1"
RESULTS_NAME = "batch-results.jsonl"
GENERATE = WorkerSpec("studio.batch.generate:generate_setup", "studio.batch.generate:generate_one")
NAME_KEYS = ("name", "out", "output", "file")


def read_prompts(path: Path) -> list[dict[str, Any]]:
    """The rows of a ``.csv`` (a header line naming the columns) or ``.jsonl`` (one object a line) file."""
    from studio.imageio import check_file

    check_file(path, "a CSV or JSON Lines file of prompts")
    suffix = path.suffix.lower()
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError(f"{path.name} is not UTF-8 text.") from None
    if suffix == ".csv":
        for row in csv.DictReader(text.splitlines()):
            rows.append({str(k).strip(): v.strip() for k, v in row.items()
                         if k is not None and v is not None and v.strip() != ""})
    elif suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"Line {number} of {path.name} is not JSON ({exc.msg}).") from None
            if not isinstance(item, dict):
                raise BadInputError(f"Line {number} of {path.name} is not an object of parameters.")
            rows.append({k: v for k, v in item.items() if v is not None and v != ""})
    else:
        raise BadInputError(f"Prompts come in a .csv or .jsonl file, not '{path.name}'.")
    if not rows:
        raise BadInputError(f"{path.name} holds no rows to generate.")
    for number, row in enumerate(rows, 1):
        if not str(row.get("prompt", "")).strip():
            raise BadInputError(f"Row {number} of {path.name} has no prompt.")
    return rows


def output_name(index: int, row: dict[str, Any]) -> str:
    for key in NAME_KEYS:
        if row.get(key):
            name = Path(str(row[key])).name  # never outside the output folder
            return name if Path(name).suffix else name + ".png"
    words = re.sub(r"[^a-z0-9]+", "-", str(row.get("prompt", "")).lower()).strip("-")[:40] or "image"
    return f"{index + 1:04d}-{words}.png"


# -- in the workers --------------------------------------------------------------------------------


def generate_setup(config: dict[str, Any]) -> dict[str, Any]:
    from studio.application import StudioApp
    from studio.batch.tasks import limit_torch_threads

    limit_torch_threads(int(config.get("threads", 1)))
    app = StudioApp(device=config.get("device"))
    return {"app": app, "config": config, "pid": os.getpid()}


def generate_one(state: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    start = time.perf_counter()
    row: dict[str, Any] = {"index": payload["index"], "prompt": payload["row"].get("prompt"),
                           "params": payload["row"], "outputs": [], "errors": [],
                           "worker": f"pid {state['pid']}"}
    try:
        if state["config"].get("return_files"):
            with tempfile.TemporaryDirectory(prefix="studio-batch-") as folder:
                _generate(state, payload, Path(folder), row)
                row["files"] = {Path(o["path"]).name: Path(o["path"]).read_bytes() for o in row["outputs"]}
        else:
            _generate(state, payload, Path(state["config"]["out"]), row)
    except StudioError as exc:
        row["errors"].append(str(exc))
    except Exception as exc:  # noqa: BLE001 - one row's failure, the batch goes on
        row["errors"].append(f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def _generate(state: dict[str, Any], payload: dict[str, Any], folder: Path, row: dict[str, Any]) -> None:
    from studio.actions import INPUT_KINDS
    from studio.cli_media import load_input, write_outputs
    from studio.jobs import Job, JobState, execute

    app = state["app"]
    action = app.action(state["config"].get("action", "generate"))
    given = {k: v for k, v in payload["row"].items() if k not in NAME_KEYS}
    unknown = sorted(set(given) - {p.name for p in action.params})
    if unknown:
        raise BadInputError(f"unknown column(s) {', '.join(unknown)}; {action.title} takes "
                            f"{', '.join(p.name for p in action.params)}.")
    export = state["config"].get("export", {})
    args = argparse.Namespace(out=str(folder / payload["name"]), overlay=False, json=False,
                              **{f"export_{k}": v for k, v in export.items()})
    values: dict[str, Any] = {}
    for param in action.params:
        raw = given.get(param.name)
        if param.kind in INPUT_KINDS:
            values[param.name] = None if raw is None else load_input(param, str(raw), args)
        elif raw is not None:
            values[param.name] = raw
    job = Job(action=action, params=values)
    execute(job, app)
    if job.state == JobState.FAILED:
        raise BadInputError(job.error)
    if job.state != JobState.FINISHED or job.result is None:
        raise BadInputError("the generation did not finish")
    row["outputs"] = write_outputs(app, action, job.result, args, None, values)


# -- in the parent ---------------------------------------------------------------------------------


def run_generate(prompts: str | Path, out: str | Path, workers: int | None = None, ray: str | None = None,
                 resume: bool = False, export: dict[str, Any] | None = None, device: str | None = None,
                 cancel: threading.Event | None = None,
                 on_progress: Callable[[int, int, int], None] | None = None) -> dict[str, Any]:
    from studio.atomic import atomic_write_bytes
    from studio.batch.runner import default_workers, make_pool

    rows = read_prompts(Path(prompts))
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise BadInputError(f"{folder} is a file; batch generate writes into a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    results = ResultsFile(folder / RESULTS_NAME, SCHEMA)
    if results.exists() and not resume:
        raise BadInputError(f"{results.path} exists already: {folder} holds an earlier batch.",
                            "Add --resume to continue it (rows done already are skipped), or choose another --out.")
    done = {int(r["index"]) for r in results.load() if not r.get("errors")} if resume else set()
    todo = [(i, r) for i, r in enumerate(rows) if i not in done]
    cores = default_workers()
    workers = max(1, min(workers or cores, len(todo) or 1))
    config = {"out": str(folder), "export": dict(export or {}), "device": device,
              "threads": max(1, cores // workers), "return_files": bool(ray and ray != "local")}
    summary: dict[str, Any] = {"results": str(results.path), "rows": len(rows), "skipped": len(rows) - len(todo),
                               "done": 0, "errors": 0, "outputs": []}
    start = time.monotonic()
    results.open()
    try:
        if on_progress is not None:
            on_progress(0, len(todo), 0)
        if todo:
            pool = make_pool(WorkerSpec(GENERATE.setup, GENERATE.work, config), workers, ray)
            tasks = ((i, {"index": i, "row": r, "name": output_name(i, r)}) for i, r in todo)
            for outcome in pool.run(tasks, cancel):
                if outcome.value is not None:
                    result = outcome.value
                else:
                    result = {"index": outcome.key, "prompt": outcome.payload["row"].get("prompt"),
                              "params": outcome.payload["row"], "outputs": [], "errors": [],
                              "worker": outcome.worker, "seconds": round(outcome.seconds, 3)}
                if outcome.error:
                    result["errors"].append(outcome.error)
                for name, data in (result.pop("files", None) or {}).items():
                    atomic_write_bytes(folder / name, data)  # from a remote worker
                    for item in result["outputs"]:
                        if Path(item["path"]).name == name:
                            item["path"] = str(folder / name)
                results.append(result)
                summary["done"] += 1
                summary["errors"] += bool(result["errors"])
                summary["outputs"] += [o["path"] for o in result["outputs"]]
                if on_progress is not None:
                    on_progress(summary["done"], len(todo), summary["errors"])
    except (Cancelled, KeyboardInterrupt):
        summary["cancelled"] = True
        raise
    finally:
        summary["seconds"] = round(time.monotonic() - start, 2)
        results.close()
    return summary
