"""Replay cells that raised in the original kernel, and say what raised then and now.

A replay script (``history.py``) calls `cell` for each such cell: the code runs
in the script's namespace, an error is caught (the kernel went on after it, so
the replay does too), and `report` prints, at the end, each guarded cell's
outcome then and now on stderr.
"""

from __future__ import annotations

import sys
from typing import Any

from nbtrack.capture.cell_errors import describe

#: (execution count, how it ended then, how it ended now) per guarded cell.
outcomes: list[tuple[int, str, str]] = []


def cell(count: int, source: str, then: str = "unknown", namespace: Any = None) -> None:
    """Run `source` (Python, IPython syntax already translated) as ``In [count]``
    in the caller's global namespace (or `namespace`); catch what it raises."""
    ns = namespace if namespace is not None else sys._getframe(1).f_globals
    try:
        code = compile(source, f"<In [{count}]>", "exec")
        exec(code, ns)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the point is to go on, and say so
        outcomes.append((count, then, f"raised {describe(exc)}"))
        return
    outcomes.append((count, then, "ran without error"))


def summary() -> list[str]:
    lines = []
    for count, then, now in outcomes:
        before = "status unknown (ran before %load_ext nbtrack)" if then == "unknown" else then
        lines.append(f"In [{count}]: then {before}; now {now}")
    return lines


def report() -> None:
    if outcomes:
        print("nbtrack replay: guarded cells\n  " + "\n  ".join(summary()), file=sys.stderr)
