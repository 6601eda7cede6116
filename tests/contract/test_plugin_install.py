"""Third-party plugin wheels in the user's plugin folder: install, load, update, remove, and refuse bad ones."""

import importlib.util
import json
import os
import subprocess
import sys
import zipfile

import pytest
from helpers import ROOT

from studio import plugininstall
from studio.plugininstall import PluginInstallError

_spec = importlib.util.spec_from_file_location("studio_tinywheel", ROOT / "packaging" / "tinywheel.py")
tinywheel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tinywheel)
HELLO_PLUGIN, hello_wheel, make_wheel = tinywheel.HELLO_PLUGIN, tinywheel.hello_wheel, tinywheel.make_wheel


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty user plugin folder; afterwards the plugin's modules and the path entry are gone."""
    target = tmp_path / "user-plugins"
    monkeypatch.setenv(plugininstall.PLUGINS_ENV, str(target))
    yield target
    for name in [m for m in sys.modules if m.startswith("studio_hello")]:
        del sys.modules[name]
    plugininstall.activate(tmp_path / "none")


def studio(*args, env=None):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=120)


def test_installed_wheel_is_loaded_as_a_plugin(folder, tmp_path, make_app):
    done = plugininstall.install([hello_wheel(tmp_path / "wheels")])
    assert done[0]["name"] == "studio-hello" and done[0]["plugins"] == ["hello"]
    assert (folder / "studio_hello" / "__init__.py").exists()
    assert (folder / "studio_hello-1.0.dist-info" / "INSTALLER").read_text().strip() == "studio"
    app = make_app()
    info = app.host.plugins["hello"]
    assert info.loaded and info.error is None and info.user_installed and info.version == "1.0"
    assert not app.host.plugins["adjust"].user_installed
    assert ("hello",) in [c.path for c in app.commands]
    assert plugininstall.installed_plugins() == [{"name": "studio-hello", "version": "1.0", "plugins": ["hello"]}]


