"""Plain-text renderings of runs for terminals and notebook text output. Pure."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from typing import Any

MAX_CELL = 16


def format_duration(seconds: float | None) -> str:
    """The one duration format of nbtrack (CLI, summary line, widgets, panel):
    `0.1s` under 10 s, `12s` under a minute, `3m 04s` under an hour, then `1h 02m`.
    Values round to the shown unit first (59.96 s is `1m 00s`); unknown is blank."""
    if seconds is None or seconds != seconds:
        return ""
    seconds = max(0.0, seconds)
    if round(seconds, 1) < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    hours, minutes = divmod(int(round(seconds / 60)), 60)
    return f"{hours}h {minutes:02d}m"


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
        lines.append(_hidden_footer(header[len(shown) :], width))
    return "\n".join(lines)


def _hidden_footer(names: Sequence[str], width: int) -> str:
    """`(+3 more columns: a, b, …; see --format csv or json)`: at most four names,
    each clipped like a heading so the line stays short."""
    listed = ", ".join(_clip(n) for n in names[:4]) + (", …" if len(names) > 4 else "")
    return f"(+{len(names)} more columns: {listed}; see --format csv or json)"


def runs_table(df: Any, width: int = 80) -> str:
    """The runs() DataFrame as a terminal table (see `records_table`)."""
    records = df.to_dict("records")
    for rec in records:
        start = rec.get("start")
        rec["start"] = start.timestamp() if start is not None and start == start else None
    return records_table(records, list(df.columns), width)


def views_table(views: Sequence[Any], width: int = 80) -> str:
    """RunViews as a terminal table (see `records_table`), without building a
    DataFrame (the CLI does not import pandas for this)."""
    from .runview import flat_records

    return records_table(*flat_records(views), width)


def records_table(records: list[dict[str, Any]], columns: list[str], width: int = 80) -> str:
    """Runs as a terminal table: name, ref (when known), status, start, duration,
    then last metric values and params. `start` is in epoch seconds."""
    if not records:
        return "no runs yet: run a cell with %%track, or `with nbtrack.start_run():` in a script"
    # Metrics first: they are what a reader compares; params follow.
    extra = [c for c in columns if c.startswith("metrics.")]
    extra += [c for c in columns if c.startswith("params.")]
    fixed = ["name", "ref"] if "ref" in columns else ["name"]
    # The reproducibility verdict, once any run shown has one (nbtrack verify).
    verdict = ["verdict"] if any(rec.get("verdict") for rec in records) else []
    # Who ran them, once the runs shown come from more than one user (a team's store).
    users = {_na(rec.get("user")) for rec in records} - {None}
    user = ["user"] if len(users) > 1 else []
    header = [*fixed, "status", *verdict, *user, "start", "duration", *_headings(extra)]
    rows = []
    for rec in records:
        rows.append(
            [str(rec[c]) for c in fixed]
            + [str(rec["status"])]
            + [str(rec.get("verdict") or "") for _ in verdict]
            + [str(_na(rec.get("user")) or "") for _ in user]
            + [format_time(rec["start"]), format_duration(rec["duration"])]
            + [format_value(_na(rec.get(c))) for c in extra]
        )
    return format_table(header, rows, width)


def _headings(columns: list[str]) -> list[str]:
    """`metrics.loss` shows as `loss`, unless a param is also called `loss`: then
    both keep their prefix so the two columns cannot be confused. Linear in the
    number of columns (a store can hold tens of thousands of keys)."""
    from collections import Counter

    keys = [c.split(".", 1)[1] for c in columns]
    counts = Counter(keys)
    return [c if counts[k] > 1 else k for c, k in zip(columns, keys, strict=True)]


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
    who = getattr(run, "user", None), getattr(run, "host", None)
    if any(who):
        lines.append(f"  ran by      {who[0] or '(unknown)'} on {who[1] or '(unknown host)'}")
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
