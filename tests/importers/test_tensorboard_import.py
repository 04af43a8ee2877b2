"""import-tensorboard against logs written by tensorboardX, into both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorboardX")

from nbtrack import query  # noqa: E402
from nbtrack.cli import main  # noqa: E402
from nbtrack.store import open_store  # noqa: E402


def _write(logdir: Path, run: str, steps: range, hparams: dict | None = None) -> None:
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(logdir / run))
    for s in steps:
        w.add_scalar("train/loss", 1.0 / (s + 1), s, walltime=1_700_000_000 + s)
        w.add_scalar("acc", s / 100, s, walltime=1_700_000_000 + s)
    if hparams:
        w.add_hparams(hparams, {"hp/score": 0.5}, name=".")
    w.close()


@pytest.mark.slow  # writing 24,000 points with tensorboardX takes ~10 s
def test_every_point_with_steps_and_wall_times(backend: str, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _write(logs, "a", range(12_000), {"lr": 0.1, "layers": 3, "opt": "sgd"})
    _write(logs, "b", range(5))
    assert main(["import-tensorboard", str(logs)]) == 0
    store = open_store(backend)
    runs = {r.stem: r for r in query.list_runs(store)}
    assert set(runs) == {"a", "b"}
    a = runs["a"]
    assert a.params == {"lr": 0.1, "layers": 3, "opt": "sgd"}
    assert a.metrics["train/loss"]["count"] == 12_000  # no 10,000-point reservoir
    assert a.experiment == "logs"
    assert a.start == pytest.approx(1_700_000_000, abs=1)
    points = store.points([a.id], ["acc"])
    assert [p[2] for p in points] == list(range(12_000))
    assert points[42][3] == pytest.approx(0.42)
    assert points[42][4] == pytest.approx(1_700_000_042)
    assert runs["b"].params == {}


def test_add_hparams_subfolder_belongs_to_its_run(backend: str, tmp_path: Path) -> None:
    from tensorboardX import SummaryWriter

    logs = tmp_path / "logs"
    w = SummaryWriter(str(logs / "a"))
    w.add_scalar("acc", 0.5, 0)
    w.add_hparams({"lr": 0.1, "opt": "adam"}, {"hp/score": 0.9})  # into a/<timestamp>/
    w.close()
    assert main(["import-tensorboard", str(logs)]) == 0
    (run,) = query.list_runs(open_store(backend))
    assert run.stem == "a"
    assert run.params == {"lr": 0.1, "opt": "adam"}
    assert run.metrics["hp/score"]["last"] == pytest.approx(0.9)


def test_import_twice_then_gained_points(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tensorboardX import SummaryWriter

    logs = tmp_path / "logs"
    _write(logs, "a", range(10))
    assert main(["import-tensorboard", str(logs)]) == 0
    assert main(["import-tensorboard", str(logs)]) == 0
    assert "0 runs created, 0 updated, 1 unchanged, 0 points" in capsys.readouterr().out
    # A resumed run: a second event file (the suffix keeps its name apart from the
    # first's, which holds the same second and pid).
    w = SummaryWriter(str(logs / "a"), filename_suffix=".resumed")
    for s in range(10, 13):
        w.add_scalar("acc", s / 100, s, walltime=1_700_000_100 + s)
    w.close()
    assert main(["import-tensorboard", str(logs)]) == 0
    assert "0 runs created, 1 updated, 0 unchanged, 3 points" in capsys.readouterr().out
    (run,) = query.list_runs(open_store(backend))
    assert run.metrics["acc"]["count"] == 13 and run.metrics["train/loss"]["count"] == 10


def test_corrupt_event_file_is_skipped_and_named(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    _write(logs, "good", range(20))
    _write(logs, "bad", range(20))
    (bad,) = (logs / "bad").iterdir()
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte mid-file
    bad.write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning, match="damaged event file"):
        assert main(["import-tensorboard", str(logs)]) == 0
    captured = capsys.readouterr()
    assert str(bad) in captured.err
    assert "2 runs created" in captured.out and "1 skipped" in captured.out
    runs = {r.stem: r for r in query.list_runs(open_store(backend))}
    assert runs["good"].metrics["acc"]["count"] == 20
    # The bad file's events before the damage are kept, none after it.
    assert 0 < runs["bad"].metrics["acc"]["count"] < 20


def test_not_a_log_folder(backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["import-tensorboard", str(tmp_path / "empty")]) == 1
    assert "holds no TensorBoard event files" in capsys.readouterr().err
    assert main(["import-tensorboard", str(tmp_path / "missing")]) == 1
    assert "no TensorBoard log folder" in capsys.readouterr().err
