"""Which notebook a kernel is running, from what the frontends tell the kernel."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def detect_notebook_path(
    user_ns: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path | None:
    """The running notebook's path, or None when no frontend said.

    VS Code sets `__vsc_ipynb_file__`; jupyter_server sets JPY_SESSION_NAME
    (ipykernel copies it to `__session__`), absolute or relative to the server
    root, and starts the kernel in the notebook's folder.
    """
    ns = user_ns or {}
    env = os.environ if environ is None else environ
    here = Path.cwd() if cwd is None else cwd
    for value in (ns.get("__vsc_ipynb_file__"), ns.get("__session__"), env.get("JPY_SESSION_NAME")):
        if not isinstance(value, str) or not value.endswith((".ipynb", ".py", ".md")):
            continue
        path = Path(value)
        candidates = [path] if path.is_absolute() else [here / path.name, here / path]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
    return None
