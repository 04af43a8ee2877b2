"""Replay recorded cells in a fresh kernel, in a scratch copy of the project.

The kernel is told to use a scratch store (NBTRACK_STORE) and starts in the
scratch folder, so the replayed `%%track` cell records its run there and
nothing reaches the user's store. Cells that raised in the original kernel may
raise again (they are tagged `raises-exception` for nbclient); any other error
stops the replay with the cell and the error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Folders never copied into the scratch project.
SKIP = (".git", ".nbtrack", ".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints")


@dataclass
class Outcome:
    ok: bool
    #: When not ok: the execution count of the cell that broke, and the error.
    cell: int | None = None
    error: str | None = None
    #: Guarded cells: "In [N]: then ...; now ..." lines.
    guarded: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    #: Seconds spent executing the cells (the rest of a verify is overhead).
    cells_s: float = 0.0
    #: What `collect` returned, called after the last cell while the kernel lived.
    collected: Any = None


def scratch_project(
    root: Path, notebook: str | None, notebook_bytes: bytes | None, git: dict[str, Any] | None
) -> tuple[Path, str]:
    """A temporary copy of the project as the run had it (its git commit and
    uncommitted changes, see `checkout`), with the run's notebook as it was
    saved; and what the copy holds, in words."""
    from .checkout import files_at_run

    scratch = Path(tempfile.mkdtemp(prefix="nbtrack-verify-"))
    target = scratch / "project"
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    files = files_at_run(target, root, git)
    if notebook and notebook_bytes is not None and not Path(notebook).is_absolute():
        path = target / notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(notebook_bytes)
    return target, files


def kernel_language(kernel_name: str) -> str | None:
    """The kernelspec's language, or None when it is not installed."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(kernel_name).language.lower()
    except NoSuchKernel:
        return None


def _error_text(exc: Any) -> str:
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
    return f"{ename}: {evalue}".rstrip(": ")


def _cell_error(cell: Any) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}".rstrip(": ")
    return None


def replay(
    cells: list[tuple[int, str, str | None]],
    before_last: str | None,
    *,
    folder: Path,
    kernel_name: str,
    store_url: str,
    notebook_path: Path | None,
    timeout: float,
    collect: Callable[[], Any] | None = None,
) -> Outcome:
    """Run `cells` ((count, source, guard status or None)) in order in a fresh
    `kernel_name` kernel started in `folder`; `before_last` (hidden setup code,
    e.g. restoring RNG states) runs just before the last cell. After the last
    cell, `collect()` reads what the replay left (the tracked cell's run is
    complete in its store when the cell returns); then the kernel is killed
    rather than shut down gracefully: its exit (interpreter teardown, exit
    hooks) would only cost seconds and the scratch copy is thrown away."""
    from ..nbformat_import import import_nbformat

    nbformat = import_nbformat()
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": kernel_name}
    plan: list[tuple[int | None, Any, str | None]] = []
    for i, (count, source, status) in enumerate(cells):
        if before_last is not None and i == len(cells) - 1:
            plan.append((None, nbformat.v4.new_code_cell(before_last), None))
        cell = nbformat.v4.new_code_cell(source)
        if status is not None:
            cell.metadata["tags"] = ["raises-exception"]
        plan.append((count, cell, status))
    nb.cells = [c for _, c, _ in plan]
    env = {
        "NBTRACK_STORE": store_url,
        "JPY_SESSION_NAME": str(notebook_path or folder / "replay.ipynb"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    outcome = Outcome(ok=True)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(folder)}},
        shutdown_kernel="immediate",
    )
    current: int | None = None
    try:
        with client.setup_kernel():
            started = time.perf_counter()
            for index, (count, cell, status) in enumerate(plan):
                current = count
                client.execute_cell(cell, index)
                if count is None:
                    error = _cell_error(cell)
                    if error is not None:
                        return Outcome(False, cells[-1][0], f"restoring RNG states: {error}")
                    continue
                if status is not None:
                    now = _cell_error(cell)
                    then = (
                        "status unknown (ran before %load_ext nbtrack)"
                        if status == "unknown"
                        else status
                    )
                    outcome.guarded.append(
                        f"In [{count}]: then {then}; now "
                        + (f"raised {now}" if now else "ran without error")
                    )
            outcome.cells_s = time.perf_counter() - started
            if collect is not None:
                outcome.collected = collect()
    except DeadKernelError as exc:
        return Outcome(False, current, f"the kernel died ({exc})".strip(), outcome.guarded)
    except CellExecutionError as exc:
        where = "" if current is not None else "restoring the recorded RNG states: "
        return Outcome(False, current, where + _error_text(exc), outcome.guarded)
    except TimeoutError as exc:
        return Outcome(False, current, f"timed out after {timeout:.0f} s ({exc})", outcome.guarded)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return outcome
