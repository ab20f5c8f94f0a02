"""A schema for the application's own working tables (docs/adr/0011): an import's staging
table, shared by the import's connections, is made there. The application's role may
create tables in it and nowhere else, so it can put no lookalike function or table in
`public`, which every role searches."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("hotspots", "0005_transform_or_null")]

    operations = [migrations.RunSQL("CREATE SCHEMA IF NOT EXISTS hotspots_work",
                                    reverse_sql="DROP SCHEMA IF EXISTS hotspots_work CASCADE")]
