"""A trial's executed notebook as it is kept: where it goes, what it records, and
no secret in it.

papermill writes the notebook as it runs, outputs and tracebacks included. Once
the trial's process has ended, `seal_output` records the sweep, trial and
parameters in the notebook's metadata (`nbtrack.sweep`) and redacts every secret
value (secret environment variables, store passwords) from the whole file, as
snapshots are redacted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

METADATA_KEY = "nbtrack"


def seal_output(path: Path, sweep_id: str, trial: int, params: dict[str, Any]) -> str | None:
    """Add the trial's metadata to the notebook at `path` and redact it in place.
    None, or why the file could not be sealed (no file: the trial never started it)."""
    from ..capture.environment import secret_values
    from ..snapshots import redact_files

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read the executed notebook {path}: {exc}"
    try:
        nb = json.loads(raw)
        if not isinstance(nb, dict):
            raise ValueError("not a JSON object")
        meta = nb.setdefault("metadata", {})
        meta.setdefault(METADATA_KEY, {})["sweep"] = {
            "id": sweep_id,
            "trial": trial,
            "params": params,
        }
        raw = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    except ValueError:
        pass  # a notebook cut off mid-write: still redacted below, as it is
    sealed = redact_files({"nb": raw}, secret_values())["nb"]
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(sealed)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)  # never leave the unredacted copy behind
        return f"cannot write the executed notebook {path}: {exc}; it was removed"
    return None
