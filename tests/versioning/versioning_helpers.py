"""Helpers shared by the versioning tests: real notebooks and plain git calls."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import nbformat
from nbformat import v4

BIG_OUTPUT_BYTES = 1_200_000  # over the 1 MB per-output limit
PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6"
    "kgAAAABJRU5ErkJggg=="
)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git for a test's own setup and checks; fail loudly."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def make_notebook(
    cells: list[str] | None = None, *, big_output: bool = False, lr: str = "0.001"
) -> nbformat.NotebookNode:
    """A notebook with markdown, raw, unicode, an image output and a custom kernelspec."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "venv-ml",
        "display_name": "Python (ml ✓)",
        "language": "python",
    }
    md = v4.new_markdown_cell("# Expériences — α/β ✓\n\nSome *markdown*.")
    raw = v4.new_raw_cell("raw: <keep as is>")
    train = v4.new_code_cell(f"lr = {lr}\nepochs = 20\nprint('naïve λ', lr)")
    train.execution_count = 3
    train.outputs = [v4.new_output("stream", name="stdout", text=f"naïve λ {lr}\n")]
    plot = v4.new_code_cell("plot()")
    plot.execution_count = 4
    plot.outputs = [
        v4.new_output("display_data", data={"image/png": PNG_1PX, "text/plain": "<Figure>"})
    ]
    nb.cells = [md, raw, train, plot]
    for source in cells or []:
        nb.cells.append(v4.new_code_cell(source))
    if big_output:
        blob = base64.b64encode(os.urandom(BIG_OUTPUT_BYTES * 3 // 4)).decode()
        big = v4.new_code_cell("show_big()")
        big.outputs = [v4.new_output("display_data", data={"image/png": blob})]
        nb.cells.append(big)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: the same notebook must diff as empty
    return nb


def inside_work_tree(path: Path) -> bool:
    proc = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=path, capture_output=True
    )
    return proc.returncode == 0 and proc.stdout.strip() == b"true"
