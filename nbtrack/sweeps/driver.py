"""Run a notebook once per parameter combination (papermill), each execution's
tracked cells recorded as runs of one sweep.

Each trial is a worker process (`worker.py`) whose kernel inherits NBTRACK_SWEEP
(the sweep id, the trial number, the parameters), so `begin_run` files the runs
under the sweep. A trial that fails outside any tracked cell is recorded as a
failed run of its own; a failed trial never stops the others.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..capture.params import to_json_value
from ..capture.sweep import SWEEP_ENV, SweepContext
from ..config import Project, private_folder, resolve_project
from .grid import SweepError, combinations, describe, file_stem, new_sweep_id
from .notebook import SweepNotebook, check_names, read_sweep_notebook
from .outputs import seal_output

if TYPE_CHECKING:
    import pandas as pd

_FAILED = ("failed", "interrupted", "crashed")
_SWEEP_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass
class Trial:
    """One combination of a sweep and what became of it."""

    number: int
    params: dict[str, Any]
    output: Path
    status: str = "pending"  # then "finished" or "failed"
    runs: list[str] = field(default_factory=list)  # references, e.g. train#7
    error: str | None = None
    seconds: float = 0.0

    def line(self) -> str:
        """`trial 2: lr=0.1 → failed (train#7), 3.2 s` and the error, secrets redacted."""
        from ..capture.environment import public_text

        runs = ", ".join(self.runs) or "no run"
        text = f"trial {self.number}: {describe(self.params)} → {self.status} ({runs})"
        if self.status != "pending":
            text += f", {self.seconds:.1f} s"
        if self.error:
            text += f"\n    {self.error}"
        return public_text(text)


@dataclass
class Sweep:
    """A finished sweep: its id (what `nbtrack.runs(sweep=...)` filters on) and trials."""

    id: str
    notebook: Path
    trials: list[Trial]
    store_url: str
    output_dir: Path

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if t.status != "finished"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def runs(self) -> pd.DataFrame:
        """The sweep's runs as `nbtrack.runs()` gives them (newest first)."""
        from ..query import runs

        return runs(sweep=self.id, store=self.store_url)

    def __str__(self) -> str:
        done = sum(t.status == "finished" for t in self.trials)
        head = (
            f"sweep {self.id} of {self.notebook.name}: {done} of {len(self.trials)} "
            f"combinations finished"
        )
        return "\n".join([head, *(t.line() for t in self.trials)])

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def sweep(
    notebook: str | Path,
    params: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    parallel: int = 1,
    kernel_name: str | None = None,
    timeout: float | None = None,
    output_dir: str | Path | None = None,
    sweep_id: str | None = None,
    store: str | None = None,
    on_start: Callable[[Sweep], None] | None = None,
    on_trial: Callable[[Trial, Sweep], None] | None = None,
) -> Sweep:
    """Run `notebook` once per combination of `params` through papermill and file
    every tracked cell's run under one sweep id:

        s = nbtrack.sweep("train.ipynb", {"lr": [0.1, 0.01], "layers": [1, 2]}, parallel=2)
        s.runs()                                  # or nbtrack.runs(sweep=s.id)

    `params` is a grid (every combination) or a list of dicts (those combinations).
    The notebook needs a cell tagged `parameters`; each execution gets its values
    injected after it, as papermill does. A failing combination is recorded as a
    failed run and the others go on. Executed notebooks are kept in `output_dir`
    (default `.nbtrack/sweeps/<sweep id>/` of the project). `on_start` is called
    once everything is checked and before the first trial, `on_trial` as each ends.
    """
    if type(parallel) is not int or parallel < 1:
        raise SweepError(f"parallel must be a whole number of at least 1, got {parallel!r}")
    if timeout is not None and not timeout > 0:
        raise SweepError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if sweep_id is not None and not _SWEEP_ID.fullmatch(sweep_id):
        raise SweepError(
            f"a sweep id is 1 to 64 letters, digits, '.', '_' or '-', got {sweep_id!r}"
        )
    path = Path(notebook).expanduser().resolve()
    nb = read_sweep_notebook(path)
    if not (kernel_name or nb.kernel_name):
        raise SweepError(
            f"{path.name} names no kernel (no kernelspec in its metadata): pass the kernel's "
            "name, e.g. kernel_name='python3' (nbtrack sweep -k python3)"
        )
    combos = combinations(params)
    check_names(nb, sorted({name for combo in combos for name in combo}))
    # A store given here is resolved as NBTRACK_STORE would be (relative SQLite
    # paths from the project root), and handed to the kernels in that form.
    environ = {**os.environ, "NBTRACK_STORE": store} if store else None
    project = resolve_project(path.parent, environ)
    from ..store import open_store

    open_store(project.store_url)  # create or upgrade it once, before kernels race to
    sid = sweep_id or new_sweep_id()
    if output_dir:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
    else:
        out = private_folder(project.root, "sweeps", sid)
    width = len(str(len(combos)))
    trials = [
        Trial(i, combo, out / f"{file_stem(i, width)}.ipynb") for i, combo in enumerate(combos, 1)
    ]
    result = Sweep(sid, path, trials, project.store_url, out)
    if on_start is not None:
        on_start(result)
    runner = _Runner(result, nb, kernel_name or nb.kernel_name, timeout, project)
    runner.run(parallel, on_trial)
    return result


