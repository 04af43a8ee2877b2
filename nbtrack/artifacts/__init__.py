"""Artifacts and datasets versioned by content, with lineage to the run and the
tracked cell that made or used them.

Layering: below tracking, beside versioning. Blobs are content-addressed (BLAKE3)
in a local folder or any fsspec URL; versions, aliases and made/used edges are
rows in the store (SQLite or PostgreSQL).
"""

from __future__ import annotations

import sys as _sys
import types as _types
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import log_artifact, log_dataset, set_alias, use_artifact, use_dataset
    from .errors import ArtifactError, ArtifactNotFoundError, ArtifactStorageError
    from .records import Version

# Loaded on first use: the package's pure modules (inputs_diff, names) are imported
# by the command line's `nbtrack diff`, which must not pay for SQLAlchemy (api and
# records import the store).
_LAZY = {
    "log_artifact": "api",
    "log_dataset": "api",
    "set_alias": "api",
    "use_artifact": "api",
    "use_dataset": "api",
    "ArtifactError": "errors",
    "ArtifactNotFoundError": "errors",
    "ArtifactStorageError": "errors",
    "Version": "records",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ArtifactError",
    "ArtifactNotFoundError",
    "ArtifactStorageError",
    "Version",
    "log_artifact",
    "log_dataset",
    "set_alias",
    "use_artifact",
    "use_dataset",
]


class _CallableModule(_types.ModuleType):
    """`nbtrack.artifacts()` is the artifacts DataFrame even when this package,
    which shares its name, has been imported as `nbtrack.artifacts`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .reads import artifacts

        return artifacts(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
