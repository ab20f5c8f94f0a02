"""A coordinate transformation that gives NULL where PROJ cannot place a point.

The importer transforms every point in one statement, and one point that PROJ refuses
(a longitude 90 degrees from British National Grid's central meridian, an easting of 1e20
in UTM) would stop the whole import. When that happens the importer runs the statement
again with this function and rejects the points it could not place, row by row
(docs/adr/0002). Its exception block costs a subtransaction per row, so it is only the
fallback.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION hotspots_transform_or_null(geom geometry, srid integer) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN ST_Transform(geom, srid);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('hotspots', '0004_crime_cheaper_per_row'),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION hotspots_transform_or_null(geometry, integer)"),
    ]
