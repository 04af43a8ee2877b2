"""One trial of a sweep: `python -m nbtrack.sweeps.worker SPEC_JSON`.

Runs the notebook once through papermill with this trial's parameters and writes
what happened to the spec's `result` file as JSON: {"ok": true} or {"ok": false,
"error": one line, "cell": the failing cell's index in the executed copy or null,
"line": its first line, "detail": the traceback}.
A process of its own per trial: its kernel inherits this trial's environment
(NBTRACK_SWEEP, JPY_SESSION_NAME), and a trial that crashes takes nothing with it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_trial(spec: dict[str, Any]) -> dict[str, Any]:
    from ..nbformat_import import import_nbformat

    import_nbformat()  # before papermill, which imports it
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            spec["input"],
            spec["output"],
            parameters=spec["parameters"],
            kernel_name=spec.get("kernel_name"),
            language=spec.get("language"),
            cwd=spec["cwd"],
            progress_bar=False,
            execution_timeout=spec.get("timeout"),
            start_timeout=120,
        )
    except PapermillExecutionError as exc:
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        return {
            "ok": False,
            "error": f"{exc.ename}: {exc.evalue}",
            "cell": exc.cell_index,
            "line": first_line[:60],
            "detail": _ANSI.sub("", "\n".join(exc.traceback)),
        }
    except Exception as exc:  # a dead kernel, a timeout, an unreadable notebook, ...
        text = str(exc).strip()
        first = text.splitlines()[0] if text else ""
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {first}",
            "cell": None,
            "detail": text,
        }
    return {"ok": True}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = run_trial(spec)
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
