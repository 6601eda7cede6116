#!/usr/bin/env python3
"""Build this platform's desktop artifact of Studio; the last line printed is the artifact's path.

    python3 packaging/build.py [--no-package] [--keep-stage]

Needs an environment with Studio, the torch build to ship and PyInstaller (``pip install -e '.[build]'``);
run from anywhere, with ``.venv``'s Python picked up when the calling one lacks PyInstaller.

- Linux: ``dist/studio-VERSION-linux-ARCH.tar.gz`` (unpacked beside it as ``dist/studio-VERSION-linux-ARCH/``):
  the one-folder app, ``install.sh`` (menu entry, icon, ``.studio`` file type), ``share/`` (those files).
- macOS: ``dist/Studio-VERSION-macos-ARCH.dmg`` holding ``Studio.app`` (signed when
  ``STUDIO_MACOS_SIGN_IDENTITY`` names a keychain identity).
- Windows: ``dist/Studio-VERSION-windows-x86_64-setup.exe`` made by Inno Setup's ``ISCC.exe`` (signed when
  ``STUDIO_WINDOWS_CERT`` names a .pfx file; ``STUDIO_WINDOWS_CERT_PASSWORD`` its password).

Steps: stage the sources in their installed layout (``plugins/`` becomes ``studio_plugins``, as pyproject's
package-dir says, with a dist-info holding the ``studio`` entry points), draw the icons, run PyInstaller with
``packaging/studio.spec``, then pack.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build" / "desktop"
DIST = ROOT / "dist"


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def stage(dest: Path) -> str:
    """The packages as an install has them, plus studio_media's dist-info (entry points); returns the version."""
    config = project()
    meta = config["project"]
    version = meta["version"]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package, folder in config["tool"]["setuptools"]["package-dir"].items():
        if package == "studio_assets":
            continue  # the built-in models ship as data (assets/), where studio.paths looks in a frozen build
        shutil.copytree(ROOT / folder, dest / package, ignore=ignore)
    info = dest / f"{meta['name'].replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {meta['name']}", f"Version: {version}",
             f"Summary: {meta.get('description', '')}", f"Requires-Python: {meta.get('requires-python', '')}"]
    lines += [f"Requires-Dist: {req}" for req in meta.get("dependencies", [])]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    groups = meta.get("entry-points", {})
    scripts = meta.get("scripts", {})
    text = ""
    if scripts:
        text += "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items()) + "\n"
    for group, entries in groups.items():
        text += f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
    (info / "entry_points.txt").write_text(text, encoding="utf-8")
    (info / "INSTALLER").write_text("studio-desktop-build\n", encoding="utf-8")
    (info / "top_level.txt").write_text("studio\nstudio_plugins\n", encoding="utf-8")
    return version


