"""The redraw throttle, with the clock's readings passed in."""

from __future__ import annotations

from nbtrack.widgets.throttle import Throttle


def test_at_most_one_redraw_per_interval() -> None:
    t = Throttle(min_interval=0.5)
    drawn = []
    for i in range(100):  # a data batch every 0.1 s for 10 s
        now = i * 0.1
        if t.ready(now):
            t.done(now, cpu=0.001)
            drawn.append(now)
    assert 15 <= len(drawn) <= 20  # about 2 per second
    assert all(b - a >= 0.5 - 1e-9 for a, b in zip(drawn, drawn[1:], strict=False))


def test_expensive_redraws_stretch_the_interval_to_keep_within_budget() -> None:
    t = Throttle(min_interval=0.5, max_interval=5.0, budget=0.05)
    assert t.ready(0.0)
    t.done(0.0, cpu=0.2)  # 200 ms of the drawing thread's own CPU time
    assert t.interval == 4.0
    assert not t.ready(3.9) and t.ready(4.0)
    assert t.wait(3.0) == 1.0 and t.wait(4.5) == 0.0
    t.done(4.0, cpu=0.01)  # cheap again: back to the minimum interval
    assert t.interval == 0.5 and t.ready(4.5)


def test_the_chart_keeps_moving_however_expensive_a_redraw() -> None:
    t = Throttle(min_interval=0.5, max_interval=1.0, budget=0.02)
    t.done(0.0, cpu=3.0)
    assert t.interval == 1.0 and t.ready(1.0)


def test_waiting_for_the_gil_does_not_delay_the_next_redraw() -> None:
    # Under a training loop holding the GIL, a redraw that costs 2 ms of CPU can
    # take 1.4 s of wall time. Only its CPU time counts: the next one is due on time.
    t = Throttle(min_interval=0.5, max_interval=1.0, budget=0.02)
    t.done(0.0, cpu=0.002)
    finished = 1.4
    assert t.ready(finished) and t.wait(finished) == 0.0
