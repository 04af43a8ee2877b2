"""Lineage of a version: what made it and what it was made from (upstream), and
what used it and what those runs made (downstream), transitively. Falls out of
the made/used edges; one read of the edges, then a walk in memory."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .reads import run_labels
from .records import Version, edges, resolve, versions

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class Lineage:
    """A lineage graph around one version. Nodes are versions (`name:vN`) and runs
    (`stem#seq`); `edges` are (from, to, "made" | "used") with run → version for
    made and version → run for used."""

    root: str
    versions: dict[str, Version] = field(default_factory=dict)  # ref → version
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → {id, cells}
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)

    def _children(self, node: str, up: bool) -> list[tuple[str, str]]:
        out = []
        for a, b, kind in self.edges:
            if up and b == node:
                out.append((a, kind))
            elif not up and a == node:
                out.append((b, kind))
        return out

    def _lines(self, node: str, up: bool, depth: int, seen: set[str]) -> list[tuple[int, str]]:
        lines = []
        for child, kind in self._children(node, up):
            if up:
                text = f"made by {child}" if kind == "made" else f"used {child}"
            else:
                text = f"used by {child}" if kind == "used" else f"made {child}"
            run = child if child in self.runs else node
            name = self.runs.get(child, {}).get("name")
            if name and name != child:
                text += f" [{name}]"
            cell = self._cell_text(run, node, child)
            lines.append((depth, text + cell + (" (see above)" if child in seen else "")))
            if child not in seen:
                seen.add(child)
                lines += self._lines(child, up, depth + 1, seen)
        return lines

    def _cell_text(self, run: str, a: str, b: str) -> str:
        info = self.runs.get(run)
        if not info:
            return ""
        other = b if run == a else a
        cell = info["cells"].get(other)
        if not cell:
            return ""
        where = cell.get("notebook") or ""
        if cell.get("execution_count") is not None:
            where = f"{where} In[{cell['execution_count']}]".strip()
        return f" ({where})" if where else ""

    def tree(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        return (
            self._lines(self.root, True, 1, {self.root}),
            self._lines(self.root, False, 1, {self.root}),
        )

    def __repr__(self) -> str:
        up, down = self.tree()
        v = self.versions[self.root]
        head = f"lineage of {self.root} ({v.type}, {v.hash[:12]})"
        parts = [head, "upstream:"]
        parts += [("  " * d) + t for d, t in up] or ["  (nothing: logged outside a run)"]
        parts.append("downstream:")
        parts += [("  " * d) + t for d, t in down] or ["  (no run used it yet)"]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        up, down = self.tree()

        def block(title: str, lines: list[tuple[int, str]], empty: str) -> str:
            items = "".join(
                f'<li style="margin-left:{(d - 1) * 1.5}em">{html.escape(t)}</li>' for d, t in lines
            )
            return f"<b>{title}</b><ul>{items or f'<li>{html.escape(empty)}</li>'}</ul>"

        return (
            f"<div class='nbtrack-lineage'><b>lineage of {html.escape(self.root)}</b>"
            + block("upstream", up, "nothing: logged outside a run")
            + block("downstream", down, "no run used it yet")
            + "</div>"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "versions": {
                ref: {
                    "id": v.id,
                    "name": v.name,
                    "version": v.version,
                    "type": v.type,
                    "hash": v.hash,
                    "size": v.size,
                }
                for ref, v in self.versions.items()
            },
            "runs": {ref: {"id": r["id"], "name": r["name"]} for ref, r in self.runs.items()},
            "edges": [list(e) for e in self.edges],
            "upstream": self.upstream,
            "downstream": self.downstream,
        }


def build_lineage(store: Store, version: Version) -> Lineage:
    made_by: dict[str, list[tuple[str, str | None]]] = defaultdict(list)  # version → runs
    used_by: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    inputs: dict[str, list[tuple[str, str | None]]] = defaultdict(list)  # run → versions
    outputs: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for run_id, vid, direction, cell in edges(store):
        if direction == "out":
            made_by[vid].append((run_id, cell))
            outputs[run_id].append((vid, cell))
        else:
            used_by[vid].append((run_id, cell))
            inputs[run_id].append((vid, cell))

    found_versions = {version.id}
    found_runs: set[str] = set()
    raw_edges: set[tuple[str, str, str]] = set()  # (from id, to id, kind)
    cells: dict[tuple[str, str], str | None] = {}

    def walk(start: str, up: bool) -> list[str]:
        order = []
        frontier = [start]
        seen = {start}
        while frontier:
            nxt = []
            for vid in frontier:
                for run_id, cell in (made_by if up else used_by)[vid]:
                    found_runs.add(run_id)
                    kind = "made" if up else "used"
                    raw_edges.add((run_id, vid, kind) if up else (vid, run_id, kind))
                    cells[(run_id, vid)] = cell
                    for other, ocell in (inputs if up else outputs)[run_id]:
                        raw_edges.add((other, run_id, "used") if up else (run_id, other, "made"))
                        cells[(run_id, other)] = ocell
                        if other not in seen:
                            seen.add(other)
                            found_versions.add(other)
                            order.append(other)
                            nxt.append(other)
            frontier = nxt
        return order

    up = walk(version.id, True)
    down = walk(version.id, False)
    by_id = {v.id: v for v in versions(store, ids=list(found_versions))}
    labels = run_labels(store, list(found_runs))
    refs = {rid: ref for rid, (ref, _name) in labels.items()}
    vref = {vid: v.ref for vid, v in by_id.items()}

    def name(node: str) -> str | None:
        return vref.get(node) or refs.get(node)

    graph = Lineage(root=version.ref)
    graph.versions = {v.ref: v for v in by_id.values()}
    names = {rid: name for rid, (_ref, name) in labels.items()}
    for run_id in found_runs:
        if run_id in refs:
            graph.runs[refs[run_id]] = {"id": run_id, "name": names.get(run_id), "cells": {}}
    for (run_id, vid), cell in cells.items():
        if run_id in refs and vid in vref and cell:
            graph.runs[refs[run_id]]["cells"][vref[vid]] = json.loads(cell)
    for a, b, kind in sorted(raw_edges):
        na, nb = name(a), name(b)
        if na and nb:  # a deleted run's edges are left out
            graph.edges.append((na, nb, kind))
    graph.upstream = [vref[v] for v in up if v in vref]
    graph.downstream = [vref[v] for v in down if v in vref]
    return graph


def lineage(ref: str, store: str | Store | None = None) -> Lineage:
    """What made version `ref` (an artifact, or a registered model's
    `name@alias`) (run and cell) and what it was made from, and what
    used it and what those runs made, transitively. Text repr in a terminal,
    HTML in a notebook; `.to_dict()` for JSON."""
    from ..query import store_for

    st = store_for(store)
    return build_lineage(st, _resolve(st, ref))


def _resolve(store: Store, ref: str) -> Version:
    """An artifact reference, or a registered model's (`name@alias`, `name:v2`)."""
    from ..models.registry_records import is_registered

    name = ref.rpartition("@")[0] if isinstance(ref, str) and "@" in ref else None
    if name is None and isinstance(ref, str):
        name = ref.rpartition(":")[0] or ref
    if name and is_registered(store, name):
        from ..models.api import resolve_model

        return resolve_model(store, ref)
    return resolve(store, ref)
