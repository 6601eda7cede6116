"""The Verify page: what can be told about where a file came from, verdict first, in plain words.

Laid out as the Content Credentials Verify page: a banner whose colour follows trust (green: a signer you
trust; amber: intact, but from a signer you do not know; red: tampered or invalid; grey: no credentials,
or stored online and not checked offline), a headline (who signed, when, with what app, whether an AI tool
was declared and where), the raw codes only under "Details", the file's ingredients as a tree with
thumbnails, then every other signal (watermark, metadata, pixel forensics) with its outcome in words and
what it can and cannot tell. Heatmaps open in the analysis view (:mod:`studio.gui.analysis`), never in
the document.

Each file gets its own report tab: the files opened in the window, and the files dropped on the page or
picked with "Verify files…", which are verified without touching the document. A report never shows up
in another file's tab: :meth:`VerifyPage.begin` numbers each request, and a report for an older request
of a tab (or a tab since closed) is dropped; :meth:`VerifyPage.clear` (File → New) closes the tabs of
the document's files.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap, QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabBar,
    QTextBrowser,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.report import ReportSection, TreeNode

CREDENTIALS = "Content Credentials"
TONE_COLOURS = {"trusted": "#1e7b45", "caution": "#a35f00", "bad": "#b3261e", "neutral": "#5f6368"}
TONE_MARKS = {"trusted": "✔", "caution": "⚠", "bad": "✖", "neutral": "●"}
THUMB = 56
EMPTY = ("Open a file, or drop files here, to see where they came from: their Content Credentials, "
         "watermark and forensic signals. Files dropped here are verified without changing your document.")


@dataclass
class Report:
    """One file's report, as one tab of the page."""

    path: Path
    origin: str = "document"  # "document": a file opened in the window; "dropped": verified on its own
    request: int = 0
    sections: list[ReportSection] = field(default_factory=list)
    error: str = ""
    analysing: bool = True


class _Bridge(QObject):
    done = Signal(object, object)

    def post(self, callback: Any, value: Any) -> None:
        try:
            self.done.emit(callback, value)
        except RuntimeError:  # the page was deleted while the work ran
            pass


def credentials_of(sections: list[ReportSection]) -> ReportSection | None:
    return next((s for s in sections if s.title == CREDENTIALS), None)


def banner_of(report: Report | None) -> tuple[str, str]:
    """(text, tone) of the banner."""
    if report is None:
        return "No file", "neutral"
    if report.analysing:
        return f"Analysing {report.path.name}…", "neutral"
    if report.error and not report.sections:
        return "This file could not be checked", "neutral"
    credentials = credentials_of(report.sections)
    if credentials is None:
        return "Content Credentials were not checked", "neutral"
    return credentials.outcome or credentials.summary, credentials.tone or "neutral"


def _findings_html(section: ReportSection) -> str:
    findings = section.plain_findings if section.plain_findings is not None else section.findings
    if not findings:
        return ""
    rows = "".join(
        f"<tr><td valign=top><b>{html.escape(f.label)}</b></td><td valign=top>{html.escape(f.value)}"
        + (f"<br><small style='color:#666'>{html.escape(f.explanation)}</small>" if f.explanation else "")
        + "</td></tr>"
        for f in findings
    )
    return f"<table cellspacing=3>{rows}</table>"


def section_html(index: int, section: ReportSection) -> str:
    colour = TONE_COLOURS.get(section.tone, "#333") if section.tone != "neutral" else "#333"
    outcome = section.outcome or section.summary
    parts = [f"<a name='section{index}'></a><h4 style='margin-bottom:2px'>{html.escape(section.title)}</h4>",
             f"<p style='margin-top:0'><b style='color:{colour}'>{html.escape(outcome)}</b>"]
    if section.summary and section.summary != outcome:
        parts.append(f"<br>{html.escape(section.summary)}")
    parts.append("</p>")
    parts.append(_findings_html(section))
    for h in section.heatmaps:
        link = html.escape(h.name, quote=True)
        parts.append(f"<p>▸ <a href='analysis:{link}'>Show the {html.escape(h.name.lower())} map in the analysis "
                     "view</a></p>")
    if section.can_tell:
        parts.append(f"<p><b>What this can tell:</b> {html.escape(section.can_tell)}</p>")
    if section.cannot_tell:
        parts.append(f"<p><b>What it cannot tell:</b> {html.escape(section.cannot_tell)}</p>")
    return "\n".join(parts)


