"""The minimal history behind a run: a backward dependency slice over the cells
in the order they really ran.

Per cell, static analysis (`ast`) of the executed source gives the names it
defines, the names it uses, and the names it redefines outright (a plain
assignment, def, class or import of a name the cell does not read first).
Mutations (`df["a"] = ...`, `model.fit(...)`, `x += 1`) count as both use and
definition, so they are kept. Cells with IPython side effects (magics, `!cmd`)
or that do not parse are always kept: static analysis cannot see through them;
display and help magics (`%matplotlib inline`, `?name`: HARMLESS_MAGICS) are not
side effects, so a cell holding only those is sliced like plain Python.
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


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _stores(nodes: list[ast.AST]) -> set[str]:
    """Names bound anywhere within `nodes` (assignment targets, loop and
    comprehension variables, defs, classes, imports)."""
    out: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                out.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                out.update((a.asname or a.name).split(".")[0] for a in node.names)
    return out


def _loads(node: ast.AST) -> set[str]:
    """Names `node` reads from the enclosing (cell) scope: a function's parameters
    and locals, and a comprehension's variables, are its own."""
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    if isinstance(node, ast.AugAssign):  # `x += 1` reads x
        base = _base(node.target)
        return ({base} if base else set()) | _loads(node.target) | _loads(node.value)
    if isinstance(node, _SCOPES):
        args = node.args
        outer: set[str] = set()
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            outer |= _loads(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                outer |= _loads(decorator)
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
        declared = {
            n for b in body for g in ast.walk(b) if isinstance(g, ast.Global) for n in g.names
        }
        inner: set[str] = set().union(*(_loads(b) for b in body))
        return outer | (inner - ((params | _stores(body)) - declared))
    if isinstance(node, _COMPREHENSIONS):
        own = _stores([g.target for g in node.generators])
        parts: list[ast.AST] = [
            *(g.iter for g in node.generators),
            *(i for g in node.generators for i in g.ifs),
        ]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return set().union(*(_loads(p) for p in parts)) - own
    if isinstance(node, ast.ClassDef):
        outer = set().union(set(), *(_loads(d) for d in [*node.decorator_list, *node.bases]))
        inner = set().union(set(), *(_loads(b) for b in node.body))
        return outer | (inner - _stores(node.body))
    return set().union(set(), *(_loads(child) for child in ast.iter_child_nodes(node)))


def _binds(stmt: ast.stmt) -> set[str]:
    """Names `stmt` binds whenever it runs to its end (not under a condition or a
    loop that may not run): assignments, imports, definitions, and what a `with`
    binds, its body included."""
    if isinstance(stmt, ast.Assign):
        plain: set[str] = set()
        for target in stmt.targets:
            _target_names(target, plain, set())
        return plain
    if isinstance(stmt, ast.AnnAssign):
        plain = set()
        if stmt.value is not None:
            _target_names(stmt.target, plain, set())
        return plain
    if isinstance(stmt, _SCOPES + (ast.ClassDef,)):
        return {stmt.name}  # type: ignore[union-attr]
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return _stores([stmt])
    if isinstance(stmt, ast.With | ast.AsyncWith):
        named = _stores([i.optional_vars for i in stmt.items if i.optional_vars is not None])
        return named.union(*(_binds(b) for b in stmt.body))
    return set()


def _block_free(stmts: list[ast.stmt], bound: set[str]) -> set[str]:
    """Names a block reads before it binds them, given the names bound before it."""
    bound = set(bound)
    free: set[str] = set()
    for stmt in stmts:
        free |= _stmt_free(stmt, bound)
        bound |= _binds(stmt)
    return free


def _stmt_free(stmt: ast.stmt, bound: set[str]) -> set[str]:
    """Names `stmt` reads before they are bound, looking into compound statements
    in order: a loop's target is bound before its body runs (`for epoch in ...:
    log(epoch)` reads no earlier `epoch`), and so are `with ... as f` and
    `except E as e`, and a name the body binds before it reads it."""
    if isinstance(stmt, ast.For | ast.AsyncFor):
        head = (_loads(stmt.iter) | _loads(stmt.target)) - bound
        inside = _block_free(stmt.body, bound | _stores([stmt.target]))
        return head | inside | _block_free(stmt.orelse, bound)
    if isinstance(stmt, ast.While | ast.If):
        head = _loads(stmt.test) - bound
        return head | _block_free(stmt.body, bound) | _block_free(stmt.orelse, bound)
    if isinstance(stmt, ast.With | ast.AsyncWith):
        head: set[str] = set()
        named: set[str] = set()
        for item in stmt.items:
            head |= _loads(item.context_expr) - bound
            if item.optional_vars is not None:
                head |= _loads(item.optional_vars) - bound
                named |= _stores([item.optional_vars])
        return head | _block_free(stmt.body, bound | named)
    if isinstance(stmt, ast.Try):
        free = _block_free(stmt.body, bound)
        for handler in stmt.handlers:
            if handler.type is not None:
                free |= _loads(handler.type) - bound
            own = {handler.name} if handler.name else set()
            free |= _block_free(handler.body, bound | own)
        return free | _block_free(stmt.orelse, bound) | _block_free(stmt.finalbody, bound)
    return _loads(stmt) - bound


def free_uses(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(Names the cell reads before binding them itself, statement by statement —
    `import hashlib as h; h.sha256()` does not read an earlier `h`; a loop's body
    does not read an earlier value of the loop's variable —, names it binds at its
    top level unconditionally.) Bindings under a condition or loop do not count:
    the name may still come from before."""
    bound: set[str] = set()
    free: set[str] = set()
    for stmt in tree.body:
        free |= _stmt_free(stmt, bound)
        bound |= _binds(stmt)
    return free, bound


#: Line magics that change no value a later cell can read: display settings
#: (`%matplotlib inline`, `%config InlineBackend...`) and help (`?name`, `%who`).
#: A cell whose only IPython calls are these is analysed like plain Python; any
#: other magic, `!cmd` or use of `get_ipython()` keeps the whole cell.
HARMLESS_MAGICS = frozenset(
    {
        "matplotlib",
        "config",
        "pinfo",
        "pinfo2",
        "pdoc",
        "pdef",
        "psource",
        "pfile",
        "psearch",
        "who",
        "whos",
        "lsmagic",
        "magic",
        "quickref",
    }
)


#: Methods that only read their receiver (pandas, NumPy, str, dict): a cell that
#: calls them to look at a value (`df.head()`, `df.describe()`) does not change it,
#: so it is not kept for a later reader of that value. Methods that may change the
#: receiver (`inplace=`, `fit`, `append`, `plot` on an Axes, `sample` drawing from
#: the global RNG) are not listed.
READ_ONLY_METHODS = frozenset(
    {
        "head",
        "tail",
        "describe",
        "info",
        "to_string",
        "to_markdown",
        "to_html",
        "to_numpy",
        "tolist",
        "item",
        "sum",
        "mean",
        "median",
        "std",
        "var",
        "min",
        "max",
        "count",
        "nunique",
        "value_counts",
        "unique",
        "isna",
        "isnull",
        "notna",
        "notnull",
        "corr",
        "cov",
        "keys",
        "values",
        "items",
        "all",
        "any",
        "argmax",
        "argmin",
        "idxmax",
        "idxmin",
        "memory_usage",
        "equals",
        "startswith",
        "endswith",
        "lower",
        "upper",
        "strip",
        "format",
    }
)


def _harmless_magic(node: ast.AST) -> bool:
    """Is `node` `get_ipython().run_line_magic('<harmless>', '...')`?"""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run_line_magic"
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "get_ipython"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in HARMLESS_MAGICS
    )


def _only_harmless_magics(tree: ast.Module) -> bool:
    """Is every use of `get_ipython` in `tree` a call of a harmless line magic?"""
    calls = [n for n in ast.walk(tree) if _harmless_magic(n)]
    uses = sum(isinstance(n, ast.Name) and n.id == "get_ipython" for n in ast.walk(tree))
    return uses == len(calls)


def analyse(code: str) -> CellNames:
    """Names a cell of Python code defines, uses and redefines outright."""
    names = CellNames()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        names.opaque = True
        return names
    if "get_ipython" in code and not _only_harmless_magics(tree):
        names.opaque = True
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
            # A method call may change its receiver (model.fit(X)); a look at it
            # (df.head(), df.describe()) does not.
            if base and node.func.attr not in READ_ONLY_METHODS:
                names.called.add(base)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                base = _base(target)
                if base:
                    mutated.add(base)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            plain.update(node.names)
    # What the cell reads from before it: not what it bound itself first.
    names.uses, bound = free_uses(tree)
    names.defs = plain | mutated
    # Redefined outright: bound at the top level whatever happens, never read first.
    names.kills = bound - names.uses - mutated
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
