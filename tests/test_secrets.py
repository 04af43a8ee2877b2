"""No store password or secret value is shown or stored: status, doctor, errors,
snapshots. Real PostgreSQL with a password role over TCP (tests/pg_password.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import traceback
from pathlib import Path

import nbformat
import pytest

import nbtrack
from nbtrack.capture.environment import public_text, secret_values
from nbtrack.errors import StoreError
from nbtrack.store.urls import mask_text, mask_url, remember_password, url_passwords

# -- pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://ada:s3cr3t@db.example/runs", "postgresql+psycopg://ada:***@db.example/runs"),
        ("postgresql://ada:p@ss@db:5432/runs?x=a@b", "postgresql://ada:***@db:5432/runs?x=a@b"),
        ("postgresql://ada:%40pw%2F@db/runs", "postgresql://ada:***@db/runs"),
        ("postgresql://ada@db/runs?password=hunter22&sslmode=require",
         "postgresql://ada@db/runs?password=***&sslmode=require"),
        ("postgresql://ada@db/runs", "postgresql://ada@db/runs"),
        ("sqlite:////tmp/a:b@c/nbtrack.db", "sqlite:////tmp/a:b@c/nbtrack.db"),
        ("not a URL at all :: @@", "not a URL at all :: @@"),
        ("", ""),
    ],
)  # fmt: skip
def test_mask_url_hides_the_password_and_keeps_the_rest(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_mask_text_finds_passwords_inside_messages() -> None:
    text = (
        "could not connect: 'postgresql+psycopg://ada:s3cr3t@db/runs' "
        "(dsn: host=db user=ada password=s3cr3t dbname=runs)"
    )
    assert "s3cr3t" not in mask_text(text)
    assert "ada:***@db" in mask_text(text) and "password=***" in mask_text(text)


def test_secret_values_hold_the_store_password(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"NBTRACK_STORE": "postgresql://ada:correct-horse@db/runs", "HOME": "/root"}
    assert "correct-horse" in secret_values(env)
    assert ":pw@" in secret_values(env | {"NBTRACK_STORE": "postgresql://ada:pw@db/runs"})
    remember_password("postgresql://ada:battery-staple@db/runs")  # a store opened earlier
    assert "battery-staple" in secret_values({})
    assert url_passwords("postgresql://ada@db/runs") == []


def test_psycopg_cleanup_warnings_do_not_reach_the_user(caplog: pytest.LogCaptureFixture) -> None:
    from nbtrack.store.engine import create_engine

    create_engine("postgresql+psycopg://ada:pw@127.0.0.1:1/runs").dispose()
    caplog.set_level(logging.WARNING)
    logging.getLogger("psycopg").warning(
        "error ignored terminating %r: %s", "<psycopg.Pipeline [BAD] at 0x7f>", "lost"
    )
    logging.getLogger("psycopg").warning("something else psycopg says")
    messages = [r.getMessage() for r in caplog.records]
    assert not any("Pipeline [BAD]" in m for m in messages)
    assert "something else psycopg says" in messages


# -- real PostgreSQL with a password ---------------------------------------------------


@pytest.fixture(scope="module")
def pg_login() -> tuple[str, str]:
    from pg_password import PG_URL, password_url

    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set NBTRACK_TEST_PG_URL")
        pytest.skip("no PostgreSQL server: set NBTRACK_TEST_PG_URL to run these")
    return password_url()


@pytest.fixture
def pg_store(pg_login: tuple[str, str], project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The password URL as NBTRACK_STORE; returns the password."""
    url, password = pg_login
    monkeypatch.setenv("NBTRACK_STORE", url)
    return password


@pytest.fixture
def ip(project: Path):
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    start_ipython()
    shell = get_ipython()
    shell.run_line_magic("load_ext", "nbtrack")
    yield shell
    shell.run_line_magic("unload_ext", "nbtrack")
    nbtrack.context.set_notebook(None)


@pytest.mark.postgres
def test_status_shows_the_store_without_its_password(ip, pg_store: str, capsys) -> None:
    ip.run_line_magic("nbtrack", "status")
    out = capsys.readouterr().out
    assert "nbtrack: store postgresql+psycopg://nbtrack_pw_" in out and ":***@127.0.0.1" in out
    assert pg_store not in out


@pytest.mark.postgres
def test_doctor_connects_and_never_prints_the_password(pg_store: str, capsys) -> None:
    from nbtrack.cli import main

    assert main(["doctor"]) == 0
    out, err = capsys.readouterr()
    assert "schema version" in out and ":***@127.0.0.1" in out
    assert pg_store not in out + err


@pytest.mark.postgres
def test_an_unreachable_store_error_masks_the_password(
    pg_login: tuple[str, str], project: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from pg_password import dead_port

    from nbtrack.cli import main
    from nbtrack.store import open_store

    _, password = pg_login
    url = f"postgresql+psycopg://ada:{password}@127.0.0.1:{dead_port()}/runs"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    shown = "".join(traceback.format_exception(caught.value))
    assert "cannot reach the store postgresql+psycopg://ada:***@127.0.0.1" in str(caught.value)
    assert password not in shown
    monkeypatch.setenv("NBTRACK_STORE", url)
    assert main(["runs"]) == 1
    out, err = capsys.readouterr()
    assert "cannot reach the store" in err and password not in out + err


@pytest.mark.postgres
def test_a_printed_store_url_never_reaches_the_snapshot_or_the_run(
    ip, pg_store: str, project: Path
) -> None:
    url = os.environ["NBTRACK_STORE"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    # The notebook as saved: a cell printed the URL (and the bare password) earlier.
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import os\nprint(os.environ['NBTRACK_STORE'])")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{url}\n{pg_store}\n")]
    nb.cells = [cell, nbformat.v4.new_code_cell("%%track\ndb = '...'")]
    path = project / "train.ipynb"
    nbformat.write(nb, path)
    ip.run_line_magic("nbtrack", f"notebook {path}")
    ip.run_cell(f"print({url!r})", store_history=True)
    result = ip.run_cell(
        f"%%track -n printed\ndb = {url!r}\nnbtrack.log(x=1.0)", store_history=True
    )
    assert result.success, result.error_in_exec
    run = nbtrack.get_run("printed")
    assert run.snapshot
    found = subprocess.run(
        ["git", "grep", "-c", "-F", pg_store, run.snapshot],
        cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    assert found.returncode == 1 and found.stdout == "", found.stdout  # 1: no match
    shown = subprocess.run(
        ["git", "show", f"{run.snapshot}:notebook.ipynb"],
        cwd=project, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "[redacted]" in shown
    assert pg_store not in str(run.params) + (run.cell_source or "")


def test_public_text_masks_urls_and_redacts_secret_values(monkeypatch) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "tok_abcdef123456")
    text = public_text("failed with tok_abcdef123456 at postgresql://u:zz@h/d")
    assert "tok_abcdef123456" not in text and "zz" not in text


def test_the_pyproject_store_password_is_a_secret_once_resolved(tmp_path: Path) -> None:
    from nbtrack.config import resolve_project

    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtrack]\nstore = "postgresql+psycopg://ada:from-pyproject-77@db/runs"\n'
    )
    project = resolve_project(tmp_path, environ={})
    assert project.store_url.endswith("@db/runs")
    assert "from-pyproject-77" in secret_values({})
