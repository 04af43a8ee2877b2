"""How many bytes a store takes, and giving back what it no longer uses.

SQLite counts every file of the store (the database, its WAL and shared-memory
files, a rollback journal); compacting folds the WAL in, VACUUMs (rewriting the
file without free pages: deleted runs, the table an upgrade replaced) and
truncates the WAL again. PostgreSQL counts nbtrack's tables with their indexes
and TOAST; compacting runs `VACUUM (FULL, ANALYZE)` on each of them.

Never while a run records: VACUUM needs the whole database, and a run would wait
on it (SQLite) or be blocked by its locks (PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import StoreError
from . import schema

if TYPE_CHECKING:
    from .store import Store

# A running run whose heartbeat is older than this is not live (query.STALE_AFTER_S).
LIVE_HEARTBEAT_S = 60.0
_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


class RunsLiveError(StoreError):
    """The store cannot be compacted while runs are recording."""


@dataclass(frozen=True)
class Compacted:
    before: int  # bytes
    after: int


def store_bytes(store: Store) -> int:
    """Bytes the store takes on disk: all its files (SQLite), or its tables with
    their indexes (PostgreSQL)."""
    path = store.sqlite_file
    if store.dialect == "sqlite":
        if path is None:
            return 0
        total = 0
        for suffix in _SQLITE_FILES:
            with contextlib.suppress(OSError):
                total += os.path.getsize(path + suffix)
        return total
    with store.reading() as conn:
        return int(
            sum(
                conn.execute(sa.text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar() or 0
                for t in _our_tables(conn)
            )
        )


def _our_tables(conn: sa.Connection) -> list[str]:
    """nbtrack's tables in the store (those of schema.py, and any later step's)."""
    names = set(sa.inspect(conn).get_table_names())
    return sorted(n for n in names if n.startswith("nbtrack_") or n in schema.metadata.tables)


def live_runs(store: Store, now: float | None = None) -> list[str]:
    """Names of the runs recording now: running, with a heartbeat in the last minute."""
    t = schema.runs
    since = (time.time() if now is None else now) - LIVE_HEARTBEAT_S
    query = sa.select(t.c.name).where(t.c.status == "running", t.c.heartbeat >= since)
    with store.reading() as conn:
        return [name for (name,) in conn.execute(query.order_by(t.c.start_time))]


def compact(store: Store) -> Compacted:
    """Give the disk back the space the store no longer uses; refuses (RunsLiveError)
    while a run records."""
    live = live_runs(store)
    if live:
        shown = ", ".join(live[:5]) + (f" and {len(live) - 5} more" if len(live) > 5 else "")
        raise RunsLiveError(
            f"not compacting the store while runs are recording ({shown}): compacting "
            "rewrites the whole store and would hold them up. Run it again once they end."
        )
    before = store_bytes(store)
    if store.dialect == "sqlite":
        _vacuum_sqlite(store)
    else:
        _vacuum_postgres(store)
    return Compacted(before, store_bytes(store))


def _vacuum_sqlite(store: Store) -> None:
    store.checkpoint()
    with store.reading() as conn:
        # VACUUM runs outside a transaction: on the driver's connection, which is in
        # autocommit mode until SQLAlchemy begins one (engine.py).
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("VACUUM")
    store.checkpoint()


def _vacuum_postgres(store: Store) -> None:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in _our_tables(conn):
            conn.exec_driver_sql(f'VACUUM (FULL, ANALYZE) "{table}"')
