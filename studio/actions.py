"""Declarations a plugin returns: actions and their parameters.

One declaration drives two front ends: the GUI builds a panel from it and the
CLI builds a sub-command from it. A plugin never touches either directly.

An action's ``run`` is a generator function ``run(ctx, params)`` that yields
:class:`Progress` between steps and returns an :class:`ActionResult`::

    def run(ctx, params):
        for i in range(steps):
            ctx.check_cancelled()
            ...
            yield Progress(i + 1, steps, preview=image)
        return ActionResult(images=[OutputImage(image, name="Result")])
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.errors import BadInputError
from studio.results import ActionResult, OutputBoxes, OutputClip, OutputImage, OutputScores

if TYPE_CHECKING:
    from studio.jobs import JobContext
    from studio.plugincontext import PluginContext

ParamKind = Literal["int", "float", "bool", "str", "text", "choice", "image", "mask", "path", "frame", "clip",
                    "boxes"]
INPUT_KINDS = ("image", "mask", "frame", "clip", "boxes")
__all__ = ["INPUT_KINDS", "Action", "ActionResult", "Command", "OutputBoxes", "OutputClip", "OutputImage",
           "OutputScores", "Param", "Progress"]


@dataclass(frozen=True)
class Param:
    """One parameter of an action.

    ``kind`` decides the widget and the CLI option:

    - ``int`` / ``float``: a number within ``minimum``..``maximum`` (a spin box; ``--name N``);
    - ``bool``: a check box; ``--name`` / ``--no-name``;
    - ``str``: one line of text; ``text``: several lines (a prompt); the first
      required ``text`` parameter is positional on the CLI;
    - ``choice``: one of ``choices`` (a combo box; ``--name CHOICE``);
    - ``image``: an image from the canvas (a layer picker in the GUI, a file on the CLI);
    - ``mask``: a mask layer (GUI) or a grayscale image file (CLI); optional unless ``required``;
    - ``frame``: one picture of the timeline (GUI: the frame at the playhead; CLI: a video file and
      ``--NAME-frame N``, or an image file) — it arrives as a ``Layer`` whose ``source`` names the frame;
    - ``clip``: frames of the timeline (GUI: the clip under the playhead; CLI: a video file with
      ``--NAME-start SEC``/``--NAME-end SEC``) — it arrives as a :class:`studio.media.ClipInput`;
    - ``boxes``: boxes on the canvas or a box track (GUI: the selected box layer; CLI: a JSON file as
      ``studio ... --json`` writes it) — it arrives as a :class:`studio.results.OutputBoxes`;
    - ``path``: a file or folder on disk.

    Optional hints for the GUI (the CLI ignores them, so one declaration still serves both):

    - ``labels``: display names of ``choices`` (``{"dpmpp_2m_karras": "DPM++ 2M Karras"}``); the CLI
      keeps the ids;
    - ``choices_from(ctx)``: ``(value, label)`` or ``(value, label, tooltip)`` found at run time (the
      models on disk), offered in a drop-down that still accepts any typed value; ``ctx`` is the plugin's
      context;
    - ``add_folder(ctx, path)``: adds a folder to where ``choices_from`` looks ("Add folder…");
    - ``widget``: ``"slider"`` (a number with a slider beside its value) or ``"weighted"`` (several of
      ``choices_from``, each with a weight: the value is ``NAME:WEIGHT,NAME:WEIGHT``);
    - ``soft_range``: a slider's ends when they differ from ``minimum``..``maximum``;
    - ``minimum_label``: what the minimum means, shown in its place ("Random" for a seed of -1);
    - ``random_button``: a dice button that picks a random value, and one that reuses the last run's.

    ``repeat`` (``text`` parameters): on the CLI the option may be given several times
    (``--prompt-at 8:a cat --prompt-at 16:a dog``), its values joined one per line; in the GUI it is a
    several-line box with one entry per line. One value either way: the action splits the lines.
    """

    name: str
    kind: ParamKind
    default: Any = None
    help: str = ""
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    metavar: str = ""  # how the CLI shows the value (``WxH``, ``IMAGE``); empty: from the kind
    labels: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    choices_from: Callable[[PluginContext], Sequence[tuple[str, ...]]] | None = None
    add_folder: Callable[[PluginContext, str], None] | None = None
    widget: Literal["", "slider", "weighted"] = ""
    soft_range: tuple[float, float] | None = None
    minimum_label: str = ""
    random_button: bool = False
    repeat: bool = False

    def choice_label(self, value: str) -> str:
        """How a choice is shown in the window."""
        return self.labels.get(value, value)

    def out_of_range(self, value: float) -> str:
        """A sentence for the window when ``value`` is outside ``minimum``..``maximum``; empty when inside."""
        low, high = self.minimum, self.maximum
        if (low is None or value >= low) and (high is None or value <= high):
            return ""
        if low is not None and high is not None:
            bounds = f"between {low:g} and {high:g}"
        else:
            bounds = f"at least {low:g}" if low is not None else f"at most {high:g}"
        return f"{self.title} must be {bounds} (not {value:g})."

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise BadInputError."""
        if value is None:
            if self.required:
                raise BadInputError(f"'{self.name}' is required.")
            return self.default
        try:
            if self.kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                value = int(value)
            elif self.kind == "float":
                value = float(value)
                if not np.isfinite(value):
                    raise ValueError
            elif self.kind == "bool":
                if isinstance(value, str):
                    value = value.strip().lower() in ("1", "true", "yes", "on")
                value = bool(value)
            elif self.kind in ("str", "text", "choice", "path"):
                value = str(value)
        except (TypeError, ValueError):
            raise BadInputError(
                f"'{self.name}' must be a {self.kind}, not {value!r}."
            ) from None
        if self.kind in ("int", "float"):
            if self.minimum is not None and value < self.minimum:
                raise BadInputError(f"'{self.name}' must be at least {self.minimum:g} (got {value}).")
            if self.maximum is not None and value > self.maximum:
                raise BadInputError(f"'{self.name}' must be at most {self.maximum:g} (got {value}).")
        if self.kind == "choice" and value not in self.choices:
            raise BadInputError(f"'{self.name}' must be one of {', '.join(self.choices)} (got {value!r}).")
        if self.required and self.kind in ("str", "text", "path") and not value.strip():
            raise BadInputError(f"'{self.name}' must not be empty.")
        return value


