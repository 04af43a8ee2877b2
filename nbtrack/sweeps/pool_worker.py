"""A long-lived sweep worker: `python -m nbtrack.sweeps.pool_worker`.

Reads one trial task a line (JSON) on stdin, runs it (sweeps/trials.py) and
answers one outcome a line on its own copy of stdout; whatever the trial prints
goes to stderr. Kernels are kept between trials; stdin closed: they are shut
down and the worker exits.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # a trial's prints must not reach the answers
    sys.stdout = sys.stderr
    from .trials import notebook_runner, run_task

    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                outcome = run_task(json.loads(line))
            except Exception as exc:  # noqa: BLE001 - reported as the trial's failure
                outcome = {
                    "ok": False,
                    "error": f"{type(exc).__name__}: {exc}",
                    "cell": None,
                    "detail": "",
                }
            answers.write(json.dumps(outcome) + "\n")
            answers.flush()
    finally:
        notebook_runner().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
