"""Execute an example notebook headless (nbclient) and print the run table.

    python example_notebooks/run.py                    # quickstart.ipynb
    python example_notebooks/run.py quickstart.ipynb
    python example_notebooks/run.py --all              # every notebook here, sorted by name

Cells run from top to bottom, unless the notebook's metadata names an order
(`"nbtrack_example": {"order": [cell ids]}`, as out_of_order.ipynb does): then
exactly those cells run, in that order, as a person following its text would.

Runs go to the project's default store (.nbtrack/nbtrack.db at the git top
level) unless NBTRACK_STORE says otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    if argv == ["--all"]:
        paths = sorted(HERE.glob("*.ipynb"))
    else:
        paths = [(HERE / (argv[0] if argv else "quickstart.ipynb")).resolve()]
    failed = [path.name for path in paths if not execute(path)]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return subprocess.call([sys.executable, "-m", "nbtrack", "runs"], cwd=paths[-1].parent)


def execute(path: Path) -> bool:
    """Run the notebook at `path` in a fresh kernel; False (and the error printed)
    when a cell fails."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    # Tell the kernel which notebook it runs, as Jupyter's server does.
    os.environ["JPY_SESSION_NAME"] = str(path)
    print(f"executing {path.name} ...", flush=True)
    client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
    try:
        order = execution_order(nb)
        if order is None:
            client.execute()
            ran = len(nb.cells)
        else:
            with client.setup_kernel():
                for index in order:
                    client.execute_cell(nb.cells[index], index)
            ran = len(order)
    except (CellExecutionError, ValueError) as exc:
        print(f"{path.name} failed:\n{exc}", file=sys.stderr)
        return False
    how = "" if order is None else " in the notebook's order"
    print(f"done: {ran} cells{how}\n", flush=True)
    return True


def execution_order(nb: Any) -> list[int] | None:
    """Indices of the cells to run, from `nbtrack_example.order` in the notebook's
    metadata (a list of cell ids, repeats allowed); None: top to bottom."""
    order = nb.metadata.get("nbtrack_example", {}).get("order")
    if order is None:
        return None
    index = {cell.get("id"): i for i, cell in enumerate(nb.cells)}
    unknown = [cell_id for cell_id in order if cell_id not in index]
    if unknown:
        raise ValueError(f"nbtrack_example.order names cells that do not exist: {unknown}")
    return [index[cell_id] for cell_id in order]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
