"""The comparison table: which params differ, and the runs as an HTML table with
those params highlighted. Pure. All user text is escaped: it is shown as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..format import format_duration, format_value

_MISSING = object()
HIGHLIGHT = "background:rgba(255,200,0,0.28);font-weight:bold"
PAD = "padding:2px 8px"  # every cell: without it, adjacent values run together


def differing_params(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Param keys whose value is not the same in every run (a missing value counts
    as different), in sorted order."""
    keys = sorted({k for r in runs for k in r["params"]})
    out = []
    for key in keys:
        values = [r["params"].get(key, _MISSING) for r in runs]
        if any(v is _MISSING or v != values[0] or type(v) is not type(values[0]) for v in values):
            out.append(key)
    return out


def metric_keys(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Metric keys, the ones most runs logged first, then by name."""
    counts: dict[str, int] = {}
    for r in runs:
        for key in r["metrics"]:
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


def _cell(value: Any) -> str:
    text = escape(format_value(value)) if not isinstance(value, str) else escape(value)
    return f'<td style="{PAD}">{text}</td>'


def html_table(
    runs: Sequence[Mapping[str, Any]], metrics: Sequence[str], colors: Sequence[str]
) -> str:
    """Runs as rows: name (in its curve colour), status, duration, params (those that
    differ first, highlighted), then the last value of each metric."""
    differ = differing_params(runs)
    same = [k for k in sorted({k for r in runs for k in r["params"]}) if k not in differ]
    th = f"{PAD};text-align:left;border-bottom:1px solid #999"
    head = ["run", "status", "duration"] + differ + same + metrics
    out = [
        '<table class="nbtrack-compare" style="border-collapse:collapse;font-size:12px">',
        "<thead><tr>"
        + "".join(
            f'<th style="{th};{HIGHLIGHT if h in differ and i >= 3 else ""}">{escape(h)}</th>'
            for i, h in enumerate(head)
        )
        + "</tr></thead><tbody>",
    ]
    for r, colour in zip(runs, colors, strict=True):
        cells = [
            f'<td style="{PAD};color:{escape(colour)};font-weight:bold">'
            f"{escape(str(r['name']))}</td>",
            _cell(str(r["status"])),
            _cell(format_duration(r.get("duration"))),
        ]
        cells += [
            f'<td class="nbtrack-differs" style="{PAD};{HIGHLIGHT}">'
            f"{escape(format_value(r['params'].get(k)))}</td>"
            for k in differ
        ]
        cells += [_cell(r["params"].get(k)) for k in same]
        cells += [_cell(r["metrics"].get(m, {}).get("last")) for m in metrics]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)
