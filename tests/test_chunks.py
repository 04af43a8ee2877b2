"""Metric points stored in chunks (store/chunks.py), on SQLite and PostgreSQL: a
flush is a row per series, and every read gives the points back in the order a
user expects, whatever order the steps came in."""

from __future__ import annotations

import math

import sqlalchemy as sa

from nbtrack.store import open_store

NAN, INF = math.nan, math.inf


def _chunk_rows(store: object) -> list[tuple[int, int]]:
    with store.reading() as conn:  # type: ignore[attr-defined]
        return conn.execute(sa.text("SELECT run_key, n FROM nbtrack_chunks")).all()


def _same(a: list[tuple], b: list[tuple]) -> bool:
    norm = lambda rows: [tuple("nan" if x != x else x for x in r) for r in rows]  # noqa: E731
    return norm(a) == norm(b)


def test_a_flush_is_one_row_per_series(backend: str) -> None:
    store = open_store(backend)
    batch = [(r, k, i, float(i), 1.0) for i in range(1000) for r in "ABC" for k in ("x", "y")]
    store.write_batch(batch, {})
    rows = _chunk_rows(store)
    assert sorted(n for _, n in rows) == [1000] * 6  # 3 runs x 2 keys, 6,000 points
    store.write_batch([("A", "x", 1000, 0.5, 2.0)], {})
    assert len(_chunk_rows(store)) == 7  # a slow logger: a one-point row per flush


def test_history_is_in_step_order_across_flushes_with_repeated_and_earlier_steps(
    backend: str,
) -> None:
    store = open_store(backend)
    store.write_batch([("R", "loss", 5, 5.0, 1.0), ("R", "loss", 3, NAN, 2.0),
                       ("R", "acc", 9, 0.9, 2.5), ("R", "loss", 3, INF, 3.0)], {})  # fmt: skip
    store.write_batch([("R", "loss", 4, 4.0, 4.0), ("R", "loss", 3, -INF, 5.0),
                       ("R", "loss", 1, 1.0, 6.0)], {})  # fmt: skip
    got = store.points(["R"])
    # By key name, step, then the order written; NaN and infinities as logged.
    assert _same(
        got,
        [
            ("R", "acc", 9, 0.9, 2.5),
            ("R", "loss", 1, 1.0, 6.0),
            ("R", "loss", 3, NAN, 2.0),
            ("R", "loss", 3, INF, 3.0),
            ("R", "loss", 3, -INF, 5.0),
            ("R", "loss", 4, 4.0, 4.0),
            ("R", "loss", 5, 5.0, 1.0),
        ],
    )
    assert [s for _, s, *_ in store.key_points("R", "loss", 6)] == [3, 3, 3, 4, 5]
    assert [i for i, *_ in store.key_points("R", "loss", 7)] == [7, 2, 4, 6, 5, 1]
    assert [(i, s) for i, s, *_ in store.series_ends("R", "loss", 7)] == [(7, 1), (1, 5)]


def test_points_since_a_cursor_inside_a_chunk_of_an_irregular_batch(backend: str) -> None:
    """A batch of two runs whose keys come in no repeating order: each run's seqs
    follow the order its points were logged, and a cursor inside a chunk gives
    exactly the points after it."""
    store = open_store(backend)
    batch = [("A", "loss", 0, 0.0, 1.0), ("B", "loss", 0, 9.0, 1.0), ("A", "loss", 1, 1.0, 1.0),
             ("A", "acc", 0, 0.5, 1.0), ("A", "loss", 2, 2.0, 1.0), ("A", "loss", 3, 3.0, 1.0),
             ("A", "acc", 1, 0.6, 1.0)]  # fmt: skip
    store.write_batch(batch, {})
    everything = store.points_since("A", 0, 100)
    assert [(i, k, s) for i, k, s, *_ in everything] == [
        (1, "loss", 0), (2, "loss", 1), (3, "acc", 0), (4, "loss", 2), (5, "loss", 3),
        (6, "acc", 1),
    ]  # fmt: skip
    assert [i for i, *_ in store.points_since("A", 3, 5)] == [4, 5]
    assert [i for i, *_ in store.points_since("A", 3, 100, keys=["acc"])] == [6]
    assert [(k, s) for _, k, s, *_ in store.points_since("B", 0, 100)] == [("loss", 0)]
