"""Studio's built-in plugins (installed as the ``studio_plugins`` package).

Each sub-package is registered in the ``studio`` entry-point group in
``pyproject.toml``, exactly like a third-party plugin. The core never imports
this package.
"""
