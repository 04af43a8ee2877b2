"""When to redraw a live chart. Pure: the caller passes the clock's readings.

A redraw happens at most every `min_interval` seconds. If redraws turn out to be
slow (a busy kernel, a big figure), the interval stretches so that drawing takes
at most `budget` of the time: the chart gets choppier, training does not.
"""

from __future__ import annotations

import math


class Throttle:
    def __init__(self, min_interval: float = 0.5, budget: float = 0.03) -> None:
        self.min_interval = min_interval
        self.budget = budget
        self.interval = min_interval
        self.last = -math.inf

    def ready(self, now: float) -> bool:
        """True when a redraw may start at `now`."""
        return now - self.last >= self.interval

    def done(self, started: float, finished: float) -> None:
        """Record a redraw that ran from `started` to `finished`."""
        self.last = finished
        self.interval = max(self.min_interval, (finished - started) / self.budget)
