"""Stale inputs, caught when a tracked cell starts.

The tracked cell uses names; each was last defined by some earlier execution in
the kernel's history. If that execution's notebook cell has since been edited
and not re-run, or deleted, the saved notebook no longer produces the state the
run starts from: the run is marked `stale inputs` with the names and cells.
Pure: the history, the cell ids the kernel saw, and the saved notebook's cells.
"""

from __future__ import annotations

import json
import sys
from bisect import bisect_left
from pathlib import Path
from typing import Any

from ..errors import NbtrackError
from .slicing import CellNames, _python, analyse, effective

_cache: dict[str, CellNames] = {}


def _names(source: str) -> CellNames:
    info = _cache.get(source)
    if info is None:
        if len(_cache) > 10_000:
            _cache.clear()
        info = _cache[source] = analyse(_python(source))
    return info


def _same_form(source: str) -> str:
    """Saved cells hold what was typed (`%%track ...`), IPython's `In` what ran
    (`get_ipython().run_cell_magic(...)`): compare both translated."""
    from ..versioning.history_script import _transform

    return _transform(source).strip()


def notebook_cells(raw: bytes) -> list[tuple[str | None, str]]:
    """(cell id, source) of the code cells of a saved .ipynb."""
    nb = json.loads(raw)
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        cells.append((cell.get("id"), "".join(source) if isinstance(source, list) else source))
    return cells


def find_stale(
    history: list[tuple[int, str]],
    tracked_source: str,
    cell_ids: dict[int, str],
    saved: list[tuple[str | None, str]],
) -> dict[str, Any] | None:
    """{"names": {name: "In [N] (cell edited, not re-run)"}, "summary": str}, or None.

    `history` is the executions before the tracked cell, in order."""
    uses = _names(tracked_source).uses
    if not uses or not history:
        return None
    by_id = {cid: src for cid, src in saved if cid}
    infos = effective([_names(source) for _, source in history])
    where: dict[str, list[int]] = {}
    for index, info in enumerate(infos):
        for name in info.defs:
            where.setdefault(name, []).append(index)
    saved_forms: set[str] | None = None

    def defining(name: str, before: int) -> int | None:
        indices = where.get(name)
        if not indices:
            return None
        at = bisect_left(indices, before)
        return indices[at - 1] if at else None

    def same(a: str, b: str) -> bool:
        return a.strip() == b.strip() or _same_form(a) == _same_form(b)

    def why(index: int) -> str | None:
        nonlocal saved_forms
        count, source = history[index]
        cell_id = cell_ids.get(count)
        if cell_id is not None:
            if cell_id not in by_id:
                return f"In [{count}] (cell deleted)"
            if not same(by_id[cell_id], source):
                return f"In [{count}] (cell edited, not re-run)"
            return None
        if saved_forms is None:
            saved_forms = {src.strip() for _, src in saved} | {_same_form(s) for _, s in saved}
        if source.strip() not in saved_forms and _same_form(source) not in saved_forms:
            return f"In [{count}] (no saved cell has this code: edited or deleted)"
        return None

    # Walk the definitions the tracked cell's inputs came from, and theirs in
    # turn (a cell run as saved can still have read a stale name).
    found: dict[str, str] = {}
    seen: set[int] = set()
    from collections import deque

    work = deque((name, len(history), name) for name in sorted(uses))
    while work:  # breadth first: a name the cell reads itself is reported as itself
        name, before, via = work.popleft()
        index = defining(name, before)
        if index is None or index in seen:
            continue
        seen.add(index)
        reason = why(index)
        if reason is not None:
            found.setdefault(via if via == name else f"{via} <- {name}", reason)
        work += [(used, index, via) for used in sorted(infos[index].uses)]
    if not found:
        return None
    summary = ", ".join(f"{n} from {w}" for n, w in found.items())
    return {"names": found, "summary": summary}


def check_at_start(
    notebook: Path | None, history: list[str], tracked_source: str, first_count: int = 1
) -> dict[str, Any] | None:
    """The check as a tracked cell starts (`history` is IPython's In[1:], the
    tracked cell last). None when there is no saved notebook to compare with."""
    from ..capture.cell_errors import _log

    if notebook is None or len(history) < 2:
        return None
    try:
        saved = notebook_cells(Path(notebook).read_bytes())
    except (OSError, ValueError):
        return None
    prior = [(first_count + i, src) for i, src in enumerate(history[:-1])]
    return find_stale(prior, tracked_source, dict(_log.cell_ids), saved)


def at_start(notebook: Path | None, history: list[str], cell: str) -> dict[str, Any] | None:
    """`check_at_start` for `%%track`: a check that breaks costs the check, not the run."""
    try:
        return check_at_start(notebook, history, cell)
    except Exception as exc:  # noqa: BLE001
        print(f"nbtrack: stale-input check skipped ({exc})", file=sys.stderr)
        return None


def flag(run: Any, stale: dict[str, Any]) -> None:
    """Say so under the cell and in the live chart's status line, and mark the
    run in the store."""
    from ..store.verdicts import save_stale

    run.flags.append("stale inputs: " + ", ".join(stale["names"]))
    print(f"nbtrack: stale inputs: {stale['summary']}", file=sys.stderr)
    try:
        save_stale(run.writer.store, run.id, stale)
    except (NbtrackError, OSError) as exc:
        print(f"nbtrack: could not mark {run.name} stale ({exc})", file=sys.stderr)


def watch(shell: Any) -> None:
    """Parse each cell as it finishes (well under a millisecond), so the check at a
    tracked cell's start only looks up names: its cost does not grow with parsing
    a long history at once."""

    def parse_finished(result: Any) -> None:
        count = getattr(result, "execution_count", None)
        history = shell.user_ns.get("In")
        if isinstance(count, int) and isinstance(history, list) and 0 < count < len(history):
            try:
                _names(history[count])
            except Exception:  # noqa: BLE001 - a warm-up only; the check parses it again
                pass

    shell.events.register("post_run_cell", parse_finished)