def body_html(report: Report) -> str:
    if report.analysing:
        return "<p>The findings appear here when every check is done.</p>"
    parts = []
    if report.error:
        parts.append(f"<p style='color:#b3261e'>{html.escape(report.error)}</p>")
    if not report.sections and not report.error:
        parts.append("<p>No plugin had anything to report on this file.</p>")
    credentials = credentials_of(report.sections)
    if credentials is not None:
        parts.append("<h4 style='margin-bottom:2px'>What the credentials say</h4>")
        parts.append(_findings_html(credentials))
        if credentials.can_tell:
            parts.append(f"<p><b>What this can tell:</b> {html.escape(credentials.can_tell)}</p>")
        if credentials.cannot_tell:
            parts.append(f"<p><b>What it cannot tell:</b> {html.escape(credentials.cannot_tell)}</p>")
    others = [s for s in report.sections if s is not credentials]
    if others:
        parts.append("<hr><p><i>Other signals: evidence to weigh, not a verdict. There is no combined score: the "
                     "signals are not calibrated against each other.</i></p>")
    parts += [section_html(i, s) for i, s in enumerate(others)]
    return "\n".join(parts)


def _icon(uri: str) -> QIcon | None:
    if not uri.startswith("data:image/") or "," not in uri:
        return None
    pixmap = QPixmap()
    if not pixmap.loadFromData(QByteArray.fromBase64(uri.split(",", 1)[1].encode("ascii"))):
        return None
    return QIcon(pixmap)


