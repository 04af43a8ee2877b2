"""diff_runs on real snapshots (jupytext scripts, nbdime notebook diffs)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest
from nbformat import v4
from versioning_helpers import make_notebook

from nbtrack.versioning import (
    DiffSide,
    build_snapshot,
    commit_snapshot,
    diff_runs,
    read_snapshot,
    render_html,
    render_terminal,
)
from nbtrack.versioning.diff import same_value

METRICS_A = {
    "loss": {"last": 0.5, "min": 0.4, "max": 1.0, "count": 20},
    "acc": {"last": 0.8, "min": 0.1, "max": 0.8, "count": 20},
    "weird": {"last": math.nan, "min": -math.inf, "max": math.nan, "count": 3},
}


def _side(name: str, nb: nbformat.NotebookNode, tmp_path: Path, params: dict, metrics: dict):
    """A run side whose files went through build_snapshot and a git round trip."""
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    cell = nb.cells[2].source
    files = build_snapshot(path, cell, ["import os", cell], {"name": name})
    files["run.json"] = b"{}"  # run ids differ between runs; not part of the diff anyway
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    commit = commit_snapshot(root, files, "refs/nbtrack/session", name)
    return DiffSide(name, params, metrics, read_snapshot(root, commit))


@pytest.fixture
def edited(tmp_path: Path):
    a = _side("train#1", make_notebook(lr="0.001"), tmp_path, {"lr": 0.001, "seed": 1}, METRICS_A)
    metrics_b = {
        "loss": {"last": 0.25, "min": 0.2, "max": 1.0, "count": 20},
        "weird": {"last": math.nan, "min": -math.inf, "max": math.nan, "count": 3},
        "val_loss": {"last": 0.3, "min": 0.3, "max": 0.9, "count": 20},
    }
    nb_b = make_notebook(lr="0.01")
    b = _side("train#2", nb_b, tmp_path, {"lr": 0.01, "seed": 1, "dropout": 0.1}, metrics_b)
    return a, b


def test_edited_cell_shows_changed_line_and_param(edited) -> None:
    a, b = edited
    diff = diff_runs(a, b)
    assert not diff.is_empty
    assert diff.params.changed == {"lr": (0.001, 0.01)}
    assert diff.params.added == {"dropout": 0.1} and diff.params.removed == {}
    assert "-lr = 0.001" in diff.cell.unified and "+lr = 0.01" in diff.cell.unified
    assert diff.cell.unified.startswith("--- train#1/cell.py\n+++ train#2/cell.py\n")
    assert "-lr = 0.001" in diff.script.unified and "+lr = 0.01" in diff.script.unified
    changes = diff.notebook.cells
    assert [(c.change, c.base_index, c.index) for c in changes] == [("modified", 2, 2)]
    assert set(changes[0].parts) == {"outputs", "source"}
    assert changes[0].first_line == "lr = 0.01"


def test_metric_summaries_side_by_side_with_nan_safe_deltas(edited) -> None:
    diff = diff_runs(*edited)
    loss = diff.metrics["loss"]
    assert loss.changed
    assert loss.delta_last == pytest.approx(-0.25) and loss.delta_min == pytest.approx(-0.2)
    assert diff.metrics["acc"].b is None and diff.metrics["acc"].delta_last is None
    assert diff.metrics["val_loss"].a is None and diff.metrics["val_loss"].changed
    weird = diff.metrics["weird"]
    assert not weird.changed  # NaN equals NaN here
    assert math.isnan(weird.delta_last) and math.isnan(weird.delta_min)  # -inf - -inf


def test_to_json_is_strict_json_with_exact_keys(edited) -> None:
    data = diff_runs(*edited).to_json()
    assert list(data) == ["params", "metrics", "cell", "script", "notebook"]
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["params"]["changed"] == {"lr": {"old": 0.001, "new": 0.01}}
    assert back["metrics"]["weird"]["a"]["last"] == "NaN"
    assert back["metrics"]["weird"]["a"]["min"] == "-Infinity"
    assert back["notebook"]["base"]["metadata"]["kernelspec"]["name"] == "venv-ml"
    assert back["notebook"]["diff"][0]["key"] == "cells"  # nbdime's format, for its widget
    assert back["notebook"]["cells"][0]["change"] == "modified"


def test_run_against_itself_is_empty(edited) -> None:
    a, _ = edited
    diff = diff_runs(a, a)
    assert diff.is_empty
    assert diff.cell.unified == "" and diff.script.unified == "" and diff.notebook.diff == []
    assert not any(m.changed for m in diff.metrics.values())


def test_added_and_removed_cells(tmp_path: Path) -> None:
    nb_a = make_notebook(["alpha = 1", "beta = 2", "gamma = 3"])
    nb_b = make_notebook(["alpha = 1", "inserted = 0", "gamma = 3"])
    nb_b.cells.append(v4.new_markdown_cell("## Conclusion"))
    for i, c in enumerate(nb_b.cells):
        c.id = f"b-{i}" if i >= 5 else c.id
    a = _side("a", nb_a, tmp_path, {}, {})
    b = _side("b", nb_b, tmp_path, {}, {})
    changes = [
        (c.change, c.base_index, c.index, c.first_line) for c in diff_runs(a, b).notebook.cells
    ]
    assert ("removed", 5, None, "beta = 2") in changes
    assert ("added", None, 5, "inserted = 0") in changes
    assert ("added", None, 7, "## Conclusion") in changes


def test_runs_without_snapshots_still_diff_params_and_metrics() -> None:
    a = DiffSide("a", {"lr": 1}, {})
    b = DiffSide("b", {"lr": 1.0, "flag": True}, {}, files={"cell.py": b"x = 1\n"})
    diff = diff_runs(a, b)
    assert diff.cell is None and diff.script is None and diff.notebook is None
    assert diff.params.changed == {} and diff.params.added == {"flag": True}
    assert diff.to_json()["cell"] is None
    assert render_terminal(diff).count("(no snapshot to compare)") == 3
    assert render_html(diff).count("no snapshot to compare") == 3


@pytest.mark.parametrize(
    ("x", "y", "same"),
    [
        (math.nan, math.nan, True),
        (1, 1.0, True),
        (True, 1, False),
        ({"a": [1, math.nan]}, {"a": [1, math.nan]}, True),
        ([1, 2], [1, 2, 3], False),
        ("1", 1, False),
        (None, None, True),
    ],
)
def test_param_equality(x, y, same: bool) -> None:
    assert same_value(x, y) is same


def test_metric_rows_changed_only_where_a_statistic_differs() -> None:
    """Two runs with identical loss summaries (stored bookkeeping such as
    last_step may differ) are not coloured changed; max has a delta."""
    same = {"last": 0.5, "min": 0.1, "max": 0.9, "count": 10}
    a = DiffSide("a", metrics={"loss": {**same, "last_step": 9}, "acc": {**same}})
    b = DiffSide("b", metrics={"loss": {**same, "last_step": 19}, "acc": {**same, "max": 0.95}})
    diff = diff_runs(a, b)
    assert not diff.metrics["loss"].changed
    acc = diff.metrics["acc"]
    assert acc.changed and acc.delta_max == pytest.approx(0.05) and acc.delta_count == 0
    assert [s for s in ("last", "min", "max", "count") if acc.stat_changed(s)] == ["max"]
    data = diff.to_json()["metrics"]
    assert data["acc"]["changed_stats"] == ["max"] and data["loss"]["changed"] is False
    assert data["acc"]["delta"]["max"] == pytest.approx(0.05)


def test_rendered_metric_rows_mark_only_changed_statistics() -> None:
    from nbtrack.versioning import render_html, render_terminal

    same = {"last": 0.5, "min": 0.1, "max": 0.9, "count": 10}
    diff = diff_runs(
        DiffSide("a", metrics={"acc": dict(same)}),
        DiffSide("b", metrics={"acc": {**same, "max": 0.95}}),
    )
    line = next(x for x in render_terminal(diff).splitlines() if "acc:" in x)
    assert "max 0.9 → 0.95 (+0.05)" in line and "last 0.5 → 0.5 ·" in line
    page = render_html(diff)
    assert page.count('<tr class="chg">') == 1
    assert '<tr class="chg"><td></td><td>max</td>' in page
