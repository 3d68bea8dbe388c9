"""The least-privileged PostgreSQL role the portal's web app and worker connect as.

Migrations run as the role that owns the tables (the *owner*). The application itself needs
far less: read and write rows, use sequences and temporary tables. It must not own tables
(an owner may disable triggers), create objects, or change the audit log: on Wagtail's two
log tables it may only SELECT and INSERT. ``app_role_statements`` spells that out as SQL;
``app_role_apply`` runs it as the owner (``manage.py db_app_role``). Run it again after every
``migrate``: tables created later get the default privileges, and the audit log's
restrictions are re-asserted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction

from portal.audit import PROTECTED_LOG_TABLES

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


class RoleSetupError(ValueError):
    """The role cannot be set up as asked; the message says why and what to do."""


@dataclass(frozen=True)
class AppRolePlan:
    """What ``app_role_apply`` will run: the role, the owner granting, and the statements."""

    role: str
    owner: str
    database: str
    statements: list[str]


def _checked_name(name: str, what: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise RoleSetupError(
            f"{what} {name!r} is not a plain PostgreSQL name; use lower-case letters, digits "
            "and underscores, starting with a letter (for example ips_app)."
        )
    return name


def app_role_statements(
    *, role: str, owner: str, database: str, exists: bool, password_sql: str | None = None
) -> list[str]:
    """The SQL that creates (or brings back in line) ``role`` as the application's role.

    ``password_sql`` is the password as an already-quoted SQL literal, or None to leave the
    password as it is (a new role without one can still sign in where the server trusts the
    address). Names must pass ``ROLE_NAME``; RoleSetupError otherwise.
    """
    role = _checked_name(role, "Role")
    owner = _checked_name(owner, "Owner")
    database = _checked_name(database, "Database")
    if role == owner:
        raise RoleSetupError(
            f"The application role must differ from the owner {owner!r}, which runs migrations."
        )
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
    if password_sql is not None:
        attributes += f" PASSWORD {password_sql}"
    log_tables = ", ".join(PROTECTED_LOG_TABLES)
    return [
        f"{'ALTER' if exists else 'CREATE'} ROLE {role} {attributes}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The audit log: read and append, nothing else.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {log_tables} FROM {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def app_role_plan(*, role: str, password: str | None = None) -> AppRolePlan:
    """Read who we are connected as and whether ``role`` exists, and build the statements.

    Must be connected to PostgreSQL as the owner of the portal's tables.
    """
    if connection.vendor != "postgresql":
        raise RoleSetupError(
            "Database roles exist only on PostgreSQL; with SQLite there is no role to set up."
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
    password_sql = None
    if password is not None:
        if not password or "\x00" in password:
            raise RoleSetupError("The password is empty or holds a NUL character.")
        from psycopg import sql

        password_sql = sql.Literal(password).as_string(connection.connection)
    statements = app_role_statements(
        role=role, owner=owner, database=database, exists=exists, password_sql=password_sql
    )
    return AppRolePlan(role=role, owner=owner, database=database, statements=statements)


def app_role_apply(plan: AppRolePlan) -> None:
    """Run the plan's statements in one transaction (all or nothing)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in plan.statements:
            cursor.execute(statement)
