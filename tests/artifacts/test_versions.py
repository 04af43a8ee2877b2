"""Versions by content, deduplicated blobs, aliases and references, on both
store backends, with real files and real Parquet."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from process_helpers import blob_files

import nbtrack
from nbtrack.artifacts import ArtifactError, ArtifactNotFoundError
from nbtrack.artifacts.context import context_for
from nbtrack.artifacts.records import alias_history, resolve


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_same_bytes_same_version_changed_bytes_next_version(backend: str, project: Path) -> None:
    (project / "model.bin").write_bytes(b"weights-1" * 1000)
    with nbtrack.start_run(name="a") as run:
        v1 = nbtrack.log_artifact("model.bin", name="model", type="model")
        again = nbtrack.log_artifact("model.bin", name="model", type="model")
    assert (v1.version, again.version, again.id) == (1, 1, v1.id)
    (project / "model.bin").write_bytes(b"weights-2" * 1000)
    v2 = nbtrack.log_artifact("model.bin", name="model", type="model")
    assert v2.version == 2 and v2.hash != v1.hash
    df = nbtrack.artifacts("model")
    assert list(df["version"]) == [1, 2]
    assert list(df["aliases"]) == [[], ["latest"]]
    assert df["made_by"][0] == run.ref and pd.isna(df["made_by"][1])


def test_dedup_across_names_and_runs(backend: str, project: Path) -> None:
    (project / "a.csv").write_bytes(b"x,y\n1,2\n" * 5000)
    with nbtrack.start_run():
        first = nbtrack.log_artifact("a.csv", name="first")
    with nbtrack.start_run():
        second = nbtrack.log_artifact("a.csv", name="second")
    assert first.hash == second.hash and first.id != second.id
    assert list(blob_files(project)) == [first.hash]  # stored once


def test_folder_with_one_changed_file_stores_one_new_blob(backend: str, project: Path) -> None:
    files = {f"part/{i:03d}.txt": f"row {i}\n".encode() * 100 for i in range(50)}
    folder = _folder(project / "data", files)
    assert nbtrack.log_artifact(folder, name="data").version == 1
    before = blob_files(project)
    assert len(before) == 51  # 50 files and the manifest
    (folder / "part" / "007.txt").write_bytes(b"changed\n")
    v2 = nbtrack.log_artifact(folder, name="data")
    after = blob_files(project)
    new = set(after) - set(before)
    assert v2.version == 2 and v2.files == 50
    assert len(new) == 2  # the changed file and the new manifest
    assert v2.hash in new
    shown = nbtrack.artifacts("data")
    assert list(shown["files"]) == [50, 50]


def test_dataset_round_trip_schema_rows_preview(backend: str, project: Path) -> None:
    df = pd.DataFrame({"x": range(1000), "label": ["<b>a</b>", "b"] * 500})
    v = nbtrack.log_dataset(df, "digits-train")
    assert v.meta["rows"] == 1000
    assert v.meta["schema"][0] == {"name": "x", "dtype": "int64"}
    assert v.meta["preview"]["data"][0] == [0, "<b>a</b>"]
    back = nbtrack.use_dataset("digits-train")
    pd.testing.assert_frame_equal(back, df)
    assert nbtrack.log_dataset(df.copy(), "digits-train").version == 1
    assert nbtrack.log_dataset(df.head(10), "digits-train").version == 2


def test_refs_versions_latest_hash_prefix_and_moving_aliases(backend: str, project: Path) -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})
    v1 = nbtrack.log_dataset(df, "d", aliases=["best"])
    v2 = nbtrack.log_dataset(df * 2, "d")
    assert nbtrack.use_dataset("d:v1").equals(df)
    assert nbtrack.use_dataset("d").equals(df * 2)
    assert nbtrack.use_dataset("d:latest").equals(df * 2)
    assert nbtrack.use_dataset(f"d:{v1.hash[:8]}").equals(df)
    assert nbtrack.use_dataset("d:best").equals(df)
    nbtrack.set_alias("d:v2", "best")  # moves, history kept
    assert nbtrack.use_dataset("d:best").equals(df * 2)
    history = alias_history(context_for().store, "d", "best")
    assert [h["version"] for h in history] == [1, 2]
    shown = nbtrack.artifacts("d")
    assert list(shown["aliases"]) == [[], ["latest", "best"]]
    assert v2.version == 2


def test_bad_references_and_names_say_what_to_do(backend: str, project: Path) -> None:
    nbtrack.log_dataset(pd.DataFrame({"a": [1]}), "d")
    with pytest.raises(ArtifactNotFoundError, match=r"'d' has no version 'v9'.*v1\.\.v1"):
        nbtrack.use_dataset("d:v9")
    with pytest.raises(ArtifactNotFoundError, match=r"no artifact named 'nope'.*artifacts"):
        nbtrack.use_artifact("nope")
    for bad in ("a/b", "a:b"):
        with pytest.raises(ArtifactError, match=r"holds .*Use e\.g\. 'a-b'"):
            nbtrack.log_dataset(pd.DataFrame({"a": [1]}), bad)
    with pytest.raises(ArtifactError, match=r"no file or folder at missing\.txt.*check the path"):
        nbtrack.log_artifact("missing.txt")
    with pytest.raises(ArtifactError, match=r"takes a pandas DataFrame, not list"):
        nbtrack.log_dataset([1, 2], "d")  # type: ignore[arg-type]
    with pytest.raises(ArtifactError, match=r"'latest' always means the newest"):
        nbtrack.set_alias("d", "latest")


def test_zero_byte_file_is_a_version(project: Path) -> None:
    (project / "empty").write_bytes(b"")
    v = nbtrack.log_artifact("empty", name="empty")
    assert (v.size, v.files) == (0, 1)
    assert nbtrack.use_artifact("empty:v1").read_bytes() == b""


def test_symlink_out_of_the_project_is_stored_as_a_link(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("not ours")
    data = _folder(project / "data", {"in.txt": b"ours"})
    (data / "ext").symlink_to(secret)
    v = nbtrack.log_artifact(data, name="data")
    assert v.files == 2 and v.size == len(b"ours")
    stored = {p.read_bytes() for p in (project / ".nbtrack/artifacts/blobs").glob("*/*")}
    assert not any(b"not ours" in b for b in stored)
    out = nbtrack.use_artifact("data:v1")
    assert (out / "ext").is_symlink() and os.readlink(out / "ext") == str(secret)
    (project / "link").symlink_to(secret)
    single = nbtrack.log_artifact("link", name="link")
    assert single.size == 0 and single.kind == "folder"


def test_writing_to_a_materialized_file_never_changes_the_store(project: Path) -> None:
    (project / "cfg.yaml").write_text("lr: 0.1\n")
    v = nbtrack.log_artifact("cfg.yaml", name="cfg")
    path = nbtrack.use_artifact("cfg:v1")
    assert path.read_text() == "lr: 0.1\n" and path != project / "cfg.yaml"
    os.chmod(path, 0o644)
    path.write_text("lr: 999\n")
    blob = project / ".nbtrack/artifacts/blobs" / v.hash[:2] / v.hash
    assert blob.read_text() == "lr: 0.1\n"
    assert nbtrack.use_artifact("cfg:v1").read_text() == "lr: 0.1\n"  # restored


def test_use_artifact_of_a_project_path_records_it_by_hash_copying_nothing(
    backend: str, project: Path
) -> None:
    (project / "configs").mkdir()
    cfg = project / "configs" / "base.yaml"
    cfg.write_text("epochs: 3\n")
    (project / "configs" / "base.yaml.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 10\n  path: base.yaml\n"
    )
    with nbtrack.start_run() as run:
        got = nbtrack.use_artifact("configs/base.yaml")
    assert got == Path("configs/base.yaml")
    assert blob_files(project) == {}
    (row,) = nbtrack.artifacts().to_dict("records")
    assert (row["name"], row["stored"], row["type"]) == ("configs/base.yaml", False, "dataset")
    version = resolve(context_for().store, "configs/base.yaml")
    assert version.meta["dvc"] == {"md5": "0123456789abcdef0123456789abcdef"}
    assert [v.ref for v in nbtrack.get_run(run.ref).inputs] == ["configs/base.yaml:v1"]


def test_diff_has_an_inputs_part(backend: str, project: Path) -> None:
    df = pd.DataFrame({"a": [1, 2]})
    nbtrack.log_dataset(df, "train-set")
    nbtrack.log_dataset(pd.DataFrame({"b": ["<x>"]}), "<extra>")
    (project / "cfg.txt").write_text("a\n")
    with nbtrack.start_run() as a:
        nbtrack.use_dataset("train-set")
        nbtrack.use_artifact("cfg.txt")
    nbtrack.log_dataset(df * 2, "train-set")
    with nbtrack.start_run() as b:
        nbtrack.use_dataset("train-set")
        nbtrack.use_artifact("cfg.txt")
        nbtrack.use_dataset("<extra>")
    result = nbtrack.diff(a.ref, b.ref)
    part = result.to_json()["inputs"]
    assert part["changed"] == {"train-set": {"old": "train-set:v1", "new": "train-set:v2"}}
    assert part["added"] == {"<extra>": "<extra>:v1"}
    assert part["same"] == {"cfg.txt": "cfg.txt:v1"} and part["removed"] == {}
    assert "~ train-set: train-set:v1 -> train-set:v2" in str(result)
    assert "&lt;extra&gt;:v1" in result._repr_html_() and "<extra>" not in result._repr_html_()
    assert not result.is_empty


def test_lineage_walks_both_ways_and_escapes_user_text(backend: str, project: Path) -> None:
    with nbtrack.start_run(name="<script>prep</script>") as prep:
        nbtrack.log_dataset(pd.DataFrame({"a": [1]}), "raw<b>")
    with nbtrack.start_run() as train:
        nbtrack.use_dataset("raw<b>")
        nbtrack.log_dataset(pd.DataFrame({"a": [2]}), "features")
    with nbtrack.start_run() as evaluate:
        nbtrack.use_dataset("features")
        nbtrack.log_dataset(pd.DataFrame({"a": [3]}), "report")
    graph = nbtrack.lineage("features")
    assert graph.upstream == ["raw<b>:v1"] and graph.downstream == ["report:v1"]
    text = repr(graph)
    assert f"made by {train.ref}" in text and "used raw<b>:v1" in text
    assert f"made by {prep.ref} [<script>prep</script>]" in text
    assert f"used by {evaluate.ref}" in text and "made report:v1" in text
    page = graph._repr_html_()
    assert "&lt;script&gt;prep&lt;/script&gt;" in page and "<script>" not in page
    assert "raw&lt;b&gt;:v1" in page
    assert nbtrack.lineage("report").upstream == ["features:v1", "raw<b>:v1"]


def _age(folder: Path) -> None:
    """Make every file older than the racy window, so the folder's manifest is cached."""
    import time

    old = time.time_ns() - 10 * 10**9
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            os.utime(p, ns=(old, old))


