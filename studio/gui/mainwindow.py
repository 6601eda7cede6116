"""The main window: canvas in the middle, layers, actions, jobs, timeline and notifications around it."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio import APP_NAME
from studio.application import StudioApp
from studio.document import BoxClip, BoxLayer, Clip, Document, Layer, Record, VideoClip
from studio.document.apply import apply_result, result_of_report
from studio.document.history import Command as HistoryCommand
from studio.document.project import SUFFIX, load_project, save_project
from studio.errors import StudioError, window_text
from studio.formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from studio.gui import gcguard
from studio.gui.actionpanel import ActionPanel
from studio.gui.boxtools import BoxTools
from studio.gui.canvas import CanvasView
from studio.gui.exportdialog import VideoExporter
from studio.gui.heatmaps import heatmap_layers
from studio.gui.imageexportdialog import ImageExportDialog
from studio.gui.imageexportdialog import summary as export_summary
from studio.gui.jobspanel import JobsPanel
from studio.gui.layerspanel import LayersPanel
from studio.gui.notifications import NotificationList, Notifier
from studio.gui.pluginsdialog import PluginsDialog
from studio.gui.qimage import from_qimage, thumbnail
from studio.gui.settingsdialog import SettingsDialog
from studio.gui.timelinewidget import TimelineWidget
from studio.gui.verifypage import VerifyPage
from studio.gui.worker import JobRunner
from studio.imageio import check_file, load_image, sha256_file
from studio.jobs import Job, JobState

IMAGE_FILTER = (
    "Images and videos (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES + VIDEO_SUFFIXES) + ")"
    + f";;Studio projects (*{SUFFIX})"
)
FIRST_ACTION = "generate"
LAYOUT_VERSION = 2  # bump when the docks change, so that a saved layout of other docks is not restored
DEFAULT_SIZE = (1600, 1000)  # at most; a smaller screen gets all of its available space


def params_text(params: dict[str, Any], action: Any = None) -> str:
    """A result's settings as readable lines ("Steps: 25", "Seed: 42"), not a Python dict."""
    lines = []
    for name, value in params.items():
        if value is None or value == "" or isinstance(value, (dict, bytes)):
            continue
        title = name.replace("_", " ").capitalize()
        if action is not None:
            try:
                title = action.param(name).title
            except KeyError:
                pass
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, float):
            text = f"{value:g}"
        elif isinstance(value, (list, tuple)):
            text = "×".join(str(v) for v in value) if name == "size" else ", ".join(str(v) for v in value)
        else:
            text = str(value)
        lines.append(f"{title}: {text if len(text) <= 200 else text[:199] + '…'}")
    return "\n".join(lines)


