"""The Optuna study of a search sweep, kept in the project's own store database.

Every study of a store is one journal (`optuna.storages.JournalStorage`) in the
store's table `nbtrack_study_log` (journal_backend.py): each change to a study
is one appended row, and each process replays the rows in memory, so Optuna
reads a study (TPE reads all its trials at each ask) as fast as from its
in-memory storage. No second file, no server: the same SQLite file or
PostgreSQL database as the runs. The study is named by the sweep id; what the
sweep searches (target, space, metric, goal) is kept in the study's user
attributes, so that a reused sweep id is checked against it.

Studies made by earlier versions in Optuna's RDB tables stay readable where
they are, and move into the journal once when their sweep is continued
(rdb_studies.py).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .grid import SweepError

ATTR = "nbtrack"
_storages: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def storage_for(store_url: str) -> Any:
    """Optuna's JournalStorage on the store at `store_url`, one per process."""
    key = (store_url, os.getpid())
    with _lock:
        storage = _storages.get(key)
        if storage is None:
            storage = _storages[key] = _open(store_url)
        return storage


def _open(store_url: str) -> Any:
    import optuna

    from .journal_backend import StoreJournalBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.storages.JournalStorage(StoreJournalBackend(store_url))


def _after_fork_in_child() -> None:
    """A forked child replays the journal afresh (its own worker id for Optuna's
    claims) on connections of its own; the parent's are dropped, not closed."""
    global _lock
    _lock = threading.Lock()
    for storage in _storages.values():
        storage._backend.after_fork_in_child()
    _storages.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def forget_storages() -> None:
    from .rdb_studies import forget

    with _lock:
        for storage in _storages.values():
            storage._backend.close()
        _storages.clear()
    forget()


def all_studies(store_url: str) -> dict[str, Any]:
    """{sweep id: FrozenStudy} of every searched sweep of the store, old ones too."""
    from .journal_backend import has_log
    from .rdb_studies import rdb_studies

    journal = {}
    with _lock:  # reads only: a store without the log (no searched sweep yet) gets none
        opened = (store_url, os.getpid()) in _storages
    if opened or has_log(store_url):
        journal = {s.study_name: s for s in storage_for(store_url).get_all_studies()}
    return {**rdb_studies(store_url), **journal}


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

    from .rdb_studies import move_to_journal

    storage = storage_for(store_url)
    existing = {s.study_name for s in storage.get_all_studies()}
    existed = sweep_id in existing or move_to_journal(store_url, sweep_id, storage)
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
    """The study of `sweep_id`, from the journal or (made by an earlier version
    and not continued since) Optuna's RDB tables."""
    import optuna

    storage = storage_for(store_url)
    if sweep_id not in {s.study_name for s in storage.get_all_studies()}:
        from .rdb_studies import rdb_storage, rdb_studies

        if sweep_id in rdb_studies(store_url):
            storage = rdb_storage(store_url)
    return optuna.load_study(study_name=sweep_id, storage=storage, pruner=pruner)


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
