"""`nbtrack sweep NOTEBOOK -p lr 0.1 0.01 -p layers 1 2 [--parallel N]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parsers(sub: Any) -> None:
    sweep = sub.add_parser(
        "sweep",
        help="run a notebook once per parameter combination (papermill), as one sweep",
        description="Run NOTEBOOK once per combination of the -p values through papermill. "
        "The notebook needs a cell tagged 'parameters'; each execution's tracked cells "
        "become runs grouped under one sweep id (nbtrack runs --sweep ID). A failing "
        "combination is recorded as failed and the others still run. Exits 1 if any "
        "combination failed.",
    )
    sweep.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb to run")
    sweep.add_argument(
        "-p",
        "--param",
        nargs="+",
        action="append",
        required=True,
        metavar=("NAME", "VALUE"),
        help="a parameter and its values, e.g. -p lr 0.1 0.01 (repeat for more; "
        "values parse as Python literals: 3, 0.1, true, None, '[64, 32]', else text)",
    )
    sweep.add_argument(
        "--parallel", type=int, default=1, metavar="N", help="run N combinations at a time"
    )
    sweep.add_argument("-k", "--kernel", help="kernel name (default: the notebook's)")
    sweep.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="fail a cell that runs longer than this"
    )
    sweep.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where the executed notebooks go (default: .nbtrack/sweeps/<sweep id>/)",
    )
    sweep.add_argument("--id", dest="sweep_id", help="the sweep's id (default: a new one)")


def grid_from_args(pairs: list[list[str]]) -> dict[str, list[Any]]:
    """{name: values} from `-p NAME V1 V2 ...` groups."""
    from .sweeps.grid import SweepError, parse_value

    grid: dict[str, list[Any]] = {}
    for pair in pairs:
        name, values = pair[0], pair[1:]
        if not values:
            raise SweepError(f"-p {name} needs at least one value, e.g. -p {name} 0.1 0.01")
        if name in grid:
            raise SweepError(f"-p {name} is given twice: list all its values after one -p")
        grid[name] = [parse_value(v) for v in values]
    return grid


def run_sweep(args: argparse.Namespace) -> int:
    from .sweeps import Sweep, Trial, sweep

    grid = grid_from_args(args.param)
    done = 0

    def start(s: Sweep) -> None:
        n = len(s.trials)
        print(
            f"sweep {s.id}: {n} combination{'s' if n != 1 else ''} of {', '.join(grid)} "
            f"over {s.notebook.name}, {min(args.parallel, n)} at a time",
            flush=True,
        )

    def report(trial: Trial, s: Sweep) -> None:
        nonlocal done
        done += 1
        print(f"[{done}/{len(s.trials)}] {trial.line()}", flush=True)

    result = sweep(
        args.notebook,
        grid,
        parallel=args.parallel,
        kernel_name=args.kernel,
        timeout=args.timeout,
        output_dir=args.output_dir,
        sweep_id=args.sweep_id,
        store=args.store,
        on_start=start,
        on_trial=report,
    )
    failed = len(result.failed)
    print(
        f"sweep {result.id}: {len(result.trials) - failed} finished, {failed} failed; "
        f"executed notebooks in {result.output_dir}\n"
        f"see them with: nbtrack runs --sweep {result.id}"
    )
    if failed:
        print(
            f"nbtrack: {failed} of {len(result.trials)} combinations failed (their runs say why: "
            "nbtrack show REF)",
            file=sys.stderr,
        )
        return 1
    return 0


COMMANDS = {"sweep": run_sweep}
