"""The registry versions' copies of their source run's ref (`stem#seq`) and name
(`run_ref`, `run_name` in store/registry_tables.py): the registry listing
reads them with the versions instead of looking each run up by its text id (a
third of the listing's reads at 20,000 versions).

A copy is the run's value while the run exists, else NULL. Every write that can
change one refreshes the versions of that run, in its own transaction, by one
statement through the index on `run_id`: a link, a run renamed (update_run and
journal replays, SQLAlchemy's path and SQLite's own), a run deleted, a run's
row written late (ensure_run_row, after an outage) and runs imported
(nbtrack/transfer). The same SQL text serves SQLAlchemy (`sa.text`) and
the stdlib driver (named parameters), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_RUN = "FROM nbtrack_runs AS r WHERE r.id = nbtrack_registry_versions.run_id"
_REFRESH = (
    "UPDATE nbtrack_registry_versions SET "
    f"run_ref = (SELECT r.stem || '#' || CAST(r.seq AS TEXT) {_RUN}), "
    f"run_name = (SELECT r.name {_RUN}) "
    "WHERE run_id {where}"
)
# The versions of one run (:run_id).
OF_RUN = _REFRESH.format(where="= :run_id")
# Every version that has a run (the migration that added the copies).
ALL = _REFRESH.format(where="IS NOT NULL")


def follows(values: Iterable[str]) -> bool:
    """Whether a run update of these columns changes what the copies hold (the
    ref never changes while the run exists: stem and seq are fixed)."""
    return "name" in values


def refresh_run(conn: Any, run_id: str) -> None:
    """Refresh the copies of the versions of `run_id`, on a SQLAlchemy connection
    or an sqlite3 one (inside the caller's transaction)."""
    if hasattr(conn, "exec_driver_sql"):
        import sqlalchemy as sa

        conn.execute(sa.text(OF_RUN), {"run_id": run_id})
    else:
        conn.execute(OF_RUN, {"run_id": run_id})


def refresh_runs(conn: Any, run_ids: Iterable[str], chunk: int = 500) -> None:
    """Refresh the copies of the versions of any of `run_ids` (a SQLAlchemy
    connection): a statement per `chunk` runs."""
    import sqlalchemy as sa

    query = sa.text(_REFRESH.format(where="IN :ids")).bindparams(
        sa.bindparam("ids", expanding=True)
    )
    ids = sorted(set(run_ids))
    for i in range(0, len(ids), chunk):
        conn.execute(query, {"ids": ids[i : i + chunk]})
