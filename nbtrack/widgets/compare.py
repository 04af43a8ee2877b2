"""`nbtrack.compare(runs)`: runs side by side in the notebook.

A table (params that differ highlighted), the curves of a chosen metric overlaid,
and parallel coordinates of params against that metric. While any of the runs is
running, the view polls the store and follows them. Like the live chart, its
output also carries a picture and a text table for places without widgets.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from ..errors import NbtrackError
from ..store import Store
from .compare_data import CompareSource
from .frontend import ChartUnavailableError, bundle, in_kernel, show, widget_libraries
from .parallel import parallel_coordinates
from .svg import Curve, Panel, color, curves_svg
from .table import differing_params, html_table, metric_keys
from .text import compare_table

POLL_S = 1.0


def compare(
    runs: Any, metric: str | None = None, *, store: str | Store | None = None, poll: float = POLL_S
) -> Comparison:
    """Compare runs in the notebook. `runs`: a run reference (`"train#4"`,
    `"baseline"`, `"latest"`), a `Run`, a list of either, or a DataFrame from
    `nbtrack.runs()`. `metric`: the metric whose curves are shown first (default:
    the one most runs logged). Displaying the result shows the view; while a run is
    still running it updates every `poll` seconds."""
    return Comparison(runs, metric=metric, store=store, poll=poll)


class Comparison:
    def __init__(
        self, runs: Any, metric: str | None, store: str | Store | None, poll: float
    ) -> None:
        self.source = CompareSource(runs, store)
        if not self.source.ids:
            raise NbtrackError(
                "nbtrack.compare() got no runs: pass run references (['train#3', 'latest']) "
                "or a DataFrame from nbtrack.runs() that has rows"
            )
        self.poll = poll
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: Any = None
        self._view: CompareWidgets | None = None
        runs_ = self.source.refresh_runs()
        keys = metric_keys(runs_)
        if metric is not None and metric not in keys:
            raise NbtrackError(
                f"none of these runs logged a metric named {metric!r}; "
                f"they have: {', '.join(keys) or 'no metrics'}"
            )
        self.metric = metric if metric is not None else (keys[0] if keys else None)
        if self.metric is not None:
            self.source.read_curves(self.metric)

    # -- renditions --------------------------------------------------------------

    @property
    def runs(self) -> list[dict[str, Any]]:
        return self.source.runs

    def text(self) -> str:
        runs = self.runs
        keys = metric_keys(runs)
        return compare_table(runs, differing_params(runs), keys)

    def picture(self) -> str | None:
        """The chosen metric's curves, one per run, as SVG."""
        if self.metric is None:
            return None
        curves = self.source.curves.get(self.metric, {})
        drawn = [
            Curve(r["name"], curves[r["id"]].steps, curves[r["id"]].values, color(i))
            for i, r in enumerate(self.runs)
            if r["id"] in curves
        ]
        return curves_svg([Panel(self.metric, drawn)])

    def __repr__(self) -> str:
        return self.text()

    def _bundle(self) -> dict[str, Any]:
        root = self._view.root if self._view is not None else None
        return bundle(root, self.text(), self.picture())

    def _ipython_display_(self) -> None:
        if in_kernel() and self._view is None:
            try:
                self._view = CompareWidgets(self)
            except ChartUnavailableError as exc:
                print(f"nbtrack: {exc}; showing a picture instead", file=sys.stderr)
        if self._view is not None:
            self._view.draw(final=True)
        self._handle = show(self._bundle())
        if self.source.running and in_kernel():
            self.follow()

    # -- following running runs ----------------------------------------------------

    def follow(self) -> None:
        """Poll the store while any run is running (started when the view is shown)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="nbtrack-compare", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following the runs."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.poll):
                self.refresh()
                if not self.source.running:
                    break
        except Exception as exc:  # the notebook goes on; the view just stops following
            print(
                f"nbtrack: the comparison stopped updating ({type(exc).__name__}: {exc})",
                file=sys.stderr,
            )

    def refresh(self) -> None:
        """Re-read the runs and the chosen metric's curves, and redraw."""
        with self._lock:
            was_running = self.source.running
            self.source.refresh_runs()
            if self.metric is None:
                keys = metric_keys(self.runs)
                self.metric = keys[0] if keys else None
            if self.metric is not None:
                self.source.read_curves(self.metric)
            ended = was_running and not self.source.running
            if self._view is not None:
                self._view.draw(final=ended)
            if ended and self._handle is not None:
                self._handle.update(self._bundle(), raw=True)  # the final picture

    def choose(self, metric: str) -> None:
        """Show `metric`'s curves (what the metric picker does)."""
        with self._lock:
            self.metric = metric
            self.source.read_curves(metric)
            if self._view is not None:
                self._view.draw(final=True)
            if self._handle is not None:
                self._handle.update(self._bundle(), raw=True)


class CompareWidgets:
    """The widgets of a comparison: header, table, metric picker, curves, parallel
    coordinates."""

    def __init__(self, comparison: Comparison) -> None:
        widgets, bq = widget_libraries()
        from .charts import CurvePanel, ParallelPlot

        self.c = comparison
        self.header = widgets.Label()
        self.table = widgets.HTML()
        self.picker = widgets.Dropdown(description="metric")
        self.curves = CurvePanel(widgets, bq, "", width="640px")
        self.parallel = ParallelPlot(widgets, bq)
        self.root = widgets.VBox(
            [self.header, self.table, self.picker, self.curves.figure, self.parallel.box]
        )
        self._drawing = False
        self.picker.observe(self._picked, names="value")

    def draw(self, final: bool = False) -> None:
        """Show the comparison's current state. `final` sends the curves' whole state
        again, so that a saved notebook holds them."""
        self._drawing = True
        try:
            self._draw(final)
        finally:
            self._drawing = False

    def _draw(self, final: bool) -> None:
        c = self.c
        runs = c.runs
        colors = [color(i) for i in range(len(runs))]
        keys = metric_keys(runs)
        running = sum(r["status"] == "running" for r in runs)
        self.header.value = f"{len(runs)} runs" + (f" · {running} running" if running else "")
        self.table.value = html_table(runs, keys, colors)
        if list(self.picker.options) != keys:
            self.picker.options = keys
        if c.metric is not None and self.picker.value != c.metric:
            self.picker.value = c.metric
        curves = c.source.curves.get(c.metric, {}) if c.metric else {}
        self.curves.set_title(c.metric or "no metrics logged")
        self.curves.draw(
            [
                (r["name"], curves[r["id"]].steps, curves[r["id"]].values, colors[i])
                for i, r in enumerate(runs)
                if r["id"] in curves
            ],
            final=final,
        )
        differ = differing_params(runs)
        params = differ or sorted({k for r in runs for k in r["params"]})
        self.parallel.draw(*parallel_coordinates(runs, params, c.metric))

    def _picked(self, change: dict[str, Any]) -> None:
        if not self._drawing and change["new"] and change["new"] != self.c.metric:
            self.c.choose(change["new"])
