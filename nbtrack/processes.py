"""This machine and its processes, as nbtrack needs to know them."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether process `pid` of this machine is running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet is a zombie: dead
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def host_name() -> str:
    """This machine's host name: what `socket.gethostname()` answers, read with
    `os.uname()` where there is one (importing socket costs every cold start)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()
