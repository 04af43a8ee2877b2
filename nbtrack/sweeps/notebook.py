"""The notebook a sweep runs: its `parameters` cell, as papermill finds it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..capture.params import assigned_names, literal_assignments
from .grid import SweepError

PARAMETERS_TAG = "parameters"


@dataclass(frozen=True)
class SweepNotebook:
    path: Path
    names: list[str]  # every name the parameters cell assigns
    defaults: dict[str, Any]  # those it assigns a literal value
    kernel_name: str | None
    language: str = "python"
    # Where papermill puts its injected-parameters cell in the executed copy
    # (None: the notebook already has one, which papermill replaces in place).
    injected_at: int | None = None

    def cell_number(self, executed_index: int) -> int:
        """The number (from 1) in this notebook of the executed copy's cell `executed_index`."""
        shift = self.injected_at is not None and executed_index > self.injected_at
        return executed_index + 1 - shift


def read_sweep_notebook(path: Path) -> SweepNotebook:
    """Read `path` and its cell tagged `parameters`; SweepError says what to fix."""
    from ..nbformat_import import import_nbformat

    nbformat = import_nbformat()

    if not path.is_file():
        raise SweepError(f"no notebook at {path}")
    if path.suffix != ".ipynb":
        raise SweepError(f"{path.name} is not a notebook (.ipynb): sweeps run notebooks")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises many types for a broken file
        raise SweepError(f"cannot read {path} as a notebook: {exc}") from exc

    def tagged(tag: str) -> list[int]:
        return [
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and tag in c.get("metadata", {}).get("tags", [])
        ]

    cells = tagged(PARAMETERS_TAG)
    if not cells:
        raise SweepError(
            f"{path.name} has no cell tagged 'parameters': put the values to sweep in one "
            "code cell (lr = 0.1 ...) and give it the tag 'parameters' (JupyterLab: the "
            "property inspector, gear icon on the right; as papermill expects)"
        )
    source = nb.cells[cells[0]].source
    try:
        names = assigned_names(source)
    except SyntaxError as exc:
        raise SweepError(f"the parameters cell of {path.name} does not parse: {exc}") from exc
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    # papermill needs the language to write the parameters; %%track cells are Python.
    language = (
        nb.metadata.get("kernelspec", {}).get("language")
        or nb.metadata.get("language_info", {}).get("name")
        or "python"
    )
    injected_at = None if tagged("injected-parameters") else cells[0] + 1
    defaults = literal_assignments(source)
    return SweepNotebook(path, names, defaults, kernel, language, injected_at)


def check_names(notebook: SweepNotebook, names: list[str]) -> None:
    """Every swept name must be one the parameters cell sets: a typo would otherwise
    run every combination with the default value."""
    unknown = [n for n in names if n not in notebook.names]
    if unknown:
        known = ", ".join(notebook.names) or "none"
        raise SweepError(
            f"{notebook.path.name}'s parameters cell does not set {', '.join(unknown)} "
            f"(it sets: {known}); sweep those, or add the missing ones to that cell"
        )
