"""Write the telephone numbers already on the register as people in Britain write them."""

from django.db import migrations


def normalise(apps, schema_editor):
    from caresight.core.phones import phone_display

    for name in ("Location", "Provider"):
        model = apps.get_model("registry", name)
        changed = []
        for record in model.objects.exclude(phone="").only("pk", "phone").iterator():
            written = phone_display(record.phone)
            if written != record.phone:
                record.phone = written
                changed.append(record)
        model.objects.bulk_update(changed, ["phone"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_load_authorities")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
