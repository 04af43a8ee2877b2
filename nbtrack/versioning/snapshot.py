"""The files of one run's snapshot: what code was about to run when the run started.

`build_snapshot` is called at cell start, so it avoids work: the notebook is
parsed once without schema validation, kept byte-for-byte when no output needs
dropping, and history translation is cached between runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbtrack.versioning.history_script import history_script
from nbtrack.versioning.nbio import parse_notebook

NOTEBOOK = "notebook.ipynb"
SCRIPT = "notebook.py"
CELL = "cell.py"
HISTORY = "history.py"
RUN = "run.json"
#: The history as data (sources, execution counts), which cells raised, RNG states.
REPLAY = "replay.json"

#: Outputs whose JSON is larger than this are replaced by a placeholder.
MAX_OUTPUT_BYTES = 1024 * 1024


def preload() -> None:
    """Import the heavy modules snapshots need (nbformat, jupytext, IPython's
    input transformer), e.g. from a background thread at ``%load_ext`` time, so
    the first tracked cell does not pay for them (nbformat alone can take ~1 s)."""
    from ..nbformat_import import import_nbformat

    import_nbformat()  # first: jupytext imports it too
    import jupytext  # noqa: F401
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: F401


def _size(output: Any) -> int:
    text = json.dumps(output, ensure_ascii=False)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _placeholder(output: Any, size: int, limit: int) -> dict[str, Any]:
    from nbformat.v4 import new_output

    kind = output.get("output_type", "output")
    mimes = sorted(output.get("data", {})) or ([output["name"]] if "name" in output else [])
    what = f"{kind} ({', '.join(mimes)})" if mimes else kind
    return new_output(
        "display_data",
        data={
            "text/plain": f"[nbtrack] {what} of {_human(size)} dropped from this snapshot "
            f"(outputs over {_human(limit)} are not kept)"
        },
        metadata={"nbtrack": {"dropped": {"output_type": kind, "mime": mimes, "bytes": size}}},
    )


def _drop_large_outputs(nb: Any, limit: int) -> list[str]:
    """Replace, in place, every output over ``limit`` bytes; describe what was dropped."""
    dropped = []
    for index, cell in enumerate(nb.get("cells", [])):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        for j, output in enumerate(outputs):
            size = _size(output)
            if size > limit:
                outputs[j] = _placeholder(output, size, limit)
                dropped.append(f"cell {index}: {output.get('output_type')} of {size} bytes")
    return dropped


def _script(nb: Any) -> str:
    """py:percent text; outputs are irrelevant to it, so jupytext gets a copy without them."""
    import jupytext
    from nbformat import NotebookNode

    light = NotebookNode(nb)
    light.cells = [
        NotebookNode({**cell, "outputs": []}) if "outputs" in cell else cell for cell in nb.cells
    ]
    return jupytext.writes(light, fmt="py:percent")


def read_notebook_bytes(notebook_path: Path | None) -> bytes | OSError | None:
    """The notebook file as saved right now (cheap: call it at cell start), the
    error that prevented reading it, or None without a path."""
    if notebook_path is None:
        return None
    try:
        return Path(notebook_path).read_bytes()
    except OSError as exc:
        return exc


def _notebook_files(
    notebook_path: Path | None,
    notes: list[str],
    max_output_bytes: int,
    raw: bytes | OSError | None = None,
) -> dict[str, bytes]:
    if notebook_path is None:
        notes.append("no notebook: no notebook path was given (a script, or an unknown notebook)")
        return {}
    if raw is None:
        raw = read_notebook_bytes(notebook_path)
    if isinstance(raw, OSError):
        notes.append(f"notebook not saved in the snapshot: cannot read it ({raw})")
        return {}
    assert raw is not None
    try:
        nb = parse_notebook(raw)
    except Exception as exc:  # any unreadable file (bad JSON, schema, encoding) is only noted
        notes.append(f"notebook not saved in the snapshot: cannot parse it ({exc})")
        return {}
    dropped = _drop_large_outputs(nb, max_output_bytes)
    files = {NOTEBOOK: raw}
    if dropped:
        notes.extend(f"output dropped from notebook.ipynb: {d}" for d in dropped)
        files[NOTEBOOK] = (
            json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        ).encode()
    try:
        files[SCRIPT] = _script(nb).encode()
    except Exception as exc:  # jupytext is third-party: a failure must not cost the run
        notes.append(f"notebook.py not written: jupytext failed ({type(exc).__name__}: {exc})")
    return files


def build_snapshot(
    notebook_path: Path | None,
    cell_source: str,
    history: list[str],
    run_info: dict,
    *,
    first_execution_count: int = 1,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
    notebook_bytes: bytes | OSError | None = None,
    replay: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """The files of one snapshot, keyed by their path in the snapshot tree.

    - ``notebook.ipynb``: the notebook as saved (outputs over ``max_output_bytes``
      replaced by a placeholder) and ``notebook.py``, its py:percent script;
      both absent when there is no readable notebook (``run.json`` says why);
    - ``cell.py``: the tracked cell's source;
    - ``history.py``: the kernel's inputs in execution order (``history[i]`` ran as
      ``In [first_execution_count + i]``, so pass IPython's ``In[1:]``);
    - ``replay.json``: the history as data and `replay` (`capture.replay_record`:
      which cells raised, RNG states), for `nbtrack verify`;
    - ``run.json``: ``run_info`` plus ``notebook_path`` (and ``snapshot_notes``
      when something was left out), keys sorted.

    ``notebook_bytes`` (from `read_notebook_bytes` at cell start) is the notebook
    as it was when the run began; without it the file is read now.
    """
    notes: list[str] = []
    files = _notebook_files(notebook_path, notes, max_output_bytes, notebook_bytes)
    files[CELL] = cell_source.encode("utf-8", "surrogateescape")
    from nbtrack.capture.replay_record import replay_json

    cell_log = (replay or {}).get("cells")
    files[HISTORY] = history_script(history, first_execution_count, cell_log).encode(
        "utf-8", "surrogateescape"
    )
    files[REPLAY] = replay_json(history, first_execution_count, replay)
    info = dict(run_info)
    info["notebook_path"] = None if notebook_path is None else str(notebook_path)
    if notes:
        info["snapshot_notes"] = notes
    files[RUN] = (
        json.dumps(info, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"
    ).encode()
    return files
