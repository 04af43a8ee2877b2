"""Optuna's journal (`optuna.storages.JournalStorage`) kept in a table of the
store: `nbtrack_study_log(number, entry)`, one row per change to any study.

Optuna replays the log in memory, so reading a study costs what its in-memory
storage costs, and each change is one appended row. Every process that uses a
study (the sweep's drivers, a trial reporting values to its pruner) appends and
reads the same table, so appends are serialised and their numbers gapless and
in order: on PostgreSQL by the row lock of a one-row head counter that each
append updates, on SQLite in a `BEGIN IMMEDIATE` transaction (the store
engine's write path). A read fetches only the rows above those this process
has replayed, and a read within FRESH_S of the last one (with no append
between) fetches nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from optuna.storages.journal import BaseJournalBackend

TABLE = "nbtrack_study_log"
HEAD = "nbtrack_study_log_head"  # PostgreSQL: the last number, locked by each append
_PG_SETUP_LOCK = 7_242_016  # beside the store's migration lock (store.py)
#: Optuna reads the journal before each of its reads (a TPE ask reads about ten
#: times in a few milliseconds): a read this soon after the last one, with no
#: append from this process since, is answered from what was replayed, without
#: a round trip. What other processes append is seen at most this late; what
#: this process appends, at once (an append ends the window: Optuna's claims
#: and `tell`s are appends, checked against the log as it is).
FRESH_S = 0.05

_metadata = sa.MetaData()
log_table = sa.Table(
    TABLE,
    _metadata,
    sa.Column("number", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("entry", sa.Text, nullable=False),
)
_PG_HEAD = sa.text(
    f"CREATE TABLE IF NOT EXISTS {HEAD} (id INTEGER PRIMARY KEY, last BIGINT NOT NULL)"
)
_READ = sa.text(f"SELECT entry FROM {TABLE} WHERE number >= :start ORDER BY number")
# SQLite, in a BEGIN IMMEDIATE transaction: each row numbered after the last.
_SQLITE_APPEND = sa.text(
    f"INSERT INTO {TABLE} (number, entry) "
    f"VALUES ((SELECT coalesce(max(number), -1) + 1 FROM {TABLE}), :entry)"
)
# One statement, one round trip: the head row's lock orders the appends (the
# next waits for this one's commit and then reads its new head), so numbers
# are gapless and no reader ever sees a later entry before an earlier one.
_PG_APPEND = sa.text(
    f"WITH head AS (UPDATE {HEAD} SET last = last + :count RETURNING last) "
    f"INSERT INTO {TABLE} (number, entry) "
    "SELECT head.last - :count + e.ord, e.entry "
    "FROM head, unnest(CAST(:entries AS text[])) WITH ORDINALITY AS e(entry, ord)"
)


def has_table(url: str, name: str, schema: str | None = None) -> bool:
    """Whether the store's database has the table (a read: nothing created)."""
    from ..store import open_store

    with open_store(url).reading() as conn:
        return sa.inspect(conn).has_table(name, schema=schema)


def has_log(url: str) -> bool:
    return has_table(url, TABLE)


class StoreJournalBackend(BaseJournalBackend):
    """The journal of every study of the store at `url`."""

    def __init__(self, url: str) -> None:
        from ..store.engine import create_engine, write_engine

        self.url = url
        self._read_to, self._fresh_until = -1, 0.0  # see FRESH_S
        base = create_engine(url)
        self._pg = base.dialect.name == "postgresql"
        if self._pg:
            self.engine, self._appends = _pg_engine(base, ping=False), _pg_engine(base, ping=True)
        else:
            self.engine = self._appends = base
        self._writes = write_engine(base)
        with self._writes.begin() as conn:
            if self._pg:
                conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_SETUP_LOCK})"))
            _metadata.create_all(conn, checkfirst=True)
            if self._pg:
                conn.execute(_PG_HEAD)
                conn.execute(
                    sa.text(
                        f"INSERT INTO {HEAD} (id, last) SELECT 1, coalesce(max(number), -1) "
                        f"FROM {TABLE} ON CONFLICT (id) DO NOTHING"
                    )
                )

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        now = time.monotonic()
        if log_number_from == self._read_to and now < self._fresh_until:
            return []  # read a moment ago, and nothing appended here since
        try:
            rows = self._read(log_number_from)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            rows = self._read(log_number_from)  # the server restarted since: once more
        self._read_to, self._fresh_until = log_number_from + len(rows), now + FRESH_S
        return [json.loads(entry) for (entry,) in rows]

    def _read(self, log_number_from: int) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(_READ, {"start": log_number_from}).all()

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if not logs:
            return
        self._fresh_until = 0.0  # the next read sees this append, whatever came before
        entries = [json.dumps(log) for log in logs]
        if self._pg:
            with self._appends.connect() as conn:
                conn.execute(_PG_APPEND, {"count": len(entries), "entries": entries})
            return
        with self._writes.begin() as conn:  # BEGIN IMMEDIATE: one appender at a time
            conn.execute(_SQLITE_APPEND, [{"entry": e} for e in entries])

    def close(self) -> None:
        for engine in {self.engine, self._appends, self._writes}:
            engine.dispose()

    def after_fork_in_child(self) -> None:
        """Drop the parent's connections from the pools, without closing them."""
        for engine in {self.engine, self._appends, self._writes}:
            engine.dispose(close=False)


def _pg_engine(base: sa.Engine, *, ping: bool) -> sa.Engine:
    """A PostgreSQL engine for the log: each read and append is one statement in
    autocommit (no BEGIN or ROLLBACK round trips), and its commits do not wait
    for the disk (`synchronous_commit=off`, as the SQLite store's WAL commits
    without a flush): a server crash may lose the last moments of the log, never
    order it differently or leave a gap. Reads are retried once on a dropped
    connection instead of pinging before each; appends ping (one is never sent
    twice)."""
    return sa.create_engine(
        base.url,
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=ping,
        connect_args={"connect_timeout": 10, "options": "-c synchronous_commit=off"},
    )