def _remove_from_layouts(layout: QLayout | None, widget: QWidget) -> bool:
    """Take ``widget`` out of ``layout`` or any layout nested in it."""
    if layout is None:
        return False
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        if item.widget() is widget:
            layout.takeAt(index)
            return True
        if _remove_from_layouts(item.layout(), widget):
            return True
    return False


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
        gcguard.install()  # garbage is collected on this thread, never in a job's worker thread
        self.app = app
        self.doc = Document()
        self.notifier = notifier or Notifier()
        self.confirm_close = True
        self.heatmaps_on_open = False  # True: an opened image's heatmaps also arrive as overlay layers (they are
        # shown in the Verify page's analysis view, not stacked on the document)
        self.maximize_on_show = False  # set by fit_to_screen on a small screen; main.py shows it maximized
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
        self.report_panel = VerifyPage(app)  # files dropped on it are verified without touching the document
        self.report_panel.batch_requested.connect(lambda: self.batch_dialog())
        self._batch_dialog: Any = None
        self.notification_list = NotificationList(self.notifier, self.statusBar())
        self.history_list = QListWidget()
        self.history_list.setObjectName("history")
        self.history_list.itemDoubleClicked.connect(self._history_to_canvas)
        self.actions_widget, self.action_panels = self._build_action_panels()
        self.box_tools = BoxTools(self)  # COCO export and masks from boxes, on the boxes' right-click menus
        self.canvas.boxes.extra_items = lambda owner, boxes: self.box_tools.menu_items(owner, boxes, coco=False)
        self.layers_panel.extra_items = lambda layer: self.box_tools.menu_items(layer) \
            if isinstance(layer, BoxLayer) else []
        self.timeline.extra_clip_items = lambda clip: self.box_tools.menu_items(clip) \
            if isinstance(clip, BoxClip) else []

        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()

        self.runner.job_finished.connect(self._job_finished)
        app.host.fault_listeners.append(self._plugin_fault)
        for name, info in app.host.plugins.items():
            if info.error:
                self.notifier.notify("warning", f"Plugin '{name}' {info.error}")
        self._build_menus()
        self._bind_document(self.doc)
        self.statusBar().showMessage("Ready")
        self.fit_to_screen()
        self._layout_restored = self.restore_layout()
        self._shown_once = False

    # -- construction -------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_docks(self) -> None:
        """Actions tall on the right with Layers and Jobs as tabs under it; Verify and History as tabs on
        the left; the Timeline under the canvas with Notifications as its tab. The side columns reach the
        status bar, so that the bottom row never squeezes the Actions form."""
        right, left, bottom = (Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        # tabs above their panels (set before any tabs exist: setting it later leaves stray tab bars behind)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self._dock("Actions", self.actions_widget, right)
        self._dock("Layers", self.layers_panel, right)
        self._dock("Jobs", self.jobs_panel, right)
        self._dock("Verify", self.report_panel, left)
        self._dock("History", self.history_list, left)
        self._dock("Timeline", self.timeline, bottom)
        self._dock("Notifications", self.notification_list, bottom)
        self._default_areas = {title: self.dockWidgetArea(dock) for title, dock in self.docks.items()}

    TABS = (("Layers", "Jobs"), ("Verify", "History"), ("Timeline", "Notifications"))

    def arrange_docks(self) -> None:
        """The default layout: each dock in its area, the pairs of :attr:`TABS` as tabs (the first in front).

        Done once the window is shown: tabbing docks before that leaves stray tab bars on screen (Qt 6).
        """
        for title, dock in self.docks.items():
            dock.setFloating(False)
            self.addDockWidget(self._default_areas[title], dock)
            dock.show()
        for first, second in self.TABS:
            self.tabifyDockWidget(self.docks[first], self.docks[second])
            self.docks[first].raise_()

    def size_docks(self) -> None:
        """Share the window between the docks in proportion to its size (the default layout)."""
        width, height = max(self.width(), 640), max(self.height(), 480)
        self.resizeDocks([self.docks["Actions"], self.docks["Verify"]],
                         [max(300, min(420, width // 4)), max(240, min(360, width // 5))],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Actions"], self.docks["Layers"]],
                         [int(height * 0.68), int(height * 0.32)], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Timeline"]], [max(140, min(260, height // 4))], Qt.Orientation.Vertical)

    def fit_to_screen(self) -> None:
        """Open at a size that fits the screen's available space (at most :data:`DEFAULT_SIZE`)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)
        frame = 40  # the window manager's title bar and borders, not counted in the size
        width = min(DEFAULT_SIZE[0], available.width())
        height = min(DEFAULT_SIZE[1], available.height() - frame)
        self.maximize_on_show = available.width() <= 1440 or available.height() <= 900
        self.resize(width, max(400, height))
        self.move(available.x() + (available.width() - width) // 2,
                  available.y() + max(0, (available.height() - height - frame) // 2))
        self.size_docks()

    def restore_layout(self) -> bool:
        """Put back the size, place and dock layout of the last session (settings.json), if any."""
        saved = self.app.settings.window
        if not saved or saved.get("version") != LAYOUT_VERSION:
            return False
        try:
            geometry = QByteArray(base64.b64decode(saved.get("geometry", "")))
            state = QByteArray(base64.b64decode(saved.get("state", "")))
        except (ValueError, TypeError):
            return False
        restored = bool(geometry.size()) and self.restoreGeometry(geometry)
        self.maximize_on_show = bool(saved.get("maximized", False))
        return bool(state.size()) and self.restoreState(state, LAYOUT_VERSION) and restored

    def remember_layout(self) -> None:
        """Keep the window's size, place and dock layout in settings.json for the next session."""
        self.app.settings.window = {
            "version": LAYOUT_VERSION,
            "geometry": base64.b64encode(bytes(self.saveGeometry().data())).decode("ascii"),
            "state": base64.b64encode(bytes(self.saveState(LAYOUT_VERSION).data())).decode("ascii"),
            "maximized": self.isMaximized(),
        }
        self._save_settings()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if not self._layout_restored:
                self.arrange_docks()
                self.size_docks()
                QTimer.singleShot(0, self.size_docks)  # again at the final size (maximized, or the screen's)

    def reset_layout(self) -> None:
        self.arrange_docks()
        self.size_docks()

    def _build_action_panels(self) -> tuple[QWidget, dict[str, ActionPanel]]:
        container = QWidget()
        self.action_picker = QComboBox()
        self.action_picker.setObjectName("action_picker")
        stack = QStackedWidget()
        run_buttons = QStackedWidget()  # the panel's Run button, under the form: never scrolled away
        run_buttons.setObjectName("run_buttons")
        panels: dict[str, ActionPanel] = {}
        titles = [action.title for action in self.app.actions.values()]
        for action in self.app.actions.values():
            panel = ActionPanel(action, self.doc, self._plugin_context(action.plugin))
            panel.run_requested.connect(self.run_action)
            panel.run_failed.connect(lambda message: self.notifier.notify("error", message))
            panels[action.id] = panel
            stack.addWidget(panel)
            button = getattr(panel, "run_button", None)
            if isinstance(button, QWidget) and _remove_from_layouts(panel.layout(), button):
                run_buttons.addWidget(button)
            else:
                run_buttons.addWidget(QWidget())
            # plain titles; the plugin's name only tells apart two actions of the same title
            title = action.title if titles.count(action.title) == 1 else f"{action.title} ({action.plugin})"
            self.action_picker.addItem(title, action.id)
            self.action_picker.setItemData(self.action_picker.count() - 1, action.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.action_picker.currentIndexChanged.connect(stack.setCurrentIndex)
        self.action_picker.currentIndexChanged.connect(run_buttons.setCurrentIndex)
        run_buttons.setSizePolicy(run_buttons.sizePolicy().horizontalPolicy(),
                                  run_buttons.sizePolicy().Policy.Fixed)
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
        layout.addWidget(run_buttons)
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
        self._add(file_menu, "&Batch verify a folder…", lambda: self.batch_dialog())
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._add(edit, "&Undo", lambda: self.doc.undo(), QKeySequence.StandardKey.Undo)
        self.redo_action = self._add(edit, "&Redo", lambda: self.doc.redo(), QKeySequence.StandardKey.Redo)
        edit.addSeparator()
        self._add(edit, "&Paste as layer", self.paste, QKeySequence.StandardKey.Paste)
        edit.addSeparator()
        self.settings_action = self._add(edit, "&Settings…", self.show_settings, QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        view = bar.addMenu("&View")
        self._add(view, "Zoom &in", self.canvas.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._add(view, "Zoom &out", self.canvas.zoom_out, QKeySequence.StandardKey.ZoomOut)
        self._add(view, "&Fit", self.canvas.fit, QKeySequence("Ctrl+0"))
        self._add(view, "&Actual size", lambda: self.canvas.set_zoom(1.0), QKeySequence("Ctrl+1"))
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self._add(view, "&Reset panel layout", self.reset_layout)
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
        """May the document be closed? Save, Discard or Cancel; a save that is cancelled or fails keeps it."""
        if not self.doc.modified or not self.confirm_close:
            return True
        name = self.doc.path.name if self.doc.path else "Untitled"
        answer = QMessageBox.question(
            self, APP_NAME, f"Save the changes to {name} first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
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
            self.notifier.notify("error", exc)
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
            self.notifier.notify("warning", f"{window_text(exc)} Nothing was put on the timeline; the Verify view "
                                            "still shows its Content Credentials and what else can be told about it.")
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
                self._bridge.post(failed, window_text(exc))
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
            self.notifier.notify("error", exc)
            return False
        except OSError as exc:
            self.notifier.notify("error", f"Could not save {path.name}: {exc.strerror or exc}.")
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

    def make_export_dialog(self) -> ImageExportDialog:
        doc = self.doc
        folder = doc.path.parent if doc.path is not None else None
        pictures = doc.export_layers()  # named after the project, else the picture on top
        stem = doc.path.stem if doc.path is not None else (Path(pictures[-1].name).stem if pictures else "export")
        return ImageExportDialog(self.app, doc, folder, stem or "export", self)

    def export_dialog(self) -> threading.Thread | None:
        if self.doc.export_size is None:
            self.notifier.notify("warning", "Nothing to export: the canvas holds no picture "
                                 "(analysis overlays are never exported).")
            return None
        dialog = self.make_export_dialog()
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.export_to(dialog.path, dialog.options())

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
                message = export_summary(r)
                self.notifier.notify("info", message)
                for notice in r.notices:  # why a step was skipped
                    self.notifier.notify("warning", notice)
                self.statusBar().showMessage(message + (f" — {window_text(r.notices[0])}" if r.notices else ""),
                                             15000)
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

    def batch_dialog(self, folder: str | Path | None = None) -> Any:
        """Show the Batch panel (one per window); with ``folder``, start a batch on it at once."""
        from studio.gui.batchdialog import BatchDialog

        if self._batch_dialog is None:
            self._batch_dialog = BatchDialog(self.runner, self)
        self._batch_dialog.show()
        self._batch_dialog.raise_()
        if folder is not None:
            self._batch_dialog.start(folder)
        return self._batch_dialog

    def _job_finished(self, job: Job) -> None:
        if job.state == JobState.FAILED:
            self.notifier.notify("error", job.shown_error)
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
            action = self.app.actions.get(entry.record.action)
            made_by = action.title if action is not None else (entry.record.title or "")
            item = QListWidgetItem(thumbnail(entry.pixels, 48), f"{entry.name}\n{made_by}".strip())
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            item.setToolTip(params_text(entry.record.params, action))
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

    def make_settings_dialog(self) -> SettingsDialog:
        return SettingsDialog(self.app, self)

    def show_settings(self) -> None:
        if self.make_settings_dialog().exec() == QDialog.DialogCode.Accepted:
            self.statusBar().showMessage("Settings saved", 5000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._confirm_discard():
            for job in self.runner.jobs:
                if not job.state.done:
                    job.cancel()
            self.remember_layout()
            event.accept()
        else:
            event.ignore()
