"""Binder: `binder/` launches JupyterLab with nbtrack and the example notebooks ready.

The quick tests read the two files. The slow ones do what repo2docker does on
mybinder.org, short of conda and Docker: a fresh clone of the work tree (with
its uncommitted changes) that is also $HOME, as the repository is on Binder; a
fresh virtual environment standing in for the conda environment of
`binder/environment.yml`; `./binder/postBuild` run from the repository root.
Then, in that environment: the extension lists, the quickstart notebook, and a
real `jupyter lab` serving the lab page, the runs API and the notebooks.

The install (the wheel build runs `jlpm install` and the production build) is
most of the time: two to four minutes here, depending on the machine's load.
It uses a copy of the work tree's Yarn cache when there is one, as pip uses
the machine's package indexes, and pip does not compile every installed
module's bytecode up front (Python does it at first import).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
ENVIRONMENT_YML = REPO / "binder" / "environment.yml"
POSTBUILD = REPO / "binder" / "postBuild"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# How repo2docker's conda buildpack reads the Python version (then it keeps X.Y).
R2D_PYTHON = re.compile(r"python\s*=+\s*([\d.]*)")
LAB_START_TIMEOUT = 60
# A Yarn cache archive named by its checksum's first 10 hex digits.
CHECKSUM_NAME = re.compile(r"(.+)-[0-9a-f]{10}\.zip")


# ---------------------------------------------------------------- the files


def test_environment_yml_brings_python_nodejs_and_pip_from_conda_forge() -> None:
    env = yaml.safe_load(ENVIRONMENT_YML.read_text())
    assert "conda-forge" in env["channels"]
    deps = [d for d in env["dependencies"] if isinstance(d, str)]

    pins = [m.group(1) for d in deps if (m := R2D_PYTHON.match(d))]
    assert len(pins) == 1, f"one `python=X.Y` pin that repo2docker can read, got {deps}"
    python = ".".join(pins[0].split(".")[:2])
    assert re.fullmatch(r"3\.\d+", python), pins[0]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    assert requires.contains(python), f"python={python} is outside requires-python {requires}"

    # The wheel build runs jlpm (Yarn on Node) to build the JupyterLab extension.
    nodes = [d for d in deps if re.match(r"nodejs\b", d)]
    assert len(nodes) == 1, deps
    node = re.fullmatch(r"nodejs\s*(>=|==?)\s*(\d+)(\.[\d.*]*)?", nodes[0])
    assert node and int(node.group(2)) >= 20, f"nodejs must be pinned to 20 or newer: {nodes[0]}"

    assert "pip" in deps


def test_postbuild_is_a_bash_script_that_stops_at_the_first_failure() -> None:
    text = POSTBUILD.read_text()
    assert text.splitlines()[0] in ("#!/bin/bash", "#!/usr/bin/env bash")
    assert os.access(POSTBUILD, os.X_OK)
    staged = _git(REPO, "ls-files", "--stage", "binder/postBuild")
    if staged:  # the mode a clone gets
        assert staged.startswith("100755"), staged
    # Otherwise a failed install would still give an image, one without nbtrack.
    assert re.search(r"^set -euo pipefail$", text, re.M)
    subprocess.run(["bash", "-n", str(POSTBUILD)], check=True)


# ------------------------------------------- the install, as Binder runs it


@dataclass
class Binder:
    home: Path  # the repository, which is also $HOME, as on mybinder.org
    venv: Path
    env: dict[str, str]
    status_before: str
    status_after: str

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Binder:
    tmp = tmp_path_factory.mktemp("binder")
    home, venv = tmp / "home", tmp / "venv"
    _clone_work_tree(home)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = _binder_env(home, venv)
    dev_yarn_cache = REPO / "labextension" / ".yarn" / "cache"
    if dev_yarn_cache.is_dir():
        # Warm, so jlpm downloads nothing (a copy: the work tree stays as it is). It
        # also means this run cannot show where Yarn would keep downloads; postBuild's
        # YARN_ENABLE_MIRROR=false keeps them out of $HOME on Binder.
        _copy_yarn_cache(dev_yarn_cache, tmp / "yarn-cache")
        env["YARN_CACHE_FOLDER"] = str(tmp / "yarn-cache")
    # Bytecode is compiled as modules are first imported, not for every file of
    # the ~110 packages at install: the same environment, a shorter install.
    env["PIP_NO_COMPILE"] = "1"

    status_before = _status(home)
    log = tmp / "postBuild.log"
    with log.open("w") as out:
        # As repo2docker's Dockerfile does: `RUN ./binder/postBuild` in the repository root.
        done = subprocess.run(
            ["./binder/postBuild"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # A guard against a hang, not a speed bound: the install builds the
            # extension (~8 min on a quiet 2-core machine; over 15 at load 9).
            timeout=3600,
        )
    if done.returncode != 0:
        pytest.fail(f"binder/postBuild failed ({done.returncode}):\n{log.read_text()[-4000:]}")
    return Binder(home, venv, env, status_before, _status(home))


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _clone_work_tree(dest: Path) -> None:
    """A clone of the repository plus the work tree's uncommitted changes: what a
    fresh clone would hold once they are committed, and nothing that is ignored."""
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    changed = _git(REPO, "ls-files", "-z", "--modified", "--others", "--exclude-standard")
    for rel in filter(None, changed.split("\0")):
        src, dst = REPO / rel, dest / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        else:  # deleted in the work tree
            dst.unlink(missing_ok=True)


def _copy_yarn_cache(src: Path, dest: Path) -> None:
    """The dev cache, under the names postBuild's Yarn looks for. The dev install
    keeps a mirror, so its cache names archives by checksum (`<package>-<10 hex>.zip`);
    without a mirror (YARN_ENABLE_MIRROR=false) Yarn reads `<package>-<cacheKey>.zip`,
    the same archive, and would fetch every package anew from the registry."""
    lock = (src.parent.parent / "yarn.lock").read_text()
    cache_key = re.search(r"^  cacheKey: (\S+)$", lock, re.M)
    dest.mkdir()
    for archive in src.glob("*.zip"):
        named = CHECKSUM_NAME.fullmatch(archive.name)
        name = f"{named.group(1)}-{cache_key.group(1)}.zip" if named and cache_key else archive.name
        shutil.copy2(archive, dest / name)


def _binder_env(home: Path, venv: Path) -> dict[str, str]:
    """This process's environment with the venv first on PATH and $HOME at the
    repository, less what would point Python or Jupyter at the dev environment."""
    dropped = ("PYTHON", "JUPYTER", "JPY_", "IPYTHON", "NBTRACK_", "VIRTUAL_ENV", "CONDA", "XDG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    # pip asks `rustc --version` for its user agent; where rustup's proxies are on
    # PATH they keep their state in the real home, not in the repository.
    for var, folder in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
        if var not in env and (Path.home() / folder).is_dir():
            env[var] = str(Path.home() / folder)
    env.update(
        HOME=str(home),
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def _status(home: Path) -> str:
    return _git(home, "status", "--porcelain", "--ignored", "--untracked-files=all")


@pytest.mark.slow
def test_postbuild_leaves_the_checkout_as_it_was_cloned(binder: Binder) -> None:
    # Binder users see the repository in the file browser and in `git status`;
    # the Node build tree alone is ~600 MB the image would carry.
    assert binder.status_after == binder.status_before
    assert not (binder.home / "labextension" / "node_modules").exists()


@pytest.mark.slow
def test_lab_and_server_extensions_are_enabled_and_ok(binder: Binder) -> None:
    lab = binder.run("jupyter", "labextension", "list")
    lab_list = ANSI.sub("", lab.stdout + lab.stderr)
    assert lab.returncode == 0, lab_list
    assert re.search(r"^\s*nbtrack v[0-9][0-9.]* enabled OK", lab_list, re.M), lab_list

    server = binder.run("jupyter", "server", "extension", "list")
    server_list = ANSI.sub("", server.stdout + server.stderr)
    assert server.returncode == 0, server_list
    assert re.search(r"^\s*nbtrack enabled", server_list, re.M), server_list
    assert re.search(r"^\s*nbtrack [0-9][0-9.]* OK", server_list, re.M), server_list


@pytest.fixture(scope="module")
def quickstart(binder: Binder) -> subprocess.CompletedProcess[str]:
    """The quickstart notebook executed headless in the Binder environment (its
    runs go to the store at the repository root), as a Binder user would run it."""
    python = str(binder.venv / "bin" / "python")
    return binder.run(python, "example_notebooks/run.py", "quickstart.ipynb", timeout=600)


@pytest.mark.slow
def test_quickstart_runs_in_the_binder_environment(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    assert quickstart.returncode == 0, f"{quickstart.stdout[-3000:]}\n{quickstart.stderr[-3000:]}"


# ----------------------------------------------------- a real `jupyter lab`


@dataclass
class Lab:
    url: str  # ends with "/"
    token: str

    def get(self, path: str, *, header: bool = True) -> tuple[int, str, bytes]:
        """GET `path`: status, content type, body. The token goes in the
        Authorization header unless `header` is false (then put it in `path`)."""
        request = urllib.request.Request(self.url + path)
        if header:
            request.add_header("Authorization", f"token {self.token}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Content-Type", ""), err.read()


@pytest.fixture(scope="module")
def lab(binder: Binder, quickstart: subprocess.CompletedProcess[str]) -> Iterator[Lab]:
    """`jupyter lab` in the Binder environment, rooted at the repository (as on
    mybinder.org), started after the quickstart has made its runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    lab = Lab(f"http://127.0.0.1:{port}/", secrets.token_hex(16))
    command = [
        str(binder.venv / "bin" / "jupyter"),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={lab.token}",
        f"--ServerApp.root_dir={binder.home}",
    ]
    if os.geteuid() == 0:  # Binder's user is not root; this machine's is
        command.append("--allow-root")
    log_path = binder.home.parent / "lab.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=binder.home, env=binder.env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(lab, server, log_path)
            yield lab
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)


