"""Runs move between stores through an archive losslessly: SQLite -> archive ->
PostgreSQL -> archive -> SQLite gives equal runs() and every point bit for bit."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.store import open_store
from nbtrack.store import schema as sch
from nbtrack.transfer import copy_runs, export_runs, import_archive

SPECIAL = [float("nan"), math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]


def _record_runs(url: str, notebook: Path) -> list[str]:
    notebook.write_text("{}")
    ids = []
    with nbtrack.start_run(params={"lr": 0.1, "opt": "adam"}, tags=["a", "b"], notes="n1",
                           notebook=notebook) as run:  # fmt: skip
        for step, value in enumerate(SPECIAL):
            nbtrack.log(loss=value, acc=step / 3, step=step)
        ids.append(run.id)
    with nbtrack.start_run(name="second", params={"lr": 0.2}, notebook=notebook) as run:
        nbtrack.log(loss=1.5)
        ids.append(run.id)
    with nbtrack.start_run(params={}, notebook=notebook) as run:  # no points at all
        ids.append(run.id)
    return ids


def _points(url: str) -> list[tuple]:
    """Every point as (run id, metric, step, seq, value bits, time bits); NaN as None."""
    from nbtrack.store.chunks import read_points

    with open_store(url).reading() as conn:
        run_keys = conn.execute(sa.select(sch.run_keys.c.run_key, sch.run_keys.c.run_id)).all()
        rows = []
        for run_key, run_id in run_keys:
            p = read_points(conn, run_key)
            columns = (p.key, p.step, p.seq, p.value, p.time)
            rows += [(run_id, *row) for row in zip(*(c.tolist() for c in columns), strict=True)]
    bits = lambda x: None if x != x else struct.pack("<d", x)  # noqa: E731
    return sorted((r[0], r[1], r[2], r[3], bits(r[4]), bits(r[5])) for r in rows)


def _runs(url: str) -> pd.DataFrame:
    return nbtrack.runs(store=url).sort_values("id").reset_index(drop=True)


@pytest.mark.slow
def test_sqlite_to_postgres_to_sqlite_is_lossless(
    postgres_store: str, project: Path, tmp_path: Path
) -> None:
    first = f"sqlite:///{tmp_path / 'a.db'}"
    last = f"sqlite:///{tmp_path / 'c.db'}"
    import os

    os.environ["NBTRACK_STORE"] = first  # postgres_store's monkeypatch restores it
    ids = _record_runs(first, project / "train.ipynb")
    before_runs, before_points = _runs(first), _points(first)
    assert len(before_points) == 2 * len(SPECIAL) + 1

    one = export_runs(first, tmp_path / "one.nbtrack")
    assert (one.runs, one.points) == (3, len(before_points))
    done = import_archive(one.path, postgres_store)
    assert (done.runs, done.points, done.skipped) == (3, len(before_points), 0)
    export_runs(postgres_store, tmp_path / "two.nbtrack")
    import_archive(tmp_path / "two.nbtrack", last)

    for url in (postgres_store, last):
        pd.testing.assert_frame_equal(_runs(url), before_runs)
        assert _points(url) == before_points
    loss = nbtrack.get_run(ids[0], store=last).history("loss")["value"].tolist()
    assert math.isnan(loss[0]) and loss[1:3] == [math.inf, -math.inf]
    assert loss[4:] == SPECIAL[4:]  # the smallest subnormal, the largest double, 0.1+0.2

    # Importing again creates nothing.
    again = import_archive(tmp_path / "two.nbtrack", last)
    assert (again.runs, again.skipped) == (0, 3)
    assert _points(last) == before_points and len(_runs(last)) == 3


def test_colliding_run_numbers_are_renumbered(project: Path, tmp_path: Path) -> None:
    import os

    src, dst = f"sqlite:///{tmp_path / 'src.db'}", f"sqlite:///{tmp_path / 'dst.db'}"
    os.environ["NBTRACK_STORE"] = src
    try:
        _record_runs(src, project / "train.ipynb")
        os.environ["NBTRACK_STORE"] = dst
        with nbtrack.start_run(notebook=project / "train.ipynb") as local:
            nbtrack.log(x=1.0)
    finally:
        os.environ.pop("NBTRACK_STORE")
    done = copy_runs(src, dst)
    assert done.runs == 3
    assert done.renumbered == {"train#1": "train#4"}  # only the clash moves
    df = _runs(dst).set_index("id")
    assert sorted(df["ref"]) == ["train#1", "train#2", "train#3", "train#4"]
    assert df.loc[local.id, "ref"] == "train#1"
    assert set(df["name"]) == {"train#1", "second", "train#3", "train#4"}
    # The old reference, qualified by where it came from, still names the run.
    assert done.aliases == {"train#1@src": done_id(df, "train#4")}
    assert nbtrack.get_run("train#1@src", store=dst).ref == "train#4"
    assert nbtrack.get_run("train#1", store=dst).id == local.id
    with pytest.raises(nbtrack.NbtrackError):
        nbtrack.get_run("train#1@elsewhere", store=dst)
    assert copy_runs(src, dst).runs == 0  # the second copy finds every run there


def done_id(df: pd.DataFrame, ref: str) -> str:
    return df.index[df["ref"] == ref][0]


@pytest.mark.slow
def test_cli_export_import_with_snapshots_into_another_project(
    project: Path, tmp_path: Path
) -> None:
    """`nbtrack export --all` then `nbtrack import` elsewhere: the runs, and their
    notebook snapshots through the bundle (checkout works in the new project)."""
    import json
    import os
    import subprocess
    import sys

    from nbtrack.versioning import commit_snapshot, read_snapshot, ref_for_notebook

    subprocess.run(["git", "init", "-q"], check=True)
    src = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    os.environ["NBTRACK_STORE"] = src
    try:
        ids = _record_runs(src, project / "train.ipynb")
    finally:
        os.environ.pop("NBTRACK_STORE")
    nb = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    ref = ref_for_notebook(project, project / "train.ipynb")
    commit = commit_snapshot(project, {"notebook.ipynb": nb}, ref, "snap")
    open_store(src).update_run(ids[0], snapshot=commit)

    def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "NBTRACK_STORE"}
        return subprocess.run([sys.executable, "-m", "nbtrack", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    archive = tmp_path / "runs.nbtrack"
    out = cli(project, "export", "--all", "-o", str(archive))
    assert out.returncode == 0, out.stderr
    assert "exported 3 run(s)" in out.stdout and "1 snapshot(s)" in out.stdout
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=other, check=True)
    out = cli(other, "import", str(archive))
    assert out.returncode == 0, out.stderr
    assert "imported 3 run(s)" in out.stdout
    assert read_snapshot(other, commit) == {"notebook.ipynb": nb}
    out = cli(other, "import", str(archive))
    assert "imported 0 run(s)" in out.stdout and "3 already there" in out.stdout
    target = f"sqlite:///{other / '.nbtrack' / 'nbtrack.db'}"
    pd.testing.assert_frame_equal(_runs(target), _runs(src))
