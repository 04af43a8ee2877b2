"""The nbtrack command, run as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


@pytest.fixture
def two_runs(backend: str) -> list[str]:
    ids = []
    for lr in (0.1, 0.01):
        with nbtrack.start_run(
            name=f"lr{lr}", params={"lr": lr, "very_long_parameter_name": "x" * 40}, tags=["t"]
        ) as run:
            nbtrack.log(loss=lr * 3, accuracy_on_validation=0.9, nan_metric=float("nan"))
        ids.append(run.id)
    nbtrack.store.forget_stores()
    return ids


def test_runs_table_fits_80_columns(two_runs: list[str]) -> None:
    out = cli("runs")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ["name", "ref", "status", "start", "duration"]
    name, ref, status = lines[1].split()[:3]
    assert (name, status) == ("lr0.01", "finished") and ref.endswith("#2")
    assert all(len(line) <= 80 for line in lines)


def test_runs_of_one_name_are_told_apart_by_ref(backend: str) -> None:
    for lr in (0.1, 0.01):
        with nbtrack.start_run(name="train", params={"lr": lr}, notebook="train.ipynb"):
            nbtrack.log(loss=lr)
    nbtrack.store.forget_stores()
    table = cli("runs").stdout.splitlines()
    assert [line.split()[:2] for line in table[1:]] == [["train", "train#2"], ["train", "train#1"]]
    rows = list(csv.DictReader(io.StringIO(cli("runs", "--format", "csv").stdout)))
    assert [(r["name"], r["ref"], r["params.lr"]) for r in rows] == [
        ("train", "train#2", "0.01"),
        ("train", "train#1", "0.1"),
    ]


def test_runs_and_show_import_neither_pandas_nor_notebook_libraries(
    two_runs: list[str], backend: str
) -> None:
    """`nbtrack runs` and `show` answer at once: they load only the store, and an SQLite
    store through the standard library alone (SQLAlchemy costs more than the answer)."""
    probe = (
        "import sys\n"
        "from nbtrack.cli import main\n"
        "for argv in (['runs'], ['runs', '--format', 'csv'], ['runs', '--format', 'json'],\n"
        "             ['show', 'latest'], ['show', 'latest', '--format', 'json']):\n"
        "    assert main(argv) == 0\n"
        "heavy = ('pandas', 'numpy', 'jupytext', 'nbformat', 'nbdime', 'IPython', 'sqlalchemy')\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    expected = [] if backend.startswith("sqlite") else ["sqlalchemy"]
    assert out.stdout.splitlines()[-1] == f"LOADED {expected}"


def test_diff_of_runs_without_artifacts_reads_an_sqlite_store_without_sqlalchemy(
    two_runs: list[str], backend: str
) -> None:
    """A cold `nbtrack diff` of two runs that used no artifact reads the SQLite store
    through the standard library: SQLAlchemy costs more than half of its CPU time."""
    probe = (
        "import sys\n"
        "from nbtrack.cli import main\n"
        "assert main(['diff', 'latest~1', 'latest']) == 0\n"
        "print('LOADED', 'sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "lr: 0.1 → 0.01" in out.stdout
    assert out.stdout.splitlines()[-1] == f"LOADED {not backend.startswith('sqlite')}"


def test_runs_json_and_csv(two_runs: list[str]) -> None:
    data = json.loads(cli("runs", "--format", "json").stdout)
    assert [d["id"] for d in data] == two_runs[::-1]
    first = data[0]
    assert first["params"]["lr"] == 0.01 and first["metrics"]["loss"] == pytest.approx(0.03)
    assert first["metrics"]["nan_metric"] == "NaN" and first["start"].endswith("+00:00")
    text = cli("runs", "--format", "csv", "--limit", "1").stdout
    assert text.splitlines()[0].startswith("id,name,ref,status")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["id"] == two_runs[1] and row["ref"].endswith("#2") and row["params.lr"] == "0.01"
    assert row["metrics.nan_metric"] == "" and row["tags"] == '["t"]'
    assert row["start"].endswith("+00:00") and float(row["duration"]) >= 0


def test_runs_filters_by_status(two_runs: list[str]) -> None:
    assert json.loads(cli("runs", "--format", "json", "--status", "failed").stdout) == []
    assert len(json.loads(cli("runs", "--format", "json", "--status", "finished").stdout)) == 2


def test_show(two_runs: list[str]) -> None:
    out = cli("show", "lr0.1")
    assert out.returncode == 0 and "lr = 0.1" in out.stdout and "status      finished" in out.stdout
    data = json.loads(cli("show", "latest", "--format", "json").stdout)
    assert data["name"] == "lr0.01" and data["metrics"]["nan_metric"]["last"] == "NaN"


def test_unknown_ref_is_one_line_on_stderr_and_nonzero(two_runs: list[str]) -> None:
    out = cli("show", "nothing")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "no run matches 'nothing'" in out.stderr


def test_rm_needs_confirmation(two_runs: list[str]) -> None:
    out = cli("rm", "lr0.1")
    assert out.returncode == 1 and "pass --yes" in out.stderr
    assert cli("rm", "lr0.1", "--yes").returncode == 0
    assert [d["name"] for d in json.loads(cli("runs", "--format", "json").stdout)] == ["lr0.01"]


def test_doctor(two_runs: list[str]) -> None:
    out = cli("doctor")
    assert out.returncode == 0
    from nbtrack.store.migrations import SCHEMA_VERSION

    v = SCHEMA_VERSION
    assert f"schema version  {v} (this nbtrack: {v})" in out.stdout
    assert "runs            2 (finished 2)" in out.stdout and "metric points   6" in out.stdout
    assert "/.nbtrack/artifacts (local, none yet), 0 version(s) of 0 artifact(s)" in out.stdout


def test_doctor_in_a_new_repository_names_git_state_and_snapshots(project: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], check=True)
    out = cli("doctor")
    assert "git             main (no commits yet)" in out.stdout
    assert "snapshots       0 notebook ref(s) under refs/nbtrack/" in out.stdout


def test_bad_store_url_exits_nonzero_with_a_message(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nbtrack", "--store", "mysql://x/y", "runs"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "SQLite or PostgreSQL" in out.stderr


def test_console_script_is_installed(project: Path) -> None:
    exe = Path(sys.executable).with_name("nbtrack")
    out = subprocess.run([str(exe), "runs"], capture_output=True, text=True)
    assert out.returncode == 0 and "no runs yet" in out.stdout
