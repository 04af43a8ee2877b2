"""A filtered poll answers from the runs that changed: its total stays exact while runs
start, log, end and are deleted, without reading every run the filter matches."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack import tracking
from nbtrack.server.params import runs_query
from nbtrack.server.service import RunService

pytestmark = pytest.mark.slow


@pytest.fixture
def service(backend: str) -> RunService:
    """Three runs that ended an hour ago: lr 0.05, 0.5 and 0.01, loss 0.3, 0.2, 0.9."""
    for name, lr, loss in [("a", 0.05, 0.3), ("b", 0.5, 0.2), ("c", 0.01, 0.9)]:
        with nbtrack.start_run(name, params={"lr": lr}):
            nbtrack.log(loss=loss)
    svc = RunService(backend)
    hour_ago = time.time() - 3600
    for run_id in svc.store.find_run_ids():
        svc.store.update_run(run_id, start_time=hour_ago, end_time=hour_ago, heartbeat=hour_ago)
    return svc


def poll(service: RunService, q: str, cursor: str) -> dict[str, Any]:
    return service.list_runs(runs_query({"q": q, "changed_since": cursor}))


@contextmanager
def statements(service: RunService) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(service.store.engine, "before_cursor_execute", record)


def test_a_filtered_total_follows_a_live_run_from_start_to_end(service: RunService) -> None:
    first = service.list_runs(runs_query({"q": "lr<0.1"}))
    assert first["total"] == 2
    loss_first = service.list_runs(runs_query({"q": "loss<0.5"}))
    assert loss_first["total"] == 2
    live = tracking.begin_run(name="live", params={"lr": 0.05})
    try:
        nbtrack.log(loss=0.9)
        live.writer.flush()
        answer = poll(service, "lr<0.1", first["cursor"])
        assert [r["name"] for r in answer["runs"]] == ["live"] and answer["total"] == 3
        assert poll(service, "loss<0.5", loss_first["cursor"])["total"] == 2
        nbtrack.log(loss=0.1)  # now it matches the metric filter
        live.writer.flush()
        assert poll(service, "loss<0.5", loss_first["cursor"])["total"] == 3
        with statements(service) as seen:
            again = poll(service, "lr<0.1", answer["cursor"])
        assert again["total"] == 3
        # The steady poll checks the changed runs one by one: no statement reads the
        # filter's whole index range (every run with lr < 0.1).
        on_params = [s for s in seen if "nbtrack_params." in s and "_keys" not in s]
        assert on_params and all("nbtrack_params.run_id = nbtrack_runs.id" in s for s in on_params)
    finally:
        tracking.end_run(live)
    ended = poll(service, "lr<0.1", again["cursor"])
    assert [(r["name"], r["status"]) for r in ended["runs"]] == [("live", "finished")]
    assert ended["total"] == 3 and poll(service, "loss<0.5", ended["cursor"])["total"] == 3


def test_deleting_or_renaming_through_the_server_counts_again(service: RunService) -> None:
    first = service.list_runs(runs_query({"q": "lr<0.1"}))
    assert first["total"] == 2
    service.delete_run("a")
    assert poll(service, "lr<0.1", first["cursor"])["total"] == 1
    named = service.list_runs(runs_query({"q": "name:renamed"}))
    assert named["total"] == 0
    service.update_run("c", {"name": "renamed"})
    assert poll(service, "name:renamed", named["cursor"])["total"] == 1


def test_a_settled_run_edited_by_another_process_counts_once_the_total_expires(
    service: RunService,
) -> None:
    first = service.list_runs(runs_query({"q": "tag:late"}))
    assert first["total"] == 0
    (b,) = service.store.find_run_ids(name="b")
    service.store.update_run(b, tags=["late"])  # not through this server
    service.totals.ttl = -1.0  # what `ttl` seconds later looks like
    assert poll(service, "tag:late", first["cursor"])["total"] == 1


def test_a_filter_of_params_alone_is_counted_from_the_params_index(service: RunService) -> None:
    """`lr<0.1`, `opt:adam` and their combinations count the matching runs from the
    params table's index alone (no look-up of each run: 8x faster at 30,000 matches on
    PostgreSQL); the totals are those of the runs, deleted runs gone."""
    with nbtrack.start_run("d", params={"lr": 0.02, "opt": "Adam"}):
        pass
    with nbtrack.start_run("e", params={"lr": 0.9, "opt": "adamw"}):
        pass
    expected = {"lr<0.1": 3, "opt:adam": 2, "lr<0.1 opt:adam": 1, "lr>=0.5 opt:ada": 1}
    for q, total in expected.items():
        with statements(service) as seen:
            answer = service.list_runs(runs_query({"q": q}))
        assert answer["total"] == total, q
        (counted,) = [s for s in seen if "count(*)" in s]
        assert _counted_from(counted) == "ids", counted  # not a look-up of each run
    service.delete_run("d")
    assert service.list_runs(runs_query({"q": "lr<0.1 opt:adam"}))["total"] == 0
    # Any other term needs the run itself: counted over the runs, as before.
    with statements(service) as seen:
        assert service.list_runs(runs_query({"q": "lr<0.1 status:finished"}))["total"] == 2
    (counted,) = [s for s in seen if "count(*)" in s]
    assert _counted_from(counted) == "runs", counted


def _counted_from(statement: str) -> str:
    """What a count statement's outermost FROM reads: the runs table, or a subquery of ids."""
    depth, i, outer = 0, 0, ""
    while i < len(statement):
        ch = statement[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and statement.startswith("FROM ", i):
            outer = statement[i + 5 :].lstrip()
        i += 1
    return "runs" if outer.startswith("nbtrack_runs") else "ids" if outer.startswith("(") else outer
