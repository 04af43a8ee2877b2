"""How the extension finds its store, how it is enabled, and that its SQL stays indexed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from traitlets.config import Config

import nbtrack
from nbtrack.server.config import NbtrackServer
from nbtrack.server.params import metrics_query
from nbtrack.server.service import RunService

REPO = Path(__file__).parents[2]


def test_the_enable_file_turns_the_extension_on() -> None:
    data = json.loads((REPO / "jupyter-config" / "server-config" / "nbtrack.json").read_text())
    assert data == {"ServerApp": {"jpserver_extensions": {"nbtrack": True}}}
    assert nbtrack._jupyter_server_extension_points() == [{"module": "nbtrack.server"}]


def test_jupyter_server_accepts_the_extension_package() -> None:
    from jupyter_server.extension.manager import ExtensionPackage

    package = ExtensionPackage(name="nbtrack", enabled=True)
    assert package.validate()
    assert list(package.extension_points) == ["nbtrack.server"]


def test_default_store_is_the_root_dirs_project(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    project = NbtrackServer().project(tmp_path / "sub")
    assert project.root == tmp_path
    assert project.store_url == f"sqlite:///{tmp_path / '.nbtrack' / 'nbtrack.db'}"


def test_configured_relative_sqlite_store_is_under_the_project(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    server = NbtrackServer(config=Config({"NbtrackServer": {"store": "sqlite:///runs/x.db"}}))
    assert server.project(tmp_path).store_url == f"sqlite:///{tmp_path / 'runs' / 'x.db'}"


class TestDefaults:
    """A server configured with nothing but the extension."""

    @pytest.fixture
    def jp_server_config(self, project: Path, monkeypatch: Any) -> Config:
        monkeypatch.delenv("NBTRACK_STORE", raising=False)
        return Config({"ServerApp": {"jpserver_extensions": {"nbtrack": True}}})

    async def test_serves_the_project_store_of_its_root_dir(self, api: Any, project: Path) -> None:
        with nbtrack.start_run(name="here"):
            nbtrack.log(x=1.0)
        reply = await api("GET", "runs")
        assert [r["name"] for r in reply.body["runs"]] == ["here"]


class TestBrokenProject:
    @pytest.fixture
    def jp_server_config(self, project: Path, monkeypatch: Any) -> Config:
        monkeypatch.delenv("NBTRACK_STORE", raising=False)
        (project / "pyproject.toml").write_text("[tool.nbtrack]\nstore = 5\n")
        return Config({"ServerApp": {"jpserver_extensions": {"nbtrack": True}}})

    async def test_requests_say_what_is_wrong_and_the_server_still_runs(self, api: Any) -> None:
        reply = await api("GET", "runs")
        assert reply.status == 503
        assert "must be a URL string" in reply.body["message"]


class TestWarmUp:
    """The server opens an existing store in the background when it starts, so the
    panel's first request does not wait for the driver, the connection and the schema
    check; it never creates a store of its own."""

    @pytest.fixture
    def made_a_run(self, project: Path, store_url: str) -> bool:
        with nbtrack.start_run(name="before-the-server"):
            nbtrack.log(x=1.0)
        from nbtrack.store import forget_stores

        forget_stores()  # the server's process opens the store afresh, as a new server would
        return True

    @pytest.fixture
    def jp_server_config(self, made_a_run: bool, store_url: str) -> Config:
        return Config(
            {
                "ServerApp": {"jpserver_extensions": {"nbtrack": True}},
                "NbtrackServer": {"store": store_url},
            }
        )

    async def test_an_existing_store_is_open_before_the_first_request(
        self, jp_serverapp: Any, api: Any
    ) -> None:
        from nbtrack.server.handlers import SERVICE_KEY

        service = jp_serverapp.web_app.settings[SERVICE_KEY]
        assert service.warming is not None
        service.warming.join()
        assert service._store is not None  # opened with no request made
        reply = await api("GET", "runs")
        assert [r["name"] for r in reply.body["runs"]] == ["before-the-server"]


async def test_a_server_in_a_folder_without_a_store_makes_none(
    jp_serverapp: Any, project: Path, store_url: str
) -> None:
    from nbtrack.server.handlers import SERVICE_KEY

    service = jp_serverapp.web_app.settings[SERVICE_KEY]
    assert service.warming is None
    assert not (project / ".nbtrack" / "nbtrack.db").exists()


# -- the SQL behind polling stays on indexes -------------------------------------------------


@pytest.fixture
def statements(store_url: str) -> Iterator[tuple[RunService, list[tuple[str, Any]]]]:
    service = RunService(store_url)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "nbtrack_chunks" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    sa.event.listen(service.store.engine, "before_cursor_execute", record)
    yield service, seen
    sa.event.remove(service.store.engine, "before_cursor_execute", record)


def _plans(service: RunService, seen: list[tuple[str, Any]]) -> list[str]:
    plans = []
    with service.store.engine.connect() as conn:
        for statement, parameters in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append(" | ".join(r[-1] for r in rows))
    return plans


def test_metric_reads_never_scan_the_chunks_table(statements: Any) -> None:
    """Every read of points seeks its run's chunks by an index: a poll by the
    (run_key, last_seq) index, a key's points by the series index (run, key)."""
    service, seen = statements
    with nbtrack.start_run(name="long") as run:
        for step in range(3000):
            run.log(loss=float(step % 13), acc=1.0, step=step)
    first = service.metrics("long", metrics_query({"max_points": "10"}))  # bucketed
    service.metrics("long", metrics_query({"max_points": "2000"}))  # loaded whole
    from nbtrack.server import cursor

    service.metrics("long", metrics_query({"after": first["cursor"], "keys": "loss"}))
    service.metrics("long", metrics_query({"after": cursor.encode(0)}))
    plans = _plans(service, seen)
    assert plans
    for plan in plans:
        assert "SCAN c" not in plan and "SCAN nbtrack_chunks" not in plan, plan
    polls = [p for (s, _), p in zip(seen, plans, strict=True) if "last_seq >" in s]
    assert polls and all(
        "INDEX ix_nbtrack_chunks_run_seq (run_key=? AND last_seq>?)" in p for p in polls
    )
    per_key = [
        p
        for (s, _), p in zip(seen, plans, strict=True)
        if "k.key IN" in s and "last_seq >" not in s
    ]
    assert per_key and all(
        "INDEX ix_nbtrack_chunks_series (run_key=? AND key_id=?" in p for p in per_key
    ), per_key


def test_a_long_series_is_a_few_rows_read_by_an_index(statements: Any) -> None:
    """8,100 points logged in a loop are a row of the chunks table per flush, and
    downsampling them reads that row by an index, never a scan."""
    service, seen = statements
    with nbtrack.start_run(name="long") as run:
        for step in range(8100):
            run.log(loss=float(step % 13), step=step)
    with service.store.engine.connect() as conn:
        rows, points = conn.exec_driver_sql("SELECT count(*), sum(n) FROM nbtrack_chunks").one()
    assert points == 8100 and rows <= 10  # a row per flush (at least every 0.5 s)
    seen.clear()
    got = service.metrics("long", metrics_query({"max_points": "402"}))
    assert 2 < len(got["series"]["loss"]["step"]) <= 402
    plans = _plans(service, seen)
    assert plans and all("SEARCH c USING INDEX ix_nbtrack_chunks_" in p for p in plans), plans
