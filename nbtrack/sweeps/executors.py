"""Where a search sweep's trials run. One interface: `submit(task)` returns a
`concurrent.futures.Future` of the trial's outcome dict (sweeps/trials.py), and
`close(cancel)`. Other engines (Ray, ...) come in as another class here.

- `InProcess`: a function, one trial at a time, in this process.
- `LocalPool`: long-lived worker processes (`python -m nbtrack.sweeps.pool_worker`),
  each keeping one kernel per notebook between trials; a worker that dies is
  replaced and its trial reported as crashed.
- `DaskExecutor`: trials as Dask tasks on a `distributed` cluster (an address,
  or this process's LocalCluster of worker processes, kept between sweeps:
  `dask_cluster.py`); the workers, warmed while the driver prepares, write to
  the shared store.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .grid import SweepError
from .trials import TrialTask, run_task


class InProcess:
    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def submit(self, task: TrialTask) -> Future:
        from .trials import run_function

        future: Future = Future()
        try:
            future.set_result(run_function(self.fn, task))
        except BaseException as exc:
            future.set_exception(exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
        return future

    def close(self, cancel: bool = False) -> None:
        pass


class _Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nbtrack.sweeps.pool_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the driver, which stops it
            text=True,
        )

    def ask(self, task: TrialTask) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(task.to_json()) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            code = self.proc.wait()
            return {
                "ok": False,
                "crashed": True,
                "error": f"the sweep's worker process ended (code {code}) during the trial",
                "cell": None,
                "detail": "",
            }
        result: dict[str, Any] = json.loads(line)
        return result

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        if self.alive and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()  # the worker shuts its kernels down and exits
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class LocalPool:
    """`parallel` worker processes, started on first use and kept."""

    def __init__(self, parallel: int) -> None:
        self.threads = ThreadPoolExecutor(parallel, thread_name_prefix="nbtrack-sweep")
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.all: list[_Worker] = []
        self.lock = threading.Lock()
        self.stopping = False

    def submit(self, task: TrialTask) -> Future:
        return self.threads.submit(self._run, task)

    def _run(self, task: TrialTask) -> dict[str, Any]:
        try:
            worker = self.idle.get_nowait()
        except queue.Empty:
            with self.lock:
                if self.stopping:
                    return {"ok": False, "error": "the sweep was stopped", "cell": None}
                worker = _Worker()
                self.all.append(worker)
        result = worker.ask(task)
        if worker.alive:
            self.idle.put(worker)
        else:
            with self.lock:
                self.all.remove(worker)
        return result

    def close(self, cancel: bool = False) -> None:
        with self.lock:
            self.stopping = True
            workers = list(self.all)
        if cancel:
            for worker in workers:
                worker.kill()
            self.threads.shutdown(wait=True, cancel_futures=True)
        else:
            self.threads.shutdown(wait=True)
            for worker in workers:
                worker.close()


class DaskExecutor:
    """Trials on a Dask cluster: `scheduler` an address (tcp://host:8786), or
    None for a LocalCluster of `parallel` worker processes on this machine."""

    def __init__(
        self, scheduler: str | None, parallel: int, store_url: str, notebooks: bool = True
    ) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise SweepError(
                "executor='dask' needs Dask's distributed scheduler: "
                "pip install 'nbtrack[dask]' (or 'dask[distributed]')"
            ) from exc
        import sqlalchemy as sa

        if scheduler and sa.make_url(store_url).get_backend_name() == "sqlite":
            raise SweepError(
                "the store is an SQLite file, which workers on other machines cannot "
                "write: use a PostgreSQL store for a Dask cluster (NBTRACK_STORE="
                "postgresql+psycopg://user@host/db, or store= ...)"
            )
        from .dask_cluster import local_client, warm

        self.local = not scheduler
        self.notebooks = notebooks  # kernels kept in the workers, to shut down at the end
        try:
            self.client = Client(scheduler, timeout="15s") if scheduler else local_client(parallel)
        except (OSError, TimeoutError) as exc:
            raise SweepError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}. Start it "
                "(dask scheduler) or check the address; no trial was started"
            ) from exc
        warm(self.client, store_url)

    def submit(self, task: TrialTask) -> Future:
        future: Future = Future()
        remote = self.client.submit(run_task, task.to_json(), pure=False)

        def done(f: Any) -> None:
            try:
                future.set_result(f.result())
            except BaseException as exc:  # noqa: BLE001 - the worker was lost, ...
                future.set_result(
                    {
                        "ok": False,
                        "crashed": True,
                        "error": f"the Dask task failed: {type(exc).__name__}: {exc}",
                        "cell": None,
                        "detail": "",
                    }
                )

        remote.add_done_callback(done)
        return future

    def close(self, cancel: bool = False) -> None:
        """The trials' kept kernels shut down; the LocalCluster kept for the next
        sweep (closed after a cancel: its trials may still be running there)."""
        from .dask_cluster import close_local
        from .trials import close_kernels

        try:
            if cancel:
                self.client.cancel(list(self.client.futures.values()), force=True)
            elif self.notebooks:
                try:
                    self.client.run(close_kernels)  # kept kernels go before their workers
                except Exception:  # noqa: BLE001 - a worker already gone keeps nothing
                    pass
            if not self.local:
                self.client.close()
        finally:
            if self.local and cancel:
                close_local()
