"""On PostgreSQL, partition the returns and their history by month of `for_date`.

Each table is rebuilt as a table PARTITIONED BY RANGE (for_date) with the same columns,
defaults, generated columns, identity, checks, foreign keys, unique constraints, indexes and
grants, under the same names, and one partition a month (caresight/returns/partitions.py):
every month that has rows, the current month and the next AHEAD_MONTHS. The primary keys
become (id, for_date) and (history_id, for_date), as a partitioned table's unique keys must
hold the partition key; the ID sequences go on from where they were. Existing rows are moved
in one statement a table, then the indexes are built (a national year: several minutes, inside
the migration's transaction).

Django's idea of the tables does not change (no state operations), and SQLite keeps plain
tables. Later migrations on these tables: adding or changing a column, an index or a check
works as usual on the partitioned table (a partitioned index may not be made CONCURRENTLY);
a unique constraint must include for_date; `for_date` itself cannot change type, and the
primary key columns cannot change (see docs/partitions.md). Reversible: the reverse makes
plain tables again.
"""

from django.db import migrations
from django.utils import timezone

from caresight.returns import partitions

TABLES = {partitions.RETURNS_TABLE: "id", partitions.HISTORY_TABLE: "history_id"}
KEY = partitions.KEY


def _fetch(cursor, sql, params=None):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _rebuild(schema_editor, table: str, pk: str, *, partitioned: bool) -> None:
    qn = schema_editor.quote_name
    old = f"{table}_before_0006"
    with schema_editor.connection.cursor() as cursor:
        # What the table has, read before it is renamed (the definitions name `table`). Only
        # its own constraints: a partition's copies of the parent's have conparentid set.
        constraints = _fetch(cursor, (
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND conparentid = 0 ORDER BY contype, conname"),
            [table])
        indexes = _fetch(cursor, (
            "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid "
            "AND k.conrelid = x.indrelid) ORDER BY i.relname"), [table])
        grants = _fetch(cursor, (
            "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
            "ELSE quote_ident(r.rolname) END FROM pg_class c "
            "CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner"), [table])
        (triggers,) = _fetch(cursor, ("SELECT count(*) FROM pg_trigger WHERE tgrelid = "
                                      "%s::regclass AND NOT tgisinternal"), [table])[0]
        if triggers:  # not carried over below: stop rather than lose them
            raise RuntimeError(f"{table} has triggers; partition it by hand.")
        sequence = _fetch(cursor, "SELECT pg_get_serial_sequence(%s, %s)", [table, pk])[0][0]
        (last_id,) = _fetch(cursor, (
            f"SELECT GREATEST((SELECT max({qn(pk)}) FROM {qn(table)}), "  # nosec B608
            f"(SELECT CASE WHEN is_called THEN last_value END FROM {sequence}))"))[0]
        columns = [row[0] for row in _fetch(cursor, (
            "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"),
            [table])]
        months = [row[0] for row in _fetch(cursor, (
            f"SELECT DISTINCT date_trunc('month', {qn(KEY)})::date "  # nosec B608
            f"FROM {qn(table)} ORDER BY 1"))] if partitioned else []

        cursor.execute(f"ALTER TABLE {qn(table)} RENAME TO {qn(old)}")
        cursor.execute(
            f"CREATE TABLE {qn(table)} (LIKE {qn(old)} INCLUDING DEFAULTS INCLUDING GENERATED "
            "INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)"
            + (f" PARTITION BY RANGE ({qn(KEY)})" if partitioned else ""))
        if partitioned:
            first = partitions.month_start(timezone.localdate())
            ahead = [partitions.add_months(first, n)
                     for n in range(partitions.AHEAD_MONTHS + 1)]
            for month in sorted(set(months) | set(ahead)):
                partitions.create_partition(cursor, table, month, qn)
        listed = ", ".join(columns)
        cursor.execute(f"INSERT INTO {qn(table)} ({listed}) "  # nosec B608
                       f"SELECT {listed} FROM {qn(old)}")
        # Foreign key checks still to run on the old table's rows (written earlier in this
        # transaction) would stop it being dropped: run them now.
        schema_editor.connection.check_constraints()
        cursor.execute(f"DROP TABLE {qn(old)}")  # its identity sequence goes with it

        # The new identity sequence takes the old one's name and goes on from its value.
        new_sequence = _fetch(cursor, "SELECT pg_get_serial_sequence(%s, %s)",
                              [table, pk])[0][0]
        if new_sequence != sequence:
            cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO "
                           f"{qn(sequence.rpartition('.')[2].strip(chr(34)))}")
        if last_id:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                           [table, pk, last_id])

        for name, kind, definition in constraints:
            if kind == "p":
                definition = f"PRIMARY KEY ({qn(pk)}" + (f", {qn(KEY)})" if partitioned else ")")
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        for (definition,) in indexes:
            # A partitioned table's own index is listed "ON ONLY"; made on it, it is made on
            # every partition.
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
        for privilege, grantee in grants:
            cursor.execute(f"GRANT {privilege} ON {qn(table)} TO {grantee}")
        cursor.execute(f"ANALYZE {qn(table)}")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, pk in TABLES.items():
        _rebuild(schema_editor, table, pk, partitioned=True)
    partitions.forget()


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, pk in TABLES.items():
        _rebuild(schema_editor, table, pk, partitioned=False)
    partitions.forget()


class Migration(migrations.Migration):
    dependencies = [("returns", "0005_current_return")]
    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
