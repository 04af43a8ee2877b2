"""Params a notebook sets before its tracked cells: papermill's parameters.

papermill runs a notebook with parameters by injecting, right after the cell tagged
`parameters` (or at the top when none is tagged), a cell tagged
`injected-parameters` whose source is `# Parameters` and one literal assignment
per parameter. A kernel is not told the tags of the cells it runs, so the cells are
found in the kernel's execution history (`In`, as IPython transformed them):

- the injected cell by its first line, and the cell run just before it as the
  `parameters` cell (papermill places the injection right after it);
- when the notebook's file is known (JupyterLab, VS Code, `%nbtrack notebook`),
  also the cell tagged `parameters` in it, by its source, so a notebook run
  without injected values (or by hand) records its defaults too.

Their literal top-level assignments (`capture.params.extract_params`), the injected
values over the defaults, become params of every tracked cell that runs after them;
a cell's own params win over them. Pure but for reading the notebook file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .capture.params import extract_params

INJECTED_HEADER = "# Parameters"
PARAMETERS_TAG = "parameters"


def is_injected(source: str) -> bool:
    """Whether `source` is a cell papermill injected (python translator)."""
    return source.split("\n", 1)[0].rstrip() == INJECTED_HEADER


def notebook_params(history: Sequence[str], notebook: Path | None = None) -> dict[str, Any]:
    """The params set by the parameters cells among the executed `history` (oldest
    first): the tagged cell's defaults, then the last injected cell's values."""
    found: dict[str, Any] = {}
    tagged = _tagged_sources(notebook)
    if tagged:
        for source in history:
            if source.strip() in tagged:
                found.update(_params(source))
    last = max((i for i, s in enumerate(history) if is_injected(s)), default=None)
    if last is not None:
        if last > 0 and not is_injected(history[last - 1]):
            found.update(_params(history[last - 1]))
        found.update(_params(history[last]))
    return found


def _params(source: str) -> dict[str, Any]:
    try:
        return extract_params(source)
    except (SyntaxError, ValueError):
        return {}


def _tagged_sources(notebook: Path | None) -> set[str]:
    """Sources of the cells tagged `parameters` in the notebook file (an .ipynb)."""
    if notebook is None or notebook.suffix != ".ipynb":
        return set()
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cells = nb.get("cells", [])
    except (OSError, ValueError, AttributeError):
        return set()
    out = set()
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        if PARAMETERS_TAG in tags:
            source = cell.get("source", "")
            out.add(("".join(source) if isinstance(source, list) else str(source)).strip())
    return out
