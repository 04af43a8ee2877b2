"""The registry across processes and schema versions: an old store upgrades in
place, and two processes moving one alias at once both land in the history
(the last write wins, each move names the holder it really replaced)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.store import migrations, open_store


def test_a_store_from_before_the_registry_upgrades_in_place(backend: str, project: Path) -> None:
    before = migrations.STEPS.index(migrations._registry)
    (project / ".nbtrack").mkdir(exist_ok=True)
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        migrations.upgrade(conn, backend, target=before)
        assert not sa.inspect(conn).has_table("nbtrack_registry_versions")
    engine.dispose()
    with nbtrack.start_run() as run:
        nbtrack.log_model({"w": 1}, "m")  # opens (and upgrades) the store
    store = open_store(backend)
    assert store.schema_version() == migrations.SCHEMA_VERSION
    nbtrack.registry.link("m:v1", "clf", aliases=["production"])
    assert nbtrack.load_model("clf@production") == {"w": 1}
    assert nbtrack.get_run(run.ref).outputs[0].ref == "m:v1"


MOVER = """
import os, sys, time, nbtrack
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(int(sys.argv[3])):
    nbtrack.registry.set_alias("clf", "production", version=int(sys.argv[2]))
"""


@pytest.mark.slow
def test_two_processes_moving_one_alias_at_once_lose_no_move(backend: str, project: Path) -> None:
    for i in range(2):
        nbtrack.log_model({"w": i}, "m")
        nbtrack.registry.link(f"m:v{i + 1}", "clf")
    nbtrack.registry.set_alias("clf", "production", version=1)
    go = project / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(nbtrack.__file__).parents[1])}
    moves = 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(MOVER), str(go), str(v), str(moves)],
            cwd=project,
            env={**env, "JUPYTERHUB_USER": f"user{v}"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for v in (1, 2)
    ]
    go.write_text("go")
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    history = nbtrack.registry.history("clf")
    assert len(history) == 1 + 2 * moves  # every move is there
    assert (history["user"] == "user1").sum() == moves == (history["user"] == "user2").sum()
    # Each move's "from" is the holder the move before it left: no lost update.
    to = list(history["to_version"])
    frm = list(history["from_version"])
    assert frm[0] is pd.NA and all(frm[i] == to[i - 1] for i in range(1, len(to)))
    # The last write won.
    last = int(to[-1])
    assert nbtrack.registry.models()["aliases"].tolist()[last - 1] == ["production"]
    assert nbtrack.load_model("clf@production") == {"w": last - 1}
