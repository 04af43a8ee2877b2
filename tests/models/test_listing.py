"""The registry listing (models/listing.py) on both backends: a fixed number of
statements whatever the number of models and versions (never one per model,
version or run) and, on PostgreSQL, of metric keys (SQLite: one more per
KEYS_PER_QUERY keys), and every value on its own row: aliases, the source run,
its metrics, a deleted run, a NaN, a run that is the source of two versions."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sql_statements import recorded

import nbtrack


def _register(models: range, versions: int) -> None:
    """Models clf-<m>, each with `versions` versions from runs that log acc = m + v/10
    and loss = v; model m's last version is `production`."""
    for m in models:
        for v in range(1, versions + 1):
            with nbtrack.start_run(name=f"train-{m}"):
                nbtrack.log(acc=m + v / 10, loss=float(v))
                nbtrack.log_model({"m": m, "v": v}, f"net-{m}")
            nbtrack.registry.link(f"net-{m}:v{v}", f"clf-{m}")
        nbtrack.registry.set_alias(f"clf-{m}", "production", version=versions)


def _selects() -> Any:
    """The SELECT statements sent to the store inside the block."""
    from nbtrack.artifacts.context import context_for

    return recorded(context_for().store.engine, selects_only=True)


def _count(read: Callable[[], Any]) -> int:
    with _selects() as seen:
        read()
    return len(seen)


def _rows() -> list[dict[str, Any]]:
    from nbtrack.artifacts.context import context_for
    from nbtrack.models.report import registry_rows

    return registry_rows(context_for().store)


def test_listing_is_a_fixed_number_of_statements(backend: str, project: Path) -> None:
    _register(range(1), versions=2)
    small_frame, small_rows = _count(nbtrack.registry.models), _count(_rows)
    _register(range(1, 4), versions=3)  # 4 models, 11 versions, 11 runs
    # The same statements for 2 versions as for 11: none per model, version or run.
    assert _count(nbtrack.registry.models) == small_frame <= 4
    assert _count(_rows) == small_rows <= 3

    df = nbtrack.registry.models()
    assert list(df["model"]) == ["clf-0"] * 2 + [f"clf-{m}" for m in (1, 2, 3) for _ in "vvv"]
    assert list(df["version"]) == [1, 2] + [1, 2, 3] * 3
    assert list(df["aliases"]) == [[], ["production"]] + [[], [], ["production"]] * 3
    assert list(df["source"]) == [
        f"net-{m}:v{v}" for m, v in zip(df["model"].str[4:], df["version"], strict=True)
    ]
    assert list(df["metrics.acc"]) == [
        m + v / 10 for m, v in zip(df["model"].str[4:].astype(int), df["version"], strict=True)
    ]
    assert list(df["metrics.loss"]) == [float(v) for v in df["version"]]
    assert list(df["run_name"]) == [f"train-{m}" for m in df["model"].str[4:]]
    assert [r["aliases"] for r in _rows()] == list(df["aliases"])
    assert [r["run"] for r in _rows()] == list(df["run"])

    # 70 metric keys on one run (more than SQLite's 64 tables in a join): the same
    # statements on PostgreSQL (long rows), one more on SQLite (a second chunk of
    # keys); each key its own column.
    with nbtrack.start_run(name="wide"):
        nbtrack.log(**{f"k{i:02d}": float(i) for i in range(70)})
        nbtrack.log_model({"wide": True}, "net-wide")
    nbtrack.registry.link("net-wide:v1", "clf-wide")
    assert _count(nbtrack.registry.models) == small_frame + backend.startswith("sqlite")
    wide = nbtrack.registry.models("clf-wide")
    assert [wide[f"metrics.k{i:02d}"].iloc[0] for i in range(70)] == [float(i) for i in range(70)]
    assert len(nbtrack.registry.models().columns) == len(df.columns) + 70


