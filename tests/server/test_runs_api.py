"""GET /runs, GET/PATCH/DELETE /runs/{ref} through a real Jupyter server."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.store import open_store


async def test_runs_list_has_params_summaries_and_keys(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs")
    assert reply.status == 200
    body = reply.body
    assert body["total"] == 3
    assert [r["ref"] for r in body["runs"]] == ["eval#1", "train#2", "train#1"]
    assert body["params"] == ["batch", "lr", "opt.name"]
    assert body["metrics"] == ["acc", "loss"]
    baseline = body["runs"][1]
    assert baseline["name"] == "baseline"
    assert baseline["tags"] == ["Best", "cnn"]
    assert baseline["notes"] == "hi"
    assert baseline["params"] == {"lr": 0.01}
    assert baseline["metrics"]["acc"]["last"] == "Infinity"
    assert baseline["metrics"]["loss"] == {
        "last": 0.5,
        "last_step": 1,
        "min": 0.5,
        "max": 0.5,
        "count": 2,
    }
    first = body["runs"][2]
    assert first["params"] == {"lr": 0.1, "opt.name": "adam"}
    assert first["end"] >= first["start"] and first["duration"] >= 0
    assert body["runs"][0]["status"] == "failed"


@pytest.mark.parametrize(
    ("params", "refs"),
    [
        ({"sort": "name", "order": "asc"}, ["train#2", "eval#1", "train#1"]),
        ({"sort": "params.lr", "order": "asc"}, ["train#2", "train#1", "eval#1"]),
        ({"sort": "metrics.loss", "order": "desc"}, ["train#1", "train#2", "eval#1"]),
        ({"sort": "start", "order": "asc"}, ["train#1", "train#2", "eval#1"]),
        ({"sort": "status"}, ["train#2", "train#1", "eval#1"]),
        ({"sort": "notebook", "order": "asc"}, ["eval#1", "train#2", "train#1"]),
        ({"sort": "duration"}, None),
        ({"q": "CNN"}, ["train#2"]),
        ({"q": "eval"}, ["eval#1"]),
        ({"q": "nothing-like-this"}, []),
        ({"status": "failed,crashed"}, ["eval#1"]),
        ({"status": "finished", "limit": "1"}, ["train#2"]),
        ({"limit": "2", "offset": "2"}, ["train#1"]),
        ({"offset": "99"}, []),
    ],
)
async def test_runs_list_sorts_filters_and_pages(
    api: Any, three_runs: Any, params: dict[str, str], refs: list[str] | None
) -> None:
    reply = await api("GET", "runs", params=params)
    assert reply.status == 200
    if refs is not None:
        assert [r["ref"] for r in reply.body["runs"]] == refs


async def test_total_counts_every_match_not_the_page(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", params={"q": "train", "limit": "1"})
    assert reply.body["total"] == 2 and len(reply.body["runs"]) == 1
    assert reply.body["params"] == ["batch", "lr", "opt.name"]  # every run's keys


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "10001"},
        {"limit": "100000000000000000000000000"},
        {"limit": "-5"},
        {"offset": "x"},
        {"sort": "colour"},
        {"order": "sideways"},
        {"status": "done"},
        {"changed_since": "v1.5"},
    ],
)
async def test_bad_list_parameters_are_400_with_a_message(
    api: Any, three_runs: Any, params: dict[str, str]
) -> None:
    reply = await api("GET", "runs", params=params)
    assert reply.status == 400
    assert list(params)[0] in reply.body["message"]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("lr<", "'lr<' compares 'lr' with nothing after '<'"),
        ("foo:bar", "no field or param is called 'foo'"),
        ("params.lr<x", "put a number after the operator"),
        ("acc>0.5 nope<1", "no run has a param or metric called 'nope'"),
    ],
)
async def test_filters_the_server_cannot_read_are_400_naming_the_term(
    api: Any, three_runs: Any, q: str, message: str
) -> None:
    reply = await api("GET", "runs", params={"q": q})
    assert reply.status == 400
    assert message in reply.body["message"]


async def test_comparisons_and_prefixes_filter_in_the_server(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", params={"q": "params.lr<0.1", "sort": "metrics.loss"})
    assert [r["ref"] for r in reply.body["runs"]] == ["train#2"]
    reply = await api("GET", "runs", params={"q": "metrics.acc>=0.9 status:failed"})
    assert [r["ref"] for r in reply.body["runs"]] == ["eval#1"]


async def test_empty_store_lists_nothing(api: Any, store_url: str) -> None:
    reply = await api("GET", "runs")
    assert reply.body == {
        "runs": [],
        "total": 0,
        "params": [],
        "metrics": [],
        "cursor": reply.body["cursor"],
    }


async def test_a_dead_process_run_is_listed_as_crashed(api: Any, store_url: str) -> None:
    store = open_store(store_url)
    store.create_run(
        {
            "id": "01deadrun0000000000000000a",
            "experiment": "e",
            "notebook": None,
            "stem": "dead",
            "name": None,
            "status": "running",
            "start_time": time.time(),
            "heartbeat": time.time(),
            "host": tracking._HOST,
            "pid": 2**22 + 12345,  # no such process
            "params": {},
            "tags": [],
        }
    )
    reply = await api("GET", "runs")
    assert reply.body["runs"][0]["status"] == "crashed"


# -- one run ---------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["train#2", "baseline", "latest~1", "BASELINE-ID", "ID-PREFIX"])
async def test_one_run_by_any_reference(api: Any, three_runs: Any, ref: str) -> None:
    run_id = three_runs["baseline"].id
    ref = {"BASELINE-ID": run_id, "ID-PREFIX": run_id[:-3]}.get(ref, ref)
    reply = await api("GET", "runs", ref)
    assert reply.status == 200
    run = reply.body
    assert run["id"] == run_id and run["ref"] == "train#2"
    assert run["error"] is None
    assert isinstance(run["environment"], dict) and run["environment"]


async def test_one_run_has_its_error(api: Any, three_runs: Any) -> None:
    run = (await api("GET", "runs", "eval#1")).body
    assert "ZeroDivisionError" in run["error"]
    assert run["metrics"]["acc"]["count"] == 1


@pytest.mark.parametrize("ref", ["train#9", "nobody", "latest~10", "zzzz", " "])
async def test_unknown_runs_are_404_with_the_resolver_message(
    api: Any, three_runs: Any, ref: str
) -> None:
    reply = await api("GET", "runs", ref)
    assert reply.status == 404
    assert "no run" in reply.body["message"] or "goes back" in reply.body["message"]


async def test_404_names_the_latest_run(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", "train#9")
    assert reply.body["message"] == "no run matches 'train#9': the latest is train#2"


async def test_fast_reference_lookup_agrees_with_the_resolver(api: Any, three_runs: Any) -> None:
    from nbtrack.query import resolve_ref
    from nbtrack.server.service import RunService

    service = RunService(os.environ["NBTRACK_STORE"])
    run_id = three_runs["first"].id
    for ref in ["train#1", "train#2", "baseline", "eval#1", run_id, run_id.upper(), "latest"]:
        assert service.resolve(ref) == resolve_ref(ref)


# -- PATCH ------------------------------------------------------------------------------


async def test_patch_renames_retags_and_annotates(api: Any, three_runs: Any) -> None:
    reply = await api(
        "PATCH", "runs", "train#1", body={"name": "first try", "tags": ["b", "a"], "notes": "ok"}
    )
    assert reply.status == 200
    assert (reply.body["name"], reply.body["tags"], reply.body["notes"]) == (
        "first try",
        ["a", "b"],
        "ok",
    )
    again = (await api("GET", "runs", "first try")).body
    assert again["ref"] == "train#1" and again["notes"] == "ok"
    cleared = await api("PATCH", "runs", "train#1", body={"notes": None, "tags": []})
    assert (cleared.body["notes"], cleared.body["tags"], cleared.body["name"]) == (
        None,
        [],
        "first try",
    )
    assert nbtrack.get_run("train#1").name == "first try"


async def test_patch_with_an_empty_object_changes_nothing(api: Any, three_runs: Any) -> None:
    reply = await api("PATCH", "runs", "baseline", body={})
    assert reply.status == 200 and reply.body["name"] == "baseline"


@pytest.mark.parametrize(
    "body",
    [
        '{"status": "finished"}',
        '{"name": 5}',
        '{"name": "   "}',
        '{"tags": "cnn"}',
        '{"notes": ["x"]}',
        '{"name": "latest"}',
        '{"name": "train#2"}',
        "[1, 2]",
        "not json",
        "",
    ],
)
async def test_bad_patch_bodies_are_400(api: Any, three_runs: Any, body: str) -> None:
    reply = await api("PATCH", "runs", "train#1", raw_body=body)
    assert reply.status == 400, reply.body
    assert reply.body["message"]
    assert nbtrack.get_run("train#1").name == "train#1"


async def test_a_run_may_take_back_its_own_ref_as_name(api: Any, three_runs: Any) -> None:
    reply = await api("PATCH", "runs", "baseline", body={"name": "train#2"})
    assert reply.status == 200 and reply.body["name"] == "train#2"


@pytest.mark.parametrize("name", ["v~2", "train#7", "exp#1"])
async def test_names_that_look_like_references_are_found_by_name(
    api: Any, three_runs: Any, name: str
) -> None:
    assert (await api("PATCH", "runs", "eval#1", body={"name": name})).status == 200
    reply = await api("GET", "runs", name)
    assert reply.status == 200 and reply.body["ref"] == "eval#1"


async def test_patch_of_an_unknown_run_is_404(api: Any, three_runs: Any) -> None:
    reply = await api("PATCH", "runs", "train#7", body={"name": "x"})
    assert reply.status == 404


# -- DELETE -------------------------------------------------------------------------------


async def test_delete_removes_the_run_its_points_and_summaries(
    api: Any, three_runs: Any, store_url: str
) -> None:
    run_id = three_runs["first"].id
    reply = await api("DELETE", "runs", "train#1")
    assert reply.status == 204
    assert (await api("GET", "runs", "train#1")).status == 404
    listed = (await api("GET", "runs")).body
    assert [r["ref"] for r in listed["runs"]] == ["eval#1", "train#2"]
    store = open_store(store_url)
    assert store.points([run_id]) == [] and run_id not in store.summaries()
    assert (await api("DELETE", "runs", "train#1")).status == 404


async def test_a_running_run_cannot_be_deleted(api: Any, store_url: str) -> None:
    run = tracking.begin_run(name="live")
    try:
        reply = await api("DELETE", "runs", "live")
        assert reply.status == 409
        assert "still running" in reply.body["message"]
        assert (await api("GET", "runs", "live")).status == 200
    finally:
        tracking.end_run(run)
    assert (await api("DELETE", "runs", "live")).status == 204


async def test_a_slow_store_read_does_not_block_other_requests(
    api: Any, three_runs: Any, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store calls run in worker threads: while one request waits on the store,
    the server keeps answering others."""
    import asyncio
    import threading

    from nbtrack.server.handlers import SERVICE_KEY

    service = jp_serverapp.web_app.settings[SERVICE_KEY]
    release = threading.Event()
    real = service.list_runs

    def slow_list(q: Any) -> Any:
        assert release.wait(timeout=20), "never released"
        return real(q)

    monkeypatch.setattr(service, "list_runs", slow_list)
    slow = asyncio.ensure_future(api("GET", "runs"))
    quick = await api("GET", "runs", "train#1")
    assert quick.status == 200 and not slow.done()
    release.set()
    assert (await slow).body["total"] == 3


