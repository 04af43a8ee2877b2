"""The kernel's execution history as a runnable py:percent script (``history.py``).

Cells are written in the order they ran, each under a ``# %% In [N]`` header,
so the script opens as a notebook too. IPython syntax (``%magic``, ``!cmd``,
``%%cell magic``) is translated to the ``get_ipython()`` calls IPython itself
runs; a ``%%track`` cell is unwrapped to its body, so the tracked code reads as
plain Python.

A cell that raised in the original kernel (the kernel went on; a script would
stop) is replayed *guarded*: its code runs through `nbtrack.verify.guard.cell`,
which catches the error, so the replay goes on as the kernel did, and the
script's last line reports which cells raised then and which raise now. So are
cells that ran before `%load_ext nbtrack` (whether they raised is unknown).
"""

from __future__ import annotations

import ast
import re
from typing import Any

#: Cell magics whose body is the user's own code (nbtrack's ``%%track``).
UNWRAPPED_CELL_MAGICS = ("track",)

_HEADER = """\
# nbtrack: the kernel's execution history up to this run, in execution order.
# IPython syntax is translated to get_ipython() calls: if any appear below,
# run this file with `ipython history.py`; otherwise `python history.py` works.
# Replaying records no run: nbtrack.log() calls below do nothing.
import nbtrack.tracking

nbtrack.tracking.replaying()
"""

_GUARD_IMPORT = """\
# Cells that raised in the original kernel run through this guard: the replay
# goes on past them, as the kernel did, and the last line reports them.
import nbtrack.verify.guard as _nbtrack_guard
"""

_GUARD_REPORT = """
# %% nbtrack: which cells raised when the run was recorded, and which raise now
_nbtrack_guard.report()
"""

# Input that IPython's transformer could change: escape characters anywhere
# (%, !, ?), line-start escapes (, ; /), pasted prompts, leading blank lines
# or indentation. Anything else is returned unchanged, so we skip the (slow)
# tokenizer for it.
_MAY_TRANSFORM = re.compile(r"[%!?]|^[ \t]*(?:[,;/]|>>>|\.\.\.|In \[)|\A\s*\n|\A[ \t]", re.M)
_CELL_MAGIC_CALL = re.compile(r"\Aget_ipython\(\)\.run_cell_magic\(")

_cache: dict[str, str] = {}
_CACHE_SIZE = 10_000
_transformer: Any = None


def _transform(source: str) -> str:
    """IPython input -> Python source (cached: history repeats from run to run)."""
    if not _MAY_TRANSFORM.search(source):
        return source if source.endswith("\n") or not source else source + "\n"
    cached = _cache.get(source)
    if cached is not None:
        return cached
    global _transformer
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    result = _transformer.transform_cell(source)
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[source] = result
    return result


def _unwrap_cell_magic(source: str) -> tuple[str, str] | None:
    """``(magic line, body)`` for a cell run under an unwrapped cell magic, else None.

    Accepts both the raw form (``%%track --name x\\n...``) and the form IPython
    stores in ``In`` (``get_ipython().run_cell_magic('track', '--name x', '...')``).
    """
    stripped = source.lstrip("\n")
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        name = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        return (first, body) if name in UNWRAPPED_CELL_MAGICS else None
    if not _CELL_MAGIC_CALL.match(stripped):
        return None
    try:
        call = ast.parse(stripped).body
    except SyntaxError:
        return None
    if len(call) != 1 or not isinstance(call[0], ast.Expr):
        return None
    node = call[0].value
    if not (isinstance(node, ast.Call) and len(node.args) == 3 and not node.keywords):
        return None
    try:
        name, line, body = (ast.literal_eval(a) for a in node.args)
    except ValueError:
        return None
    if name not in UNWRAPPED_CELL_MAGICS or not isinstance(line, str):
        return None
    return f"%%{name} {line}".rstrip(), body


def _cell_code(source: str) -> str:
    unwrapped = _unwrap_cell_magic(source)
    if unwrapped is None:
        return _transform(source)
    magic_line, body = unwrapped
    return f"# ran as: {magic_line}\n" + _transform(body)


def guard_status(count: int, cell_log: dict[str, Any] | None) -> str | None:
    """Why the cell that ran as ``In [count]`` is replayed guarded, or None (it
    ran without error). ``cell_log`` is `capture.cell_errors.current()`; without
    one nothing is guarded (the history was not watched)."""
    if not cell_log:
        return None
    raised = cell_log.get("raised", {}).get(str(count))
    if raised is not None:
        return f"raised {raised}"
    known_from = cell_log.get("known_from")
    if isinstance(known_from, int) and count < known_from:
        return "unknown"
    return None


def _guarded_code(count: int, source: str, status: str) -> str:
    unwrapped = _unwrap_cell_magic(source)
    body = _transform(unwrapped[1] if unwrapped else source)
    then = (
        "ran before %load_ext nbtrack: whether it raised is unknown"
        if status == "unknown"
        else f"in the original kernel it {status}"
    )
    note = f"# ran as: {unwrapped[0]}\n" if unwrapped else ""
    return f"{note}# guarded: {then}\n_nbtrack_guard.cell({count}, {body!r}, then={status!r})\n"


def history_script(
    history: list[str],
    first_execution_count: int = 1,
    cell_log: dict[str, Any] | None = None,
    counts: list[int] | None = None,
) -> str:
    """``history[i]`` ran as ``In [first_execution_count + i]`` (or ``In [counts[i]]``
    for a selection of cells, e.g. a dependency slice); return the script.

    ``cell_log`` (`capture.cell_errors.current()`) says which cells raised: those
    are replayed guarded and reported at the end."""
    if counts is None:
        counts = [first_execution_count + i for i in range(len(history))]
    statuses = [guard_status(count, cell_log) for count in counts]
    guarded = any(status is not None for status in statuses)
    parts = [_HEADER + _GUARD_IMPORT if guarded else _HEADER]
    for count, source, status in zip(counts, history, statuses, strict=True):
        code = _cell_code(source) if status is None else _guarded_code(count, source, status)
        parts.append(f"\n# %% In [{count}]\n{code}")
    if guarded:
        parts.append(_GUARD_REPORT)
    return "".join(parts)
