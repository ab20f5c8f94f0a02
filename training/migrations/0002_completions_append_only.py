"""A completion is never edited, only superseded (issue 19): a trigger refuses UPDATE and
DELETE of a sitting for every role, as the audit trail does (docs/adr/0009)."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION training_completion_unchanged() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a training completion is never changed, only superseded: % refused',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER training_completion_no_update_delete
    BEFORE UPDATE OR DELETE ON training_completion
    FOR EACH ROW EXECUTE FUNCTION training_completion_unchanged();
"""

REVERSE = """
DROP TRIGGER IF EXISTS training_completion_no_update_delete ON training_completion;
DROP FUNCTION IF EXISTS training_completion_unchanged();
"""


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE)]
