"""A store from before the artifact layer upgrades in place, its runs kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

import nbtrack
from nbtrack.store import migrations, open_store, schema


def test_a_store_without_artifact_tables_upgrades_in_place(backend: str, project: Path) -> None:
    before_artifacts = migrations.STEPS.index(migrations._v9)
    (project / ".nbtrack").mkdir(exist_ok=True)
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        migrations.upgrade(conn, backend, target=before_artifacts)
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
    with store.reading() as conn:
        assert sa.inspect(conn).has_table("nbtrack_artifact_versions")
    with nbtrack.start_run():
        nbtrack.log_dataset(pd.DataFrame({"a": [1]}), "d")
    assert nbtrack.get_run("old#1").name == "old-run"
    assert list(nbtrack.artifacts()["name"]) == ["d"]
