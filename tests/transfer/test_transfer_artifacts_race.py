"""Importing artifact versions while another process logs versions of the same
name: every version gets its own number, none is lost, the import succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import nbtrack
from nbtrack.artifacts.context import forget_contexts
from nbtrack.transfer import export_runs, import_archive

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import pandas as pd

    import nbtrack

    stop, n = Path(sys.argv[1]), 0
    while not stop.exists() or n < 2:
        with nbtrack.start_run(name="writer"):
            nbtrack.log_dataset(pd.DataFrame({"w": [n]}), "data")
        n += 1
        if n == 1:
            print(1, flush=True)
    print(n, flush=True)
    """
)


@pytest.mark.slow
def test_import_while_a_process_logs_versions_of_the_same_name(
    backend: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    src_url = f"sqlite:///{src / 'src.db'}"
    monkeypatch.chdir(src)
    monkeypatch.setenv("NBTRACK_STORE", src_url)
    made = []
    for i in range(3):
        with nbtrack.start_run(name="prep"):
            made.append(nbtrack.log_dataset(pd.DataFrame({"x": [i]}), "data"))
    archive = export_runs(src_url, tmp_path / "runs.nbtrack", project_root=src,
                          with_artifacts=True).path  # fmt: skip
    monkeypatch.chdir(project)
    monkeypatch.setenv("NBTRACK_STORE", backend)
    forget_contexts()
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(stop)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "1"  # the writer is mid-stream
        done = import_archive(archive, backend, project_root=project)
        stop.touch()
        out, err = writer.communicate(timeout=300)
    finally:
        stop.touch()
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == 0, err
    written = int(out.split()[-1])
    assert done.artifacts.versions == 3 and done.artifacts.missing == 0
    df = nbtrack.artifacts("data")
    assert len(df) == 3 + written and df["version"].is_unique
    for i, version in enumerate(made):
        back = nbtrack.use_dataset(f"data:{version.hash[:12]}")
        pd.testing.assert_frame_equal(back, pd.DataFrame({"x": [i]}))
