"""The Verify view: every plugin's section of the evidence report for the opened file.

It never shows a verdict about another file than the one asked for last: :meth:`ReportPanel.begin`
says "Analysing <file>…" at once and numbers the request; a report that arrives for an older
request is dropped; :meth:`ReportPanel.clear` (File → New) forgets the last file.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QTextBrowser

from studio.report import ReportSection

STATE_COLOURS = {"trusted": "#2a7", "valid": "#2a7", "present": "#27a", "invalid": "#c33",
                 "no-credentials": "#888", "remote": "#888", "absent": "#888"}


def render_analysing(path: Path) -> str:
    name = html.escape(path.name)
    return f"<h3>{name}</h3><p><i>Analysing {name}…</i></p><p>The findings appear here when every check is done.</p>"


def render_html(path: Path | None, sections: list[ReportSection], error: str = "") -> str:
    if path is None:
        return "<p>Open a file to see what can be told about where it came from.</p>"
    parts = [f"<h3>{html.escape(path.name)}</h3>"]
    if error:
        parts.append(f"<p style='color:#c33'>{html.escape(error)}</p>")
    if not sections and not error:
        parts.append("<p>No plugin had anything to report on this file.</p>")
    for s in sections:
        colour = STATE_COLOURS.get(s.state, "#555")
        parts.append(f"<h4>{html.escape(s.title)} — <span style='color:{colour}'>{html.escape(s.state)}</span></h4>")
        parts.append(f"<p>{html.escape(s.summary)}</p>")
        if s.findings:
            rows = "".join(
                f"<tr><td><b>{html.escape(f.label)}</b></td><td>{html.escape(f.value)}</td>"
                f"<td><i>{html.escape(f.explanation)}</i></td></tr>"
                for f in s.findings
            )
            parts.append(f"<table cellspacing=4>{rows}</table>")
        images = [i for i in s.data.get("images") or [] if str(i.get("uri", "")).startswith("data:image/")]
        if images:  # small thumbnails (data: URIs) a section offers, e.g. a file's ingredients
            cells = "".join(
                f"<td align=center><img src='{html.escape(i['uri'], quote=True)}' height=96><br>"
                f"<small>{html.escape(str(i.get('caption', '')))}</small></td>"
                for i in images
            )
            parts.append(f"<table cellspacing=6><tr>{cells}</tr></table>")
        for h in s.heatmaps:  # each arrives as an overlay layer of that name (see studio.gui.heatmaps)
            parts.append(f"<p><i>Heatmap layer “{html.escape(h.name)} (heatmap)”: {html.escape(h.explanation)}</i></p>")
        if s.can_tell:
            parts.append(f"<p><b>What this can tell:</b> {html.escape(s.can_tell)}</p>")
        if s.cannot_tell:
            parts.append(f"<p><b>What it cannot tell:</b> {html.escape(s.cannot_tell)}</p>")
    return "\n".join(parts)


class ReportPanel(QTextBrowser):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("verify")
        self.sections: list[ReportSection] = []
        self.path: Path | None = None
        self.analysing = False
        self.request = 0  # the number of the newest report asked for
        self.show_report(None, [])

    def begin(self, path: Path) -> int:
        """A report on ``path`` is being built: show "Analysing…" now; returns the request's number."""
        self.request += 1
        self.path, self.sections, self.analysing = path, [], True
        self.setHtml(render_analysing(path))
        return self.request

    def clear(self) -> None:
        """Show no file (File → New): reports still on their way are dropped when they arrive."""
        self.request += 1
        self.show_report(None, [])

    def show_report(self, path: Path | None, sections: list[ReportSection], error: str = "",
                    request: int | None = None) -> bool:
        """Show a report; one for an older ``request`` than the newest is dropped (returns False)."""
        if request is not None and request != self.request:
            return False
        self.path, self.sections, self.analysing = path, sections, False
        self.setHtml(render_html(path, sections, error))
        return True
