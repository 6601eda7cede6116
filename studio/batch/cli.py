"""``studio batch inspect`` and ``studio batch generate``: the command line of batches."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from studio.batch.progress import ProgressBar
from studio.errors import BadInputError, Cancelled

HELP = "inspect or generate many files at once, in parallel on this machine or on a Ray cluster"
INSPECT_HELP = ("evidence report of every file of a folder, a list file or a glob, into one Parquet or JSON Lines "
                "file (one row per file)")
GENERATE_HELP = "one generation per row of a CSV or JSON Lines file, each exported (watermark, credentials)"


def _workers(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of workers") from None
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1 worker")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", "-j", type=_workers, metavar="N",
                        help="parallel workers (default: one per core here; with --ray: that many actors)")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run as Ray tasks: 'local' starts Ray on this machine; HOST:PORT, ray://HOST:PORT or "
                             "'auto' joins a cluster (needs: pip install 'studio-media[ray]')")
    parser.add_argument("--resume", action="store_true",
                        help="continue an earlier run into the same output: what is done already is skipped")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def configure(parser: argparse.ArgumentParser, app: Any) -> None:
    sub = parser.add_subparsers(dest="batch_command", metavar="COMMAND")
    inspect = sub.add_parser("inspect", help=INSPECT_HELP, description=INSPECT_HELP)
    inspect.add_argument("input", metavar="INPUT", help="a folder (searched recursively), a list file or a glob")
    inspect.add_argument("--out", "-o", metavar="RESULTS", required=True,
                         help="results file: .parquet or .jsonl (rows are appended as files finish)")
    inspect.add_argument("--html", metavar="OUT.html", help="also write an HTML summary (sortable, with thumbnails)")
    inspect.add_argument("--timeout", type=float, metavar="SECONDS",
                         help="stop a worker that spends longer than this on one file; the file gets an error row "
                              "(local workers; default: no limit)")
    _common(inspect)
    generate = sub.add_parser("generate", help=GENERATE_HELP, description=GENERATE_HELP)
    generate.add_argument("prompts", metavar="PROMPTS", help="a .csv (with a header line) or .jsonl file, one "
                          "generation a row: prompt, model, seed, steps, size, … and optionally name")
    generate.add_argument("--out", "-o", metavar="DIR", required=True, help="the folder for the pictures")
    _common(generate)
    from studio.cli import add_export_flags

    add_export_flags(generate, app)


def progress_enabled() -> bool:
    return sys.stderr.isatty() or os.environ.get("STUDIO_PROGRESS") == "1"


def run(app: Any, args: argparse.Namespace) -> int:
    command = getattr(args, "batch_command", None)
    if command is None:
        raise BadInputError("Say what to do: 'studio batch inspect INPUT --out RESULTS' or "
                            "'studio batch generate PROMPTS --out DIR'.")
    if args.ray:
        from studio.batch.raypool import import_ray, split_address

        split_address(args.ray)
        import_ray()
    bar: ProgressBar | None = None

    def progress(done: int, total: int, errors: int) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(command, total, enabled=progress_enabled())
        bar.update(done, errors)

    try:
        if command == "inspect":
            return _inspect(args, progress)
        return _generate(app, args, progress)
    except (Cancelled, KeyboardInterrupt):
        print(f"\nstudio: cancelled; the rows written so far are kept (run again with --resume to go on: "
              f"{args.out})", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.finish()


def _inspect(args: argparse.Namespace, progress: Any) -> int:
    from studio.batch.runner import run_inspect

    summary = run_inspect(args.input, args.out, workers=args.workers, ray=args.ray, resume=args.resume,
                          html=args.html, on_progress=progress, timeout=args.timeout)
    if args.json:
        print(json.dumps({"results": str(summary.results), "files": summary.total, "skipped": summary.skipped,
                          "done": summary.done, "errors": summary.errors, "crashed": summary.crashed,
                          "seconds": round(summary.seconds, 3), "files_per_second": round(summary.rate, 4),
                          "html": str(summary.html) if summary.html else None}, indent=2))
    else:
        print(summary.line())
        if summary.html:
            print(f"summary: {summary.html}")
    return 0


def _generate(app: Any, args: argparse.Namespace, progress: Any) -> int:
    from studio.batch.generate import run_generate
    from studio.export import export_options

    options = export_options(args, app)
    summary = run_generate(args.prompts, args.out, workers=args.workers, ray=args.ray, resume=args.resume,
                           export=options, device=args.device, on_progress=progress)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        text = f"{summary['done']} generation(s) in {summary['seconds']:.1f} s"
        if summary["skipped"]:
            text += f", {summary['skipped']} already done"
        if summary["errors"]:
            text += f", {summary['errors']} with errors"
        print(text + f"; results in {summary['results']}")
        for path in summary["outputs"]:
            print(f"wrote {path}")
    return 0
