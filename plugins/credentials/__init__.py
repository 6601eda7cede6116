"""Content Credentials (C2PA): sign every export with what made it, and verify any file.

Built on c2pa-python, offline. Signing is the export pipeline's final step;
verifying feeds ``studio verify`` and the GUI's Verify view. See the modules:
``certs``/``identity`` (the signing identity), ``manifest`` (record → C2PA
manifest), ``signing``, ``verify``, ``explain`` (plain language), ``report``
(the Verify view section and CLI text), ``trust`` and ``commands``.

Settings (``plugins.credentials`` in settings.json, ``ctx.settings`` here):
``trust_anchors`` (PEM files, or PEM text, to trust), ``trust_own_root``
(trust the user's own local root; default true), ``tsa_url`` (a timestamp
authority; none by default, since signing must work offline),
``manifest_store`` (the local manifest store's path; default: in the data
directory, see ``store``).

Every signed export that carries a watermark is kept in the local manifest
store under the watermark's payload (``recovery``); a file verified without
credentials of its own is looked up there by its watermark, and what is found
is reported as ``recovered``, apart from the file's own state. Whether exports
are signed at all is the export option ``sign`` (``settings.export["sign"]``,
or ``--sign/--no-sign`` on any action command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import (
    SIGNABLE_MIME,
    Command,
    ExportJob,
    ExportStep,
    Notice,
    PluginContext,
    ReportSection,
    SettingsPage,
    StudioError,
    hookimpl,
)

__version__ = "0.1.0"
OFF_NOTICE = "This file carries no Content Credentials (signing is off)."


def sign_export(job: ExportJob, ctx: PluginContext) -> None:
    """The export step: sign ``job.file`` in place with a manifest built from ``job.record``."""
    from . import identity, recovery, trust
    from .manifest import build_plan
    from .signing import check_credentials_readable, check_whole, format_of, sign_in_place
    from .verify import declares_ai

    assert job.file is not None
    if job.source is not None:  # an existing file: refuse a damaged or misnamed one clearly
        fmt = format_of(job.source)
        check_whole(job.source, fmt)
        check_credentials_readable(job.source)
    settings = ctx.settings
    tsa_url = job.options.get("tsa_url") or settings.get("tsa_url") or None
    signer = identity.load(create_if_missing=True)
    if signer.created_now:
        job.notices.append(Notice(
            f"Created your signing identity in {signer.folder}; share its root "
            "('studio credentials export-root FILE') so others can trust your files.",
            window=f"Created your signing identity in {signer.folder}. Share its root certificate "
                   "(Settings → Content Credentials → Export root certificate) so others can trust your files."))
    plan = build_plan(job.record, job.performed, job.dest.name, file_declares_ai=declares_ai)
    anchors = None
    if plan.ingredients:
        try:
            anchors = trust.collect(settings)
        except StudioError as exc:
            job.notices.append(f"Ingredients were checked without trust anchors: {exc}")
    manifest = sign_in_place(job.file, SIGNABLE_MIME[job.format], plan, signer, tsa_url, job.dest.name, anchors)
    job.notices.extend(plan.notes)
    common_name = signer.describe()["signer"]["common_name"]
    recovery.keep(job, manifest, SIGNABLE_MIME[job.format], common_name, settings)
    job.performed.append({"step": "Content Credentials", "signed_by": common_name, "timestamped": bool(tsa_url)})


@hookimpl
def studio_export_steps() -> list[ExportStep]:
    return [ExportStep(name="Content Credentials", run=sign_export, stage="file", final=True, option="sign",
                       default=True, off_notice=OFF_NOTICE, formats=tuple(SIGNABLE_MIME),
                       unsupported_notice="{format} files cannot carry Content Credentials: this file is not signed.")]


@hookimpl
def studio_commands() -> list[Command]:
    from .commands import commands

    return commands()


@hookimpl(tryfirst=True)  # provenance leads the report, as on the Content Credentials Verify page
def studio_file_report(path: Path, ctx: PluginContext) -> ReportSection:
    from . import report, trust
    from .recovery import recover
    from .verify import verify

    try:
        anchors = trust.collect(ctx.settings)
        thumbnails: dict[str, bytes] = {}
        result = verify(path, anchors, thumbnails)
        if result["state"] in ("no-credentials", "remote"):
            result |= recover(Path(path), ctx, anchors)
    except StudioError as exc:
        return ReportSection(title=report.TITLE, state="unreadable", summary=str(exc),
                             outcome="Content Credentials could not be checked", tone="neutral",
                             headline=f"The file could not be checked: {exc}",
                             cannot_tell="Nothing: the file could not be checked.")
    return report.section(result, thumbnails)


@hookimpl
def studio_settings() -> SettingsPage:
    from .settings_page import page

    return page()


@hookimpl
def studio_doctor(ctx: PluginContext) -> dict[str, Any]:
    import importlib.metadata

    from . import identity

    facts: dict[str, Any] = {"c2pa-python": importlib.metadata.version("c2pa-python")}
    folder = identity.credentials_dir()
    facts["identity"] = str(folder) if identity.exists(folder) else "none yet (made on the first signed export)"
    tsa = ctx.settings.get("tsa_url")
    facts["timestamp authority"] = tsa or "none (offline)"
    return facts
