"""The media part of `nbtrack.compare`: the compared runs' images and figures side
by side at a chosen step, a row per media name and a column per run; tables and
confusion matrices as a small summary per run. Pure: the grid is computed from the
runs' media rows (media/records.py), the HTML and text from the grid and a
function reading a blob. All user text (run and media names, captions, column
names) is escaped."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The kinds shown side by side (texts and histograms are left to the runs' own reads).
SHOWN = ("image", "figure", "table", "confusion_matrix")
#: Images are shown at most this wide, and at most this many of a group per cell.
THUMB_PX = 240
#: Smaller images (an 8x8 digit) are scaled up to this width, pixels kept sharp.
MIN_PX = 64
GROUP_SHOWN = 8
#: Image formats a browser shows from a data: URI as they are.
_BROWSER_MIMES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
NONE = "—"


@dataclass
class Cell:
    """One run's entry in a media row: the rows at the step shown (index order);
    no rows when the run has no such media, or none at the chosen step."""

    step: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Steps the run has for this name when the chosen step is not one of them.
    other_steps: list[int] = field(default_factory=list)


@dataclass
class MediaRow:
    name: str
    kind: str
    cells: list[Cell]


def media_grid(rows_by_run: Sequence[list[dict[str, Any]]], step: int | None) -> list[MediaRow]:
    """A row per media name any run logged (kinds in SHOWN, by name), a cell per run:
    its rows at `step`, or (None) at its own last step for that name."""
    kinds: dict[str, str] = {}
    by_name: list[dict[str, dict[int, list[dict[str, Any]]]]] = []
    for rows in rows_by_run:
        named: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for r in rows:
            if r["kind"] not in SHOWN:
                continue
            kinds.setdefault(r["name"], r["kind"])
            named.setdefault(r["name"], {}).setdefault(r["step"], []).append(r)
        by_name.append(named)
    grid = []
    for name in sorted(kinds):
        cells = []
        for named in by_name:
            steps = named.get(name)
            if not steps:
                cells.append(Cell())
                continue
            at = max(steps) if step is None else step
            if at in steps:
                cells.append(Cell(at, sorted(steps[at], key=lambda r: r["idx"])))
            else:
                cells.append(Cell(other_steps=sorted(steps)))
        grid.append(MediaRow(name, kinds[name], cells))
    return grid


def steps_of(rows_by_run: Sequence[list[dict[str, Any]]]) -> list[int]:
    """Every step at which a shown medium was logged (for a step picker)."""
    return sorted({r["step"] for rows in rows_by_run for r in rows if r["kind"] in SHOWN})


def _shown(row: dict[str, Any]) -> tuple[str, str] | None:
    """(hash, mime) of the picture a row is shown as, or None."""
    meta = row["meta"]
    if row["kind"] == "image":
        if meta.get("display"):
            return meta["display"], "image/png"
        return (row["hash"], row["mime"]) if row["mime"] in _BROWSER_MIMES else None
    if row["kind"] == "figure":
        return (row["hash"], row["mime"]) if row["mime"] == "image/png" else None
    return None


def table_summary(row: dict[str, Any]) -> str:
    """`1,000 rows × 3 columns: a, b, c`, or for a confusion matrix its size and
    accuracy (the diagonal's share). From the row's meta: no blob is read."""
    meta = row["meta"]
    if row["kind"] == "confusion_matrix":
        labels = meta.get("labels") or []
        text = f"{len(labels)}×{len(labels)} confusion matrix"
        matrix = meta.get("matrix")
        if matrix:
            total = sum(sum(r) for r in matrix)
            if total:
                right = sum(matrix[i][i] for i in range(len(matrix)))
                text += f", accuracy {right / total:.3g} of {total:,}"
        return text
    columns = [c["name"] for c in meta.get("columns", [])]
    shown = ", ".join(columns[:6]) + (", …" if len(columns) > 6 else "")
    rows = meta.get("rows")
    size = f"{rows:,} rows" if isinstance(rows, int) else "rows"
    return f"{size} × {len(columns)} columns" + (f": {shown}" if shown else "")


def _cell_text(cell: Cell, step: int | None) -> str:
    if not cell.rows:
        return NONE
    r = cell.rows[0]
    if r["kind"] in ("table", "confusion_matrix"):
        return f"step {cell.step}: {table_summary(r)}"
    n = len(cell.rows)
    return f"step {cell.step}" + (f" ({n} images)" if n > 1 else "")


def media_text(grid: list[MediaRow], run_names: Sequence[str], step: int | None) -> str:
    """The grid as plain text: per media name, each run's step (or —)."""
    if not grid:
        return ""
    where = "each run's last step" if step is None else f"step {step}"
    lines = [f"media ({where}):"]
    for row in grid:
        lines.append(f"  {row.kind} {row.name!r}")
        for name, cell in zip(run_names, row.cells, strict=True):
            lines.append(f"    {name}: {_cell_text(cell, step)}")
    return "\n".join(lines)


_CSS = (
    "border-collapse:collapse;"
    "font-family:var(--jp-ui-font-family, sans-serif);font-size:var(--jp-ui-font-size1, 13px)"
)
_TD = "padding:4px 8px;vertical-align:top;border-bottom:1px solid var(--jp-border-color2, #ddd)"


def _picture(data: bytes, mime: str, caption: str | None) -> str:
    src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    size = f"min-width:{MIN_PX}px;max-width:{THUMB_PX}px;image-rendering:pixelated"
    out = f'<img src="{src}" style="{size}" />'
    if caption:
        out += f"<div>{html.escape(caption)}</div>"
    return f'<div style="display:inline-block;margin:2px;text-align:center">{out}</div>'


Reader = Callable[[str, str], tuple[bytes, str]]


def thumbnail(data: bytes, mime: str, max_px: int = 2 * THUMB_PX) -> tuple[bytes, str]:
    """The picture as embedded in the output: as it is when it fits `max_px` (twice
    the width shown, for sharp high-DPI screens), else a PNG scaled down to it, so
    that a notebook does not carry megabytes per photo."""
    try:
        from PIL import Image
    except ImportError:  # no Pillow: shown as logged
        return data, mime
    img = Image.open(io.BytesIO(data))
    if max(img.size) <= max_px:
        return data, mime
    img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    if img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue(), "image/png"


def _cell_html(cell: Cell, step: int | None, read: Reader) -> str:
    if not cell.rows:
        title = ""
        if cell.other_steps:
            shown = ", ".join(map(str, cell.other_steps[:10]))
            title = f' title="no step {step}; steps: {html.escape(shown)}"'
        return f'<td style="{_TD};text-align:center"{title}>{NONE}</td>'
    first = cell.rows[0]
    head = f'<div style="opacity:0.7">step {cell.step}</div>'
    if first["kind"] in ("table", "confusion_matrix"):
        return f'<td style="{_TD}">{head}{html.escape(table_summary(first))}</td>'
    parts = []
    for r in cell.rows[:GROUP_SHOWN]:
        shown = _shown(r)
        if shown is None:
            what = "plotly figure (HTML)" if r["mime"] == "text/html" else r["mime"]
            parts.append(f"<div>{html.escape(what)}: read it with run.figure()</div>")
        else:
            parts.append(_picture(*read(*shown), r["caption"]))
    if len(cell.rows) > GROUP_SHOWN:
        parts.append(f"<div>+{len(cell.rows) - GROUP_SHOWN} more</div>")
    return f'<td style="{_TD}">{head}{"".join(parts)}</td>'


def media_html(
    grid: list[MediaRow],
    run_names: Sequence[str],
    step: int | None,
    read: Reader,
    colors: Sequence[str] | None = None,
) -> str:
    """The grid as an HTML table: a column per run, a row per media name. `read(hash,
    mime)` gives the bytes and mime of a picture as embedded (see `thumbnail`)."""
    if not grid:
        return ""
    where = "each run's last step" if step is None else f"step {step}"
    head = [f'<th style="{_TD};text-align:left">media ({html.escape(where)})</th>']
    for i, name in enumerate(run_names):
        mark = ""
        if colors:
            mark = f'<span style="color:{html.escape(colors[i])}">■</span> '
        head.append(f'<th style="{_TD};text-align:left">{mark}{html.escape(name)}</th>')
    body = []
    for row in grid:
        label = (
            f'<td style="{_TD}"><code>{html.escape(row.name)}</code>'
            f'<div style="opacity:0.7">{html.escape(row.kind)}</div></td>'
        )
        cells = "".join(_cell_html(c, step, read) for c in row.cells)
        body.append(f"<tr>{label}{cells}</tr>")
    return (
        f'<table class="nbtrack-compare-media" style="{_CSS}">'
        f"<tr>{''.join(head)}</tr>{''.join(body)}</table>"
    )
