"""GET /runs as SQL: filter terms (runfilter) and a sort field become the conditions
and ORDER BY keys of `Store.page_runs`. Runs without a value for the sort field (or
NaN) come last in either order; ties keep newest first."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from ..store.run_list import (
    RUNS,
    KeyedSort,
    metric_number,
    metric_sort,
    param_contains,
    param_contains_ids,
    param_number,
    param_number_ids,
    param_sort,
)
from .runfilter import Compare, Field, ParamText, Term, Text

_FIELDS = {
    "name": RUNS.c.name,
    "notebook": RUNS.c.notebook,
    "experiment": RUNS.c.experiment,
    "tag": RUNS.c.tags,
    "sweep": RUNS.c.sweep,
    "user": RUNS.c.user_name,
    "host": RUNS.c.host,
}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}
# How long before a poll's cursor a run's start, end or heartbeat still counts as a
# change (clocks of other hosts; commits that land after the answer that missed them).
CHANGE_SLACK_S = 30.0


def _lower(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.lower(sa.func.coalesce(column, ""))


def ref_text() -> sa.ColumnElement[Any]:
    return RUNS.c.stem + "#" + sa.cast(RUNS.c.seq, sa.Text)


def duration(now: float) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(RUNS.c.end_time, now) - RUNS.c.start_time


def _search_text() -> sa.ColumnElement[Any]:
    """Every field free text searches, as one lowercase string (one LIKE per run)."""
    # Not the user and host: `user:`/`host:` name them, and a word would match
    # inside every run's host name.
    searched = [c for f, c in _FIELDS.items() if f not in ("user", "host")]
    parts: list[Any] = [*searched, ref_text(), RUNS.c.status, RUNS.c.notes]
    text: Any = sa.func.coalesce(parts[0], "")
    for part in parts[1:]:
        text = text + "\n" + sa.func.coalesce(part, "")
    return sa.func.lower(text)


def conditions(
    terms: Sequence[Term], statuses: Sequence[str] | None, now: float, correlated: bool = False
) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions of a filter's terms and status list (see `condition`)."""
    if any(isinstance(t, Compare) and t.kind == "duration" for t in terms):
        return _conditions(tuple(terms), tuple(statuses or ()), now, correlated)
    # No term depends on the time: the same expressions serve every poll of the view
    # (building them cost a poll more CPU than SQLAlchemy's cached compile of them).
    return list(_timeless_conditions(tuple(terms), tuple(statuses or ()), correlated))


def _conditions(
    terms: tuple[Term, ...], statuses: tuple[str, ...], now: float, correlated: bool
) -> list[sa.ColumnElement[bool]]:
    where = [condition(term, now, correlated) for term in terms]
    if statuses:
        where.append(RUNS.c.status.in_(list(statuses)))
    return where


@functools.lru_cache(maxsize=128)
def _timeless_conditions(
    terms: tuple[Term, ...], statuses: tuple[str, ...], correlated: bool
) -> tuple[sa.ColumnElement[bool], ...]:
    return tuple(_conditions(terms, statuses, 0.0, correlated))


def condition(term: Term, now: float, correlated: bool = False) -> sa.ColumnElement[bool]:
    """The SQL condition a run meets when it matches `term`; `correlated` checks params
    and metrics run by run (for a query already narrowed to a few runs)."""
    if isinstance(term, Text):
        return _search_text().contains(term.needle, autoescape=True)
    if isinstance(term, Field):
        if term.field == "status":
            return RUNS.c.status == term.needle
        column = ref_text() if term.field == "ref" else _FIELDS[term.field]
        return _lower(column).contains(term.needle, autoescape=True)
    if isinstance(term, ParamText):
        return param_contains(term.key, term.needle, correlated)
    assert isinstance(term, Compare)
    op = _OPERATORS[term.op]
    if term.kind == "duration":
        return op(duration(now), term.value)
    if term.kind == "param":
        return param_number(term.key, lambda num: op(num, term.value), correlated)
    return metric_number(term.key, lambda last: op(last, term.value), correlated)


def param_ids(terms: Sequence[Term], statuses: Sequence[str] | None) -> sa.Select[Any] | None:
    """For a filter made of param terms alone (`lr<0.1 opt:adam`), the ids of the runs
    that match it, read from the params index alone: their intersection. None for any
    other filter. Every row of the params table belongs to a run (written with the
    run, deleted with it in one transaction: `Store.delete_run`), so counting these ids
    counts the runs, without a look-up of each in the runs table (8x faster on
    PostgreSQL at 30,000 matching runs)."""
    if statuses or not terms:
        return None
    selects: list[sa.Select[Any]] = []
    for term in terms:
        if isinstance(term, ParamText):
            selects.append(param_contains_ids(term.key, term.needle))
        elif isinstance(term, Compare) and term.kind == "param":
            op = _OPERATORS[term.op]
            selects.append(param_number_ids(term.key, lambda num, op=op, v=term.value: op(num, v)))
        else:
            return None
    if len(selects) == 1:
        return selects[0]
    return sa.select(sa.intersect(*selects).subquery().c.run_id)


