"""Sweeps over REST for the panel's Sweeps view: `GET sweeps` and `GET sweeps/{id}`
(trials, best-so-far, Optuna's importances) on a real searched sweep of a Python
function with a pruned trial, on SQLite and PostgreSQL (`backend`)."""

from __future__ import annotations

from typing import Any

import pytest
from test_auth_and_paths import _raw, _url

import nbtrack


@pytest.fixture
def store_url(backend: str) -> str:
    return backend


@pytest.fixture
def searched(store_url: str) -> Any:
    calls: list[float] = []

    def train(lr: float, hidden: int) -> None:
        calls.append(lr)
        good = len(calls) != 4  # the fourth trial does badly and is pruned
        for step in range(5):
            nbtrack.log(val_acc=(hidden / 100 + lr if good else 0.0), step=step)

    return nbtrack.sweep(
        train,
        {"lr": nbtrack.uniform(0, 0.5), "hidden": [32, 64]},
        method="random",
        metric="val_acc",
        goal="max",
        trials=4,
        seed=1,
        sweep_id="sw-api",
        prune=nbtrack.MedianPruner(warmup_steps=0, startup_trials=3),
    )


@pytest.mark.slow
async def test_sweep_list_and_detail(api: Any, searched: Any) -> None:
    (row,) = (await api("GET", "sweeps")).body["sweeps"]
    runs = searched.runs().set_index("trial")
    best_trial = runs[runs.status == "finished"]["metrics.val_acc"].idxmax()
    assert (row["sweep"], row["method"], row["metric"], row["goal"]) == (
        "sw-api",
        "random",
        "val_acc",
        "max",
    )
    assert (row["trials"], row["finished"], row["pruned"], row["failed"]) == (4, 3, 1, 0)
    assert row["best"] == pytest.approx(runs.loc[best_trial, "metrics.val_acc"])
    assert row["best_run"] == nbtrack.get_run(runs.loc[best_trial, "id"]).ref

    detail = (await api("GET", "sweeps", "sw-api")).body
    assert detail["summary"] == row
    trials = detail["trials"]
    assert [(t["trial"], t["state"]) for t in trials] == [
        (1, "finished"),
        (2, "finished"),
        (3, "finished"),
        (4, "pruned"),
    ]
    assert trials[0]["params"] == {k: runs.loc[1, f"params.{k}"] for k in ("lr", "hidden")}
    assert trials[3]["value"] == 0.0
    # best so far: finished trials only, never worse than before
    bests = [p["best"] for p in detail["best_so_far"]]
    assert [p["trial"] for p in detail["best_so_far"]] == [1, 2, 3]
    assert bests == sorted(bests) and bests[-1] == row["best"]
    shares = detail["importances"]
    assert set(shares) == {"lr", "hidden"} and sum(shares.values()) == pytest.approx(1.0)
    assert detail["importances_reason"] is None
    # asked again: the same (cached for this trial count)
    assert (await api("GET", "sweeps", "sw-api")).body["importances"] == shares


@pytest.mark.slow
async def test_importances_need_two_finished_trials(api: Any, store_url: str) -> None:
    def train(x: float) -> None:
        nbtrack.log(val_acc=x)

    nbtrack.sweep(
        train,
        {"x": nbtrack.uniform(0, 1)},
        method="random",
        metric="val_acc",
        trials=1,
        sweep_id="sw-one",
    )
    detail = (await api("GET", "sweeps", "sw-one")).body
    assert detail["importances"] is None
    assert "at least 2" in detail["importances_reason"]


async def test_unknown_sweep_is_404_and_login_is_needed(
    api: Any, store_url: str, http_server_client: Any, jp_base_url: str
) -> None:
    missing = await api("GET", "sweeps", "nope")
    assert missing.status == 404 and "no sweep 'nope'" in missing.body["message"]
    for path in ("sweeps", "sweeps/sw-api"):
        status, _, _ = await _raw(http_server_client, _url(jp_base_url, path))
        assert status == 403


@pytest.mark.parametrize("sweep_id", ["a\x00b", "x' OR '1'='1", "日本", "%2F", "a#1"])
async def test_odd_sweep_ids_are_404_not_server_errors(
    api: Any, store_url: str, sweep_id: str
) -> None:
    answer = await api("GET", "sweeps", sweep_id)
    assert answer.status == 404, answer.body
