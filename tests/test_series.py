"""The one series core: bounded curves that keep what a user looks for. Pure, fast."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from nbtrack.series import (
    Point,
    Series,
    bucket_count,
    bucket_width,
    downsample,
    drawable,
    grid_bounds,
    merge,
    thin,
)


def series(values: list[float], start_step: int = 0) -> list[Point]:
    return [Point(i + 1, start_step + i, v, 1000.0 + i) for i, v in enumerate(values)]


def test_short_series_are_left_alone() -> None:
    points = series([3.0, 1.0, 2.0])
    assert downsample(points, 4) == points


def test_downsampling_keeps_extremes_ends_and_the_budget() -> None:
    rng = random.Random(7)
    values = [rng.gauss(0, 1) for _ in range(10_000)]
    values[1234] = 50.0
    values[8765] = -50.0
    points = series(values)
    out = downsample(points, 100)
    assert 25 < len(out) <= 100
    kept = [p.value for p in out]
    assert 50.0 in kept and -50.0 in kept
    assert out[0] == points[0] and out[-1] == points[-1]
    assert [p.step for p in out] == sorted(p.step for p in out)
    assert set(out) <= set(points)


def test_every_bucket_keeps_its_own_low_and_high() -> None:
    points = series([float(i % 10) for i in range(1000)])
    width = bucket_width(0, 999, 22)
    assert width == 128  # the smallest power of two giving at most 10 buckets
    out = downsample(points, 22)
    for lo, hi in grid_bounds(0, 999, width):
        inside = [p.value for p in out if lo <= p.step < hi]
        assert 0.0 in inside and 9.0 in inside


def test_nan_is_neither_low_nor_high_and_all_nan_buckets_keep_a_gap() -> None:
    values = [math.nan] * 128 + [1.0, math.nan, -1.0, math.inf] * 32
    out = downsample(series(values), 6)  # 2 buckets of 128 steps
    second = [p.value for p in out if p.step >= 128]
    assert math.inf in second and -1.0 in second
    assert not any(math.isnan(v) for v in second)
    first = [p for p in out if p.step < 128]
    assert first and all(math.isnan(p.value) for p in first)


def test_none_counts_as_nan() -> None:
    points = series([None] * 10 + [2.0] * 10)  # type: ignore[list-item]
    out = downsample(points, 4)
    assert [p.step for p in out] == [0, 10, 19]  # the ends, and the first 2.0: no NaN


def test_ties_go_to_the_earliest_point() -> None:
    out = downsample(series([1.0] * 50), 4)  # one bucket
    assert [p.step for p in out] == [0, 49]
    out = downsample(series([1.0] * 50), 6)
    assert [p.step for p in out] == [0, 32, 49]  # buckets [0, 32) and [32, 64)


def test_repeated_steps_and_gaps() -> None:
    points = sorted(
        [Point(i, s, float(i), 0.0) for i, s in enumerate([5] * 30 + [10_000] * 30)],
        key=lambda p: (p.step, p.id),
    )
    out = downsample(points, 10)
    assert {p.value for p in out} >= {0.0, 29.0, 30.0, 59.0}
    assert len(out) <= 10


@pytest.mark.parametrize(
    ("first", "last", "max_points"),
    [(0, 0, 5), (0, 9, 6), (-5, 5, 100), (3, 1_000_002, 16), (2**60, 2**60 + 5000, 10)],
)
def test_grid_buckets_are_aligned_and_within_budget(first: int, last: int, max_points: int) -> None:
    width = bucket_width(first, last, max_points)
    assert isinstance(width, int) and width & (width - 1) == 0
    bounds = grid_bounds(first, last, width)
    assert len(bounds) <= bucket_count(max_points)
    assert bounds[0][0] <= first < bounds[0][1] and bounds[-1][0] <= last < bounds[-1][1]
    assert all(lo % width == 0 and hi - lo == width for lo, hi in bounds)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    if width > 1:  # and no narrower width would do
        assert len(grid_bounds(first, last, width // 2)) > bucket_count(max_points)


def test_float_x_gets_fractional_widths() -> None:
    times = np.linspace(0.0, 0.5, 5000)  # half a second of wall time
    values = np.sin(times * 40)
    values[1234] = 9.0
    xs, ys = thin(times, values, 100)
    assert len(xs) <= 100 and 9.0 in ys and xs[0] == 0.0 and xs[-1] == 0.5
    assert bucket_width(0.0, 0.5, 100) < 1


def test_max_points_below_four_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        bucket_count(3)


def test_merge_drops_duplicates_and_orders_by_step() -> None:
    a, b = Point(2, 5, 1.0, 0.0), Point(1, 3, 2.0, 0.0)
    assert merge([a, b, a]) == [b, a]


def test_a_million_points_become_a_few_thousand_keeping_spikes_and_ends() -> None:
    steps = np.arange(1_000_000)
    values = np.sin(steps / 5000.0)
    values[123_457] = 50.0  # a spike a user must still see
    values[777_777] = -50.0
    xs, ys = thin(steps, values, max_points=2000)
    assert 500 < len(xs) <= 2000
    assert ys.max() == 50.0 and ys.min() == -50.0
    assert xs[0] == 0 and xs[-1] == 999_999  # the whole range, in step order
    assert (np.diff(xs) >= 0).all()


def test_short_curves_are_sorted_and_keep_non_finite_values() -> None:
    xs, ys = thin([2, 0, 1, 3], [1.0, math.nan, 3.0, math.inf])
    assert list(xs) == [0, 1, 2, 3]
    assert math.isnan(ys[0]) and list(ys[1:]) == [3.0, 1.0, math.inf]


def test_charts_draw_every_non_finite_value_as_a_break() -> None:
    out = drawable([1.0, math.nan, math.inf, -math.inf, 2.0])
    assert out[0] == 1.0 and out[4] == 2.0 and np.isnan(out[1:4]).all()


@pytest.mark.parametrize("batch", [1, 37, 5000, 200_000])
def test_a_streamed_series_keeps_exactly_what_thinning_the_whole_would(batch: int) -> None:
    rng = np.random.default_rng(3)
    n = 40 * batch if batch < 5000 else 200_000
    steps = np.arange(n)
    values = np.cos(steps / 1000.0) + rng.normal(0, 0.1, n)
    values[rng.integers(0, n, n // 50)] = np.nan
    s = Series(max_points=1000)
    for start in range(0, n, batch):
        s.extend(steps[start : start + batch], values[start : start + batch])
        assert len(s.steps) <= 1000
    assert s.count == n
    xs, ys = thin(steps, values, 1000)
    assert list(s.steps) == list(xs)
    np.testing.assert_array_equal(s.values, ys)
    if n > 1000:  # old and new parts of the curve have the same resolution
        halves = np.searchsorted(s.steps, n / 2)
        assert 0.35 < halves / len(s.steps) < 0.65


def test_series_sorts_steps_logged_out_of_order_and_counts_every_point() -> None:
    s = Series()
    s.extend([0, 1, 2], [1.0, 2.0, 3.0])
    s.extend([1, 5], [math.nan, 0.5])
    s.extend([3], [9.0])
    assert list(s.steps) == [0, 1, 1, 2, 3, 5] and s.count == 6
    assert math.isnan(s.values[2])
    assert s.version == 3
