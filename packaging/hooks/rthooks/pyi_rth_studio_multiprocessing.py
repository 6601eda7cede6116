# Run-time hook for multiprocessing in Studio's desktop build, in place of PyInstaller's own
# (packaging/hooks/rthooks.dat).
#
# PyInstaller's hook imports multiprocessing and subprocess at every start (12 ms) to make freeze_support() and
# spawned helpers work in a frozen app. Studio starts no processes through multiprocessing, and `studio --version`
# never imports it; this hook makes the same changes, once multiprocessing is first imported.


def _studio_multiprocessing_rthook():
    import sys

    def patch(multiprocessing):
        import multiprocessing.spawn
        from subprocess import _args_from_interpreter_flags

        multiprocessing.process.ORIGINAL_DIR = None  # spawn must not read __main__ from the main script

        def divert_multiprocessing_helper():
            # the resource tracker and the fork server are started as "EXE <flags> -c 'from ... import main'"
            try:
                index = sys.argv.index("-c")
            except ValueError:
                return
            if set(sys.argv[1:index]) != set(_args_from_interpreter_flags()) or len(sys.argv) <= index + 1:
                return
            command = sys.argv[index + 1]
            if command.startswith(("from multiprocessing.resource_tracker import main",
                                   "from multiprocessing.forkserver import main",
                                   "import sys; from multiprocessing.forkserver import main")):
                exec(command)
                sys.exit()

        def freeze_support():
            divert_multiprocessing_helper()
            if multiprocessing.spawn.is_forking(sys.argv):
                kwds = {}
                for arg in sys.argv[2:]:
                    name, value = arg.split("=")
                    kwds[name] = None if value == "None" else int(value)
                multiprocessing.spawn.spawn_main(**kwds)
                sys.exit()

        multiprocessing.freeze_support = multiprocessing.spawn.freeze_support = freeze_support

    if "multiprocessing" in sys.modules:
        patch(sys.modules["multiprocessing"])
        return

    class AfterImport:
        """Runs ``patch`` right after the module is first imported (then leaves sys.meta_path)."""

        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            if fullname != "multiprocessing":
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


_studio_multiprocessing_rthook()
del _studio_multiprocessing_rthook
