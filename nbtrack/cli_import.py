"""`nbtrack import-mlflow | import-tensorboard | export-mlflow`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parsers(sub: Any) -> None:
    mlf = sub.add_parser(
        "import-mlflow",
        help="import MLflow experiments and runs (again: only what changed)",
        description="Import MLflow runs: params, tags, every point of every metric, "
        "status and times, source and git commit. Idempotent: a run imported before is "
        "refreshed and gets only the points it gained.",
    )
    mlf.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="the MLflow store: an mlruns folder, sqlite:///mlflow.db, http://host:5000 "
        "(default: MLFLOW_TRACKING_URI, else ./mlruns)",
    )
    mlf.add_argument("--experiment", metavar="NAME", help="only this experiment")
    mlf.add_argument(
        "--artifacts",
        action="store_true",
        help="also store each run's artifact files as artifacts made by the imported run",
    )

    tb = sub.add_parser(
        "import-tensorboard",
        help="import TensorBoard logs: each folder of event files is a run",
        description="Import TensorBoard scalars (every point, with steps and wall times) "
        "and hparams. Idempotent, keyed by the run folder. Damaged event files are "
        "skipped with a warning.",
    )
    tb.add_argument("logdir", metavar="LOGDIR")

    exp = sub.add_parser(
        "export-mlflow",
        help="write nbtrack runs into an MLflow store",
        description="Export runs to MLflow: params, tags, metrics with steps and "
        "timestamps, status and times. Each run becomes one MLflow run in an "
        "experiment of the same name; exporting again creates nothing new.",
    )
    exp.add_argument("--tracking-uri", metavar="URI", required=True)
    exp.add_argument("refs", nargs="*", metavar="REF", help="runs to export")
    exp.add_argument("--all", action="store_true", help="export every run")


def _store(args: argparse.Namespace) -> Any:
    from . import query

    return query.store_for(args.store)


def _import_mlflow(args: argparse.Namespace) -> int:
    from .importers.mlflow_import import import_mlflow

    ctx = None
    if args.artifacts:
        from .artifacts.context import context_for
        from .context import current_project

        ctx = context_for(current_project(args.store))
    report = import_mlflow(
        _store(args), args.tracking_uri, args.experiment, artifacts=args.artifacts,
        artifact_context=ctx,
    )  # fmt: skip
    print(report.line("MLflow"))
    return 0


def _import_tensorboard(args: argparse.Namespace) -> int:
    from .importers.tensorboard_import import import_tensorboard

    report = import_tensorboard(_store(args), args.logdir)
    for line in report.skipped:
        print(f"nbtrack: warning: skipped {line}", file=sys.stderr)
    print(report.line("TensorBoard"))
    return 0


def _export_mlflow(args: argparse.Namespace) -> int:
    from .errors import NbtrackError
    from .importers.mlflow_export import export_mlflow

    if bool(args.refs) == bool(args.all):
        raise NbtrackError("name the runs to export (REF ...) or pass --all, not both")
    created, skipped = export_mlflow(_store(args), args.tracking_uri, args.refs or None)
    print(f"MLflow: {created} runs exported, {skipped} exported before")
    return 0


COMMANDS = {
    "import-mlflow": _import_mlflow,
    "import-tensorboard": _import_tensorboard,
    "export-mlflow": _export_mlflow,
}
