"""The Optuna study of a search sweep, kept in the project's own store database.

Optuna's RDB storage writes its tables (`studies`, `trials`, `alembic_version`,
...) through SQLAlchemy. In an SQLite store they sit beside nbtrack's
`nbtrack_*` tables in the same file (no second file). In PostgreSQL they go into
their own schema, `nbtrack_optuna`, so their generic names never meet a team's
own tables. The study is named by the sweep id; what the sweep searches
(target, space, metric, goal) is kept in the study's user attributes, so that a
reused sweep id is checked against it.
"""

from __future__ import annotations

import threading
from typing import Any

from .grid import SweepError

PG_SCHEMA = "nbtrack_optuna"
ATTR = "nbtrack"
_storages: dict[str, Any] = {}
_lock = threading.Lock()


def storage_for(store_url: str) -> Any:
    """Optuna's RDBStorage on the store at `store_url`, one per process."""
    with _lock:
        storage = _storages.get(store_url)
        if storage is None:
            storage = _storages[store_url] = _open(store_url)
        return storage


def _open(store_url: str) -> Any:
    import optuna
    import sqlalchemy as sa

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = sa.make_url(store_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        # Many trial processes write one file: wait for the lock as nbtrack does.
        kwargs["connect_args"] = {"timeout": 60}
    elif url.get_backend_name() == "postgresql":
        _ensure_schema(sa, store_url)
        kwargs["connect_args"] = {"options": f"-csearch_path={PG_SCHEMA}"}
        kwargs["pool_pre_ping"] = True
    storage = optuna.storages.RDBStorage(store_url, engine_kwargs=kwargs)
    if url.get_backend_name() == "sqlite":
        from ..store.engine import configure_sqlite

        # Every transaction of Optuna's takes the write lock at its BEGIN, as
        # nbtrack's own writes do: Optuna claims a queued trial by a read and then an
        # update, and in a deferred transaction two drivers (or two slots of one)
        # both read it WAITING and both ran it. Also WAL's commit without a flush
        # (Optuna commits 5-7 times a trial) and the fork guard.
        storage.engine.update_execution_options(nbtrack_write=True)
        configure_sqlite(storage.engine)
        storage.engine.dispose()  # the connections opened while checking the schema
    return storage


def _ensure_schema(sa: Any, store_url: str) -> None:
    """Create the study's schema unless it is there (a database owner may have made
    it for a role that cannot create schemas, as team stores often are)."""
    from ..store.urls import mask_url

    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": PG_SCHEMA}
            ).first()
            if found is None:
                conn.execute(sa.text(f"CREATE SCHEMA {PG_SCHEMA}"))
    except sa.exc.ProgrammingError as exc:
        if "permission denied" not in str(exc).lower():
            raise
        role = sa.make_url(store_url).username or "the store's role"
        raise SweepError(
            f"the store at {mask_url(store_url)} does not let {role} create the schema "
            f"{PG_SCHEMA}, where searched sweeps keep their Optuna study: ask the "
            f"database's owner to run CREATE SCHEMA {PG_SCHEMA} AUTHORIZATION {role}; "
            "then run the sweep again"
        ) from None
    finally:
        engine.dispose()


def forget_storages() -> None:
    with _lock:
        for storage in _storages.values():
            try:
                storage.engine.dispose()
            except Exception:  # noqa: BLE001 - closing a pool that is already gone
                pass
        _storages.clear()


def open_study(
    store_url: str,
    sweep_id: str,
    attrs: dict[str, Any],
    *,
    direction: str,
    sampler: Any,
    pruner: Any,
) -> tuple[Any, bool]:
    """The study of `sweep_id` (created, or loaded and checked against `attrs`);
    and whether it existed before."""
    import optuna

    storage = storage_for(store_url)
    existing = {s.study_name for s in storage.get_all_studies()}
    existed = sweep_id in existing
    study = optuna.create_study(
        storage=storage,
        study_name=sweep_id,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    if existed:
        check_same(sweep_id, study.user_attrs.get(ATTR) or {}, attrs)
    else:
        study.set_user_attr(ATTR, attrs)
    return study, existed


def load_study(store_url: str, sweep_id: str, pruner: Any = None) -> Any:
    import optuna

    return optuna.load_study(study_name=sweep_id, storage=storage_for(store_url), pruner=pruner)


def check_same(sweep_id: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """A reused sweep id must search the same thing: SweepError names what differs."""
    from .space import differences

    problems = []
    labels = {"target": "the notebook/function", "metric": "the metric", "goal": "the goal"}
    for key, label in labels.items():
        if key in old and old[key] != new.get(key):
            problems.append(f"{label} was {old[key]!r} and is now {new.get(key)!r}")
    if "space" in old:
        problems += [f"the space: {d}" for d in differences(old["space"], new["space"])]
    if problems:
        raise SweepError(
            f"sweep {sweep_id} already searches something else: "
            + "; ".join(problems)
            + ". Continue it with the same notebook, space and metric, or start a new "
            "sweep (leave out sweep_id)"
        )
