"""Persistence: schema, migrations, the batched metric writer, SQLite and PostgreSQL.

Importing the package is cheap: `Store` (and SQLAlchemy with it) loads on first use,
so that `store.sqlite_reads` serves the command line without it.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sqlite_writes import SqliteStore
    from .store import Store

_stores: dict[str, Store | SqliteStore] = {}
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child must not share the parent's database connections: drop
    them from the pools (without closing the parent's sockets) and reconnect."""
    global _lock
    _lock = threading.Lock()
    for store in _stores.values():
        store.after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


def open_store(url: str, pre_ping: bool = True) -> Store:
    """The process's Store for `url`, opened (and migrated) on first use. A SQLite
    file's is a SqliteStore: its writes go through the standard library's sqlite3,
    so that a script that only logs never imports SQLAlchemy. `pre_ping` (on first
    use only): see `engine.create_engine`."""
    with _lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = _new_store(url, pre_ping)
        return store  # type: ignore[return-value]


def _new_store(url: str, pre_ping: bool = True) -> Store | SqliteStore:
    from .sqlite_files import plain_sqlite_path

    path = plain_sqlite_path(url)
    if path is not None and os.environ.get("NBTRACK_SQLITE_WRITES", "stdlib") != "sqlalchemy":
        from .sqlite_writes import SqliteStore, StaleWrites

        try:
            return SqliteStore(url, path)
        except StaleWrites as stale:
            return stale.full
    from .store import Store

    return Store(url, pre_ping)


def forget_stores() -> None:
    """Close every open store (tests switch stores between cases)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


def __getattr__(name: str) -> Any:
    if name == "Store":
        from .store import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Store", "open_store", "forget_stores"]
