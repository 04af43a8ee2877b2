"""The read model of a run: what every face shows of it (DataFrames, the CLI, the
REST API, the widgets), built from a store row in one place. Pure.

    view = RunView.from_row(row, summaries, now)
    view.ref, view.status, view.duration       # train#4, RunStatus.FINISHED, 12.5
    view.to_record()                            # one flat row: DataFrames, CSV, tables
    view.to_dict() / view.to_json()             # the REST API's Run (plain / strict JSON)
"""

from __future__ import annotations

import datetime as _dt
import enum
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, TypeVar

from .errors import NbtrackError
from .jsonenc import finite, strict
from .refs import ref


class UnknownStatusError(NbtrackError, ValueError):
    """A run's status is not one this nbtrack knows (a newer nbtrack wrote it)."""


class RunStatus(str, enum.Enum):
    """What became of a run. A str, so `status == "finished"` holds and it encodes
    as its value."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CRASHED = "crashed"
    PRUNED = "pruned"  # a search sweep's pruner stopped it early (nbtrack.sweep(prune=...))

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def parse(cls, value: str | RunStatus) -> RunStatus:
        """The status named `value`, or UnknownStatusError saying what to do."""
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise UnknownStatusError(
                f"unknown run status {value!r} (this nbtrack knows {known}): the store was "
                "written by a newer nbtrack; upgrade nbtrack (pip install -U nbtrack) to read it"
            ) from None

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(s.value for s in cls)


def duration(start: float, end: float | None, now: float) -> float:
    """A run's duration in seconds: to its end, or to `now` while it has none (running);
    never negative (clocks of different hosts)."""
    return max(0.0, (end if end is not None else now) - start)


_View = TypeVar("_View", bound="RunView")

# The run columns of a flat record (to_record), in order, and how each is read
# from a view; params.<key> and metrics.<key> follow.
_RECORD: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("id", attrgetter("id")),
    ("name", attrgetter("name")),
    ("ref", attrgetter("ref")),
    ("status", attrgetter("status._value_")),  # the text, not the enum
    ("experiment", attrgetter("experiment")),
    ("notebook", attrgetter("notebook")),
    ("start", attrgetter("start")),
    ("end", attrgetter("end")),
    ("duration", attrgetter("duration")),
    ("tags", attrgetter("tags")),
    ("snapshot", attrgetter("snapshot")),
    ("sweep", attrgetter("sweep")),
    ("trial", attrgetter("trial")),
    ("verdict", attrgetter("verdict")),
    ("user", attrgetter("user")),
    ("host", attrgetter("host")),
)
RECORD_COLUMNS = tuple(name for name, _ in _RECORD)
_STATUSES = {s.value: s for s in RunStatus}


@dataclass(frozen=True)
class RunView:
    """One run as read from the store at `read_at` (epoch seconds).

    `metrics` holds the metric summaries, {key: {last, last_step, min, max, count}}
    (NaN as float NaN); empty when they were not read. `error`, `cell_source`, `git`
    and `env_id` are filled when the run was read in full (one run), else None.
    """

    id: str
    name: str
    stem: str
    seq: int
    status: RunStatus
    experiment: str
    notebook: str | None
    start: float
    end: float | None
    params: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    tags: list[str]
    notes: str | None = None
    snapshot: str | None = None
    sweep: str | None = None
    trial: int | None = None
    #: Who ran it (the JupyterHub user, else the OS user) and on which machine;
    #: None for runs recorded before nbtrack kept them.
    user: str | None = None
    host: str | None = None
    error: str | None = None
    cell_source: str | None = None
    git: dict[str, Any] | None = None
    env_id: str | None = None
    #: `nbtrack verify`'s entry for this run ({verdict, detail, checked_at, stale}), if any.
    verification: dict[str, Any] | None = None
    read_at: float = field(default_factory=time.time, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.status, RunStatus):
            object.__setattr__(self, "status", RunStatus.parse(self.status))

    def __hash__(self) -> int:
        return hash(self.id)

    @classmethod
    def from_row(
        cls: type[_View],
        row: dict[str, Any],
        metrics: dict[str, dict[str, Any]] | None,
        now: float,
        **extra: Any,
    ) -> _View:
        """The view of a store row (`Store.select_runs` / `page_runs`: JSON fields
        decoded) with its metric summaries, read at `now`. Columns the row lacks are None."""
        return cls(
            id=row["id"],
            name=row["name"],
            stem=row["stem"],
            seq=row["seq"],
            status=_STATUSES.get(row["status"]) or RunStatus.parse(row["status"]),
            experiment=row["experiment"],
            notebook=row["notebook"],
            start=row["start_time"],
            end=row["end_time"],
            params=row.get("params") or {},
            metrics=metrics or {},
            tags=row.get("tags") or [],
            notes=row.get("notes"),
            snapshot=row.get("snapshot"),
            sweep=row.get("sweep"),
            trial=row.get("trial"),
            user=row.get("user_name"),
            host=row.get("host"),
            error=row.get("error"),
            cell_source=row.get("cell_source"),
            git=row.get("git"),
            env_id=row.get("env_id"),
            verification=row.get("verification"),
            read_at=now,
            **extra,
        )

    @property
    def ref(self) -> str:
        """`<notebook stem>#<seq>`: the reference that always names this run alone."""
        return ref(self.stem, self.seq)

    @property
    def verdict(self) -> str | None:
        """The short verdict shown in lists (`reproduced`, `differs: loss`, `stale
        inputs`...), None when the run was never verified nor flagged."""
        return verdict_label(self.verification)

    @property
    def duration(self) -> float:
        """Seconds from start to end, or to when it was read while it runs."""
        return duration(self.start, self.end, self.read_at)

    # -- encodings ------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """One flat row: RECORD_COLUMNS (times in epoch seconds, status as text), then
        `params.<key>` and `metrics.<key>` (the last value) of this run."""
        record = {column: get(self) for column, get in _RECORD}
        for key, value in self.params.items():
            record["params." + key] = value
        for key, summary in self.metrics.items():
            record["metrics." + key] = summary["last"]
        return record

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        """The REST API's Run (`server/openapi.yaml`) with plain Python values (NaN as
        NaN); with `detail`, also the error, cell source and git state."""
        data: dict[str, Any] = {
            "id": self.id,
            "ref": self.ref,
            "name": self.name,
            "status": self.status.value,
            "experiment": self.experiment,
            "notebook": self.notebook,
            "start": self.start,
            "end": self.end,
            "duration": self.duration,
            "tags": list(self.tags),
            "notes": self.notes,
            "params": dict(self.params),
            "metrics": self.metrics,
            "snapshot": self.snapshot,
            "sweep": self.sweep,
            "trial": self.trial,
            "verdict": self.verdict,
            "user": self.user,
            "host": self.host,
        }
        if detail:
            data.update(
                error=self.error,
                cell_source=self.cell_source,
                git=self.git,
                verification=self.verification,
            )
        return data

    def to_json(
        self, *, detail: bool = False, iso_times: bool = False, last_metrics: bool = False
    ) -> dict[str, Any]:
        """`to_dict` as strict JSON values (non-finite floats as "NaN", "Infinity",
        "-Infinity"). `iso_times`: start and end as ISO 8601 (UTC) text instead of epoch
        seconds; `last_metrics`: each metric as its last value instead of its summary
        (the command line's `--format json`)."""
        data = self.to_dict(detail=detail)
        data["params"] = strict(data["params"])
        if last_metrics:
            data["metrics"] = {k: finite(s["last"]) for k, s in self.metrics.items()}
        else:
            data["metrics"] = {
                key: {k: finite(v) if isinstance(v, float) else v for k, v in s.items()}
                for key, s in self.metrics.items()
            }
        if detail:
            data["git"] = strict(data["git"])
            data["verification"] = strict(data["verification"])
        if iso_times:
            data["start"], data["end"] = iso_time(self.start), iso_time(self.end)
        return data


def verdict_label(entry: dict[str, Any] | None) -> str | None:
    """The short text of a verification entry shown in lists: `reproduced`,
    `differs: loss`, `not checked: <reason>`, `stale inputs`, or None."""
    if not entry:
        return None
    parts = []
    if entry.get("verdict"):
        text = entry["verdict"]
        detail = entry.get("detail") or {}
        if text == "differs" and detail.get("metrics"):
            text += ": " + ", ".join(sorted(detail["metrics"]))
        elif text == "not checked" and detail.get("reason"):
            text += ": " + str(detail["reason"])
        parts.append(text)
    if entry.get("stale"):
        parts.append("stale inputs")
    return "; ".join(parts) or None


def record_columns(views: Sequence[RunView]) -> dict[str, list[Any]]:
    """The run columns of the views' records (RECORD_COLUMNS), as one list each: the
    columnar form of `to_record`, for DataFrames."""
    return {column: [get(v) for v in views] for column, get in _RECORD}


def flat_records(views: Iterable[RunView]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each view's `to_record()`, and the columns of them all: RECORD_COLUMNS, then
    the params and the metrics, each sorted by key."""
    records = [v.to_record() for v in views]
    params: set[str] = set()
    metrics: set[str] = set()
    for record in records:
        for column in record:
            if column.startswith("params."):
                params.add(column)
            elif column.startswith("metrics."):
                metrics.add(column)
    return records, [*RECORD_COLUMNS, *sorted(params), *sorted(metrics)]


def iso_time(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 text in UTC (`2024-05-06T07:08:09+00:00`)."""
    if epoch is None:
        return None
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).isoformat()
