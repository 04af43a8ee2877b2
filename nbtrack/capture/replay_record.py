"""What a run's replay needs besides the code: which history cells raised, the
notebook cell each was, and the RNG states at the tracked cell's start.

`record` runs at cell start (cheap: copies); `replay_json` serialises it with
the history in the snapshot thread, as the snapshot's ``replay.json``.
"""

from __future__ import annotations

import json
from typing import Any

from . import cell_errors, fresh_rng, rng

#: replay.json's format; readers refuse a newer one.
FORMAT = 1


def record(first_count: int = 1) -> dict[str, Any]:
    """At a tracked cell's start: the cell log so far and the RNG states (raw).
    Starts `fresh_rng`'s seeding: the caller stops it when the cell ends."""
    states = rng.capture()
    # after capture(), which may load numpy.random: then it is wrapped at once
    states["default_rng"] = fresh_rng.start()
    return {"cells": cell_errors.current(first_count), "rng": states}


def replay_json(
    history: list[str], first_execution_count: int, replay: dict[str, Any] | None
) -> bytes:
    replay = replay or {}
    data: dict[str, Any] = {
        "format": FORMAT,
        "history": [
            {"count": first_execution_count + i, "source": source}
            for i, source in enumerate(history)
        ],
        "cells": replay.get("cells"),
    }
    if replay.get("rng") is not None:
        try:
            data["rng"] = rng.to_json(replay["rng"])
        except Exception as exc:  # noqa: BLE001 - an odd state costs the RNG record only
            data["rng_error"] = f"{type(exc).__name__}: {exc}"
    for key in ("stale",):
        if replay.get(key) is not None:
            data[key] = replay[key]
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape")
