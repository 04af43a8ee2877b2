"""Which blob storage holds the media of runs read from a given store.

A run does not record its project folder, but its store says where it is: the
current project's store → the current project's artifact storage (as logging
used); an SQLite store of another project (`<root>/.nbtrack/nbtrack.db`, or a
file `[tool.nbtrack] store` of the project above it names) → that project's
artifact storage (NBTRACK_ARTIFACTS, else its `[tool.nbtrack] artifacts`). Any
other store (a PostgreSQL URL that is not this project's) names no project:
NBTRACK_ARTIFACTS then says where the media are, else the read fails saying so.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .errors import MediaError

_opened: dict[str, Any] = {}
_lock = threading.Lock()


class MediaStorageUnknownError(MediaError):
    """The media of runs in a store whose project cannot be told."""


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    rest = url[len("sqlite:///") :].split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest).resolve()


def same_store(a: str, b: str) -> bool:
    pa, pb = _sqlite_path(a), _sqlite_path(b)
    if pa is not None or pb is not None:
        return pa == pb
    return a == b


def project_root_of(url: str) -> Path | None:
    """The project folder an SQLite store belongs to, or None. Pure but for reading
    the candidate project's pyproject.toml."""
    from ..config import STORE_DIRNAME, find_project_root, resolve_project

    path = _sqlite_path(url)
    if path is None:
        return None
    if path.parent.name == STORE_DIRNAME:
        return path.parent.parent
    root = find_project_root(path.parent)
    if same_store(resolve_project(root, environ={}).store_url, url):
        return root
    return None


def blobs_for_store(url: str) -> Any:
    """The blob storage (artifacts.blobstore) holding the media of runs in the
    store at `url`; MediaStorageUnknownError when that cannot be told."""
    from ..artifacts.context import context_for
    from ..context import current_project

    here = current_project()
    if same_store(url, here.store_url):
        return context_for().blobs
    root = project_root_of(url)
    if root is None:
        if os.environ.get("NBTRACK_ARTIFACTS"):
            return context_for().blobs  # the user says where: it wins over the project
        from ..store.urls import mask_url

        raise MediaStorageUnknownError(
            f"the runs were read from the store at {mask_url(url)}, which is not this "
            f"project's store ({mask_url(here.store_url)}), and a run does not record "
            "which project's artifact storage holds its media. Read them from a notebook "
            "or folder of the project that logged them, or set NBTRACK_ARTIFACTS to that "
            "project's artifact storage (its [tool.nbtrack] artifacts, or "
            "<project>/.nbtrack/artifacts)"
        )
    with _lock:
        key = f"{root}|{os.environ.get('NBTRACK_ARTIFACTS', '')}"
        blobs = _opened.get(key)
        if blobs is None:
            from ..artifacts.blobstore import open_blobs
            from ..config import read_project_settings

            # As for any project: NBTRACK_ARTIFACTS, else its [tool.nbtrack] artifacts.
            blobs = open_blobs(root, read_project_settings(root))
            _opened[key] = blobs
        return blobs


def forget_opened() -> None:
    with _lock:
        _opened.clear()
