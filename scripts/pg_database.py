"""Create or drop a PostgreSQL database for a CI run: ``pg_database.py create|drop NAME``.

Uses psycopg (already a dependency) so CI does not need the psql client.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql


def main(action: str, name: str) -> None:
    dsn = (
        f"host={os.environ.get('PGHOST', '127.0.0.1')} port={os.environ.get('PGPORT', '5432')} "
        f"user={os.environ.get('PGUSER', 'postgres')} dbname=postgres"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        # pytest-django creates test_<name>; drop it too so no run inherits another's tables.
        for database in (name, f"test_{name}"):
            conn.execute(drop.format(sql.Identifier(database)))
        if action == "create":
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"{'created' if action == 'create' else 'dropped'} database {name}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in {"create", "drop"}:
        sys.exit("usage: pg_database.py create|drop NAME")
    main(sys.argv[1], sys.argv[2])
