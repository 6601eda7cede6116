"""The public plugin API: everything a Studio plugin may import from the core.

Plugins, the built-in ones included, import the core only from here::

    from studio.api import Action, ActionResult, OutputImage, Param, Progress, hookimpl

These names are kept stable for plugin authors; the modules they come from
(``studio.actions``, ``studio.export``, ...) are the core's own and may be
reorganised. A contract test checks that the built-in plugins import nothing
else from ``studio``. Importing this module is cheap (no torch, no Qt).

To add a name, import it below and list it in ``__all__`` under its group.
"""

from __future__ import annotations

from studio import APP_NAME, __version__, formats
from studio.actions import INPUT_KINDS, Action, ActionResult, Command, OutputImage, Param, Progress
from studio.atomic import atomic_dir, atomic_path, atomic_write_bytes
from studio.calibration import Calibration, load_calibration
from studio.coco import from_coco, to_coco, write_coco
from studio.document.clips import Box, BoxClip, Clip, FramesClip, ScoreClip, StillClip, VideoClip
from studio.document.layers import BoxLayer, Layer
from studio.document.provenance import (
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    CONTENT_RELATIONSHIPS,
    DIGITAL_SOURCE_PREFIX,
    GENERATIVE_AI_SOURCES,
    TRAINED_ALGORITHMIC_MEDIA,
    Ingredient,
    Record,
)
from studio.document.tracks import delete_track, keyframes, propagate_correction
from studio.errors import BadInputError, Cancelled, Notice, StudioError, window_text
from studio.export import ExportJob, ExportReport, ExportStep
from studio.formats import BY_SUFFIX, IMAGE_SUFFIXES, SIGNABLE_MIME, VIDEO_SUFFIXES, MediaFormat
from studio.hookspecs import hookimpl
from studio.imageio import (
    MAX_PIXELS,
    LoadedImage,
    check_file,
    check_pixel_count,
    decoding,
    load_image,
    load_mask,
    sha256_file,
)
from studio.jobs import Job, JobContext, JobState
from studio.lazy import numpy as lazy_numpy
from studio.media import ClipInput, encode_video
from studio.paths import assets_dir, builtin_models_dir
from studio.plugincontext import PluginContext
from studio.report import VERDICTS, Finding, Heatmap, Parameter, ReportOption, ReportSection, Signal, TreeNode
from studio.results import OutputBoxes, OutputClip, OutputScores, SoftBinding
from studio.settings import cache_dir, config_dir, data_dir
from studio.settingspage import Ask, Setting, SettingsButton, SettingsPage
from studio.weights import (
    PICKLE_SUFFIXES,
    SafetensorsHeader,
    TensorInfo,
    header_from_state_dict,
    load_pickle_state_dict,
)
from studio.weights import read_header as read_safetensors_header

__all__ = [
    # the application
    "APP_NAME", "__version__",
    # hooks, and the context every hook, step, command and action receives
    "hookimpl", "PluginContext", "JobContext",
    # jobs (what ctx.run_action returns)
    "Job", "JobState",
    # declarations: actions and their results, commands
    "Action", "Param", "Progress", "ActionResult", "OutputImage", "Command", "INPUT_KINDS",
    # media in and out of actions and report sections: clips, boxes, score tracks
    "OutputClip", "OutputBoxes", "OutputScores", "ClipInput", "encode_video",
    # a soft binding (an invisible watermark's payload) found in a file: studio_find_soft_bindings
    "SoftBinding",
    # the Settings dialog's pages
    "SettingsPage", "Setting", "SettingsButton", "Ask",
    # export steps
    "ExportJob", "ExportStep", "ExportReport",
    # evidence reports
    "ReportSection", "Finding", "Heatmap", "Parameter", "TreeNode", "ReportOption", "Signal", "VERDICTS",
    # measured signal thresholds a plugin ships (flagged / clear, and the rate on natural photos)
    "Calibration", "load_calibration",
    # errors
    "StudioError", "BadInputError", "Cancelled", "Notice", "window_text",
    # numpy, imported on first use (modules imported at start-up use it so the window appears first)
    "lazy_numpy",
    # the document model and provenance
    "Layer", "BoxLayer", "Box", "Clip", "StillClip", "FramesClip", "VideoClip", "BoxClip", "ScoreClip",
    "Record", "Ingredient", "TRAINED_ALGORITHMIC_MEDIA", "COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA",
    "GENERATIVE_AI_SOURCES", "CONTENT_RELATIONSHIPS", "DIGITAL_SOURCE_PREFIX",
    # box tracks: a correction carried along its track (keyframes), a whole track removed
    "propagate_correction", "delete_track", "keyframes",
    # boxes as COCO detection JSON (stills, and clips in TAO / COCO-VID style)
    "to_coco", "write_coco", "from_coco",
    # the one table of file formats
    "formats", "MediaFormat", "BY_SUFFIX", "SIGNABLE_MIME", "VIDEO_SUFFIXES",
    # reading files
    "load_image", "load_mask", "LoadedImage", "sha256_file", "check_file", "check_pixel_count", "decoding",
    "MAX_PIXELS",
    # model weight files: a safetensors header (names, shapes, truncation), pickles loaded weights-only
    "read_safetensors_header", "SafetensorsHeader", "TensorInfo", "PICKLE_SUFFIXES", "load_pickle_state_dict",
    "header_from_state_dict",
    "IMAGE_SUFFIXES",
    # writing files, and where they go
    "atomic_path", "atomic_write_bytes", "atomic_dir", "config_dir", "cache_dir", "data_dir", "assets_dir",
    "builtin_models_dir",
]
