"""What a plugin can tell about a file: sections of an evidence report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from studio.results import OutputBoxes, OutputScores


@dataclass
class Finding:
    """One line of a report: a plain label, its value, and what it means."""

    label: str
    value: str
    explanation: str = ""


@dataclass
class Heatmap:
    """A per-pixel signal (H×W floats in 0..1) shown as an overlay layer."""

    name: str
    values: np.ndarray
    explanation: str = ""


@dataclass
class ReportSection:
    """One signal of the evidence report (Content Credentials, a watermark, a forensic test).

    ``state`` is a short machine-readable word for the signal's outcome;
    ``summary`` the plain-language sentence; ``can_tell``/``cannot_tell`` say
    what the signal is evidence of and what not.
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
