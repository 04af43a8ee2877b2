"""Studies that earlier versions of nbtrack kept in Optuna's RDB tables
(`studies`, `trials`, ...: in an SQLite store beside nbtrack's tables, in
PostgreSQL in the schema `nbtrack_optuna`). Read where they are (the sweeps
list, importances, `s.study`); a sweep continued with its id moves its study
into the journal once (`optuna.copy_study`, then deleted here). Optuna's tables
are never created: a store without them has no such study."""

from __future__ import annotations

import sys
import threading
from typing import Any

PG_SCHEMA = "nbtrack_optuna"
_storages: dict[str, Any] = {}
_lock = threading.Lock()


def rdb_storage(store_url: str) -> Any | None:
    """Optuna's RDBStorage on the store's old study tables; None without them."""
    with _lock:
        if store_url in _storages:
            return _storages[store_url]
    storage = _open(store_url) if _has_tables(store_url) else None
    with _lock:
        return _storages.setdefault(store_url, storage)


def _has_tables(store_url: str) -> bool:
    import sqlalchemy as sa

    from .journal_backend import has_table

    pg = sa.make_url(store_url).get_backend_name() == "postgresql"
    return has_table(store_url, "studies", PG_SCHEMA if pg else None)


def _open(store_url: str) -> Any:
    import optuna
    import sqlalchemy as sa

    kwargs: dict[str, Any] = {}
    if sa.make_url(store_url).get_backend_name() == "postgresql":
        kwargs = {"connect_args": {"options": f"-csearch_path={PG_SCHEMA}"}, "pool_pre_ping": True}
    else:
        kwargs = {"connect_args": {"timeout": 60}}
    # skip_table_creation: the tables are there (an upgrade of Optuna's own schema
    # is Optuna's to say, when it refuses them).
    return optuna.storages.RDBStorage(store_url, engine_kwargs=kwargs, skip_table_creation=True)


def rdb_studies(store_url: str) -> dict[str, Any]:
    """{study name: FrozenStudy} of the old tables (none without them)."""
    storage = rdb_storage(store_url)
    if storage is None:
        return {}
    return {s.study_name: s for s in storage.get_all_studies()}


def move_to_journal(store_url: str, sweep_id: str, journal: Any) -> bool:
    """Copy the old study of `sweep_id` into the journal and delete it from the
    RDB tables; False when there is none. Said on stderr, once."""
    import optuna

    storage = rdb_storage(store_url)
    if storage is None or sweep_id not in rdb_studies(store_url):
        return False
    try:
        optuna.copy_study(from_study_name=sweep_id, from_storage=storage, to_storage=journal)
    except optuna.exceptions.DuplicatedStudyError:
        return True  # another driver moved it meanwhile
    storage.delete_study(storage.get_study_id_from_name(sweep_id))
    print(
        f"nbtrack: sweep {sweep_id}'s study moved from Optuna's RDB tables into "
        "nbtrack_study_log (where sweeps keep their studies now)",
        file=sys.stderr,
    )
    return True


def forget() -> None:
    with _lock:
        for storage in _storages.values():
            if storage is not None:
                storage.engine.dispose()
        _storages.clear()
