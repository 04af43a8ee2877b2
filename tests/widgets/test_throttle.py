"""The redraw throttle, with the clock's readings passed in."""

from __future__ import annotations

from nbtrack.widgets.throttle import Throttle


def test_at_most_one_redraw_per_interval() -> None:
    t = Throttle(min_interval=0.5)
    drawn = []
    for i in range(100):  # a data batch every 0.1 s for 10 s
        now = i * 0.1
        if t.ready(now):
            t.done(now, now + 0.001)
            drawn.append(now)
    assert 15 <= len(drawn) <= 20  # about 2 per second
    assert all(b - a >= 0.5 - 1e-9 for a, b in zip(drawn, drawn[1:], strict=False))


def test_slow_redraws_stretch_the_interval_to_keep_within_budget() -> None:
    t = Throttle(min_interval=0.5, budget=0.05)
    assert t.ready(0.0)
    t.done(0.0, 0.2)  # a 200 ms redraw
    assert t.interval == 4.0
    assert not t.ready(3.0) and t.ready(4.2)
    t.done(4.2, 4.21)  # fast again: back to the minimum interval
    assert t.interval == 0.5 and t.ready(4.71)
