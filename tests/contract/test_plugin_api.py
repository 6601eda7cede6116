"""``studio.api`` is the one surface plugins import from the core, built-in and third-party alike."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import studio.api

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"


def imports_of(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, relative level) of every import statement in ``path``, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", node.level))
    return found


def test_builtin_plugins_import_the_core_only_through_studio_api():
    modules = sorted(PLUGINS.rglob("*.py"))
    assert len(modules) > 30
    wrong = [f"{path.relative_to(ROOT)}:{line}: {module}"
             for path in modules for line, module, level in imports_of(path)
             if level == 0 and (module == "studio" or module.startswith("studio.")) and module != "studio.api"]
    assert not wrong, "plugins import the core only from studio.api:\n" + "\n".join(wrong)


def test_builtin_plugins_import_their_own_modules_relatively():
    """mypy checks plugins/ as the package 'plugins' (installed as studio_plugins), so it follows relative imports."""
    wrong = [f"{path.relative_to(ROOT)}:{line}: {module}"
             for path in sorted(PLUGINS.rglob("*.py")) for line, module, level in imports_of(path)
             if level == 0 and module.split(".")[0] in ("studio_plugins", "plugins")]
    assert not wrong, "use relative imports ('from .engine import Engine') inside a plugin:\n" + "\n".join(wrong)


def test_every_public_name_exists_and_is_listed_once():
    names = studio.api.__all__
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(studio.api, name)]
    assert not missing
    for name in ("Action", "Param", "Progress", "ActionResult", "OutputImage", "Command", "ExportJob", "ExportStep",
                 "ReportSection", "Finding", "Heatmap", "hookimpl", "PluginContext", "StudioError", "BadInputError",
                 "Record", "Ingredient", "Layer", "Box", "load_image", "sha256_file", "check_file",
                 "atomic_write_bytes", "config_dir", "cache_dir", "APP_NAME", "__version__"):
        assert name in names, name


def test_every_name_a_builtin_plugin_imports_is_public():
    used = set()
    for path in PLUGINS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "studio.api":
                used |= {alias.name for alias in node.names}
    assert used and used <= set(studio.api.__all__)


def test_the_guide_imports_only_public_names():
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    for block in blocks:
        ast.parse(block)  # every example is valid Python
    plugin_blocks = [b for b in blocks if "hookimpl" in b or "studio.api" in b]
    for block in plugin_blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("studio"):
                assert node.module == "studio.api", node.module
                assert {a.name for a in node.names} <= set(studio.api.__all__)


def test_importing_the_api_is_cheap():
    code = ("import sys, studio.api; heavy = [m for m in ('torch', 'diffusers', 'PySide6', 'c2pa', 'av', 'cv2') "
            "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
