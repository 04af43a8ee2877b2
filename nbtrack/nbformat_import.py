"""`import nbformat` without jsonschema's 2-3 s for an IRI grammar nobody uses.

nbformat imports jsonschema, whose format checkers import `rfc3987_syntax`
when it is installed (jsonschema's `format-nongpl` extra, which JupyterLab's
dependencies pull in). That module builds ~35 Earley parsers with lark at import
time: 2.3-2.5 s of CPU here, paid by every kernel's first tracked cell (its
snapshot needs nbformat and jupytext), every sweep trial's kernel and every CLI
command that reads a notebook (upstream: python-jsonschema/jsonschema#1428).

While nbformat imports, a stand-in module takes the name: jsonschema binds its
`is_valid_syntax`, which imports the real module on its first call, so an IRI
format check still gives the real answer, just later. The stand-in leaves
`sys.modules` as soon as the import is done, so `import rfc3987_syntax` gives
the real module; any other attribute read from the stand-in reads the real one.
Nothing is done when jsonschema is already imported or the module is absent.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

NAME = "rfc3987_syntax"
_LOCK = threading.Lock()


class _StandIn(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # the import system asks for __path__ and others
            raise AttributeError(attr)
        return getattr(_real(), attr)


def _real() -> types.ModuleType:
    if isinstance(sys.modules.get(NAME), _StandIn):
        del sys.modules[NAME]
    return importlib.import_module(NAME)


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    return _real().is_valid_syntax(*args, **kwargs)


def import_nbformat() -> types.ModuleType:
    """nbformat, imported (see the module's docstring)."""
    if "nbformat" in sys.modules:  # (the import waits while another thread runs it)
        import nbformat

        return nbformat
    with _LOCK:
        stand_in = None
        if "jsonschema" not in sys.modules and NAME not in sys.modules:
            import importlib.util

            if importlib.util.find_spec(NAME) is not None:
                stand_in = _StandIn(NAME)
                stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
                sys.modules[NAME] = stand_in
        try:
            import nbformat
        finally:
            if stand_in is not None and sys.modules.get(NAME) is stand_in:
                del sys.modules[NAME]
    return nbformat
