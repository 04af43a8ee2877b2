"""Moving runs between stores: a self-contained archive (archive.py), written by
`export_runs` (export.py) and loaded in one transaction by `import_archive`
(load.py); `copy_runs` does both without a file in between."""

from __future__ import annotations

from typing import Any

__all__ = ["copy_runs", "export_runs", "import_archive"]


def __getattr__(name: str) -> Any:
    if name == "export_runs":
        from .export import export_runs

        return export_runs
    if name in ("import_archive", "copy_runs"):
        from . import load

        return getattr(load, name)
    raise AttributeError(name)
