"""The environment a run ran in, and keeping secrets out of everything stored.

What does not change within a process (Python, platform, packages, GPU) is
captured once and cached. Environment variables are recorded only by an
allow-list, and never when their name looks secret.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from ..processes import host_name

SECRET_PATTERNS = (
    "*KEY*",
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*AUTH*",
)

DEFAULT_ENV_VARS = (
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONHASHSEED",
    "CONDA_DEFAULT_ENV",
    "VIRTUAL_ENV",
    "SLURM_JOB_ID",
    "JUPYTERHUB_USER",
)

REDACTED = "[redacted]"
# Values shorter than this are too common to redact safely ("1", "true").
_MIN_SECRET_LEN = 6


@functools.lru_cache(maxsize=4096)  # asked for every variable at each run's start
def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_PATTERNS)


def allowed_env_vars(
    extra: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = os.environ if environ is None else environ
    names = list(dict.fromkeys([*DEFAULT_ENV_VARS, *extra]))
    return {n: env[n] for n in names if n in env and not is_secret_name(n)}


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names look secret, and the passwords
    of the store URLs in use (NBTRACK_STORE, `[tool.nbtrack] store`, any store
    this process opened), longest first."""
    from ..store.urls import known_passwords, url_passwords

    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if is_secret_name(k) and len(v) >= _MIN_SECRET_LEN}
    passwords = [*url_passwords(env.get("NBTRACK_STORE", "")), *known_passwords()]
    for password in passwords:
        # A short password is too likely an ordinary word to replace on its own;
        # as a URL's `user:password@` it is always recognisable.
        if len(password) >= _MIN_SECRET_LEN:
            values.add(password)
        values.add(f":{password}@")
    return sorted(values, key=len, reverse=True)


def redact(value: Any, secrets: list[str]) -> Any:
    """A copy of value (str, list, dict, nested) with every secret replaced."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, dict):
        return {redact(k, secrets): redact(v, secrets) for k, v in value.items()}
    return value


def public_text(text: str) -> str:
    """`text` as it may be shown or saved: store URL passwords masked, secret
    values redacted. For error messages that may quote a driver's or a user's text."""
    from ..store.urls import mask_text

    return str(redact(mask_text(text), secret_values()))


@functools.lru_cache(maxsize=1)
def _static_environment() -> dict[str, Any]:
    from .packages import scan

    packages, editable = scan(sys.path)
    return {
        "python": sys.version.split()[0],
        "implementation": implementation_name(),
        "executable": sys.executable,
        "platform": platform_name(),
        "machine": machine_name(),
        "hostname": host_name(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_names(),
        "packages": packages,
        "editable": editable,
    }


# `platform.python_implementation()` of the implementations `sys.implementation` names.
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}


def implementation_name() -> str:
    """`platform.python_implementation()`, without importing platform (a cost every
    cold start paid) for CPython and PyPy."""
    name = _IMPLEMENTATIONS.get(sys.implementation.name)
    if name is None:
        import platform

        return platform.python_implementation()
    return name


def machine_name() -> str:
    """`platform.machine()`: `os.uname()`'s machine where there is `os.uname()`."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def platform_name() -> str:
    """`platform.platform()`, without its cost on Linux: there it runs `uname -p`
    in a subprocess (whose answer it then drops) and reads the whole Python
    executable looking for the C library's version, which `confstr` gives."""
    uname = os.uname() if hasattr(os, "uname") else None
    libc = _confstr("CS_GNU_LIBC_VERSION") if uname and uname.sysname == "Linux" else None
    if uname is None or libc is None or " " not in libc:
        import platform

        return platform.platform()
    libc_name, libc_version = libc.split(" ", 1)
    parts = [uname.sysname, uname.release, uname.machine, "with", libc_name + libc_version]
    return "-".join(p.strip().replace(" ", "_") for p in parts if p.strip())


def _confstr(name: str) -> str | None:
    try:
        return os.confstr(name)
    except (AttributeError, ValueError, OSError):
        return None


# WSL 2 reaches the Windows host's GPU driver through this device, and has no
# /proc/driver/nvidia: there only nvidia-smi names the GPUs.
_WSL_GPU_DEVICE = "/dev/dxg"


def gpu_names(proc_root: str = "/proc/driver/nvidia/gpus") -> list[str]:
    """GPU names: from torch when it is already imported, else from the NVIDIA
    driver's files on Linux (a file read), else (WSL 2, other systems) from
    nvidia-smi (a process that takes a tenth of a second or more: on every cold
    start's critical path)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # noqa: BLE001 - a broken CUDA setup must not fail a run
            return []
    if os.path.isdir(proc_root):
        return nvidia_proc_names(proc_root)
    if sys.platform.startswith("linux") and not os.path.exists(_WSL_GPU_DEVICE):
        # No NVIDIA driver loaded (it would have made proc_root) and not WSL 2:
        # nvidia-smi could only fail. Finding it cost every cold start ~5 ms.
        return []
    import shutil

    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    import subprocess

    try:
        out = subprocess.run(
            [smi, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def nvidia_proc_names(proc_root: str) -> list[str]:
    """The `Model:` of each `<proc_root>/<PCI bus id>/information`, in bus order
    (nvidia-smi's order)."""
    names = []
    for bus in sorted(os.listdir(proc_root)):
        try:
            with open(os.path.join(proc_root, bus, "information"), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model" and value.strip():
                names.append(value.strip())
                break
    return names


def capture_environment(extra_vars: Iterable[str] = ()) -> dict[str, Any]:
    """The run's environment; the static part is computed once per process."""
    env = dict(_static_environment())
    env["env_vars"] = allowed_env_vars(extra_vars)
    return env


def environment_id(env: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()