def tree_size(path: Path) -> int:
    """Bytes in the files under ``path`` (a symbolic link counts as nothing)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def strip_own(app: Path) -> None:
    """Strip torch's own libraries and Python's (about 90 MB of symbols).

    Not the other wheels' libraries: auditwheel patched them, and stripping breaks them.
    """
    strip = shutil.which("strip")
    if not strip:
        log("no strip found: torch's libraries keep their symbols")
        return
    internal = app / "_internal"
    for lib in sorted([*(internal / "torch" / "lib").glob("*.so*"), *internal.glob("libpython3*.so*")]):
        if lib.is_file() and not lib.is_symlink():
            subprocess.run([strip, "--strip-unneeded", str(lib)], check=True)


def package_linux(app: Path, version: str, icons: dict[str, Path]) -> Path:
    name = f"studio-{version}-linux-{arch()}"
    folder = DIST / name
    if folder.exists():
        shutil.rmtree(folder)
    DIST.mkdir(exist_ok=True)
    shutil.move(str(app), folder)
    share = folder / "share"
    (share / "applications").mkdir(parents=True)
    (share / "mime" / "packages").mkdir(parents=True)
    (share / "icons" / "hicolor" / "256x256" / "apps").mkdir(parents=True)
    shutil.copy2(HERE / "linux" / "org.studio.Studio.desktop", share / "applications")
    shutil.copy2(HERE / "linux" / "org.studio.Studio.xml", share / "mime" / "packages")
    shutil.copy2(icons["png"], share / "icons" / "hicolor" / "256x256" / "apps" / "org.studio.Studio.png")
    shutil.copy2(HERE / "linux" / "install.sh", folder / "install.sh")
    os.chmod(folder / "install.sh", 0o755)
    (folder / "README.txt").write_text(
        f"Studio {version}\n\n"
        "Run ./studio (the window) or ./studio --help (the command line).\n"
        "Run ./install.sh once to add Studio to your applications menu and open .studio projects with it;\n"
        "./install.sh --remove undoes that. To update, unpack the new version and run its install.sh:\n"
        "settings, your signing identity and the plugins you installed (studio plugins install WHEEL)\n"
        "live in ~/.config/studio and ~/.local/share/studio and are kept.\n", encoding="utf-8")
    tarball = DIST / f"{name}.tar.gz"
    log(f"packing {tarball.name}")
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=name)
    return tarball


def package_macos(app: Path, version: str) -> Path:
    identity = os.environ.get("STUDIO_MACOS_SIGN_IDENTITY")
    if identity:
        entitlements = HERE / "macos" / "entitlements.plist"
        log(f"signing {app.name} as {identity}")
        subprocess.run(["codesign", "--force", "--deep", "--timestamp", "--options", "runtime",
                        "--entitlements", str(entitlements), "--sign", identity, str(app)], check=True)
    dmg = DIST / f"Studio-{version}-macos-{arch()}.dmg"
    folder = BUILD / "dmg"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.move(str(app), folder / "Studio.app")
    (folder / "Applications").symlink_to("/Applications")
    dmg.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", f"Studio {version}", "-srcfolder", str(folder), "-ov",
                    "-format", "UDZO", str(dmg)], check=True)
    if identity:
        subprocess.run(["codesign", "--force", "--timestamp", "--sign", identity, str(dmg)], check=True)
    return dmg


def windows_sign(files: list[Path]) -> None:
    cert = os.environ.get("STUDIO_WINDOWS_CERT")
    if not cert:
        return
    cmd = ["signtool", "sign", "/f", cert, "/fd", "sha256", "/tr", "http://timestamp.digicert.com", "/td", "sha256"]
    if os.environ.get("STUDIO_WINDOWS_CERT_PASSWORD"):
        cmd += ["/p", os.environ["STUDIO_WINDOWS_CERT_PASSWORD"]]
    subprocess.run([*cmd, *map(str, files)], check=True)


def package_windows(app: Path, version: str, icons: dict[str, Path]) -> Path:
    windows_sign([app / "studio.exe", app / "studiow.exe"])
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    for candidate in (Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / "Inno Setup 6",
                      Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "Inno Setup 6"):
        if not iscc and (candidate / "ISCC.exe").exists():
            iscc = str(candidate / "ISCC.exe")
    if not iscc:
        raise SystemExit("Inno Setup's ISCC.exe was not found (install Inno Setup 6, or put iscc on PATH).")
    DIST.mkdir(exist_ok=True)
    subprocess.run([iscc, f"/DAppVersion={version}", f"/DSourceDir={app}", f"/DOutputDir={DIST}",
                    f"/DIconFile={icons['ico']}", str(HERE / "windows" / "studio.iss")], check=True)
    setup = DIST / f"Studio-{version}-windows-x86_64-setup.exe"
    windows_sign([setup])
    return setup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-package", action="store_true", help="stop after PyInstaller (dist folder only)")
    args = parser.parse_args()
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        venv_python = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if venv_python.exists() and Path(sys.executable).resolve() != venv_python.resolve():
            return subprocess.call([str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])
        print("PyInstaller is not installed here: pip install -e '.[build]' (with the torch build to ship)",
              file=sys.stderr)
        return 1

    start = time.monotonic()
    sys.path.insert(0, str(HERE))
    import icon

    site = BUILD / "stage"
    version = stage(site)
    log(f"staged Studio {version} in {site}")
    icons = icon.write(BUILD / "icons")
    icon_file = icons["icns"] if sys.platform == "darwin" else icons["ico"] if os.name == "nt" else None
    env = dict(os.environ, STUDIO_STAGE=str(site), STUDIO_VERSION=version, STUDIO_ICON=str(icon_file or ""))
    out = BUILD / "pyinstaller"
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(out), "--workpath", str(BUILD / "work"), str(HERE / "studio.spec")],
                   check=True, cwd=HERE, env=env)
    app = out / ("Studio.app" if sys.platform == "darwin" else "studio")
    if sys.platform.startswith("linux"):
        strip_own(app)
    unpacked = tree_size(app)
    log(f"PyInstaller done in {time.monotonic() - start:.0f} s: {app} ({unpacked / 1e6:.0f} MB)")
    if args.no_package:
        artifact = app
    elif sys.platform.startswith("linux"):
        artifact = package_linux(app, version, icons)
    elif sys.platform == "darwin":
        artifact = package_macos(app, version)
    elif sys.platform == "win32":
        artifact = package_windows(app, version, icons)
    else:
        raise SystemExit(f"no packaging for {sys.platform}")
    packed = tree_size(artifact) if artifact.is_dir() else artifact.stat().st_size
    log(f"built in {time.monotonic() - start:.0f} s: {unpacked / 1e6:.0f} MB unpacked, {packed / 1e6:.0f} MB packed")
    print(artifact)
    return 0


if __name__ == "__main__":
    sys.exit(main())
