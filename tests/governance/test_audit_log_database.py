"""The audit log at the database level: on PostgreSQL nobody may TRUNCATE it, and the
application's own role (``manage.py db_app_role``) may only read it and append to it."""

from __future__ import annotations

import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from wagtail.models import ModelLogEntry

from portal.audit import AUDIT_LOG_TRUNCATE_SETTING, PROTECTED_LOG_TABLES, audit_record
from portal.database_roles import RoleSetupError, app_role_statements

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers and roles are PostgreSQL's"
)


def test_the_app_role_may_only_read_and_append_to_the_log():
    statements = app_role_statements(role="ips_app", owner="ips", database="ips", exists=False)
    text = "\n".join(statements)
    assert statements[0].startswith("CREATE ROLE ips_app LOGIN NOSUPERUSER")
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON wagtailcore_modellogentry, " in text
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ips_app" in text
    assert "TRUNCATE" not in text.split("REVOKE")[0]


@pytest.mark.parametrize(
    "names",
    [
        {"role": "ips app", "owner": "ips", "database": "ips"},
        {"role": "ips_app;DROP TABLE x", "owner": "ips", "database": "ips"},
        {"role": "ips", "owner": "ips", "database": "ips"},
    ],
)
def test_odd_names_and_the_owner_itself_are_refused(names):
    with pytest.raises(RoleSetupError):
        app_role_statements(**names, exists=True)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's answer")
def test_the_command_says_sqlite_has_no_roles(db):
    with pytest.raises(CommandError, match="only on PostgreSQL"):
        call_command("db_app_role", "ips_app")


@on_postgresql
@pytest.mark.django_db
def test_truncate_is_refused_even_to_a_superuser_who_did_not_opt_in(site_a):
    audit_record(instance=site_a, action="ips.data.publish", user=None)
    for table in PROTECTED_LOG_TABLES:
        with (
            pytest.raises(DatabaseError, match="append-only: TRUNCATE"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # Fire the deferred foreign-key checks of this test's inserts first, so PostgreSQL
            # does not refuse the TRUNCATE for them before the trigger is asked.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {table}")
    assert ModelLogEntry.objects.filter(object_id=str(site_a.pk)).exists()


@pytest.fixture
def app_connection(transactional_db):
    """A real connection as a fresh application role made by ``db_app_role``; the role is
    dropped afterwards (roles are shared by every database of the server)."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    role = f"ips_app_test_{secrets.token_hex(4)}"
    call_command("db_app_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    app = DatabaseWrapper({**connection.settings_dict, "USER": role, "PASSWORD": ""}, "app_role")
    try:
        yield app
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def _refused(app, statement: str, params=None, match: str = "") -> None:
    with pytest.raises(DatabaseError, match=match), app.cursor() as cursor:
        cursor.execute(statement, params)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_apps_connection_cannot_change_or_empty_the_log(app_connection, site_a):
    entry = audit_record(instance=site_a, action="ips.data.publish", user=None)
    table = ModelLogEntry._meta.db_table
    columns = ", ".join(f.column for f in ModelLogEntry._meta.concrete_fields if not f.primary_key)
    with app_connection.cursor() as cursor:
        # Reading, appending and ordinary rows elsewhere work.
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = %s",
            [entry.pk],
        )
        cursor.execute("UPDATE portal_granteesite SET name = name WHERE id = %s", [site_a.pk])
    denied = "permission denied"
    _refused(app_connection, f"UPDATE {table} SET data = '{{}}' WHERE id = %s", [entry.pk], denied)
    _refused(app_connection, f"DELETE FROM {table} WHERE id = %s", [entry.pk], denied)
    for log_table in PROTECTED_LOG_TABLES:
        _refused(app_connection, f"TRUNCATE {log_table}", match=denied)
        _refused(app_connection, f"ALTER TABLE {log_table} DISABLE TRIGGER ALL", match="owner")
    # The maintenance opt-in is a superuser's: even given TRUNCATE, a role that sets it is
    # still refused, by the trigger this time.
    role = app_connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON {table} TO {role}")
    app_connection.set_autocommit(False)
    try:
        with app_connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {AUDIT_LOG_TRUNCATE_SETTING} = 'allow'")
        _refused(app_connection, f"TRUNCATE {table}", match="append-only: TRUNCATE")
    finally:
        app_connection.rollback()
        app_connection.set_autocommit(True)
    _refused(app_connection, "SET session_replication_role = replica", match=denied)
    assert ModelLogEntry.objects.filter(pk=entry.pk, data=entry.data).exists()
    assert ModelLogEntry.objects.filter(object_id=str(site_a.pk)).count() == 2
