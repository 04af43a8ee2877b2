"""JupyterLab server for nbtrack's Galata tests (`jlpm start`).

Never use this configuration outside tests: galata's settings remove the
token, the password and XSRF checks.
"""

from __future__ import annotations

import os
from pathlib import Path
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

# A fresh folder for each server: the notebooks the tests make and, in
# .nbtrack/, the one store that their kernels write and the server reads
# (each test works in a sub-folder; the nearest .nbtrack/ upward wins).
root = Path(os.environ.get("JUPYTERLAB_GALATA_ROOT_DIR") or mkdtemp(prefix="nbtrack-galata-"))
(root / ".nbtrack").mkdir(parents=True, exist_ok=True)
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(root)

configure_jupyter_server(c)  # noqa: F821 (c is the config object jupyter provides)
c.ServerApp.allow_root = True  # noqa: F821 (CI runs as root)
c.ServerApp.root_dir = str(root)  # noqa: F821
c.LabApp.news_url = None  # noqa: F821 (no network)
c.ServerApp.log_level = "ERROR"  # noqa: F821 (keep CI logs readable)
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"  # noqa: F821
