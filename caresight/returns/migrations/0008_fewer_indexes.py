"""Drop the returns' indexes that nothing reads: Django's index of each foreign key where the
unique (location, day) index already leads with the location, or where returns and their
history are never looked for by that key. Each index is written with every return.

Dropped by name (the state changes as AlterField's would): on PostgreSQL the tables are
partitioned (migration 0006), and dropping a partitioned table's index drops its
partitions' too. The names are Django's own, the same on SQLite and PostgreSQL.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [
    ("returns_return_location_id_2c9c7385", "returns_return", "location_id"),
    ("returns_return_measure_set_id_fd20c76b", "returns_return", "measure_set_id"),
    ("returns_historicalreturn_location_id_d1c14a8c", "returns_historicalreturn", "location_id"),
    ("returns_historicalreturn_measure_set_id_7cfe57d9", "returns_historicalreturn",
     "measure_set_id"),
    ("returns_historicalreturn_submitted_by_id_69a9c964", "returns_historicalreturn",
     "submitted_by_id"),
]


def drop_indexes(apps, schema_editor):
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def make_indexes(apps, schema_editor):
    # An index cannot be made on a table with foreign key checks still to run (rows written
    # earlier in this transaction, as in the tests): run them now.
    schema_editor.connection.check_constraints()
    for name, table, column in INDEXES:
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_normalise_phone_numbers'),
        ('returns', '0007_kept_totals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, make_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name='historicalreturn',
                    name='location',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.location'),
                ),
                migrations.AlterField(
                    model_name='historicalreturn',
                    name='measure_set',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='returns.measureset'),
                ),
                migrations.AlterField(
                    model_name='historicalreturn',
                    name='submitted_by',
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='return',
                    name='location',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='registry.location'),
                ),
                migrations.AlterField(
                    model_name='return',
                    name='measure_set',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='returns.measureset'),
                ),
            ],
        ),
    ]
