"""Cell-by-cell notebook diff with nbdime, plus a summary of which cells changed.

``{base, diff}`` is exactly what nbdime's diff widget renders, so a frontend
can show it as is.
"""

from __future__ import annotations

import hashlib
import json
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


#: Rich text-like outputs (SVG, HTML, JSON, JavaScript…) larger than this are
#: compared as a whole and shown as a one-line summary. nbdime diffs them line by
#: line and character by character, which on one changed 7 KB SVG line ran for
#: more than ten minutes; and their raw text (SVG coordinates, CSS) is noise.
SUMMARIZE_OVER_BYTES = 1024
_TEXT_LIKE = ("text/", "image/svg+xml", "application/javascript", "application/json")
_KEEP = ("text/plain",)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def output_summary(mime: str, value: Any) -> str:
    """`[image/svg+xml 12 KB · 1a2b3c4d]`: the kind, size and a digest (so two
    different outputs of one size still read as different)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        text = "".join(str(v) for v in value)
    data = text.encode("utf-8", "surrogateescape")
    return f"[{mime} {_size(len(data))} · {hashlib.sha256(data).hexdigest()[:8]}]"


def summarize_outputs(nb: Any) -> Any:
    """`nb` with each large rich text-like output value (not text/plain) replaced by
    its summary: such a bundle becomes one `text/plain` value, the summaries
    first, then the output's own plain text. Images and small outputs stay."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs") or []:
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            big = [
                mime
                for mime, value in data.items()
                if mime not in _KEEP
                and mime.lower().startswith(_TEXT_LIKE)
                and len(value if isinstance(value, str) else json.dumps(value))
                > SUMMARIZE_OVER_BYTES
            ]
            if not big:
                continue
            lines = [output_summary(mime, data[mime]) for mime in big]
            plain = data.get("text/plain")
            if plain:
                lines.append(plain if isinstance(plain, str) else "".join(plain))
            kept = {k: v for k, v in data.items() if k not in big and k != "text/plain"}
            output["data"] = {"text/plain": "\n".join(lines), **kept}
    return nb


def diff_notebook_bytes(a: bytes, b: bytes) -> NotebookDiff:
    """nbdime diff of two saved notebooks (``notebook.ipynb`` of two snapshots),
    large rich outputs summarized (`summarize_outputs`)."""
    from nbdime.diffing.notebooks import diff_notebooks

    base = summarize_outputs(parse_notebook(a))
    other = summarize_outputs(parse_notebook(b))
    diff = diff_notebooks(base, other)
    return NotebookDiff(
        base=base,
        diff=diff,
        cells=summarize_cells(base, other, diff),
        metadata_changed=any(e.get("key") == "metadata" for e in diff),
    )
