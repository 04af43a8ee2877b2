"""Sweep benchmark: what `nbtrack.sweep` costs per combination, against papermill
run by hand on the same notebook in the same run.

    python benchmarks/bench_sweep.py [--trials 6]
    python benchmarks/bench_sweep.py --quick    # 1 combination, for CI: it runs

The notebook is a parameters cell and one `%%track` cell that logs 100 points:
what is measured is the machinery (a worker process, a kernel, papermill, the
run and its snapshot), not the user's work. Figures:

- papermill alone: `papermill.execute_notebook` once per combination, one after
  another, in this process (what a user scripting papermill gets, no tracking);
- `nbtrack.sweep`, one at a time and two at a time (`parallel=2`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

TRACKED = """%%track --no-plot
for step in range(100):
    nbtrack.log(loss=lr / (step + 1))
"""


def _notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["kernelspec"] = spec
    params = nbformat.v4.new_code_cell("lr = 0.1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("%load_ext nbtrack"), params]
    nb.cells.append(nbformat.v4.new_code_cell(TRACKED))
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6, help="combinations per sweep")
    parser.add_argument("--quick", action="store_true", help="1 combination, for CI")
    args = parser.parse_args()
    if args.quick:
        # Proves every line runs; parallel=2 has nothing to overlap with one.
        args.trials = 1
        print("QUICK run (1 combination, for CI: proves the script runs)")

    import papermill

    import nbtrack

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-sweep-"))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    os.environ.pop("NBTRACK_STORE", None)
    notebook = _notebook(folder)
    lrs = [round(0.1 / (i + 1), 6) for i in range(args.trials)]
    plural = "s" if args.trials != 1 else ""
    print(f"{args.trials} combination{plural} of a notebook whose tracked cell logs 100 points\n")

    os.environ["JPY_SESSION_NAME"] = str(notebook)
    start = time.perf_counter()
    for i, lr in enumerate(lrs):
        papermill.execute_notebook(
            notebook, folder / f"manual-{i}.ipynb", parameters={"lr": lr}, progress_bar=False
        )
    manual = time.perf_counter() - start
    del os.environ["JPY_SESSION_NAME"]
    print(f"papermill alone, one at a time:   {manual / len(lrs):5.2f} s a combination")

    for parallel in (1, 2):
        start = time.perf_counter()
        result = nbtrack.sweep(notebook, {"lr": lrs}, parallel=parallel)
        seconds = time.perf_counter() - start
        assert result.ok, str(result)
        print(
            f"nbtrack.sweep, parallel={parallel}:         {seconds / len(lrs):5.2f} s a "
            f"combination ({seconds:.1f} s in all)"
        )


if __name__ == "__main__":
    main()
