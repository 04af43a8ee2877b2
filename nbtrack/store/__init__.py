"""Persistence: schema, migrations, the batched metric writer, SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from .store import Store

_stores: dict[str, Store] = {}
_lock = threading.Lock()


def open_store(url: str) -> Store:
    """The process's Store for `url`, opened (and migrated) on first use."""
    with _lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = Store(url)
        return store


def forget_stores() -> None:
    """Close every open store (tests switch stores between cases)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


__all__ = ["Store", "open_store", "forget_stores"]
