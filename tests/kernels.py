"""Helpers to run real notebooks in real kernels (nbclient, jupyter_client)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import nbformat

ISSUE_CELL = """%%track --name baseline --tag cnn --notes "first try"
lr = 0.05
layers = [64, 32]
config = {"optimizer": "adam", "weight_decay": 1e-4}
for step in range(500):
    nbtrack.log(loss=1 / (step + 1), acc=step / 500)"""


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, path)
    return path


def run_notebook(
    path: Path, allow_errors: bool = False, env: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """Execute the notebook at `path` in a fresh kernel, as Jupyter would (the kernel
    is told its notebook through JPY_SESSION_NAME and starts in its folder)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with kernel_environment(path, env):
        NotebookClient(
            nb,
            timeout=120,
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    return nb


@contextlib.contextmanager
def kernel_environment(path: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """Kernels started inside inherit this process's environment: tell them their
    notebook (JPY_SESSION_NAME, as Jupyter's server does) and `env`; restore after."""
    kernel_env = {"JPY_SESSION_NAME": str(path), **(env or {})}
    saved = {k: os.environ.get(k) for k in kernel_env}
    os.environ.update(kernel_env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)
