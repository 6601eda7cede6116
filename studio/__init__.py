"""Studio: a desktop media studio whose features are pluggy plugins.

The core (this package) holds the document model, the plugin host, the job
runner, the export pipeline, the CLI and the Qt shell. Features live in plugins
(``plugins/`` in the source tree, the ``studio_plugins`` package once
installed) and are found through the ``studio`` entry-point group.
"""

__version__ = "0.1.0"
APP_NAME = "Studio"
ENTRY_POINT_GROUP = "studio"


def _quiet_blas() -> None:
    """One OpenBLAS thread unless the user chose otherwise (set before numpy loads).

    Studio's heavy arithmetic runs in torch, with its own threads; its numpy code is per-pixel work
    that BLAS threads do not speed up. OpenBLAS's pool of spinning threads would only cost start-up
    time (about 50 ms of CPU on two cores) and compete with torch's threads for the same cores.
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


_quiet_blas()
