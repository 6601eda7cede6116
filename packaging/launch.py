"""Entry script for frozen builds: the same as the ``studio`` console command."""

import sys

from studio.cli import main

sys.exit(main())
