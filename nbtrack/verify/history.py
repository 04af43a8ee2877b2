"""A run's recorded history read back from its snapshot (``replay.json``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import NbtrackError


class ReplayRecordError(NbtrackError, ValueError):
    """The snapshot holds no usable history to replay."""


@dataclass
class Recorded:
    #: (execution count, source as typed) in execution order; the last is the tracked cell.
    cells: list[tuple[int, str]]
    #: capture.cell_errors.current() at the run's start (None: not watched).
    cell_log: dict[str, Any] | None = None
    rng: dict[str, Any] = field(default_factory=dict)

    def guard(self, count: int) -> str | None:
        from ..versioning.history_script import guard_status

        return guard_status(count, self.cell_log)


_HEADER = re.compile(r"^# %% In \[(\d+)\]\n", re.M)


def read_recorded(files: dict[str, bytes]) -> Recorded:
    """From a snapshot's files; snapshots older than replay.json fall back to
    history.py (plain cells only; nothing is known about errors or RNG)."""
    raw = files.get("replay.json")
    if raw is not None:
        data = json.loads(raw.decode("utf-8", "surrogateescape"))
        if data.get("format", 1) > 1:
            raise ReplayRecordError(
                "this run's replay.json is newer than this nbtrack: upgrade nbtrack to verify it"
            )
        cells = [(int(c["count"]), str(c["source"])) for c in data.get("history", [])]
        return Recorded(cells, data.get("cells"), data.get("rng") or {})
    script = files.get("history.py", b"").decode("utf-8", "surrogateescape")
    parts = _HEADER.split(script)
    cells = [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return Recorded(cells)
