"""nbtrack imports nbformat without building jsonschema's IRI grammars
(nbtrack/nbformat_import.py): 2-3 s of CPU off every kernel's first tracked cell,
every sweep trial's kernel and every CLI command that reads a notebook; and
jsonschema still checks IRIs, and `import rfc3987_syntax` still gives the real
module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_CHECK = """
import json, sys
from nbtrack.nbformat_import import import_nbformat
from nbtrack.versioning import preload

preload()  # what %load_ext nbtrack starts in the kernel: nbformat, jupytext
built = "rfc3987_syntax.syntax_helpers" in sys.modules
nb = import_nbformat()
import jsonschema
checker = jsonschema.FormatChecker()
good, bad = checker.conforms("http://example.org/ü", "iri"), checker.conforms("http://a b", "iri")
import rfc3987_syntax
print(json.dumps({
    "built_at_import": built,
    "nbformat": nb.__name__,
    "iri": [good, bad],
    "real_module": hasattr(rfc3987_syntax, "RFC3987_SYNTAX_TERMS"),
}))
"""


def test_nbformat_comes_without_the_iri_grammars_and_iri_checks_still_work() -> None:
    pytest.importorskip("rfc3987_syntax", reason="jsonschema builds no IRI grammar without it")
    out = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True, timeout=600
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen == {
        "built_at_import": False,
        "nbformat": "nbformat",
        "iri": [True, False],  # the real grammar answers, on first use
        "real_module": True,
    }
