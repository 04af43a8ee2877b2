"""One trial of a search sweep, run wherever an executor puts it (this process, a
pool worker, a Dask worker): a function called inside a run, or a notebook
executed in a kernel that is kept for the next trial.

A task is plain data (picklable, JSON-able); its outcome is a dict:
{"ok": bool, "error": one line, "cell": the failing cell's number or None,
"line": its first line, "detail": the traceback, "crashed": the kernel or
process died, "runs": the ids of the trial's runs when known (functions), "run":
a function trial's ended run (id, ref, status, the metric's last value),
"seconds": how long it ran where it ran (not the time it waited to start)}.

A function trial's run costs its worker one write transaction when it lasts
less than `tracking.DEFER_S`: its row (deferred), params, points, summaries and
end go together (a longer one: its row with its first points, its end with its
last). The worker keeps one store engine for all its trials, without pre-ping,
and records the git state the driver read once for the sweep (`TrialTask.git`).
A worker killed during a short trial leaves no row: the driver records the
trial's run as failed with the executor's error and tries the trial once more.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..capture.sweep import SWEEP_ENV

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# One trial at a time per process: the active run is per process.
_one_at_a_time = threading.Lock()


@dataclass
class TrialTask:
    kind: str  # "function" or "notebook"
    number: int
    params: dict[str, Any]
    context: str  # SweepContext.to_env()
    store_url: str
    metric: str | None = None
    function: str | None = None  # cloudpickle, base64
    function_name: str = "trial"
    notebook: dict[str, Any] = field(default_factory=dict)  # input, output, cwd, kernel...
    #: A function trial's git state, read once by the driver (True: read it here).
    git: dict[str, Any] | None | bool = True

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def pack_function(fn: Any) -> str:
    import cloudpickle

    return base64.b64encode(cloudpickle.dumps(fn)).decode("ascii")


def run_task(task: TrialTask | dict[str, Any]) -> dict[str, Any]:
    """Run one trial in this process; never raises for the trial's own errors."""
    if isinstance(task, dict):
        task = TrialTask(**task)
    with _one_at_a_time:
        start = time.perf_counter()
        if task.kind == "function":
            import cloudpickle

            worker_store(task.store_url)

            fn = cloudpickle.loads(base64.b64decode(task.function or ""))
            outcome = run_function(fn, task)
        else:
            outcome = notebook_runner().run(task)
        outcome["seconds"] = time.perf_counter() - start
        return outcome


def worker_store(url: str) -> Any:
    """The store of a process that runs trial after trial: opened once, its
    engine kept for every trial, and without a round trip to test each
    connection taken from its pool (a write that finds its connection dropped
    is tried again on a new one: `store.engine.is_dropped`)."""
    from ..store import open_store

    return open_store(url, pre_ping=False)


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _keep_output(nb: Any, path: Path, task: TrialTask) -> str | None:
    """Write the trial's executed notebook to `path` with its sweep, trial and
    params in the metadata and every secret redacted (the store's password among
    them, as the kernel saw it), as grid sweeps keep theirs (`seal_output`).
    None, or what went wrong (the unredacted file is never left behind)."""
    from ..nbformat_import import import_nbformat

    nbformat = import_nbformat()

    from .outputs import seal_output

    context = json.loads(task.context)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    with _environ({"NBTRACK_STORE": task.store_url}):
        return seal_output(path, context["id"], context["trial"], context.get("params", {}))


