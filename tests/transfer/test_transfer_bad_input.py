"""Archives nbtrack must refuse, and imports racing a live writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pg_locks import waits_on_a_lock

import nbtrack
from nbtrack.transfer import export_runs, import_archive
from nbtrack.transfer.archive import ArchiveTooNewError, DamagedArchiveError


def _archive(tmp_path: Path, runs: int = 3, points: int = 200) -> Path:
    src = f"sqlite:///{tmp_path / 'src.db'}"
    os.environ["NBTRACK_STORE"] = src
    try:
        for _ in range(runs):
            with nbtrack.start_run(params={"lr": 0.1}):
                for step in range(points):
                    nbtrack.log(loss=1.0 / (step + 1), step=step)
    finally:
        os.environ.pop("NBTRACK_STORE")
    return export_runs(src, tmp_path / "runs.nbtrack").path


def _count(url: str) -> int:
    return len(nbtrack.runs(store=url))


def test_archive_from_a_newer_nbtrack_is_refused_naming_both_versions(
    project: Path, tmp_path: Path
) -> None:
    path = _archive(tmp_path, runs=1, points=3)
    newer = tmp_path / "newer.nbtrack"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(newer, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest.update(format_version=2, nbtrack_version="9.1.0")
                data = json.dumps(manifest).encode()
            new.writestr(item, data)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(ArchiveTooNewError) as info:
        import_archive(newer, target)
    message = str(info.value)
    assert "9.1.0" in message and nbtrack.__version__ in message and "Upgrade" in message
    assert _count(target) == 0


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.99])
def test_truncated_archive_is_a_clear_error_and_imports_nothing(
    project: Path, tmp_path: Path, keep: float
) -> None:
    path = _archive(tmp_path, runs=2, points=500)
    data = path.read_bytes()
    cut = tmp_path / "cut.nbtrack"
    cut.write_bytes(data[: int(len(data) * keep)])
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(DamagedArchiveError, match="truncated or corrupted.*nothing was imported"):
        import_archive(cut, target)
    assert _count(target) == 0


def test_a_member_that_does_not_match_its_checksum_is_refused(
    project: Path, tmp_path: Path
) -> None:
    path = _archive(tmp_path, runs=1, points=3)
    bad = tmp_path / "bad.nbtrack"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(bad, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "tables/nbtrack_points.jsonl":
                data = data.replace(b'"loss"', b'"LOSS"', 1)
            new.writestr(item, data)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(DamagedArchiveError, match="checksum"):
        import_archive(bad, target)
    assert _count(target) == 0


_WRITER = textwrap.dedent(
    """
    import sys, pathlib, nbtrack
    stop = pathlib.Path(sys.argv[1])
    n = 0
    while not stop.exists() or n < 3:
        with nbtrack.start_run(notebook="train.ipynb"):
            for step in range(50):
                nbtrack.log(acc=step / 50, step=step)
        n += 1
        print(n, flush=True)
    """
)


@pytest.mark.slow
def test_import_while_another_process_writes_to_the_target(
    backend: str, project: Path, tmp_path: Path
) -> None:
    (project / "train.ipynb").write_text("{}")
    src = f"sqlite:///{tmp_path / 'src.db'}"
    os.environ["NBTRACK_STORE"] = src
    for _ in range(3):
        with nbtrack.start_run(notebook=project / "train.ipynb"):
            for step in range(300):
                nbtrack.log(loss=float(step), step=step)
    os.environ["NBTRACK_STORE"] = backend
    archive = export_runs(src, tmp_path / "runs.nbtrack").path
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(stop)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "1"  # the writer is mid-stream
        done = import_archive(archive, backend)
        stop.touch()
        out, err = writer.communicate(timeout=300)
    finally:
        stop.touch()
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0, err
    written = int(out.split()[-1]) if out.split() else 1
    assert done.runs == 3 and done.points == 900
    df = nbtrack.runs(store=backend)
    assert len(df) == 3 + written
    assert df["ref"].is_unique  # the writer's numbers and the imported ones never clash
    for run_id in df["id"]:
        hist = nbtrack.get_run(run_id, store=backend).history()
        assert len(hist) in (50, 300)


def test_an_import_meeting_its_environment_written_beside_it_still_imports(
    postgres_store: str, project: Path, tmp_path: Path
) -> None:
    """Archives made on one machine carry the same environment row (its id is its
    content's hash). Two imports at once: each finds it missing, and the second to
    insert it met a duplicate key and failed, importing nothing."""
    archive = _archive(tmp_path, runs=2, points=5)
    source = sa.create_engine(f"sqlite:///{tmp_path / 'src.db'}")
    with source.connect() as conn:
        envs = [
            dict(r) for r in conn.execute(sa.text("SELECT * FROM nbtrack_environments")).mappings()
        ]
    source.dispose()
    assert len(envs) == 1
    nbtrack.runs(store=postgres_store)  # the schema
    insert = sa.text(
        f"INSERT INTO nbtrack_environments ({', '.join(envs[0])}) "
        f"VALUES ({', '.join(':' + c for c in envs[0])})"
    )
    engine = sa.create_engine(postgres_store)
    with engine.connect() as other, other.begin():  # "the other import", not committed yet
        other.execute(insert, envs[0])
        thread, done = _importing(archive, postgres_store)
        while thread.is_alive() and not waits_on_a_lock(engine):
            thread.join(0.05)
    engine.dispose()
    assert _imported(thread, done).runs == 2
    assert _count(postgres_store) == 2


def test_two_imports_of_one_archive_at_once_import_it_once(
    postgres_store: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people import the same archive into the team store at once: both find its
    runs missing, and the second's insert waits for the first's. Once the first
    commits, the second skips them, as an import run after it does, where it failed
    with a duplicate key."""
    from nbtrack.transfer import artifacts, load

    archive = _archive(tmp_path, runs=2, points=5)
    nbtrack.runs(store=postgres_store)  # the schema
    engine = sa.create_engine(postgres_store)
    holding, release = threading.Event(), threading.Event()
    load_rows = artifacts.load_rows

    def held_open(*args: object, **kwargs: object) -> object:
        if threading.current_thread().name == "first":  # its runs written, not committed
            holding.set()
            assert release.wait(600)  # a hang guard
        return load_rows(*args, **kwargs)

    monkeypatch.setattr(load.artifacts, "load_rows", held_open)
    first, first_done = _importing(archive, postgres_store, name="first")
    assert holding.wait(600)  # a hang guard
    second, second_done = _importing(archive, postgres_store, name="second")
    while second.is_alive() and not waits_on_a_lock(engine):
        second.join(0.05)
    release.set()
    engine.dispose()
    once, again = _imported(first, first_done), _imported(second, second_done)
    assert (once.runs, once.skipped) == (2, 0)
    assert (again.runs, again.skipped) == (0, 2)
    assert _count(postgres_store) == 2


def test_an_import_chosen_to_end_a_deadlock_imports_on_a_second_try(
    postgres_store: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import holds its runs' registry-metric lock buckets (shared) from its
    summaries on; a link of one of those runs in another transaction waits for
    them (exclusive) while holding a registered model the import then needs. The
    server ends the deadlock by aborting the import, which wrote nothing: it
    tries again and imports, where it failed saying "deadlock detected"."""
    from nbtrack.transfer import artifacts, load

    src = tmp_path / "src"
    src.mkdir()
    src_url = f"sqlite:///{src / 'src.db'}"
    monkeypatch.setenv("NBTRACK_STORE", src_url)
    with nbtrack.start_run(name="train") as run:
        nbtrack.log(acc=0.5)
        nbtrack.log_model({"w": 1}, "net")
    nbtrack.registry.link("net:v1", "clf")
    archive = export_runs(src_url, tmp_path / "runs.nbtrack").path
    monkeypatch.setenv("NBTRACK_STORE", postgres_store)
    nbtrack.runs(store=postgres_store)  # the schema

    holding, release, linked, commit = (threading.Event() for _ in range(4))
    load_rows = artifacts.load_rows

    def held_open(*args: object, **kwargs: object) -> object:
        if not release.is_set():  # its summaries written: it holds their buckets
            holding.set()
            assert release.wait(600)  # a hang guard
        return load_rows(*args, **kwargs)

    monkeypatch.setattr(load.artifacts, "load_rows", held_open)
    engine = sa.create_engine(postgres_store)
    link: dict[str, int] = {}

    def link_beside() -> None:
        with engine.connect() as conn, conn.begin():
            # This side never ends the deadlock: the server aborts the import.
            conn.execute(sa.text("SET LOCAL deadlock_timeout = '10min'"))
            link["pid"] = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            conn.execute(sa.text("INSERT INTO nbtrack_registered_models VALUES ('clf', 1.0, 'u')"))
            conn.execute(
                sa.text(
                    "INSERT INTO nbtrack_registry_versions (name, version, artifact_version_id, "
                    "source, flavor, run_id, created) VALUES "
                    "('clf', 7, 'elsewhere', 'net:v7', 'pickle', :run, 2.0)"
                ),
                {"run": run.id},
            )
            linked.set()
            assert commit.wait(600)  # a hang guard

    importer, done = _importing(archive, postgres_store)
    assert holding.wait(600)  # a hang guard
    linker = threading.Thread(target=link_beside)
    linker.start()
    while not linked.is_set() and not ("pid" in link and waits_on_a_lock(engine, link["pid"])):
        linker.join(0.05)
    release.set()  # the import goes on to the registry: the cycle closes
    assert linked.wait(600)  # a hang guard: the link goes through once the import aborts
    commit.set()
    linker.join(600)  # a hang guard
    engine.dispose()
    assert _imported(importer, done).runs == 1
    listed = nbtrack.registry.models("clf", store=postgres_store)
    assert sorted(listed["version"]) == [1, 7]
    assert list(listed.loc[listed["version"] == 1, "metrics.acc"]) == [0.5]


def _importing(
    archive: Path, url: str, name: str = "import"
) -> tuple[threading.Thread, dict[str, object]]:
    """An import into `url` started in a thread of its own named `name`; what it
    returns or raises goes into the dict (see _imported)."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["done"] = import_archive(archive, url)
        except Exception as exc:  # noqa: BLE001 - reported by _imported
            out["done"] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, out


def _imported(thread: threading.Thread, out: dict[str, object]) -> Any:
    """What the import of _importing returned, once done; its error fails the test."""
    thread.join(600)  # a hang guard
    assert not thread.is_alive()
    assert not isinstance(out.get("done"), Exception), out.get("done")
    return out["done"]


def test_import_of_a_missing_file_says_so(project: Path, tmp_path: Path) -> None:
    with pytest.raises(nbtrack.NbtrackError, match="does not exist"):
        import_archive(tmp_path / "nope.nbtrack", f"sqlite:///{tmp_path / 't.db'}")


def test_export_of_named_runs_carries_only_those(project: Path, tmp_path: Path) -> None:
    path = _archive(tmp_path, runs=3, points=5)
    src = f"sqlite:///{tmp_path / 'src.db'}"
    refs = sorted(nbtrack.runs(store=src)["ref"])
    some = export_runs(src, tmp_path / "some.nbtrack", [refs[0], refs[2]])
    assert (some.runs, some.points) == (2, 10)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    import_archive(some.path, target)
    assert sorted(nbtrack.runs(store=target)["ref"]) == [refs[0], refs[2]]
    assert path.exists()


def test_archive_with_a_column_this_nbtrack_lacks_is_refused(project: Path, tmp_path: Path) -> None:
    path = _archive(tmp_path, runs=1, points=3)
    newer = tmp_path / "newer.nbtrack"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(newer, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "tables/nbtrack_runs.jsonl":
                row = json.loads(data)
                data = (json.dumps({**row, "gpu_hours": 1.5}) + "\n").encode()
                import hashlib

                manifest["members"][item.filename].update(
                    bytes=len(data), sha256=hashlib.sha256(data).hexdigest()
                )
            if item.filename != "manifest.json":
                new.writestr(item, data)
        manifest.update(nbtrack_version="0.9.0", schema_version=99)
        new.writestr("manifest.json", json.dumps(manifest))
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(nbtrack.NbtrackError, match="gpu_hours.*0.9.0.*Upgrade"):
        import_archive(newer, target)
    assert _count(target) == 0
