"""Entry script for frozen builds: the same as the ``studio`` console command."""

import sys

if __name__ == "__main__" and any(arg.startswith("--multiprocessing") for arg in sys.argv[1:]):
    # `studio batch` runs its workers as spawned processes: in a frozen app each one starts this
    # executable again (with --multiprocessing-fork), and freeze_support() turns such a start into the worker
    # instead of the command line; other starts do not import multiprocessing (it costs every command ~12 ms)
    import multiprocessing

    multiprocessing.freeze_support()

from studio.cli import main

sys.exit(main())
