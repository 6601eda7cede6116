"""The ``studio`` command: the GUI with no arguments, every plugin action as a sub-command.

Action commands are generated from the same declarations that drive the GUI
panels. Errors print one line and exit non-zero; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio import __version__
from studio.actions import INPUT_KINDS, Action, Command, Param
from studio.cli_media import (
    add_input_options,
    cmd_export,
    cmd_info,
    configure_export,
    configure_info,
    load_input,
    write_outputs,
)
from studio.errors import BadInputError, StudioError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(StudioError):
    pass


def _add_param(parser: argparse.ArgumentParser, param: Param, positional: bool) -> None:
    help_text = param.help or param.title
    if param.kind in ("int", "float"):
        bounds = []
        if param.minimum is not None:
            bounds.append(f"min {param.minimum:g}")
        if param.maximum is not None:
            bounds.append(f"max {param.maximum:g}")
        if bounds:
            help_text += f" ({', '.join(bounds)})"
    if param.default is not None and param.kind not in INPUT_KINDS:
        help_text += f" [default: {param.default}]"
    flag = "--" + param.name.replace("_", "-")
    if positional:
        parser.add_argument(param.name, metavar=param.name.upper(), help=help_text)
    elif param.kind == "bool":
        parser.add_argument(flag, dest=param.name, action=argparse.BooleanOptionalAction, default=None,
                            help=help_text)
    elif param.kind == "choice":
        parser.add_argument(flag, dest=param.name, choices=param.choices, default=None, help=help_text)
    elif param.repeat:
        parser.add_argument(flag, dest=param.name, metavar=param.metavar or "TEXT", action="append", default=None,
                            help=help_text + " (may be given several times)")
    else:
        metavar = param.metavar or {"int": "N", "float": "X", "image": "FILE", "mask": "FILE", "path": "PATH",
                                    "frame": "FILE", "clip": "VIDEO", "boxes": "JSON"}.get(param.kind, "TEXT")
        parser.add_argument(flag, dest=param.name, metavar=metavar, default=None, help=help_text)


def positional_params(action: Action) -> list[Param]:
    """The first required image input and the first required text become positional arguments."""
    chosen: list[Param] = []
    for kinds in (("text",), ("image", "frame", "clip")):
        for p in action.params:
            if p.kind in kinds and p.required:
                chosen.append(p)
                break
    return chosen


def build_parser(app: Any) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description="Studio: generate, edit, sign and verify media.")
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), help="compute device (overrides settings)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop window (the default with no command)")
    gui.add_argument("files", nargs="*", help="images or projects to open")
    gui.add_argument("--exit-after-show", action="store_true",
                     help="close the window as soon as it is shown (checks an installation starts; with "
                          "QT_QPA_PLATFORM=offscreen it needs no display)")
    gui.add_argument("--screenshot", metavar="PNG", help="with --exit-after-show: save the window as a picture first")

    plugins = sub.add_parser("plugins", help="list plugins, their versions and load errors")
    plugins.add_argument("--json", action="store_true")
    plugins.add_argument("--enable", metavar="NAME", help="enable a plugin (from the next start)")
    plugins.add_argument("--disable", metavar="NAME", help="disable a plugin (from the next start)")
    plugin_commands = plugins.add_subparsers(dest="plugins_command", metavar="COMMAND")
    install = plugin_commands.add_parser(
        "install", help="install plugin wheels into your plugin folder (kept across updates; nothing is downloaded)")
    install.add_argument("wheels", nargs="+", metavar="WHEEL", help="the plugin's .whl, and wheels it needs")
    install.add_argument("--json", action="store_true")
    uninstall = plugin_commands.add_parser("uninstall", help="remove a plugin you installed")
    uninstall.add_argument("name", metavar="NAME", help="the plugin's name or its distribution's")
    uninstall.add_argument("--json", action="store_true")

    doctor = sub.add_parser("doctor", help="report Python, torch, the device chosen and why, library versions, paths")
    doctor.add_argument("--json", action="store_true")

    from studio import inspection

    inspection.configure(sub.add_parser("inspect", help=inspection.HELP, description=inspection.HELP), app)
    from studio.batch import cli as batch_cli

    batch_cli.configure(sub.add_parser("batch", help=batch_cli.HELP, description=batch_cli.HELP), app)

    groups: dict[tuple[str, ...], Any] = {}

    def subparsers_for(path: tuple[str, ...]) -> Any:
        if not path:
            return sub
        if path not in groups:
            parent = subparsers_for(path[:-1])
            existing = parent.choices.get(path[-1]) if hasattr(parent, "choices") else None
            group_parser = existing or parent.add_parser(path[-1], help=f"{path[-1]} commands")
            groups[path] = group_parser.add_subparsers(dest=f"cmd_{len(path)}", metavar="COMMAND")
        return groups[path]

    for action in app.actions.values():
        path = action.cli_path
        p = subparsers_for(path[:-1]).add_parser(
            path[-1], help=action.title, description=action.description or action.title
        )
        positional = positional_params(action)
        for param in positional:
            _add_param(p, param, positional=True)
        for param in action.params:
            if param not in positional:
                _add_param(p, param, positional=False)
        add_input_options(p, action)
        p.add_argument("--out", "-o", metavar="FILE",
                       help="output file: a picture (.png, .jpg, .webp, .tif), a video (.mp4, .webm, .gif) "
                            "or boxes (.json), as the action makes")
        p.add_argument("--overlay", action="store_true", help="with boxes: also write the picture with them drawn")
        add_export_flags(p, app)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.set_defaults(_action=action)

    video = subparsers_for(("video",))
    info = video.add_parser("info", help="what a video holds: frames, fps, duration, size, codec, sound")
    configure_info(info)
    info.set_defaults(_core=cmd_info)
    export = video.add_parser("export", help="export a time range of a video (watermarked and signed by default)")
    configure_export(export, app)
    export.set_defaults(_core=cmd_export)

    for command in app.commands:
        c = subparsers_for(command.path[:-1]).add_parser(command.path[-1], help=command.help, description=command.help)
        command.configure(c)
        if not any(a.dest == "json" for a in c._actions):
            c.add_argument("--json", action="store_true", help="print the result as JSON")
        c.set_defaults(_command=command)
    return parser


def add_export_flags(parser: argparse.ArgumentParser, app: Any) -> None:
    """``--watermark/--no-watermark``, ``--sign/--no-sign``…: one flag per export step option."""
    seen = set()
    try:
        steps = app.export.steps()
    except StudioError:
        steps = []
    for step in steps:
        if step.option and step.option not in seen:
            seen.add(step.option)
            parser.add_argument(f"--{step.option.replace('_', '-')}", dest=f"export_{step.option}",
                                action=argparse.BooleanOptionalAction, default=None,
                                help=f"{step.name} on export (default: {'on' if step.default else 'off'})")


def _progress_printer(enabled: bool) -> Any:
    def show(job: Any) -> None:
        if not enabled or not job.total:
            return
        width = 24
        filled = int(width * job.step / job.total)
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if job.step >= job.total else ""
        sys.stderr.write(f"\r{job.action.title} [{bar}] {job.step}/{job.total} {job.message}"[:120] + end)
        sys.stderr.flush()

    return show


def run_action(app: Any, action: Action, args: argparse.Namespace) -> int:
    from studio.jobs import Job, JobState, execute

    values: dict[str, Any] = {}
    first_input: Path | None = None
    for param in action.params:
        raw = getattr(args, param.name, None)
        if param.kind in INPUT_KINDS:
            values[param.name] = None if raw is None else load_input(param, raw, args)
            if raw is not None and param.kind != "mask":
                first_input = first_input or Path(raw)
        else:
            values[param.name] = "\n".join(raw) if isinstance(raw, list) else raw
    job = Job(action=action, params=values)
    execute(job, app, _progress_printer(sys.stderr.isatty() or os.environ.get("STUDIO_PROGRESS") == "1"))
    if job.state == JobState.FAILED:
        raise CliError(job.error)
    if job.state == JobState.CANCELLED:
        raise CliError("Cancelled.")
    assert job.result is not None
    outputs = write_outputs(app, action, job.result, args, first_input, values)
    if args.json:
        print(json.dumps({"action": action.id, "outputs": outputs, "messages": job.result.messages,
                          "data": job.result.data}, indent=2, default=str))
    else:
        for message in job.result.messages:
            print(message)
        for item in outputs:
            if item.get("kind") == "boxes":
                print(f"wrote {item['path']} ({item['boxes']} boxes)" +
                      (f" and {item['overlay']}" if item.get("overlay") else ""))
            elif item.get("kind") == "clip":
                print(f"wrote {item['path']} ({item['size'][0]}×{item['size'][1]} {item['format']}, "
                      f"{item['frames']} frames at {item['fps']:g} fps)")
            elif "size" in item:
                print(f"wrote {item['path']} ({item['size'][0]}×{item['size'][1]} {item['format']})")
            else:
                print(f"wrote {item['path']}")
            for notice in item["notices"]:
                print(f"  note: {notice}")
    return EXIT_OK


def cmd_plugin_install(args: argparse.Namespace) -> int:
    from studio import plugininstall

    folder = plugininstall.plugins_dir()
    if args.plugins_command == "uninstall":
        name = plugininstall.uninstall(args.name, folder)
        if args.json:
            print(json.dumps({"uninstalled": name, "folder": str(folder)}))
        else:
            print(f"removed {name} from {folder}")
        return EXIT_OK
    done = plugininstall.install(args.wheels, folder)
    if args.json:
        print(json.dumps({"installed": done, "folder": str(folder)}, indent=2))
        return EXIT_OK
    for item in done:
        plugins = f" (plugins: {', '.join(item['plugins'])})" if item["plugins"] else " (a library)"
        replaced = f", replacing {item['replaced']}" if item["replaced"] else ""
        print(f"installed {item['name']} {item['version']}{plugins}{replaced}")
        if item["skipped"]:
            print(f"  note: its {', '.join(item['skipped'])} files are not installed (Studio loads only modules)")
    print(f"into {folder}; Studio loads them from its next start")
    return EXIT_OK


def cmd_plugins(app: Any, args: argparse.Namespace) -> int:
    if getattr(args, "plugins_command", None):
        return cmd_plugin_install(args)
    if args.enable or args.disable:
        name = args.enable or args.disable
        if name not in app.host.plugins:
            raise BadInputError(f"No plugin called '{name}'.")
        app.host.set_enabled(name, bool(args.enable))
        print(f"{name} {'enabled' if args.enable else 'disabled'} (from the next start)")
        return EXIT_OK
    infos = [info.to_dict() for info in app.host.plugins.values()]
    if args.json:
        print(json.dumps(infos, indent=2))
        return EXIT_OK
    for info in infos:
        state = "enabled" if info["enabled"] else "disabled"
        if info["error"]:
            state = "FAILED"
        origin = "built-in" if info["builtin"] else (info["distribution"] or "third-party")
        if info.get("user_installed"):
            origin += " (your plugin folder)"
        print(f"{info['name']:<20} {info['version'] or '-':<10} {state:<9} {origin}")
        if info["error"]:
            print(f"    error: {info['error']}")
        for fault in info["faults"]:
            print(f"    fault: {fault}")
    return EXIT_OK


def cmd_doctor(app: Any, args: argparse.Namespace) -> int:
    report = app.doctor()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return EXIT_OK
    torch = report["torch"]
    device = report["device"]
    print(f"Studio {report['studio']} on Python {report['python']} ({report['platform']})")
    if torch.get("installed"):
        build = f"CUDA {torch['cuda']}" if torch.get("cuda") else ("ROCm" if torch.get("hip") else "CPU")
        print(f"torch {torch['version']} ({build} build, {torch['threads']} threads)")
    else:
        print("torch: not installed")
    line = f"device: {device['device']} {device['dtype']} ({device['reason']})"
    if device.get("memory_total"):
        line += f", {device['memory_free'] / 2**30:.1f} of {device['memory_total'] / 2**30:.1f} GiB free"
    print(line)
    for name, version in report["libraries"].items():
        print(f"  {name:<24} {version or 'not installed'}")
    for key, value in report["paths"].items():
        print(f"{key} path: {value}")
    for plugin, facts in report.get("plugin_facts", {}).items():
        for key, value in facts.items():
            print(f"{plugin}.{key}: {value}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    if not argv or (argv[0] not in ("-h", "--help", "--version") and Path(argv[0]).suffix and Path(argv[0]).exists()):
        return _gui(argv)
    try:
        from studio.application import StudioApp

        device = None
        if "--device" in argv:
            i = argv.index("--device")
            device = argv[i + 1] if i + 1 < len(argv) else None
        app = StudioApp(device=device if device in ("auto", "cuda", "mps", "cpu") else None)
        parser = build_parser(app)
        args = parser.parse_args(argv)
        if args.command is None:
            return _gui([])
        if args.command == "gui":
            return _gui(args.files, app=app, exit_after_show=args.exit_after_show, screenshot=args.screenshot)
        if args.command == "plugins":
            return cmd_plugins(app, args)
        if args.command == "doctor":
            return cmd_doctor(app, args)
        core = getattr(args, "_core", None)
        if core is not None:
            return int(core(app, args) or 0)
        if args.command == "inspect":
            from studio import inspection

            return inspection.run(app, args)
        if args.command == "batch":
            from studio.batch import cli as batch_cli

            return batch_cli.run(app, args)
        action: Action | None = getattr(args, "_action", None)
        if action is not None:
            return run_action(app, action, args)
        command: Command | None = getattr(args, "_command", None)
        if command is not None:
            return int(command.run(args, app.host.context(command.plugin)) or 0)
        parser.parse_args([*argv, "--help"])
        return EXIT_USAGE
    except StudioError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("studio: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        if debug:
            raise
        print(f"studio: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_ERROR


def _gui(files: Sequence[str], **options: Any) -> int:
    from studio.gui.main import run_gui

    return run_gui(list(files), **options)


if __name__ == "__main__":
    raise SystemExit(main())
