"""``studio models …``: list and inspect local models, choose folders, set device and memory options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.api import BadInputError, Command, PluginContext

from .engine import COMPILE_MODES
from .hashing import model_sha256
from .library import ModelLibrary, builtin_dir, inspect_model

FOLDER_KEYS = {"add": "model_dirs", "a1111": "a1111_dirs", "comfyui": "comfyui_dirs"}
BOOL_OPTIONS = ("allow_pickle", "attention_slicing", "vae_slicing", "vae_tiling", "channels_last", "fuse_qkv")


def _list_configure(parser: Any) -> None:
    parser.add_argument("--kind", choices=("checkpoint", "edit", "vae", "lora"),
                        help="only this kind (edit: InstructPix2Pix models for 'studio edit')")


def _list_run(args: Any, ctx: PluginContext) -> int:
    models = ModelLibrary(ctx.settings).scan()
    if args.kind:
        models = [m for m in models if m.kind == args.kind]
    if args.json:
        print(json.dumps([m.to_dict() for m in models], indent=2))
        return 0
    if not models:
        print("No models found. Add a folder with 'studio models folders --add PATH'.")
    for m in models:
        state = f"refused: {m.error}" if m.error else m.label
        print(f"{m.name:<32} {state}")
        print(f"{'':<32} {m.path} [{m.source}]")
    return 0


def _info_configure(parser: Any) -> None:
    parser.add_argument("model", metavar="PATH_OR_NAME", help="a model file, a diffusers folder, or a name")
    parser.add_argument("--no-hash", action="store_true", help="do not compute the SHA-256")


def _info_run(args: Any, ctx: PluginContext) -> int:
    settings = ctx.settings
    path = Path(args.model).expanduser()
    if path.exists():
        info = inspect_model(path, bool(settings.get("allow_pickle", False)))
    else:
        library = ModelLibrary(settings)
        found = [m for m in library.scan() if m.name.lower() == args.model.lower()]
        if not found:
            raise BadInputError(f"No model called '{args.model}'. See 'studio models list'.")
        if found[0].error:
            raise BadInputError(found[0].error)
        info = found[0]
    data = info.to_dict()
    if info.identity:
        data["details"] = info.identity.details
    if info.header is not None:
        data["tensors"] = len(info.header.tensors)
        data["parameters"] = info.header.parameters()
        data["dtypes"] = info.header.dtypes()
        data["metadata"] = {k: v for k, v in info.header.metadata.items() if len(v) < 200}
    if not args.no_hash:
        data["sha256"] = model_sha256(info.path)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    print(f"{info.name}: {info.label}")
    print(f"  path: {info.path}")
    for key in ("tensors", "parameters", "dtypes", "sha256", "details"):
        if key in data:
            print(f"  {key}: {data[key]}")
    return 0


def _folders_configure(parser: Any) -> None:
    parser.add_argument("--add", metavar="PATH", action="append", default=[], help="a folder of models")
    parser.add_argument("--a1111", metavar="ROOT", action="append", default=[],
                        help="an AUTOMATIC1111 installation (its models/Stable-diffusion, VAE and Lora folders)")
    parser.add_argument("--comfyui", metavar="ROOT", action="append", default=[],
                        help="a ComfyUI installation (its models/checkpoints, vae and loras folders)")
    parser.add_argument("--remove", metavar="PATH", action="append", default=[], help="stop searching a folder")


def _folders_run(args: Any, ctx: PluginContext) -> int:
    settings = ctx.settings
    changed = False
    for option, key in FOLDER_KEYS.items():
        for folder in getattr(args, option):
            path = Path(folder).expanduser().resolve()
            if not path.is_dir():
                raise BadInputError(f"{folder} is not a folder.")
            current = settings.setdefault(key, [])
            if str(path) not in current:
                current.append(str(path))
                changed = True
    for folder in args.remove:
        resolved = str(Path(folder).expanduser().resolve())
        for key in FOLDER_KEYS.values():
            if resolved in settings.get(key, []):
                settings[key].remove(resolved)
                changed = True
    if changed:
        ctx.save_settings()
    roots = [{"path": str(p), "source": s, "exists": p.is_dir()} for p, s, _k in ModelLibrary(settings).roots()]
    if args.json:
        print(json.dumps(roots, indent=2))
    else:
        for root in roots:
            print(f"{root['source']:<14} {root['path']}{'' if root['exists'] else '  (missing)'}")
    return 0


def _options_configure(parser: Any) -> None:
    import argparse

    for name in BOOL_OPTIONS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, action=argparse.BooleanOptionalAction,
                            default=None)
    parser.add_argument("--dtype", choices=("auto", "float16", "bfloat16", "float32"))
    parser.add_argument("--cpu-offload", dest="cpu_offload", choices=("none", "model", "sequential"))
    parser.add_argument("--compile", choices=COMPILE_MODES, help="torch.compile the denoiser (GPU)")
    parser.add_argument("--default", dest="default_model", metavar="PATH_OR_NAME",
                        help="the model used when none is given ('' for the built-in one)")
    parser.add_argument("--default-edit", dest="default_edit_model", metavar="PATH_OR_NAME",
                        help="the InstructPix2Pix model 'studio edit' uses when none is given")
    parser.add_argument("--cache-size", dest="cache_size", type=int, metavar="N",
                        help="how many models stay loaded (default 1)")


def _options_run(args: Any, ctx: PluginContext) -> int:
    settings = ctx.settings
    changed = False
    for name in (*BOOL_OPTIONS, "dtype", "cpu_offload", "compile", "default_model", "default_edit_model",
                 "cache_size"):
        value = getattr(args, name, None)
        if value is not None:
            if name in ("default_model", "default_edit_model") and value:  # refuse a name that does not resolve
                ModelLibrary(settings).resolve(value, "edit" if name == "default_edit_model" else "checkpoint")
            settings[name] = value
            changed = True
    if changed:
        ctx.save_settings()
    shown = {"builtin_models": str(builtin_dir())} | {k: v for k, v in settings.items()
                                                       if not k.endswith("_dirs")}
    if args.json:
        print(json.dumps(shown, indent=2))
    else:
        for key, value in shown.items():
            print(f"{key}: {value}")
    return 0


COMMANDS = [
    Command(("models", "list"), "list the local models Studio can find, with their types", _list_configure,
            _list_run),
    Command(("models", "info"), "identify a model file or folder and show its SHA-256", _info_configure, _info_run),
    Command(("models", "folders"), "show or change the folders searched for models (incl. AUTOMATIC1111, ComfyUI)",
            _folders_configure, _folders_run),
    Command(("models", "options"), "device, precision, memory and loading options of the diffusion engine",
            _options_configure, _options_run),
]
