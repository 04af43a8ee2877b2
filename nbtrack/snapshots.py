"""Snapshot a run's code as it starts, without making the cell wait for git.

At cell start (`start_snapshot`) only the cheap part runs: the notebook file is
read as saved and the execution history copied. Building the files (nbformat,
jupytext) and committing them on the notebook's hidden ref happen in a thread;
`finish_snapshot` waits for that commit before the run is marked ended, so a
finished run always has its snapshot. Failures cost the snapshot, never the run.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .capture.environment import REDACTED, secret_values
from .errors import NbtrackError
from .session import current

if TYPE_CHECKING:
    from .tracking import ActiveRun

#: How long a run's end waits for its snapshot commit before giving up on it.
COMMIT_TIMEOUT_S = 120.0
_SUBJECT_MAX = 72


class SnapshotJob:
    """A run's snapshot commit, made in a thread. (A plain class, not a dataclass:
    importing dataclasses loads inspect and ast, a cost every cold start paid.)"""

    def __init__(self, params_final: threading.Event | None = None) -> None:
        self.thread: threading.Thread | None = None
        self.commit: str | None = None
        self.error: str | None = None
        #: Set when the run's params are final: a snapshot whose run's params change
        #: while the cell runs (`-p NAME` read at the end, `log_params`) commits only
        #: then, so its run.json and commit message say what the run recorded.
        self.params_final = params_final


def start_snapshot(
    run: ActiveRun,
    notebook_path: Path | None,
    cell_source: str,
    history: list[str],
    first_execution_count: int = 1,
    replay: dict[str, Any] | None = None,
    late_params: bool = False,
) -> SnapshotJob | None:
    """Begin snapshotting `run`; None (with a warning on the run) when git is missing.
    With `late_params`, the commit waits for the run's end (`finish_snapshot`): the
    notebook and history are still those of the start."""
    from .versioning import GitUnavailableError
    from .versioning._git import find_git
    from .versioning.snapshot import read_notebook_bytes

    try:
        find_git()
    except GitUnavailableError as exc:
        run.warnings.append(str(exc))
        return None
    raw = read_notebook_bytes(notebook_path)
    job = SnapshotJob(params_final=threading.Event() if late_params else None)
    job.thread = current().spawn(
        run.id,
        "snapshot",
        _snapshot,
        job,
        run,
        notebook_path,
        raw,
        cell_source,
        list(history),
        first_execution_count,
        replay,
    )
    return job


def finish_snapshot(job: SnapshotJob | None, run: ActiveRun) -> str | None:
    """Wait for the snapshot commit; its id, or None (the reason is a run warning)."""
    if job is None or job.thread is None:
        return None
    if job.params_final is not None:
        job.params_final.set()
    job.thread.join(COMMIT_TIMEOUT_S)
    if job.thread.is_alive():
        run.warnings.append(
            f"the notebook snapshot did not finish within {COMMIT_TIMEOUT_S:.0f} s "
            "(is git stuck on a lock?); the run records it if it still completes"
        )
        return None
    if job.commit is None and job.error is not None:
        run.warnings.append(f"no notebook snapshot for this run: {job.error}")
    return job.commit


def _snapshot(
    job: SnapshotJob,
    run: ActiveRun,
    notebook_path: Path | None,
    raw: bytes | OSError | None,
    cell_source: str,
    history: list[str],
    first_execution_count: int,
    replay: dict[str, Any] | None = None,
) -> None:
    from .versioning import build_snapshot, commit_snapshot, ref_for_notebook
    from .versioning.gitstore import read_ref_file
    from .versioning.snapshot import RUN

    if job.params_final is not None:
        job.params_final.wait()
    try:
        info = {
            "id": run.id,
            "name": run.name,
            "ref": run.ref,
            "params": run.params,
            "start_time": run.start_time,
            "notebook": run.notebook,
        }
        files = build_snapshot(
            notebook_path,
            cell_source,
            history,
            info,
            first_execution_count=first_execution_count,
            notebook_bytes=raw,
            replay=replay,
        )
        files = redact_files(files, secret_values())
        root = run.project.root
        ref = ref_for_notebook(root, notebook_path)
        previous = read_ref_file(root, ref, RUN)
        message = commit_message(run.name, _params_of(previous), run.params)
        job.commit = commit_snapshot(root, files, ref, message)
    except (NbtrackError, OSError) as exc:
        job.error = str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - a thread's failure is reported at the run's end
        job.error = f"{type(exc).__name__}: {exc}"
        return
    try:
        # Shown while the run goes on; the run's end records it in any case
        # (end_run), so a store that cannot take it now costs nothing.
        run.writer.store.update_run(run.id, snapshot=job.commit)
    except (NbtrackError, OSError):
        pass


def _params_of(run_json: bytes | None) -> dict[str, Any] | None:
    if run_json is None:
        return None
    try:
        params = json.loads(run_json).get("params")
    except (ValueError, AttributeError):
        return None
    return params if isinstance(params, dict) else None


def redact_files(files: dict[str, bytes], secrets: list[str]) -> dict[str, bytes]:
    """Files with every secret value (and its JSON-escaped form) replaced."""
    if not secrets:
        return files
    needles: list[bytes] = []
    for secret in secrets:
        needles.append(secret.encode("utf-8", "surrogateescape"))
        escaped = json.dumps(secret, ensure_ascii=False)[1:-1].encode("utf-8", "surrogateescape")
        if escaped != needles[-1]:
            needles.append(escaped)
    mask = REDACTED.encode()
    out = {}
    for path, data in files.items():
        for needle in needles:
            if needle in data:
                data = data.replace(needle, mask)
        out[path] = data
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 20 else text[:19] + "…"


def commit_message(name: str, previous: dict[str, Any] | None, params: dict[str, Any]) -> str:
    """`train#4: lr 0.1 → 0.01, +dropout=0.2` and, in the body, every change."""
    if previous is None:
        changes = [f"{k}={_short(v)}" for k, v in params.items()]
        head = f"{name}: first snapshot of this notebook"
    else:
        changes = []
        for key in sorted(set(previous) | set(params)):
            if key not in params:
                changes.append(f"-{key}")
            elif key not in previous:
                changes.append(f"+{key}={_short(params[key])}")
            elif previous[key] != params[key]:
                changes.append(f"{key} {_short(previous[key])} → {_short(params[key])}")
        head = f"{name}: " + (", ".join(changes) if changes else "params unchanged")
    if len(head) > _SUBJECT_MAX:
        head = head[: _SUBJECT_MAX - 1] + "…"
    body = "\n".join(changes)
    return f"{head}\n\n{body}\n" if body else head + "\n"
