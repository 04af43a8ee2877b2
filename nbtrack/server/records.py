"""Runs as the REST API returns them. Pure: works on store rows and metric
summaries (the runs list is filtered, sorted and paged in SQL: run_query.py)."""

from __future__ import annotations

from typing import Any

from .jsonutil import finite, strict


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
