"""Write a small wheel with the standard library only (the plugin-install tests and the smoke test use it).

    make_wheel(folder, "studio-hello", "1.0", {"studio_hello/__init__.py": HELLO_PLUGIN},
               entry_points={"hello": "studio_hello"})
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

# a complete plugin: one command, ``studio hello``, that prints a greeting
HELLO_PLUGIN = '''"""A tiny third-party plugin."""
from studio.api import Command, hookimpl

__version__ = "{version}"


def run(args, ctx):
    print("hello from a plugin wheel")
    return 0


@hookimpl
def studio_commands():
    return [Command(("hello",), "say hello", lambda parser: None, run)]
'''


def _hash(data: bytes) -> str:
    return "sha256=" + urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(folder: str | Path, name: str, version: str, files: dict[str, str | bytes],
               entry_points: dict[str, str] | None = None, requires: list[str] | None = None,
               tag: str = "py3-none-any") -> Path:
    """A wheel ``NAME-VERSION-TAG.whl`` in ``folder`` holding ``files`` and a correct RECORD."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    contents: dict[str, bytes] = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires or []]
    contents[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    wheel = f"Wheel-Version: 1.0\nGenerator: tinywheel\nRoot-Is-Purelib: true\nTag: {tag}\n"
    contents[f"{info}/WHEEL"] = wheel.encode()
    if entry_points:
        contents[f"{info}/entry_points.txt"] = (
            "[studio]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items())).encode()
    record = "".join(f"{path},{_hash(data)},{len(data)}\n" for path, data in contents.items())
    contents[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def hello_wheel(folder: str | Path, version: str = "1.0", requires: list[str] | None = None) -> Path:
    """The ``studio-hello`` plugin wheel (plugin ``hello``, command ``studio hello``)."""
    code = HELLO_PLUGIN.format(version=version)
    return make_wheel(folder, "studio-hello", version, {"studio_hello/__init__.py": code},
                      entry_points={"hello": "studio_hello"}, requires=requires)
