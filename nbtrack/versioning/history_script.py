"""The kernel's execution history as a runnable py:percent script (``history.py``).

Cells are written in the order they ran, each under a ``# %% In [N]`` header,
so the script opens as a notebook too. IPython syntax (``%magic``, ``!cmd``,
``%%cell magic``) is translated to the ``get_ipython()`` calls IPython itself
runs; a ``%%track`` cell is unwrapped to its body, so the tracked code reads as
plain Python.
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


def history_script(history: list[str], first_execution_count: int = 1) -> str:
    """``history[i]`` ran as ``In [first_execution_count + i]``; return the script."""
    parts = [_HEADER]
    for i, source in enumerate(history):
        parts.append(f"\n# %% In [{first_execution_count + i}]\n{_cell_code(source)}")
    return "".join(parts)
