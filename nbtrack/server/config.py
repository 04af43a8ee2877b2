"""The server extension's settings, the traitlets way:

c.NbtrackServer.store = "postgresql+psycopg://db.example/nbtrack"
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from ..config import Project, resolve_project


class NbtrackServer(Configurable):
    """Where the nbtrack REST API reads runs from."""

    store = Unicode(
        "",
        config=True,
        help="SQLAlchemy URL of the run store. Default: the store of the project "
        "holding the server's root_dir (NBTRACK_STORE, [tool.nbtrack] store, else "
        "<project root>/.nbtrack/nbtrack.db). A relative sqlite:/// path is taken "
        "from the project root.",
    )

    def project(self, root_dir: Path) -> Project:
        """The project the server's root folder belongs to, with the store to serve."""
        environ = dict(os.environ)
        if self.store:
            environ["NBTRACK_STORE"] = self.store
        return resolve_project(root_dir, environ)
