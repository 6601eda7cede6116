"""Third-party plugin wheels in the user's plugin folder (``studio plugins install WHEEL``).

The folder is ``$STUDIO_PLUGINS_DIR`` or ``plugins`` in Studio's data folder (``~/.local/share/studio/plugins``
on Linux, ``%LOCALAPPDATA%\\studio\\plugins`` on Windows, ``~/Library/Application Support/studio/plugins`` on
macOS): outside the program, so an update of Studio (a new bundle, a new installer) keeps the plugins. At start
the folder is added to the end of ``sys.path`` (:func:`activate`), so a plugin's ``studio`` entry points are found
like those of an installed distribution and its modules can never shadow the app's own.

Installing is done here rather than by pip, which a desktop build does not carry, and downloads nothing: a
plugin's requirements must be met by what Studio ships (at versions the plugin accepts) or by wheels given in the
same command. A wheel is checked before anything is written (a zip whose files match their RECORD hashes, a name
and tags for this Python and platform, no file outside its folder, no module Studio already has) and then
appears in the folder all at once.
"""

from __future__ import annotations

import configparser
import email.parser
import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
import tempfile
import zipfile
import zlib
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from studio import ENTRY_POINT_GROUP
from studio.errors import BadInputError
from studio.settings import data_dir

PLUGINS_ENV = "STUDIO_PLUGINS_DIR"
_ACTIVE: list[str] = []  # the folder this process added to sys.path


class PluginInstallError(BadInputError):
    """A wheel that cannot be installed, or a plugin folder that cannot be written."""


def plugins_dir() -> Path:
    """The user's plugin folder (it may not exist yet)."""
    override = os.environ.get(PLUGINS_ENV)
    return Path(override) if override else data_dir() / "plugins"


def activate(folder: Path | None = None) -> Path:
    """Put the plugin folder at the end of ``sys.path`` (replacing one this process added before)."""
    folder = folder or plugins_dir()
    entry = str(folder)
    for old in _ACTIVE:
        if old != entry and old in sys.path:
            sys.path.remove(old)
    _ACTIVE[:] = [entry]
    if folder.is_dir() and entry not in sys.path:
        sys.path.append(entry)
    importlib.invalidate_caches()
    return folder


def is_user_installed(dist: importlib.metadata.Distribution | None, folder: Path | None = None) -> bool:
    """Whether ``dist`` lives in the user's plugin folder."""
    if dist is None:
        return False
    try:
        base = Path(str(dist.locate_file(""))).resolve()
    except (OSError, TypeError, NotImplementedError):
        return False
    return base == (folder or plugins_dir()).resolve()


def canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


@dataclass
class Wheel:
    """What a wheel holds, read and checked without writing anything."""

    path: Path
    name: str
    version: str
    dist_info: str
    requires: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)  # its entry points in the ``studio`` group
    top_level: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)  # .data folders that are not installed (scripts, headers)

    @property
    def key(self) -> str:
        return canonical(self.name)


def _damaged(path: Path, why: str) -> PluginInstallError:
    return PluginInstallError(f"{path.name} is not a usable wheel: {why}.",
                              "Download or build the plugin again; nothing was installed.")


