"""Params from a cell's own source: top-level assignments of literal values.

Pure functions, no kernel needed. `lr = 0.05` gives {"lr": 0.05}; a dict of
literals is flattened with dots (`config = {"opt": "adam"}` gives
{"config.opt": "adam"}); tuples become lists so values keep their JSON types.
"""

from __future__ import annotations

import ast
import json
from typing import Any

# A param bigger than this (as JSON) is data, not configuration: it is skipped.
MAX_PARAM_BYTES = 64 * 1024


def extract_params(source: str) -> dict[str, Any]:
    """Literal top-level assignments of `source` (Python, IPython syntax already
    transformed), flattened. The last literal assignment of a name wins; code that
    does not parse gives no params."""
    found: dict[str, Any] = {}
    for name, value in literal_assignments(source).items():
        found.update(flatten(name, value))
    return found


def literal_assignments(source: str) -> dict[str, Any]:
    """{name: value} of the top-level assignments of literal values in `source`,
    as Python values (not flattened); the last assignment of a name wins."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, Any] = {}
    for node in tree.body:
        for name, value_node in _assignments(node):
            try:
                value = ast.literal_eval(value_node)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            found.pop(name, None)
            found[name] = value
    return found


def assigned_names(source: str) -> list[str]:
    """Every name `source` assigns at top level, literal or not (SyntaxError if it
    does not parse)."""
    names: dict[str, None] = {}
    for node in ast.parse(source).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        while targets:
            target = targets.pop(0)
            if isinstance(target, ast.Name):
                names.setdefault(target.id)
            elif isinstance(target, (ast.Tuple, ast.List)):
                targets[:0] = list(target.elts)
            elif isinstance(target, ast.Starred):
                targets.insert(0, target.value)
    return list(names)


def _assignments(node: ast.stmt) -> list[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        pairs: list[tuple[str, ast.expr]] = []
        for target in node.targets:
            if isinstance(target, ast.Name):
                pairs.append((target.id, node.value))
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(
                node.value, (ast.Tuple, ast.List)
            ):
                if len(target.elts) == len(node.value.elts):
                    pairs += [
                        (t.id, v)
                        for t, v in zip(target.elts, node.value.elts, strict=True)
                        if isinstance(t, ast.Name)
                    ]
        return pairs
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [(node.target.id, node.value)]
    return []


def flatten(name: str, value: Any) -> dict[str, Any]:
    """{name: value} with dicts flattened by dotted keys and values made JSON-typed."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(f"{name}.{key}", item))
        return out
    return {name: to_json_value(value)}


def to_json_value(value: Any) -> Any:
    """A JSON-typed copy of value: tuples and sets become lists, numpy scalars
    numbers; anything JSON cannot hold becomes its repr."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json_value(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        try:
            return to_json_value(item())
        except (TypeError, ValueError):
            pass
    return repr(value)


def oversized(params: dict[str, Any]) -> list[str]:
    """Keys whose JSON encoding is larger than MAX_PARAM_BYTES."""
    big = []
    for key, value in params.items():
        if isinstance(value, str) and len(value) * 6 + 2 <= MAX_PARAM_BYTES:
            continue  # no character encodes to more than 6 JSON bytes (\u00XX)
        if isinstance(value, (int, float, bool)) or value is None:
            continue
        if len(json.dumps(value, ensure_ascii=False, allow_nan=True).encode()) > MAX_PARAM_BYTES:
            big.append(key)
    return big