class _Runner:
    def __init__(
        self,
        sweep: Sweep,
        notebook: SweepNotebook,
        kernel_name: str | None,
        timeout: float | None,
        project: Project,
    ) -> None:
        self.sweep = sweep
        self.notebook = notebook
        self.kernel_name = kernel_name
        self.timeout = timeout
        self.project = project
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def run(self, parallel: int, on_trial: Callable[[Trial, Sweep], None] | None) -> None:
        pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="nbtrack-sweep")
        futures = [pool.submit(self.trial, t) for t in self.sweep.trials]
        try:
            for future in futures:
                trial = future.result()
                if on_trial is not None:
                    on_trial(trial, self.sweep)
        except BaseException:
            # Ctrl-C (or a failing callback): stop the trials under way and the rest.
            self.stopping = True
            for future in futures:
                future.cancel()
            self.kill_all()
            pool.shutdown(wait=True, cancel_futures=True)
            self.mark_interrupted()
            raise
        pool.shutdown(wait=True)

    def kill_all(self) -> None:
        with self.lock:
            procs = list(self.procs)
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass

    def values(self, trial: Trial) -> dict[str, Any]:
        """All the parameters cell's values for `trial`: its defaults, then the swept ones."""
        return {**self.notebook.defaults, **trial.params}

    def mark_interrupted(self) -> None:
        """The runs the stopped trials left running end as interrupted, as a
        Ctrl-C in a notebook would leave them (not crashed)."""
        from ..query import store_for

        st = store_for(self.project.store_url)
        now = time.time()
        for row in st.select_runs(sweep=self.sweep.id, status="running", columns=["id"]):
            st.update_run(row["id"], status="interrupted", end_time=now)
        for trial in self.sweep.trials:
            if trial.status == "pending":
                trial.status = "interrupted"

    def trial(self, trial: Trial) -> Trial:
        if self.stopping:
            return trial
        start = time.time()
        context = SweepContext(self.sweep.id, trial.number, to_json_value(self.values(trial)))
        env = {
            **os.environ,
            SWEEP_ENV: context.to_env(),
            "JPY_SESSION_NAME": str(self.sweep.notebook),
            # The store the sweep resolved, so its kernels cannot resolve another.
            "NBTRACK_STORE": self.project.store_url,
        }
        with tempfile.TemporaryDirectory(prefix="nbtrack-sweep-") as tmp:
            result_file = Path(tmp) / "result.json"
            spec = {
                "input": str(self.sweep.notebook),
                "output": str(trial.output),
                "parameters": trial.params,
                "cwd": str(self.sweep.notebook.parent),
                "kernel_name": self.kernel_name,
                "language": self.notebook.language,
                "timeout": self.timeout,
                "result": str(result_file),
            }
            proc = subprocess.Popen(
                [sys.executable, "-m", "nbtrack.sweeps.worker", json.dumps(spec)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C reaches the sweep, which stops it
            )
            with self.lock:
                self.procs.add(proc)
                stopping = self.stopping  # set before kill_all() took its list
            if stopping:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                _, stderr = proc.communicate()
            finally:
                with self.lock:
                    self.procs.discard(proc)
            outcome = _read_result(result_file, proc.returncode, stderr)
        # papermill wrote the notebook as it ran: redact it now, whatever happened.
        problem = seal_output(trial.output, self.sweep.id, trial.number, context.params)
        if problem is not None:
            outcome.setdefault("detail", "")
            outcome["detail"] = f"{outcome['detail']}\n{problem}".strip()
        trial.seconds = time.time() - start
        if self.stopping:
            return trial  # stopped by the user: mark_interrupted() settles it
        self.settle(trial, outcome, start)
        return trial

    def settle(self, trial: Trial, outcome: dict[str, Any], start: float) -> None:
        """Name the trial's runs and, when it failed where no run saw it, record one."""
        from ..capture.environment import public_text
        from ..query import reap_crashed, store_for

        st = store_for(self.project.store_url)
        reap_crashed(st)  # a kernel that died inside a tracked cell left its run running
        rows = [
            r
            for r in st.select_runs(
                sweep=self.sweep.id, columns=["id", "stem", "seq", "status", "trial", "start_time"]
            )
            if r["trial"] == trial.number
        ]
        rows.reverse()  # oldest first
        trial.runs = [f"{r['stem']}#{r['seq']}" for r in rows]
        if outcome["ok"]:
            trial.status = "finished"
            return
        trial.status = "failed"
        where = "the notebook"
        if outcome.get("cell") is not None:
            number = self.notebook.cell_number(outcome["cell"])
            where = f"cell {number} ({outcome.get('line', '')})"
        trial.error = public_text(f"{where} failed: {outcome['error']}")
        if any(r["status"] in _FAILED for r in rows):
            return  # a tracked cell failed (or its kernel died): its run says so
        from ..tracking import record_failed_run

        ref = record_failed_run(
            notebook=self.sweep.notebook,
            project=self.project,
            params=self.values(trial),
            error=f"{trial.error}\n\n{outcome.get('detail') or ''}".rstrip(),
            start_time=start,
            sweep=self.sweep.id,
            trial=trial.number,
            notes=f"sweep {self.sweep.id}, trial {trial.number}: executed notebook at "
            f"{trial.output}",
        )
        trial.runs.append(ref)


def _read_result(path: Path, returncode: int | None, stderr: bytes) -> dict[str, Any]:
    try:
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return result
    except (OSError, ValueError):
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-12:]
        return {
            "ok": False,
            "error": f"the trial's process ended with code {returncode} before reporting",
            "cell": None,
            "detail": "\n".join(tail),
        }