def _record_hash(data: bytes) -> str:
    return "sha256=" + urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def read_wheel(path: str | Path) -> Wheel:
    """Check ``path`` is a sound wheel for this interpreter and say what it holds."""
    from packaging.tags import sys_tags
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    path = Path(path)
    if not path.is_file():
        raise PluginInstallError(f"{path} does not exist." if not path.exists() else f"{path} is not a file.")
    try:
        name, version, _build, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename:
        raise PluginInstallError(f"{path.name} is not a wheel: a plugin comes as NAME-VERSION-PY-ABI-PLATFORM.whl.",
                                 "Build one with 'python -m build --wheel' in the plugin's folder.") from None
    supported = set(sys_tags())
    if not any(tag in supported for tag in tags):
        built_for = ", ".join(sorted(str(t) for t in tags))
        raise PluginInstallError(f"{path.name} is built for {built_for}, not for this Studio "
                                 f"(Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}).",
                                 "Install the plugin's wheel for this platform, or a pure-Python one (py3-none-any).")
    try:
        with zipfile.ZipFile(path) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise _damaged(path, f"the archive cannot be read ({exc})") from None
    except OSError as exc:
        raise PluginInstallError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    for member in files:
        parts = PurePosixPath(member).parts
        if member.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise _damaged(path, f"it would write outside its folder ({member})")
    dist_infos = {PurePosixPath(m).parts[0] for m in files if PurePosixPath(m).parts[0].endswith(".dist-info")}
    dist_info = next((d for d in dist_infos if canonical(d[: -len(".dist-info")].rsplit("-", 1)[0]) == name), None)
    if dist_info is None or len(dist_infos) != 1:
        raise _damaged(path, f"it has {len(dist_infos)} .dist-info folders, not one for {name}")
    for needed in ("METADATA", "WHEEL", "RECORD"):
        if f"{dist_info}/{needed}" not in files:
            raise _damaged(path, f"{dist_info}/{needed} is missing")
    _check_record(path, files, f"{dist_info}/RECORD")
    wheel_meta = email.parser.Parser().parsestr(files[f"{dist_info}/WHEEL"].decode("utf-8", "replace"))
    if str(wheel_meta.get("Wheel-Version", "")).split(".")[0] != "1":
        raise _damaged(path, f"wheel format {wheel_meta.get('Wheel-Version')} is not supported")
    meta = email.parser.Parser().parsestr(files[f"{dist_info}/METADATA"].decode("utf-8", "replace"))
    wheel = Wheel(path=path, name=str(meta.get("Name") or name), version=str(meta.get("Version") or version),
                  dist_info=dist_info, requires=[str(r) for r in meta.get_all("Requires-Dist") or []])
    entry_points = files.get(f"{dist_info}/entry_points.txt")
    if entry_points:
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(entry_points.decode("utf-8"))
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise _damaged(path, f"its entry_points.txt cannot be read ({exc})") from None
        if parser.has_section(ENTRY_POINT_GROUP):
            wheel.plugins = sorted(parser.options(ENTRY_POINT_GROUP))
    data_prefix = dist_info[: -len(".dist-info")] + ".data/"
    for member in files:
        if member.startswith(data_prefix):
            kind, _, rest = member[len(data_prefix):].partition("/")
            if kind in ("purelib", "platlib"):
                member = rest
            else:
                if kind not in wheel.skipped:
                    wheel.skipped.append(kind)
                continue
        top = PurePosixPath(member).parts[0]
        if top.endswith(".dist-info"):
            continue
        wheel.top_level.add(top.split(".")[0] if "." in top and "/" not in member else top)
    return wheel


