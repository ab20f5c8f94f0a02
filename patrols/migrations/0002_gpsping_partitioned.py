"""The GPS ping table, partitioned by day (docs/adr/0007). Django cannot declare partitions,
so the table is SQL; partitions are made ahead by `patrols.services.ping_partitions_ensure`
and dropped after the retention period by the purge task."""

from django.conf import settings
from django.db import migrations


def create_sql() -> str:
    return f"""
    CREATE TABLE patrols_gpsping (
        -- No foreign key: only authenticated devices write here, and a key would make every
        -- flush of the device table (and every insert) pay for it.
        device_id bigint NOT NULL,
        recorded_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        geom geometry(Point, {int(settings.HOTSPOTS_SRID)}) NOT NULL,
        accuracy_m real,
        PRIMARY KEY (device_id, recorded_at)
    ) PARTITION BY RANGE (recorded_at);
    CREATE INDEX patrols_gpsping_geom ON patrols_gpsping USING gist (geom);
    CREATE INDEX patrols_gpsping_received ON patrols_gpsping (received_at);
    """


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]

    operations = [
        migrations.RunSQL(create_sql(), reverse_sql="DROP TABLE patrols_gpsping CASCADE"),
    ]
