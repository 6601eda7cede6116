"""The plugin's settings: ``settings.plugins["credentials"]``.

Keys: ``trust_anchors`` (PEM files, or PEM text, to trust), ``trust_own_root``
(trust the user's own local root; default true), ``tsa_url`` (a timestamp
authority; none by default, since signing must work offline). Whether exports
are signed at all is the export option ``sign`` (``settings.export["sign"]``,
or ``--sign/--no-sign`` on any action command).

Export steps receive only the export job, so the settings of the application
that started this plugin most recently are kept through a weak reference;
without one (a library caller) the settings file is read.
"""

from __future__ import annotations

import weakref
from typing import Any

NAME = "credentials"
_app: weakref.ref[Any] | None = None


def bind(app: Any) -> None:
    global _app
    _app = weakref.ref(app)


def plugin_settings(app: Any | None = None) -> dict[str, Any]:
    if app is None and _app is not None:
        app = _app()
    if app is not None:
        return app.settings.plugin_settings(NAME)
    from studio.settings import Settings

    return Settings.load().plugin_settings(NAME)


def save(app: Any) -> None:
    app.settings.save()
