"""Load the English regions and every authority with adult social care duties (see data/)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    Authority = apps.get_model("registry", "Authority")
    with open(DATA / "regions.csv", encoding="utf-8") as f:
        regions = {
            row["ons_code"]: Region.objects.update_or_create(
                ons_code=row["ons_code"], defaults={"name": row["name"]}
            )[0]
            for row in csv.DictReader(f)
        }
    with open(DATA / "authorities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Authority.objects.update_or_create(
                ons_code=row["ons_code"],
                defaults={
                    "name": row["name"],
                    "tier": row["tier"],
                    "region": regions[row["region_code"]],
                    "valid_from": row["valid_from"] or None,
                    "valid_to": row["valid_to"] or None,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
