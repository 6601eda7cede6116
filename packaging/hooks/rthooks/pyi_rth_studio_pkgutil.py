# Run-time hook for pkgutil in Studio's desktop build, in place of PyInstaller's own (packaging/hooks/rthooks.dat).
#
# PyInstaller's hook imports pkgutil at every start (15 ms) to teach pkgutil.iter_modules() the bundled modules;
# `studio --version` never imports pkgutil. This hook does the same, once pkgutil is first imported.


def _studio_pkgutil_rthook():
    import sys

    def patch(pkgutil):
        import pyimod02_importers  # PyInstaller's bootstrap module

        def iter_frozen(finder, prefix=""):
            node = pyimod02_importers.get_pyz_toc_tree()
            for part in finder._pyz_entry_prefix.split(".") if finder._pyz_entry_prefix else []:
                node = node.get(part)
                if not isinstance(node, dict):
                    node = {}
                    break
            for name, data in node.items():
                yield prefix + name, isinstance(data, dict)
            if finder.fallback_finder is not None:
                yield from pkgutil.iter_importer_modules(finder.fallback_finder, prefix)

        pkgutil.iter_importer_modules.register(pyimod02_importers.PyiFrozenFinder, iter_frozen)

    if "pkgutil" in sys.modules:
        patch(sys.modules["pkgutil"])
        return

    class AfterImport:
        """Runs ``patch`` right after the module is first imported (then leaves sys.meta_path)."""

        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            if fullname != "pkgutil":
                return None
            sys.meta_path.remove(cls)
            import importlib.util

            spec = importlib.util.find_spec(fullname)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader)
            return spec

    class _Loader:
        def __init__(self, loader):
            self._loader = loader

        def create_module(self, spec):
            return self._loader.create_module(spec)

        def exec_module(self, module):
            self._loader.exec_module(module)
            patch(module)

        def __getattr__(self, name):
            return getattr(self._loader, name)

    sys.meta_path.insert(0, AfterImport)


_studio_pkgutil_rthook()
del _studio_pkgutil_rthook