@dataclass(frozen=True)
class Progress:
    """Yielded by a running action: step ``step`` of ``total``, optionally with a preview."""

    step: int
    total: int
    message: str = ""
    preview: np.ndarray | None = None


RunFunction = Callable[["JobContext", dict[str, Any]], Generator[Progress, None, ActionResult]]


@dataclass(frozen=True)
class Action:
    """Something a plugin can do, declared once for the GUI panel and the CLI.

    ``id`` is dotted, ``group.name`` (for example ``adjust.blur``); the CLI
    command is ``studio group name``. ``digital_source`` is the IPTC digital
    source type of what it makes (``trainedAlgorithmicMedia`` for generators),
    and ``c2pa_action`` the C2PA action that describes it (``c2pa.created``,
    ``c2pa.edited``, ``c2pa.filtered``, ``c2pa.resized``, ...).
    """

    id: str
    title: str
    run: RunFunction
    params: tuple[Param, ...] = ()
    description: str = ""
    c2pa_action: str = "c2pa.edited"
    digital_source: str | None = None
    plugin: str = ""
    # GUI hints: ``suggest(ctx, values)`` gives the concrete defaults for the current values (the chosen
    # model's steps and size) to show instead of "0: automatic"; ``job_title(params, result)`` names a job
    # in the Jobs panel ("a red circle… · seed 42"; ``result`` is None until it finishes)
    suggest: Callable[[PluginContext, dict[str, Any]], dict[str, Any]] | None = None
    job_title: Callable[[dict[str, Any], ActionResult | None], str] | None = None

    @property
    def cli_path(self) -> tuple[str, ...]:
        return tuple(self.id.replace("_", "-").split("."))

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate all values against the declaration; unknown names are refused."""
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise BadInputError(f"{self.title}: unknown parameter(s) {', '.join(sorted(unknown))}.")
        out = {}
        for p in self.params:
            value = values.get(p.name)
            if p.kind in INPUT_KINDS:
                if value is None and p.required:
                    raise BadInputError(f"{self.title}: '{p.name}' needs an image.")
                out[p.name] = value
            else:
                out[p.name] = p.validate(value)
        return out


def input_params(params: Sequence[Param]) -> list[Param]:
    return [p for p in params if p.kind in INPUT_KINDS]


@dataclass(frozen=True)
class Command:
    """A CLI command a plugin adds beyond its actions (``studio verify FILE``).

    ``path`` is the words after ``studio`` (``("watermark", "detect")``);
    ``configure(parser)`` adds argparse arguments; ``run(args, ctx)`` (``ctx``:
    the plugin's context) returns the exit status. ``--json`` is added for every command.
    """

    path: tuple[str, ...]
    help: str
    configure: Callable[[Any], None]
    run: Callable[[Any, PluginContext], int]
    plugin: str = ""
