"""Plain-text renderings of runs for terminals and notebook text output. Pure."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from typing import Any

MAX_CELL = 16


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return ""
    if round(seconds, 1) < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_time(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return _dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")


def _clip(text: str, width: int = MAX_CELL) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int = 80) -> str:
    """Columns left to right while they fit in `width`; the rest are named in a footer."""
    clipped = [[_clip(c) for c in row] for row in rows]
    heads = [_clip(h) for h in header]
    widths = [max([len(h)] + [len(r[i]) for r in clipped]) for i, h in enumerate(heads)]
    shown, used = [], 0
    for i, w in enumerate(widths):
        need = w + (2 if shown else 0)
        if shown and used + need > width:
            break
        shown.append(i)
        used += need
    lines = ["  ".join(heads[i].ljust(widths[i]) for i in shown).rstrip()]
    lines += ["  ".join(r[i].ljust(widths[i]) for i in shown).rstrip() for r in clipped]
    hidden = len(header) - len(shown)
    if hidden:
        lines.append(
            f"(+{hidden} more columns: {', '.join(header[len(shown) :][:4])}"
            f"{', …' if hidden > 4 else ''}; see --format csv or json)"
        )
    return "\n".join(lines)


def runs_table(df: Any, width: int = 80) -> str:
    """The runs() DataFrame as a terminal table: name, status, start, duration,
    then params and last metric values."""
    if len(df) == 0:
        return "no runs yet: run a cell with %%track, or `with nbtrack.start_run():` in a script"
    # Metrics first: they are what a reader compares; params follow.
    extra = [c for c in df.columns if c.startswith("metrics.")]
    extra += [c for c in df.columns if c.startswith("params.")]
    header = ["name", "status", "start", "duration", *_headings(extra)]
    rows = []
    for rec in df.to_dict("records"):
        start = rec["start"].timestamp() if rec["start"] is not None else None
        rows.append(
            [
                str(rec["name"]),
                str(rec["status"]),
                format_time(start),
                format_duration(rec["duration"]),
            ]
            + [format_value(_na(rec[c])) for c in extra]
        )
    return format_table(header, rows, width)


def _headings(columns: list[str]) -> list[str]:
    """`metrics.loss` shows as `loss`, unless a param is also called `loss`: then
    both keep their prefix so the two columns cannot be confused."""
    keys = [c.split(".", 1)[1] for c in columns]
    clash = {k for k in keys if keys.count(k) > 1}
    return [c if k in clash else k for c, k in zip(columns, keys, strict=True)]


def _na(value: Any) -> Any:
    """Missing params/metrics of a run show as blanks, not 'nan'."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run_details(run: Any) -> str:
    """`nbtrack show`: everything about one run, readable in 80 columns."""
    lines = [
        f"{run.name}  ({run.ref}, id {run.id})",
        f"  status      {run.status}",
        f"  experiment  {run.experiment}",
        f"  notebook    {run.notebook or '(unknown)'}",
        f"  started     {format_time(run.start)}   duration {format_duration(run.duration)}",
    ]
    if run.tags:
        lines.append(f"  tags        {', '.join(run.tags)}")
    if run.notes:
        lines.append(f"  notes       {run.notes}")
    if run.git:
        dirty = " (uncommitted changes)" if run.git.get("dirty") else ""
        lines.append(
            f"  git         {run.git.get('branch') or '(detached)'} "
            f"{(run.git.get('commit') or '')[:10]}{dirty}"
        )
    if run.snapshot:
        lines.append(f"  snapshot    {run.snapshot[:10]}")
    if run.sweep:
        lines.append(f"  sweep       {run.sweep}, trial {run.trial}")
    if run.params:
        lines.append("params")
        lines += [f"  {k} = {format_value(v)}" for k, v in sorted(run.params.items())]
    if run.metrics:
        lines.append("metrics                last        min        max   count")
        for key, s in sorted(run.metrics.items()):
            lines.append(
                f"  {_clip(key, 18):18} {format_value(s['last']):>10} "
                f"{format_value(s['min']):>10} {format_value(s['max']):>10} "
                f"{s['count']:>7}"
            )
    if run.error:
        lines.append("error")
        lines += ["  " + line for line in run.error.rstrip().splitlines()[-12:]]
    return "\n".join(lines)


def summary_line(name: str, status: str, seconds: float, metrics: dict[str, dict[str, Any]]) -> str:
    """The line printed under a tracked cell when it ends."""
    shown = " ".join(f"{k}={format_value(v['last'])}" for k, v in list(metrics.items())[:6])
    more = f" (+{len(metrics) - 6} more)" if len(metrics) > 6 else ""
    return f"nbtrack: {name} {status} in {format_duration(seconds)}" + (
        f" · {shown}{more}" if shown else ""
    )
