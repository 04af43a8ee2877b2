"""Who runs a run, and where: the user and host recorded on every run."""

from __future__ import annotations

import os
from collections.abc import Mapping

HUB_USER_ENV = "JUPYTERHUB_USER"


def run_user(environ: Mapping[str, str] | None = None) -> str | None:
    """The JupyterHub user when the kernel runs under a hub (`JUPYTERHUB_USER`; on a
    hub every kernel may share one OS user), else the OS user; None when neither is
    known (a container whose uid has no passwd entry and no USER/LOGNAME)."""
    env = os.environ if environ is None else environ
    hub = (env.get(HUB_USER_ENV) or "").strip()
    if hub:
        return hub
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
