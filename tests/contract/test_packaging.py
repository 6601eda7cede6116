"""The distribution ships every package, plugin and data file (a frozen or wheel install finds them)."""

import tomllib
from helpers import ROOT


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_python_package_is_listed():
    config = pyproject()["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for folder, name in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *relative.parts]))
    assert found == listed


def test_every_builtin_plugin_has_an_entry_point():
    entry_points = pyproject()["project"]["entry-points"]["studio"]
    plugins = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert set(entry_points) == plugins
    assert all(value == f"studio_plugins.{name}" for name, value in entry_points.items())
