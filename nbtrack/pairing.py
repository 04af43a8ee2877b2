"""`%nbtrack pair`: keep a py:percent script beside the notebook, through jupytext."""

from __future__ import annotations

from pathlib import Path

from .errors import NbtrackError

FORMATS = "ipynb,py:percent"


def pair_notebook(notebook: Path) -> Path:
    """Set jupytext pairing (`ipynb,py:percent`) in the notebook's metadata and
    write the paired script; return the script's path. JupyterLab with jupytext
    keeps the script in step on every save from then on."""
    from jupytext.cli import jupytext

    notebook = Path(notebook)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise NbtrackError(f"cannot pair {notebook}: it is not a saved .ipynb notebook")
    try:
        status = jupytext(["--quiet", "--set-formats", FORMATS, str(notebook)])
    except (OSError, ValueError, SystemExit) as exc:  # jupytext reports bad input with these
        raise NbtrackError(f"jupytext could not pair {notebook}: {exc}") from exc
    script = notebook.with_suffix(".py")
    if status or not script.is_file():
        raise NbtrackError(f"jupytext could not pair {notebook} (exit status {status})")
    return script