def _check_record(path: Path, files: dict[str, bytes], record_name: str) -> None:
    import csv
    import io

    try:
        rows = list(csv.reader(io.StringIO(files[record_name].decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _damaged(path, f"its RECORD cannot be read ({exc})") from None
    listed = {}
    for row in rows:
        if row and row[0]:
            listed[row[0]] = row[1] if len(row) > 1 else ""
    for member, data in files.items():
        if member == record_name or member.endswith((".dist-info/RECORD.jws", ".dist-info/RECORD.p7s")):
            continue
        expected = listed.get(member)
        if expected is None:
            raise _damaged(path, f"{member} is not listed in its RECORD")
        if not expected.startswith("sha256="):
            raise _damaged(path, f"{member} has no sha256 hash in its RECORD")
        if _record_hash(data) != expected:
            raise _damaged(path, f"{member} does not match its RECORD hash (the file was changed or damaged)")
    missing = [m for m in listed if m not in files and not m.endswith("/")]
    if missing:
        raise _damaged(path, f"{missing[0]} is listed in its RECORD but missing")


def _installed(folder: Path) -> dict[str, importlib.metadata.Distribution]:
    if not folder.is_dir():
        return {}
    importlib.invalidate_caches()  # importlib.metadata caches a folder's listing by its mtime, which is coarse
    return {canonical(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(folder)])
            if d.metadata["Name"]}


def _shipped(folder: Path) -> dict[str, str]:
    """The distributions Studio runs with (everything importable but the user's plugin folder): name → version."""
    shipped: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and not is_user_installed(dist, folder):
            shipped.setdefault(canonical(name), dist.version)
    return shipped


def check(wheels: list[Wheel], folder: Path) -> None:
    """Refuse a batch that would clash with Studio or lack a requirement (nothing is written here)."""
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement

    shipped = _shipped(folder)
    batch = {w.key: w for w in wheels}
    installed = {k: d.version for k, d in _installed(folder).items() if k not in batch}
    needed_by_batch: dict[str, str] = {}
    env = {key: str(value) for key, value in default_environment().items()} | {"extra": ""}
    for wheel in wheels:
        if wheel.key in shipped:
            raise PluginInstallError(f"{wheel.path.name} is {wheel.name}, which is part of Studio itself "
                                     f"(version {shipped[wheel.key]}); a plugin cannot replace it.")
        for top in sorted(wheel.top_level):
            origin = _module_origin(top)
            if origin is not None and not origin.startswith(str(folder.resolve())):
                raise PluginInstallError(f"{wheel.path.name} contains '{top}', a module Studio already has "
                                         f"({origin}); installing it would change the app.",
                                         "Ask the plugin's author to ship the plugin without it.")
        for line in wheel.requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                raise _damaged(wheel.path, f"its requirement '{line}' cannot be read") from None
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            key = canonical(req.name)
            needed_by_batch[key] = wheel.name
            if key in batch:
                have, where = batch[key].version, f"{batch[key].path.name}"
            elif key in shipped:
                have, where = shipped[key], "Studio"
            elif key in installed:
                have, where = installed[key], "an installed plugin"
            else:
                raise PluginInstallError(
                    f"{wheel.path.name} needs {req}, which Studio does not include.",
                    f"Give its wheel in the same command: studio plugins install {wheel.path.name} "
                    f"{req.name}-VERSION-py3-none-any.whl (Studio downloads nothing).",
                    window_hint="Choose its wheel together with the plugin's (Studio downloads nothing).")
            if req.specifier and not req.specifier.contains(have, prereleases=True):
                hint = (f"A plugin cannot change the app's own packages; ask for a version of {wheel.name} that "
                        f"works with {req.name} {have}." if where == "Studio" else "")
                raise PluginInstallError(f"{wheel.path.name} needs {req}, but {where} has {req.name} {have}.", hint)
    for wheel in wheels:
        if not wheel.plugins and wheel.key not in needed_by_batch:
            raise PluginInstallError(f"{wheel.path.name} is not a Studio plugin: it declares no entry point in the "
                                     f"'{ENTRY_POINT_GROUP}' group.",
                                     "Give a library wheel together with the plugin that needs it.")


def _module_origin(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return str(Path(spec.origin).resolve())
    locations = list(spec.submodule_search_locations or [])
    return str(Path(locations[0]).resolve()) if locations else (spec.origin or name)


def _writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise PluginInstallError(
            f"Cannot write to the plugin folder {folder}: {exc.strerror or exc}.",
            f"Give yourself write permission there, or set {PLUGINS_ENV} to a folder you can write to (and keep it "
            "set when you start Studio). Nothing was installed.") from None


def _remove(dist: importlib.metadata.Distribution, folder: Path) -> None:
    root = folder.resolve()
    info_dir = Path(str(getattr(dist, "_path", ""))).resolve()  # PathDistribution's .dist-info folder
    dirs: set[Path] = set()
    for item in dist.files or []:
        target = Path(str(dist.locate_file(item))).resolve()
        if root not in target.parents:
            continue  # never outside the plugin folder, whatever a RECORD says
        target.unlink(missing_ok=True)
        dirs.update(p for p in target.parents if root in p.parents)
    for directory in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        pycache = directory / "__pycache__"
        if pycache.is_dir():
            shutil.rmtree(pycache, ignore_errors=True)
        try:
            directory.rmdir()
        except OSError:
            pass  # not empty: shared with another distribution
    if info_dir.parent == root and info_dir.name.endswith(".dist-info"):
        shutil.rmtree(info_dir, ignore_errors=True)  # with what was written beside the RECORD (INSTALLER)


def _unpack(wheel: Wheel, staging: Path) -> None:
    data_prefix = wheel.dist_info[: -len(".dist-info")] + ".data/"
    with zipfile.ZipFile(wheel.path) as archive:
        for info in archive.infolist():
            member = info.filename
            if info.is_dir():
                continue
            if member.startswith(data_prefix):
                kind, _, rest = member[len(data_prefix):].partition("/")
                if kind not in ("purelib", "platlib"):
                    continue
                member = rest
            target = staging.joinpath(*PurePosixPath(member).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
    (staging / wheel.dist_info / "INSTALLER").write_text("studio\n", encoding="utf-8")


def install(paths: list[str | Path], folder: Path | None = None) -> list[dict[str, Any]]:
    """Check every wheel, then install them into the plugin folder; returns what was installed."""
    if not paths:
        raise PluginInstallError("Name at least one wheel (.whl) to install.")
    folder = folder or plugins_dir()
    wheels = [read_wheel(p) for p in paths]
    keys = [w.key for w in wheels]
    if len(set(keys)) != len(keys):
        raise PluginInstallError("The same distribution is given twice; give one wheel of each.")
    check(wheels, folder)
    _writable(folder)
    installed = _installed(folder)
    done = []
    for wheel in wheels:
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=folder))
        try:
            _unpack(wheel, staging)
            previous = installed.get(wheel.key)
            replaced = previous.version if previous is not None else None
            if previous is not None:
                _remove(previous, folder)
            for item in staging.iterdir():
                dest = folder / item.name
                if dest.is_dir() and item.is_dir():
                    shutil.copytree(item, dest, dirs_exist_ok=True)  # a namespace package shared with another
                else:
                    if dest.is_dir():
                        shutil.rmtree(dest)
                    os.replace(item, dest)
        except OSError as exc:
            raise PluginInstallError(f"Installing {wheel.path.name} into {folder} failed: {exc.strerror or exc}.",
                                     "Check the folder's permissions and free space.") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        done.append({"name": wheel.name, "version": wheel.version, "plugins": wheel.plugins,
                     "replaced": replaced,
                     "skipped": wheel.skipped})
    activate(folder)
    return done


def uninstall(name: str, folder: Path | None = None) -> str:
    """Remove the distribution ``name`` (or the one providing plugin ``name``) from the plugin folder."""
    folder = folder or plugins_dir()
    installed = _installed(folder)
    dist = installed.get(canonical(name))
    if dist is None:
        dist = next((d for d in installed.values()
                     if any(ep.group == ENTRY_POINT_GROUP and ep.name == name for ep in d.entry_points)), None)
    if dist is None:
        raise PluginInstallError(f"No plugin called '{name}' is installed in {folder}.",
                                 "Built-in plugins cannot be removed; 'studio plugins --disable NAME' turns one off.")
    removed = str(dist.metadata["Name"])
    try:
        _remove(dist, folder)
    except OSError as exc:
        raise PluginInstallError(f"Removing {name} from {folder} failed: {exc.strerror or exc}.") from None
    importlib.invalidate_caches()
    return removed


def installed_plugins(folder: Path | None = None) -> list[dict[str, Any]]:
    """The distributions in the plugin folder with their plugins (for ``studio plugins --json``)."""
    return [{"name": d.metadata["Name"], "version": d.version,
             "plugins": sorted(ep.name for ep in d.entry_points if ep.group == ENTRY_POINT_GROUP)}
            for d in _installed(folder or plugins_dir()).values()]
