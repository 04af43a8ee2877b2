"""A PostgreSQL role that logs in with a password over TCP, as team stores do.

The role's tables live in a schema of its own (its search path), emptied each
time a test asks for the URL, so they never mix with the
socket-authenticated test store in the same database.
"""

from __future__ import annotations

import os
import secrets
import socket

PG_URL = os.environ.get("NBTRACK_TEST_PG_URL")


def password_url() -> tuple[str, str]:
    """(a `postgresql+psycopg://role:PASSWORD@127.0.0.1:PORT/db` URL, its password)."""
    import sqlalchemy as sa

    assert PG_URL, "needs NBTRACK_TEST_PG_URL"
    admin = sa.make_url(PG_URL)
    role = f"nbtrack_pw_{admin.database}"[:63]
    password = "pw-" + secrets.token_hex(10)
    engine = sa.create_engine(admin)
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if exists.first() is None:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f"ALTER ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{role}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{role}" AUTHORIZATION "{role}"')
        # Only its own schema: never the socket test store's tables in `public`.
        conn.exec_driver_sql(f'ALTER ROLE "{role}" SET search_path = "{role}"')
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{admin.database}" TO "{role}"')
        port = conn.exec_driver_sql("SHOW port").scalar()
    engine.dispose()
    url = f"postgresql+psycopg://{role}:{password}@127.0.0.1:{port}/{admin.database}"
    return url, password


def dead_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
