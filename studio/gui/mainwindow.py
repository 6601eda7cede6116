"""The main window: canvas in the middle, layers, actions, jobs, timeline and notifications around it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import APP_NAME
from studio.application import StudioApp
from studio.document import Clip, Document, Layer, Record, VideoClip
from studio.document.apply import apply_result, result_of_report
from studio.document.history import Command as HistoryCommand
from studio.document.project import SUFFIX, load_project, save_project
from studio.errors import StudioError
from studio.formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from studio.gui.actionpanel import ActionPanel
from studio.gui.canvas import CanvasView
from studio.gui.exportdialog import VideoExporter
from studio.gui.heatmaps import heatmap_layers
from studio.gui.jobspanel import JobsPanel
from studio.gui.layerspanel import LayersPanel
from studio.gui.notifications import NotificationList, Notifier
from studio.gui.pluginsdialog import PluginsDialog
from studio.gui.qimage import from_qimage, thumbnail
from studio.gui.reportpanel import ReportPanel
from studio.gui.timelinewidget import TimelineWidget
from studio.gui.worker import JobRunner
from studio.imageio import check_file, load_image, sha256_file
from studio.jobs import Job, JobState

IMAGE_FILTER = (
    "Images and videos (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES + VIDEO_SUFFIXES) + ")"
    + f";;Studio projects (*{SUFFIX})"
)
FIRST_ACTION = "generate"


class _Bridge(QObject):
    """Carries results of background work back to the GUI thread.

    It is a child of the window: once the window is gone, late results are dropped.
    """

    done = Signal(object, object)

    def post(self, callback: Any, value: Any) -> None:
        """From any thread: call ``callback(value)`` on the GUI thread, unless the window is gone."""
        try:
            self.done.emit(callback, value)
        except RuntimeError:  # the window (and this bridge) was deleted while the work ran
            pass


class MainWindow(QMainWindow):
    def __init__(self, app: StudioApp, notifier: Notifier | None = None) -> None:
        super().__init__()
        self.app = app
        self.doc = Document()
        self.notifier = notifier or Notifier()
        self.confirm_close = True
        self.heatmaps_on_open = True  # the report's heatmaps of an opened image arrive as overlay layers
        self.resize(1400, 900)
        self.runner = JobRunner(app, self)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(lambda callback, value: callback(value), Qt.ConnectionType.QueuedConnection)

        self.canvas = CanvasView(self.doc)
        self.canvas.files_dropped.connect(self.open_files)
        self.setCentralWidget(self.canvas)
        self.layers_panel = LayersPanel(self.doc)
        self.jobs_panel = JobsPanel(self.runner, self.doc)
        self.timeline = TimelineWidget(self.doc)
        self.timeline.notify.connect(self.notifier.notify)
        for action in self.timeline.transport_actions:  # Space, arrows, Home/End work on the canvas too
            self.canvas.addAction(action)
        self.video_export = VideoExporter(self)
        self.timeline.contents_changed.connect(self.video_export.set_enabled)
        self.report_panel = ReportPanel()
        self.notification_list = NotificationList(self.notifier, self.statusBar())
        self.history_list = QListWidget()
        self.history_list.setObjectName("history")
        self.history_list.itemDoubleClicked.connect(self._history_to_canvas)
        self.actions_widget, self.action_panels = self._build_action_panels()

        self.docks: dict[str, QDockWidget] = {}
        self._dock("Layers", self.layers_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Actions", self.actions_widget, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Notifications", self.notification_list, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Verify", self.report_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("History", self.history_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.docks["Verify"], self.docks["History"])
        self.docks["Verify"].raise_()

        self.runner.job_finished.connect(self._job_finished)
        app.host.fault_listeners.append(self._plugin_fault)
        for name, info in app.host.plugins.items():
            if info.error:
                self.notifier.notify("warning", f"Plugin '{name}' {info.error}")
        self._build_menus()
        self._bind_document(self.doc)
        self.statusBar().showMessage("Ready")

    # -- construction -------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_action_panels(self) -> tuple[QWidget, dict[str, ActionPanel]]:
        container = QWidget()
        self.action_picker = QComboBox()
        self.action_picker.setObjectName("action_picker")
        stack = QStackedWidget()
        panels: dict[str, ActionPanel] = {}
        for action in self.app.actions.values():
            panel = ActionPanel(action, self.doc, self._plugin_context(action.plugin))
            panel.run_requested.connect(self.run_action)
            panel.run_failed.connect(lambda message: self.notifier.notify("error", message))
            panels[action.id] = panel
            stack.addWidget(panel)
            self.action_picker.addItem(action.title, action.id)
            self.action_picker.setItemData(self.action_picker.count() - 1, action.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.action_picker.currentIndexChanged.connect(stack.setCurrentIndex)
        first = self.action_picker.findData(FIRST_ACTION)
        if first >= 0:  # the creator's core loop opens on generation when it is there
            self.action_picker.setCurrentIndex(first)
        scroll = QScrollArea()  # a long panel (generation) scrolls instead of making the window taller than a screen
        scroll.setWidget(stack)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(container)
        layout.addWidget(self.action_picker)
        layout.addWidget(scroll, 1)
        return container, panels

    def _plugin_context(self, plugin: str) -> Any:
        try:
            return self.app.host.context(plugin)
        except KeyError:
            return None

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&New", self.new_document, QKeySequence.StandardKey.New)
        self._add(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._add(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._add(file_menu, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        self._add(file_menu, "&Export…", self.export_dialog, QKeySequence("Ctrl+E"))
        file_menu.addAction(self.video_export.action)
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._add(edit, "&Undo", lambda: self.doc.undo(), QKeySequence.StandardKey.Undo)
        self.redo_action = self._add(edit, "&Redo", lambda: self.doc.redo(), QKeySequence.StandardKey.Redo)
        edit.addSeparator()
        self._add(edit, "&Paste as layer", self.paste, QKeySequence.StandardKey.Paste)
        view = bar.addMenu("&View")
        self._add(view, "Zoom &in", self.canvas.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._add(view, "Zoom &out", self.canvas.zoom_out, QKeySequence.StandardKey.ZoomOut)
        self._add(view, "&Fit", self.canvas.fit, QKeySequence("Ctrl+0"))
        self._add(view, "&Actual size", lambda: self.canvas.set_zoom(1.0), QKeySequence("Ctrl+1"))
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        timeline = bar.addMenu("&Timeline")
        timeline.addActions(self.timeline.transport_actions)
        timeline.addSeparator()
        timeline.addActions(self.timeline.edit_actions)
        timeline.addSeparator()
        timeline.addAction(self.video_export.action)
        plugins = bar.addMenu("&Plugins")
        self._add(plugins, "&Manage plugins…", self.show_plugins)

    def _add(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # -- document ---------------------------------------------------------
    def _bind_document(self, doc: Document) -> None:
        self.doc = doc
        self.canvas.set_document(doc)
        self.layers_panel.set_document(doc)
        self.timeline.set_document(doc)
        for panel in self.action_panels.values():
            panel.set_document(doc)
        self.jobs_panel.gallery.set_document(doc)
        doc.layers_changed.connect(self._layers_changed)
        doc.undo_stack.changed.connect(self._update_title)
        doc.results_changed.connect(self._refresh_history)
        self._refresh_history()
        self._update_title()

    def set_document(self, doc: Document) -> None:
        self._bind_document(doc)
        self.report_panel.clear()  # the Verify view spoke of a file of the previous document

    def _layers_changed(self) -> None:
        for panel in self.action_panels.values():
            panel.refresh_layers()

    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "Untitled"
        self.setWindowTitle(f"{name}{' *' if self.doc.modified else ''} — {APP_NAME}")
        self.undo_action.setEnabled(self.doc.undo_stack.can_undo)
        self.undo_action.setText(f"&Undo {self.doc.undo_stack.undo_text}".strip())
        self.redo_action.setEnabled(self.doc.undo_stack.can_redo)
        self.redo_action.setText(f"&Redo {self.doc.undo_stack.redo_text}".strip())

    def new_document(self) -> None:
        if self._confirm_discard():
            self.set_document(Document())

    def _confirm_discard(self) -> bool:
        if not self.doc.modified or not self.confirm_close:
            return True
        answer = QMessageBox.question(
            self, APP_NAME, "Discard the unsaved changes?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    # -- opening ------------------------------------------------------------
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open", "", IMAGE_FILTER)
        self.open_files(paths)

    def open_files(self, paths: list[str]) -> None:
        for path in paths:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Open an image as a new layer, or a project in place of the document. Errors are notified."""
        path = Path(path)
        try:
            if path.suffix == SUFFIX:
                if not self._confirm_discard():
                    return False
                self.set_document(load_project(path))
            elif path.suffix.lower() in VIDEO_SUFFIXES:
                if not self.open_video(path):
                    return False
            else:
                loaded = load_image(path)
                layer = Layer(loaded.pixels, name=path.name, record=Record.opened(str(path), loaded.sha256))
                self.doc.add_layer(layer)
                self.inspect_file(path, layer)
        except StudioError as exc:
            self.notifier.notify("error", str(exc))
            return False
        self.app.settings.add_recent(path)
        self._save_settings()
        self.canvas.fit()
        return True

    def open_video(self, path: Path) -> bool:
        """Put a video on the timeline as a clip that refers to the file (after the clips already there).

        Nothing is decoded up front: frames are decoded when shown, and the file is never copied. When
        the file holds no frames this program can decode, nothing goes on the timeline (returns False),
        but the report on the file, its Content Credentials included, is still built and shown.
        """
        check_file(path, "a video")  # missing, empty, a folder: nothing to report on either
        try:
            from studio.video import VideoSource

            source = VideoSource(path)  # reads the file's header, decodes nothing
        except StudioError as exc:
            self.notifier.notify("warning", f"{exc} Nothing was put on the timeline; the Verify view still shows "
                                            "its Content Credentials and what else can be told about the file.")
            self.inspect_file(path)
            return False
        clip = VideoClip(name=path.name, start=-1, source=source, record=Record.opened(str(path)))

        def fingerprint() -> None:  # hashing a long video takes a while: not on the GUI thread
            try:
                sha = sha256_file(path)
            except OSError:
                return

            def arrived(digest: str) -> None:
                source.sha256 = digest
                if clip.record is not None and clip.record.ingredients:
                    clip.record.ingredients[0].sha256 = digest

            self._bridge.post(arrived, sha)

        threading.Thread(target=fingerprint, name="fingerprint", daemon=True).start()
        with self.doc.undo_stack.macro(f"Open video '{path.name}'"):
            if self.doc.timeline.duration == 0:  # the first clip sets the timeline's rate
                self.doc.set_fps(source.fps)
            self.doc.add_clip(clip)
        self.doc.timeline.seek(clip.start)
        if source.info.variable_frame_rate:
            self.notifier.notify("info", f"{path.name} has a variable frame rate; it is shown at "
                                         f"{source.fps:.3g} frames a second by its timestamps.")
        self.inspect_file(path, clip)
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for file in self.app.settings.recent_files:
            self._add(self.recent_menu, file, lambda f=file: self.open_file(f))
        if not self.app.settings.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasUrls():
            self.open_files([u.toLocalFile() for u in mime.urls() if u.isLocalFile()])
            return
        image = clipboard.image()
        if image.isNull():
            self.notifier.notify("warning", "The clipboard holds no image.")
            return
        self.doc.add_layer(Layer(from_qimage(image), name="Pasted",
                                 record=Record(action="paste", title="Pasted", c2pa_action="c2pa.placed")))
        self.canvas.fit()

    def inspect_file(self, path: Path, target: Layer | Clip | None = None) -> None:
        """Build the evidence report for ``path`` in the background and show it in the Verify view.

        ``target`` is what the file became: the layer's heatmaps arrive as overlay layers above it,
        the clip's per-frame scores as a score clip beside it. The Verify view says "Analysing…" at
        once, and a report that arrives after a newer one was asked for is not shown.
        """
        request = self.report_panel.begin(path)

        def failed(message: str) -> None:
            self.report_panel.show_report(path, [], message, request=request)

        def work() -> None:
            try:
                sections = self.app.file_report(path)
                # colour-mapping full-size overlays is heavy: done here, off the GUI thread
                overlays = heatmap_layers(sections, target.size, source=target.name) \
                    if isinstance(target, Layer) and self.heatmaps_on_open else []
                self._bridge.post(lambda r: self._report_arrived(path, target, request, *r), (sections, overlays))
            except StudioError as exc:
                self._bridge.post(failed, str(exc))
            except Exception as exc:
                self._bridge.post(failed, f"The report could not be built: {type(exc).__name__}: {exc}")
                raise  # a bug: the view does not keep saying "Analysing…", and the error is notified

        # not a daemon: the interpreter waits for a running report at exit instead of killing the thread
        # inside OpenCV or numpy, which aborts the process ("FATAL: exception not rethrown")
        threading.Thread(target=work, name="inspect", daemon=False).start()

    def _report_arrived(self, path: Path, target: Layer | Clip | None, request: int, sections: list[Any],
                        overlays: list[Layer]) -> None:
        self.report_panel.show_report(path, sections, request=request)
        if isinstance(target, Layer) and overlays and target in self.doc.layers:
            self.add_heatmap_layers(target, sections, overlays)
        elif isinstance(target, Clip) and self.doc.timeline.track_of(target) is not None:
            media = result_of_report(sections, start=target.start)
            if not media.empty:
                apply_result(self.doc, media, f"Add the report of '{target.name}'")

    def add_heatmap_layers(self, layer: Layer, sections: list[Any], overlays: list[Layer] | None = None
                           ) -> list[Layer]:
        """Put the report's heatmaps above ``layer`` as overlay layers (one undoable step; first one visible)."""
        if overlays is None:
            overlays = heatmap_layers(sections, layer.size, source=layer.name)
        if not overlays:
            return []
        doc = self.doc

        def redo() -> None:
            position = doc.layers.index(layer) + 1 if layer in doc.layers else len(doc.layers)
            doc.layers[position:position] = overlays
            doc.layers_changed.emit()

        def undo() -> None:
            doc.layers[:] = [existing for existing in doc.layers if existing not in overlays]
            doc.layers_changed.emit()
            doc.active_changed.emit(doc.active_layer)

        doc.undo_stack.push(HistoryCommand(f"Add heatmaps of '{layer.name}'", redo, undo))
        return overlays

    # -- saving -------------------------------------------------------------
    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", "untitled" + SUFFIX, f"Studio projects (*{SUFFIX})")
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            saved = save_project(self.doc, path)
        except StudioError as exc:
            self.notifier.notify("error", str(exc))
            return False
        self.app.settings.add_recent(saved)
        self._save_settings()
        self._update_title()
        self.statusBar().showMessage(f"Saved {saved}", 5000)
        return True

    def _save_settings(self) -> None:
        try:
            self.app.settings.save()
        except OSError as exc:
            self.notifier.notify("warning", f"Could not save settings: {exc}")

    # -- export -------------------------------------------------------------
    def export_record(self) -> Record:
        """The record of the exported picture (see :meth:`Document.export_record`)."""
        return self.doc.export_record()

    def export_dialog(self) -> None:
        if self.doc.export_size is None:
            self.notifier.notify("warning", "Nothing to export: the canvas holds no picture "
                                 "(analysis overlays are never exported).")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export", "export.png",
                                              "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp);;TIFF (*.tif *.tiff)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path, options: dict[str, Any] | None = None) -> threading.Thread:
        """Export the visible canvas, without analysis overlays, off the GUI thread; the outcome is notified."""
        pixels = self.doc.flatten_for_export()
        record = self.export_record()
        options = {**self.app.settings.export, **(options or {})}

        def work() -> None:
            try:
                report = self.app.export.export_image(pixels, path, record, options)
            except StudioError as exc:
                self._bridge.post(lambda e: self.notifier.notify("error", f"Export failed: {e}"), exc)
                return
            def done(r: Any) -> None:
                self.notifier.notify("info", f"Exported {r.path.name}")
                for notice in r.notices:
                    self.notifier.notify("warning", notice)
            self._bridge.post(done, report)

        thread = threading.Thread(target=work, name="export", daemon=True)
        thread.start()
        return thread

    # -- jobs -----------------------------------------------------------------
    def run_action(self, action: Any, values: dict[str, Any]) -> Job:
        job = Job(action=action, params=values)
        self.runner.submit(job)
        self.docks["Jobs"].raise_()
        return job

    def _job_finished(self, job: Job) -> None:
        if job.state == JobState.FAILED:
            self.notifier.notify("error", job.error)
            return
        if job.state != JobState.FINISHED or job.result is None:
            return
        for message in job.result.messages:
            self.notifier.notify("info", message)
        panel = self.action_panels.get(job.action.id)
        if panel is not None:
            panel.job_finished(job)
        if not job.result.empty:
            applied = apply_result(self.doc, job.result, job.action.title)
            self.jobs_panel.set_results(job, applied.layers)  # a batch's pictures, to choose one for the canvas
            if applied.layers:
                self.canvas.fit()  # the new picture whole, whatever its size

    def _plugin_fault(self, plugin: str, message: str) -> None:
        self.notifier.notify("error", f"Plugin '{plugin}': {message}")

    def _refresh_history(self) -> None:
        self.history_list.clear()
        for entry in reversed(self.doc.results):
            item = QListWidgetItem(thumbnail(entry.pixels, 48), f"{entry.name}\n{entry.record.action}")
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            item.setToolTip(str(entry.record.params))
            self.history_list.addItem(item)

    def _history_to_canvas(self, item: QListWidgetItem) -> None:
        entry = next((e for e in self.doc.results if e.id == item.data(Qt.ItemDataRole.UserRole)), None)
        if entry is None:
            return
        self.doc.add_layer(Layer(entry.pixels.copy(), name=entry.name, record=entry.record))
        panel = self.action_panels.get(entry.record.action)
        if panel is not None:
            panel.set_values(entry.record.params)
            self.action_picker.setCurrentIndex(self.action_picker.findData(entry.record.action))

    def show_plugins(self) -> None:
        PluginsDialog(self.app.host, self).exec()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._confirm_discard():
            for job in self.runner.jobs:
                if not job.state.done:
                    job.cancel()
            event.accept()
        else:
            event.ignore()
