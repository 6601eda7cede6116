"""File → Export…: the picture on the canvas to PNG, JPEG, WebP or TIFF, saying what will happen.

Before: for the chosen format and this picture, what the invisible watermark and the Content
Credentials will do (or why they cannot: a picture too small for the mark, a format that cannot be
signed), and which layers will be in the picture (hidden layers, masks, analysis overlays and box
overlays are left out). After: what was done — "Exported X.png: watermarked, signed as Ana" — with
the reason for every step that was skipped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt
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
    QVBoxLayout,
    QWidget,
)

from studio import formats
from studio.document import Document
from studio.export import ExportStep
from studio.gui.exportdialog import SIGN_OPTION, WATERMARK_MIN_SIDE, WATERMARK_OPTION
from studio.gui.settingsdialog import DEFAULT_STILL_FORMAT, STILL_FORMAT_KEY

if TYPE_CHECKING:
    from studio.application import StudioApp


def _step(steps: list[ExportStep], option: str) -> ExportStep | None:
    return next((s for s in steps if s.option == option), None)


def short_name(fmt_name: str) -> str:
    return {"WEBP": "WebP"}.get(fmt_name, fmt_name)


def watermark_words(steps: list[ExportStep], fmt_name: str, on: bool, size: tuple[int, int]) -> str:
    """What the invisible watermark will do for a ``fmt_name`` export of a picture of ``size``."""
    mark = _step(steps, WATERMARK_OPTION)
    if mark is None:
        return "No watermark plugin is enabled: the picture will not be marked."
    if not on:
        return "Off: the picture will carry no invisible mark."
    if fmt_name not in mark.formats:
        return f"{short_name(fmt_name)} files cannot be marked yet: the picture will be exported without the mark."
    if min(size) < WATERMARK_MIN_SIDE:
        return (f"This picture is too small for the mark ({size[0]}×{size[1]} pixels; it needs at least "
                f"{WATERMARK_MIN_SIDE} on each side), so it will be exported without it. To mark it, enlarge "
                "it first (Adjust → Resize).")
    line = ("An invisible mark in the pixels links the picture to this export's record, even if the file is "
            "re-compressed, resized or cropped, or its Content Credentials are removed.")
    if fmt_name == "JPEG":
        line += " JPEG compression weakens it a little."
    return line


def credentials_words(steps: list[ExportStep], fmt_name: str, on: bool) -> str:
    """What the Content Credentials will do for a ``fmt_name`` export."""
    cred = _step(steps, SIGN_OPTION)
    if cred is None:
        return "No credentials plugin is enabled: the file will not be signed."
    if not on:
        return "Off: the file will not say what made it or how it was edited."
    if fmt_name not in cred.formats:
        return f"{short_name(fmt_name)} files cannot carry Content Credentials: the file will not be signed."
    return ("The file is signed with a record of what made the picture (a generator, a camera, an edit) and how "
            "it was edited, that anyone can check.")


def layer_words(doc: Document) -> tuple[list[str], list[str]]:
    """(What will be in the picture, what is left out and why, by reason), top layer first, in plain words."""
    kept = set(map(id, doc.export_layers()))
    inside: list[str] = []
    reasons = {"analysis": "analysis overlays, never exported", "boxes": "box overlays, drawn on screen only",
               "mask": "masks", "hidden": "hidden layers"}
    left_out: dict[str, list[str]] = {reason: [] for reason in reasons}
    for layer in reversed(doc.layers):
        name = f"“{layer.name}”"
        if id(layer) in kept:
            inside.append(name + (f" at {round(layer.opacity * 100)}% opacity" if layer.opacity < 1 else ""))
        elif layer.is_analysis:
            left_out["analysis"].append(name)
        elif layer.kind == "boxes":
            left_out["boxes"].append(name)
        elif layer.kind == "mask":
            left_out["mask"].append(name)
        else:
            left_out["hidden"].append(name)
    return inside, [f"{reasons[r]}: {', '.join(names)}" for r, names in left_out.items() if names]


def summary(report: Any) -> str:
    """What an export did, in one line: "Exported X.png: watermarked, signed as Ana (Studio)"."""
    marked = any(p.get("c2pa_action") == "c2pa.watermarked" for p in report.performed)
    signer = next((p.get("signed_by") for p in report.performed if p.get("signed_by")), None)
    done = ["watermarked" if marked else "not watermarked",
            f"signed as {signer}" if signer else "not signed"]
    return f"Exported {report.path.name}: {', '.join(done)}"


def default_folder() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()


class ImageExportDialog(QDialog):
    """Where, which format, watermark and credentials — each explained for this picture — and the layers."""

    def __init__(self, app: StudioApp, doc: Document, folder: Path | None = None, stem: str = "export",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export picture")
        self.setObjectName("export_image")
        self.app = app
        self.doc = doc
        self.steps = app.export.steps()
        self.confirm_overwrite = True
        size = doc.export_size
        assert size is not None, "nothing to export"
        self.size_ = size
        defaults = app.settings.export

        self.format_box = QComboBox()
        self.format_box.setObjectName("export_format")
        for name in formats.STILL_FORMATS:
            self.format_box.addItem(formats.BY_NAME[name].label, name)
        first = str(defaults.get(STILL_FORMAT_KEY, DEFAULT_STILL_FORMAT))
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(first)))
        suffix = formats.BY_NAME[self.format_name].suffix
        self.path_edit = QLineEdit(str((folder or default_folder()) / f"{stem}{suffix}"))
        self.path_edit.setObjectName("export_path")
        self.path_edit.setMinimumWidth(380)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_path)

        self.watermark_box = QCheckBox("Invisible watermark")
        self.watermark_box.setObjectName("export_watermark")
        self.sign_box = QCheckBox("Content Credentials")
        self.sign_box.setObjectName("export_sign")
        for check, option in ((self.watermark_box, WATERMARK_OPTION), (self.sign_box, SIGN_OPTION)):
            step = _step(self.steps, option)
            check.setChecked(step is not None and bool(defaults.get(option, step.default)))
            check.setEnabled(step is not None)
        self.watermark_words = self._words("watermark_words")
        self.sign_words = self._words("sign_words")
        self.layers_words = self._words("layers_words")
        self.layers_words.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        form.addRow("Format", self.format_box)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        form.addRow("Save as", where)
        form.addRow("", QLabel(f"The picture is {size[0]}×{size[1]} pixels."))
        form.addRow(self.watermark_box)
        form.addRow(self.watermark_words)
        form.addRow(self.sign_box)
        form.addRow(self.sign_words)
        form.addRow(self.layers_words)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.watermark_box.toggled.connect(self._explain)
        self.sign_box.toggled.connect(self._explain)
        self._explain()
        self.setMinimumWidth(560)

    @staticmethod
    def _words(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setContentsMargins(24, 0, 0, 6)
        return label

    # -- values -------------------------------------------------------------------------
    @property
    def format_name(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, name: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(name))

    @property
    def path(self) -> Path:
        return Path(self.path_edit.text()).expanduser()

    def options(self) -> dict[str, Any]:
        return {WATERMARK_OPTION: self.watermark_box.isChecked(), SIGN_OPTION: self.sign_box.isChecked()}

    # -- reactions -------------------------------------------------------------------------
    def _format_changed(self) -> None:
        path = Path(self.path_edit.text())
        self.path_edit.setText(str(path.with_suffix(formats.BY_NAME[self.format_name].suffix)))
        self._explain()

    def _explain(self) -> None:
        fmt = self.format_name
        self.watermark_words.setText(watermark_words(self.steps, fmt, self.watermark_box.isChecked(), self.size_))
        self.sign_words.setText(credentials_words(self.steps, fmt, self.sign_box.isChecked()))
        inside, left_out = layer_words(self.doc)
        text = "<b>In the picture:</b> " + escape(", ".join(inside) or "nothing") + "."
        if left_out:
            text += "<br><b>Left out:</b> " + escape("; ".join(left_out)) + "."
        self.layers_words.setText(text)

    def texts(self) -> str:
        """Everything the dialog says, as plain text (for tests and screen readers)."""
        parts = [self.watermark_box.text(), self.watermark_words.text(), self.sign_box.text(),
                 self.sign_words.text(), self.layers_words.text()]
        return "\n".join(parts)

    def choose_path(self) -> None:
        fmt = formats.BY_NAME[self.format_name]
        pattern = " ".join(f"*{s}" for s in fmt.suffixes)
        path, _ = QFileDialog.getSaveFileName(self, "Export picture", self.path_edit.text(),
                                              f"{fmt.label} ({pattern})")
        if path:
            chosen = formats.BY_SUFFIX.get(Path(path).suffix.lower())
            if chosen is not None and chosen.name in formats.STILL_FORMATS:
                self.set_format(chosen.name)
            self.path_edit.setText(path)
            self._explain()

    def accept(self) -> None:
        path = self.path
        if not path.name:
            QMessageBox.warning(self, self.windowTitle(), "Choose where to save the picture.")
            return
        if path.suffix.lower() not in formats.BY_NAME[self.format_name].suffixes:
            path = path.with_suffix(formats.BY_NAME[self.format_name].suffix)
            self.path_edit.setText(str(path))
        if self.confirm_overwrite and path.exists():
            answer = QMessageBox.question(self, self.windowTitle(), f"{path.name} exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().accept()
