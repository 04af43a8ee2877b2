"""Step-axis ticks: whole numbers, nicely spaced, one step wide at least."""

from __future__ import annotations

import pytest

from nbtrack.widgets.ticks import format_step, step_domain, step_ticks


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 0, [0, 1]),  # one point: widened to one step, never -0.0031 … 0.33
        (0, 1, [0, 1]),
        (0, 3, [0, 1, 2, 3]),
        (0, 10, [0, 5, 10]),
        (0, 2999, [0, 1000, 2000]),
        (7, 7, [7, 8]),
        (0.2, 2.7, [0, 1, 2, 3]),
        (-5, 5, [-5, 0, 5]),
        (100_000, 100_049, [100_000, 100_020, 100_040]),
    ],
)
def test_step_ticks_are_whole_numbers_within_the_range(
    low: float, high: float, ticks: list[int]
) -> None:
    assert step_ticks(low, high) == ticks
    lo, hi = step_domain(low, high)
    assert all(isinstance(t, int) and lo <= t <= hi for t in ticks)


def test_never_more_than_one_tick_past_the_count() -> None:
    for high in range(1, 5000, 7):
        assert 2 <= len(step_ticks(0, high, count=4)) <= 5


def test_steps_print_as_whole_numbers() -> None:
    assert [format_step(s) for s in (0, 3.0, 2999.0, 12_345.0, -1.0)] == [
        "0",
        "3",
        "2999",
        "12,345",
        "-1",
    ]
