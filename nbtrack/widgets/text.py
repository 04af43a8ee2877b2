"""Text renditions of the live chart and the comparison: what a notebook shows
where widgets and pictures cannot be seen (terminals, text diffs, headless runs). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..format import format_duration, format_table, format_value


def status_line(name: str, status: str, seconds: float | None, flags: Sequence[str] = ()) -> str:
    """`baseline · running · 12.0s`, then any flags (`stale inputs: x`)."""
    return " · ".join(p for p in (name, status, format_duration(seconds), *flags) if p)


def metrics_table(summary: Mapping[str, Mapping[str, Any]], width: int = 100) -> str:
    """One row per metric: last value (and its step), min, max, number of points."""
    rows = [
        [
            key,
            format_value(s.get("last")),
            format_value(s.get("last_step")),
            format_value(s.get("min")),
            format_value(s.get("max")),
            format_value(s.get("count")),
        ]
        for key, s in summary.items()
    ]
    return format_table(["metric", "last", "step", "min", "max", "points"], rows, width=width)


def live_summary(
    name: str,
    status: str,
    seconds: float | None,
    summary: Mapping[str, Mapping[str, Any]],
    flags: Sequence[str] = (),
) -> str:
    """The text under a finished tracked cell."""
    head = "nbtrack: " + status_line(name, status, seconds, flags)
    if not summary:
        return head + " · no metrics logged"
    return head + "\n" + metrics_table(summary)


def final_values(summary: Mapping[str, Mapping[str, Any]], limit: int = 8) -> str:
    """`loss=0.002 (min 0.0019) · acc=0.998`: the final values, shown in the widget."""
    parts = [
        f"{key}={format_value(s.get('last'))} (min {format_value(s.get('min'))}, "
        f"max {format_value(s.get('max'))})"
        for key, s in list(summary.items())[:limit]
    ]
    if len(summary) > limit:
        parts.append(f"+{len(summary) - limit} more")
    return " · ".join(parts)


def compare_table(
    runs: Sequence[Mapping[str, Any]], differing: Sequence[str], metrics: Sequence[str]
) -> str:
    """The comparison as text: a row per run; params that differ are starred."""
    header = ["run", "status", *[f"*{k}" for k in differing], *metrics]
    rows = [
        [
            str(r["name"]),
            str(r["status"]),
            *[format_value(r["params"].get(k)) for k in differing],
            *[format_value(r["metrics"].get(m, {}).get("last")) for m in metrics],
        ]
        for r in runs
    ]
    note = "(* params that differ between the runs)" if differing else "(params are all equal)"
    return format_table(header, rows, width=120) + "\n" + note