def test_listing_keeps_rows_in_line_past_a_deleted_run_a_nan_and_a_shared_run(
    backend: str, project: Path
) -> None:
    from nbtrack.cli import main

    runs = []
    for i, metrics in enumerate(
        ({"a": 1.0, "b": 2.0, "c": 3.0}, {"b": math.nan, "d": 4.0}, {"a": 5.0, "e": 6.0})
    ):
        with nbtrack.start_run(name="train") as run:
            nbtrack.log(**metrics)
            nbtrack.log_model({"i": i}, "net")
        runs.append(run.ref)
    for v in (3, 1, 2):  # registered out of logging order
        nbtrack.registry.link(f"net:v{v}", "clf", aliases=[f"from-v{v}"])
    nbtrack.registry.link("net:v3", "best")  # net:v3's run is the source of two versions
    assert main(["rm", runs[0], "--yes"]) == 0  # net:v1's run is gone; the model stays

    with _selects() as seen:
        both = nbtrack.registry.models()
    assert len(seen) == 4  # names, (SQLite) keys, the rows, (PostgreSQL) summaries, aliases
    # Keys a, b, d, e (c was the deleted run's alone).
    assert list(both["model"]) == ["best", "clf", "clf", "clf"]
    assert both.iloc[0]["metrics.e"] == both.iloc[1]["metrics.e"] == 6.0
    assert both.iloc[0]["run"] == both.iloc[1]["run"] == runs[2]
    df = both.iloc[1:]
    assert list(df["source"]) == ["net:v3", "net:v1", "net:v2"]
    assert list(df["aliases"]) == [["from-v3"], ["from-v1"], ["from-v2"]]
    assert list(df["run"].fillna("-")) == [runs[2], "-", runs[1]]
    assert [c for c in df.columns if c.startswith("metrics.")] == [f"metrics.{k}" for k in "abde"]
    table = df[[f"metrics.{k}" for k in "abde"]].to_numpy().tolist()
    nan = math.nan
    expected = [[5.0, nan, nan, 6.0], [nan] * 4, [nan, nan, 4.0, nan]]
    assert str(table) == str(expected)  # NaN compares unequal: compare the text
    only = nbtrack.registry.models("clf")
    assert list(only["source"]) == list(df["source"])
    assert nbtrack.registry.models("other").empty


def _key_steps() -> int:
    """SQLite virtual-machine steps of finding the linked runs' metric keys."""
    from nbtrack.artifacts.context import context_for
    from nbtrack.models import listing_metrics as lm

    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    with context_for().store.reading() as conn:
        raw = conn.connection.dbapi_connection
        raw.set_progress_handler(tick, 1)
        try:
            assert lm.metric_keys(conn, None) == ["acc", "loss"]
            assert lm.metric_keys(conn, "clf-0") == ["acc", "loss"]
        finally:
            raw.set_progress_handler(None, 1)
    return steps[0]


def test_sqlite_metric_keys_do_not_read_every_linked_summary(project: Path) -> None:
    # A key is found by a few index seeks: 16 times the versions, (about) the
    # same work, where reading the linked runs' summaries grew with them.
    _register(range(1), versions=2)
    few = _key_steps()
    _register(range(1, 4), versions=10)
    assert _key_steps() < 1.5 * few


def test_postgresql_reads_a_row_per_metric_key_not_per_version_and_key(
    postgres_store: str,
) -> None:
    # The summaries come one row per key (its rows and values packed), so the rows
    # the driver makes are the versions' and a few more, not versions x keys.
    import sqlalchemy as sa

    from nbtrack.artifacts.context import context_for

    _register(range(3), versions=4)  # 3 models, 12 versions, keys acc and loss
    read: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            read.append(cursor.rowcount)

    engine = context_for().store.engine
    sa.event.listen(engine, "after_cursor_execute", count)
    try:
        df = nbtrack.registry.models()
    finally:
        sa.event.remove(engine, "after_cursor_execute", count)
    assert list(df["metrics.loss"]) == [1.0, 2.0, 3.0, 4.0] * 3
    # names, the versions' rows, one per key, the aliases
    assert read == [3, 12, 2, 3]
