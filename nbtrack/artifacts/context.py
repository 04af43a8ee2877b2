"""Per-project handles of the artifact layer: the store, the blob storage, the
stat cache, and the active run (with its tracked cell) that edges are recorded for."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Project, private_folder
from ..store import Store, open_store
from .blobstore import Blobs, open_blobs
from .hashing import StatCache

_contexts: dict[tuple[str, str], ArtifactContext] = {}
_lock = threading.Lock()


@dataclass
class ArtifactContext:
    project: Project
    store: Store
    blobs: Blobs
    cache: StatCache

    @property
    def root(self) -> Path:
        return self.project.root


def context_for(project: Project | None = None) -> ArtifactContext:
    """The artifact context of `project`, else of the active run's, else of the
    current notebook's project."""
    if project is None:
        run = active_run()
        if run is not None:
            project = run.project
        else:
            from ..context import current_project

            project = current_project()
    import os

    key = (str(project.root), project.store_url + "|" + os.environ.get("NBTRACK_ARTIFACTS", ""))
    with _lock:
        ctx = _contexts.get(key)
        if ctx is None:
            cache = StatCache(private_folder(project.root, "artifacts") / "statcache.db")
            ctx = ArtifactContext(
                project,
                open_store(project.store_url),
                open_blobs(project.root, project.settings),
                cache,
            )
            _contexts[key] = ctx
        return ctx


def forget_contexts() -> None:
    with _lock:
        for ctx in _contexts.values():
            ctx.cache.close()
        _contexts.clear()


def active_run() -> Any:
    """The running run of this process, or None (through tracking's public API)."""
    from ..tracking import active_run as current

    run = current()
    return run if run is not None and getattr(run, "status", "running") == "running" else None


def current_cell(run: Any) -> dict[str, Any] | None:
    """The tracked cell a run is executing: its notebook, run reference and
    execution count (In[n]) when inside IPython."""
    if run is None:
        return None
    cell: dict[str, Any] = {"run": run.ref, "notebook": run.notebook}
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    history = shell.user_ns.get("In") if shell is not None else None
    if isinstance(history, list) and history:
        # In[n] is the cell being executed: IPython appends it before running it.
        cell["execution_count"] = len(history) - 1
    return cell
