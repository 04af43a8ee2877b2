"""The environment of a benchmark process that imports nbtrack from this checkout
with its bytecode cached, as an installation has it (pip compiles every module it
installs; a peer installed in a venv has its bytecode too).

Without it a machine that sets PYTHONDONTWRITEBYTECODE (this one and its CI do)
compiles every nbtrack module in every fresh process, and a cold-start figure
measures the compiler. The cache lives outside the source tree.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

PYCACHE = Path(tempfile.gettempdir()) / "nbtrack-bench-pycache"


def cached_bytecode(env: dict[str, str]) -> dict[str, str]:
    """`env` with bytecode written to (and read from) PYCACHE."""
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return out
