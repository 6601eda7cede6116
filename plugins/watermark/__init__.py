"""Built-in plugin: Studio's invisible watermark.

A keyed mark in the luminance, carrying a 64-bit payload with error
correction, embedded in every export (before signing) and found again with a
calibrated false-positive rate after recompression, resizing, cropping,
small rotations and colour changes. See ``pattern`` (the mark), ``embed``,
``sync`` and ``detect`` (finding it), ``ecc`` (the payload's code), ``keys``
(which key, and why), ``api`` (the functions other code calls), ``video``,
``sdxl`` (the third-party SDXL mark), ``export_step``, ``cli`` and ``report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import Command, ExportStep, PluginContext, ReportSection, SettingsPage, SoftBinding, hookimpl


@hookimpl
def studio_export_steps() -> list[ExportStep]:
    from .export_step import export_step

    return [export_step()]


@hookimpl
def studio_commands() -> list[Command]:
    from .cli import commands

    return commands()


@hookimpl
def studio_file_report(path: Path, ctx: PluginContext) -> ReportSection | None:
    from .report import section_for

    return section_for(Path(path), ctx.state)


@hookimpl
def studio_find_soft_bindings(path: Path, ctx: PluginContext,
                              candidates: dict[str, list[bytes]]) -> SoftBinding | None:
    """The mark's payload, when the mark is found and its payload passes its check, or matches one of the
    asker's ``candidates`` far beyond chance (asked by credentials, with its store's payloads)."""
    from .api import SOFT_BINDING_ALG
    from .report import soft_binding_in

    return soft_binding_in(Path(path), ctx.state, (candidates or {}).get(SOFT_BINDING_ALG, ()))


@hookimpl
def studio_settings() -> SettingsPage:
    from .settings_page import page

    return page()


@hookimpl
def studio_doctor() -> dict[str, Any]:
    from .api import SCHEME
    from .keys import key_path, studio_default_key

    path = key_path()
    return {
        "scheme": SCHEME,
        "default key id": studio_default_key().fingerprint,
        "installation key": str(path) if path.exists() else "not created yet (made on first export)",
    }