def test_fast_lookup_agrees_with_the_resolver_on_any_reference(store_url: str) -> None:
    """The server's indexed lookups answer exactly as `nbtrack.query.resolve_ref`,
    for names that look like references too."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from nbtrack.errors import RunNotFoundError
    from nbtrack.query import resolve_ref
    from nbtrack.server.service import RunService

    names = ["exp#1", "v~2", "latest~1", "train#1", "baseline", "baseline", "Base"]
    ids = []
    for name in names:
        with nbtrack.start_run(name, notebook="train.ipynb") as run:
            ids.append(run.id)
    with nbtrack.start_run(notebook="exp.ipynb"):
        pass
    service = RunService(store_url)
    pieces = [*names, "latest", "train#2", "exp#1", "exp#9", "baseline~1", "~1", "#1", " "]
    refs = st.one_of(
        st.sampled_from(pieces + ids + [i[:8] for i in ids] + [i.upper() for i in ids]),
        st.tuples(st.sampled_from(pieces), st.sampled_from(["", "~1", "~3", "#1", " "])).map(
            "".join
        ),
        st.text(max_size=6),
    )

    @settings(max_examples=300, deadline=None, database=None)
    @given(ref=refs)
    def check(ref: str) -> None:
        try:
            expected: str | None = resolve_ref(ref, store=store_url)
        except RunNotFoundError:
            expected = None
        try:
            got: str | None = service.resolve(ref)
        except RunNotFoundError:
            got = None
        assert got == expected, ref

    check()
