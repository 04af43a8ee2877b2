"""`nbtrack.compare(runs)`: runs side by side in the notebook.

A table (params that differ highlighted), the curves of a chosen metric overlaid,
parallel coordinates of params against that metric, and the runs' images, figures
and tables side by side at a chosen step (compare_media.py: an HTML widget under
the view, and the output's text/html for frontends without widgets). While any of the runs is
running, the view polls the store and follows them. Like the live chart, its
output also carries a picture and a text table for places without widgets.
"""

from __future__ import annotations

import html
import sys
import threading
from typing import Any

from ..errors import NbtrackError
from ..metric_input import as_step
from ..store import Store
from .compare_data import CompareSource
from .compare_media import MediaRow, media_grid, media_html, media_text, steps_of, thumbnail
from .frontend import ChartUnavailableError, bundle, in_kernel, show, widget_libraries
from .parallel import parallel_coordinates
from .svg import Curve, Panel, color, curves_svg
from .table import differing_params, html_table, metric_keys
from .text import compare_table

POLL_S = 1.0
LAST = "last"  # the step picker's "each run's last step"


def _colors(n: int) -> list[str]:
    return [color(i) for i in range(n)]


def _cell_key(row: MediaRow) -> tuple[Any, ...]:
    return (
        row.name,
        tuple((c.step, tuple(r["hash"] for r in c.rows), tuple(c.other_steps)) for c in row.cells),
    )


def picture_html(svg: str | None) -> str:
    """The curves' SVG as an <img> (its text stays inert), or nothing."""
    if svg is None:
        return ""
    import base64

    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<div><img src="data:image/svg+xml;base64,{data}" /></div>'


def compare(
    runs: Any,
    metric: str | None = None,
    *,
    step: int | None = None,
    store: str | Store | None = None,
    poll: float = POLL_S,
) -> Comparison:
    """Compare runs in the notebook. `runs`: a run reference (`"train#4"`,
    `"baseline"`, `"latest"`), a `Run`, a list of either, or a DataFrame from
    `nbtrack.runs()`. `metric`: the metric whose curves are shown first (default:
    the one most runs logged). `step`: the step at which logged images, figures and
    tables are shown side by side (default: each run's last step of each name).
    Displaying the result shows the view; while a run is still running it updates
    every `poll` seconds."""
    return Comparison(runs, metric=metric, store=store, poll=poll, step=step)


class Comparison:
    def __init__(
        self,
        runs: Any,
        metric: str | None,
        store: str | Store | None,
        poll: float,
        step: int | None = None,
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
        self.step = None if step is None else as_step(step)
        self._media_rows: list[list[dict[str, Any]]] = []
        self._blobs: Any = None
        self._blob_cache: dict[str, tuple[bytes, str]] = {}
        self._media_memo: tuple[Any, str] | None = None
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
        self._media_rows = self.source.read_media()

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
        media = self.media_text()
        return self.text() + ("\n\n" + media if media else "")

    # -- media side by side (compare_media.py) ---------------------------------------

    def media_grid(self) -> list[MediaRow]:
        return media_grid(self._media_rows, self.step)

    def media_steps(self) -> list[int]:
        """The steps at which the runs logged images, figures or tables."""
        return steps_of(self._media_rows)

    def media_text(self) -> str:
        return media_text(self.media_grid(), [r["name"] for r in self.runs], self.step)

    def media_html(self) -> str:
        """The runs' images and figures side by side at `step`, as HTML."""
        grid = self.media_grid()
        if not grid:
            return ""
        names = [r["name"] for r in self.runs]
        # Redrawn on every poll while runs run: built again only when it changed.
        key = (self.step, tuple(names), tuple(_cell_key(row) for row in grid))
        if self._media_memo is not None and self._media_memo[0] == key:
            return self._media_memo[1]
        try:
            shown = media_html(grid, names, self.step, self._read_blob, _colors(len(names)))
        except NbtrackError as exc:  # the rest of the comparison stands; say why
            return f"<p>nbtrack: the runs' media cannot be shown: {html.escape(str(exc))}</p>"
        self._media_memo = (key, shown)
        return shown

    def _read_blob(self, digest: str, mime: str) -> tuple[bytes, str]:
        """A picture as embedded (scaled down when big), read once per comparison."""
        shown = self._blob_cache.get(digest)
        if shown is None:
            if self._blobs is None:
                from ..media.where import blobs_for_store

                self._blobs = blobs_for_store(self.source.store.url)
            shown = thumbnail(self._blobs.read_bytes(digest), mime)
            self._blob_cache[digest] = shown
        return shown

    def at_step(self, step: int | None) -> None:
        """Show the media at `step` (None: each run's last step); what the step
        picker does."""
        with self._lock:
            self.step = None if step is None else as_step(step)
            if self._view is not None:
                self._view.draw(final=True)
            if self._handle is not None:
                self._handle.update(self._bundle(), raw=True)

    def _bundle(self) -> dict[str, Any]:
        root = self._view.root if self._view is not None else None
        picture = self.picture()
        data = bundle(root, repr(self), picture)
        media = self.media_html()
        if media:
            # Frontends without widgets (nbconvert, GitHub) show HTML before SVG:
            # give them the curves and the media together.
            data["text/html"] = picture_html(picture) + media
        return data

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
            self._media_rows = self.source.read_media()
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
        self._widgets = widgets
        # The media side by side and their step: added once the runs have media.
        self.step_picker: Any = None
        self.media: Any = None
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
        self._draw_media()

    def _draw_media(self) -> None:
        c = self.c
        steps = c.media_steps()
        if not steps:
            return
        if self.step_picker is None:
            self.step_picker = self._widgets.Dropdown(description="media step")
            self.media = self._widgets.HTML()
            self.step_picker.observe(self._stepped, names="value")
            self.root.children = (*self.root.children, self.step_picker, self.media)
        value = LAST if c.step is None else c.step
        # A step no run has (step=7) is still the one asked for: offered too.
        shown = sorted({*steps, value}) if value != LAST else steps
        options = [("last", LAST)] + [(str(s), s) for s in shown]
        if list(self.step_picker.options) != options:
            self.step_picker.options = options
        self.step_picker.value = value
        media = c.media_html()
        if self.media.value != media:
            self.media.value = media

    def _stepped(self, change: dict[str, Any]) -> None:
        if not self._drawing:
            new = change["new"]
            self.c.at_step(None if new == LAST else new)

    def _picked(self, change: dict[str, Any]) -> None:
        if not self._drawing and change["new"] and change["new"] != self.c.metric:
            self.c.choose(change["new"])
