"""Runs as the REST API returns them, and the filtering, sorting and paging of
the runs list. Pure: works on store rows and metric summaries."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from .jsonutil import finite, strict
from .params import RunsQuery


def run_record(
    row: dict[str, Any], summaries: dict[str, dict[str, Any]], now: float
) -> dict[str, Any]:
    """The API's Run: identity, status, times (epoch seconds), tags, notes, params
    (flat dotted keys) and metric summaries {key: {last, last_step, min, max, count}}."""
    end = row["end_time"]
    return {
        "id": row["id"],
        "ref": f"{row['stem']}#{row['seq']}",
        "name": row["name"],
        "status": row["status"],
        "experiment": row["experiment"],
        "notebook": row["notebook"],
        "start": row["start_time"],
        "end": end,
        "duration": max(0.0, (end if end is not None else now) - row["start_time"]),
        "tags": list(row["tags"] or []),
        "notes": row["notes"],
        "params": dict(row["params"] or {}),
        "metrics": summaries,
        "snapshot": row["snapshot"],
        "sweep": row["sweep"],
        "trial": row["trial"],
    }


def matches(run: dict[str, Any], needle: str) -> bool:
    """Case-insensitive substring match of `needle` (already lowercased) on the name,
    ref, notebook, experiment, sweep id or a tag."""
    fields = [run["name"], run["ref"], run["notebook"] or "", run["experiment"], *run["tags"]]
    if run["sweep"]:
        fields.append(run["sweep"])
    return any(needle in text.lower() for text in fields)


def filter_runs(runs: Iterable[dict[str, Any]], q: str) -> list[dict[str, Any]]:
    needle = q.lower()
    return [r for r in runs if matches(r, needle)] if needle else list(runs)


_MISSING = object()


def sort_value(run: dict[str, Any], field: str) -> Any:
    """The value `field` sorts `run` by; _MISSING when the run has none."""
    if field == "start":
        return run["start"]
    if field.startswith("params."):
        return run["params"].get(field[7:], _MISSING)
    if field.startswith("metrics."):
        summary = run["metrics"].get(field[8:])
        return _MISSING if summary is None else summary["last"]
    value = run[field]
    return _MISSING if value is None else value


def _key(value: Any) -> tuple[int, Any]:
    """Numbers (and booleans) before strings before anything else."""
    if isinstance(value, (int, float)):
        return (0, float(value))
    if isinstance(value, str):
        return (1, (value.casefold(), value))
    return (2, json.dumps(value, sort_keys=True, default=str))


def _missing(value: Any) -> bool:
    return value is _MISSING or (isinstance(value, float) and math.isnan(value))


def sort_runs(runs: Sequence[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Runs ordered by `field`; runs without a value (or NaN) come last either way.
    Equal values keep the incoming order (newest first)."""
    keyed = [(sort_value(r, field), r) for r in runs]
    present = [(v, r) for v, r in keyed if not _missing(v)]
    absent = [r for v, r in keyed if _missing(v)]
    present.sort(key=lambda vr: _key(vr[0]), reverse=descending)
    return [r for _, r in present] + absent


def keys_of(runs: Iterable[dict[str, Any]], part: str) -> list[str]:
    """The sorted union of the runs' `params` or `metrics` keys."""
    keys: set[str] = set()
    for r in runs:
        keys.update(r[part])
    return sorted(keys)


def strict_run(run: dict[str, Any]) -> dict[str, Any]:
    """The run with its params and metric summaries as strict JSON (non-finite
    floats as strings): quicker than walking the whole record."""
    return {
        **run,
        "params": strict(run["params"]),
        "metrics": {
            key: {k: finite(v) if isinstance(v, float) else v for k, v in s.items()}
            for key, s in run["metrics"].items()
        },
    }


def runs_page(runs: Sequence[dict[str, Any]], query: RunsQuery) -> dict[str, Any]:
    """GET /runs's answer: the filtered, sorted page (strict JSON) with the total and
    the param and metric keys of all the runs that match (not only the page's)."""
    selected = filter_runs(runs, query.q)
    ordered = sort_runs(selected, query.sort, query.descending)
    return {
        "runs": [strict_run(r) for r in ordered[query.offset : query.offset + query.limit]],
        "total": len(ordered),
        "params": keys_of(selected, "params"),
        "metrics": keys_of(selected, "metrics"),
    }
