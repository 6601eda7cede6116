"""File → Export video…: a range of the timeline to MP4, WebM, an animated GIF or a folder of PNG files.

The dialog says, in plain words and for the chosen format, what the invisible watermark and the
Content Credentials will do to this file (it asks the export pipeline which formats each step
handles, so it never promises what the export will not do). The export runs as a job in the Jobs
panel — progress per frame, Cancel leaves nothing behind — and a notification says afterwards what
was done, with the reasons for anything skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Generator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio import formats
from studio.actions import Action, ActionResult, Progress
from studio.document import Clip, Timeline, Track, VideoClip
from studio.export import ExportStep
from studio.jobs import Job, JobState

if TYPE_CHECKING:
    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow
    from studio.jobs import JobContext

WATERMARK_OPTION = "watermark"
SIGN_OPTION = "sign"
WATERMARK_MIN_SIDE = 64  # the invisible watermark needs pictures at least this large on both sides
EXPORT_ACTION_ID = "timeline.export_video"


@dataclass
class VideoExportRequest:
    """What to export: timeline frames ``start`` .. ``end - 1`` to ``dest`` as ``format``."""

    start: int
    end: int
    dest: Path
    format: str  # a name in studio.formats: MP4, WEBM, GIF, PNGSEQ
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.end - self.start


# -- what the export will do, in words --------------------------------------------------------------

def _step(steps: list[ExportStep], option: str) -> ExportStep | None:
    return next((s for s in steps if s.option == option), None)


def frame_size(timeline: Timeline, start: int, end: int) -> tuple[int, int] | None:
    """The size of the exported pictures (the largest of the clips shown in the range), without decoding."""
    width = height = 0
    seen: set[int] = set()
    step = max(1, (end - start) // 2000)  # a long range: look at every n-th frame (clips are long anyway)
    for frame in [*range(start, end, step), end - 1]:
        clip = timeline.video_clip_at(frame)
        if clip is None or id(clip) in seen:
            continue
        seen.add(id(clip))
        if isinstance(clip, VideoClip):
            if clip.source is None or clip.missing:
                continue
            w, h = clip.source.size
        else:
            pixels = clip.source_frame(clip.in_point)
            if pixels is None:
                continue
            h, w = int(pixels.shape[0]), int(pixels.shape[1])
        width, height = max(width, w), max(height, h)
    return (width, height) if width else None


def has_sound(timeline: Timeline, start: int, end: int) -> bool:
    for track in timeline.tracks:
        for clip in track.clips:
            if (isinstance(clip, VideoClip) and clip.source is not None and clip.source.info.audio
                    and clip.start < end and clip.end(timeline.fps) > start):
                return True
    return False


def explain(steps: list[ExportStep], fmt_name: str, watermark: bool, sign: bool,
            size: tuple[int, int] | None, sound: bool = False) -> list[str]:
    """Plain-words lines: what the watermark and the Content Credentials will do to a ``fmt_name`` export."""
    fmt = formats.BY_NAME[fmt_name]
    sequence = fmt_name == "PNGSEQ"
    per_file = "PNG" if sequence else fmt_name  # a sequence is exported picture by picture, as PNG files
    short = {"PNGSEQ": "PNG", "WEBM": "WebM"}.get(fmt_name, fmt_name)
    lines: list[str] = []

    mark = _step(steps, WATERMARK_OPTION)
    if mark is None:
        lines.append("Invisible watermark: no watermark plugin is enabled, so the frames will not be marked.")
    elif not watermark:
        lines.append("Invisible watermark: off. The frames will not carry a mark.")
    elif per_file not in mark.formats:
        lines.append(f"Invisible watermark: this version cannot mark {short} files yet, so the frames will "
                     "not carry a mark." + (" A PNG sequence can be marked." if "PNG" in mark.formats else ""))
    else:
        line = ("Invisible watermark: every picture gets an invisible mark that links it to this export's record."
                if sequence else
                "Invisible watermark: every frame gets an invisible mark that links the video to this export's "
                "record.")
        if fmt_name == "GIF":
            line += " A GIF keeps only 256 colours, which may weaken the mark."
        lines.append(line)
        if size is not None and min(size) < WATERMARK_MIN_SIDE:
            lines.append(f"The frames are {size[0]}×{size[1]} pixels: frames smaller than {WATERMARK_MIN_SIDE} "
                         "pixels on a side cannot carry the mark and will be exported without it. Enlarge "
                         "the clip first to mark it.")

    cred = _step(steps, SIGN_OPTION)
    if cred is None:
        lines.append("Content Credentials: no credentials plugin is enabled, so this file will not be signed.")
    elif not sign:
        lines.append("Content Credentials: off. This file will not say what made it.")
    elif not fmt.signable and not sequence:
        lines.append(f"{short} files cannot carry Content Credentials: this file will not be signed.")
    elif per_file not in cred.formats:
        lines.append(f"Content Credentials: this version cannot sign {short} files yet, so this file will not "
                     "be signed.")
    elif sequence:
        lines.append("Content Credentials: each picture is signed with a record of what made it and how it "
                     "was edited.")
    else:
        lines.append("Content Credentials: the file is signed with a record of what made it and how it was "
                     "edited.")

    if sound and not fmt.audio:
        lines.append(f"{'A PNG sequence' if sequence else short} carries no sound: the video's sound is left out.")
    if size is not None and fmt_name in ("MP4", "WEBM") and (size[0] % 2 or size[1] % 2):
        lines.append(f"The frames are {size[0]}×{size[1]}; video needs even sides, so the last row or column is "
                     "left out.")
    return lines


def summary(report: Any, steps: list[ExportStep]) -> str:
    """What an export did, in one line: "Exported clip.mp4 (72 frames): watermarked, signed"."""
    marked = any(p.get("c2pa_action") == "c2pa.watermarked" for p in report.performed)
    cred = _step(steps, SIGN_OPTION)
    signed = cred is not None and cred.name in report.steps
    frames = f"{report.frames} frame{'s' if report.frames != 1 else ''}"
    done = ["watermarked" if marked else "not watermarked", "signed" if signed else "not signed"]
    return f"Exported {report.path.name} ({frames}): {', '.join(done)}"


# -- the job -------------------------------------------------------------------------------------------

def frozen_timeline(timeline: Timeline) -> Timeline:
    """A copy of ``timeline`` for an export running while the user goes on editing.

    Clips share their pictures; each video gets its own decoder (without a cache), so the export and
    the canvas never wait on each other.
    """
    from studio.video import VideoSource

    copy_ = Timeline(timeline.fps)
    for track in timeline.tracks:
        clips: list[Clip] = []
        for clip in track.clips:
            twin = clip.duplicate()
            twin.name = clip.name
            if isinstance(twin, VideoClip) and twin.source is not None:
                source = twin.source
                twin.source = VideoSource(source.path, source.sha256, source.info, cache_bytes=0)
            clips.append(twin)
        copy_.tracks.append(Track(kind=track.kind, name=track.name, clips=clips, id=track.id))
    copy_.keys = copy.deepcopy(timeline.keys)
    return copy_


def export_action(app: StudioApp, timeline: Timeline, request: VideoExportRequest) -> Action:
    """An action (run as a job) that exports ``request`` from ``timeline`` (a frozen copy)."""

    def run(ctx: JobContext, _params: dict[str, Any]) -> Generator[Progress, None, ActionResult]:
        from studio.media import ClipInput

        yield Progress(0, request.count, "Preparing")
        try:
            clip = ClipInput.from_timeline(timeline, request.start, request.end, name=request.dest.stem)
            report = app.export.export_clip(clip, request.dest, request.options, request.format,
                                            cancel=ctx.job.cancel_event, progress=ctx.progress)
        finally:
            for c in timeline.clips:
                if isinstance(c, VideoClip) and c.source is not None:
                    c.source.close()
        steps = app.export.steps()
        return ActionResult(messages=[summary(report, steps)],
                            data={"path": str(report.path), "notices": list(report.notices),
                                  "frames": report.frames})

    label = formats.BY_NAME[request.format].label
    return Action(id=EXPORT_ACTION_ID, title=f"Export {request.dest.name}", run=run,
                  description=f"Frames {request.start}–{request.end - 1} of the timeline as {label}.")


# -- the dialog ----------------------------------------------------------------------------------------

def default_folder() -> Path:
    """Where exports go unless the project has a folder: the user's videos folder, else the home folder."""
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(movies) if movies and Path(movies).is_dir() else Path.home()


