"""bqplot figures shared by the live chart and the comparison: a curve panel
(one metric, one or more curves, its own y scale) and a parallel-coordinates plot.

Built only when a view is shown (bqplot is imported by the caller, lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .svg import color


class CurvePanel:
    """One metric: a figure with its own y scale and one line per curve."""

    def __init__(self, widgets: Any, bq: Any, title: str, width: str = "310px") -> None:
        self.bq = bq
        self.x = bq.LinearScale()
        self.y = bq.LinearScale()
        axes = [
            bq.Axis(scale=self.x, label="step", num_ticks=4),
            bq.Axis(scale=self.y, orientation="vertical", tick_format=".3g", num_ticks=4),
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
                line.x = xs
                line.y = ys
                line.colors = [colour]
                line.labels = [label]
            if final:
                line.send_state(["x", "y", "colors", "labels"])

    def set_title(self, title: str) -> None:
        self.figure.title = title


def parallel_figure(widgets: Any, bq: Any, dims: Sequence[Any], rows: Sequence[Any]) -> Any:
    """Parallel coordinates: one vertical axis per dimension (params, then the
    metric), one polyline per run, coloured by its position on the metric."""
    import numpy as np

    names = [d.name for d in dims]
    x = bq.OrdinalScale(domain=names)
    y = bq.LinearScale(min=-0.05, max=1.08)
    marks = []
    for i, row in enumerate(rows):
        ys = np.array([np.nan if v is None else v for v in row.values], dtype=np.float64)
        marks.append(
            bq.Lines(
                x=names,
                y=ys,
                scales={"x": x, "y": y},
                colors=[row.color or color(i)],
                labels=[row.label],
                stroke_width=1.5,
                marker="circle",
                marker_size=16,
            )
        )
    ends = [(d.name, 1.04, d.high_label) for d in dims]
    ends += [(d.name, -0.04, d.low_label) for d in dims]
    marks.append(
        bq.Label(
            x=[e[0] for e in ends],
            y=[e[1] for e in ends],
            text=[e[2] for e in ends],
            scales={"x": x, "y": y},
            align="middle",
            default_size=11,
            colors=["#555"],
        )
    )
    axes = [
        bq.Axis(scale=x, grid_lines="solid", tick_rotate=0),
        bq.Axis(scale=y, orientation="vertical", tick_values=np.array([]), visible=False),
    ]
    return bq.Figure(
        marks=marks,
        axes=axes,
        animation_duration=0,
        fig_margin={"top": 20, "bottom": 40, "left": 20, "right": 20},
        layout=widgets.Layout(width=f"{max(400, 130 * len(dims))}px", height="280px"),
    )