def _wait_until_up(lab: Lab, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited ({server.returncode}):\n{log_path.read_text()}")
        try:
            if lab.get("api/status")[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.5)
    pytest.fail(f"jupyter lab not up after {LAB_START_TIMEOUT} s:\n{log_path.read_text()}")


@pytest.mark.slow
def test_lab_page_loads_the_nbtrack_extension(lab: Lab) -> None:
    status, _, body = lab.get(f"lab?token={lab.token}", header=False)
    assert status == 200
    page = body.decode()
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, page[:2000]
    federated = {ext["name"]: ext for ext in json.loads(found.group(1))["federated_extensions"]}
    assert "nbtrack" in federated, sorted(federated)
    # The browser then fetches the extension's code from here.
    status, _, _ = lab.get(f"lab/extensions/nbtrack/{federated['nbtrack']['load']}")
    assert status == 200


@pytest.mark.slow
def test_runs_api_lists_the_quickstart_runs(lab: Lab) -> None:
    status, content_type, body = lab.get("nbtrack/api/runs")
    assert status == 200, body[:2000]
    assert content_type.startswith("application/json")
    runs = json.loads(body)["runs"]
    # The notebooks and the Runs panel use one store: .nbtrack/ at the repository root.
    quickstart = [r for r in runs if r["notebook"] == "example_notebooks/quickstart.ipynb"]
    assert quickstart and all(r["status"] == "finished" for r in quickstart), runs


@pytest.mark.slow
def test_file_browser_lists_the_example_notebooks(lab: Lab) -> None:
    status, _, body = lab.get("api/contents/example_notebooks")
    assert status == 200, body[:2000]
    names = {item["name"] for item in json.loads(body)["content"]}
    assert "quickstart.ipynb" in names, names
