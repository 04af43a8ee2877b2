"""Sweeps, the parts that need no kernel: values, grids, the parameters cell, the
environment contract between the sweep and its kernels."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from nbtrack.capture.params import assigned_names, literal_assignments
from nbtrack.capture.sweep import SWEEP_ENV, SweepContext, sweep_context
from nbtrack.cli_sweep import grid_from_args
from nbtrack.sweeps.grid import (
    SweepError,
    combinations,
    describe,
    file_stem,
    new_sweep_id,
    parse_value,
)
from nbtrack.sweeps.notebook import check_names, read_sweep_notebook


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.1", 0.1),
        ("3", 3),
        ("-2", -2),
        ("1e-3", 0.001),
        ("true", True),
        ("False", False),
        ("None", None),
        ("null", None),
        ("[64, 32]", [64, 32]),
        ("(1, 2)", [1, 2]),
        ("{'opt': 'adam'}", {"opt": "adam"}),
        ("'0.1'", "0.1"),
        ("adam", "adam"),
        ("relu6", "relu6"),
        ("a b", "a b"),
    ],
)
def test_command_line_values_parse_as_python_literals_else_text(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_a_grid_gives_every_combination_last_name_fastest() -> None:
    combos = combinations({"lr": [0.1, 0.01], "layers": [1, 2, 3]})
    assert combos == [
        {"lr": 0.1, "layers": 1},
        {"lr": 0.1, "layers": 2},
        {"lr": 0.1, "layers": 3},
        {"lr": 0.01, "layers": 1},
        {"lr": 0.01, "layers": 2},
        {"lr": 0.01, "layers": 3},
    ]


def test_numpy_values_become_python_numbers_and_objects_are_refused() -> None:
    import numpy as np

    combos = combinations({"lr": list(np.logspace(-2, -1, 2)), "layers": [np.int64(2)]})
    assert combos == [{"lr": 0.01, "layers": 2}, {"lr": 0.1, "layers": 2}]
    assert all(type(c["lr"]) is float and type(c["layers"]) is int for c in combos)
    assert combinations([{"shape": (64, 32), "opt": {"name": "adam"}}]) == [
        {"shape": [64, 32], "opt": {"name": "adam"}}
    ]
    with pytest.raises(SweepError, match="'act' has a value papermill cannot write"):
        combinations({"act": [object()]})


def test_an_explicit_list_of_combinations_is_kept_as_given() -> None:
    given = [{"lr": 0.1, "layers": 2}, {"lr": 0.5}]
    assert combinations(given) == given


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({}, "no parameters"),
        ({"lr": []}, "'lr' has no values"),
        ({"lr": 0.1}, "needs a list of values"),
        ({"lr": "0.1"}, "needs a list of values"),
        ({"learning rate": [1]}, "Python identifiers"),
        ({"lr": [0.1, 0.1]}, "combinations 1 and 2 are the same (lr=0.1)"),
        ([], "no combinations"),
        ([{"lr": 1}, {}], "combination 2 must be a non-empty dict"),
        ([{"lr": 1}, {"lr": 1}], "combinations 1 and 2 are the same"),
    ],
)
def test_bad_grids_are_refused_before_anything_runs(grid: object, message: str) -> None:
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(")", r"\)")):
        combinations(grid)  # type: ignore[arg-type]


def test_trial_file_names_carry_the_trial_number_only_and_sort() -> None:
    assert file_stem(3, width=2) == "trial-03"  # no parameter value (a token?) in a name
    assert file_stem(10, width=2) > file_stem(9, width=2)
    assert describe({"lr": 0.1, "act": "relu"}) == "lr=0.1 act='relu'"


def test_sweep_ids_are_short_and_distinct() -> None:
    ids = {new_sweep_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("sw-") and len(i) == 11 for i in ids)


def test_the_command_line_grid() -> None:
    grid = grid_from_args([["lr", "0.1", "0.01"], ["layers", "1", "2"], ["act", "relu"]])
    assert grid == {"lr": [0.1, 0.01], "layers": [1, 2], "act": ["relu"]}
    with pytest.raises(SweepError, match="-p lr needs at least one value"):
        grid_from_args([["lr"]])
    with pytest.raises(SweepError, match="-p lr is given twice"):
        grid_from_args([["lr", "1"], ["lr", "2"]])


# -- the kernel's side: NBTRACK_SWEEP ---------------------------------------------


def test_the_sweep_context_round_trips_through_the_environment() -> None:
    context = SweepContext("sw-1234abcd", 3, {"lr": 0.1, "layers": [64, 32], "name": "é"})
    assert sweep_context({SWEEP_ENV: context.to_env()}) == context
    assert sweep_context({}) is None
    assert sweep_context({SWEEP_ENV: ""}) is None


@pytest.mark.parametrize(
    "raw",
    ["not json", "[]", json.dumps({"id": 3, "trial": 1}), json.dumps({"id": "s", "trial": "1"})],
)
def test_a_malformed_sweep_variable_is_an_error_that_says_what_to_do(raw: str) -> None:
    with pytest.raises(ValueError, match="unset the variable"):
        sweep_context({SWEEP_ENV: raw})


# -- the parameters cell ------------------------------------------------------------


def test_names_and_literal_defaults_of_a_parameters_cell() -> None:
    source = (
        "lr = 0.1\nlayers: int = 2\nepochs = 5\nepochs = 8\n"
        "data_dir = Path('data')\na, (b, *c) = 1, (2, 3, 4)\nsteps += 1\nx.y = 3\n"
    )
    assert assigned_names(source) == ["lr", "layers", "epochs", "data_dir", "a", "b", "c", "steps"]
    assert literal_assignments(source) == {"lr": 0.1, "layers": 2, "epochs": 8, "a": 1}


def _notebook(path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_the_parameters_cell_is_found_by_its_tag(tmp_path: Path) -> None:
    path = _notebook(
        tmp_path / "train.ipynb",
        [("import math", []), ("lr = 0.1\nlayers = 2", ["parameters"]), ("lr = 9", [])],
    )
    nb = read_sweep_notebook(path)
    assert nb.names == ["lr", "layers"] and nb.defaults == {"lr": 0.1, "layers": 2}
    assert nb.kernel_name == "python3" and nb.language == "python"  # papermill needs one
    check_names(nb, ["lr"])
    # Papermill puts its injected cell after the parameters cell: a failure it reports
    # at index 3 of the executed copy is the user's cell 3.
    assert (nb.injected_at, nb.cell_number(0), nb.cell_number(3)) == (2, 1, 3)
    with pytest.raises(SweepError, match=r"does not set lrate \(it sets: lr, layers\)"):
        check_names(nb, ["lrate", "lr"])


def test_a_notebook_that_already_has_injected_parameters_keeps_its_numbering(
    tmp_path: Path,
) -> None:
    path = _notebook(
        tmp_path / "out.ipynb",
        [("lr = 0.1", ["parameters"]), ("lr = 0.5", ["injected-parameters"]), ("1 / 0", [])],
    )
    nb = read_sweep_notebook(path)
    assert nb.injected_at is None and nb.cell_number(2) == 3


def test_notebooks_a_sweep_cannot_run_are_refused_with_what_to_do(tmp_path: Path) -> None:
    untagged = _notebook(tmp_path / "a.ipynb", [("lr = 0.1", [])])
    with pytest.raises(SweepError, match="no cell tagged 'parameters'.*give it the tag"):
        read_sweep_notebook(untagged)
    broken = _notebook(tmp_path / "b.ipynb", [("lr = = 0.1", ["parameters"])])
    with pytest.raises(SweepError, match="parameters cell of b.ipynb does not parse"):
        read_sweep_notebook(broken)
    with pytest.raises(SweepError, match="no notebook at"):
        read_sweep_notebook(tmp_path / "missing.ipynb")
    (tmp_path / "train.py").write_text("lr = 0.1\n")
    with pytest.raises(SweepError, match="is not a notebook"):
        read_sweep_notebook(tmp_path / "train.py")
    (tmp_path / "junk.ipynb").write_text("{not json")
    with pytest.raises(SweepError, match="cannot read .* as a notebook"):
        read_sweep_notebook(tmp_path / "junk.ipynb")


def test_sweep_options_are_checked_before_anything_runs(tmp_path: Path) -> None:
    from nbtrack.sweeps import sweep

    path = _notebook(tmp_path / "train.ipynb", [("lr = 0.1", ["parameters"])])
    for bad, message in [
        ({"parallel": 0}, "parallel must be a whole number of at least 1"),
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"sweep_id": "a b"}, "a sweep id is 1 to 64 letters"),
        ({"sweep_id": "x" * 65}, "a sweep id is 1 to 64 letters"),
    ]:
        with pytest.raises(SweepError, match=message):
            sweep(path, {"lr": [0.1]}, **bad)  # type: ignore[arg-type]
    nb = nbformat.read(path, as_version=4)
    del nb.metadata["kernelspec"]
    nbformat.write(nb, path)
    with pytest.raises(SweepError, match="names no kernel.*-k python3"):
        sweep(path, {"lr": [0.1]})
    assert not (tmp_path / ".nbtrack").exists()
