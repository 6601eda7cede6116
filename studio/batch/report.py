"""The HTML summary of a batch: one self-contained page, a sortable table with thumbnails.

Files that say the most come first: those with Content Credentials (or credentials recovered through a
watermark), then those with a watermark, then those with a strong forensic signal (a score of
:data:`STRONG` or more), then errors, then the rest. A click on a column heading sorts by it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.atomic import atomic_write_bytes

STRONG = 0.5
NO_CREDENTIALS = (None, "", "no-credentials")
ASIDE = ("credentials", "watermark")  # their sections have columns of their own


def strong_signals(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The forensic signals of a row whose score is :data:`STRONG` or more (strongest first)."""
    found = [s for s in row.get("signals") or [] if s.get("plugin") not in ASIDE
             and isinstance(s.get("score"), (int, float)) and s["score"] >= STRONG]
    return sorted(found, key=lambda s: -float(s["score"]))


def has_credentials(row: dict[str, Any]) -> bool:
    return row.get("c2pa_state") not in NO_CREDENTIALS or bool(row.get("recovered"))


def has_mark(row: dict[str, Any]) -> bool:
    return row.get("watermark") == "present"


def rank(row: dict[str, Any]) -> tuple[int, str]:
    if has_credentials(row):
        group = 0
    elif has_mark(row):
        group = 1
    elif strong_signals(row):
        group = 2
    elif row.get("errors"):
        group = 3
    else:
        group = 4
    return group, str(row.get("path", ""))


def latest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per file: the last one written (a file done again after it changed replaces its old row)."""
    by_path: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_path[str(row.get("path"))] = row
    return list(by_path.values())


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"files": len(rows), "credentials": sum(has_credentials(r) for r in rows),
            "watermarked": sum(has_mark(r) for r in rows), "strong": sum(bool(strong_signals(r)) for r in rows),
            "errors": sum(bool(r.get("errors")) for r in rows)}


STYLE = """
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; cursor: pointer; user-select: none; position: sticky; top: 0; }
th.sorted-asc::after { content: " \\25B2"; } th.sorted-desc::after { content: " \\25BC"; }
td.thumb img { max-width: 96px; max-height: 96px; }
.trusted { color: #1a7f37; } .valid { color: #9a6700; } .invalid, .error { color: #cf222e; }
.mark { color: #0969da; font-weight: 600; } .small { font-size: 12px; color: #555; }
.path { word-break: break-all; max-width: 28em; }
"""

SCRIPT = """
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = !th.classList.contains('sorted-asc');
    table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def cell(text: str, sort: Any = None, cls: str = "", raw: bool = False) -> str:
    key = html.escape(str(sort if sort is not None else text), quote=True)
    content = text if raw else html.escape(text)
    return f'<td data-sort="{key}"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{content}</td>'


def render_row(order: int, row: dict[str, Any]) -> str:
    thumb = row.get("thumbnail") or ""
    image = f'<img src="{html.escape(thumb, quote=True)}" alt="">' if thumb.startswith("data:image/") else ""
    state = row.get("c2pa_state") or ""
    credentials = html.escape(state)
    if row.get("c2pa_signer"):
        credentials += f'<div class="small">{html.escape(str(row["c2pa_signer"]))}</div>'
    recovered = row.get("recovered")
    if isinstance(recovered, dict):
        credentials += (f'<div class="small">recovered through the watermark: '
                        f'{html.escape(str(recovered.get("state", "")))}</div>')
    mark = row.get("watermark") or ""
    mark_html = html.escape(mark)
    if row.get("watermark_payload"):
        mark_html += f'<div class="small">payload {html.escape(str(row["watermark_payload"]))}</div>'
    strong = strong_signals(row)
    signals = "<br>".join(f"{html.escape(str(s['title']))}: {float(s['score']):.2f}" for s in strong)
    top = max((float(s["score"]) for s in strong), default=0.0)
    errors = "<br>".join(html.escape(str(e)) for e in row.get("errors") or [])
    size = row.get("size")
    return "<tr>" + "".join([
        cell(str(order), order),
        cell(image, rank(row)[0], "thumb", raw=True),
        cell(str(row.get("path", "")), cls="path"),
        cell(str(row.get("type") or ""), cls=""),
        cell(f"{size / 1024:.0f} KiB" if isinstance(size, int) else "", size if isinstance(size, int) else -1),
        cell(credentials, state or "~", state if state in ("trusted", "valid", "invalid") else "", raw=True),
        cell(mark_html, mark or "~", "mark" if mark == "present" else "", raw=True),
        cell(signals, top, raw=True),
        cell(errors, len(row.get("errors") or []), "error" if errors else "", raw=True),
        cell(str(row.get("sha256") or "")[:12], row.get("sha256") or ""),
    ]) + "</tr>"


def render_html(rows: Iterable[dict[str, Any]], title: str = "Batch summary") -> str:
    chosen = sorted(latest(rows), key=rank)
    n = counts(chosen)
    head = "".join(f"<th>{h}</th>" for h in ("#", "Picture", "File", "Type", "Size", "Content Credentials",
                                            "Watermark", f"Strong signals (score ≥ {STRONG:g})", "Errors",
                                            "SHA-256"))
    body = "\n".join(render_row(i + 1, r) for i, r in enumerate(chosen))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n"
            f"<p>{n['files']} files: {n['credentials']} with Content Credentials, {n['watermarked']} with a "
            f"watermark, {n['strong']} with a strong forensic signal, {n['errors']} with errors. Forensic scores "
            "are evidence to weigh, not verdicts. Click a column heading to sort.</p>\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>\n"
            f"<script>{SCRIPT}</script></body></html>\n")


def write_html(path: Path, rows: Iterable[dict[str, Any]], title: str = "Batch summary") -> Path:
    atomic_write_bytes(path, render_html(rows, title).encode("utf-8"))
    return path
