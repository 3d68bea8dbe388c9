"""A throwaway database for one benchmark run, on SQLite or PostgreSQL.

Benchmarks never touch the developer's database: PostgreSQL runs get a database of their
own (created next to the one ``DATABASE_URL`` names, dropped afterwards), SQLite runs a file
in a temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def bench_database_create(name: str, *, postgres_url: str | None) -> str:
    """Point Django at a fresh database called ``name``, migrate it and return its label."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    if postgres_url:
        import psycopg

        base, _, _ = postgres_url.rpartition("/")
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        label = "PostgreSQL"
    else:
        path = Path(tempfile.mkdtemp()) / f"{name}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        label = "SQLite"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return label


def bench_database_drop(name: str, *, postgres_url: str | None) -> None:
    """Drop the PostgreSQL database a run created (SQLite files go with their temp folder)."""
    if not postgres_url:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