def _ranges(since: Any) -> list[sa.ColumnElement[bool]]:
    """The conditions under which a run counts as changed since `since` (a time less
    the slack, or a bound parameter of one)."""
    from ..query import STALE_AFTER_S

    return [
        RUNS.c.status == "running",
        RUNS.c.start_time >= since,
        RUNS.c.end_time >= since,
        RUNS.c.heartbeat >= since - STALE_AFTER_S,
    ]


def _verified_since(since: Any) -> sa.Select[Any]:
    from ..store.verdicts import verdicts

    return sa.select(verdicts.c.run_id).where(verdicts.c.checked_at >= since)


def _changed_since(since: Any) -> sa.ColumnElement[bool]:
    # One index range each, united: as a plain OR, SQLite walks the start index of
    # every run to find the few that changed. The verdicts are found by their
    # checked_at index.
    return RUNS.c.id.in_(_changed_ids(since))


def _changed_ids(since: Any) -> Any:
    found = (sa.select(RUNS.c.id).where(r) for r in _ranges(since))
    return sa.union(*found, _verified_since(since))


def changed_ids(cursor_time: float) -> Any:
    """`changed_since` as a SELECT of run ids."""
    return _changed_ids(cursor_time - CHANGE_SLACK_S)


def changed_since(cursor_time: float) -> sa.ColumnElement[bool]:
    """Runs that may have changed since `cursor_time`: running ones, and those started,
    ended or beating since (less the slack). A run reported crashed keeps its last
    heartbeat as its end, so heartbeats within the crash timeout count too. Runs
    verified since (`nbtrack verify`, from the panel or a terminal) too: their
    verdict changed."""
    return _changed_since(cursor_time - CHANGE_SLACK_S)


@functools.lru_cache(maxsize=4)
def _changed_sets_query(n: int) -> sa.Select[Any]:
    """Built once per number of times (SQLAlchemy then reuses its compiled form):
    the runs changed since the earliest of `since_0..since_<n-1>`, each with a 0/1
    mark per time. The marks test the few runs found row by row."""
    times = [sa.bindparam(f"since_{i}", type_=sa.Double) for i in range(n)]
    marks = [
        sa.case((sa.or_(*_ranges(t), RUNS.c.id.in_(_verified_since(t))), 1), else_=0).label(
            f"mark_{i}"
        )
        for i, t in enumerate(times)
    ]
    earliest = sa.bindparam("earliest", type_=sa.Double)
    return sa.select(RUNS.c.id, *marks).where(_changed_since(earliest))


def changed_sets(store: Any, cursor_times: Sequence[float]) -> list[list[str]]:
    """`store.run_ids([changed_since(t)])` for each time in `cursor_times`, found in one
    statement (one round trip) rather than one each."""
    since = [t - CHANGE_SLACK_S for t in cursor_times]
    values = {f"since_{i}": t for i, t in enumerate(since)}
    rows = store.select_rows(_changed_sets_query(len(since)), {**values, "earliest": min(since)})
    return [[row[0] for row in rows if row[i + 1]] for i in range(len(since))]


# Up to this many changed runs, a poll checks each against the filter (primary-key
# look-ups); past it, the filter's index ranges are cheaper.
MAX_CHECKED_ONE_BY_ONE = 1000


def changed_where(
    terms: Sequence[Term],
    statuses: Sequence[str] | None,
    since: float,
    now: float,
    changed: Sequence[str],
) -> list[sa.ColumnElement[bool]]:
    """The conditions of a poll: the runs that may have changed since `since` (their
    ids: `changed`, found first by index ranges) and match the filter. Each changed run
    is checked against the filter, rather than reading every run the filter matches."""
    if len(changed) > MAX_CHECKED_ONE_BY_ONE:
        return [*conditions(terms, statuses, now), changed_since(since)]
    return [RUNS.c.id.in_(changed), *conditions(terms, statuses, now, correlated=True)]


def _ordered(value: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    return value.desc() if descending else value.asc()


def order_by(field: str, descending: bool, now: float) -> list[Any] | KeyedSort:
    """How to order runs by a sort field (`start`, `name`, ..., `params.<key>`,
    `metrics.<key>`): missing values last, then the value."""
    if field.startswith("params."):
        return param_sort(field[7:], descending)
    if field.startswith("metrics."):
        return metric_sort(field[8:], descending)
    if field == "start":
        return [_ordered(RUNS.c.start_time, descending)]
    if field == "duration":
        return [_ordered(duration(now), descending)]
    if field == "ref":
        return [_ordered(RUNS.c.stem, descending), _ordered(RUNS.c.seq, descending)]
    if field == "sweep":
        return [
            RUNS.c.sweep.is_(None).asc(),
            _ordered(sa.func.lower(RUNS.c.sweep), descending),
            _ordered(RUNS.c.trial, descending),
        ]
    column = {
        "name": RUNS.c.name,
        "status": RUNS.c.status,
        "notebook": RUNS.c.notebook,
        "user": RUNS.c.user_name,
    }.get(field, RUNS.c.tags)
    return [
        column.is_(None).asc(),
        _ordered(sa.func.lower(column), descending),
        _ordered(column, descending),
    ]
