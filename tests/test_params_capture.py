"""papermill's parameters become params of the tracked cells after them: pure cases,
then real papermill executing a notebook in a real kernel, on both backends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

import nbtrack
from nbtrack.params_capture import is_injected, notebook_params

INJECTED = '# Parameters\nlr = 0.5\nname = "big"\n'


def test_injected_values_override_the_parameters_cell_before_them() -> None:
    history = ["import os\n", "lr = 0.1\nepochs = 3\n", INJECTED, "x = 1\n"]
    assert is_injected(INJECTED) and not is_injected("lr = 1\n# Parameters\n")
    assert notebook_params(history) == {"lr": 0.5, "epochs": 3, "name": "big"}
    # Injected at the top (no tagged cell): nothing before it is a parameters cell.
    assert notebook_params([INJECTED, "y = 2\n"]) == {"lr": 0.5, "name": "big"}
    assert notebook_params(["lr = 0.1\n", "x = 2\n"]) == {}  # no papermill: nothing


def test_the_tagged_cell_of_a_known_notebook_counts_without_injection(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell("lr = 0.1\nepochs = 3")
    tagged.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("lr = 9"), tagged]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    assert notebook_params(["lr = 9\n", "lr = 0.1\nepochs = 3\n"], path) == {"lr": 0.1, "epochs": 3}
    assert notebook_params(["lr = 9\n"], path) == {}  # the tagged cell has not run
    assert notebook_params(["lr = 0.1\nepochs = 3\n"], tmp_path / "missing.ipynb") == {}


def _papermill_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("lr = 0.1\nepochs = 2\nopt = 'sgd'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        params,
        nbformat.v4.new_code_cell(
            "%%track --name first\nfor e in range(epochs):\n    nbtrack.log(loss=lr / (e + 1))"
        ),
        nbformat.v4.new_code_cell("%%track --name second\nopt = 'adam'\nnbtrack.log(acc=1.0)"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_plain_papermill_run_records_its_parameters(backend: str, project: Path) -> None:
    import papermill

    source = _papermill_notebook(project / "train.ipynb")
    saved = os.environ.pop("JPY_SESSION_NAME", None)  # papermill tells the kernel nothing
    try:
        papermill.execute_notebook(
            str(source),
            str(project / "out.ipynb"),
            parameters={"lr": 0.5, "batch": 64},
            kernel_name="python3",
            cwd=str(project),
            progress_bar=False,
        )
    finally:
        if saved is not None:
            os.environ["JPY_SESSION_NAME"] = saved
    first, second = nbtrack.get_run("first"), nbtrack.get_run("second")
    assert first.params == {"lr": 0.5, "epochs": 2, "opt": "sgd", "batch": 64}
    assert first.metrics["loss"]["count"] == 2
    # Every tracked cell after them; the cell's own assignment wins.
    assert second.params == {"lr": 0.5, "epochs": 2, "opt": "adam", "batch": 64}
    df = nbtrack.runs()
    assert set(df["params.batch"]) == {64}
    out = json.loads((project / "out.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in out["cells"])
