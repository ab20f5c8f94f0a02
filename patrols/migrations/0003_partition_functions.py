"""A day's GPS ping partition is made and dropped by two SECURITY DEFINER functions that run as
the schema's owner (docs/adr/0011): the application's role owns no table, and only an
owner may attach a partition to patrols_gpsping or drop one. Each function does one named
thing to one day's partition, with a fixed search_path; nobody but the roles granted EXECUTE
(core.db_roles) may call them."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION patrols_ping_partition_create(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := 'patrols_gpsping_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Web workers may ask for the same day at once: the second waits, then finds it made.
    PERFORM pg_advisory_xact_lock(hashtext(part));
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF patrols_gpsping '
                   'FOR VALUES FROM (%L) TO (%L)',
                   part, day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
    RETURN true;
END $$;
REVOKE ALL ON FUNCTION patrols_ping_partition_create(date) FROM PUBLIC;

CREATE OR REPLACE FUNCTION patrols_ping_partition_drop(day date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := 'patrols_gpsping_p' || to_char(day, 'YYYYMMDD');
    pings bigint;
BEGIN
    IF to_regclass(part) IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM %I', part) INTO pings;
    EXECUTE format('DROP TABLE %I', part);
    RETURN pings;
END $$;
REVOKE ALL ON FUNCTION patrols_ping_partition_drop(date) FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION IF EXISTS patrols_ping_partition_create(date);
DROP FUNCTION IF EXISTS patrols_ping_partition_drop(date);
"""


class Migration(migrations.Migration):
    dependencies = [("patrols", "0002_gpsping_partitioned")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE)]
