"""Entry script for frozen builds: the same as the ``studio`` console command."""

import sys

if __name__ == "__main__":
    # `studio batch` runs its workers as spawned processes: in a frozen app each one starts this
    # executable again, and freeze_support() turns such a start into the worker instead of the command line
    import multiprocessing

    multiprocessing.freeze_support()

from studio.cli import main

sys.exit(main())
