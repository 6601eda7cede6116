"""The plugin contract: every hook a Studio plugin may implement.

A plugin is a module (or object) with functions named after these hooks and
marked with :data:`hookimpl`. Studio finds plugins through the ``studio``
entry-point group, built-in ones included, and calls each implementation under
its own guard: an exception is recorded against that plugin (``studio
plugins`` and the Plugins window show it) and the other plugins still run.

Every hook may take ``ctx``, the plugin's own
:class:`~studio.plugincontext.PluginContext` in the calling application (its
settings, the runtime, its name and version, a ``state`` dict for caches);
an implementation names only the arguments it needs. What a plugin may import
from the core is in :mod:`studio.api`.

``tryfirst``/``trylast`` order the calls as in pluggy. Hook wrappers
(``hookwrapper``/``wrapper``) are refused at registration: Studio calls each
implementation on its own.

Plugins must keep module import cheap: import torch, diffusers and other heavy
libraries inside the functions that need them, never at module level, so the
window appears before they load.

Every hook is optional. Return ``None`` (or nothing) to take no part.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import numpy as np

    from studio.actions import Action, Command
    from studio.export import ExportStep
    from studio.plugincontext import PluginContext
    from studio.report import ReportOption, ReportSection
    from studio.results import OutputBoxes, SoftBinding
    from studio.settingspage import SettingsPage

hookspec = pluggy.HookspecMarker("studio")
hookimpl = pluggy.HookimplMarker("studio")


@hookspec
def studio_startup(ctx: PluginContext) -> None:
    """Called once for each plugin, right after it is registered.

    Use it to read the plugin's settings (``ctx.settings``) or to prepare cheap
    state in ``ctx.state``. Do not load models here: that belongs in an
    action's ``run``, off the GUI thread.
    """


@hookspec
def studio_actions(ctx: PluginContext) -> list[Action] | None:
    """Return the actions this plugin offers, as :class:`studio.actions.Action` declarations.

    Each action declares its parameters (:class:`studio.actions.Param`: type,
    range, default, help) once; Studio builds both the GUI panel and the CLI
    command ``studio <group> <name>`` from it. ``Action.run(ctx, params)`` is a
    generator run off the GUI thread: yield :class:`studio.actions.Progress`
    per step (with an optional preview image), call ``ctx.check_cancelled()``
    between steps, and return a :class:`studio.actions.ActionResult` whose
    images become canvas layers (GUI) or exported files (CLI). Input images
    arrive in ``params`` as ``studio.document.Layer`` objects; ``ctx.plugin``
    is the plugin's :class:`~studio.plugincontext.PluginContext`.
    """


@hookspec
def studio_commands(ctx: PluginContext) -> list[Command] | None:
    """Return extra CLI commands (:class:`studio.actions.Command`) that are not canvas actions.

    For example ``studio verify FILE`` or ``studio watermark detect FILE``. Each
    command gets a ``--json`` flag; ``run(args, ctx)`` (``ctx``: the plugin's
    context) prints its result and returns the exit status (0 for success).
    Raise :class:`studio.errors.StudioError` for a clear one-line error.
    """


@hookspec
def studio_export_steps(ctx: PluginContext) -> list[ExportStep] | None:
    """Return steps (:class:`studio.export.ExportStep`) that take part in every export.

    Steps with ``stage="pixels"`` change the image before it is encoded (a
    watermark); steps with ``stage="file"`` work on the encoded file (signing).
    Within a stage steps run by ascending ``order``. At most one step may set
    ``final=True``: it is the last write (a signature must cover every byte).
    A step switched off by its ``option`` is skipped and its ``off_notice`` is
    shown to the user. A step that raises fails the whole export and nothing is
    written. Steps record what they did in ``job.performed`` so that later
    steps (signing) can describe it. A step's ``run(job, ctx)`` gets the export
    job and its plugin's context.
    """


@hookspec
def studio_file_report(
    path: Path, ctx: PluginContext, options: dict[str, list[Any]]
) -> ReportSection | list[ReportSection] | None:
    """Inspect a file and return what this plugin can tell about it.

    Called by ``studio inspect`` and the GUI's Verify view for any opened file.
    Return a :class:`studio.report.ReportSection` with a plain label, what the
    signal can and cannot tell, findings, and optional heatmaps (shown as
    overlay layers), a list of sections when the plugin reads several
    independent signals (one section each), or ``None`` if this plugin has
    nothing to say. ``options`` holds the values of the ``studio inspect``
    options given on the command line (see :func:`studio_report_options`), by
    option name; it is empty in the GUI.
    Raise :class:`studio.errors.BadInputError` for a file it cannot read.
    """


@hookspec
def studio_report_options(ctx: PluginContext) -> list[ReportOption] | None:
    """Return options of ``studio inspect`` that this plugin reads in :func:`studio_file_report`.

    Each :class:`studio.report.ReportOption` becomes a repeatable ``--NAME VALUE``
    flag of ``studio inspect``; its ``load`` turns each value into what the
    report hook receives in ``options[NAME]`` (and may raise
    :class:`studio.errors.StudioError` to refuse it before the file is read).
    """


@hookspec
def studio_doctor(ctx: PluginContext) -> dict[str, Any] | None:
    """Return facts for ``studio doctor`` (library versions, model folders, caches).

    Keep it fast and side-effect free; keys become lines of the report.
    """


@hookspec
def studio_settings(ctx: PluginContext) -> SettingsPage | list[SettingsPage] | None:
    """Return the plugin's page(s) of the Settings dialog (:class:`studio.settingspage.SettingsPage`).

    A page declares the settings the user may change (:class:`~studio.settingspage.Setting`: a
    value, a list of folders or files; stored in ``ctx.settings``, or in the export defaults) and
    the operations offered there (:class:`~studio.settingspage.SettingsButton`, e.g. "Export the
    root certificate…"). The dialog is generated from it; a plugin never builds widgets. Keep it
    cheap: it is called each time the dialog opens.
    """


@hookspec
def studio_find_objects(ctx: PluginContext, rgb: np.ndarray, queries: list[str],
                        threshold: float) -> OutputBoxes | None:
    """Find the objects that text queries name in a picture, for another plugin that asks.

    A plugin asks with :meth:`studio.plugincontext.PluginContext.find_objects` (forensics asks for
    ``["face"]`` to analyse each face); the first plugin that answers is used, and the asker falls back
    to its own means when none does. ``rgb`` is an ``(H, W, 3)`` uint8 picture, ``queries`` short phrases,
    ``threshold`` the lowest score (0..1) to return. Return :class:`studio.results.OutputBoxes` with one
    :class:`~studio.document.clips.Box` per object (picture pixels, ``label``: the query it answers,
    ``score``), ``size`` the picture's ``(width, height)`` and ``name`` saying what found them (a
    detector's name: it is shown to the user), or ``None`` when this plugin cannot look for these queries.
    """


@hookspec
def studio_find_soft_bindings(ctx: PluginContext, path: Path,
                              candidates: dict[str, list[bytes]]) -> SoftBinding | list[SoftBinding] | None:
    """Read the soft bindings (invisible watermarks) your plugin can find in a file's content.

    Asked through :meth:`studio.plugincontext.PluginContext.find_soft_bindings` (the credentials plugin
    asks when a file carries no Content Credentials, to recover its manifest from the local store). Every
    plugin is asked. Return a :class:`studio.results.SoftBinding` for each binding found with a readable
    value (``alg``: the identifier you write in the ``c2pa.soft-binding`` assertion; ``value``: the bytes
    decoded), or ``None`` when you find none or cannot read this kind of file. Only report a value you
    would stake a manifest on: a damaged payload that fails its check is not a binding — unless it
    matches one of ``candidates`` far beyond chance. ``candidates`` maps an ``alg`` to the values the
    asker already knows (the local manifest store's payloads; empty when it knows none): a plugin may
    match a damaged reading against them and report the match, with a ``log10_p`` counted over all of
    them. Raise :class:`studio.errors.BadInputError` for a file that cannot be read.
    """
