"""A team deployment, as far as one machine allows (issue 17 item 6).

Two OS users, one PostgreSQL database and one S3-compatible server (moto, a
separate process). Each user runs a tracked notebook as themselves in their own
project folder, then starts a Jupyter server of their own with the nbtrack
server extension; each server must list both users' runs, each marked with who
ran it, and an artifact logged by alice must be usable by bob.

The example is what runs: bob has no settings file and gets the environment
that `examples/team/jupyterhub_config.py` gives every user's server (loaded as
JupyterHub loads it, this machine's hosts put in); alice's folder holds
`examples/team/pyproject.toml` and gets only the secrets from that environment.
Neither file holds a secret: PostgreSQL's password comes from PGPASSWORD, the
S3 keys from AWS_*.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from s3_server import free_port, moto_server

import nbtrack

PG_URL = os.environ.get("NBTRACK_TEST_PG_URL")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "team"
EXAMPLE_STORE = "postgresql+psycopg://nbtrack@db.example.org:5432/nbtrack"
EXAMPLE_BUCKET = "s3://team-artifacts/nbtrack"
EXAMPLE_ENDPOINT = "https://minio.example.org:9000"
S3_KEY, S3_SECRET = "team-key", "team-secret-" + secrets.token_hex(6)
# What the example's settings name, and the names of the hub's own secrets.
SPAWNER_SETTINGS = ("NBTRACK_STORE", "NBTRACK_ARTIFACTS", "AWS_ENDPOINT_URL_S3")
HUB_SECRETS = ("NBTRACK_TEAM_PGPASSWORD", "NBTRACK_TEAM_S3_KEY", "NBTRACK_TEAM_S3_SECRET")
WAIT = 180.0  # seconds: generous, the machine is shared

# Run as a user: execute a notebook the way Jupyter would (the kernel starts in
# the notebook's folder and is told its path), then save the executed notebook.
DRIVER = """\
import os, sys
import nbformat
from nbclient import NotebookClient

