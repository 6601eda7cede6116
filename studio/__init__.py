"""Studio: a desktop media studio whose features are pluggy plugins.

The core (this package) holds the document model, the plugin host, the job
runner, the export pipeline, the CLI and the Qt shell. Features live in plugins
(``plugins/`` in the source tree, the ``studio_plugins`` package once
installed) and are found through the ``studio`` entry-point group.
"""

__version__ = "0.1.0"
APP_NAME = "Studio"
ENTRY_POINT_GROUP = "studio"