def test_cli_install_list_run_and_uninstall(folder, tmp_path):
    wheel = hello_wheel(tmp_path / "wheels")
    result = studio("plugins", "install", wheel, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["installed"][0]["plugins"] == ["hello"]
    listed = {p["name"]: p for p in json.loads(studio("plugins", "--json").stdout)}
    assert listed["hello"]["user_installed"] and listed["hello"]["error"] is None
    assert all(listed[name]["error"] is None for name in ("adjust", "credentials", "diffusion"))
    assert studio("hello").stdout.strip() == "hello from a plugin wheel"
    result = studio("plugins", "uninstall", "hello")
    assert result.returncode == 0 and "removed studio-hello" in result.stdout
    assert "hello" not in {p["name"] for p in json.loads(studio("plugins", "--json").stdout)}
    assert not (folder / "studio_hello").exists()


def test_a_newer_version_replaces_the_old_one(folder, tmp_path, make_app):
    plugininstall.install([hello_wheel(tmp_path / "v1", "1.0")])
    old_only = folder / "studio_hello" / "old.py"
    old_only.write_text("")  # not in 1.0's RECORD: an unknown file is left alone, but 1.0's files go
    done = plugininstall.install([hello_wheel(tmp_path / "v2", "2.0")])
    assert done[0]["replaced"] == "1.0"
    assert not (folder / "studio_hello-1.0.dist-info").exists() and (folder / "studio_hello-2.0.dist-info").exists()
    assert make_app().host.plugins["hello"].version == "2.0"


def test_corrupt_wheel_is_refused_with_a_clear_message(folder, tmp_path):
    wheel = hello_wheel(tmp_path / "wheels")
    data = wheel.read_bytes()
    wheel.write_bytes(data[: len(data) // 2])  # cut off, as a broken download is
    with pytest.raises(PluginInstallError, match=r"studio_hello-1.0-py3-none-any.whl is not a usable wheel"):
        plugininstall.install([wheel])
    assert not folder.exists() or not any(folder.iterdir())
    result = studio("plugins", "install", wheel)
    assert result.returncode == 1
    assert result.stderr.startswith("studio: error: studio_hello-1.0-py3-none-any.whl is not a usable wheel")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_changed_file_fails_its_record_hash(folder, tmp_path):
    wheel = hello_wheel(tmp_path / "wheels")
    tampered = tmp_path / "tampered" / wheel.name
    tampered.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(b"hello from", b"HACKED by") if item.filename.endswith(".py") else data)
    with pytest.raises(PluginInstallError, match="does not match its RECORD hash"):
        plugininstall.install([tampered])


def test_not_a_zip_and_not_a_wheel_name(folder, tmp_path):
    fake = tmp_path / "studio_hello-1.0-py3-none-any.whl"
    fake.write_text("<html>404 Not Found</html>")
    with pytest.raises(PluginInstallError, match="the archive cannot be read"):
        plugininstall.install([fake])
    wrong = tmp_path / "plugin.zip"
    wrong.write_bytes(b"PK")
    with pytest.raises(PluginInstallError, match="is not a wheel"):
        plugininstall.install([wrong])
    with pytest.raises(PluginInstallError, match="does not exist"):
        plugininstall.install([tmp_path / "missing-1.0-py3-none-any.whl"])


def test_requirement_that_clashes_with_the_app_is_refused(folder, tmp_path):
    import numpy

    wheel = hello_wheel(tmp_path / "wheels", requires=["numpy<1.0"])
    with pytest.raises(PluginInstallError) as caught:
        plugininstall.install([wheel])
    message = str(caught.value)
    assert f"needs numpy<1.0, but Studio has numpy {numpy.__version__}" in message
    assert "cannot change the app's own packages" in message
    assert not folder.exists() or not any(folder.iterdir())
    # a requirement the app meets is fine; so is one whose marker does not apply here
    plugininstall.install([hello_wheel(tmp_path / "ok", requires=["numpy>=1.0", "pywin32; sys_platform == 'os2'"])])


def test_missing_requirement_must_come_as_a_wheel_too(folder, tmp_path, make_app):
    wheel = hello_wheel(tmp_path / "wheels", requires=["studio-hello-helper>=1.0"])
    with pytest.raises(PluginInstallError, match="needs studio-hello-helper>=1.0, which Studio does not include"):
        plugininstall.install([wheel])
    helper = make_wheel(tmp_path / "wheels", "studio-hello-helper", "0.5", {"studio_hello_helper.py": "X = 1\n"})
    with pytest.raises(PluginInstallError, match="but studio_hello_helper-0.5-py3-none-any.whl has"):
        plugininstall.install([wheel, helper])
    with pytest.raises(PluginInstallError, match="not a Studio plugin"):
        plugininstall.install([helper])  # a library alone is not a plugin
    helper = make_wheel(tmp_path / "wheels", "studio-hello-helper", "1.2", {"studio_hello_helper.py": "X = 1\n"})
    done = plugininstall.install([wheel, helper])
    assert [d["name"] for d in done] == ["studio-hello", "studio-hello-helper"]
    assert (folder / "studio_hello_helper.py").exists()
    sys.modules.pop("studio_hello_helper", None)


def test_a_wheel_may_not_replace_a_module_of_the_app(folder, tmp_path):
    wheel = make_wheel(tmp_path, "studio-evil", "1.0", {"studio_evil/__init__.py": HELLO_PLUGIN.format(version=1),
                                                        "numpy/__init__.py": "raise SystemExit\n"},
                       entry_points={"evil": "studio_evil"})
    with pytest.raises(PluginInstallError, match="contains 'numpy', a module Studio already has"):
        plugininstall.install([wheel])
    with pytest.raises(PluginInstallError, match=r"is pillow, which is part of Studio itself"):
        plugininstall.install([make_wheel(tmp_path, "pillow", "99.0", {"PIL_extra.py": ""}, {"x": "PIL_extra"})])


def test_wheel_for_another_platform_is_refused(folder, tmp_path):
    wheel = make_wheel(tmp_path, "studio-hello", "1.0", {"studio_hello/__init__.py": ""},
                       entry_points={"hello": "studio_hello"}, tag="cp27-cp27m-win32")
    with pytest.raises(PluginInstallError, match=r"is built for cp27-cp27m-win32, not for this Studio"):
        plugininstall.install([wheel])


def test_unwritable_plugin_folder_gives_a_clear_error_and_the_app_still_starts(tmp_path, monkeypatch, make_app):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folder = blocker / "plugins"  # cannot be made: its parent is a file
    monkeypatch.setenv(plugininstall.PLUGINS_ENV, str(folder))
    with pytest.raises(PluginInstallError, match=r"Cannot write to the plugin folder .*STUDIO_PLUGINS_DIR"):
        plugininstall.install([hello_wheel(tmp_path / "wheels")])
    result = studio("plugins", "install", hello_wheel(tmp_path / "wheels"))
    assert result.returncode == 1 and "Cannot write to the plugin folder" in result.stderr
    app = make_app()
    assert app.host.plugins["adjust"].loaded


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="permissions do not bind root (or on Windows)")
def test_read_only_plugin_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv(plugininstall.PLUGINS_ENV, str(folder))
    try:
        with pytest.raises(PluginInstallError, match="Cannot write to the plugin folder"):
            plugininstall.install([hello_wheel(tmp_path / "wheels")])
    finally:
        folder.chmod(0o700)


def test_a_plugin_that_fails_to_import_stays_its_own_problem(folder, tmp_path, make_app):
    broken = make_wheel(tmp_path, "studio-hello", "1.0", {"studio_hello/__init__.py": "import no_such_module_q\n"},
                        entry_points={"hello": "studio_hello"})
    plugininstall.install([broken])
    app = make_app()
    assert "no_such_module_q" in app.host.plugins["hello"].error
    assert app.host.plugins["adjust"].loaded and app.actions


def test_uninstall_unknown_or_builtin(folder):
    with pytest.raises(PluginInstallError, match="Built-in plugins cannot be removed"):
        plugininstall.uninstall("adjust")


@pytest.mark.gui
def test_plugins_window_installs_a_wheel_and_says_why_not(folder, tmp_path, qtbot, make_app):
    from studio.gui.pluginsdialog import PluginsDialog

    dialog = PluginsDialog(make_app().host)
    qtbot.addWidget(dialog)
    broken = tmp_path / "broken" / "studio_hello-1.0-py3-none-any.whl"
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 not really")
    assert not dialog.install_wheels([str(broken)])
    assert "is not a usable wheel" in dialog.message.text()
    needs = hello_wheel(tmp_path / "needs", requires=["studio-hello-helper"])
    assert not dialog.install_wheels([str(needs)])
    assert "Choose its wheel together" in dialog.message.text() and "studio plugins" not in dialog.message.text()
    assert dialog.install_wheels([str(hello_wheel(tmp_path / "wheels"))])
    assert dialog.message.text() == "Installed studio-hello 1.0; restart Studio to load it."
    assert (folder / "studio_hello" / "__init__.py").exists()
