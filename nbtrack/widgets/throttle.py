"""When to redraw a live chart. Pure: the caller passes the clock's readings.

A redraw may start `min_interval` seconds after the previous one started. When
redraws turn out to be expensive (many panels, a slow serializer), the interval
stretches so that drawing's own CPU time stays within `budget` of the time, up to
`max_interval`, so that the chart keeps moving however busy the kernel is.

The cost is the drawing thread's CPU time (`time.thread_time()`), never its wall
time: under a training loop that holds the GIL, a redraw's wall time is mostly
waiting for the GIL, which costs the loop nothing. Stretching by wall time let one
slow-looking redraw push the next past the end of the run.
"""

from __future__ import annotations

import math


class Throttle:
    def __init__(
        self, min_interval: float = 0.5, max_interval: float = 1.0, budget: float = 0.02
    ) -> None:
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.budget = budget
        self.interval = min_interval
        self.next = -math.inf

    def ready(self, now: float) -> bool:
        """True when a redraw may start at `now`."""
        return now >= self.next

    def wait(self, now: float) -> float:
        """Seconds from `now` until a redraw may start (0 when it may start now)."""
        return max(0.0, self.next - now)

    def done(self, started: float, cpu: float) -> None:
        """Record a redraw that started at `started` and cost the process `cpu`
        seconds of the drawing thread's own CPU time."""
        wanted = cpu / self.budget
        self.interval = min(self.max_interval, max(self.min_interval, wanted))
        self.next = started + self.interval
