"""GET /runs/{ref}/metrics: whole series, incremental reads by cursor, downsampling."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.series import Point, downsample
from nbtrack.server.service import RunService
from nbtrack.store import open_store


async def test_whole_series_of_every_key(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", "train#2", "metrics")
    assert reply.status == 200
    body = reply.body
    assert body["downsampled"] is False
    assert body["series"]["loss"]["step"] == [0, 1]
    assert body["series"]["loss"]["value"] == ["NaN", 0.5]
    assert body["series"]["acc"]["value"] == ["Infinity"]
    assert all(isinstance(t, float) for t in body["series"]["loss"]["time"])
    assert isinstance(body["cursor"], str)


async def test_keys_select_series_and_unknown_keys_are_empty(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", "train#2", "metrics", params={"keys": "acc,nope"})
    assert reply.body["series"] == {
        "acc": {"step": [0], "value": ["Infinity"], "time": reply.body["series"]["acc"]["time"]},
        "nope": {"step": [], "value": [], "time": []},
    }


async def test_a_run_without_points(api: Any, store_url: str) -> None:
    with nbtrack.start_run(name="quiet"):
        pass
    reply = await api("GET", "runs", "quiet", "metrics")
    assert reply.body["series"] == {}
    again = await api("GET", "runs", "quiet", "metrics", params={"after": reply.body["cursor"]})
    assert again.body["series"] == {} and again.body["cursor"] == reply.body["cursor"]


async def test_after_a_cursor_only_new_points_come_back(api: Any, store_url: str) -> None:
    run = tracking.begin_run(name="live")
    try:
        for step in range(3):
            nbtrack.log(loss=1.0 / (step + 1), step=step)
        run.writer.flush()
        first = (await api("GET", "runs", "live", "metrics")).body
        assert first["series"]["loss"]["step"] == [0, 1, 2]

        nothing = (
            await api("GET", "runs", "live", "metrics", params={"after": first["cursor"]})
        ).body
        assert nothing["series"] == {} and nothing["cursor"] == first["cursor"]

        nbtrack.log(loss=0.2, acc=0.5, step=3)
        nbtrack.log(loss=0.1, step=4)
        run.writer.flush()
        new = (await api("GET", "runs", "live", "metrics", params={"after": first["cursor"]})).body
        assert new["series"]["loss"]["step"] == [3, 4]
        assert new["series"]["loss"]["value"] == [0.2, 0.1]
        assert new["series"]["acc"]["step"] == [3]
        assert new["cursor"] != first["cursor"]

        only_acc = await api(
            "GET", "runs", "live", "metrics", params={"after": first["cursor"], "keys": "acc"}
        )
        assert list(only_acc.body["series"]) == ["acc"]
    finally:
        tracking.end_run(run)


async def test_cursors_of_other_runs_points_do_not_leak(api: Any, store_url: str) -> None:
    with nbtrack.start_run(name="a"):
        nbtrack.log(x=1.0)
    first = (await api("GET", "runs", "a", "metrics")).body
    with nbtrack.start_run(name="b"):
        nbtrack.log(x=2.0)
    again = (await api("GET", "runs", "a", "metrics", params={"after": first["cursor"]})).body
    assert again["series"] == {}


@pytest.mark.parametrize(
    "after", ["garbage", "v1.-3", "v2.10", "v1.99999999999999999999999", "v1.1;DROP TABLE"]
)
async def test_malformed_cursor_is_400(api: Any, three_runs: Any, after: str) -> None:
    reply = await api("GET", "runs", "train#1", "metrics", params={"after": after})
    assert reply.status == 400
    assert "cursor" in reply.body["message"]


async def test_a_cursor_from_the_future_returns_nothing_new(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", "train#1", "metrics", params={"after": "v1.999999999"})
    assert reply.status == 200
    assert reply.body["series"] == {} and reply.body["cursor"] == "v1.999999999"


@pytest.mark.parametrize("max_points", ["3", "100001", "999999999999999999999", "many", "-1"])
async def test_bad_max_points_is_400(api: Any, three_runs: Any, max_points: str) -> None:
    reply = await api("GET", "runs", "train#1", "metrics", params={"max_points": max_points})
    assert reply.status == 400
    assert "max_points" in reply.body["message"]


async def test_metrics_of_an_unknown_run_is_404(api: Any, three_runs: Any) -> None:
    assert (await api("GET", "runs", "nobody", "metrics")).status == 404


def _log_wave(n: int, spikes: dict[int, float]) -> None:
    rng = random.Random(3)
    with nbtrack.start_run(name="long") as run:
        for step in range(n):
            run.log(loss=spikes.get(step, rng.random()), step=step)


@pytest.mark.parametrize("n", [30, 5000])  # a short and a long series, both over max_points
async def test_downsampling_keeps_min_max_first_and_last(api: Any, store_url: str, n: int) -> None:
    _log_wave(n, {7: -40.0, n // 2: 99.0})
    reply = await api("GET", "runs", "long", "metrics", params={"max_points": "20"})
    body = reply.body
    assert body["downsampled"] is True
    loss = body["series"]["loss"]
    assert len(loss["step"]) <= 20
    assert -40.0 in loss["value"] and 99.0 in loss["value"]
    assert loss["step"][0] == 0 and loss["step"][-1] == n - 1
    assert loss["step"] == sorted(loss["step"])
    full = (await api("GET", "runs", "long", "metrics", params={"max_points": "100000"})).body
    assert full["downsampled"] is False and len(full["series"]["loss"]["step"]) == n
    assert full["cursor"] == body["cursor"]


@pytest.mark.parametrize("max_points", [4, 5, 6])
async def test_a_series_of_max_points_comes_back_whole(
    api: Any, store_url: str, max_points: int
) -> None:
    _log_wave(max_points, {})
    reply = await api("GET", "runs", "long", "metrics", params={"max_points": str(max_points)})
    assert reply.body["downsampled"] is False
    assert reply.body["series"]["loss"]["step"] == list(range(max_points))


def test_bucketing_over_columns_matches_the_pure_reference(backend: str) -> None:
    """The server's downsampling over numpy columns picks exactly what `downsample` picks,
    NaN, infinities, ties, repeated steps and gaps included."""
    rng = random.Random(11)
    values = [rng.choice([math.nan, math.inf, -math.inf, 1.0, 1.0]) for _ in range(300)]
    values += [rng.gauss(0, 1) for _ in range(3000)]
    steps = sorted(rng.randrange(0, 2000) for _ in values)
    with nbtrack.start_run(name="mixed") as run:
        for step, value in zip(steps, values, strict=True):
            run.log(loss=value, step=step)
    store = open_store(backend)
    service = RunService(backend)
    run_id = service.resolve("mixed")
    upto = store.last_point_id(run_id)
    points = [Point(*row) for row in store.key_points(run_id, "loss", upto)]
    for max_points in (4, 10, 101, 1000):
        expected = downsample(points, max_points)
        picked, cut = service._whole_series(run_id, "loss", upto, max_points)
        assert cut
        assert [p.id for p in picked] == [p.id for p in expected], max_points


def _matches_reference(backend: str, upto: int | None, max_points: tuple[int, ...]) -> None:
    store = open_store(backend)
    service = RunService(backend)
    run_id = service.resolve("mixed")
    upto = store.last_point_id(run_id) if upto is None else upto
    points = [Point(*row) for row in store.key_points(run_id, "loss", upto)]
    for n in max_points:
        picked, _ = service._whole_series(run_id, "loss", upto, n)
        assert [p.id for p in picked] == [p.id for p in downsample(points, n)], n


def test_bucketing_over_columns_stops_at_the_cursor(backend: str) -> None:
    """Points written after the cursor's last one move no extreme, whether the
    buckets are read in one piece (4 of them) or in two halves (499)."""
    rng = random.Random(5)
    run = tracking.begin_run(name="mixed")
    try:
        for step in range(3000):
            nbtrack.log(loss=rng.gauss(0, 1), step=step)
        run.writer.flush()
        upto = open_store(backend).last_point_id(run.id)
        for step in range(0, 3000, 7):
            nbtrack.log(loss=rng.choice([-1e9, 1e9, math.nan, -math.inf]), step=step)
        run.writer.flush()
        _matches_reference(backend, upto, (10, 1000))
    finally:
        tracking.end_run(run)


def test_bucketing_over_columns_breaks_ties_exactly_past_float_precision(backend: str) -> None:
    """Steps past 2**53 (nanosecond timestamps, say) are not rounded: of two equal
    values one step apart, the earlier step wins even when it was logged later."""
    base = 2**62
    with nbtrack.start_run(name="mixed") as run:
        for i in range(0, 2000, 2):
            run.log(loss=0.0, step=base + 4 * i + 2)
            run.log(loss=0.0, step=base + 4 * i + 1)
            run.log(loss=float(i % 5), step=base + 4 * i + 3)
    _matches_reference(backend, None, (10, 101))


@pytest.mark.slow
def test_every_key_without_keys_is_a_bounded_number_of_queries(backend: str) -> None:
    """A run with thousands of keys (and one series too long to load whole) is read in a
    few statements, not one per key, and gives the same series as asking key by key."""
    import sqlalchemy as sa

    from nbtrack.server.params import metrics_query

    with nbtrack.start_run(name="wide") as run:
        for step in range(3):
            run.log(**{f"k{i:04d}": float(i * step) for i in range(3000)}, step=step)
        for step in range(2000):
            run.log(long=float(step % 7), step=step)
    service = RunService(backend)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        whole = service.metrics("wide", metrics_query({"max_points": "100"}))
    finally:
        sa.event.remove(service.store.engine, "before_cursor_execute", record)
    assert len(whole["series"]) == 3001
    assert whole["series"]["k2999"]["value"] == [0.0, 2999.0, 5998.0]
    assert whole["downsampled"] and len(whole["series"]["long"]["step"]) <= 100
    assert len(statements) <= 20, len(statements)
    some = ["k0000", "k1234", "k2999", "long"]
    by_key = service.metrics("wide", metrics_query({"max_points": "100", "keys": ",".join(some)}))
    for key in some:
        assert whole["series"][key] == by_key["series"][key]


def test_a_long_series_is_read_once(backend: str) -> None:
    """Downsampling a series far over max_points reads its chunks once (it was read
    three times: to count it, for its ends, for its extremes) and picks what the
    pure reference picks."""
    import sqlalchemy as sa

    from nbtrack.server.params import metrics_query

    _log_wave(20_000, {11: -5.0, 15_000: 7.0})
    service = RunService(backend)
    reads: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "nbtrack_chunks" in statement:
            reads.append(statement)

    sa.event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        body = service.metrics("long", metrics_query({"max_points": "50", "keys": "loss"}))
    finally:
        sa.event.remove(service.store.engine, "before_cursor_execute", record)
    assert len(reads) == 1, reads
    store = open_store(backend)
    run_id = service.resolve("long")
    points = [Point(*row) for row in store.key_points(run_id, "loss", store.last_point_id(run_id))]
    expected = downsample(points, 50)
    assert body["downsampled"] is True
    assert body["series"]["loss"]["step"] == [p.step for p in expected]
    assert -5.0 in body["series"]["loss"]["value"] and 7.0 in body["series"]["loss"]["value"]
