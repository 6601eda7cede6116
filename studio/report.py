"""What a plugin can tell about a file: sections of an evidence report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

if TYPE_CHECKING:
    from studio.results import OutputBoxes, OutputScores


@dataclass
class Finding:
    """One line of a report: a plain label, its value, and what it means."""

    label: str
    value: str
    explanation: str = ""


@dataclass
class Parameter:
    """A setting of a heatmap that the user can change in the analysis view (a number in a range)."""

    name: str
    label: str
    value: float
    minimum: float
    maximum: float
    step: float = 1.0
    help: str = ""
    suffix: str = ""


@dataclass
class Heatmap:
    """A per-pixel signal (H×W floats in 0..1) shown in the analysis view.

    ``legend`` says in plain words what the dark and the bright end of the colour map mean;
    ``parameters`` are the settings the user may change, and ``recompute`` (called off the GUI thread
    with ``{parameter name: value}``) returns the values for them (H×W floats in 0..1).
    """

    name: str
    values: np.ndarray
    explanation: str = ""
    legend: tuple[str, str] = ("", "")
    parameters: list[Parameter] = field(default_factory=list)
    recompute: Callable[[dict[str, float]], np.ndarray] | None = None


@dataclass
class TreeNode:
    """A node of a tree a section offers the window (a file's ingredients): plain words and a thumbnail."""

    label: str
    detail: str = ""
    tone: str = "neutral"
    thumbnail: str = ""  # a data: URI, or empty
    children: list[TreeNode] = field(default_factory=list)


TONES = ("trusted", "caution", "bad", "neutral")
VERDICTS = ("flagged", "clear", "not-run")


@dataclass
class Signal:
    """One scored signal of a section, in the form batch tools rank and filter on.

    ``id`` is stable across versions (``forensics.spectrum.upsampling``, ``watermark.sdxl``); ``label`` says
    in plain words what was measured; ``score`` is the signal's own number (higher: more of what it looks
    for; ``None`` when it was not run); ``verdict`` is one of :data:`VERDICTS`: ``flagged`` when the score
    reaches the threshold the plugin calibrated, ``clear`` below it, ``not-run`` when it could not be
    measured; ``false_positive_rate`` is the share of natural photos the plugin measured as ``flagged``
    (``None`` when it was not measured).
    """

    id: str
    label: str
    score: float | None
    verdict: str
    false_positive_rate: float | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"signal {self.id}: verdict {self.verdict!r} is not one of {VERDICTS}")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "score": self.score, "verdict": self.verdict,
                "false_positive_rate": self.false_positive_rate}


@dataclass
class ReportSection:
    """One signal of the evidence report (Content Credentials, a watermark, a forensic test).

    ``state`` is a short machine-readable word for the signal's outcome (for the CLI and JSON);
    ``summary`` the plain-language sentence; ``can_tell``/``cannot_tell`` say
    what the signal is evidence of and what not.

    For the window (not part of :meth:`to_dict`): ``outcome`` is the state in plain words, ``tone``
    one of :data:`TONES`, ``headline`` a short lead sentence, ``details`` the technical lines (raw
    codes) shown only on request, ``plain_findings`` (when set) the findings the window shows in
    place of ``findings``, and ``tree`` a tree of items with thumbnails (ingredients).

    ``signals`` are the section's scored signals (:class:`Signal`); ``studio inspect --json`` lists every
    section's in one top-level ``signals`` array, and batch results carry them too.
    """

    title: str
    state: str
    summary: str
    findings: list[Finding] = field(default_factory=list)
    heatmaps: list[Heatmap] = field(default_factory=list)
    can_tell: str = ""
    cannot_tell: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    plugin: str = ""
    scores: list[OutputScores] = field(default_factory=list)
    boxes: list[OutputBoxes] = field(default_factory=list)
    outcome: str = ""
    tone: str = "neutral"
    headline: str = ""
    details: list[Finding] = field(default_factory=list)
    tree: list[TreeNode] = field(default_factory=list)
    plain_findings: list[Finding] | None = None  # what the window shows instead of findings (no raw codes)
    signals: list[Signal] = field(default_factory=list)  # scored signals: ``studio inspect --json``'s "signals"

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "state": self.state,
            "summary": self.summary,
            "findings": [vars(f) for f in self.findings],
            "heatmaps": [{"name": h.name, "explanation": h.explanation} for h in self.heatmaps],
            "can_tell": self.can_tell,
            "cannot_tell": self.cannot_tell,
            "data": self.data,
            "plugin": self.plugin,
            "scores": [t.to_dict() for t in self.scores],
            "boxes": [b.to_dict() for b in self.boxes],
        }


@dataclass(frozen=True)
class ReportOption:
    """An option of ``studio inspect`` that a plugin reads in its file report.

    It becomes the repeatable flag ``--NAME VALUE``; ``load`` (if given) turns
    each value into what the plugin's ``studio_file_report`` receives in
    ``options[NAME]`` (a list, in the order given), and may raise a
    :class:`studio.errors.StudioError` to refuse a value before the file is read.
    """

    name: str
    help: str
    metavar: str = "VALUE"
    load: Callable[[str], Any] | None = None
    plugin: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")
