"""Which notebook and project the calling code belongs to.

Queries (`nbtrack.runs()`), the CLI and `%%track` all ask here, so a kernel, a
script and a terminal in the same project see the same store.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .capture.notebook import detect_notebook_path
from .config import Project, resolve_project
from .session import current


def set_notebook(path: str | Path | None) -> Path | None:
    """Name this kernel's notebook explicitly (`%nbtrack notebook PATH`); the
    session keeps it."""
    notebook = Path(path).expanduser().resolve() if path else None
    current().notebook = notebook
    return notebook


def _user_ns() -> dict[str, Any]:
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return {}
    shell = ipython_mod.get_ipython()
    return shell.user_ns if shell is not None else {}


def current_notebook() -> Path | None:
    notebook = current().notebook
    if notebook is not None:
        return notebook
    return detect_notebook_path(_user_ns())


def current_project(store: str | None = None) -> Project:
    """The project of the current notebook (else the current folder); `store`,
    a URL, overrides where runs are kept."""
    notebook = current_notebook()
    project = resolve_project(notebook.parent if notebook is not None else None)
    if store:
        return Project(root=project.root, store_url=store, settings=project.settings)
    return project
