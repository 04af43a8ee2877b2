"""`nbtrack replay --minimal`: the history script of only the cells a run depends on."""

from __future__ import annotations


def minimal_script(ref: str, *, store: str | None = None) -> str:
    from ..rundiff import snapshot_files
    from ..versioning.history_script import history_script
    from .history import read_recorded
    from .slicing import minimal_slice

    recorded = read_recorded(snapshot_files(ref, store=store))
    kept = minimal_slice(recorded.cells)
    note = (
        f"# minimal: {len(kept)} of {len(recorded.cells)} cells "
        "(the tracked cell's dependency slice over the history, in execution order)\n"
    )
    return note + history_script(
        [source for _, source in kept], 1, recorded.cell_log, counts=[c for c, _ in kept]
    )
