"""The static picture: valid SVG, one polyline per curve, user text kept as text."""

from __future__ import annotations

import math
import re
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
    assert root.get("viewBox") == "0 0 600 340"  # 2 columns, 2 rows


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


def test_the_picture_scales_to_the_width_of_the_output() -> None:
    # Three panels are 900 units wide; a notebook's output is often ~770 px. Sized in
    # pixels, the picture was cut off; it now fills the output and keeps its shape.
    steps = np.arange(10)
    panels = [Panel(k, [Curve(k, steps, steps * 1.0)]) for k in ("a", "b", "c")]
    root = _parse(curves_svg(panels, header=["run · finished · 2.0s"]))
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox") == "0 0 900 194"
    assert root.get("style") == "max-width:900px"


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_reads_on_the_pictures_own_background_in_light_and_dark() -> None:
    # Shown as an <img>, the picture sees neither the page's colours nor its CSS: on
    # JupyterLab's Dark theme its black text was invisible. It brings its background.
    svg = curves_svg(
        [Panel("loss", [Curve("loss", [0, 1, 2], [3.0, 2.0, 1.0])]), Panel("x", [])],
        header=["train · finished · 2.0s", "loss=1"],
    )
    root = _parse(svg)
    (bg, *_) = root.iter(f"{NS}rect")
    assert bg.get("class") == "nbtrack-bg"
    box = tuple(bg.get(k) for k in ("x", "y", "width", "height"))
    assert box == tuple(root.get("viewBox").split())  # all of the picture, opaque
    (style,) = root.iter(f"{NS}style")
    dark_rules = re.search(r"prefers-color-scheme: dark\)\s*\{(.*)\}", style.text).group(1)
    dark = dict(re.findall(r"\.(nbtrack-[a-z]+)\{(?:fill|stroke):(#[0-9a-f]{6})\}", dark_rules))
    texts = [t for t in root.iter(f"{NS}text") if t.get("class")]
    roles = {t.get("class").split()[0] for t in texts}
    assert roles == {"nbtrack-text", "nbtrack-muted"}  # titles, header, axes, "no finite values"
    for text in texts:
        role = text.get("class").split()[0]
        assert _contrast(text.get("fill"), bg.get("fill")) >= 4.5  # light
        assert _contrast(dark[role], dark["nbtrack-bg"]) >= 4.5  # dark


def _step_ticks(svg: str) -> list[str]:
    root = _parse(svg)
    return [t.text for t in root.iter(f"{NS}text") if "nbtrack-step-tick" in t.get("class", "")]


def test_step_axes_have_whole_number_ticks() -> None:
    short = curves_svg([Panel("loss", [Curve("loss", [0, 1, 2], [3.0, 2.0, 1.0])])])
    assert _step_ticks(short) == ["0", "1", "2"]  # never 0.5
    steps = np.arange(3000)
    long = curves_svg([Panel("loss", [Curve("loss", steps, 1 / (steps + 1))])])
    assert _step_ticks(long) == ["0", "1000", "2000"]
    late = curves_svg([Panel("loss", [Curve("loss", [12_000, 12_003], [1.0, 2.0])])])
    assert _step_ticks(late) == ["12,000", "12,001", "12,002", "12,003"]


def test_a_one_point_metric_draws_its_point() -> None:
    svg = curves_svg([Panel("final_acc", [Curve("final_acc", [7], [0.93])])])
    root = _parse(svg)
    (dot,) = root.iter(f"{NS}circle")
    (frame,) = [r for r in root.iter(f"{NS}rect") if r.get("class") == "nbtrack-frame"]
    left, top = float(frame.get("x")), float(frame.get("y"))
    right, bottom = left + float(frame.get("width")), top + float(frame.get("height"))
    assert dot.get("data-label") == "final_acc" and float(dot.get("r")) > 0
    assert left < float(dot.get("cx")) < right and top < float(dot.get("cy")) < bottom
    assert _step_ticks(svg) == ["7"]
