"""Presenting a `RunDiff`: terminal text (optionally coloured) and safe HTML.

JSON is `RunDiff.to_json`. Every user string (run names, param keys and
values, code, notebook text) goes through `html.escape` in HTML, and has its
control characters made visible in the terminal.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from typing import Any

from nbtrack.versioning.diff import SUMMARY_KEYS, MetricDiff, RunDiff, TextDiff
from nbtrack.versioning.notebook_diff import CellChange, NotebookDiff

_RESET, _BOLD, _RED, _GREEN, _YELLOW, _CYAN, _DIM = (
    "\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[2m",
)  # fmt: skip

# Control characters, except newline and tab; ESC too unless it starts a colour code.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]|\x1b")
_CONTROL_BUT_SGR = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]|\x1b(?!\[[0-9;]*m)")


def _visible(text: str, pattern: re.Pattern[str] = _CONTROL) -> str:
    """Control characters as ``\\xNN`` so user text cannot drive the terminal."""
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def format_value(value: Any) -> str:
    """A param value as the user would write it: JSON, strings quoted."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except ValueError:  # a circular structure
        return repr(value)


def format_number(value: Any, signed: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    return f"{value:+.6g}" if signed else f"{value:.6g}"


def _metric_cells(m: MetricDiff) -> list[tuple[str, str, str, str]]:
    """(stat, a, b, delta) rows for one metric."""
    return [
        (
            stat,
            format_number((m.a or {}).get(stat)),
            format_number((m.b or {}).get(stat)),
            format_number(m.delta(stat), signed=True) if m.stat_changed(stat) else "",
        )
        for stat in SUMMARY_KEYS
    ]


def _notebook_text(diff: RunDiff, nb: NotebookDiff, color: bool) -> str:
    """nbdime's own pretty print of the notebook diff, captured as a string."""
    from nbdime.prettyprint import PrettyPrintConfig, pretty_print_notebook_diff

    out = io.StringIO()
    config = PrettyPrintConfig(out=out, use_git=False, use_diff=False, use_color=color)
    pretty_print_notebook_diff(
        f"{diff.a_name}/notebook.ipynb", f"{diff.b_name}/notebook.ipynb", nb.base, nb.diff, config
    )
    return out.getvalue()


def _describe(change: CellChange) -> str:
    where = change.index if change.base_index is None else change.base_index
    if change.change == "modified" and change.index != change.base_index:
        where = f"{change.base_index}→{change.index}"
    parts = f" ({', '.join(change.parts)})" if change.parts else ""
    return f"{change.change} {change.cell_type} cell {where}{parts}: {change.first_line}"


# --------------------------------------------------------------------------- terminal


def render_terminal(diff: RunDiff, color: bool = False) -> str:
    """The diff as terminal text; ANSI colours only when ``color`` is true."""

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    a, b = _visible(diff.a_name), _visible(diff.b_name)
    if diff.is_empty:
        return f"no difference between {a} and {b}\n"
    out = [c(_BOLD, f"{a} → {b}"), ""]

    p = diff.params
    out.append(c(_BOLD, "params"))
    if p.is_empty:
        out.append("  (same)")
    for k, (old, new) in p.changed.items():
        change = f"{_visible(format_value(old))} → {_visible(format_value(new))}"
        out.append(c(_YELLOW, f"  ~ {_visible(k)}: {change}"))
    for k, v in p.added.items():
        out.append(c(_GREEN, f"  + {_visible(k)}: {_visible(format_value(v))}"))
    for k, v in p.removed.items():
        out.append(c(_RED, f"  - {_visible(k)}: {_visible(format_value(v))}"))

    out += ["", c(_BOLD, "metrics")]
    if not diff.metrics:
        out.append("  (none)")
    for key, m in diff.metrics.items():
        mark = c(_YELLOW, "~") if m.changed else c(_DIM, "=")
        stats = [
            f"{stat} {va} → {vb}" + (f" ({d})" if d and d != "—" else "")
            for stat, va, vb, d in _metric_cells(m)
        ]
        out.append(f"  {mark} {_visible(key)}: " + " · ".join(stats))

    for title, part in (("cell", diff.cell), ("script", diff.script)):
        out += ["", c(_BOLD, f"{title} ({_part_path(part, title)})")]
        out.append(_terminal_text_diff(part, c))

    out += ["", c(_BOLD, "notebook")]
    nb = diff.notebook
    if nb is None:
        out.append("  (no snapshot to compare)")
    elif nb.is_empty:
        out.append("  (same)")
    else:
        out += [f"  {_visible(_describe(ch))}" for ch in nb.cells]
        if nb.metadata_changed:
            out.append("  notebook metadata changed")
        pattern = _CONTROL_BUT_SGR if color else _CONTROL
        out += ["", _visible(_notebook_text(diff, nb, color), pattern).rstrip("\n")]
    return "\n".join(out) + "\n"


def _part_path(part: TextDiff | None, title: str) -> str:
    return part.path if part is not None else ("cell.py" if title == "cell" else "notebook.py")


def _terminal_text_diff(part: TextDiff | None, c: Any) -> str:
    if part is None:
        return "  (no snapshot to compare)"
    if part.is_empty:
        return "  (same)"
    lines = []
    for line in _visible(part.unified).rstrip("\n").split("\n"):
        if line.startswith(("+++", "---")):
            lines.append(c(_BOLD, line))
        elif line.startswith("@@"):
            lines.append(c(_CYAN, line))
        elif line.startswith("+"):
            lines.append(c(_GREEN, line))
        elif line.startswith("-"):
            lines.append(c(_RED, line))
        else:
            lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML

_STYLE = """
.nbtrack-diff { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; }
.nbtrack-diff h4 { margin: 12px 0 4px; }
.nbtrack-diff table { border-collapse: collapse; }
.nbtrack-diff th, .nbtrack-diff td { padding: 2px 8px; text-align: left;
  border-bottom: 1px solid var(--jp-border-color2, #ddd); }
.nbtrack-diff td.num { text-align: right; font-family: var(--jp-code-font-family, monospace); }
.nbtrack-diff pre { background: var(--jp-layout-color2, #f5f5f5); padding: 6px; overflow-x: auto;
  font-family: var(--jp-code-font-family, monospace); }
.nbtrack-diff .add { color: var(--jp-success-color1, #1a7f37); }
.nbtrack-diff .del { color: var(--jp-error-color1, #cf222e); }
.nbtrack-diff .chg { color: var(--jp-warn-color1, #9a6700); }
.nbtrack-diff .hunk { color: var(--jp-info-color1, #0969da); }
.nbtrack-diff .muted { color: var(--jp-ui-font-color2, #777); }
"""

_esc = html.escape  # quote=True: safe in text and in attribute values


def _html_text_diff(part: TextDiff | None) -> str:
    if part is None:
        return '<p class="muted">no snapshot to compare</p>'
    if part.is_empty:
        return '<p class="muted">same</p>'
    rows = []
    for line in part.unified.rstrip("\n").split("\n"):
        cls = (
            "hunk" if line.startswith("@@")
            else "muted" if line.startswith(("+++", "---"))
            else "add" if line.startswith("+")
            else "del" if line.startswith("-")
            else ""
        )  # fmt: skip
        rows.append(f'<span class="{cls}">{_esc(line)}</span>' if cls else _esc(line))
    return "<pre>" + "\n".join(rows) + "</pre>"


def _param_row(cls: str, mark: str, key: str, old: str, new: str) -> str:
    cells = "".join(f"<td>{_esc(text)}</td>" for text in (mark, key, old, new))
    return f'<tr class="{cls}">{cells}</tr>'


def _html_params(diff: RunDiff) -> str:
    p = diff.params
    if p.is_empty:
        return '<p class="muted">same</p>'
    rows = [
        _param_row("chg", "~", k, format_value(o), format_value(n))
        for k, (o, n) in p.changed.items()
    ]
    rows += [_param_row("add", "+", k, "", format_value(v)) for k, v in p.added.items()]
    rows += [_param_row("del", "−", k, format_value(v), "") for k, v in p.removed.items()]
    names = f"<th>{_esc(diff.a_name)}</th><th>{_esc(diff.b_name)}</th>"
    head = f"<tr><th></th><th>param</th>{names}</tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _html_metrics(diff: RunDiff) -> str:
    if not diff.metrics:
        return '<p class="muted">none</p>'
    head = (
        f"<tr><th>metric</th><th></th><th>{_esc(diff.a_name)}</th><th>{_esc(diff.b_name)}</th>"
        "<th>Δ</th></tr>"
    )
    rows = []
    for key, m in diff.metrics.items():
        for i, (stat, va, vb, d) in enumerate(_metric_cells(m)):
            cls = ' class="chg"' if m.stat_changed(stat) else ""
            name = _esc(key) if i == 0 else ""
            rows.append(
                f"<tr{cls}><td>{name}</td><td>{stat}</td><td class='num'>{_esc(va)}</td>"
                f"<td class='num'>{_esc(vb)}</td><td class='num'>{_esc(d)}</td></tr>"
            )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _html_notebook(diff: RunDiff) -> str:
    nb = diff.notebook
    if nb is None:
        return '<p class="muted">no snapshot to compare</p>'
    if nb.is_empty:
        return '<p class="muted">same</p>'
    css = {"added": "add", "removed": "del", "modified": "chg"}
    items = [f'<li class="{css[ch.change]}">{_esc(_describe(ch))}</li>' for ch in nb.cells]
    if nb.metadata_changed:
        items.append('<li class="chg">notebook metadata changed</li>')
    detail = _esc(_notebook_text(diff, nb, color=False))
    return (
        f"<ul>{''.join(items)}</ul>"
        f"<details><summary>cell-by-cell diff (nbdime)</summary><pre>{detail}</pre></details>"
    )


def render_html(diff: RunDiff, standalone: bool = False) -> str:
    """A self-contained HTML fragment (own scoped styles); all user text escaped.
    With ``standalone``, a whole page (for ``nbtrack diff A B --html out.html``)."""
    title = f"<h3>{_esc(diff.a_name)} → {_esc(diff.b_name)}</h3>"
    if diff.is_empty:
        body = '<p class="muted">no difference</p>'
    else:
        body = "".join(
            [
                "<h4>Params</h4>", _html_params(diff),
                "<h4>Metrics</h4>", _html_metrics(diff),
                "<h4>Cell</h4>", _html_text_diff(diff.cell),
                "<h4>Script</h4>", _html_text_diff(diff.script),
                "<h4>Notebook</h4>", _html_notebook(diff),
            ]
        )  # fmt: skip
    fragment = f'<div class="nbtrack-diff"><style>{_STYLE}</style>{title}{body}</div>'
    if not standalone:
        return fragment
    page_title = _esc(f"nbtrack diff {diff.a_name} → {diff.b_name}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{page_title}</title></head><body>{fragment}</body></html>\n"
    )
