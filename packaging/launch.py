"""Entry script for frozen builds: the same as the ``studio`` console command."""

import sys

if __name__ == "__main__" and any(arg.startswith("--multiprocessing") or arg.startswith("from multiprocessing")
                                  or arg.startswith("import sys; from multiprocessing") for arg in sys.argv[1:]):
    # `studio batch` runs its workers as spawned processes: in a frozen app each one starts this
    # executable again (with --multiprocessing-fork), as does multiprocessing's resource tracker ("-c from
    # multiprocessing.resource_tracker import main..."), and freeze_support() turns such a start into the worker
    # or the helper instead of the command line; other starts do not import multiprocessing (~12 ms a command)
    import multiprocessing

    multiprocessing.freeze_support()

from studio.cli import main

sys.exit(main())
