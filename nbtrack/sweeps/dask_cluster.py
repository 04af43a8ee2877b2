"""The Dask side of a sweep's fixed costs: the LocalCluster kept between sweeps
and workers warmed while the driver prepares.

- `local_client(parallel)`: this process's LocalCluster of `parallel` worker
  processes (one thread each, no dashboard, no profiler), started on the first
  sweep that needs it and kept for the next ones (its start is ~6 s, its close
  ~2 s); closed when this process exits, or at once by `close_local()` (a sweep
  that was interrupted: its trials may still run there). A sweep with another
  `parallel`, or from another working folder (the workers' own), replaces it.
- `warm(client, store_url)`: each worker imports what a trial needs and opens
  the store's engine (and a first connection) now, in the background, so the
  first trial of each worker does not pay it.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

_lock = threading.Lock()
#: ((parallel, working folder), cluster, client) of this process's kept LocalCluster.
_kept: tuple[tuple[int, str], Any, Any] | None = None
_registered = False


def local_client(parallel: int) -> Any:
    """A Client of this process's LocalCluster of `parallel` workers (kept)."""
    global _kept, _registered
    key = (parallel, os.getcwd())
    with _lock:
        if _kept is not None:
            if _kept[0] == key and _usable(_kept[1], _kept[2]):
                return _kept[2]
            _close(_kept)
            _kept = None
        import dask
        from distributed import Client, LocalCluster

        # No dashboard, so no use for Dask's profiler, which samples every
        # worker thread's stack each 10 ms (here ~10 ms of a 0.1 s trial).
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(
                n_workers=parallel,
                processes=True,
                threads_per_worker=1,
                dashboard_address=None,
            )
        _kept = (key, cluster, Client(cluster))
        if not _registered:
            atexit.register(close_local)
            _registered = True
        return _kept[2]


def kept_client() -> Any:
    """The kept LocalCluster's Client, or None."""
    return _kept[2] if _kept is not None else None


def close_local() -> None:
    """Close the kept LocalCluster (at exit, or after an interrupted sweep)."""
    global _kept
    with _lock:
        if _kept is not None:
            _close(_kept)
            _kept = None


def _usable(cluster: Any, client: Any) -> bool:
    return client.status == "running" and cluster.status.name == "running"


def _close(kept: tuple[tuple[int, str], Any, Any]) -> None:
    _, cluster, client = kept
    try:
        client.close()
    finally:
        cluster.close()


def warm(client: Any, store_url: str) -> None:
    """Have each worker get ready for trials, without waiting for it."""
    client.run(warm_worker, store_url, wait=False, on_error="ignore")


async def warm_worker(store_url: str) -> None:
    """In a worker (Dask runs a function it need not wait for only as a
    coroutine): get ready in a thread, off the worker's event loop."""
    import asyncio

    await asyncio.to_thread(_get_ready, store_url)


def _get_ready(store_url: str) -> None:
    """Import the trial's modules and open the store (its engine and one
    connection, kept in the pool for the first trial)."""
    from .. import tracking  # noqa: F401
    from . import trials  # noqa: F401 - the import is the point

    trials.worker_store(store_url)