class VerifyPage(QWidget):
    """The Verify page (see the module's description); ``app`` builds the reports of files dropped on it."""

    report_shown = Signal()  # a report (or "Analysing…") is on screen
    batch_requested = Signal()  # "Batch…": the window opens its Batch panel

    def __init__(self, app: Any = None) -> None:
        super().__init__()
        self.setObjectName("verify")
        self.app = app
        self.reports: list[Report] = []
        self.request = 0  # the number of the newest report asked for
        self.analysis_views: dict[Path, Any] = {}
        self.setAcceptDrops(True)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(lambda callback, value: callback(value), Qt.ConnectionType.QueuedConnection)

        self.tabs = QTabBar()
        self.tabs.setObjectName("verify_tabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setExpanding(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.setUsesScrollButtons(True)
        # the tabs scroll rather than widen the page: it must fit beside the canvas on a 1280×720 screen
        self.tabs.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.tabs.currentChanged.connect(lambda _i: self._render())
        self.tabs.tabCloseRequested.connect(self.close_report)
        self.open_button = QToolButton()
        self.open_button.setText("Verify files…")
        self.open_button.setToolTip("Check files without adding them to your document (or drop them here)")
        self.open_button.clicked.connect(self.verify_dialog)
        self.batch_button = QToolButton()
        self.batch_button.setObjectName("verify_batch")
        self.batch_button.setText("Batch…")
        self.batch_button.setToolTip("Verify every file of a folder at once, as a job, with a summary")
        self.batch_button.clicked.connect(self.batch_requested.emit)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.tabs, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.batch_button)

        self.title = QLabel()
        self.title.setObjectName("verify_title")
        self.title.setStyleSheet("font-weight: bold")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.banner = QLabel()
        self.banner.setObjectName("verify_banner")
        self.banner.setWordWrap(True)
        self.banner.setMargin(8)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.headline = QLabel()
        self.headline.setObjectName("verify_headline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setObjectName("verify_details_button")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._toggle_details)
        self.details = QLabel()
        self.details.setObjectName("verify_details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setVisible(False)
        self.analysis_button = QPushButton("Analysis view…")
        self.analysis_button.setObjectName("verify_analysis_button")
        self.analysis_button.setToolTip("The forensic maps over the picture, each with its own toggle, opacity and "
                                        "settings")
        self.analysis_button.clicked.connect(lambda: self.open_analysis())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.details_button)
        row.addStretch(1)
        row.addWidget(self.analysis_button)
        self.tree = QTreeWidget()
        self.tree.setObjectName("verify_ingredients")
        self.tree.setHeaderLabel("This file and its ingredients")
        self.tree.setIconSize(QSize(THUMB, THUMB))
        self.tree.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.tree.setWordWrap(True)
        self.body = QTextBrowser()
        self.body.setObjectName("verify_body")
        self.body.setOpenLinks(False)
        self.body.anchorClicked.connect(self._anchor)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.banner)
        layout.addWidget(self.headline)
        layout.addLayout(row)
        layout.addWidget(self.details)
        layout.addWidget(self.tree)
        layout.addWidget(self.body, 1)
        self._render()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(400, 600)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(260, 300)

    # -- the current report (what the window's tests and callers read) -----------------------------------
    @property
    def current(self) -> Report | None:
        index = self.tabs.currentIndex()
        return self.reports[index] if 0 <= index < len(self.reports) else None

    @property
    def sections(self) -> list[ReportSection]:
        return self.current.sections if self.current else []

    @sections.setter
    def sections(self, sections: list[ReportSection]) -> None:
        if self.current is not None:
            self.current.sections = list(sections)

    @property
    def path(self) -> Path | None:
        return self.current.path if self.current else None

    @property
    def analysing(self) -> bool:
        return bool(self.current and self.current.analysing)

    @property
    def tone(self) -> str:
        """The banner's tone: trusted, caution, bad or neutral."""
        return banner_of(self.current)[1]

    # -- requests -------------------------------------------------------------------------------------
    def begin(self, path: Path, origin: str = "document") -> int:
        """A report on ``path`` is being built: its tab says "Analysing…" now; returns the request's number."""
        self.request += 1
        path = Path(path)
        report = next((r for r in self.reports if r.path == path and r.origin == origin), None)
        if report is None:
            report = Report(path, origin)
            self.reports.append(report)
            index = self.tabs.addTab(path.name)
            self.tabs.setTabToolTip(index, str(path))
        report.request, report.sections, report.error, report.analysing = self.request, [], "", True
        self.tabs.setCurrentIndex(self.reports.index(report))
        self._render()
        return self.request

    def show_report(self, path: Path | None, sections: list[ReportSection], error: str = "",
                    request: int | None = None) -> bool:
        """Show a report in its tab; one for a request no tab waits for any more is dropped (returns False)."""
        if request is None:
            if path is None:
                self.clear()
                return True
            request = self.begin(path)
        report = next((r for r in self.reports if r.request == request), None)
        if report is None:
            return False
        report.sections, report.error, report.analysing = list(sections), error, False
        if report is self.current:
            self._render()
        else:
            self._update_tab(report)
        return True

    def clear(self) -> None:
        """Forget the document's files (File → New); reports still on their way are dropped when they arrive."""
        self.request += 1
        for index in reversed(range(len(self.reports))):
            if self.reports[index].origin == "document":
                self.close_report(index)
        self._render()

    def close_report(self, index: int) -> None:
        if not 0 <= index < len(self.reports):
            return
        report = self.reports.pop(index)
        view = self.analysis_views.pop(report.path, None)
        if view is not None:
            view.close()
        self.tabs.removeTab(index)
        self._render()

    # -- verifying files on their own -----------------------------------------------------------------
    def verify_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Verify files", "", "All files (*)")
        self.verify_files(paths)

    def verify_files(self, paths: list[str] | list[Path]) -> list[int]:
        """Verify each file in a tab of its own, off the GUI thread; the document is not touched."""
        return [self.verify_file(Path(p)) for p in paths]

    def verify_file(self, path: Path) -> int:
        from studio.errors import StudioError, window_text

        request = self.begin(path, origin="dropped")
        app = self.app

        def work() -> None:
            try:
                if app is None:
                    raise StudioError("Nothing can verify files here.")
                sections = app.file_report(path)
                self._bridge.post(lambda s: self.show_report(path, s, request=request), sections)
            except StudioError as exc:
                self._bridge.post(lambda e: self.show_report(path, [], e, request=request), window_text(exc))
            except Exception as exc:  # noqa: BLE001 - a bug: said in the tab rather than "Analysing…" forever
                message = f"The report could not be built: {type(exc).__name__}: {exc}"
                self._bridge.post(lambda e: self.show_report(path, [], e, request=request), message)

        threading.Thread(target=work, name="verify", daemon=True).start()
        return request

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.verify_files(paths)

    # -- the analysis view ------------------------------------------------------------------------------
    def has_heatmaps(self, report: Report | None = None) -> bool:
        report = report or self.current
        return bool(report and any(s.heatmaps for s in report.sections))

    def open_analysis(self, heatmap: str = "") -> Any:
        """The analysis view of the current report (one per file), showing ``heatmap`` if given."""
        from studio.gui.analysis import AnalysisView

        report = self.current
        if report is None or not self.has_heatmaps(report):
            return None
        view = self.analysis_views.get(report.path)
        if view is None or view.filters and view.filters[0].section not in report.sections:
            view = AnalysisView(report.path, report.sections, parent=self)
            self.analysis_views[report.path] = view
            self._load_picture(report.path, view)
        view.show()
        if heatmap:
            view.show_filter(heatmap)
        view.raise_()
        return view

    def _load_picture(self, path: Path, view: Any) -> None:
        from studio.errors import StudioError, window_text
        from studio.gui.analysis import display_pixels
        from studio.imageio import load_image

        def work() -> None:
            try:
                pixels = display_pixels(load_image(path).pixels)
            except StudioError as exc:
                self._bridge.post(lambda e: view.status.setText(e), window_text(exc))
                return
            self._bridge.post(view.set_picture, pixels)

        threading.Thread(target=work, name="analysis-picture", daemon=True).start()

    def _anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("analysis:"):
            self.open_analysis(QUrl.fromPercentEncoding(text.removeprefix("analysis:").encode()))

    # -- drawing ----------------------------------------------------------------------------------------
    def _update_tab(self, report: Report) -> None:
        index = self.reports.index(report)
        text, tone = banner_of(report)
        mark = "…" if report.analysing else TONE_MARKS.get(tone, "")
        self.tabs.setTabText(index, f"{mark} {report.path.name}".strip())

    def _toggle_details(self, on: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on and bool(self.details.text()))

    def _render(self) -> None:
        report = self.current
        for r in self.reports:
            self._update_tab(r)
        self.tabs.setVisible(bool(self.reports))
        text, tone = banner_of(report)
        self.banner.setText(f"{TONE_MARKS.get(tone, '')}  {text}")
        self.banner.setProperty("tone", tone)
        self.banner.setStyleSheet(f"background: {TONE_COLOURS[tone]}; color: white; font-weight: bold; "
                                  "border-radius: 4px")
        self.banner.setVisible(report is not None)
        self.title.setText(report.path.name if report else "")
        self.title.setVisible(report is not None)
        credentials = credentials_of(report.sections) if report else None
        if report is None:
            self.headline.setText(EMPTY)
        elif report.analysing:
            self.headline.setText(f"Analysing {report.path.name}… The findings appear here when every check is "
                                  "done.")
        elif credentials is not None:
            self.headline.setText(credentials.headline or credentials.summary)
        else:
            self.headline.setText(report.error or "")
        details = credentials.details if credentials else []
        self.details.setText("<br>".join(f"<b>{html.escape(d.label)}</b>: {html.escape(d.value)}" for d in details))
        self.details_button.setVisible(bool(details))
        self.details.setVisible(self.details_button.isChecked() and bool(details))
        self._fill_tree(credentials.tree if credentials else [])
        self.analysis_button.setVisible(self.has_heatmaps(report))
        self.body.setHtml(body_html(report) if report else "")
        self.body.setVisible(report is not None)
        self.report_shown.emit()

    def _fill_tree(self, nodes: list[TreeNode]) -> None:
        self.tree.clear()

        def add(node: TreeNode, parent: QTreeWidget | QTreeWidgetItem) -> None:
            item = QTreeWidgetItem(parent, [f"{node.label}\n{node.detail}" if node.detail else node.label])
            item.setData(0, Qt.ItemDataRole.UserRole, node)
            item.setToolTip(0, node.detail)
            icon = _icon(node.thumbnail)
            if icon is not None:
                item.setIcon(0, icon)
            item.setForeground(0, item.foreground(0))
            for child in node.children:
                add(child, item)

        for node in nodes:
            add(node, self.tree)
        self.tree.expandAll()
        rows = self.tree.findItems("", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
        header = self.tree.header().sizeHint().height()
        row = max(self.tree.sizeHintForRow(0), 24)
        self.tree.setFixedHeight(header + min(len(rows), 3) * row + 2 * self.tree.frameWidth() + 2)  # then scrolls
        self.tree.setVisible(bool(nodes))

    # -- text, for the window's tests and screen readers --------------------------------------------------
    def visible_text(self) -> str:
        """Every piece of text the page shows now (hidden details excluded)."""
        parts = [w.text() for w in (self.title, self.banner, self.headline) if not w.isHidden()]
        if not self.details.isHidden():
            document = QTextDocument()
            document.setHtml(self.details.text())
            parts.append(document.toPlainText())
        if not self.tree.isHidden():
            items = self.tree.findItems("", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
            parts += [i.text(0) for i in items]
        if not self.analysis_button.isHidden():
            parts.append(self.analysis_button.text())
        if not self.body.isHidden():
            parts.append(self.body.toPlainText())
        return "\n".join(p for p in parts if p)

    def toPlainText(self) -> str:  # noqa: N802 - the name the Verify view's callers know
        return self.visible_text() if self.current else EMPTY

    def toHtml(self) -> str:  # noqa: N802
        return self.body.toHtml()
