"""Shared fixtures: a fresh project folder per test, and the store backends.

`backend` runs a test once on SQLite and once on PostgreSQL. The PostgreSQL
server is named by NBTRACK_TEST_PG_URL (`.ci/run` starts one); without it the
PostgreSQL cases are skipped locally, but fail under CI=true so a missing
server can never pass silently.

Under pytest-xdist (`-n 2`) each worker gets a database of its own,
`<db>_gw0`, `<db>_gw1`..., created here on first use: workers empty and fill
their store concurrently, and one database would mix their runs. The derived
URL replaces NBTRACK_TEST_PG_URL in the worker's environment, so helper modules
(pg_password.py) and the kernels and processes tests start see the same one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _worker_pg_url(url: str | None, worker: str | None) -> str | None:
    """The PostgreSQL URL for this xdist worker: `<db>_<worker>`, created if missing."""
    if not url or not worker:
        return url
    import sqlalchemy as sa

    admin = sa.make_url(url)
    name = f"{admin.database}_{worker}"[:63]
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :d")
            if conn.execute(query, {"d": name}).first() is None:
                try:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                except sa.exc.ProgrammingError as e:
                    if "already exists" not in str(e):  # the other worker's race
                        raise pytest.UsageError(
                            f"pytest-xdist worker {worker} needs a PostgreSQL database of its "
                            f"own, {name!r}, and could not create it ({e.orig}). Create "
                            f"{name!r} for this role (createdb {name}), give the role "
                            "CREATEDB, or run the suite without -n."
                        ) from None
    finally:
        engine.dispose()
    derived = admin.set(database=name).render_as_string(hide_password=False)
    os.environ["NBTRACK_TEST_PG_URL"] = derived
    return derived


PG_URL = _worker_pg_url(
    os.environ.get("NBTRACK_TEST_PG_URL"), os.environ.get("PYTEST_XDIST_WORKER")
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder as the current directory, with the default store."""
    from nbtrack import context, tracking
    from nbtrack.store import forget_stores

    folder = tmp_path / "proj"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    context.set_notebook(None)
    yield folder
    active = tracking.active_run()
    if active is not None:
        tracking.end_run(active, "interrupted")
    _reset_process_state()
    forget_stores()


@pytest.fixture(autouse=True)
def _not_replaying() -> Iterator[None]:
    """A replay script exec'd in-process turns `log()` off for the process (as it
    should in a replay): never for the next test."""
    yield
    from nbtrack.session import current

    current().replaying = False


def _reset_process_state() -> None:
    from nbtrack.session import current

    current().close_writers()
    from nbtrack.sweeps.study import forget_storages

    forget_storages()  # sweeps' Optuna storages: their tables go with the store
    kept = sys.modules.get("nbtrack.sweeps.dask_cluster")
    if kept is not None:
        kept.close_local()  # its workers keep their stores open: not across tests


def _clean_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table.startswith("nbtrack_"):
                conn.execute(sa.text(f'DROP TABLE "{table}" CASCADE'))
        conn.execute(sa.text("DROP SCHEMA IF EXISTS nbtrack_optuna CASCADE"))  # sweeps' studies
    engine.dispose()


@pytest.fixture
def postgres_store(project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The PostgreSQL test store, emptied, set as NBTRACK_STORE (for tests that need
    PostgreSQL itself, such as remote workers)."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL store tests: set NBTRACK_TEST_PG_URL")
        pytest.skip("no PostgreSQL server: set NBTRACK_TEST_PG_URL to run these")
    _clean_postgres(PG_URL)
    monkeypatch.setenv("NBTRACK_STORE", PG_URL)
    return PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The store URL of this case's backend, also set as NBTRACK_STORE."""
    if request.param == "sqlite":
        url = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    else:
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail("CI must run the PostgreSQL store tests: set NBTRACK_TEST_PG_URL")
            pytest.skip("no PostgreSQL server: set NBTRACK_TEST_PG_URL to run these")
        _clean_postgres(PG_URL)
        url = PG_URL
    monkeypatch.setenv("NBTRACK_STORE", url)
    return url
