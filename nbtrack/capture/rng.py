"""The random number generators' states at the start of a tracked cell.

Read only where reading has no side effect: `random`'s global state, NumPy's
legacy global state (`np.random.get_state()`; only when NumPy is already
imported), and PyTorch's CPU generator (only when torch is already imported).
Nothing is imported to look. Unseeded `np.random.default_rng()` calls inside
the cell are made replayable by `fresh_rng` (its entropy is recorded here as
`default_rng`). `capture` is cheap (copies, at cell start);
`to_json` turns them into JSON in the snapshot thread; `restore_source` is the
code a replay runs before the tracked cell to put them back.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

#: Generators a replay cannot restore, named in the verdict when present.
NOT_RESTORED_HINT = (
    "unseeded generators other than np.random.default_rng() called inside the cell "
    "(a torch.Generator, a default_rng imported by name before the cell) start from "
    "fresh entropy"
)


def capture() -> dict[str, Any]:
    """Raw states, by library name (copies: safe to serialise later in a thread)."""
    import random

    states: dict[str, Any] = {"random": random.getstate()}
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            states["numpy"] = np.random.get_state()
        except Exception:  # noqa: BLE001 - a broken NumPy costs the state, not the run
            pass
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_rng_state"):
        try:
            states["torch"] = torch.get_rng_state()
        except Exception:  # noqa: BLE001
            pass
    return states


def to_json(states: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "random" in states:
        version, internal, gauss = states["random"]
        out["random"] = {"version": version, "state": list(internal), "gauss": gauss}
    if "numpy" in states:
        name, keys, pos, has_gauss, cached = states["numpy"]
        out["numpy"] = {
            "name": str(name),
            "keys": [int(k) for k in keys],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        }
    if "torch" in states:
        data = bytes(states["torch"].numpy().tobytes())
        out["torch"] = {"bytes": base64.b64encode(data).decode()}
    if "default_rng" in states:  # 128 bits: kept as text
        out["default_rng"] = {"entropy": str(states["default_rng"])}
    return out


def restore(states: dict[str, Any]) -> list[str]:
    """Put JSON states (from `to_json`) back; the names of the libraries restored.
    NumPy and torch are imported only when their state was recorded."""
    restored = []
    if "random" in states:
        import random

        s = states["random"]
        random.setstate((s["version"], tuple(s["state"]), s["gauss"]))
        restored.append("random")
    if "numpy" in states:
        import numpy as np

        s = states["numpy"]
        np.random.set_state(
            (
                s["name"],
                np.array(s["keys"], dtype=np.uint32),
                s["pos"],
                s["has_gauss"],
                s["cached_gaussian"],
            )
        )
        restored.append("numpy")
    if "torch" in states:
        import torch

        raw = base64.b64decode(states["torch"]["bytes"])
        torch.set_rng_state(torch.frombuffer(bytearray(raw), dtype=torch.uint8))
        restored.append("torch")
    if "default_rng" in states:
        from . import fresh_rng

        fresh_rng.start(int(states["default_rng"]["entropy"]))
        restored.append("default_rng")
    return restored
