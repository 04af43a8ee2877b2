"""Which cells raised in this kernel, and which notebook cell each execution was.

IPython knows after each cell whether it raised (`post_run_cell`'s result); it
forgets it at once. `%load_ext nbtrack` registers `watch`, so every later cell's
outcome is kept here by execution count, with the notebook cell id the frontend
sent (ipykernel passes it): a run's replay guards the cells that raised then,
and the stale-state check knows which notebook cell each history entry was.
Cells that ran before the hook are "unknown" (`known_from` says where it began).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Error messages are cut to this many characters (a replay script shows them).
MAX_MESSAGE = 200


@dataclass
class CellLog:
    #: The first execution count the hook saw (None: the hook never ran).
    known_from: int | None = None
    #: execution count -> "ExcType: message" for cells that raised.
    raised: dict[int, str] = field(default_factory=dict)
    #: execution count -> notebook cell id (when the frontend sent one).
    cell_ids: dict[int, str] = field(default_factory=dict)


_log = CellLog()
_registered: set[int] = set()


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= MAX_MESSAGE else first[: MAX_MESSAGE - 1] + "…"


def on_post_run_cell(result: Any) -> None:
    count = getattr(result, "execution_count", None)
    if not isinstance(count, int):
        return
    if _log.known_from is None:
        _log.known_from = count
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        _log.raised[count] = describe(error)
    else:
        _log.raised.pop(count, None)
    cell_id = getattr(getattr(result, "info", None), "cell_id", None)
    if isinstance(cell_id, str) and cell_id:
        _log.cell_ids[count] = cell_id


def on_pre_run_cell(info: Any) -> None:
    """Remember the cell id of the cell about to run (the tracked cell's own id
    is needed before its post_run_cell)."""
    shell_count = _current_count()
    cell_id = getattr(info, "cell_id", None)
    if shell_count is not None and isinstance(cell_id, str) and cell_id:
        _log.cell_ids[shell_count] = cell_id


_shell: Any = None


def _current_count() -> int | None:
    count = getattr(_shell, "execution_count", None)
    return count if isinstance(count, int) else None


def watch(shell: Any) -> bool:
    """Register the hooks on `shell` once (from `%load_ext nbtrack`); False when
    they already were."""
    global _shell
    if id(shell) in _registered:
        return False
    _registered.add(id(shell))
    _shell = shell
    reset()  # one kernel, one shell: another shell's counts mean nothing here
    shell.events.register("pre_run_cell", on_pre_run_cell)
    shell.events.register("post_run_cell", on_post_run_cell)
    return True


def current(first_count: int = 1) -> dict[str, Any] | None:
    """What is known so far, JSON-ready (string keys); None when nothing is watched.
    The cell running now (not yet finished) is known too: it has not raised yet."""
    if _log.known_from is None:
        count = _current_count()
        if count is None:
            return None
        known_from = count
    else:
        known_from = _log.known_from
    return {
        "known_from": max(known_from, first_count),
        "raised": {str(k): v for k, v in sorted(_log.raised.items())},
        "cell_ids": {str(k): v for k, v in sorted(_log.cell_ids.items())},
    }


def reset() -> None:
    """Forget everything (tests)."""
    _log.known_from = None
    _log.raised.clear()
    _log.cell_ids.clear()
