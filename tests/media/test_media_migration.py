"""A store from before the media index upgrades in place, its runs kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlalchemy as sa

import nbtrack
from nbtrack.store import migrations, open_store, schema


def test_a_store_without_the_media_table_upgrades_in_place(backend: str, project: Path) -> None:
    before_media = migrations.STEPS.index(migrations._media)
    (project / ".nbtrack").mkdir(exist_ok=True)
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        migrations.upgrade(conn, backend, target=before_media)
        assert not sa.inspect(conn).has_table("nbtrack_media")
        conn.execute(
            sa.insert(schema.runs).values(
                id="01aaaaaaaaaaaaaaaaaaaaaaaa",
                experiment="e",
                stem="old",
                seq=1,
                name="old-run",
                status="finished",
                start_time=1.0,
                params="{}",
                tags="[]",
            )
        )
    engine.dispose()
    store = open_store(backend)
    assert store.schema_version() == migrations.SCHEMA_VERSION
    with nbtrack.start_run() as run:
        nbtrack.log_image("x", np.zeros((4, 4), dtype=np.uint8))
    assert nbtrack.get_run("old#1").name == "old-run"
    assert nbtrack.get_run("old#1").media().empty
    assert list(nbtrack.get_run(run.ref).media()["name"]) == ["x"]
