"""`nbtrack import-tensorboard LOGDIR`: each folder holding event files is a run.

Scalars become metrics with their steps and wall times, every point (no
reservoir sampling); hparams (the `hparams` plugin's session start info) become
params, and the subfolder `add_hparams` writes them to is folded into its run.
Event files are read directly (tfrecord.py), without TensorFlow or the
`tensorboard` package. A damaged event file is skipped with a warning naming it;
its run keeps what its other files hold.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NbtrackError
from ..store.store import Store
from .tfrecord import CorruptEventFile, events
from .write import ImportedRun, ImportReport, RunWriter

EVENT_MARK = "tfevents"


class TensorboardSourceError(NbtrackError):
    """A TensorBoard log folder cannot be read."""


def run_dirs(logdir: Path) -> dict[Path, list[Path]]:
    """{run folder: its event files, in name order (which is time order)}."""
    found: dict[Path, list[Path]] = {}
    for folder, _dirs, files in os.walk(logdir):
        names = sorted(f for f in files if EVENT_MARK in f)
        if names:
            found[Path(folder)] = [Path(folder) / n for n in names]
    return dict(sorted(found.items()))


def _scalar(value: Any) -> float | None:
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind == "tensor":
        t = value.tensor
        if t.float_val:
            return float(t.float_val[0])
        if t.double_val:
            return float(t.double_val[0])
        if t.tensor_content and t.dtype in (1, 2):  # DT_FLOAT, DT_DOUBLE
            import struct

            fmt = "<f" if t.dtype == 1 else "<d"
            return float(struct.unpack_from(fmt, t.tensor_content)[0])
    return None


def _hparams(value: Any) -> dict[str, Any]:
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData

    data = HParamsPluginData()
    data.ParseFromString(value.metadata.plugin_data.content)
    if not data.HasField("session_start_info"):
        return {}
    out: dict[str, Any] = {}
    for name, v in data.session_start_info.hparams.items():
        kind = v.WhichOneof("kind")
        if kind == "number_value":
            n = v.number_value
            out[name] = int(n) if n.is_integer() else n
        elif kind == "string_value":
            out[name] = v.string_value
        elif kind == "bool_value":
            out[name] = v.bool_value
    return out


def read_run(folder: Path, files: list[Path], logdir: Path, skipped: list[str]) -> ImportedRun:
    metrics: dict[str, list[tuple[int, float, float]]] = {}
    params: dict[str, Any] = {}
    first = last = None
    for path in files:
        try:
            for event in events(path):
                wall = event.wall_time
                if first is None or wall < first:
                    first = wall
                if last is None or wall > last:
                    last = wall
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    plugin = value.metadata.plugin_data.plugin_name
                    if plugin == "hparams":
                        params.update(_hparams(value))
                        continue
                    if plugin not in ("", "scalars"):
                        continue
                    x = _scalar(value)
                    if x is not None:
                        metrics.setdefault(value.tag, []).append((event.step, x, wall))
        except CorruptEventFile as exc:
            skipped.append(str(exc))
            warnings.warn(
                f"nbtrack: skipped the damaged event file {path} ({exc}); "
                "the events read before the damage and the other files are imported",
                RuntimeWarning,
                stacklevel=2,
            )
    rel = folder.relative_to(logdir).as_posix()
    name = rel if rel != "." else logdir.name
    return ImportedRun(
        source=f"tensorboard:{folder.resolve()}",
        experiment=logdir.resolve().name,
        stem=name.replace("/", "-"),
        status="finished",
        start_time=first or files[0].stat().st_mtime,
        end_time=last,
        params=params,
        tags=[f"tensorboard.run={name}"],
        metrics=metrics,
    )


def read_runs(logdir: Path, skipped: list[str]) -> Iterator[ImportedRun]:
    runs = {
        folder: read_run(folder, files, logdir, skipped)
        for folder, files in run_dirs(logdir).items()
    }
    for folder in [f for f in runs if f.parent in runs and runs[f].params]:
        fold_hparams(runs[folder.parent], runs.pop(folder))
    yield from runs.values()


def fold_hparams(run: ImportedRun, hparams_run: ImportedRun) -> None:
    """`SummaryWriter.add_hparams` (tensorboardX, PyTorch) writes the hparams and
    their metrics into a subfolder of the run (named by a timestamp by default):
    they belong to the run, not to a run of their own. Pure."""
    run.params.update(hparams_run.params)
    for key, points in hparams_run.metrics.items():
        run.metrics.setdefault(key, []).extend(points)


def import_tensorboard(store: Store, logdir: str | Path) -> ImportReport:
    """Import every run under `logdir`. Idempotent: keyed by the run folder's path."""
    root = Path(logdir)
    if not root.is_dir():
        raise TensorboardSourceError(f"no TensorBoard log folder at {root}")
    if not run_dirs(root):
        raise TensorboardSourceError(
            f"{root} holds no TensorBoard event files (*tfevents*); "
            "point at the folder you give `tensorboard --logdir`"
        )
    writer = RunWriter(store, "tensorboard")
    for run in read_runs(root, writer.report.skipped):
        writer.add(run)
    writer.flush()
    return writer.report
