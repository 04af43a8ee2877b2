"""A sweep keeps no secret: its executed notebooks (outputs, tracebacks, metadata)
are redacted, their file names carry the trial number only, and the sweep CLI
prints errors redacted. Real kernels (papermill) on a PostgreSQL store whose URL
holds a password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbtrack

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TOKEN = "tok_5f0e1d2c3b4a69788796"

TRACKED = """%%track --no-plot
import os
print("token", token, "store", os.environ["NBTRACK_STORE"])
nbtrack.log(loss=len(token))
if token != "ok":
    raise ValueError(f"the service refused {token}")
"""


@pytest.fixture
def pg_store(project: Path) -> str:
    from pg_password import PG_URL, password_url

    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set NBTRACK_TEST_PG_URL")
        pytest.skip("no PostgreSQL server: set NBTRACK_TEST_PG_URL to run these")
    url, _ = password_url()
    return url


def _notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell('token = "ok"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        params,
        nbformat.v4.new_code_cell(TRACKED),
    ]
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    return path


def test_sweep_outputs_names_and_errors_keep_no_secret(
    project: Path, pg_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = pg_store.split(":")[2].split("@")[0]
    _notebook(project)
    env = {**os.environ, "SERVICE_API_TOKEN": TOKEN, "NBTRACK_STORE": pg_store}
    done = subprocess.run(
        [sys.executable, "-m", "nbtrack", "sweep", "train.ipynb", "-p", "token", "ok", TOKEN],
        cwd=project, env=env, capture_output=True, text=True,
    )  # fmt: skip
    printed = done.stdout + done.stderr
    assert done.returncode == 1, printed  # the second trial failed...
    assert "ValueError: the service refused [redacted]" in printed  # ...and says so, redacted
    assert TOKEN not in printed and password not in printed

    sweep_id = done.stdout.split()[1].rstrip(":")
    folder = project / ".nbtrack" / "sweeps" / sweep_id
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["trial-1.ipynb", "trial-2.ipynb"]  # no parameter value in a name
    for name in files:
        raw = (folder / name).read_text(encoding="utf-8")
        assert TOKEN not in raw and password not in raw, name
    failed = json.loads((folder / "trial-2.ipynb").read_text(encoding="utf-8"))
    assert failed["metadata"]["nbtrack"]["sweep"] == {
        "id": sweep_id,
        "trial": 2,
        "params": {"token": "[redacted]"},
    }
    outputs = json.dumps(failed["cells"])
    assert "the service refused [redacted]" in outputs  # the traceback is kept, redacted
    assert "store postgresql+psycopg://" in outputs  # the printed URL too, without password

    monkeypatch.setenv("NBTRACK_STORE", pg_store)
    runs = nbtrack.runs(sweep=sweep_id)
    assert sorted(runs["status"]) == ["failed", "finished"]
    records = str(runs.to_dict("records"))
    assert TOKEN not in records and password not in records


def test_a_searched_sweep_runs_on_a_role_that_cannot_create_schemas(
    project: Path, pg_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team role that may create tables in its own schema only (no CREATE
    SCHEMA) runs a searched sweep: the study is kept in the store's own
    `nbtrack_study_log`, beside the runs, and no schema of Optuna's is made."""
    import sqlalchemy as sa
    from pg_password import PG_URL

    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:  # as on a team server where nobody made it
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS nbtrack_optuna CASCADE")
    _notebook(project)
    monkeypatch.setenv("NBTRACK_STORE", pg_store)
    s = nbtrack.sweep(
        project / "train.ipynb", {"token": ["ok"]}, method="grid", metric="loss", trials=1
    )
    assert [t.status for t in s.trials] == ["finished"]
    assert [t.state.name for t in s.study.trials] == ["COMPLETE"]
    role = sa.make_url(pg_store).username
    with admin.begin() as conn:
        schemas = {r[0] for r in conn.exec_driver_sql("SELECT nspname FROM pg_namespace")}
        logged = conn.exec_driver_sql(f'SELECT count(*) FROM "{role}".nbtrack_study_log').scalar()
    admin.dispose()
    assert "nbtrack_optuna" not in schemas
    assert logged > 0


def test_a_searched_sweeps_notebooks_keep_no_secret(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search path runs notebooks on kept kernels (sweeps/trials.py), not through
    papermill's worker: its executed notebooks are sealed the same way."""
    _notebook(project)
    monkeypatch.setenv("SERVICE_API_TOKEN", TOKEN)
    s = nbtrack.sweep(
        project / "train.ipynb", {"token": ["ok", TOKEN]}, method="grid", metric="loss", trials=2
    )
    kept = sorted((project / ".nbtrack" / "sweeps" / s.id).glob("*.ipynb"))
    assert len(kept) == 2, kept
    outputs = json.dumps([json.loads(p.read_text(encoding="utf-8")) for p in kept])
    assert "token [redacted] store" in outputs  # the trial printed the token: redacted
    for path in kept:
        raw = path.read_text(encoding="utf-8")
        assert TOKEN not in raw, path.name
        assert json.loads(raw)["metadata"]["nbtrack"]["sweep"]["id"] == s.id
