from django.db import migrations


def create_defaults(apps, schema_editor):
    from hotspots.offence_defaults import DEFAULT_OFFENCE_TYPES, SOURCE

    OffenceType = apps.get_model("hotspots", "OffenceType")
    for code, name, category, weight, include, aliases in DEFAULT_OFFENCE_TYPES:
        OffenceType.objects.get_or_create(
            code=code,
            defaults={"name": name, "category": category, "harm_weight": weight,
                      "weight_source": SOURCE, "include_in_targeting": include,
                      "aliases": aliases},
        )


class Migration(migrations.Migration):
    dependencies = [("hotspots", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
