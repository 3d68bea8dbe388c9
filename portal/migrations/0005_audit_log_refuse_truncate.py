"""Refuse TRUNCATE on Wagtail's audit log tables on PostgreSQL.

Row triggers (``0003_audit_log_append_only``) do not fire for TRUNCATE, which empties a table
in one statement; a statement trigger ``BEFORE TRUNCATE`` refuses it. One way through is
left for maintenance, such as the test suite clearing its database between transactional
tests: a *superuser* session that first sets ``portal.audit_log_truncate`` to ``allow``. The
application's own role is not a superuser (see ``portal.database_roles``), so it cannot use
it, whatever it sets. SQLite has no triggers of this kind; there the admin and the ORM are
what refuse changes.
"""

from django.db import migrations

from portal.audit import AUDIT_LOG_TRUNCATE_SETTING, PROTECTED_LOG_TABLES

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION portal_audit_log_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('{AUDIT_LOG_TRUNCATE_SETTING}', true) = 'allow'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: TRUNCATE on % is refused.', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _trigger_name(table: str) -> str:
    return f"{table}_no_truncate"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION_SQL, params=None)
    for table in PROTECTED_LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table)} ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {_trigger_name(table)} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_log_refuse_truncate();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PROTECTED_LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table)} ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_audit_log_refuse_truncate();")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_grantee_site_media_collection"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
