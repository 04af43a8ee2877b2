"""The core endpoints on every store backend: SQLite and PostgreSQL (`backend`)."""

from __future__ import annotations

from typing import Any

import pytest

import nbtrack
from nbtrack import tracking


@pytest.fixture
def store_url(backend: str) -> str:
    return backend


async def test_list_one_run_patch_and_delete(api: Any, three_runs: Any) -> None:
    listed = (await api("GET", "runs", params={"sort": "params.lr", "order": "asc"})).body
    assert [r["ref"] for r in listed["runs"]] == ["train#2", "train#1", "eval#1"]
    assert listed["runs"][0]["metrics"]["acc"]["last"] == "Infinity"
    one = (await api("GET", "runs", "baseline")).body
    assert one["ref"] == "train#2" and one["environment"]
    patched = await api("PATCH", "runs", "train#1", body={"tags": ["x"], "notes": "n"})
    assert patched.body["tags"] == ["x"]
    assert (await api("DELETE", "runs", "train#1")).status == 204
    assert (await api("GET", "runs")).body["total"] == 2


async def test_metrics_cursor_and_downsampling(api: Any, store_url: str) -> None:
    run = tracking.begin_run(name="live")
    try:
        for step in range(3000):
            nbtrack.log(loss=float(step % 97), step=step)
        nbtrack.log(loss=float("nan"), step=3000)
        run.writer.flush()
        first = (await api("GET", "runs", "live", "metrics", params={"max_points": "50"})).body
        loss = first["series"]["loss"]
        assert first["downsampled"] and len(loss["step"]) <= 50
        assert 0.0 in loss["value"] and 96.0 in loss["value"]
        assert loss["step"][-1] == 3000 and loss["value"][-1] == "NaN"
        nbtrack.log(loss=-1.0, step=3001)
        run.writer.flush()
        new = await api("GET", "runs", "live", "metrics", params={"after": first["cursor"]})
        assert new.body["series"]["loss"]["step"] == [3001]
    finally:
        tracking.end_run(run)


@pytest.mark.parametrize("ref", ["train#9999999999", "train#0", "x\x00y", "a\x00#1"])
async def test_references_no_store_can_hold_are_404(api: Any, three_runs: Any, ref: str) -> None:
    reply = await api("GET", "runs", ref)
    assert reply.status == 404
    assert (await api("GET", "runs", ref, "metrics")).status == 404


async def test_texts_no_store_can_hold_are_400(api: Any, three_runs: Any) -> None:
    for body in ('{"name": "a\\u0000"}', '{"tags": ["\\ud800"]}'):
        assert (await api("PATCH", "runs", "train#1", raw_body=body)).status == 400


ABSURD = "9" * 4301  # past Python's int-string limit


@pytest.mark.parametrize(
    "ref", [f"train#{ABSURD}", f"latest~{ABSURD}", f"baseline~{ABSURD}", "train#1" + "0" * 30]
)
async def test_references_with_absurd_numbers_are_400_on_every_endpoint(
    api: Any, three_runs: Any, ref: str
) -> None:
    replies = [
        await api("GET", "runs", ref),
        await api("GET", "runs", ref, "metrics"),
        await api("GET", "runs", ref, "snapshot"),
        await api("PATCH", "runs", ref, body={"notes": "n"}),
        await api("DELETE", "runs", ref),
        await api("GET", "diff", params={"a": ref, "b": "train#1"}),
    ]
    for reply in replies:
        assert reply.status == 400, reply.body
        assert "digit" in reply.body["message"] and "at most 18" in reply.body["message"]


async def test_a_run_named_like_an_absurd_reference_is_still_found(
    api: Any, three_runs: Any
) -> None:
    name = "train#" + "1" * 30
    assert (await api("PATCH", "runs", "train#1", body={"name": name})).status == 200
    assert (await api("GET", "runs", name)).body["ref"] == "train#1"


@pytest.mark.parametrize("depth", [10_000, 100_000])
async def test_deeply_nested_bodies_are_400(api: Any, three_runs: Any, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"tags": ' + "[" * depth + "]" * depth + "}"):
        reply = await api("PATCH", "runs", "train#1", raw_body=body)
        assert reply.status == 400
        assert "nests" in reply.body["message"]
