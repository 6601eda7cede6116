"""The desktop build: its staging gives the plugins their installed names (fast), and, opt-in, a full build
that passes packaging/smoke_test.py (STUDIO_TEST_BUILD=1; about 10 minutes and 2 GB of disk)."""

import configparser
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import ROOT

_spec = importlib.util.spec_from_file_location("studio_desktop_build", ROOT / "packaging" / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def test_staging_gives_every_entry_point_a_module(tmp_path):
    """pyproject maps plugins/ to studio_plugins; a frozen build needs that as a real folder (it once had none)."""
    version = build.stage(tmp_path / "site")
    dists = list(importlib.metadata.distributions(path=[str(tmp_path / "site")]))
    assert [d.metadata["Name"] for d in dists] == ["studio-media"] and dists[0].version == version
    entry_points = [ep for ep in dists[0].entry_points if ep.group == "studio"]
    assert len(entry_points) == len(build.project()["project"]["entry-points"]["studio"]) >= 7
    for ep in entry_points:
        top, _, rest = ep.value.partition(".")
        assert importlib.machinery.PathFinder.find_spec(top, [str(tmp_path / "site")]) is not None
        assert (tmp_path / "site" / top / rest / "__init__.py").exists(), ep.value
    assert (tmp_path / "site" / "studio_plugins" / "diffusion" / "configs").is_dir()
    assert not list((tmp_path / "site").rglob("__pycache__"))


def test_linux_desktop_entry_and_mime_type_agree():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "linux" / "org.studio.Studio.desktop")
    desktop = entry["Desktop Entry"]
    mime = ET.parse(ROOT / "packaging" / "linux" / "org.studio.Studio.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime_type = mime.find("m:mime-type", ns)
    assert desktop["MimeType"].rstrip(";") == mime_type.get("type")
    assert mime_type.find("m:glob", ns).get("pattern") == "*.studio"
    assert desktop["Icon"] == "org.studio.Studio" and "%F" in desktop["Exec"]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("STUDIO_TEST_BUILD") != "1",
                    reason="builds the ~1 GB desktop app: STUDIO_TEST_BUILD=1 (STUDIO_TEST_ARTIFACT=PATH reuses one)")
def test_the_built_artifact_passes_the_smoke_test(tmp_path):
    artifact = os.environ.get("STUDIO_TEST_ARTIFACT")
    if not artifact:
        built = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], cwd=ROOT, capture_output=True,
                               text=True, timeout=3600)
        assert built.returncode == 0, built.stderr[-4000:]
        artifact = built.stdout.strip().splitlines()[-1]
    assert Path(artifact).exists(), artifact
    smoke = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_test.py"), artifact,
                            "--work", str(tmp_path / "smoke")], capture_output=True, text=True, timeout=1800)
    assert smoke.returncode == 0, smoke.stdout[-4000:] + smoke.stderr[-2000:]
