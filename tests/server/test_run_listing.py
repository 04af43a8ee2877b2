"""The runs list in SQL on every backend: each filter form, sorting by a param and a
metric (missing and NaN last), paging, the keys lists and the changed-since poll."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.server.params import runs_query
from nbtrack.server.runfilter import FilterError
from nbtrack.server.service import RunService

pytestmark = pytest.mark.slow


@pytest.fixture
def service(backend: str) -> RunService:
    """a: lr 0.1 (tagged cnn); b: lr 0.01 (Best); c: lr NaN; d: lr "auto" (loss NaN);
    e: no lr, failed, eval.ipynb; f: a param key with a quote, in a sweep."""
    runs = [
        ("a", "train.ipynb", {"lr": 0.1, "opt": "adam", "batch": 32}, ["cnn"], 0.9),
        ("b", "train.ipynb", {"lr": 0.01, "batch": 64}, ["Best"], 0.5),
        ("c", "train.ipynb", {"lr": math.nan}, [], None),
        ("d", "train.ipynb", {"lr": "auto"}, [], math.nan),
        ("e", "eval.ipynb", {"batch": 8}, [], None),
        ("f", "other.ipynb", {'we"ird': 3, "inf": math.inf}, [], 2.0),
    ]
    for name, notebook, params, tags, loss in runs:
        try:
            with nbtrack.start_run(name, notebook=notebook, params=params, tags=tags):
                if loss is not None:
                    nbtrack.log(loss=loss)
                if name == "e":
                    raise ZeroDivisionError
        except ZeroDivisionError:
            pass
    svc = RunService(backend)
    base = time.time() - 100
    for i, (name, *_) in enumerate(runs):  # distinct starts, a first: the order is by start
        (run_id,) = svc.store.find_run_ids(name=name)
        svc.store.update_run(run_id, start_time=base + i, end_time=base + i + 1)
    (f,) = svc.store.find_run_ids(name="f")
    svc.store.update_run(f, sweep="sw-1a2b3c4d", trial=2)
    return svc


def names(service: RunService, **args: str) -> list[str]:
    return [r["name"] for r in service.list_runs(runs_query(args))["runs"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["f", "e", "d", "c", "b", "a"]),
        ("CNN", ["a"]),
        ("eval", ["e"]),
        ("status:failed", ["e"]),
        ("status:finished train", ["d", "c", "b", "a"]),
        ("tag:best", ["b"]),
        ("sweep:sw-1a2b", ["f"]),
        ("ref:eval#1", ["e"]),
        ("name:b", ["b"]),
        ("notebook:other", ["f"]),
        ("lr<0.1", ["b"]),
        ("params.lr<=0.1", ["b", "a"]),
        ("lr>=0.01 lr<1", ["b", "a"]),
        ("lr!=0.1", ["b"]),
        ("batch=32", ["a"]),
        ("Batch>10", ["b", "a"]),
        ("metrics.loss<0.6", ["b"]),
        ("loss>=0.5", ["f", "b", "a"]),
        ("loss<1", ["b", "a"]),
        ('we"ird>2', ["f"]),
        ("inf>1e300", ["f"]),
        ("opt:ADA", ["a"]),
        ("params.lr:auto", ["d"]),
        ("duration>=0", ["f", "e", "d", "c", "b", "a"]),
        ("50%", []),
        ("a_b", []),
    ],
)
def test_every_filter_form(service: RunService, q: str, expected: list[str]) -> None:
    assert names(service, q=q) == expected
    assert service.list_runs(runs_query({"q": q}))["total"] == len(expected)


@pytest.mark.parametrize("q", ["lr<", "foo:bar", "status:done", "colour>1", "metrics.lr<1"])
def test_filters_the_server_cannot_read_are_refused(service: RunService, q: str) -> None:
    with pytest.raises(FilterError):
        service.list_runs(runs_query({"q": q}))


def test_sorting_by_a_param_puts_numbers_then_strings_then_missing(service: RunService) -> None:
    assert names(service, sort="params.lr", order="asc") == ["b", "a", "d", "f", "e", "c"]
    assert names(service, sort="params.lr", order="desc") == ["d", "a", "b", "f", "e", "c"]
    assert names(service, sort="params.batch", order="asc")[:3] == ["e", "a", "b"]


def test_sorting_by_a_metric_puts_nan_and_missing_last(service: RunService) -> None:
    assert names(service, sort="metrics.loss", order="asc") == ["b", "a", "f", "e", "d", "c"]
    assert names(service, sort="metrics.loss", order="desc") == ["f", "a", "b", "e", "d", "c"]


def test_sorting_by_the_other_columns(service: RunService) -> None:
    assert names(service, sort="name", order="asc") == ["a", "b", "c", "d", "e", "f"]
    assert names(service, sort="start", order="asc") == ["a", "b", "c", "d", "e", "f"]
    assert names(service, sort="status", order="asc")[0] == "e"
    assert names(service, sort="notebook", order="asc")[0] == "e"
    assert names(service, sort="sweep", order="desc")[0] == "f"
    assert names(service, sort="tags", order="asc")[:2] == ["b", "a"]
    assert len(names(service, sort="duration")) == 6


def test_paging_counts_every_match(service: RunService) -> None:
    page = service.list_runs(runs_query({"q": "train", "limit": "2", "offset": "1"}))
    assert [r["name"] for r in page["runs"]] == ["c", "b"]
    assert page["total"] == 4
    assert names(service, sort="metrics.loss", order="asc", limit="2", offset="2") == ["f", "e"]
    assert names(service, offset="6") == []


def test_the_keys_lists_hold_every_runs_keys_and_follow_changes(service: RunService) -> None:
    page = service.list_runs(runs_query({"q": "status:failed"}))
    assert page["params"] == ["batch", "inf", "lr", "opt", 'we"ird']
    assert page["metrics"] == ["loss"]
    with nbtrack.start_run("g", params={"momentum": 0.9}):
        nbtrack.log(acc=1.0)
    page = service.list_runs(runs_query({}))
    assert "momentum" in page["params"] and page["metrics"] == ["acc", "loss"]
    service.delete_run("g")
    page = service.list_runs(runs_query({}))
    assert "momentum" not in page["params"] and page["metrics"] == ["loss"]


def test_changed_since_answers_only_what_changed(service: RunService) -> None:
    st = service.store
    hour_ago = time.time() - 3600
    for run_id in st.find_run_ids(stem="train"):
        st.update_run(run_id, start_time=hour_ago, end_time=hour_ago, heartbeat=hour_ago)
    first = service.list_runs(runs_query({"q": "train"}))
    assert first["total"] == 4
    quiet = service.list_runs(runs_query({"q": "train", "changed_since": first["cursor"]}))
    assert quiet["runs"] == [] and quiet["total"] == 4
    live = tracking.begin_run(name="live", notebook="train.ipynb")
    try:
        nbtrack.log(loss=0.25)
        live.writer.flush()
        poll = service.list_runs(runs_query({"q": "train", "changed_since": quiet["cursor"]}))
        assert [r["name"] for r in poll["runs"]] == ["live"] and poll["total"] == 5
        assert poll["runs"][0]["status"] == "running"
        assert poll["runs"][0]["metrics"]["loss"]["last"] == 0.25
    finally:
        tracking.end_run(live)
    done = service.list_runs(runs_query({"q": "train", "changed_since": poll["cursor"]}))
    assert [(r["name"], r["status"]) for r in done["runs"]] == [("live", "finished")]


def test_a_poll_answers_runs_verified_since(service: RunService) -> None:
    from nbtrack.store.verdicts import save_verdict

    st = service.store
    hour_ago = time.time() - 3600
    for run_id in st.run_ids([]):
        st.update_run(run_id, start_time=hour_ago, end_time=hour_ago, heartbeat=hour_ago)
    first = service.list_runs(runs_query({}))
    assert service.list_runs(runs_query({"changed_since": first["cursor"]}))["runs"] == []
    (old,) = st.find_run_ids(stem="train", seq=1)
    save_verdict(st, old, "differs", {"metrics": {"loss": {}}})
    poll = service.list_runs(runs_query({"changed_since": first["cursor"]}))
    assert [(r["ref"], r["verdict"]) for r in poll["runs"]] == [("train#1", "differs: loss")]


def test_a_poll_under_a_metric_sort_finds_the_changed_runs_without_walking_the_sort(
    service: RunService,
) -> None:
    """The view is sorted by a metric: the poll still answers the changed runs, and
    never with a query ordered by that metric (which reads every run's value)."""
    import sqlalchemy as sa

    first = service.list_runs(runs_query({"sort": "metrics.loss", "order": "asc"}))
    live = tracking.begin_run(name="sorted-live")
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    try:
        nbtrack.log(loss=0.5)
        live.writer.flush()
        sa.event.listen(service.store.engine, "before_cursor_execute", record)
        try:
            poll = service.list_runs(
                runs_query(
                    {"sort": "metrics.loss", "order": "asc", "changed_since": first["cursor"]}
                )
            )
        finally:
            sa.event.remove(service.store.engine, "before_cursor_execute", record)
        assert "sorted-live" in [r["name"] for r in poll["runs"]]
        paged = [s for s in seen if "LIMIT" in s.upper() and "nbtrack_runs" in s]
        assert paged and not any("nbtrack_summaries" in s for s in paged)
    finally:
        tracking.end_run(live)


def test_a_crashed_run_shows_up_as_changed(service: RunService) -> None:
    """Reported crashed, a run's end is its last heartbeat: the poll still returns it."""
    # A running run no live writer beats for (a live one could beat or revive it
    # between the crash check and the poll), listed as running by the first poll.
    service.store.create_run(
        {
            "id": "01doomedrun00000000000000a",
            "experiment": "e",
            "notebook": None,
            "stem": "doomed",
            "name": "doomed",
            "status": "running",
            "start_time": time.time(),
            "heartbeat": time.time(),
            "host": "another-host",
            "pid": 1,
            "params": {},
            "tags": [],
        }
    )
    first = service.list_runs(runs_query({}))
    assert ("doomed", "running") in [(r["name"], r["status"]) for r in first["runs"]]
    # then its kernel goes away: no heartbeat since, and the crash check finds it
    service.store.update_run("01doomedrun00000000000000a", heartbeat=time.time() - 120)
    service.store.mark_crashed(time.time() - 60, [])
    poll = service.list_runs(runs_query({"changed_since": first["cursor"]}))
    assert ("doomed", "crashed") in [(r["name"], r["status"]) for r in poll["runs"]]


def test_listing_is_a_few_statements_and_the_keys_are_not_reread(service: RunService) -> None:
    import sqlalchemy as sa

    service.list_runs(runs_query({}))  # reads the param keys once
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        service.list_runs(runs_query({"q": "lr<1 train", "sort": "metrics.loss"}))
    finally:
        sa.event.remove(service.store.engine, "before_cursor_execute", record)
    # Six for the page, its total, keys and summaries; one more for the shown runs'
    # `nbtrack verify` verdicts, by primary key.
    assert len(seen) <= 7, seen
    verdicts = [s for s in seen if s.lstrip().startswith("SELECT nbtrack_verdicts.")]
    assert len(verdicts) == 1 and "nbtrack_verdicts.run_id IN" in verdicts[0], verdicts
    assert not any(s.startswith("SELECT nbtrack_runs.params \nFROM nbtrack_runs") for s in seen)


def test_a_poll_reads_through_one_connection_in_few_statements(service: RunService) -> None:
    """On PostgreSQL each connection taken from the pool costs a ping and a rollback
    (round trips): a poll takes one, whatever it reads."""
    import sqlalchemy as sa

    first = service.list_runs(runs_query({"q": "lr<1"}))
    engine = service.store.engine
    checkouts: list[int] = []
    selects: list[str] = []

    here = threading.get_ident()  # not the live run's writer thread

    def checkout(*_: Any) -> None:
        if threading.get_ident() == here:
            checkouts.append(1)

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == here and statement.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            selects.append(statement)

    live = tracking.begin_run(name="polled", params={"lr": 0.5})
    sa.event.listen(engine, "before_cursor_execute", record)
    sa.event.listen(engine.pool, "checkout", checkout)
    try:
        poll = service.list_runs(runs_query({"q": "lr<1", "changed_since": first["cursor"]}))
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        sa.event.remove(engine.pool, "checkout", checkout)
        tracking.end_run(live)
    # The new run first; the fixture's runs, made seconds ago, are within the slack.
    assert poll["runs"][0]["name"] == "polled"
    assert poll["total"] == first["total"] + 1
    assert len(checkouts) == 1, len(checkouts)
    # Running runs (crash check), keys, changed runs, their count, the page, its
    # summaries and verdicts.
    assert len(selects) <= 7, selects


def test_changed_sets_match_changed_since_at_each_time(service: RunService) -> None:
    from nbtrack.server import run_query
    from nbtrack.store.verdicts import save_verdict

    st = service.store
    ids = {name: st.find_run_ids(name=name)[0] for name in "abcde"}
    now = time.time()
    old = now - 3600
    for name in "abcde":
        st.update_run(ids[name], start_time=old - 10, end_time=old, heartbeat=old)
    st.update_run(ids["a"], start_time=now - 100)  # started since the earlier time
    st.update_run(ids["b"], end_time=now - 10)  # ended since both
    st.update_run(ids["c"], heartbeat=now - 100)  # beat (crash window) since both
    save_verdict(st, ids["d"], "reproduced", {})  # verified just now
    times = [now - 300, now - 60]
    expected = [sorted(st.run_ids([run_query.changed_since(t)])) for t in times]
    assert [sorted(found) for found in run_query.changed_sets(st, times)] == expected
    assert ids["a"] in expected[0] and ids["a"] not in expected[1]
    assert {ids["b"], ids["c"], ids["d"]} <= set(expected[1]) and ids["e"] not in expected[0]
