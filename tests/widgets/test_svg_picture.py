"""The static picture: valid SVG, one polyline per curve, user text kept as text."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np

from nbtrack.widgets.svg import Curve, Panel, curves_svg

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def test_one_panel_per_metric_one_polyline_per_curve() -> None:
    steps = np.arange(100)
    panels = [
        Panel("loss", [Curve("run a", steps, 1 / (steps + 1)), Curve("run b", steps, steps * 0.0)]),
        Panel("acc", [Curve("run a", steps, steps / 100)]),
        Panel("lr", [Curve("run a", steps, np.full(100, 1e-3))]),  # flat: drawn mid-height
    ]
    root = _parse(curves_svg(panels, columns=2))
    groups = root.findall(f"{NS}g")
    assert [g.get("data-title") for g in groups] == ["loss", "acc", "lr"]
    lines = root.iter(f"{NS}polyline")
    assert [p.get("data-label") for p in lines] == ["run a", "run b", "run a", "run a"]
    assert root.get("width") == "600" and root.get("height") == "340"  # 2 columns, 2 rows


def test_points_fit_the_panel_and_long_curves_are_downsampled() -> None:
    steps = np.arange(200_000)
    svg = curves_svg([Panel("loss", [Curve("loss", steps, np.sin(steps / 1e4))])])
    (line,) = _parse(svg).iter(f"{NS}polyline")
    pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(pts) <= 600
    xs, ys = zip(*pts, strict=True)
    assert min(xs) >= 58 and max(xs) <= 290 and min(ys) >= 22 and max(ys) <= 146
    assert len(svg) < 20_000


def test_user_text_is_escaped_never_markup() -> None:
    evil = '</text><script>alert("x")</script>&\x01'
    svg = curves_svg([Panel(evil, [Curve(evil, [0, 1], [1.0, 2.0]), Curve("b", [0], [1.0])])])
    root = _parse(svg)
    assert not list(root.iter(f"{NS}script"))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert '</text><script>alert("x")</script>&' in texts  # the title and the legend
    assert "<script>" not in svg


def test_a_curve_without_finite_values_says_so() -> None:
    svg = curves_svg([Panel("loss", [Curve("loss", [0, 1], [math.nan, math.inf])])])
    root = _parse(svg)
    assert not list(root.iter(f"{NS}polyline"))
    assert "no finite values" in [t.text for t in root.iter(f"{NS}text")]


def test_axis_labels_are_short_but_tell_the_ends_apart() -> None:
    from nbtrack.widgets.svg import axis_labels

    assert axis_labels(0.000333333, 1.0) == ("0.000333", "1")
    assert axis_labels(500_000.0, 500_049.0) == ("500000", "500049")
    assert axis_labels(0.001, 0.001) == ("0.001", "0.001")
    assert axis_labels(40_000.0, 40_049.0) == ("40000", "40049")
    assert axis_labels(0.5, 0.5001) == ("0.5", "0.5001")
    assert axis_labels(9.0e9, 9.0e9 + 49) == ("9e+09", "9.00000005e+09")
