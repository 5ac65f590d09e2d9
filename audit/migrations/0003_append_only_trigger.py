"""On PostgreSQL the database itself keeps the audit log append-only: a trigger refuses
every UPDATE of ``audit_auditentry`` and every DELETE except inside a transaction where the
retention purge has set ``SET LOCAL qinglian.audit_purge = 'on'``. (TRUNCATE, which only
the table owner may run, is not covered: the test runner empties tables with it.)
Other databases rely on the chain and ``verify_audit_log``."""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION qinglian_audit_entry_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('qinglian.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    """
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION qinglian_audit_entry_guard()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS qinglian_audit_entry_guard()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_head"),
    ]

    operations = [
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
