"""On PostgreSQL the database itself keeps signed pledges immutable: a trigger refuses every
UPDATE and DELETE of ``talks_pledgesignature`` (the model's ``save()``/``delete()`` refuse
too, on every database). TRUNCATE, which only the table owner may run, is not covered:
the test runner empties tables with it."""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION qinglian_pledge_signature_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a signed pledge cannot be changed: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS talks_pledge_signature_immutable ON talks_pledgesignature",
    """
CREATE TRIGGER talks_pledge_signature_immutable
    BEFORE UPDATE OR DELETE ON talks_pledgesignature
    FOR EACH ROW EXECUTE FUNCTION qinglian_pledge_signature_guard()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS talks_pledge_signature_immutable ON talks_pledgesignature",
    "DROP FUNCTION IF EXISTS qinglian_pledge_signature_guard()",
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
        ("talks", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
