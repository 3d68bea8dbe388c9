"""Make Wagtail's audit log tables append-only on PostgreSQL.

A trigger refuses every UPDATE and DELETE on the model and page log tables, for every
database role the application connects as; entries can only be added. (Wagtail itself never
edits an entry: a deleted object gets a new entry with ``deleted`` set.) SQLite, used for
development and the quick test run, has no such guard; the application never edits entries
either way.
"""

from django.db import migrations

from portal.audit import PROTECTED_LOG_TABLES

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_log_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _trigger_name(table: str) -> str:
    return f"{table}_append_only"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION_SQL, params=None)
    for table in PROTECTED_LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table)} ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER {_trigger_name(table)} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portal_audit_log_refuse_change();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PROTECTED_LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table)} ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_audit_log_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_apitoken"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
