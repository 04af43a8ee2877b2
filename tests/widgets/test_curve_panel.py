"""The live chart's curve panel, on real bqplot widgets (no frontend needed)."""

from __future__ import annotations

import numpy as np
import pytest

from nbtrack.widgets.charts import CurvePanel

bq = pytest.importorskip("bqplot")
widgets = pytest.importorskip("ipywidgets")


def _ticks(panel: CurvePanel) -> list[float] | None:
    values = panel.x_axis.tick_values
    return None if values is None else list(values)


def test_a_one_point_metric_shows_its_point_on_a_whole_step_axis() -> None:
    panel = CurvePanel(widgets, bq, "final_acc")
    panel.draw([("final_acc", np.array([7.0]), np.array([0.93]), "#1f77b4")])
    (line,) = panel.lines
    assert line.marker == "circle"  # a line through one point draws nothing
    assert (panel.x.min, panel.x.max) == (7.0, 8.0)
    assert _ticks(panel) == [7.0, 8.0]  # never -0.0031 … 0.33


def test_step_ticks_stay_whole_as_the_run_grows() -> None:
    panel = CurvePanel(widgets, bq, "loss")
    steps = np.arange(3.0)
    panel.draw([("loss", steps, 1 / (steps + 1), "#1f77b4")])
    assert panel.lines[0].marker is None
    assert _ticks(panel) == [0.0, 1.0, 2.0] and (panel.x.min, panel.x.max) == (0.0, 2.0)
    steps = np.arange(3000.0)
    panel.draw([("loss", steps, 1 / (steps + 1), "#1f77b4")])
    # a long range: the chart's own ticks, which are whole numbers there ("d" format)
    assert _ticks(panel) is None and panel.x.min is None and panel.x.max is None
    assert panel.x_axis.tick_format == "d"


def test_curves_of_several_runs_share_the_step_range() -> None:
    panel = CurvePanel(widgets, bq, "loss")
    panel.draw(
        [
            ("a", np.array([0.0, 1.0]), np.array([1.0, 0.5]), "#1f77b4"),
            ("b", np.array([2.0, 4.0]), np.array([1.0, 0.5]), "#ff7f0e"),
        ]
    )
    assert (panel.x.min, panel.x.max) == (0.0, 4.0)
    assert _ticks(panel) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_the_value_axis_is_vertical() -> None:
    # bqplot 0.13 places an axis by `side`; its old `orientation` argument is ignored,
    # which drew the value axis along the bottom, over the step axis.
    panel = CurvePanel(widgets, bq, "loss")
    x_axis, y_axis = panel.figure.axes
    assert (x_axis.side, y_axis.side) == ("bottom", "left")
