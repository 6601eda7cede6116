"""The job queue: state, progress, the latest preview, Cancel, and the error of a failed job."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.document import Document, Layer
from studio.gui.gallery import ResultsGallery
from studio.gui.qimage import thumbnail
from studio.gui.worker import JobRunner
from studio.jobs import Job, JobState


class JobsPanel(QWidget):
    def __init__(self, runner: JobRunner, doc: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("jobs")
        self.runner = runner
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Job", "State", "Progress"])
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the prompt and seed, not the bar
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(2, 110)
        self.gallery = ResultsGallery(doc or Document())
        self._results: dict[str, list[Layer]] = {}
        self._gallery_job: str | None = None
        self.preview = QLabel("No preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(64)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c33")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setEnabled(False)  # nothing runs yet
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "a red circle… seed 42": the seed stays
        self.tree.setMinimumHeight(56)
        below = QHBoxLayout()  # the picture(s) beside Cancel: compact enough for a 720-pixel screen
        below.addWidget(self.preview, 1)
        below.addWidget(self.gallery, 1)
        below.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 2)
        layout.addLayout(below, 1)
        layout.addWidget(self.error)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._bars: dict[str, QProgressBar] = {}
        runner.job_added.connect(self.add_job)
        runner.job_changed.connect(self.update_job)
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())

    def add_job(self, job: Job) -> None:
        item = QTreeWidgetItem([job.title, job.state.value, ""])
        item.setToolTip(0, job.title)
        item.setData(0, Qt.ItemDataRole.UserRole, job)
        self.tree.insertTopLevelItem(0, item)
        bar = QProgressBar()
        bar.setRange(0, 100)
        self.tree.setItemWidget(item, 2, bar)
        self._items[job.id] = item
        self._bars[job.id] = bar
        self.tree.setCurrentItem(item)

    def update_job(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is None:
            return
        item.setText(0, job.title)  # a generator's title gains the seed it chose
        item.setToolTip(0, job.title)
        item.setText(1, job.state.value)
        bar = self._bars[job.id]
        bar.setValue(100 if job.state == JobState.FINISHED else int(job.fraction * 100))
        bar.setFormat(f"{job.step}/{job.total}" if job.total else "%p%")
        if job.error:
            item.setToolTip(0, job.shown_error)
            item.setForeground(1, Qt.GlobalColor.red)
        if self.tree.currentItem() is item:
            self._show_selected()

    def set_results(self, job: Job, layers: Sequence[Layer]) -> None:
        """The layers a finished job added: a batch's pictures are shown as a strip to choose from."""
        self._results[job.id] = list(layers)
        if self.selected_job() is job:
            self._gallery_job = None
            self._show_selected()

    def selected_job(self) -> Job | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.runner.cancel(job)

    def _show_selected(self) -> None:
        job = self.selected_job()
        if job is None:
            self.cancel_button.setEnabled(False)
            return
        final = job.result.images[0].pixels if job.state == JobState.FINISHED and job.result is not None \
            and job.result.images else None
        shown = final if final is not None else job.preview  # the finished picture, not the last step's
        if shown is not None:
            self.preview.setPixmap(thumbnail(shown, 160))
        self.preview.setToolTip("The result" if final is not None else "The latest step")
        self.error.setText(job.shown_error)
        self.cancel_button.setEnabled(not job.state.done)
        if self._gallery_job != job.id or (job.id in self._results and not self.gallery.layers):
            self._gallery_job = job.id
            self.gallery.show_results(job.title, self._results.get(job.id, []))
        self.preview.setVisible(self.gallery.isHidden())  # a batch: the strip shows every picture
