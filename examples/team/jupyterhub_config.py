"""A JupyterHub sketch for a team sharing one nbtrack store.

Every user's single-user server runs as that user (LocalProcessSpawner, or any
spawner: Docker, Kubernetes, batch). Each server and each kernel it starts get
the environment below, so

- the kernels (`%%track`, `nbtrack.log_artifact`, ...) write runs to the one
  PostgreSQL database and artifacts to the one S3 bucket, and
- the nbtrack server extension (the "Runs" panel) reads the same database, so
  every user sees everyone's runs, each marked with who ran it (the hub user
  name, from JUPYTERHUB_USER).

Secrets are read from the hub's own environment (a systemd EnvironmentFile, a
Kubernetes Secret, ...), never written in this file. Users can read them in
their own environment: give the team a database role and bucket keys of its
own, with rights on nothing else.

Tested as far as one machine allows by tests/test_team_deployment.py: two OS
users, a Jupyter server each, one PostgreSQL and one S3-compatible server.
"""

import os

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.default_url = "/lab"

c.Spawner.environment = {
    # Option A: every folder writes to the team store, no pyproject.toml needed,
    # and the Runs panel reads the same store wherever the server starts.
    # (Option B: leave out these three and put examples/team/pyproject.toml in the
    # team's project folders; a folder without it then keeps a private store.
    # The panel reads the store of the folder the server starts in (its root_dir):
    # start it in the project (c.Spawner.notebook_dir) or pass
    # "--NbtrackServer.store=postgresql+psycopg://..." in c.Spawner.args.)
    "NBTRACK_STORE": "postgresql+psycopg://nbtrack@db.example.org:5432/nbtrack",
    "NBTRACK_ARTIFACTS": "s3://team-artifacts/nbtrack",
    # The S3-compatible endpoint (MinIO, Ceph, ...); leave out for AWS itself.
    "AWS_ENDPOINT_URL_S3": "https://minio.example.org:9000",
    # Secrets: read by libpq and botocore, never part of a URL nbtrack keeps.
    "PGPASSWORD": os.environ["NBTRACK_TEAM_PGPASSWORD"],
    "AWS_ACCESS_KEY_ID": os.environ["NBTRACK_TEAM_S3_KEY"],
    "AWS_SECRET_ACCESS_KEY": os.environ["NBTRACK_TEAM_S3_SECRET"],
}