class VideoExportDialog(QDialog):
    """Range, format, file, watermark and credentials, with what each will do in plain words."""

    def __init__(self, app: StudioApp, timeline: Timeline, selected: Clip | None = None,
                 folder: Path | None = None, stem: str = "timeline", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setObjectName("export_video")
        self.app = app
        self.timeline = timeline
        self.selected = selected if selected is not None and timeline.track_of(selected) is not None else None
        self.steps = app.export.steps()
        self.confirm_overwrite = True
        last = max(0, timeline.duration - 1)

        self.start_box = QSpinBox()
        self.end_box = QSpinBox()
        for box in (self.start_box, self.end_box):
            box.setRange(0, last)
            box.setKeyboardTracking(False)
        self.start_box.setValue(0)
        self.end_box.setValue(last)
        self.range_words = QLabel()
        self.whole_button = QPushButton("Whole timeline")
        self.whole_button.clicked.connect(self.use_whole)
        self.clip_button = QPushButton("Selected clip")
        self.clip_button.setEnabled(self.selected is not None)
        self.clip_button.setToolTip(f"Frames of '{self.selected.name}'" if self.selected is not None else
                                    "Select a clip on the timeline first")
        self.clip_button.clicked.connect(self.use_selected)

        self.format_box = QComboBox()
        for name in formats.CLIP_FORMATS:
            fmt = formats.BY_NAME[name]
            label = "PNG sequence (a folder of PNG files)" if name == "PNGSEQ" else fmt.label
            self.format_box.addItem(label, name)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit = QLineEdit(str((folder or default_folder()) / f"{stem}.mp4"))
        self.path_edit.setMinimumWidth(380)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_path)

        defaults = app.settings.export
        self.watermark_box = QCheckBox("Invisible watermark")
        self.sign_box = QCheckBox("Content Credentials")
        for check, option in ((self.watermark_box, WATERMARK_OPTION), (self.sign_box, SIGN_OPTION)):
            step = _step(self.steps, option)
            check.setChecked(bool(defaults.get(option, step.default if step else False)) and step is not None)
            check.setEnabled(step is not None)
            check.toggled.connect(self._explain)
        self.watermark_box.setToolTip("Mark every frame with an invisible watermark that links it to its record")
        self.sign_box.setToolTip("Sign the file with Content Credentials (C2PA): what made it and how")
        self.explanation = QLabel()
        self.explanation.setObjectName("export_explanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setMinimumWidth(460)
        self.explanation.setStyleSheet("QLabel { padding: 6px; }")

        form = QFormLayout()
        first = QHBoxLayout()
        first.addWidget(QLabel("from frame"))
        first.addWidget(self.start_box)
        first.addWidget(QLabel("to frame"))
        first.addWidget(self.end_box)
        first.addStretch(1)
        form.addRow("Range", first)
        form.addRow("", self.range_words)
        shortcuts = QHBoxLayout()
        shortcuts.addWidget(self.whole_button)
        shortcuts.addWidget(self.clip_button)
        shortcuts.addStretch(1)
        form.addRow("", shortcuts)
        form.addRow("Format", self.format_box)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        form.addRow("Save as", where)
        checks = QHBoxLayout()
        checks.addWidget(self.watermark_box)
        checks.addWidget(self.sign_box)
        checks.addStretch(1)
        form.addRow("Add", checks)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.explanation)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        for box in (self.start_box, self.end_box):
            box.valueChanged.connect(self._range_changed)
        if self.selected is not None:
            self.use_selected()
        self._range_changed()

    # -- values ------------------------------------------------------------------------
    @property
    def format_name(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, name: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(name))

    def set_range(self, start: int, last: int) -> None:
        """Frames ``start`` .. ``last`` (both shown)."""
        self.start_box.setValue(start)
        self.end_box.setValue(last)
        self._range_changed()

    def use_whole(self) -> None:
        self.set_range(0, max(0, self.timeline.duration - 1))

    def use_selected(self) -> None:
        if self.selected is not None:
            fps = self.timeline.fps
            self.set_range(self.selected.start, min(self.selected.end(fps), self.timeline.duration) - 1)

    def request(self) -> VideoExportRequest:
        options = dict(self.app.settings.export)
        options[WATERMARK_OPTION] = self.watermark_box.isChecked()
        options[SIGN_OPTION] = self.sign_box.isChecked()
        start, last = self.start_box.value(), self.end_box.value()
        return VideoExportRequest(start, last + 1, Path(self.path_edit.text()).expanduser(), self.format_name,
                                  options)

    # -- reactions ---------------------------------------------------------------------------
    def _range_changed(self) -> None:
        if self.end_box.value() < self.start_box.value():
            self.end_box.setValue(self.start_box.value())
        start, last = self.start_box.value(), self.end_box.value()
        t = self.timeline
        count = last - start + 1
        self.range_words.setText(f"{t.seconds(start):.2f} s to {t.seconds(last + 1):.2f} s — {count} frame"
                                 f"{'s' if count != 1 else ''}, {t.seconds(count):.2f} s at {t.fps:g} frames a second")
        self._explain()

    def _format_changed(self) -> None:
        name = self.format_name
        path = Path(self.path_edit.text())
        if name == "PNGSEQ":
            new = path.with_suffix("") if path.suffix else path
            if not new.name.endswith("_frames"):
                new = new.with_name(f"{new.name}_frames")
        else:
            stem = path.stem if path.suffix else path.name
            stem = stem[: -len("_frames")] if stem.endswith("_frames") else stem
            new = path.with_name(stem + formats.BY_NAME[name].suffix)
        self.path_edit.setText(str(new))
        self._explain()

    def _explain(self) -> None:
        start, last = self.start_box.value(), self.end_box.value()
        size = frame_size(self.timeline, start, last + 1)
        lines = explain(self.steps, self.format_name, self.watermark_box.isChecked(), self.sign_box.isChecked(),
                        size, has_sound(self.timeline, start, last + 1))
        head = f"<b>Frames of {size[0]}×{size[1]} pixels.</b> " if size else ""
        self.explanation.setText(head + "<ul style='margin-left:-20px'>"
                                 + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
        self.lines = lines

    def choose_path(self) -> None:
        name = self.format_name
        if name == "PNGSEQ":
            path, _ = QFileDialog.getSaveFileName(self, "Export to a new folder", self.path_edit.text())
        else:
            fmt = formats.BY_NAME[name]
            pattern = " ".join(f"*{s}" for s in fmt.suffixes)
            path, _ = QFileDialog.getSaveFileName(self, "Export video", self.path_edit.text(),
                                                  f"{fmt.label} ({pattern})")
        if path:
            self.path_edit.setText(path)
            self._explain()

    def accept(self) -> None:
        request = self.request()
        if not request.dest.name:
            QMessageBox.warning(self, "Export video", "Choose where to save the export.")
            return
        if self.confirm_overwrite and request.dest.exists():
            kind = "folder" if request.dest.is_dir() else "file"
            answer = QMessageBox.question(self, "Export video", f"{request.dest.name} exists. Replace that {kind}?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().accept()


class VideoExporter(QObject):
    """The window's "Export video…" command: the menu entry, the dialog and the export job."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.action = QAction("Export &video…", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.action.setToolTip("Export a range of the timeline as a video, a GIF or PNG files")
        self.action.triggered.connect(lambda _checked=False: self.open_dialog())
        self.action.setEnabled(False)
        self.dialog: VideoExportDialog | None = None
        self.jobs: list[Job] = []
        window.runner.job_finished.connect(self._finished)

    def set_enabled(self, has_clips: bool) -> None:
        self.action.setEnabled(has_clips)

    def make_dialog(self) -> VideoExportDialog:
        window = self.window
        doc = window.doc
        folder = doc.path.parent if doc.path is not None else None
        stem = doc.path.stem if doc.path is not None else "timeline"
        self.dialog = VideoExportDialog(window.app, doc.timeline, window.timeline.area.live_selection(), folder,
                                        stem, window)
        return self.dialog

    def open_dialog(self) -> Job | None:
        if not self.window.doc.timeline.clips:
            self.window.notifier.notify("warning", "Nothing to export: the timeline is empty.")
            return None
        dialog = self.make_dialog()
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.start(dialog.request())

    def start(self, request: VideoExportRequest) -> Job:
        """Run ``request`` as a job in the Jobs panel."""
        window = self.window
        window.timeline.set_playing(False)
        action = export_action(window.app, frozen_timeline(window.doc.timeline), request)
        job = Job(action=action, params={})
        self.jobs.append(job)
        window.runner.submit(job)
        window.docks["Jobs"].raise_()
        return job

    def _finished(self, job: Job) -> None:
        if job not in self.jobs:
            return
        self.jobs.remove(job)
        notifier = self.window.notifier
        if job.state == JobState.FINISHED and job.result is not None:
            for notice in job.result.data.get("notices", []):
                notifier.notify("warning", notice)
        elif job.state == JobState.CANCELLED:
            notifier.notify("info", f"{job.title} cancelled; nothing was written.")
