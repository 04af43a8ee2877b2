"""The minimal history behind a run: a backward dependency slice over the cells
in the order they really ran.

Per cell, static analysis (`ast`) of the executed source gives the names it
defines, the names it uses, and the names it redefines outright (a plain
assignment, def, class or import of a name the cell does not read first).
Mutations (`df["a"] = ...`, `model.fit(...)`, `x += 1`) count as both use and
definition, so they are kept. Cells with IPython side effects (magics, `!cmd`)
or that do not parse are always kept: static analysis cannot see through them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class CellNames:
    defs: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    kills: set[str] = field(default_factory=set)
    #: Receivers of method calls (`model.fit(X)` may change `model`; `np.sum` does not).
    called: set[str] = field(default_factory=set)
    #: Names bound by import statements (modules: calling them changes nothing we track).
    imported: set[str] = field(default_factory=set)
    opaque: bool = False  # keep it whatever it defines


def _base(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _target_names(target: ast.AST, plain: set[str], mutated: set[str]) -> None:
    if isinstance(target, ast.Name):
        plain.add(target.id)
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            _target_names(elt, plain, mutated)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, plain, mutated)
    else:
        base = _base(target)
        if base:
            mutated.add(base)


def analyse(code: str) -> CellNames:
    """Names a cell of Python code defines, uses and redefines outright."""
    names = CellNames()
    if "get_ipython()" in code:
        names.opaque = True
    try:
        tree = ast.parse(code)
    except SyntaxError:
        names.opaque = True
        return names
    plain: set[str] = set()
    mutated: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.uses.add(node.id)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.With):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign | ast.For | ast.AsyncFor)
                else [i.optional_vars for i in node.items if i.optional_vars is not None]
            )
            for target in targets:
                _target_names(target, plain, mutated)
        elif isinstance(node, ast.AugAssign):
            base = _base(node.target)
            if base:
                mutated.add(base)
                names.uses.add(base)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            plain.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    names.opaque = True
                else:
                    bound = (alias.asname or alias.name).split(".")[0]
                    plain.add(bound)
                    names.imported.add(bound)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = _base(node.func.value)
            if base:  # a method call may change its receiver: model.fit(X)
                names.called.add(base)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                base = _base(target)
                if base:
                    mutated.add(base)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            plain.update(node.names)
    names.defs = plain | mutated
    names.kills = plain - names.uses - mutated
    return names


#: Names that are modules in every kernel nbtrack runs in (`%load_ext` pushes it).
KNOWN_MODULES = frozenset({"nbtrack"})


def effective(infos: list[CellNames]) -> list[CellNames]:
    """Count method-call receivers as definitions, except modules (names any cell
    imported): `model.fit(X)` changes `model`, `np.random.seed(0)` is not a
    definition of `np` worth following."""
    modules = set(KNOWN_MODULES)
    for info in infos:
        modules |= info.imported
    out = []
    for info in infos:
        extra = info.called - modules
        if extra:
            info = CellNames(
                info.defs | extra,
                info.uses,
                info.kills - extra,
                info.called,
                info.imported,
                info.opaque,
            )
        out.append(info)
    return out


def _python(source: str) -> str:
    from ..versioning.history_script import _transform, _unwrap_cell_magic

    unwrapped = _unwrap_cell_magic(source)
    return _transform(unwrapped[1] if unwrapped else source)


def slice_indices(codes: list[str]) -> list[int]:
    """Indices of the cells the last one depends on (the last one included)."""
    if not codes:
        return []
    infos = effective([analyse(code) for code in codes])
    needed = set(infos[-1].uses)
    keep = [len(codes) - 1]
    for i in range(len(codes) - 2, -1, -1):
        info = infos[i]
        if info.opaque or info.defs & needed:
            keep.append(i)
            needed -= info.kills
            needed |= info.uses | (info.defs - info.kills)
    return sorted(keep)


def minimal_slice(cells: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (execution count, source) cells the last (tracked) cell depends on."""
    indices = slice_indices([_python(source) for _, source in cells])
    return [cells[i] for i in indices]
