"""Cell-by-cell notebook diff with nbdime, plus a summary of which cells changed.

``{base, diff}`` is exactly what nbdime's diff widget renders, so a frontend
can show it as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbtrack.versioning.nbio import parse_notebook


@dataclass(frozen=True)
class CellChange:
    """One added, removed or modified cell.

    ``base_index`` is the cell's position in the first notebook (None when
    added), ``index`` its position in the second (None when removed).
    ``parts`` names what changed in a modified cell (``source``, ``outputs``,
    ``metadata``, ``execution_count``...). ``first_line`` is the first line of
    its source (the new one when it exists).
    """

    change: str
    base_index: int | None
    index: int | None
    cell_type: str
    first_line: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotebookDiff:
    """nbdime's diff of two notebooks, the base notebook, and a cell summary."""

    base: dict[str, Any]
    diff: list[dict[str, Any]]
    cells: list[CellChange] = field(default_factory=list)
    metadata_changed: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.diff


def _first_line(cell: Any) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    return source.strip().split("\n", 1)[0] if source.strip() else ""


def summarize_cells(base: Any, new: Any, diff: list[dict[str, Any]]) -> list[CellChange]:
    """Turn nbdime's patch of ``/cells`` (``base`` -> ``new``) into cell changes, in order."""
    cells_patch = next((e for e in diff if e.get("key") == "cells"), None)
    if cells_patch is None or cells_patch.get("op") != "patch":
        return []
    old_cells, new_cells = base.get("cells", []), new.get("cells", [])
    changes: list[CellChange] = []
    offset = 0  # index in the new notebook = index in the base + offset
    # nbdime orders entries by base index, an insertion before a removal at one index.
    for entry in cells_patch["diff"]:
        op, key = entry["op"], entry["key"]
        if op == "addrange":
            for i in range(key + offset, key + offset + len(entry["valuelist"])):
                cell = new_cells[i]
                changes.append(
                    CellChange("added", None, i, cell.get("cell_type", ""), _first_line(cell))
                )
            offset += len(entry["valuelist"])
        elif op == "removerange":
            for i in range(key, key + entry["length"]):
                cell = old_cells[i]
                changes.append(
                    CellChange("removed", i, None, cell.get("cell_type", ""), _first_line(cell))
                )
            offset -= entry["length"]
        elif op == "patch":
            cell = new_cells[key + offset]
            parts = tuple(sorted({str(d["key"]) for d in entry["diff"]}))
            changes.append(
                CellChange(
                    "modified",
                    key,
                    key + offset,
                    cell.get("cell_type", ""),
                    _first_line(cell),
                    parts,
                )
            )
    return changes


def diff_notebook_bytes(a: bytes, b: bytes) -> NotebookDiff:
    """nbdime diff of two saved notebooks (``notebook.ipynb`` of two snapshots)."""
    from nbdime.diffing.notebooks import diff_notebooks

    base, other = parse_notebook(a), parse_notebook(b)
    diff = diff_notebooks(base, other)
    return NotebookDiff(
        base=base,
        diff=diff,
        cells=summarize_cells(base, other, diff),
        metadata_changed=any(e.get("key") == "metadata" for e in diff),
    )
