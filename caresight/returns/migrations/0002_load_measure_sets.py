"""Load the measure sets that ship with Caresight (data/measure_sets.json)."""

import json

from django.db import migrations


def load(apps, schema_editor):
    from caresight.returns import measure_sets

    definition = json.loads(measure_sets.SHIPPED.read_text(encoding="utf-8"))
    measure_sets.load(definition, MeasureSet=apps.get_model("returns", "MeasureSet"),
                      Measure=apps.get_model("returns", "Measure"))


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
