"""Downsampling keeps charts bounded without hiding what a user looks for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbtrack.widgets.downsample import Series, downsample, group_points, minmax_reduce


def test_a_million_points_become_a_few_thousand_keeping_spikes_and_ends() -> None:
    steps = np.arange(1_000_000)
    values = np.sin(steps / 5000.0)
    values[123_457] = 50.0  # a spike a user must still see
    values[777_777] = -50.0
    xs, ys = downsample(steps, values, max_points=2000)
    assert 1000 < len(xs) <= 2000
    assert ys.max() == 50.0 and ys.min() == -50.0
    assert xs[0] == 0 and xs[-1] == 999_999  # the whole range, in step order
    assert (np.diff(xs) >= 0).all()


def test_short_curves_are_left_alone_and_non_finite_values_are_not_drawn() -> None:
    xs, ys = downsample([2, 0, 1, 3], [1.0, math.nan, 3.0, math.inf])
    assert list(xs) == [1.0, 2.0] and list(ys) == [3.0, 1.0]


def test_minmax_reduce_keeps_each_buckets_lowest_and_highest_point() -> None:
    values = np.array([5, 1, 9, 2, 7, 8, 0, 3, 4.0])
    xs, ys = minmax_reduce(np.arange(9), values, width=4)
    assert list(xs) == [0, 1, 2, 5, 6, 8]  # the ends, then each bucket's extremes
    assert list(ys) == [5, 1, 9, 8, 0, 4]


@pytest.mark.parametrize("batch", [1, 37, 5000, 200_000])
def test_streamed_series_stays_bounded_and_even(batch: int) -> None:
    series = Series(max_points=1000)
    n = 200_000
    steps = np.arange(n)
    values = np.cos(steps / 1000.0) + steps * 1e-5
    for start in range(0, min(n, 40 * batch) if batch < 5000 else n, batch):
        series.extend(steps[start : start + batch], values[start : start + batch])
        assert len(series.steps) <= 1000
    seen = min(n, 40 * batch) if batch < 5000 else n
    assert series.count == seen
    assert series.steps[-1] == seen - 1 and series.steps[0] == 0
    if seen > 1000:  # old and new parts of the curve have the same resolution
        halves = np.searchsorted(series.steps, seen / 2)
        assert 0.35 < halves / len(series.steps) < 0.65
    assert series.values.max() == values[:seen].max()


def test_series_sorts_steps_logged_out_of_order_and_counts_nan() -> None:
    series = Series()
    series.extend([0, 1, 2], [1.0, 2.0, 3.0])
    series.extend([1, 5], [math.nan, 0.5])
    series.extend([3], [9.0])
    assert list(series.steps) == [0, 1, 2, 3, 5] and series.count == 6
    assert series.version == 3


def test_group_points_splits_a_writer_batch_by_metric_in_order_of_appearance() -> None:
    points = [("r", "loss", i, 1.0 / (i + 1), 0.0) for i in range(3)]
    points += [("r", "acc", 0, 0.5, 0.0), ("r", "loss", 3, 0.2, 0.0)]
    groups = group_points(points)
    assert list(groups) == ["loss", "acc"]
    assert list(groups["loss"][0]) == [0, 1, 2, 3] and list(groups["acc"][1]) == [0.5]
    assert group_points([]) == {}
