"""The environment of a benchmark process that imports nbtrack from this checkout
with its bytecode cached, as an installation has it (pip compiles every module it
installs; a peer installed in a venv has its bytecode too).

Without it a machine that sets PYTHONDONTWRITEBYTECODE (this one and its CI do)
compiles every nbtrack module in every fresh process, and a cold-start figure
measures the compiler. The bytecode goes where Python puts it by default, in
`__pycache__` beside each source file (git-ignored); installed packages keep
using the bytecode pip wrote. (A PYTHONPYCACHEPREFIX would not do: Python then
reads no `__pycache__` at all, so every module, pandas and the standard library
included, is compiled again on its first import there.)
"""

from __future__ import annotations


def cached_bytecode(env: dict[str, str]) -> dict[str, str]:
    """`env` with bytecode written and read as by default: PYTHONDONTWRITEBYTECODE
    empty (Python treats an empty value as unset; it overrides one inherited)."""
    out = {k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"}
    out["PYTHONDONTWRITEBYTECODE"] = ""
    return out
