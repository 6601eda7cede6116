#!/usr/bin/env python3
"""Smoke-test a built desktop artifact as a user gets it: unpack, run with an empty environment, check.

    python3 packaging/smoke_test.py dist/studio-0.1.0-linux-x86_64.tar.gz   # also a .dmg, a setup .exe, a folder
    python3 packaging/smoke_test.py ARTIFACT --work /tmp/smoke --keep

The artifact is unpacked (installed, for the Windows setup) into a clean folder and run from a working folder
of its own, with nothing of the build's environment: on Linux ``env -i HOME=... QT_QPA_PLATFORM=offscreen`` under
``unshare -rn`` where the kernel allows it (no network at all), so no ``.venv``, no checkout, no download.
Checks: ``--version``; ``plugins --json`` lists every built-in plugin loaded without errors; ``generate`` with
the built-in model; ``verify`` says ``trusted`` (the signing identity Studio creates for the user at the first
export, whose root it trusts for the user's own files); resize, watermark detection, ``inspect`` and the built-in
grounding model on the enlarged picture; the window opens offscreen and closes
(``gui --exit-after-show``), and a second one starts while the first is open, with a message; a plugin wheel is
installed into the user's plugin folder and still loads from a fresh copy of the app (an update); a corrupt
wheel, a wheel whose requirements clash with the app's and an unwritable plugin folder each give a clear
one-line error; on Linux ``install.sh`` registers the menu entry, icon and ``.studio`` type (and ``--remove``
undoes it); the unpacked app folder is left unchanged. Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from tinywheel import hello_wheel, make_wheel  # noqa: E402


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# -- unpacking ----------------------------------------------------------------------------------------------
def unpack(artifact: Path, dest: Path) -> Path:
    """Put the app into ``dest`` as a user would; return its ``studio`` executable."""
    dest.mkdir(parents=True, exist_ok=True)
    name = artifact.name
    if artifact.is_dir():
        target = dest / artifact.name
        shutil.copytree(artifact, target, symlinks=True)
        return find_exe(target)
    if name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(artifact) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)  # noqa: S202 - our own artifact
        return find_exe(dest)
    if name.endswith(".dmg"):
        mount = Path(tempfile.mkdtemp(prefix="studio-dmg-"))
        subprocess.run(["hdiutil", "attach", "-nobrowse", "-readonly", "-mountpoint", str(mount), str(artifact)],
                       check=True, stdout=subprocess.DEVNULL)
        try:
            shutil.copytree(mount / "Studio.app", dest / "Studio.app", symlinks=True)
        finally:
            subprocess.run(["hdiutil", "detach", str(mount)], check=False, stdout=subprocess.DEVNULL)
        return dest / "Studio.app" / "Contents" / "MacOS" / "studio"
    if name.endswith(".exe"):
        subprocess.run([str(artifact), "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER",
                        f"/DIR={dest / 'Studio'}", "/TASKS="], check=True, timeout=900)
        return dest / "Studio" / "studio.exe"
    raise SystemExit(f"do not know how to unpack {artifact}")


def find_exe(folder: Path) -> Path:
    names = ("studio.exe",) if os.name == "nt" else ("studio",)
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts)):
        if path.name in names and path.is_file() and "_internal" not in path.parts:
            return path
    raise SystemExit(f"no studio executable in {folder}")


def app_folder(exe: Path) -> Path:
    return exe.parents[2] if exe.parent.name == "MacOS" else exe.parent


def snapshot(folder: Path) -> dict[str, int]:
    """Every file's size (a symbolic link: -1), by its path in ``folder`` (not the Windows uninstaller's files)."""
    return {str(p.relative_to(folder)): -1 if p.is_symlink() else p.stat().st_size
            for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and not p.name.startswith("unins")}


# -- running ------------------------------------------------------------------------------------------------
class Runner:
    def __init__(self, exe: Path, home: Path, cwd: Path) -> None:
        self.exe, self.home, self.cwd = exe, home, cwd
        self.env = clean_env(home)
        self.prefix: list[str] = []
        if sys.platform.startswith("linux") and shutil.which("unshare"):
            probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
            if probe.returncode == 0:
                self.prefix = ["unshare", "-rn"]  # a network namespace with no interfaces: nothing can be fetched
        self.times: dict[str, float] = {}

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600,
            exe: Path | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [*self.prefix, str(exe or self.exe), *args]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env={**self.env, **(env or {})}, cwd=self.cwd,
                             timeout=timeout, encoding="utf-8", errors="replace")
        self.times[" ".join(args[:3])] = time.perf_counter() - start
        return out

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*self.prefix, str(self.exe), *args], env=self.env, cwd=self.cwd, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def clean_env(home: Path) -> dict[str, str]:
    env = {"HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    if os.name == "nt":
        for key in ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE"):
            if key in os.environ:
                env[key] = os.environ[key]
        for key, sub in (("USERPROFILE", ""), ("APPDATA", "AppData/Roaming"), ("LOCALAPPDATA", "AppData/Local"),
                         ("TEMP", "AppData/Local/Temp"), ("TMP", "AppData/Local/Temp")):
            path = home / sub
            path.mkdir(parents=True, exist_ok=True)
            env[key] = str(path)
    return env


# -- the checks ---------------------------------------------------------------------------------------------
class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []

    def check(self, name: str, fn: Callable[[], str | None]) -> bool:
        start = time.perf_counter()
        try:
            detail = fn() or ""
            ok = True
        except AssertionError as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # noqa: BLE001 - a check that breaks is a failed check
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - start
        self.results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'} {name} ({took:.1f} s){': ' + detail if detail else ''}", flush=True)
        return ok


def expect(out: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert out.returncode == code, (f"exit {out.returncode}, wanted {code}; stderr: {out.stderr.strip()[-1500:]}; "
                                    f"stdout: {out.stdout.strip()[-500:]}")
    return out


def one_line_error(out: subprocess.CompletedProcess[str], words: str) -> str:
    expect(out, 1)
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("studio: error: ") and words in lines[0], out.stderr
    return lines[0]


def red_fraction(path: Path) -> float:
    """Share of clearly red pixels."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    red = (rgb[..., 0] > 140) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    return float(red.mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--work", type=Path, help="where to unpack and run (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="leave the work folder")
    args = parser.parse_args()
    artifact = args.artifact.resolve()
    work = (args.work or Path(tempfile.mkdtemp(prefix="studio-smoke-"))).resolve()
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"{work} is not empty")
    meta = project()["project"]
    builtins = sorted(meta["entry-points"]["studio"])
    home, cwd = work / "home", work / "cwd"
    home.mkdir(parents=True)
    cwd.mkdir()
    checks = Checks()
    start = time.perf_counter()
    exe = unpack(artifact, work / "app")
    print(f"unpacked {artifact.name} in {time.perf_counter() - start:.0f} s: {exe}", flush=True)
    before = snapshot(app_folder(exe))
    size = sum(n for n in before.values() if n > 0)
    print(f"app folder: {size / 1e6:.0f} MB in {len(before)} files", flush=True)
    runner = Runner(exe, home, cwd)
    print("network: " + ("none (unshare -rn)" if runner.prefix else "not blocked on this platform"), flush=True)

    def version() -> str:
        out = expect(runner.run("--version"))
        assert out.stdout.strip() == f"studio {meta['version']}", out.stdout
        return f"{out.stdout.strip()} in {runner.times['--version']:.2f} s"

    def plugins() -> str:
        listed = {p["name"]: p for p in json.loads(expect(runner.run("plugins", "--json")).stdout)}
        missing = [name for name in builtins if name not in listed]
        assert not missing, f"built-in plugins missing: {missing}"
        bad = {n: (p["error"], p["faults"]) for n, p in listed.items() if p["error"] or p["faults"] or not p["loaded"]}
        assert not bad, f"plugins with errors: {bad}"
        assert all(listed[name]["builtin"] for name in builtins)
        return f"{len(listed)} loaded ({', '.join(sorted(listed))}) in {runner.times['plugins --json']:.2f} s"

    def doctor() -> str:
        report = json.loads(expect(runner.run("doctor", "--json")).stdout)
        folder = app_folder(exe)
        for key in ("config", "cache", "plugins"):
            path = Path(report["paths"][key])
            assert folder not in path.parents, f"{key} folder {path} is inside the app"
        return f"plugins folder {report['paths']['plugins']}, torch {report['torch'].get('version')}"

    def generate() -> str:
        out = expect(runner.run("generate", "a red circle", "--seed", "1", "--out", "x.png"))
        image = cwd / "x.png"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
        red = red_fraction(image)
        assert red > 0.02, f"only {red:.1%} red pixels: {out.stdout}"
        return f"x.png, {red:.0%} red pixels, {runner.times['generate a red circle --seed']:.1f} s"

    def verify() -> str:
        report = json.loads(expect(runner.run("verify", "x.png", "--json")).stdout)
        assert report["state"] == "trusted", f"state {report['state']}: {report.get('summary')}"
        return f"{report['state']}: signed by {report['signer']['organization']}"

    def edit_watermark_inspect() -> str:
        expect(runner.run("adjust", "resize", "x.png", "--width", "320", "--height", "320", "--out", "big.png"))
        mark = json.loads(expect(runner.run("watermark", "detect", "big.png", "--json")).stdout)
        assert mark["present"], mark
        report = json.loads(expect(runner.run("inspect", "big.png", "--json")).stdout)
        assert report["sections"], report
        return f"resized, watermark present, inspect: {len(report['sections'])} sections"

    def ground() -> str:
        found = json.loads(expect(runner.run("ground", "big.png", "the red circle", "--json")).stdout)
        assert len(found["boxes"]) == 1, found
        return f"{found['model']}: {found['boxes'][0]['box']}"

    def gui() -> str:
        out = expect(runner.run("gui", "--exit-after-show", "--screenshot", "window.png", timeout=300))
        assert out.stdout.startswith("window shown"), out.stdout
        assert (cwd / "window.png").stat().st_size > 5000
        return out.stdout.strip()

    def second_window() -> str:
        config = Path(json.loads(runner.run("doctor", "--json").stdout)["paths"]["config"])
        first = runner.popen("gui")
        try:
            deadline = time.monotonic() + 180
            while not (config / "window.lock").exists():
                assert first.poll() is None, f"the first window ended: {first.communicate()[1][-1000:]}"
                assert time.monotonic() < deadline, "the first window did not open in 180 s"
                time.sleep(0.5)
            out = expect(runner.run("gui", "--exit-after-show", timeout=300))
            assert "Another Studio window is already open" in out.stderr, out.stderr
            assert first.poll() is None, "the first window closed"
            note = next(line for line in out.stderr.splitlines() if "already open" in line)
            return note[:110] + "…"
        finally:
            first.terminate()
            try:
                first.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                first.kill()

    wheels = work / "wheels"

    def plugin_install() -> str:
        wheel = hello_wheel(wheels)
        out = expect(runner.run("plugins", "install", str(wheel)))
        listed = {p["name"]: p for p in json.loads(expect(runner.run("plugins", "--json")).stdout)}
        hello = listed.get("hello")
        assert hello and hello["loaded"] and hello["user_installed"], hello
        said = expect(runner.run("hello")).stdout.strip()
        assert said == "hello from a plugin wheel", said
        return out.stdout.strip().splitlines()[0]

    def survives_update() -> str:
        if artifact.suffix == ".exe":  # the installer again over the installed app, as an update runs
            fresh, how = unpack(artifact, work / "app"), "after installing over it"
        else:
            fresh, how = unpack(artifact, work / "app-update"), "from a freshly unpacked copy"
        listed = {p["name"]: p for p in json.loads(expect(runner.run("plugins", "--json", exe=fresh)).stdout)}
        assert "hello" in listed and listed["hello"]["loaded"], "the plugin is gone after an update"
        shutil.rmtree(work / "app-update", ignore_errors=True)
        return f"the plugin loads {how}"

    def corrupt_wheel() -> str:
        wheel = hello_wheel(wheels / "corrupt", "2.0")
        wheel.write_bytes(wheel.read_bytes()[:200])
        line = one_line_error(runner.run("plugins", "install", str(wheel)), "is not a usable wheel")
        expect(runner.run("--version"))
        return line

    def clashing_wheel() -> str:
        wheel = hello_wheel(wheels / "clash", "3.0", requires=["numpy<1.0"])
        line = one_line_error(runner.run("plugins", "install", str(wheel)), "but Studio has numpy")
        return line

    def unwritable_folder() -> str:
        blocker = work / "not-a-folder"
        blocker.write_text("")
        env = {"STUDIO_PLUGINS_DIR": str(blocker / "plugins")}
        line = one_line_error(runner.run("plugins", "install", str(hello_wheel(wheels)), env=env),
                              "Cannot write to the plugin folder")
        expect(runner.run("plugins", "--json", env=env))
        return line

    def library_wheel_alone() -> str:
        lib = make_wheel(wheels, "studio-hello-lib", "1.0", {"studio_hello_lib.py": "X = 1\n"})
        return one_line_error(runner.run("plugins", "install", str(lib)), "is not a Studio plugin")

    def desktop_entry() -> str:
        install = app_folder(exe) / "install.sh"
        if not install.exists():
            return "no install.sh on this platform (the installer or the .app registers the file type)"
        data = work / "xdg-data"
        env = {**runner.env, "XDG_DATA_HOME": str(data), "PATH": "/usr/bin:/bin"}
        out = subprocess.run(["sh", str(install)], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        entry = (data / "applications" / "org.studio.Studio.desktop").read_text(encoding="utf-8")
        assert f'Exec="{exe}" gui %F' in entry, entry
        assert "MimeType=application/x-studio-project;" in entry
        assert (data / "mime" / "packages" / "org.studio.Studio.xml").exists()
        assert (data / "icons" / "hicolor" / "256x256" / "apps" / "org.studio.Studio.png").stat().st_size > 1000
        out = subprocess.run(["sh", str(install), "--remove"], capture_output=True, text=True, env=env)
        assert out.returncode == 0 and not (data / "applications" / "org.studio.Studio.desktop").exists()
        return "install.sh registers the menu entry, icon and .studio type; --remove undoes it"

    def unchanged() -> str:
        after = snapshot(app_folder(exe))
        added = sorted(set(after) - set(before))
        changed = sorted(k for k in before if after.get(k) != before[k])
        assert not added and not changed, f"added {added[:5]}, changed {changed[:5]}"
        return f"{len(after)} files as unpacked"

    for name, fn in (("version", version), ("plugins", plugins), ("doctor", doctor), ("generate", generate),
                     ("verify", verify), ("edit, watermark, inspect", edit_watermark_inspect), ("ground", ground),
                     ("gui", gui), ("second window", second_window),
                     ("plugin install", plugin_install), ("plugin survives an update", survives_update),
                     ("corrupt wheel", corrupt_wheel), ("clashing wheel", clashing_wheel),
                     ("unwritable plugin folder", unwritable_folder), ("library wheel alone", library_wheel_alone),
                     ("desktop entry", desktop_entry), ("app folder unchanged", unchanged)):
        checks.check(name, fn)
    failed = [name for name, ok, _ in checks.results if not ok]
    print(f"{len(checks.results) - len(failed)}/{len(checks.results)} checks passed in "
          f"{time.perf_counter() - start:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