def run_function(fn: Any, task: TrialTask) -> dict[str, Any]:
    """`fn(**params)` inside a run of the sweep: `nbtrack.log` in it logs to the
    trial's run. A number it returns is logged as the metric when the function
    did not log the metric itself."""
    from ..errors import TrialPruned
    from ..tracking import end_run, format_error, status_for

    with _environ({SWEEP_ENV: task.context, "NBTRACK_STORE": task.store_url}):
        from ..tracking import begin_run

        run = begin_run(
            name=f"{task.function_name}-{task.number}",
            experiment=task.function_name,
            git=task.git,
            defer=True,  # its row with its points and its end: one transaction
        )
        try:
            result = fn(**task.params)
            if (
                task.metric
                and task.metric not in run.steps
                and isinstance(result, (int, float))
                and not isinstance(result, bool)
            ):
                run.log({task.metric: float(result)})
        except BaseException as exc:
            end_run(run, status_for(exc), exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
            pruned = isinstance(exc, TrialPruned)
            return {
                "ok": False,
                "runs": [run.id],
                "run": _ended(run, task.metric),
                "pruned": pruned,
                "error": f"{type(exc).__name__}: {exc}",
                "cell": None,
                "detail": "" if pruned else format_error(exc),
            }
        end_run(run, "finished")
    return {"ok": True, "runs": [run.id], "run": _ended(run, task.metric)}


def _ended(run: Any, metric: str | None) -> dict[str, Any]:
    """What the driver needs of a function trial's ended run (its reference, status
    and the metric's last value), so that it tells the study without reading the
    run back from the store."""
    summary = run.summaries.get(metric) if metric else None
    last = summary.get("last") if summary else None
    return {
        "id": run.id,
        "ref": run.ref,
        "status": run.status,
        "last": last if isinstance(last, (int, float)) and last == last else None,
    }


# -- notebooks in kept kernels ------------------------------------------------------


_runner: NotebookRunner | None = None


def notebook_runner() -> NotebookRunner:
    global _runner
    if _runner is None:
        _runner = NotebookRunner()
    return _runner


def _setup_source(context: str, cwd: str, trials_before: int = 1) -> str:
    """The hidden first cell of each trial in a kept kernel: a fresh namespace
    (`%reset -f`), this trial's sweep context, and nbtrack loadable again.

    `trials_before`: how many trials this kernel ran. A new kernel's namespace is
    fresh already (no reset). After its first trial the kernel holds everything
    the notebook imports; once the reset has collected that trial's garbage,
    what is left (modules, caches) is moved out of the collector's sight with
    `gc.freeze()`: `%reset`'s two full collections then walk only what later
    trials allocate (here 0.5-2.5 s a trial became ~0.05 s), and each trial's
    cyclic garbage is still collected before the next one starts."""
    lines = ["%reset -f"] if trials_before else []
    if trials_before == 1:
        lines.append("import gc as _nbtrack_gc; _nbtrack_gc.freeze(); del _nbtrack_gc")
    return "\n".join(
        [
            *lines,
            "import os as _nbtrack_os",
            f"_nbtrack_os.environ[{SWEEP_ENV!r}] = {context!r}",
            f"_nbtrack_os.chdir({cwd!r})",
            "del _nbtrack_os",
            "get_ipython().extension_manager.loaded.discard('nbtrack')",
        ]
    )


def close_kernels() -> None:
    """Shut down this process's kept kernels (a Dask worker, before its cluster goes)."""
    if _runner is not None:
        _runner.close()


class NotebookRunner:
    """Kernels kept between trials, one per notebook (and kernel name and store)."""

    def __init__(self) -> None:
        # (notebook, kernel name, store) -> kernel manager, client, trials it ran
        self.kernels: dict[tuple[str, str, str], tuple[Any, Any, int]] = {}
        self.started = 0  # kernels started, for tests and benchmarks

    def run(self, task: TrialTask) -> dict[str, Any]:
        from ..nbformat_import import import_nbformat

        nbformat = import_nbformat()
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from papermill.parameterize import parameterize_notebook

        spec = task.notebook
        key = (spec["input"], spec.get("kernel_name") or "", task.store_url)
        km, kc, ran = self.kernels.get(key, (None, None, 0))
        if km is None:
            from jupyter_client.manager import AsyncKernelManager

            km = AsyncKernelManager(kernel_name=spec.get("kernel_name") or "python3")
            self.started += 1
        from papermill.iorw import load_notebook_node

        nb = load_notebook_node(spec["input"])  # as papermill reads it (cell tags set)
        nb = parameterize_notebook(
            nb,
            task.params,
            kernel_name=spec.get("kernel_name"),
            language=spec.get("language") or "python",
        )
        setup = _setup_source(task.context, spec["cwd"], ran)
        nb.cells.insert(0, nbformat.v4.new_code_cell(setup))
        client = NotebookClient(
            nb,
            km=km,
            timeout=spec.get("timeout"),
            startup_timeout=120,
            kernel_name=spec.get("kernel_name") or "python3",
            resources={"metadata": {"path": spec["cwd"]}},
        )
        client.kc = kc
        env = {
            **os.environ,
            "JPY_SESSION_NAME": spec["input"],
            "NBTRACK_STORE": task.store_url,
        }
        env.pop(SWEEP_ENV, None)
        outcome: dict[str, Any] = {"ok": True}
        keep = True
        try:
            client.execute(cleanup_kc=False, cwd=spec["cwd"], env=env)
        except CellExecutionError as exc:
            outcome = self._cell_error(nb, exc)
        except Exception as exc:  # a dead kernel, a timeout: this kernel is not kept
            keep = False
            text = str(exc).strip()
            outcome = {
                "ok": False,
                "crashed": True,
                "error": f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}",
                "cell": None,
                "detail": text,
            }
        if keep and km.has_kernel:
            self.kernels[key] = (km, client.kc, ran + 1)
        else:
            self.kernels.pop(key, None)
            self._stop(km, client.kc)
        nb.cells.pop(0)
        if spec.get("output"):
            problem = _keep_output(nb, Path(spec["output"]), task)
            if problem is not None:
                outcome["detail"] = f"{outcome.get('detail') or ''}\n{problem}".strip()
        return outcome

    @staticmethod
    def _cell_error(nb: Any, exc: Any) -> dict[str, Any]:
        index = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if c.get("outputs") and any(o.get("output_type") == "error" for o in c.outputs)
            ),
            None,
        )
        source = nb.cells[index].source if index is not None else ""
        first = next((line for line in source.splitlines() if line.strip()), "")
        if index is not None:  # the notebook's own number: no setup or injected cell
            injected = any(
                "injected-parameters" in c.metadata.get("tags", []) for c in nb.cells[:index]
            )
            index -= injected
        return {
            "ok": False,
            "pruned": exc.ename == "TrialPruned",
            "error": f"{exc.ename}: {exc.evalue}",
            "cell": index,  # from 1, in the notebook as the user sees it
            "line": first[:60],
            "detail": _ANSI.sub("", str(exc)),
        }

    @staticmethod
    def _stop(km: Any, kc: Any) -> None:
        from jupyter_core.utils import run_sync

        try:
            if kc is not None:
                kc.stop_channels()
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - a kernel already gone
            pass

    def close(self) -> None:
        for km, kc, _ in self.kernels.values():
            self._stop(km, kc)
        self.kernels.clear()
