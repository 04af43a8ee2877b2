"""Notebook bytes -> nbformat v4 node, fast and deterministic.

nbformat's own ``reads`` validates against the JSON schema (slow on large
notebooks) and gives cells missing an ``id`` a random one (which would make
the same notebook differ from itself); this reader does neither.
"""

from __future__ import annotations

from typing import Any


def parse_notebook(raw: bytes) -> Any:
    """Parse notebook JSON into a v4 ``NotebookNode`` with multi-line strings joined.

    Raises ``ValueError`` (or nbformat's errors) when ``raw`` is not a notebook.
    """
    from ..nbformat_import import import_nbformat

    nbformat = import_nbformat()
    from nbformat.v4.rwbase import rejoin_lines

    text = raw.decode("utf-8")
    nb = nbformat.reader.reads(text)
    if not isinstance(nb, dict) or nb.get("nbformat") not in (1, 2, 3, 4):
        raise ValueError("not a Jupyter notebook (no supported 'nbformat' version)")
    if nb["nbformat"] != 4:
        return nbformat.reads(text, as_version=4)  # converts old notebooks
    return rejoin_lines(nb)
