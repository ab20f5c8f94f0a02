"""A day's GPS ping partition is made and dropped by two SECURITY DEFINER functions that run as
the schema's owner (docs/adr/0011): the application's role owns no table, and only an
owner may attach a partition to patrols_gpsping or drop one. Each function does one named
thing to one day's partition. Their search_path is pg_catalog and pg_temp only, and every
table they touch is named with its schema: a function the application's role might define
elsewhere (a lookalike to_char, say) is never found, so it cannot run as the owner."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION public.patrols_ping_partition_create(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part text := 'patrols_gpsping_p' || pg_catalog.to_char(day::timestamp, 'YYYYMMDD');
BEGIN
    IF pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(part)) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Web workers may ask for the same day at once: the second waits, then finds it made.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(part));
    EXECUTE pg_catalog.format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF '
                              'public.patrols_gpsping FOR VALUES FROM (%L) TO (%L)',
                              part, day::text || ' 00:00:00+00',
                              (day + 1)::text || ' 00:00:00+00');
    RETURN true;
END $$;
REVOKE ALL ON FUNCTION public.patrols_ping_partition_create(date) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.patrols_ping_partition_drop(day date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part text := 'patrols_gpsping_p' || pg_catalog.to_char(day::timestamp, 'YYYYMMDD');
    pings bigint;
BEGIN
    -- Only a partition of the ping table, never any other table of that name.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                     JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE i.inhparent = 'public.patrols_gpsping'::regclass
                      AND n.nspname = 'public' AND c.relname = part) THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM public.%I', part) INTO pings;
    EXECUTE pg_catalog.format('DROP TABLE public.%I', part);
    RETURN pings;
END $$;
REVOKE ALL ON FUNCTION public.patrols_ping_partition_drop(date) FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION IF EXISTS public.patrols_ping_partition_create(date);
DROP FUNCTION IF EXISTS public.patrols_ping_partition_drop(date);
"""


class Migration(migrations.Migration):
    dependencies = [("patrols", "0002_gpsping_partitioned")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE)]
