"""GET /runs as SQL: filter terms (runfilter) and a sort field become the conditions
and ORDER BY keys of `Store.page_runs`. Runs without a value for the sort field (or
NaN) come last in either order; ties keep newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..store.run_list import RUNS, ParamSql, duration, metric_last, ref_text
from .runfilter import Compare, Field, ParamText, Term, Text

_TEXT_COLUMNS = {
    "name": RUNS.c.name,
    "notebook": RUNS.c.notebook,
    "experiment": RUNS.c.experiment,
    "tag": RUNS.c.tags,
    "sweep": RUNS.c.sweep,
}
# How long after its start, end or last heartbeat a run still counts as changed
# (clocks of other hosts, commits that land after the answer that missed them).
CHANGE_SLACK_S = 30.0


def _contains(column: sa.ColumnElement[Any], needle: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(sa.func.coalesce(column, "")).contains(needle, autoescape=True)


def _compare(value: sa.ColumnElement[Any], op: str, number: Any) -> sa.ColumnElement[bool]:
    return {
        "<": value < number,
        "<=": value <= number,
        ">": value > number,
        ">=": value >= number,
        "=": value == number,
        "!=": value != number,
    }[op]


def condition(term: Term, dialect: str, now: float) -> sa.ColumnElement[bool]:
    """The SQL condition a run meets when it matches `term`."""
    if isinstance(term, Text):
        columns = [*_TEXT_COLUMNS.values(), ref_text(), RUNS.c.status, RUNS.c.notes]
        return sa.or_(*(_contains(c, term.needle) for c in columns))
    if isinstance(term, Field):
        if term.field == "status":
            return RUNS.c.status == term.needle
        if term.field == "ref":
            return _contains(ref_text(), term.needle)
        return _contains(_TEXT_COLUMNS[term.field], term.needle)
    if isinstance(term, ParamText):
        return _contains(ParamSql(dialect, term.key).text(), term.needle)
    assert isinstance(term, Compare)
    if term.kind == "duration":
        return _compare(duration(now), term.op, term.value)
    if term.kind == "param":
        param = ParamSql(dialect, term.key)
        return _compare(param.number(), term.op, param.as_number(term.value))
    return _compare(metric_last(term.key), term.op, term.value)


def changed_since(cursor_time: float) -> sa.ColumnElement[bool]:
    """Runs that may have changed since `cursor_time`: running ones, and those started,
    ended or beating since (less the slack). A run reported crashed keeps its last
    heartbeat as its end, so heartbeats within the crash timeout count too."""
    from ..query import STALE_AFTER_S

    since = cursor_time - CHANGE_SLACK_S
    return sa.or_(
        RUNS.c.status == "running",
        RUNS.c.start_time >= since,
        RUNS.c.end_time >= since,
        RUNS.c.heartbeat >= since - STALE_AFTER_S,
    )


def _ordered(value: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    return value.desc() if descending else value.asc()


def order_by(field: str, descending: bool, dialect: str, now: float) -> list[Any]:
    """ORDER BY keys for a sort field (`start`, `name`, ..., `params.<key>`,
    `metrics.<key>`): missing values last, then the value."""
    if field.startswith("params."):
        param = ParamSql(dialect, field[7:])
        rank = param.rank()
        return [
            (rank == 3).asc(),
            _ordered(rank, descending),
            _ordered(param.number(), descending),
            _ordered(sa.func.lower(param.string()), descending),
            _ordered(param.text(), descending),
        ]
    if field.startswith("metrics."):
        last = metric_last(field[8:])
        return [last.is_(None).asc(), _ordered(last, descending)]
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
    column = {"name": RUNS.c.name, "status": RUNS.c.status, "notebook": RUNS.c.notebook}.get(
        field, RUNS.c.tags
    )
    return [
        column.is_(None).asc(),
        _ordered(sa.func.lower(column), descending),
        _ordered(column, descending),
    ]
