"""`nbtrack.verify(ref)`: replay a run's recorded history and store the verdict.

The replay runs in a fresh kernel of the run's kernelspec, in a scratch copy of
the project with the notebook as the run saw it, logging into a scratch store;
the user's store receives only the verdict.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import NbtrackError
from .compare import DEFAULT_RTOL, describe, judge

#: Seconds a single replayed cell may take.
CELL_TIMEOUT_S = 600.0


@dataclass
class Verdict:
    run: str
    verdict: str
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.run}: {describe(self.verdict, self.detail)}"


def _restore_code(rng: dict[str, Any]) -> str | None:
    if not rng:
        return None
    payload = json.dumps(rng)
    return (
        "import json as _nbtrack_json\n"
        "from nbtrack.capture.rng import restore as _nbtrack_restore\n"
        f"_nbtrack_restore(_nbtrack_json.loads({payload!r}))\n"
        "del _nbtrack_restore, _nbtrack_json\n"
    )


def _kernel_of(files: dict[str, bytes]) -> str:
    raw = files.get("notebook.ipynb")
    if raw:
        try:
            meta = json.loads(raw).get("metadata", {})
            name = (meta.get("kernelspec") or {}).get("name")
            if name:
                return str(name)
        except ValueError:
            pass
    return "python3"


def check(
    ref: str,
    *,
    store: str | None = None,
    rtol: float = DEFAULT_RTOL,
    minimal: bool = False,
    timeout: float = CELL_TIMEOUT_S,
    save: bool = True,
) -> Verdict:
    """Verify one run; the verdict is stored on it (unless `save` is false)."""
    from ..context import current_project
    from ..query import get_run
    from ..rundiff import snapshot_files
    from ..store import open_store
    from ..store.verdicts import save_verdict
    from .history import read_recorded
    from .runner import kernel_language, replay, scratch_project

    started = time.monotonic()
    project = current_project(store)
    st = open_store(project.store_url)
    run = get_run(ref, store=st)
    files = snapshot_files(run, store=st, root=project.root)  # NoSnapshotError: clear message
    recorded = read_recorded(files)

    def done(verdict: str, detail: dict[str, Any]) -> Verdict:
        if cells_s is not None:
            total = time.monotonic() - started
            detail["timing"] = {"total_s": round(total, 3), "cells_s": round(cells_s, 3)}
        if save:
            save_verdict(st, run.id, verdict, detail)
        return Verdict(run.name, verdict, detail, time.monotonic() - started)

    cells_s: float | None = None
    kernel = _kernel_of(files)
    language = kernel_language(kernel)
    if language is None:
        return done("not checked", {"reason": f"kernel {kernel} is not installed here"})
    if language != "python":
        return done("not checked", {"reason": f"kernel {kernel} is not supported"})
    if not recorded.cells:
        return done("not checked", {"reason": "the run recorded no execution history"})
    cells = recorded.cells
    if minimal:
        from .slicing import minimal_slice

        cells = minimal_slice(cells)
    plan = [(count, source, recorded.guard(count)) for count, source in cells]
    rng = recorded.rng
    folder, project_files = scratch_project(
        project.root, run.notebook, files.get("notebook.ipynb"), run.git
    )
    scratch_store = f"sqlite:///{folder.parent / 'store.db'}"
    nb_path = folder / run.notebook if run.notebook else None
    try:
        outcome = replay(
            plan,
            _restore_code(rng),
            folder=folder,
            kernel_name=kernel,
            store_url=scratch_store,
            notebook_path=nb_path,
            timeout=timeout,
            collect=lambda: _replayed_run(scratch_store),
        )
        cells_s = outcome.cells_s
        extra: dict[str, Any] = {
            "cells": len(plan),
            "history": len(recorded.cells),
            "files": project_files,
        }
        if outcome.guarded:
            extra["guarded"] = outcome.guarded
        if rng:
            extra["restored"] = sorted(rng)
        if not outcome.ok:
            return done("failed", {"cell": outcome.cell, "error": outcome.error, **extra})
        replayed = outcome.collected
        if replayed is None:
            return done(
                "failed",
                {"cell": plan[-1][0], "error": "the replayed cell recorded no run", **extra},
            )
        verdict, detail = judge(run.params, run.metrics, replayed.params, replayed.metrics, rtol)
        if verdict == "differs":
            from ..capture.rng import NOT_RESTORED_HINT

            detail["not_restored"] = NOT_RESTORED_HINT
        return done(verdict, {**detail, **extra})
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def _replayed_run(url: str) -> Any:
    from ..query import get_run
    from ..store import open_store

    st = open_store(url)
    try:
        return get_run("latest", store=st)
    except NbtrackError:
        return None
    finally:
        from ..store import _lock, _stores

        with _lock:
            opened = _stores.pop(url, None)
        if opened is not None:
            opened.close()


def candidates(since_seconds: float | None, store: str | None = None) -> list[str]:
    """Ids of finished runs with a snapshot, started within `since_seconds`."""
    from ..context import current_project
    from ..query import runs

    project = current_project(store)
    df = runs(store=project.store_url)
    if df.empty:
        return []
    if since_seconds is not None:
        import pandas as pd

        cutoff = pd.Timestamp(time.time() - since_seconds, unit="s", tz="UTC")
        df = df[df["start"] >= cutoff]
    df = df[df["snapshot"].notna() & (df["status"] == "finished")]
    return list(df["id"])


def parse_since(text: str) -> float:
    """`7d`, `12h`, `30m`, `90s` -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    try:
        return float(text[:-1]) * units[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise NbtrackError(
            f"--since {text!r}: give a number and a unit, e.g. 7d, 12h, 30m"
        ) from None


__all__ = ["Verdict", "candidates", "check", "parse_since"]
