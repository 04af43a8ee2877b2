"""Write runs read from another tool into a store, idempotently.

Each imported run carries the tag `nbtrack.source=<tool>:<key>` (the MLflow run id,
the TensorBoard run directory). A re-import finds the run by that tag, refreshes its
status, end time, params and tags, and appends only the points a metric gained
since: per key, the source's points in (step, time) order beyond the count the
store already holds. Points are written with the store's `write_batch` (points and
summaries in one transaction) in batches, never one commit per point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..ids import new_id
from ..store import schema
from ..store.store import Store

SOURCE_TAG = "nbtrack.source="
BATCH_POINTS = 50_000

Point = tuple[str, str, int, float, float]


@dataclass
class ImportedRun:
    """A run as read from the source tool, in nbtrack's terms (times in seconds)."""

    source: str  # "mlflow:<run id>", "tensorboard:<dir>": the idempotency key
    experiment: str
    stem: str
    status: str
    start_time: float
    end_time: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    notebook: str | None = None
    git: dict[str, Any] | None = None
    # key -> [(step, value, wall time)], in any order
    metrics: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    points: int = 0
    skipped: list[str] = field(default_factory=list)  # what could not be read, and why
    artifacts: int = 0  # artifact versions created (import-mlflow --artifacts)
    artifact_runs: int = 0  # runs whose artifact files were recorded

    def line(self, what: str) -> str:
        text = (
            f"{what}: {self.created} runs created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.points} points written"
        )
        if self.skipped:
            text += f", {len(self.skipped)} skipped"
        if self.artifact_runs:
            text += (
                f"; artifacts of {self.artifact_runs} runs recorded, "
                f"{self.artifacts} new artifact versions"
            )
        return text


def source_tag(source: str) -> str:
    return SOURCE_TAG + source


def imported_runs(store: Store, tool: str) -> dict[str, str]:
    """{source key: run id} of the runs imported from `tool` before."""
    t = schema.runs
    found: dict[str, str] = {}
    with store.reading() as conn:
        rows = conn.execute(
            sa.select(t.c.id, t.c.tags).where(t.c.tags.like(f'%"{SOURCE_TAG}{tool}:%'))
        )
        for run_id, tags in rows:
            for tag in json.loads(tags or "[]"):
                if isinstance(tag, str) and tag.startswith(SOURCE_TAG + tool + ":"):
                    found[tag[len(SOURCE_TAG) :]] = run_id
    return found


class RunWriter:
    """Writes ImportedRuns to `store`; points go in batches of BATCH_POINTS."""

    def __init__(self, store: Store, tool: str) -> None:
        self.store = store
        self.known = imported_runs(store, tool)
        self.report = ImportReport()
        self._points: list[Point] = []
        self._summaries: dict[tuple[str, str], list[Any]] = {}

    def add(self, run: ImportedRun) -> str:
        """Create or refresh `run`; queue the points it gained. Returns the run id."""
        tags = [*run.tags, source_tag(run.source)]
        run_id = self.known.get(run.source)
        values: dict[str, Any] = {
            "status": run.status,
            "end_time": run.end_time,
            "params": run.params,
            "tags": tags,
        }
        if run_id is None:
            run_id = new_id(run.start_time)
            self.store.create_run(
                {
                    "id": run_id,
                    "experiment": run.experiment,
                    "notebook": run.notebook,
                    "stem": run.stem,
                    "start_time": run.start_time,
                    "notes": run.notes,
                    "git": run.git,
                    **values,
                }
            )
            self.known[run.source] = run_id
            self._queue(run_id, run.metrics, {})
            self.report.created += 1
            return run_id
        current = self.store.summaries([run_id]).get(run_id, {})
        changed = self._refresh(run_id, values)
        if self._queue(run_id, run.metrics, current) or changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        return run_id

    def _refresh(self, run_id: str, values: dict[str, Any]) -> bool:
        rows = self.store.select_runs(ids=[run_id])
        row = rows[0] if rows else {}
        now = {k: row.get(k) for k in values}
        if now == json.loads(json.dumps(values)):
            return False
        self.store.update_run(run_id, **values)
        return True

    def _queue(
        self,
        run_id: str,
        metrics: dict[str, list[tuple[int, float, float]]],
        current: dict[str, Any],
    ) -> int:
        gained = 0
        for key, series in metrics.items():
            have = current.get(key)
            count = int(have["count"]) if have else 0
            if len(series) <= count:
                continue
            ordered = sorted(series, key=lambda p: (p[0], p[2]))
            new = ordered[count:]
            s = (
                [have["last"], have["last_step"], have["min"], have["max"], count]
                if have
                else [math.nan, 0, math.nan, math.nan, 0]
            )
            s = [math.nan if v is None else v for v in s]
            for step, value, wall in new:
                value = float(value)
                self._points.append((run_id, key, int(step), value, float(wall)))
                s[0], s[1] = value, int(step)
                if value == value:
                    if not value >= s[2]:
                        s[2] = value
                    if not value <= s[3]:
                        s[3] = value
                s[4] += 1
            self._summaries[(run_id, key)] = s
            gained += len(new)
            if len(self._points) >= BATCH_POINTS:
                self.flush()
        return gained

    def flush(self) -> None:
        if self._points or self._summaries:
            self.store.write_batch(self._points, self._summaries)
            self.report.points += len(self._points)
            self._points = []
            self._summaries = {}


def write_all(store: Store, tool: str, runs: Iterable[ImportedRun]) -> ImportReport:
    writer = RunWriter(store, tool)
    for run in runs:
        writer.add(run)
    writer.flush()
    return writer.report
