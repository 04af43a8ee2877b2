"""Where the store lives: project root discovery and the store URL.

Rules (DESIGN.md, "Store"): start from the notebook's folder (else the current
directory); the project root is the nearest folder from there upward holding
`.nbtrack/`, searching no higher than the git top level; else the git top
level; else the start folder. `NBTRACK_STORE` (an SQLAlchemy URL) overrides all
of it, then `[tool.nbtrack] store = ...` in the project's `pyproject.toml`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from .errors import NbtrackError

STORE_DIRNAME = ".nbtrack"
DB_FILENAME = "nbtrack.db"


def ignore_in_git(folder: Path) -> None:
    """Give nbtrack's own `.nbtrack/` folder a .gitignore of everything in it, so
    nothing nbtrack keeps there ever shows in `git status`."""
    (folder / ".gitignore").write_text("# created by nbtrack\n*\n", encoding="utf-8")


def private_folder(root: Path, *parts: str) -> Path:
    """`<root>/.nbtrack/<parts...>`, created (and `.nbtrack/` ignored by git) if need be."""
    base = root / STORE_DIRNAME
    if not base.is_dir():
        base.mkdir(parents=True, exist_ok=True)
        ignore_in_git(base)
    folder = base.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def find_git_toplevel(start: Path) -> Path | None:
    """The top folder of the git work tree holding `start`, found without running git."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def find_project_root(start: Path) -> Path:
    start = start.resolve()
    top = find_git_toplevel(start)
    for folder in (start, *start.parents):
        if (folder / STORE_DIRNAME).is_dir():
            return folder
        if top is not None and folder == top:
            break
    return top if top is not None else start


def read_project_settings(root: Path) -> dict[str, Any]:
    """The `[tool.nbtrack]` table of `<root>/pyproject.toml`, or {}."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NbtrackError(f"cannot read [tool.nbtrack] from {path}: {exc}; fix the file") from exc
    tool = data.get("tool", {})
    settings = tool.get("nbtrack", {}) if isinstance(tool, dict) else None
    if not isinstance(settings, dict):
        raise NbtrackError(f"[tool.nbtrack] in {path} must be a table")
    return settings


class Project(NamedTuple):
    """A project: its root folder, its store and its `[tool.nbtrack]` settings.
    (Value types on the cold path are NamedTuples, not dataclasses: importing
    dataclasses loads inspect and ast, a cost every process's first point paid.)"""

    root: Path
    store_url: str
    settings: dict[str, Any]


def resolve_project(start: Path | None = None, environ: dict[str, str] | None = None) -> Project:
    env = os.environ if environ is None else environ
    root = find_project_root(Path.cwd() if start is None else start)
    settings = read_project_settings(root)
    url = env.get("NBTRACK_STORE") or settings.get("store")
    if url is not None and not isinstance(url, str):
        where = root / "pyproject.toml"
        raise NbtrackError(f"[tool.nbtrack] store in {where} must be a URL string")
    if url:
        from .store.urls import remember_password

        remember_password(url)  # a secret from now on: redacted from all nbtrack saves
    if not url:
        url = "sqlite:///" + str(root / STORE_DIRNAME / DB_FILENAME)
    elif url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url[len("sqlite:///") :]
        if relative and relative != ":memory:" and not Path(relative).is_absolute():
            url = "sqlite:///" + str(root / relative)
    return Project(root=root, store_url=str(url), settings=settings)
