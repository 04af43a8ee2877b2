"""Params from a cell's own source: top-level assignments of literal values.

Pure functions, no kernel needed. `lr = 0.05` gives {"lr": 0.05}; a dict of
literals is flattened with dots (`config = {"opt": "adam"}` gives
{"config.opt": "adam"}); tuples become lists so values keep their JSON types.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ast

# A param bigger than this (as JSON) is data, not configuration: it is skipped.
MAX_PARAM_BYTES = 64 * 1024
# Nesting deeper than this (dicts and lists) is data too, and would exhaust the
# interpreter's recursion limit further down (JSON encoding, the store).
MAX_PARAM_DEPTH = 100


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
    import ast  # here: clean_params() is on every run's start, parsing only in cells

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
    import ast

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
    import ast

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
    numbers; anything JSON cannot hold becomes its repr. A complex number
    (Python's or numpy's) is kept faithfully as its repr, `"(1+2j)"`: JSON has no
    complex type, and keeping only the real part would lose data silently."""
    return _json_value(value, 0)


class _TooDeep(ValueError):
    """A value nested deeper than MAX_PARAM_DEPTH."""


def _json_value(value: Any, depth: int) -> Any:
    if depth > MAX_PARAM_DEPTH:
        raise _TooDeep
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_json_value(v, depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        return {str(k): _json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, complex):  # numpy's complex128 too: before .item() below
        return repr(complex(value))
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        try:
            return _json_value(item(), depth)
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


def clean_params(params: Any) -> tuple[dict[str, Any], list[str]]:
    """Params ready to store: flattened with dotted keys, JSON-typed, every value
    and key valid UTF-8 and at most MAX_PARAM_BYTES as JSON. Never raises, whatever
    `params` holds: an entry that cannot be stored (a lone surrogate such as
    "\\ud800", nesting deeper than MAX_PARAM_DEPTH, a value too big, an object
    that fails when read) is dropped and named in the warnings, which say what to do."""
    flat: dict[str, Any] = {}
    warnings: list[str] = []
    try:
        items = list(params.items())
    except Exception as exc:  # noqa: BLE001 - a broken mapping costs the params, not the run
        return {}, [f"params could not be read ({_describe(exc)}); none were recorded"]
    for key, value in items:
        _clean_into(flat, warnings, _key_text(key), value, 0)
    return flat, warnings


def _clean_into(
    flat: dict[str, Any], warnings: list[str], name: str, value: Any, depth: int
) -> None:
    shown = _shown_name(name)
    if depth > MAX_PARAM_DEPTH:
        warnings.append(_too_deep(shown))
        return
    try:
        if isinstance(value, dict) and value:
            for key, item in list(value.items()):
                _clean_into(flat, warnings, f"{name}.{_key_text(key)}", item, depth + 1)
            return
        json_value = _json_value(value, depth)
        name.encode("utf-8")
        size = _json_size(json_value)
    except _TooDeep:
        warnings.append(_too_deep(shown))
        return
    except UnicodeError:
        warnings.append(
            f"param {shown} holds text that is not valid Unicode (a lone surrogate such as "
            "'\\ud800') and was not recorded; decode the text properly (e.g. with "
            "errors='replace') before using it as a param"
        )
        return
    except RecursionError:
        warnings.append(_too_deep(shown))
        return
    except Exception as exc:  # noqa: BLE001 - an object failing in repr() or items()
        warnings.append(f"param {shown} could not be read ({_describe(exc)}) and was not recorded")
        return
    if size > MAX_PARAM_BYTES:
        warnings.append(
            f"param {shown} is larger than 64 KB and was not recorded; "
            "log big values as artifacts, not params"
        )
        return
    flat[name] = json_value


def _json_size(value: Any) -> int:
    """Bytes of `value` as UTF-8 JSON (UnicodeError for a lone surrogate)."""
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, str) and len(value) * 6 + 2 <= MAX_PARAM_BYTES:
        value.encode("utf-8")  # no character encodes to more than 6 JSON bytes (\u00XX)
        return len(value) + 2
    return len(json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8"))


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    try:
        return str(key)
    except Exception:  # noqa: BLE001 - a key whose __str__ fails still gets a name
        return f"<{type(key).__name__} key>"


def _shown_name(name: str) -> str:
    """`name` quoted for a message (repr escapes lone surrogates), long names cut."""
    return repr(name) if len(name) <= 80 else repr(name[:77]) + "…"


def _too_deep(shown: str) -> str:
    return (
        f"param {shown} is nested more than {MAX_PARAM_DEPTH} levels deep and was not "
        "recorded; record the few values that matter as params, the rest as an artifact"
    )


def _describe(exc: BaseException) -> str:
    """`Type: message`, printable whatever the message holds."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - an exception whose __str__ fails
        text = type(exc).__name__
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
