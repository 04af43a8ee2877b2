"""A store of the previous schema (v6: points keyed by text run id, two indexes) is
upgraded in place with every point kept; a new store is made without alembic."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.store import forget_stores, migrations, open_store
from nbtrack.store import schema as sch
from nbtrack.store.migrations import SCHEMA_VERSION, STEPS, VERSION_KEY

V6 = 6
RUNS, KEYS = 40, ("loss", "acc", "val/loss")


def _v6_points(rng: random.Random) -> list[tuple[str, str, int, float | None, float]]:
    """Points of RUNS runs as nbtrack 6 wrote them, in the order it wrote them: keys
    interleaved, some steps repeated or out of order, NaN (NULL), ±inf."""
    points = []
    for r in range(RUNS):
        run_id = f"01V6RUN{r:019d}"
        for step in range(rng.randrange(50, 400)):
            for key in KEYS[: 1 + r % 3]:
                value = rng.choice([None, math.inf, -math.inf, rng.gauss(0, 1), 1.0])
                points.append((run_id, key, step if rng.random() > 0.05 else 7, value, 1e9 + step))
    return points


def _build_v6_store(url: str, points: list[tuple[str, str, int, float | None, float]]) -> None:
    """A store exactly as schema version 6 made it (its migration steps), with runs and
    points written as nbtrack 6 wrote them (one INSERT per point, ids in that order)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        sch.meta.create(conn)
        conn.execute(sa.insert(sch.meta).values(key=VERSION_KEY, value=str(V6)))
        op = Operations(MigrationContext.configure(conn))
        for step in STEPS[:V6]:
            step(op)
        run_ids = sorted({p[0] for p in points})
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_runs (id, experiment, stem, seq, name, status, "
                "start_time, params, tags) VALUES (:id, 'exp', 'old', :seq, :name, "
                "'finished', :start, '{}', '[]')"
            ),
            [
                {"id": rid, "seq": i + 1, "name": f"old#{i + 1}", "start": 1e9 + i}
                for i, rid in enumerate(run_ids)
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_metrics (run_id, key, step, value, time) "
                "VALUES (:r, :k, :s, :v, :t)"
            ),
            [{"r": r, "k": k, "s": s, "v": v, "t": t} for r, k, s, v, t in points],
        )
        assert conn.execute(sa.text("SELECT count(*) FROM nbtrack_metrics")).scalar() == len(points)
    engine.dispose()


def _expected(points: list[tuple[str, str, int, float | None, float]]) -> dict[str, list]:
    """Per run: (key, step, value, time) by key, step, then the order written."""
    out: dict[str, list] = {}
    for order, (r, k, s, v, t) in enumerate(points):
        out.setdefault(r, []).append((k, s, order, math.nan if v is None else v, t))
    return {r: [(k, s, v, t) for k, s, _, v, t in sorted(rows)] for r, rows in out.items()}


def _same(a: list, b: list) -> bool:
    def norm(rows: list) -> list:
        return [(k, s, "nan" if v != v else v, t) for k, s, v, t in rows]

    return norm(a) == norm(b)


def _bring_to(url: str, version: int) -> None:
    """Upgrade a store to `version` (what the nbtrack of that schema would have made)."""
    from nbtrack.store.migrations import upgrade

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        upgrade(conn, url, target=version)
    engine.dispose()


# 6: points keyed by text run id; 14: a row per point (the schema before chunks).
ROWS = migrations.STEPS.index(migrations._chunks)


@pytest.mark.parametrize("start", [V6, ROWS], ids=["v6", "rows"])
def test_an_older_store_is_upgraded_with_every_point_kept(backend: str, start: int) -> None:
    rng = random.Random(6)
    points = _v6_points(rng)
    _build_v6_store(backend, points)
    if start > V6:
        _bring_to(backend, start)
        with sa.create_engine(backend).connect() as conn:
            rows = conn.execute(sa.text("SELECT count(*) FROM nbtrack_points")).scalar()
        assert rows == len(points)
    store = open_store(backend)
    assert store.schema_version() == SCHEMA_VERSION
    with store.reading() as conn:
        assert not sa.inspect(conn).has_table("nbtrack_metrics")  # replaced, not kept beside
    expected = _expected(points)
    assert store.counts()["points"] == len(points)
    for run_id, rows in expected.items():
        got = [(k, s, v, t) for _, k, s, v, t in store.points([run_id])]
        assert _same(got, rows), run_id
        # Cursors count the run's points in the order they were written.
        assert store.last_point_id(run_id) == len(rows)
        since = store.points_since(run_id, len(rows) - 5, len(rows))
        written = [(k, s, v) for r, k, s, v, _ in points if r == run_id][-5:]
        assert [(k, s, v if v == v else None) for _, k, s, v, _ in since] == [
            (k, s, v) for k, s, v in written
        ]
    # The upgraded store takes new points after the old ones, and new runs.
    one = next(iter(expected))
    store.write_batch([(one, "loss", 10_000, 0.5, 2e9)], {})
    assert store.last_point_id(one) == len(expected[one]) + 1
    assert store.points_since(one, len(expected[one]), 10**9)[0][1:3] == ("loss", 10_000)
    with nbtrack.start_run(name="new") as run:
        nbtrack.log(loss=1.0)
    assert nbtrack.get_run(run.id).history("loss")["value"].tolist() == [1.0]


def test_the_upgrade_frees_space_that_compacting_gives_back(project: Path) -> None:
    """SQLite keeps the old table's pages after the upgrade; VACUUM returns them, and
    the store ends smaller than it was at version 6."""
    url = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    points = _v6_points(random.Random(7))
    _build_v6_store(url, points)
    v6_bytes = (project / ".nbtrack" / "nbtrack.db").stat().st_size
    store = open_store(url)
    freed = store.compact()
    assert freed.after < freed.before
    assert freed.after < v6_bytes / 2, (freed, v6_bytes)
    assert freed.after == store.size_on_disk()
    assert store.counts()["points"] == len(points)


def test_a_new_store_is_created_without_importing_alembic(tmp_path: Path) -> None:
    code = (
        "import sys; from nbtrack.store import open_store; "
        f"s = open_store('sqlite:///{tmp_path / 'new.db'}'); "
        "s.write_batch([('r1', 'loss', 0, 1.0, 0.0)], {}); "
        "print(s.schema_version(), 'alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(SCHEMA_VERSION), "False"], out.stderr
    forget_stores()


@pytest.mark.parametrize("version", [1, V6])
def test_an_old_store_opened_imports_alembic_to_upgrade(tmp_path: Path, version: int) -> None:
    """The other side of the same coin: upgrades still go through the steps."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    with engine.begin() as conn:
        sch.meta.create(conn)
        conn.execute(sa.insert(sch.meta).values(key=VERSION_KEY, value=str(version)))
        op = Operations(MigrationContext.configure(conn))
        for step in STEPS[:version]:
            step(op)
    engine.dispose()
    code = (
        "import sys; from nbtrack.store import open_store; "
        f"print(open_store('{url}').schema_version(), 'alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(SCHEMA_VERSION), "True"], out.stderr
