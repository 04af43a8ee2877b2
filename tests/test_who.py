"""Who ran a run, and where: every run records its user (the JupyterHub user, else the
OS user) and host; runs(), the CLI and the server show them, and `user:`/`host:`
filter the runs list in SQL on both backends. An old store upgrades in place."""

from __future__ import annotations

import csv
import getpass
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.capture.who import run_user
from nbtrack.server.params import runs_query
from nbtrack.server.runfilter import FilterError
from nbtrack.server.service import RunService
from nbtrack.store import open_store
from nbtrack.store import schema as sch
from nbtrack.store.migrations import SCHEMA_VERSION, STEPS, VERSION_KEY

HOST = socket.gethostname()


def test_the_hub_user_wins_over_the_os_user() -> None:
    assert run_user({"JUPYTERHUB_USER": "alice"}) == "alice"
    assert run_user({"JUPYTERHUB_USER": "  "}) == getpass.getuser()
    assert run_user({}) == getpass.getuser()


def _two_users() -> None:
    for user, name in (("alice", "a"), ("bob", "b")):
        os.environ["JUPYTERHUB_USER"] = user
        try:
            with nbtrack.start_run(name, params={"lr": 0.1}):
                nbtrack.log(loss=1.0)
        finally:
            del os.environ["JUPYTERHUB_USER"]


@pytest.mark.slow
def test_user_and_host_are_recorded_shown_and_filtered(backend: str) -> None:
    _two_users()
    df = nbtrack.runs()
    assert dict(zip(df["name"], df["user"], strict=True)) == {"a": "alice", "b": "bob"}
    assert set(df["host"]) == {HOST}
    assert nbtrack.get_run("a").user == "alice"

    service = RunService(backend)

    def names(q: str) -> list[str]:
        return [r["name"] for r in service.list_runs(runs_query({"q": q}))["runs"]]

    assert names("user:alice") == ["a"]
    assert names("USER:BO") == ["b"]
    assert names(f"host:{HOST}") == ["b", "a"]
    assert names("user:carol") == []
    # The words of a user name are not free text (a host name would match everything).
    assert names("alice") == []
    sorted_runs = service.list_runs(runs_query({"sort": "user", "order": "desc"}))["runs"]
    assert [r["user"] for r in sorted_runs] == ["bob", "alice"]
    one = service.get_run("a")
    assert (one["user"], one["host"]) == ("alice", HOST)

    # The command line: the table has a user column (several users), the CSV both.
    table = subprocess.run(
        [sys.executable, "-m", "nbtrack", "runs"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NBTRACK_STORE": backend, "COLUMNS": "200"},
    ).stdout.splitlines()
    assert table[0].split()[:4] == ["name", "ref", "status", "user"]
    assert table[1].split()[3] == "bob" and table[2].split()[3] == "alice"
    shown = subprocess.run(
        [sys.executable, "-m", "nbtrack", "show", "a"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NBTRACK_STORE": backend},
    ).stdout
    assert f"ran by      alice on {HOST}" in shown
    # The CSV has both columns.
    out = subprocess.run(
        [sys.executable, "-m", "nbtrack", "runs", "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NBTRACK_STORE": backend},
    ).stdout
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["a"]["user"], rows["a"]["host"]) == ("alice", HOST)
    assert rows["b"]["user"] == "bob"


def test_a_field_filter_the_server_does_not_know_still_says_so() -> None:
    from nbtrack.server.runfilter import parse

    with pytest.raises(FilterError, match="user:"):
        parse("owner:alice", [], [])


@pytest.mark.slow
def test_an_old_store_upgrades_and_its_runs_have_no_user(backend: str) -> None:
    """A store of the schema before users (every step but the last) with a run in it:
    opened, it gains the column; the old run's user is unknown (NULL), a new run's is
    recorded."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    before = SCHEMA_VERSION - 1
    parsed = sa.make_url(backend)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        sch.meta.create(conn)
        conn.execute(sa.insert(sch.meta).values(key=VERSION_KEY, value=str(before)))
        op = Operations(MigrationContext.configure(conn))
        for step in STEPS[:before]:
            step(op)
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_runs (id, experiment, stem, seq, name, status, start_time, "
                "params, tags, host) VALUES ('01OLDRUN000000000000000000', 'exp', 'old', 1, "
                "'old#1', 'finished', 1e9, '{}', '[]', 'oldbox')"
            )
        )
    engine.dispose()
    store = open_store(backend)
    assert store.schema_version() == SCHEMA_VERSION
    with nbtrack.start_run("new"):
        pass
    df = nbtrack.runs()
    users = dict(zip(df["name"], df["user"], strict=True))
    assert users["old#1"] != users["old#1"] and users["new"] == run_user()  # NaN: unknown
    assert nbtrack.get_run("old#1").user is None
    assert dict(zip(df["name"], df["host"], strict=True)) == {"old#1": "oldbox", "new": HOST}


def test_the_table_shows_users_only_when_there_are_several() -> None:
    from nbtrack.format import records_table

    base = {"name": "a", "status": "finished", "start": 1e9, "duration": 1.0}
    one = records_table([{**base, "user": "alice"}, {**base, "user": None}], list(base))
    assert "user" not in one.splitlines()[0] and "alice" not in one
    two = records_table([{**base, "user": "alice"}, {**base, "user": "bob"}], list(base))
    assert two.splitlines()[0].split()[:3] == ["name", "status", "user"]