path = os.path.abspath(sys.argv[1])
os.environ["JPY_SESSION_NAME"] = path
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=300, resources={"metadata": {"path": os.path.dirname(path)}}).execute()
nbformat.write(nb, path)
"""

SERVER_CONFIG = 'c.ServerApp.jpserver_extensions = {"nbtrack": True}\n'

ALICE_CELL = """%%track --name alice-baseline
from pathlib import Path
Path("vocab.txt").write_text("alpha\\nbeta\\n")
nbtrack.log_artifact("vocab.txt", name="team-vocab")
for step in range(20):
    nbtrack.log(loss=1 / (step + 1))"""

BOB_CELL = """%%track --name bob-finetune
words = nbtrack.use_artifact("team-vocab:v1").read_text().split()
print("bob read", words)
for step in range(10):
    nbtrack.log(loss=len(words) / (step + 1))"""


def hub_environment(pg_password: str, s3_key: str, s3_secret: str) -> dict[str, str]:
    """`c.Spawner.environment` of examples/team/jupyterhub_config.py, loaded as
    JupyterHub loads it, with the hub's secrets in the hub's environment."""
    from unittest import mock

    from traitlets.config import Config

    config = Config()
    hub_env = dict(zip(HUB_SECRETS, (pg_password, s3_key, s3_secret), strict=True))
    source = (EXAMPLE / "jupyterhub_config.py").read_text()
    with mock.patch.dict(os.environ, hub_env):
        exec(compile(source, "jupyterhub_config.py", "exec"), {"get_config": lambda: config})
    return dict(config.Spawner.environment)


def test_the_hub_config_hands_secrets_from_the_hubs_environment() -> None:
    env = hub_environment("pg-secret-1", "key-1", "s3-secret-1")
    assert env["PGPASSWORD"] == "pg-secret-1"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("key-1", "s3-secret-1")
    assert env["NBTRACK_STORE"] == EXAMPLE_STORE  # no password in the URL
    assert (env["NBTRACK_ARTIFACTS"], env["AWS_ENDPOINT_URL_S3"]) == (
        EXAMPLE_BUCKET,
        EXAMPLE_ENDPOINT,
    )
    text = (EXAMPLE / "jupyterhub_config.py").read_text() + (EXAMPLE / "pyproject.toml").read_text()
    assert "secret-1" not in text and "PASSWORD '" not in text


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def token() -> str:
    """Names no other pytest-xdist worker (or left-over run) uses."""
    return os.environ.get("PYTEST_XDIST_WORKER", "gw") + secrets.token_hex(3)


@pytest.fixture(scope="module")
def team_dir() -> Iterator[Path]:
    """A folder every user can traverse (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-team-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class User:
    name: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.home / "project"

    def command(self, *argv: str) -> list[str]:
        return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", self.name, "--", *argv]


@pytest.fixture(scope="module")
def users(token: str, team_dir: Path) -> Iterator[list[User]]:
    if os.geteuid() != 0:
        pytest.skip("creating OS users needs root (useradd)")
    if shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("useradd/runuser are not installed")
    made: list[User] = []
    try:
        for who in ("alice", "bob"):
            name = f"nbt_{who}_{token}"[:32]
            home = team_dir / who
            done = subprocess.run(
                ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh", name],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                pytest.skip(f"cannot create OS user {name}: {done.stderr.strip()}")
            user = User(name, home)
            made.append(user)
            home.chmod(0o700)  # private homes, whatever useradd's default
            subprocess.run(user.command("mkdir", str(user.project)), check=True)
        yield made
    finally:
        for user in made:
            subprocess.run(["userdel", "--force", user.name], capture_output=True)


def _imports_as(user: User, python: str, pythonpath: str) -> bool:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": pythonpath, "HOME": str(user.home)}
    check = "import nbtrack, nbclient, jupyter_server, ipykernel, psycopg, s3fs"
    done = subprocess.run(
        user.command(python, "-c", check), env=env, capture_output=True, cwd=user.home
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def python(users: list[User], team_dir: Path) -> tuple[str, str]:
    """(an interpreter the users may run with nbtrack and its dependencies, its
    PYTHONPATH). This interpreter if they can reach it; else (e.g. a venv under a
    private /root) a venv of the system's Python of the same version that reads
    this environment's site-packages, as a shared JupyterHub environment would."""
    source = str(Path(nbtrack.__file__).resolve().parents[1])
    if _imports_as(users[0], sys.executable, source):
        return sys.executable, source
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.exists():
        pytest.skip(f"the test users cannot run {sys.executable} and there is no {system}")
    venv = team_dir / "venv"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / system.name / "site-packages"
    (site / "shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
    shared = str(venv / "bin" / "python")
    if not _imports_as(users[0], shared, source):
        pytest.skip(f"the test users can run neither {sys.executable} nor {system} with nbtrack")
    return shared, source


@dataclass(frozen=True)
class TeamDatabase:
    url: str  # no password in it
    password: str
    admin_url: str  # the test's own (socket) login to the team database


@pytest.fixture(scope="module")
def team_db(token: str) -> Iterator[TeamDatabase]:
    """The team's role and database (`<test db>_team_<token>`), over TCP with a password."""
    if not PG_URL:
        pytest.skip("needs NBTRACK_TEST_PG_URL (a PostgreSQL the test may create databases in)")
    import sqlalchemy as sa

    admin_url = sa.make_url(PG_URL)
    name = f"{admin_url.database}_team_{token}"[:63]
    password = "team-pw-" + secrets.token_hex(8)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        port = conn.exec_driver_sql("SHOW port").scalar()
    try:
        yield TeamDatabase(
            f"postgresql+psycopg://{name}@127.0.0.1:{port}/{name}",
            password,
            admin_url.set(database=name).render_as_string(hide_password=False),
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(scope="module")
def s3(token: str) -> Iterator[tuple[str, str]]:
    """(endpoint URL, bucket) of an S3-compatible server process (moto)."""
    bucket = f"team-{token}"
    with moto_server(bucket) as endpoint:
        yield endpoint, bucket


def _notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


def _outputs(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def team(
    users: list[User],
    python: tuple[str, str],
    team_db: TeamDatabase,
    s3: tuple[str, str],
    team_dir: Path,
) -> list[User]:
    """alice and bob, each with a project folder and the environment a hub's
    spawner would give their servers."""
    interpreter, pythonpath = python
    endpoint, bucket = s3
    alice, bob = users
    bucket_url = f"s3://{bucket}/nbtrack"
    here = {EXAMPLE_STORE: team_db.url, EXAMPLE_BUCKET: bucket_url, EXAMPLE_ENDPOINT: endpoint}
    spawner = {
        key: here.get(value, value)
        for key, value in hub_environment(team_db.password, S3_KEY, S3_SECRET).items()
    }
    base = {"PATH": f"{Path(interpreter).parent}:/usr/bin:/bin", "PYTHONPATH": pythonpath}
    # bob: the hub config's environment as it is (option A): no settings file.
    bob.env = {**base, "HOME": str(bob.home), **spawner}
    # alice: option B, the example's pyproject.toml with this machine's hosts put in,
    # and only the secrets from the spawner's environment.
    settings = (EXAMPLE / "pyproject.toml").read_text()
    for example, value in here.items():
        assert example in settings, f"examples/team/pyproject.toml no longer names {example}"
        settings = settings.replace(example, value)
    (alice.project / "pyproject.toml").write_text(settings)
    secrets_only = {k: v for k, v in spawner.items() if k not in SPAWNER_SETTINGS}
    alice.env = {**base, "HOME": str(alice.home), **secrets_only}
    (team_dir / "run_notebook.py").write_text(DRIVER)
    (team_dir / "jupyter_server_config.py").write_text(SERVER_CONFIG)
    for path in (team_dir / "run_notebook.py", team_dir / "jupyter_server_config.py"):
        path.chmod(0o644)
    return [alice, bob]


def _run_notebook_as(user: User, name: str, cells: list[str], team_dir: Path) -> Path:
    path = user.project / name
    _notebook(path, cells)
    shutil.chown(path, user.name)
    done = subprocess.run(
        user.command("python", str(team_dir / "run_notebook.py"), str(path)),
        env=user.env,
        cwd=user.project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{user.name}'s notebook failed:\n{done.stderr[-4000:]}"
    return path


@dataclass
class Server:
    user: User
    port: int
    token: str

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())


@pytest.fixture(scope="module")
def servers(team: list[User], team_dir: Path) -> Iterator[list[Server]]:
    started: list[tuple[Server, subprocess.Popen[bytes]]] = []
    try:
        for user in team:
            server = Server(user, free_port(), secrets.token_hex(16))
            argv = [
                "python", "-m", "jupyter_server",
                f"--config={team_dir / 'jupyter_server_config.py'}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={server.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={server.token}",
                f"--ServerApp.root_dir={user.project}",
                "--ServerApp.open_browser=False",
            ]  # fmt: skip
            log = open(team_dir / f"{user.name}-server.log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(
                user.command(*argv), env=user.env, cwd=user.project, stdout=log, stderr=log
            )
            started.append((server, proc))
            _wait_for_port(server.port, proc, f"{user.name}'s Jupyter server")
        yield [server for server, _ in started]
    finally:
        for _, proc in started:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def notebooks(team: list[User], team_dir: Path) -> dict[str, Path]:
    alice, bob = team
    first = _run_notebook_as(alice, "train.ipynb", ["%load_ext nbtrack", ALICE_CELL], team_dir)
    second = _run_notebook_as(bob, "finetune.ipynb", ["%load_ext nbtrack", BOB_CELL], team_dir)
    return {"alice": first, "bob": second}


def _check_each_server_lists_both_users_runs(team: list[User], servers: list[Server]) -> None:
    alice, bob = team
    for server in servers:
        listed = server.get("/nbtrack/api/runs?limit=50")
        who = {run["name"]: run["user"] for run in listed["runs"]}
        assert who == {"alice-baseline": alice.name, "bob-finetune": bob.name}, server.user.name
        assert all(run["status"] == "finished" for run in listed["runs"])
        assert set(listed["metrics"]) >= {"loss"}


def _check_bob_used_the_artifact_alice_logged(
    team: list[User], notebooks: dict[str, Path], servers: list[Server]
) -> None:
    alice, bob = team
    assert "bob read ['alpha', 'beta']" in _outputs(notebooks["bob"])
    # The files came from the bucket: bob cannot read alice's folder at all.
    peek = subprocess.run(bob.command("cat", str(alice.project / "vocab.txt")), capture_output=True)
    assert peek.returncode != 0
    # Both servers show alice's artifact as the input of bob's run, made by alice's.
    for server in servers:
        refs = {r["name"]: r["ref"] for r in server.get("/nbtrack/api/runs?limit=50")["runs"]}
        quoted = urllib.parse.quote(refs["bob-finetune"], safe="")
        edges = server.get(f"/nbtrack/api/runs/{quoted}/artifacts")
        inputs = [(v["ref"], v["made_by"]) for v in edges["inputs"]]
        assert inputs == [("team-vocab:v1", refs["alice-baseline"])], server.user.name


def _check_no_secret_lands_anywhere(team: list[User], db: TeamDatabase) -> None:
    """Not in the users' folders (settings, notebooks, .nbtrack/), not in the store."""
    import sqlalchemy as sa

    password = db.password
    engine = sa.create_engine(db.admin_url)
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ).scalars()
        stored = [
            text
            for table in list(tables)
            for text in conn.exec_driver_sql(f'SELECT t::text FROM "{table}" t').scalars()
        ]
    engine.dispose()
    assert any("alice-baseline" in text for text in stored)  # the store was read
    assert not [text for text in stored if password in text or S3_SECRET in text]
    for user in team:
        for path in user.project.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert password.encode() not in data, path
                assert S3_SECRET.encode() not in data, path


@pytest.mark.slow
def test_two_users_share_one_store_and_one_bucket(
    team: list[User],
    team_db: TeamDatabase,
    notebooks: dict[str, Path],
    servers: list[Server],
) -> None:
    """One test, so that pytest-xdist never builds the whole team twice."""
    _check_each_server_lists_both_users_runs(team, servers)
    _check_bob_used_the_artifact_alice_logged(team, notebooks, servers)
    _check_no_secret_lands_anywhere(team, team_db)
