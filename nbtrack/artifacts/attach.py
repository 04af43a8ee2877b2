"""Record an artifact version as made by a given run, without an active run: for
importers (import-mlflow --artifacts) that write runs after the fact.

The same content as `log_artifact` (a file or a whole folder, stored by hash in the
project's blob storage), the same version rule (same name and bytes: the existing
version), and a made-by ("out") edge to ``run_id``. Idempotent: again, nothing new.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .context import ArtifactContext, context_for
from .errors import ArtifactError
from .names import check_name
from .records import Version, add_edge


def artifact_name(text: str) -> str:
    """A valid artifact name made from a path or label (`/`, `:` and `\\` become `-`)."""
    name = re.sub(r"[/:\\]+", "-", text).strip().strip("-")
    name = "".join(c for c in name if ord(c) >= 32)[:200].strip()
    return name or "artifact"


def log_artifact_for_run(
    path: str | os.PathLike[str],
    run_id: str,
    *,
    name: str | None = None,
    type: str = "file",
    cell: dict[str, Any] | None = None,
    ctx: ArtifactContext | None = None,
) -> tuple[Version, bool]:
    """Store the file or folder at ``path`` as a version of ``name`` made by the run
    ``run_id`` (which must exist in the context's store). Returns (version, created)."""
    from .api import store_version

    p = Path(path).expanduser().absolute()
    if not os.path.lexists(p):
        raise ArtifactError(f"no file or folder at {p}: nothing to record for run {run_id}")
    name = check_name(name if name is not None else p.name)
    ctx = ctx if ctx is not None else context_for()
    version, created = store_version(ctx, p, name, type, run_id, cell)
    add_edge(ctx.store, run_id, version.id, "out", cell)
    return version, created