def test_a_cached_folder_sees_every_change_of_name_mode_link_and_content(project: Path) -> None:
    data = _folder(project / "data", {"a.txt": b"alpha", "sub/b.txt": b"beta"})
    _age(data)
    v1 = nbtrack.log_artifact(data, name="data")
    assert nbtrack.log_artifact(data, name="data").id == v1.id  # from the folder cache
    os.chmod(data / "a.txt", 0o600)
    _age(data)
    v2 = nbtrack.log_artifact(data, name="data")
    assert v2.version == 2
    (data / "sub" / "b.txt").rename(data / "sub" / "c.txt")
    _age(data)
    v3 = nbtrack.log_artifact(data, name="data")
    assert v3.version == 3
    (data / "sub" / "c.txt").unlink()
    os.symlink("../a.txt", data / "sub" / "c.txt")
    v4 = nbtrack.log_artifact(data, name="data")
    assert v4.version == 4
    (data / "a.txt").write_bytes(b"ALPHA, longer now")
    _age(data)
    v5 = nbtrack.log_artifact(data, name="data")
    assert v5.version == 5
    assert nbtrack.log_artifact(data, name="data").id == v5.id


def test_a_cached_folder_logged_under_a_new_name_is_stored_whole(project: Path) -> None:
    from nbtrack.artifacts import gc
    from nbtrack.query import store_for

    data = _folder(project / "data", {"a.txt": b"alpha", "sub/b.txt": b"beta"})
    _age(data)
    with nbtrack.start_run() as first:
        nbtrack.log_artifact(data, name="first")
    other = nbtrack.log_artifact(data, name="second")  # cached manifest, new name
    assert other.version == 1
    # The first version goes with its run; the second must hold its own blobs.
    store_for(None).delete_run(first.id)
    ctx = context_for()
    gc.apply(ctx, gc.plan(ctx, grace=0))
    assert list(nbtrack.artifacts()["name"]) == ["second"]
    out = nbtrack.use_artifact("second:v1")
    assert (out / "sub" / "b.txt").read_bytes() == b"beta"


def test_a_version_whose_files_are_missing_says_so(project: Path) -> None:
    nbtrack.log_dataset(pd.DataFrame({"x": [1, 2]}), "frame")
    (project / "data").mkdir()
    (project / "data" / "a.txt").write_text("alpha")
    nbtrack.log_artifact(project / "data", name="folder")
    for blob in (project / ".nbtrack" / "artifacts" / "blobs").rglob("*"):
        if blob.is_file():
            blob.unlink()  # as after an import without --with-artifacts
    for use in (lambda: nbtrack.use_dataset("frame"), lambda: nbtrack.use_artifact("folder:v1")):
        with pytest.raises(ArtifactError, match="missing from .*--with-artifacts"):
            use()
