"""bqplot figures shared by the live chart and the comparison: a curve panel
(one metric, one or more curves, its own y scale) and a parallel-coordinates plot.

Built only when a view is shown (bqplot is imported by the caller, lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .ticks import step_domain, step_ticks

FIXED_TICKS_BELOW = 20  # steps: narrower ranges get explicit whole-number ticks


class CurvePanel:
    """One metric: a figure with its own y scale and one line per curve."""

    def __init__(self, widgets: Any, bq: Any, title: str, width: str = "310px") -> None:
        self.bq = bq
        self.x = bq.LinearScale()
        self.y = bq.LinearScale()
        self.x_axis = bq.Axis(scale=self.x, label="step", num_ticks=4, tick_format="d")
        self._x_fixed: tuple[Any, ...] | None = None  # the explicit ticks on screen
        axes = [
            self.x_axis,
            bq.Axis(scale=self.y, side="left", tick_format=".3g", num_ticks=4),
        ]
        self.lines: list[Any] = []
        self.figure = bq.Figure(
            marks=[],
            axes=axes,
            title=title,
            animation_duration=0,
            fig_margin={"top": 30, "bottom": 35, "left": 55, "right": 10},
            title_style={"font-size": "13px"},
            legend_location="top-right",
            layout=widgets.Layout(width=width, height="210px"),
        )

    def draw(self, curves: Sequence[tuple[str, Any, Any, str]], final: bool = False) -> None:
        """Show `curves` as (label, steps, values, colour). `final` sends every line's
        full state again, so that a saved notebook holds the last picture."""
        import numpy as np

        from ..series import drawable

        if len(curves) != len(self.lines):
            self.lines = [
                self.bq.Lines(
                    x=np.empty(0),
                    y=np.empty(0),
                    scales={"x": self.x, "y": self.y},
                    stroke_width=1.5,
                    display_legend=len(curves) > 1,
                )
                for _ in curves
            ]
            self.figure.marks = self.lines
        for line, (label, xs, ys, colour) in zip(self.lines, curves, strict=True):
            with line.hold_sync():
                line.x = np.asarray(xs, dtype=np.float64)  # bqplot's arrays are float64
                line.y = drawable(ys)  # non-finite values break the line
                line.colors = [colour]
                line.labels = [label]
                line.marker = "circle" if len(xs) == 1 else None  # a line needs two points
            if final:
                line.send_state(["x", "y", "colors", "labels", "marker"])
        self._step_axis([xs for _, xs, _, _ in curves if len(xs)])

    def _step_axis(self, steps: Sequence[Any]) -> None:
        """Whole-number ticks on the step axis. Over a few steps the chart's own ticks
        would be fractional (-0.0031 … 0.33 for one point), so they are given
        explicitly; past FIXED_TICKS_BELOW steps its own ticks are whole numbers."""
        fixed: tuple[Any, ...] | None = None
        if steps:
            low = min(float(xs[0]) for xs in steps)
            high = max(float(xs[-1]) for xs in steps)
            if high - low < FIXED_TICKS_BELOW:
                fixed = (*step_domain(low, high), *step_ticks(low, high))
        if fixed == self._x_fixed:
            return  # nothing to send
        import numpy as np

        self._x_fixed = fixed
        with self.x.hold_sync():
            self.x.min, self.x.max = (float(fixed[0]), float(fixed[1])) if fixed else (None, None)
        self.x_axis.tick_values = np.array(fixed[2:], dtype=np.float64) if fixed else None

    def set_title(self, title: str) -> None:
        self.figure.title = title


class ParallelPlot:
    """Parallel coordinates: one vertical axis per dimension (params, then the
    metric), one polyline per run. Updated in place while the dimensions stay."""

    def __init__(self, widgets: Any, bq: Any) -> None:
        self.widgets, self.bq = widgets, bq
        self.box = widgets.Box()
        self._shape: tuple[Any, ...] = ()
        self._lines: list[Any] = []
        self._ends: Any = None

    def draw(self, dims: Sequence[Any], rows: Sequence[Any]) -> None:
        import numpy as np

        names = [d.name for d in dims]
        shape = (tuple(names), len(rows))
        if shape != self._shape:
            self._build(names, len(rows))
            self._shape = shape
        for line, row in zip(self._lines, rows, strict=True):
            ys = np.array([np.nan if v is None else v for v in row.values], dtype=np.float64)
            with line.hold_sync():
                line.y = ys
                line.colors = [row.color]
                line.labels = [row.label]
        ends = [(d.name, 1.04, d.high_label) for d in dims]
        ends += [(d.name, -0.04, d.low_label) for d in dims]
        if self._ends is not None:
            self._ends.text = [e[2] for e in ends]

    def _build(self, names: list[str], n_rows: int) -> None:
        import numpy as np

        bq = self.bq
        if not names:
            self.box.children = [self.widgets.Label(value="no params or metrics to compare")]
            self._lines, self._ends = [], None
            return
        x = bq.OrdinalScale(domain=names)
        y = bq.LinearScale(min=-0.08, max=1.1)
        self._lines = [
            bq.Lines(
                x=names,
                y=np.zeros(len(names)),
                scales={"x": x, "y": y},
                stroke_width=1.5,
                marker="circle",
                marker_size=16,
            )
            for _ in range(n_rows)
        ]
        self._ends = bq.Label(
            x=names + names,
            y=[1.04] * len(names) + [-0.04] * len(names),
            text=[""] * (2 * len(names)),
            scales={"x": x, "y": y},
            align="middle",
            default_size=11,
            colors=["#555"],
        )
        axes = [
            bq.Axis(scale=x, grid_lines="solid", grid_color="#999"),
            bq.Axis(scale=y, side="left", visible=False),
        ]
        self.box.children = [
            bq.Figure(
                marks=[*self._lines, self._ends],
                axes=axes,
                animation_duration=0,
                title="params → metric (each line a run; colour: metric, blue low, red high)",
                title_style={"font-size": "12px"},
                fig_margin={"top": 30, "bottom": 40, "left": 30, "right": 30},
                layout=self.widgets.Layout(width=f"{max(420, 130 * len(names))}px", height="280px"),
            )
        ]
