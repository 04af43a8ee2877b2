"""Engines and transactions: SQLite pragmas, write locks, and errors users can act on."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from ..errors import StoreError
from .forkguard import guard as fork_guard
from .sqlite_files import SQLITE_BUSY_TIMEOUT_S, error_for, prepare_sqlite_folder
from .urls import mask_url, remember_password


def sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create_engine(url: str, pre_ping: bool = True) -> sa.Engine:
    """`pre_ping`: test each PostgreSQL connection taken from the pool with a round
    trip first. Off for a long-lived worker's engine, whose writers retry a
    transaction that found its connection dropped (`is_dropped`)."""
    remember_password(url)
    shown = mask_url(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        # Not `from exc`: SQLAlchemy's message quotes the URL, password and all.
        raise StoreError(
            f"NBTRACK_STORE / [tool.nbtrack] store is not a database URL: {shown!r} "
            "(use e.g. sqlite:///path/to/nbtrack.db or postgresql+psycopg://host/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            prepare_sqlite_folder(path)
        engine = sa.create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=sa.pool.NullPool if path is None else sa.pool.QueuePool,
        )
        configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        quiet_psycopg()
        # A server that does not answer must not hang a run's end for minutes.
        return sa.create_engine(
            parsed, pool_pre_ping=pre_ping, connect_args={"connect_timeout": 10}
        )
    raise StoreError(f"nbtrack stores runs in SQLite or PostgreSQL, not {backend!r} ({shown})")


def _drop_psycopg_cleanup_noise(record: logging.LogRecord) -> bool:
    """False for psycopg's "error ignored terminating <psycopg.Pipeline [BAD] ...>"
    warnings: logged while it cleans up after a lost connection, whose error the
    user already gets as a StoreError that says what to do."""
    return not str(record.msg).startswith("error ignored ")


def quiet_psycopg() -> None:
    """Keep psycopg's cleanup warnings (Python's last-resort handler prints them to
    stderr, under the user's cell) away from the user. Idempotent."""
    logger = logging.getLogger("psycopg")
    if _drop_psycopg_cleanup_noise not in logger.filters:
        logger.addFilter(_drop_psycopg_cleanup_noise)


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, commits without a flush, BEGIN IMMEDIATE for writes (`nbtrack_write`), and
    every transaction inside the fork guard: for nbtrack's engines and Optuna's."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let us issue BEGIN ourselves: IMMEDIATE for writes, so two writers queue on
        # the busy timeout instead of failing with "database is locked" on upgrade.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        write = conn.get_execution_options().get("nbtrack_write", False)
        dbapi_conn = conn.connection.dbapi_connection
        fork_guard.enter(id(dbapi_conn))  # no fork while this process holds SQLite locks
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
        except BaseException:
            fork_guard.leave(id(dbapi_conn))
            raise

    # The transaction ends once COMMIT or ROLLBACK has run (SQLAlchemy's commit
    # and rollback events fire before): wrap the dialect's own calls, which the
    # pool's reset-on-return goes through too.
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def _ended(dbapi_conn):  # type: ignore[no-untyped-def]
        # SQLAlchemy passes the pool's proxy; the guard counts the DBAPI connection.
        dbapi_conn = getattr(dbapi_conn, "dbapi_connection", dbapi_conn)
        try:
            still_open = dbapi_conn.in_transaction
        except Exception:  # a closed connection holds no lock
            still_open = False
        if not still_open:
            fork_guard.leave(id(dbapi_conn))

    def _commit(dbapi_conn):  # type: ignore[no-untyped-def]
        try:
            do_commit(dbapi_conn)
        finally:
            _ended(dbapi_conn)

    def _rollback(dbapi_conn):  # type: ignore[no-untyped-def]
        try:
            do_rollback(dbapi_conn)
        finally:
            _ended(dbapi_conn)

    dialect.do_commit = _commit  # type: ignore[method-assign]
    dialect.do_rollback = _rollback  # type: ignore[method-assign]

    # A connection closed or dropped mid-transaction holds no lock any more.
    @sa.event.listens_for(engine, "close")
    def _on_close(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        fork_guard.leave(id(dbapi_conn))

    @sa.event.listens_for(engine, "close_detached")
    def _on_close_detached(dbapi_conn):  # type: ignore[no-untyped-def]
        fork_guard.leave(id(dbapi_conn))

    @sa.event.listens_for(engine, "invalidate")
    def _on_invalidate(dbapi_conn, _record, _exc):  # type: ignore[no-untyped-def]
        fork_guard.leave(id(dbapi_conn))


@contextlib.contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver errors into StoreError messages that say what to do."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        raise store_error(url, exc) from exc


def store_error(url: str, exc: sa.exc.DBAPIError) -> StoreError:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return error_for(url, text, isinstance(exc, sa.exc.OperationalError))


def is_dropped(exc: BaseException) -> bool:
    """A StoreError from a connection the server had dropped (the pool has let
    it go: the same transaction, tried again, gets a new one)."""
    cause = exc.__cause__
    return isinstance(cause, sa.exc.DBAPIError) and cause.connection_invalidated


def write_engine(engine: sa.Engine) -> sa.Engine:
    """The same engine, whose transactions take the write lock up front on SQLite."""
    return engine.execution_options(nbtrack_write=True)
