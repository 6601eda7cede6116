"""The Batch panel: verify every file of a folder as one job, then see the summary.

Opened from the Verify page ("Batch…") or *File → Batch verify a folder…*. The batch runs as a job of the
window's queue (:mod:`studio.batch.job`): its progress and Cancel are here and in the Jobs panel. When it
ends the panel lists the files (sortable; files with credentials, marks or strong signals first) and opens
the HTML summary in the browser on request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.batch.job import batch_action
from studio.jobs import Job, JobState

COLUMNS = ("File", "Content Credentials", "Watermark", "Strong signals", "Errors")


class _Item(QTableWidgetItem):
    """A cell that sorts by its own key (numbers as numbers)."""

    def __init__(self, text: str, key: Any = None) -> None:
        super().__init__(text)
        self.key = text if key is None else key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", other.text())
        try:
            return bool(mine < theirs)
        except TypeError:
            return str(mine) < str(theirs)


class BatchDialog(QDialog):
    def __init__(self, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batch_dialog")
        self.setWindowTitle("Batch verify")
        self.runner = runner
        self.job: Job | None = None
        self.html: Path | None = None
        self.folder = QLineEdit()
        self.folder.setObjectName("batch_folder")
        self.folder.setPlaceholderText("A folder of pictures and videos (sub-folders included)")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_folder)
        self.workers = QSpinBox()
        self.workers.setRange(0, 256)
        self.workers.setSpecialValueText("one per core")
        self.workers.setToolTip("Parallel workers")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("batch_run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("batch_progress")
        self.status = QLabel("Choose a folder, then Run. Each file's evidence report goes into one results "
                             "file; the rows written are kept if you cancel.")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("batch_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.open_button = QPushButton("Open summary in the browser")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_summary)

        top = QHBoxLayout()
        top.addWidget(self.folder, 1)
        top.addWidget(choose)
        top.addWidget(QLabel("Workers"))
        top.addWidget(self.workers)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(820, 520)
        runner.job_changed.connect(self._job_changed)
        runner.job_finished.connect(self._job_finished)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to verify", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def start(self, folder: str | Path | None = None) -> Job | None:
        """Run a batch on ``folder`` (or the one typed in) as a job of the window's queue."""
        chosen = str(folder) if folder else self.folder.text().strip()
        if not chosen:
            self.status.setText("Choose a folder first.")
            return None
        self.folder.setText(chosen)
        self.table.setRowCount(0)
        self.open_button.setEnabled(False)
        self.html = None
        self.job = Job(batch_action(), {"folder": chosen, "workers": self.workers.value()})
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the files are counted
        self.status.setText(f"Starting the workers for {chosen}…")
        self.runner.submit(self.job)
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.runner.cancel(self.job)
            self.status.setText("Cancelling: the files in progress are dropped, the rows written are kept…")

    def _job_changed(self, job: Job) -> None:
        if job is not self.job or job.state != JobState.RUNNING or not job.total:
            return
        self.progress.setRange(0, job.total)
        self.progress.setValue(job.step)
        self.status.setText(job.message)

    def _job_finished(self, job: Job) -> None:
        if job is not self.job:
            return
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, max(1, job.total))
        if job.state == JobState.FINISHED and job.result is not None:
            self.progress.setValue(job.total)
            data = job.result.data
            self.status.setText(" ".join(job.result.messages))
            self.show_results(Path(data["results"]), Path(data["html"]) if data.get("html") else None)
        elif job.state == JobState.CANCELLED:
            self.status.setText("Cancelled. The rows written so far are kept in the results file.")
        else:
            self.status.setText(f"The batch failed: {job.shown_error}")

    def show_results(self, results: Path, html: Path | None) -> None:
        from studio.batch.report import latest, rank, strong_signals
        from studio.batch.results import ResultsFile

        rows = sorted(latest(ResultsFile(results).all_rows()), key=rank)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for n, row in enumerate(rows):
            strong = strong_signals(row)
            credentials = row.get("c2pa_state") or ""
            if isinstance(row.get("recovered"), dict):
                credentials += f" (recovered: {row['recovered'].get('state', '')})"
            cells = [_Item(str(row.get("path", "")), (rank(row)[0], str(row.get("path", "")))),
                     _Item(credentials),
                     _Item((row.get("watermark") or "") + (f" · {row['watermark_payload']}"
                                                           if row.get("watermark_payload") else "")),
                     _Item(", ".join(f"{s['title']} {float(s['score']):.2f}" for s in strong),
                           max((float(s["score"]) for s in strong), default=0.0)),
                     _Item("; ".join(str(e) for e in row.get("errors") or []), len(row.get("errors") or []))]
            for column, item in enumerate(cells):
                self.table.setItem(n, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)  # credentials, marks, strong signals first
        self.html = html
        self.open_button.setEnabled(html is not None and html.exists())

    def open_summary(self) -> None:
        if self.html is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.html)))
