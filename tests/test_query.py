"""runs(), history(), get_run() and run references against a real store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nbtrack
from nbtrack.errors import RunNotFoundError


def _three_runs() -> list[str]:
    notebook = Path("train.ipynb").resolve()
    notebook.write_text("{}")
    ids = []
    for i, (lr, tags) in enumerate([(0.1, ["a"]), (0.01, ["a", "b"]), (0.001, ["b"])]):
        with nbtrack.start_run(
            name="sweep" if i else "first",
            params={"lr": lr, "depth": i},
            tags=tags,
            experiment="exp1" if i < 2 else "exp2",
            notebook=notebook,
        ) as run:
            nbtrack.log(loss=lr * 10, acc=1 - lr)
        ids.append(run.id)
    return ids


def test_runs_dataframe_columns_order_and_types(backend: str) -> None:
    ids = _three_runs()
    df = nbtrack.runs()
    assert list(df.columns[:10]) == [
        "id",
        "name",
        "ref",
        "status",
        "experiment",
        "notebook",
        "start",
        "end",
        "duration",
        "tags",
    ]
    assert {"params.lr", "params.depth", "metrics.loss", "metrics.acc"} <= set(df.columns)
    assert list(df["id"]) == ids[::-1]  # newest first
    assert str(df["start"].dt.tz) == "UTC" and (df["duration"] >= 0).all()
    assert df["params.depth"].tolist() == [2, 1, 0]
    assert df["metrics.loss"].tolist() == pytest.approx([0.01, 0.1, 1.0])


def test_runs_filters(backend: str) -> None:
    ids = _three_runs()
    assert list(nbtrack.runs(experiment="exp2")["id"]) == [ids[2]]
    assert list(nbtrack.runs(tags=["a", "b"])["id"]) == [ids[1]]
    assert list(nbtrack.runs(tags="b")["id"]) == [ids[2], ids[1]]
    assert list(nbtrack.runs(query="`params.lr` < 0.05")["id"]) == [ids[2], ids[1]]
    assert list(nbtrack.runs(limit=1)["id"]) == [ids[2]]
    assert nbtrack.runs(status="failed").empty
    assert list(nbtrack.runs(status=["finished"], experiment="exp1")["id"]) == [ids[1], ids[0]]


def test_runs_on_an_empty_store_is_an_empty_frame(backend: str) -> None:
    df = nbtrack.runs()
    assert df.empty and "name" in df.columns


def test_history_long_format(backend: str) -> None:
    ids = _three_runs()
    h = nbtrack.history([ids[0], "sweep"], keys=["loss"])
    assert list(h.columns) == ["run", "name", "key", "step", "value", "time"]
    assert h["name"].tolist() == ["first", "sweep"] and set(h["key"]) == {"loss"}
    assert isinstance(h["time"].dtype, pd.DatetimeTZDtype)
    assert len(nbtrack.history(nbtrack.runs())) == 6


def test_references(backend: str) -> None:
    ids = _three_runs()
    assert nbtrack.get_run("latest").id == ids[2]
    assert nbtrack.get_run("latest~2").id == ids[0]
    assert nbtrack.get_run("sweep").id == ids[2]
    assert nbtrack.get_run("sweep~1").id == ids[1]
    assert nbtrack.get_run("train#1").id == ids[0]  # stem#seq, even for a named run
    assert nbtrack.get_run(ids[1][:20]).id == ids[1]
    with pytest.raises(RunNotFoundError, match="no run matches 'train#9': the latest is train#3"):
        nbtrack.get_run("train#9")
    with pytest.raises(RunNotFoundError, match="the start of 3 run ids"):
        nbtrack.get_run(ids[0][:2])


def test_get_run_fields(backend: str) -> None:
    with nbtrack.start_run(name="r", params={"a": 1}) as run:
        nbtrack.log(x=1.0)
    got = nbtrack.get_run("r")
    assert (got.id, got.name, got.status, got.error) == (run.id, "r", "finished", None)
    assert got.env["python"] and got.env["cpu_count"] and "pandas" in got.env["packages"]
    assert got.history("x")["value"].tolist() == [1.0]


def test_runs_outside_any_run_on_a_fresh_folder_creates_nothing_visible(project: Path) -> None:
    assert nbtrack.runs().empty


def test_listing_runs_never_waits_for_a_writer(project: Path) -> None:
    """A kernel in the middle of a write (holding SQLite's write lock) must not
    stall readers: the panel and runs() list runs while training writes."""
    import sqlite3
    import threading

    with nbtrack.start_run(name="done"):
        nbtrack.log(loss=1.0)
    writer = sqlite3.connect(project / ".nbtrack" / "nbtrack.db")
    writer.execute("BEGIN IMMEDIATE")
    result: list[int] = []
    reader = threading.Thread(target=lambda: result.append(len(nbtrack.runs())), daemon=True)
    reader.start()
    reader.join(10)
    writer.rollback()
    writer.close()
    assert result == [1]


def test_a_run_with_twenty_thousand_keys_gives_one_column_per_key(backend: str) -> None:
    n = 20_000
    with nbtrack.start_run(name="narrow", params={"lr": 0.1}):
        nbtrack.log({"k00007": 1.5, "shared": float("nan")})
    with nbtrack.start_run(name="wide") as wide:
        nbtrack.log({f"k{i:05d}": i * 0.5 for i in range(n)} | {"shared": -1.0})
    df = nbtrack.runs().set_index("name")
    metrics = [c for c in df.columns if c.startswith("metrics.")]
    assert len(metrics) == n + 1 and metrics == sorted(metrics)  # every key, in key order
    assert len(df.columns) == 15 + 1 + n + 1  # run columns (name is the index), params.lr, keys
    assert df.loc["wide", "metrics.k19999"] == 19999 * 0.5
    assert df.loc["wide", "metrics.k00007"] == 3.5 and df.loc["narrow", "metrics.k00007"] == 1.5
    assert pd.isna(df.loc["narrow", "metrics.k00008"])  # a key the run never logged
    assert pd.isna(df.loc["narrow", "metrics.shared"]) and df.loc["wide", "metrics.shared"] == -1
    assert df.loc["narrow", "params.lr"] == 0.1 and pd.isna(df.loc["wide", "params.lr"])
    assert df["id"].tolist() == [wide.id, df.loc["narrow", "id"]]  # newest first


def test_metrics_block_places_values_by_run_and_key() -> None:
    from nbtrack.query import _metrics_block

    lasts = [("b", "z", 1.0), ("a", "z", None), ("other", "q", 9.0), ("a", "m", 2.0)]
    block = _metrics_block(pd, ["a", "b"], lasts)
    assert list(block.columns) == ["metrics.m", "metrics.z"]  # sorted; "other" not listed
    assert block["metrics.m"].tolist()[0] == 2.0 and pd.isna(block["metrics.m"][1])
    assert pd.isna(block["metrics.z"][0]) and block["metrics.z"][1] == 1.0  # None is NaN
    assert _metrics_block(pd, ["a"], []).shape == (1, 0)
