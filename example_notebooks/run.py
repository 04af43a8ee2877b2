"""Execute an example notebook headless (nbclient) and print the run table.

    python example_notebooks/run.py                    # quickstart.ipynb
    python example_notebooks/run.py quickstart.ipynb

Runs go to the project's default store (.nbtrack/nbtrack.db at the git top
level) unless NBTRACK_STORE says otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = (HERE / (argv[0] if argv else "quickstart.ipynb")).resolve()
    nb = nbformat.read(path, as_version=4)
    # Tell the kernel which notebook it runs, as Jupyter's server does.
    os.environ["JPY_SESSION_NAME"] = str(path)
    print(f"executing {path.name} ...", flush=True)
    try:
        NotebookClient(
            nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    except CellExecutionError as exc:
        print(f"{path.name} failed:\n{exc}", file=sys.stderr)
        return 1
    print(f"done: {len(nb.cells)} cells\n", flush=True)
    return subprocess.call([sys.executable, "-m", "nbtrack", "runs"], cwd=path.parent)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
