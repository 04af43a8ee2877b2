"""build_snapshot: the files of a snapshot, built from real notebooks with real jupytext."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbformat import v4
from versioning_helpers import BIG_OUTPUT_BYTES, make_notebook

from nbtrack.versioning import build_snapshot, preload
from nbtrack.versioning.history_script import _MAY_TRANSFORM, history_script
from nbtrack.versioning.snapshot import MAX_OUTPUT_BYTES


def test_files_of_a_snapshot(write_notebook) -> None:
    path = write_notebook(big_output=True)
    files = build_snapshot(path, "lr = 0.001\n", ["x = 1", "lr = 0.001\n"], {"id": "r1", "b": 2})
    assert sorted(files) == [
        "cell.py",
        "history.py",
        "notebook.ipynb",
        "notebook.py",
        "replay.json",
        "run.json",
    ]
    assert files["cell.py"] == b"lr = 0.001\n"

    nb = nbformat.reads(files["notebook.ipynb"].decode(), as_version=4)
    nbformat.validate(nb)
    original = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "venv-ml"
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in original.cells]
    assert nb.cells[0].source == original.cells[0].source  # unicode markdown kept
    assert nb.cells[3].outputs == original.cells[3].outputs  # the small image is kept
    placeholder = nb.cells[-1].outputs[0]
    assert placeholder.output_type == "display_data"
    assert "dropped" in placeholder.data["text/plain"]
    dropped = placeholder.metadata["nbtrack"]["dropped"]
    assert dropped["mime"] == ["image/png"] and dropped["bytes"] > BIG_OUTPUT_BYTES
    assert len(files["notebook.ipynb"]) < 100_000

    assert files["notebook.py"].decode() == jupytext.writes(original, fmt="py:percent")
    assert "# # Expériences — α/β ✓" in files["notebook.py"].decode()

    run = json.loads(files["run.json"])
    assert list(run) == sorted(run)
    assert run["id"] == "r1" and run["notebook_path"] == str(path)
    assert any("dropped" in note for note in run["snapshot_notes"])


def test_notebook_without_large_outputs_is_kept_byte_for_byte(write_notebook) -> None:
    path = write_notebook()
    files = build_snapshot(path, "", [], {})
    assert files["notebook.ipynb"] == path.read_bytes()
    assert "snapshot_notes" not in json.loads(files["run.json"])


def test_limit_is_per_output(write_notebook) -> None:
    nb = make_notebook()
    cell = v4.new_code_cell("many()")
    # Many outputs that together exceed the limit, none alone: all kept.
    cell.outputs = [v4.new_output("stream", name="stdout", text="x" * 400_000) for _ in range(3)]
    nb.cells.append(cell)
    files = build_snapshot(write_notebook(nb=nb), "", [], {})
    assert len(files["notebook.ipynb"]) > MAX_OUTPUT_BYTES


@pytest.mark.parametrize(
    ("setup", "note"),
    [
        (lambda p: None, "no notebook"),
        (lambda p: p / "missing.ipynb", "cannot read"),
        (lambda p: (p / "bad.ipynb").write_text("{not json") and p / "bad.ipynb", "cannot parse"),
        (lambda p: (p / "e.ipynb").write_text("{}") and p / "e.ipynb", "cannot parse"),
    ],
)
def test_no_readable_notebook_is_noted_not_raised(tmp_path: Path, setup, note: str) -> None:
    files = build_snapshot(setup(tmp_path), "x = 1", ["x = 1"], {"id": "r"})
    assert sorted(files) == ["cell.py", "history.py", "replay.json", "run.json"]
    assert note in " ".join(json.loads(files["run.json"])["snapshot_notes"])


def test_run_info_with_non_json_values() -> None:
    from datetime import datetime, timezone

    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    run = json.loads(
        build_snapshot(None, "", [], {"start": start, "params": {"lr": 0.1}})["run.json"]
    )
    assert run["start"] == str(start) and run["params"] == {"lr": 0.1}
    assert run["notebook_path"] is None


HISTORY = [
    "import math\nvalues = []",
    "%load_ext nbtrack",
    "files = !echo hi\n%time y = 2",
    "values.append(math.sqrt(16))",  # ran later than it appears in the notebook
    "%%track --name baseline\nlr = 0.5\nvalues.append(lr)",
    "get_ipython().run_cell_magic('track', '', 'values.append(3)\\n')",  # as IPython's In holds it
    "print(values)",
]


def test_history_is_a_percent_script_in_execution_order() -> None:
    text = history_script(HISTORY)
    nb = jupytext.reads(text, fmt="py:percent")
    code = [c for c in nb.cells if c.metadata.get("title", "").startswith("In [")]
    assert [c.metadata["title"] for c in code] == [f"In [{i}]" for i in range(1, 8)]
    assert code[1].source == "get_ipython().run_line_magic('load_ext', 'nbtrack')"
    assert "files = get_ipython().getoutput('echo hi')" in code[2].source
    assert code[4].source == "# ran as: %%track --name baseline\nlr = 0.5\nvalues.append(lr)"
    assert code[5].source == "# ran as: %%track\nvalues.append(3)"
    assert history_script(["x = 1"], first_execution_count=5).endswith("# %% In [5]\nx = 1\n")


def test_history_runs_under_plain_python(tmp_path: Path) -> None:
    script = tmp_path / "history.py"
    script.write_text(history_script([s for s in HISTORY if "get_ipython" not in s and "!" not in s
                                      and "%load" not in s]))  # fmt: skip
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[4.0, 0.5]"


@pytest.mark.parametrize(
    "source",
    ["x = 1", "def f(a):\n    return a\n", "y = [1,\n  2]", "s = 'abc'\n# comment", "", "\tz = 1"],
)
def test_fast_path_matches_ipython(source: str) -> None:
    """Sources the fast path skips are exactly those IPython leaves unchanged."""
    expected = TransformerManager().transform_cell(source)
    if not _MAY_TRANSFORM.search(source):
        assert history_script([source]).endswith(expected)


def test_snapshot_of_a_large_notebook_keeps_every_cell(tmp_path: Path) -> None:
    """1 MB notebook, 200 cells, 200 history entries with magics: every cell is in
    the snapshot. (Its speed is measured in benchmarks/bench_snapshot.py, not here:
    tests hold no wall-clock bounds.)"""
    nb = v4.new_notebook()
    for i in range(200):
        cell = v4.new_code_cell(f"x_{i} = {i}\n%time y = x_{i} * 2\n!echo {i}\nprint(x_{i})")
        cell.outputs = [v4.new_output("stream", name="stdout", text="a" * 5000 + "\n")]
        nb.cells.append(cell)
    path = tmp_path / "big.ipynb"
    nbformat.write(nb, path)
    assert path.stat().st_size > 1_000_000
    history = [c.source for c in nb.cells]
    preload()
    files = build_snapshot(path, history[-1], history, {"id": "r"})
    assert len(files) == 6
    everything = "\n".join(
        v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in files.values()
    )
    assert "x_0 = 0" in everything and "x_199 = 199" in everything
