"""render_terminal and render_html: colours on request, user text always escaped."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest
from versioning_helpers import make_notebook

from nbtrack.versioning import DiffSide, build_snapshot, diff_runs, render_html, render_terminal

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _files(tmp_path: Path, name: str, lr: str, extra_cells: list[str]) -> dict[str, bytes]:
    path = tmp_path / f"{name}.ipynb"
    nb = make_notebook(extra_cells, lr=lr)
    nbformat.write(nb, path)
    return build_snapshot(path, nb.cells[2].source, [], {})


@pytest.fixture
def diff(tmp_path: Path):
    a = DiffSide(
        "train#1",
        {"lr": 0.001, "gone": 1},
        {"loss": {"last": 0.5, "min": 0.4, "max": 1.0, "count": 3}},
        _files(tmp_path, "a", "0.001", ["x = 1"]),
    )
    b = DiffSide(
        "train#2",
        {"lr": 0.01, "new": "yes"},
        {"loss": {"last": 0.25, "min": 0.2, "max": 1.0, "count": 3}},
        _files(tmp_path, "b", "0.01", ["x = 2"]),
    )
    return diff_runs(a, b)


def test_terminal_plain(diff) -> None:
    text = render_terminal(diff, color=False)
    assert "\x1b" not in text
    assert text.startswith("train#1 → train#2\n")
    assert "~ lr: 0.001 → 0.01" in text and '+ new: "yes"' in text and "- gone: 1" in text
    assert "last 0.5 → 0.25 (-0.25)" in text and "min 0.4 → 0.2 (-0.2)" in text
    assert "-lr = 0.001" in text and "+lr = 0.01" in text  # cell and script diffs
    assert "modified code cell 2 (outputs, source): lr = 0.01" in text
    assert "nbdiff train#1/notebook.ipynb train#2/notebook.ipynb" in text  # nbdime's part


def test_terminal_colour_only_when_asked(diff) -> None:
    text = render_terminal(diff, color=True)
    assert "\x1b[32m+lr = 0.01\x1b[0m" in text and "\x1b[31m-lr = 0.001\x1b[0m" in text


def test_no_difference(tmp_path: Path) -> None:
    side = DiffSide(
        "r", {"lr": math.nan}, {"m": {"last": math.nan}}, _files(tmp_path, "a", "1", [])
    )
    d = diff_runs(side, side)
    assert render_terminal(d, color=True) == "no difference between r and r\n"
    assert "no difference" in render_html(d)


def test_terminal_neutralizes_control_characters() -> None:
    evil = "name\x1b[2J\x07"
    text = render_terminal(diff_runs(DiffSide(evil, {evil: 1}), DiffSide("b", {evil: 2})), True)
    assert "\x1b[2J" not in text and "\x07" not in text
    assert "name\\x1b[2J\\x07" in text


def test_html_escapes_every_user_string(tmp_path: Path) -> None:
    code = [f"s = '{XSS}'"]
    a = DiffSide(
        XSS,
        {XSS: XSS, "lr": 1},
        {XSS: {"last": 1.0, "min": 1.0, "max": 1.0, "count": 1}},
        _files(tmp_path, "a", "1", code),
    )
    b = DiffSide(
        f"b{XSS}", {"lr": XSS, "added": XSS}, {}, _files(tmp_path, "b", f"'{XSS}'", code + [XSS])
    )
    page = render_html(diff_runs(a, b))
    assert XSS not in page and "<img" not in page
    assert page.count(XSS_ESCAPED) >= 8  # names, params, metric key, cell, script, notebook
    assert page.startswith('<div class="nbtrack-diff"><style>')
    assert "<script" not in page


def _svg_notebook(path: Path, x: int) -> bytes:
    """A notebook whose plot is a 7 KB single-line SVG (as matplotlib's inline
    SVG backend writes) beside a text/html table with its CSS."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot()")
    svg = "<svg>" + f"<path d='M {x} 2 L 3 4'/>" * 300 + "</svg>"
    html_table = "<style>.df td { color: red; }</style><table>" + "<tr><td>1</td></tr>" * 100
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/svg+xml": svg, "text/plain": "<Figure size 640x480>"}
        ),
        nbformat.v4.new_output(
            "execute_result", data={"text/html": html_table, "text/plain": "   a\n0  1"}
        ),
    ]
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path.read_bytes()


def test_rich_outputs_are_summarized_not_printed(tmp_path: Path) -> None:
    """SVG coordinates and HTML/CSS are noise in a terminal, and nbdime's
    character diff of one long changed line ran for minutes: large rich outputs
    are compared whole and shown as kind, size and digest."""
    a = {"notebook.ipynb": _svg_notebook(tmp_path / "a.ipynb", 1)}
    b = {"notebook.ipynb": _svg_notebook(tmp_path / "b.ipynb", 5)}
    d = diff_runs(DiffSide("a", files=a), DiffSide("b", files=b))
    text = render_terminal(d)
    assert "<path" not in text and "color: red" not in text
    summaries = [line for line in text.splitlines() if "[image/svg+xml 7 KB · " in line]
    assert len(summaries) == 2  # the old one removed, the new one added
    assert summaries[0].split("·")[1] != summaries[1].split("·")[1]  # different digests
    assert "<Figure size 640x480>" in text
    # The unchanged HTML table is summarized in the base and not reported changed.
    (change,) = d.notebook.cells
    assert change.change == "modified" and "outputs" in change.parts
    html_output = d.notebook.base["cells"][0]["outputs"][1]["data"]
    assert html_output["text/plain"].startswith("[text/html ")
    assert html_output["text/plain"].endswith("   a\n0  1")


def test_small_rich_outputs_and_images_are_kept(tmp_path: Path) -> None:
    from nbtrack.versioning.notebook_diff import summarize_outputs

    nb = make_notebook([])
    small = {"text/html": "<b>ok</b>", "text/plain": "ok"}
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data=dict(small))]
    before = nbformat.writes(nb)
    summarize_outputs(nb)
    assert nbformat.writes(nb) == before
