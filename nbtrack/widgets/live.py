"""The live chart under a tracked cell.

Fed by the metric writer (a subscriber called after each batch is written, so
`log()` pays nothing), it keeps a bounded curve per metric and redraws from its
own thread at most a few times per second. When the run ends it shows the final
state and leaves a static picture and a text summary in the cell's output, for
every place that cannot run widgets.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..series import Series
from ..session import current
from .batches import group_points
from .frontend import (
    ChartUnavailableError,
    bundle,
    close_tree,
    in_kernel,
    show,
    widget_libraries,
)
from .svg import Curve, Panel, color, curves_svg
from .text import final_values, live_summary, status_line
from .throttle import Throttle

if TYPE_CHECKING:
    from ..store.writer import Point
    from ..tracking import ActiveRun

MAX_PANELS = 8  # one panel per metric up to this many; the rest behind a picker
SVG_PANELS = 12
MAX_PENDING = 50_000  # points kept for the drawing thread before folding them anyway
MIN_SLEEP_S = 0.02  # never spin, whatever the clocks say


class Curves(NamedTuple):
    """A curve as one redraw sees it: its arrays and version, taken together."""

    steps: Any
    values: Any
    version: int


def open_live_view(run: ActiveRun) -> LiveView | None:
    """Show the live chart of `run` under the running cell. None outside a kernel
    (plain IPython, scripts): there the text summary printed at the end is the view."""
    if not in_kernel():
        return None
    return LiveView(run)


class LiveChart:
    """The widgets: a status line, one curve panel per metric, final values."""

    def __init__(self, name: str, flags: Sequence[str] = ()) -> None:
        widgets, bq = widget_libraries()
        self.widgets, self.bq = widgets, bq
        self.header = widgets.Label(value=status_line(name, "running", 0, flags))
        self.final = widgets.Label(value="")
        self.grid = widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row wrap"))
        self.picker = widgets.Dropdown(
            description="metric", options=[], layout=widgets.Layout(display="none")
        )
        self.root = widgets.VBox([self.header, self.grid, self.picker, self.final])
        self.panels: dict[str, Any] = {}  # key -> CurvePanel
        self.extra: Any = None  # the panel that shows the picked metric
        self.drawn: dict[str, int] = {}  # key -> Series.version on screen
        self.series: dict[str, Series | Curves] = {}
        self.picker.observe(self._picked, names="value")

    def draw(self, series: dict[str, Series | Curves], final: bool = False) -> None:
        from .charts import CurvePanel

        self.series = series
        keys = list(series)
        new = [k for k in keys[:MAX_PANELS] if k not in self.panels]
        for k in new:
            self.panels[k] = CurvePanel(self.widgets, self.bq, k)
        more = keys[MAX_PANELS:]
        if more and self.extra is None:
            self.extra = CurvePanel(self.widgets, self.bq, more[0])
            self.picker.layout.display = None
        if new or (more and len(self.grid.children) == len(self.panels)):
            figures = [p.figure for p in self.panels.values()]
            self.grid.children = figures + ([self.extra.figure] if self.extra else [])
        if more and list(self.picker.options) != more:
            self.picker.options = more
        for i, k in enumerate(keys[:MAX_PANELS]):
            s = series[k]
            if final or self.drawn.get(k) != s.version:
                self.panels[k].draw([(k, s.steps, s.values, color(i))], final=final)
                self.drawn[k] = s.version
        if self.extra is not None:
            self._draw_extra(final)

    def _draw_extra(self, final: bool = False) -> None:
        key = self.picker.value
        s = self.series.get(key) if key else None
        if s is None:
            return
        self.extra.set_title(key)
        self.extra.draw([(key, s.steps, s.values, color(MAX_PANELS))], final=final)

    def _picked(self, change: dict[str, Any]) -> None:
        if self.extra is not None:
            self._draw_extra()


class LiveView:
    def __init__(self, run: ActiveRun) -> None:
        self.name = run.name
        self.flags = run.flags  # e.g. "stale inputs: x", said in the status line
        self.run_id = run.id
        self.writer = run.writer
        self.start = run.start_time
        self.series: dict[str, Series] = {}
        self.throttle = Throttle()
        self._lock = threading.Lock()
        self._dirty = False
        self._pending: list[list[Point]] = []  # writer batches not yet in the curves
        self._pending_count = 0
        self._wake = threading.Event()  # new points, or the end
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.chart: LiveChart | None = None
        # The first run after `%load_ext` does not wait for the widget libraries:
        # its chart comes up from the view's thread once the warm-up has them.
        deferred = not current().warm_up.ready("chart")
        if not deferred:
            self.chart = self._make_chart()
        root = self.chart.root if self.chart else None
        self.handle = show(bundle(root, self._running_text()))
        self.writer.subscribe(run.id, self.on_points)
        if self.chart is not None or deferred:
            self._thread = threading.Thread(
                target=self._start_then_loop if deferred else self._loop,
                name=f"nbtrack-live-{run.name}",
                daemon=True,
            )
            self._thread.start()

    def _running_text(self) -> str:
        return "nbtrack: " + status_line(self.name, "running", None, self.flags)

    def _make_chart(self) -> LiveChart | None:
        try:
            return LiveChart(self.name, self.flags)
        except ChartUnavailableError as exc:
            print(f"nbtrack: {exc}; the curves will be shown when the run ends", file=sys.stderr)
            return None

    def _start_then_loop(self) -> None:
        """Wait (without holding up the run's end) for the warm-up to load the
        widget libraries, put the chart in place of the text, then draw."""
        warm_up = current().warm_up
        while not warm_up.wait("chart", 0.1):
            if self._stop.is_set():
                return
        chart = self._make_chart() if not self._stop.is_set() else None
        if chart is None:
            return
        with self._lock:  # close() decides under this lock: the final picture wins
            if self._stop.is_set():
                close_tree(chart.root)
                return
            self.chart = chart
            self._dirty = True
            self.handle.update(bundle(chart.root, self._running_text()), raw=True)
        self._loop()

    # -- data, on the writer's thread ----------------------------------------------

    def on_points(self, points: list[Point]) -> None:
        """Keep the writer's batch for the next redraw, which folds every batch since
        the last into the curves at once: the writer, which calls this after each
        flush (5 a second), does no array work, and the curves are touched by one
        thread. Without a drawing thread (or with a stalled one) fold now."""
        with self._lock:
            self._pending.append(points)
            self._pending_count += len(points)
            drawing = self._thread is not None and self._thread.is_alive()
            if not drawing or self._pending_count > MAX_PENDING:
                self._fold()
            was_dirty, self._dirty = self._dirty, True
        if not was_dirty:  # else the view already sleeps until its next redraw is due
            self._wake.set()

    def _fold(self) -> None:
        """Add the pending batches to the curves (with the lock held)."""
        if not self._pending:
            return
        batches, self._pending, self._pending_count = self._pending, [], 0
        points = batches[0] if len(batches) == 1 else [p for b in batches for p in b]
        for key, (steps, values) in group_points(points).items():
            s = self.series.get(key)
            if s is None:
                s = self.series[key] = Series()
            s.extend(steps, values)

    # -- drawing, on the view's thread -----------------------------------------------

    def _loop(self) -> None:
        """Redraw as soon as new points arrive and the throttle allows; tick the
        elapsed time in the status line every second. Woken by `on_points` rather
        than polling, so the first points show without waiting for a tick."""
        shown = -1
        try:
            while True:
                self._wake.clear()  # before looking: a wake-up from now on is kept
                now = time.monotonic()
                if self._dirty and self.throttle.ready(now):
                    cpu = time.thread_time()
                    self._redraw()
                    self.throttle.done(now, time.thread_time() - cpu)
                if self._stop.is_set():
                    return
                elapsed = time.time() - self.start
                if int(elapsed) != shown and self.chart is not None:
                    shown = int(elapsed)
                    self.chart.header.value = status_line(self.name, "running", shown, self.flags)
                delay = 1.0 - elapsed % 1.0  # the next whole second
                if self._dirty:
                    delay = min(delay, self.throttle.wait(time.monotonic()))
                self._wake.wait(max(delay, MIN_SLEEP_S))
        except Exception as exc:  # the run goes on; the final picture still comes
            print(
                f"nbtrack: the live chart stopped updating ({type(exc).__name__}: {exc})",
                file=sys.stderr,
            )

    def _redraw(self, final: bool = False) -> None:
        with self._lock:
            self._fold()
            self._dirty = False
            series = {k: Curves(s.steps, s.values, s.version) for k, s in self.series.items()}
        if self.chart is not None:
            self.chart.draw(series, final=final)

    # -- the end -------------------------------------------------------------------

    def close(self, status: str, summary: dict[str, dict[str, Any]]) -> None:
        """Leave the final state in the output as a picture (status, duration, final
        values and the curves) with a text summary, in place of the live widget.

        A widget view needs its model in the kernel or in saved widget state: a
        notebook reopened without either would show "model not found" where the
        chart was. The picture shows everywhere: JupyterLab, nbviewer, GitHub,
        nbconvert."""
        with self._lock:
            self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._dirty and not self._thread.is_alive():
                # the last points, so that saved widget state (an HTML export with
                # widgets) holds the whole run; the training is over, this is cheap
                self._redraw()
        self.writer.unsubscribe(self.run_id, self.on_points)
        seconds = time.time() - self.start
        with self._lock:
            self._fold()
            series = dict(self.series)
        text = live_summary(self.name, status, seconds, summary, self.flags)
        header = [status_line(self.name, status, seconds, self.flags), final_values(summary)]
        picture = static_picture(series, header)
        self.handle.update(bundle(None, text, picture), raw=True)
        if self.chart is not None:  # its models are no longer shown anywhere
            close_tree(self.chart.root)
            self.chart = None


def static_picture(series: dict[str, Series], header: Sequence[str] = ()) -> str | None:
    """The curves as SVG, one panel per metric, under `header` (None when nothing
    was logged)."""
    keys = [k for k in series][:SVG_PANELS]
    if not keys:
        return None
    panels = [
        Panel(k, [Curve(k, series[k].steps, series[k].values, color(i))])
        for i, k in enumerate(keys)
    ]
    return curves_svg(panels, header=[line for line in header if line])
