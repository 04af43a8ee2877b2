"""A batch of points split into series in C (store/batch_series.py): the same
series, in the same order, as grouping point by point would give."""

from __future__ import annotations

import math
import random

import pytest

from nbtrack.store.batch_series import Batch, columns, series, take, without_nan


def _naive(points: list[tuple]) -> dict[tuple[str, str], tuple[list[int], list[int]]]:
    """(run, key) -> (positions in the batch, ranks among the run's points)."""
    out: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    rank: dict[str, int] = {}
    for i, (run, key, *_) in enumerate(points):
        r = rank.get(run, 0)
        rank[run] = r + 1
        pos, ranks = out.setdefault((run, key), ([], []))
        pos.append(i)
        ranks.append(r)
    return out


def _batch(runs: list[str], keys: list[str]) -> list[tuple]:
    pairs = enumerate(zip(runs, keys, strict=True))
    return [(r, k, i, float(i), 1000.0 + i) for i, (r, k) in pairs]


@pytest.mark.parametrize(
    "runs, keys",
    [
        (["R"] * 7, ["loss"] * 7),
        (["R"] * 9, ["loss", "acc", "lr"] * 3),
        (["R"] * 8, ["acc", "lr", "loss", "acc", "lr", "loss", "acc", "lr"]),  # cut mid-call
        (["R"] * 6, ["loss", "acc", "loss", "loss", "val", "acc"]),  # an epoch's extra key
        (["A", "B", "A", "A", "B", "A"], ["x", "x", "y", "x", "y", "y"]),  # two runs
    ],
    ids=["one-key", "repeating", "cut-mid-call", "irregular", "two-runs"],
)
def test_series_are_the_points_of_each_run_and_key_in_logged_order(
    runs: list[str], keys: list[str]
) -> None:
    points = _batch(runs, keys)
    got = {(r, k): (list(pos), list(ranks)) for r, k, pos, ranks in series(points)}
    assert got == _naive(points)
    assert len(series(points)) == len(got)  # each series once


def test_random_batches_split_as_grouping_point_by_point_would() -> None:
    rng = random.Random(19)
    for _ in range(200):
        n = rng.randint(1, 60)
        runs = [rng.choice("AB") if rng.random() < 0.3 else "A" for _ in range(n)]
        keys = [rng.choice(["loss", "acc", "lr"]) for _ in range(n)]
        points = _batch(runs, keys)
        got = {(r, k): (list(p), list(q)) for r, k, p, q in Batch(points).series}
        assert got == _naive(points)


def test_a_batch_of_repeating_keys_is_sliced_not_looped() -> None:
    """log(loss=, acc=) calls: each series is every second point, as a range."""
    points = _batch(["R"] * 6, ["loss", "acc"] * 3)
    (_, _, loss, _), (_, _, acc, _) = series(points)
    assert loss == range(0, 6, 2) and acc == range(1, 6, 2)
    steps = columns(points)[2]
    assert take(steps, acc) == (1, 3, 5)


def test_a_batch_works_out_its_columns_once() -> None:
    batch = Batch(_batch(["R"] * 4, ["a", "b"] * 2))
    assert columns(batch) is columns(batch)
    assert series(batch) is series(batch)


def test_nan_is_left_out_of_extremes() -> None:
    nan, inf = math.nan, math.inf
    values = (1.0, nan, -inf, 3.0)
    assert without_nan(values) == [1.0, -inf, 3.0]
    clean = (1.0, inf)
    assert without_nan(clean) is clean
    assert without_nan([None, 2.0]) == [2.0]  # a NaN as a journal may hold it
    both = (1.0, inf, -inf)  # their sum is NaN, yet no value is
    assert without_nan(both) is both


def test_a_batch_counts_its_runs_points_and_names_its_keys() -> None:
    """What the point writes take seqs for and look key ids up for, from the series."""
    from nbtrack.store.point_writes import runs_and_keys

    points = _batch(["A", "B", "A", "A", "B", "A"], ["x", "x", "y", "x", "y", "y"])
    runs, keys = runs_and_keys(Batch(points))
    assert list(runs.items()) == [("A", 4), ("B", 2)]  # in the order the runs came
    assert keys == {"x", "y"}
