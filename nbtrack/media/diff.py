"""The media part of `nbtrack.diff(a, b)`: figures, images, tables and confusion
matrices both runs logged under the same name whose content differs (at each
run's last step). Images and figures are shown side by side in HTML; a table
gets a row summary. All user text (names, captions, cells) is escaped."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Any

COMPARED = ("image", "figure", "table", "confusion_matrix")
#: Images wider than this are shown scaled down in the diff's HTML.
SHOWN_WIDTH = 320


@dataclass
class Change:
    name: str
    kind: str
    step_a: int
    step_b: int
    hashes_a: list[str]
    hashes_b: list[str]
    # images / figures: the PNG shown per side (display copy when there is one)
    shown_a: list[str] = field(default_factory=list)
    shown_b: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass
class MediaDiff:
    changed: list[Change]
    only_a: list[str]
    only_b: list[str]
    blobs: Any = None

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.only_a or self.only_b)

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "step_a": c.step_a,
                    "step_b": c.step_b,
                    "a": c.hashes_a,
                    "b": c.hashes_b,
                    "summary": c.summary,
                }
                for c in self.changed
            ],
            "only_a": self.only_a,
            "only_b": self.only_b,
        }

    def text(self) -> str:
        if self.is_empty:
            return ""
        lines = ["media:"]
        for c in self.changed:
            lines.append(
                f"  ~ {c.kind} {c.name!r} changed" + (f": {c.summary}" if c.summary else "")
            )
        lines += [f"  - {n!r} only in a" for n in self.only_a]
        lines += [f"  + {n!r} only in b" for n in self.only_b]
        return "\n" + "\n".join(lines) + "\n"

    def html(self) -> str:
        if self.is_empty:
            return ""
        parts = ["<h4>Media</h4>"]
        for c in self.changed:
            title = f"{html.escape(c.kind)} <code>{html.escape(c.name)}</code>"
            parts.append(
                f"<p>{title} changed{': ' + html.escape(c.summary) if c.summary else ''}</p>"
            )
            if c.shown_a or c.shown_b:
                parts.append(
                    f"<table><tr><th>a (step {c.step_a})</th><th>b (step {c.step_b})</th></tr>"
                    f"<tr><td>{self._imgs(c.shown_a)}</td><td>{self._imgs(c.shown_b)}</td></tr>"
                    "</table>"
                )
        for label, names in (("only in a", self.only_a), ("only in b", self.only_b)):
            if names:
                shown = ", ".join(f"<code>{html.escape(n)}</code>" for n in names)
                parts.append(f"<p>{label}: {shown}</p>")
        return "".join(parts)

    def _imgs(self, hashes: list[str]) -> str:
        out = []
        for h in hashes:
            data = base64.b64encode(self.blobs.read_bytes(h)).decode("ascii")
            out.append(
                f'<img src="data:image/png;base64,{data}" style="max-width:{SHOWN_WIDTH}px">'
            )
        return "".join(out)


def _last(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, list[dict[str, Any]]]]:
    """{(name, kind): (last step, its rows in index order)}."""
    out: dict[tuple[str, str], tuple[int, list[dict[str, Any]]]] = {}
    for r in rows:
        if r["kind"] not in COMPARED:
            continue
        key = (r["name"], r["kind"])
        step, group = out.get(key, (-1, []))
        if r["step"] > step:
            out[key] = (r["step"], [r])
        elif r["step"] == step:
            group.append(r)
    return out


def _shown(row: dict[str, Any]) -> str | None:
    meta = row["meta"]
    if row["kind"] == "image":
        return meta.get("display") or (row["hash"] if row["mime"] == "image/png" else None)
    if row["kind"] == "figure":
        return row["hash"] if row["mime"] == "image/png" else None
    if row["kind"] == "confusion_matrix":
        return meta.get("png")
    return None


def table_summary(a: Any, b: Any) -> str:
    """Rows and columns added or removed, and how many rows differ (NaN equal NaN)."""
    parts = [f"{len(a):,} → {len(b):,} rows" if len(a) != len(b) else f"{len(a):,} rows"]
    added = [c for c in b.columns if c not in a.columns]
    removed = [c for c in a.columns if c not in b.columns]
    if added:
        parts.append("columns added: " + ", ".join(map(str, added[:10])))
    if removed:
        parts.append("columns removed: " + ", ".join(map(str, removed[:10])))
    common = [c for c in a.columns if c in b.columns]
    n = min(len(a), len(b))
    if common and n:
        left = a[common].iloc[:n].reset_index(drop=True)
        right = b[common].iloc[:n].reset_index(drop=True)
        differ = ~((left == right) | (left.isna() & right.isna())).all(axis=1)
        parts.append(f"{int(differ.sum()):,} of the first {n:,} rows differ")
    return "; ".join(parts)


def diff_media(store: Any, blobs: Any, run_a: str, run_b: str) -> MediaDiff:
    from .records import select  # the Store's SQL: loaded only when there is media
    from .tables import read_parquet

    rows_of_a, rows_of_b = select(store, run_a), select(store, run_b)
    a, b = _last(rows_of_a), _last(rows_of_b)
    changed = []
    for key in sorted(set(a) & set(b)):
        (step_a, rows_a), (step_b, rows_b) = a[key], b[key]
        ha, hb = [r["hash"] for r in rows_a], [r["hash"] for r in rows_b]
        if ha == hb:
            continue
        name, kind = key
        change = Change(name, kind, step_a, step_b, ha, hb)
        change.shown_a = [h for h in map(_shown, rows_a) if h]
        change.shown_b = [h for h in map(_shown, rows_b) if h]
        if kind in ("table", "confusion_matrix"):
            change.summary = table_summary(
                read_parquet(blobs.read_bytes(ha[0])), read_parquet(blobs.read_bytes(hb[0]))
            )
        elif kind == "image" and len(ha) != len(hb):
            change.summary = f"{len(ha)} → {len(hb)} images"
        changed.append(change)
    names_a, names_b = {r["name"] for r in rows_of_a}, {r["name"] for r in rows_of_b}
    return MediaDiff(changed, sorted(names_a - names_b), sorted(names_b - names_a), blobs)
