"""Returns and their history, partitioned by month on PostgreSQL (migration 0006).

`returns_return` and `returns_historicalreturn` are partitioned by range of `for_date`, one
partition a month, named `<table>_pYYYYMM`; both tables always have the same months. There is
no default partition: a row for a month without a partition is refused by the database, so
every write of returns first calls `ensure_for` with its dates, which creates what is missing
(and the daily `caresight returns_partitions` creates the next months ahead, so an ordinary
day's writes never need to). Without a default partition, the query for a service's latest
return reads the newest month first and stops there.

Making a partition (create_partition) holds, until the transaction ends, a SHARE UPDATE
EXCLUSIVE lock on the partitioned table, which no read or write of returns waits for, and a
SHARE ROW EXCLUSIVE lock on the tables its foreign keys refer to (the services, measure sets
and users), which their writes wait for: a back-dated import that makes a month holds up
changes to those tables until it ends.

On SQLite (and on a PostgreSQL database whose tables are not partitioned) every function here
does nothing: the tables are plain.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

RETURNS_TABLE = "returns_return"
HISTORY_TABLE = "returns_historicalreturn"
CURRENT_TABLE = "returns_currentreturn"
KEPT_TOTALS_TABLE = "returns_kepttotals"
TABLES = (RETURNS_TABLE, HISTORY_TABLE)
KEY = "for_date"
# Months made ahead of the current one, by the migration and the daily command.
AHEAD_MONTHS = 3
# One lock for every process that creates or drops partitions (pg_advisory_xact_lock).
LOCK_KEY = 0x5245_5455_524E  # "RETURN"
# Dropping a month waits this long for the queries reading the table, then gives up (to try
# again the next day) rather than hold up every page while it waits.
DROP_LOCK_TIMEOUT = "5s"

# The months known to exist, per database, in this process: ensure_for reads the catalogue
# only for months it has not seen.
_known: dict[tuple, set[dt.date]] = {}
_partitioned: set[tuple] = set()


@dataclass(frozen=True)
class Partition:
    table: str
    month: dt.date
    rows: int | None = None

    @property
    def name(self) -> str:
        return partition_name(self.table, self.month)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def create_partition(cursor, table: str, month: dt.date, qn) -> None:
    """Make `table`'s partition for `month`: made on its own, then attached.

    Attaching takes only a SHARE UPDATE EXCLUSIVE lock on the partitioned table, which reads
    and writes of returns do not wait for, nor it for them (CREATE TABLE … PARTITION OF takes
    an ACCESS EXCLUSIVE one). So two transactions that have both read returns can each go on
    to make a month without deadlocking. The partition's indexes and foreign keys are made
    from the table's as it is attached.
    """
    name = qn(partition_name(table, month))
    cursor.execute(f"CREATE TABLE {name} (LIKE {qn(table)} INCLUDING DEFAULTS "
                   "INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    cursor.execute(f"ALTER TABLE {qn(table)} ATTACH PARTITION {name} FOR VALUES FROM "
                   f"('{month.isoformat()}') TO ('{add_months(month, 1).isoformat()}')")


def retention_cut(today: dt.date, months: int) -> dt.date | None:
    """The first day kept when `months` whole months are kept before the current one (None:
    everything is kept)."""
    return add_months(month_start(today), -months) if months > 0 else None


def _db_key(connection: BaseDatabaseWrapper) -> tuple:
    database = connection.settings_dict
    return (database.get("HOST"), database.get("PORT"), database.get("NAME"))


def forget() -> None:
    """Forget what this process knows of the partitions (after the tables are rebuilt)."""
    _known.clear()
    _partitioned.clear()


def is_partitioned(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the returns tables are partitioned (PostgreSQL after migration 0006)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    key = _db_key(connection)
    if key in _partitioned:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c "
                       "ON c.oid = p.partrelid WHERE c.oid IN (to_regclass(%s), to_regclass(%s))",
                       [*TABLES])
        found = cursor.fetchone()[0] == len(TABLES)
    if found:
        _partitioned.add(key)  # until migration 0006 is reversed (which forgets it)
    return found


def ensure_for(dates: Iterable[dt.date], *, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create any missing monthly partition, of the returns and of their history, for these
    dates; the names of those created.

    Safe when two processes call it at once (they take turns, and the second finds the first's
    months); cheap once a month is known to this process.
    """
    months = {month_start(day) for day in dates}
    connection = connections[using]
    if not months or connection.vendor != "postgresql":
        return []
    known = _known.setdefault(_db_key(connection), set())
    # A month before the retention period may have been dropped by another process since it
    # was seen: it is looked for again each time (such writes are rare).
    cut = retention_cut(timezone.localdate(), settings.CARESIGHT_RETURNS_RETENTION_MONTHS)
    wanted = sorted(month for month in months
                    if month not in known or (cut is not None and month < cut))
    if not wanted or not is_partitioned(using):
        return []
    qn = connection.ops.quote_name
    created = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if _missing(cursor, wanted):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            # Again, holding the lock: another process may have made some meanwhile.
            for part in _missing(cursor, wanted):
                create_partition(cursor, part.table, part.month, qn)
                created.append(part.name)
        # Known to other transactions only once this one commits (it may yet roll back).
        transaction.on_commit(lambda: known.update(wanted), using=using)
    return created


def _missing(cursor, months: list[dt.date]) -> list[Partition]:
    wanted = [Partition(table, month) for month in months for table in TABLES]
    # From pg_inherits, read with this statement's snapshot: a lookup by name (to_regclass)
    # may answer from this session's cache, blind to a month another process just made.
    cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "WHERE i.inhparent IN (to_regclass(%s), to_regclass(%s)) "
                   "AND c.relname = ANY(%s)", [*TABLES, [part.name for part in wanted]])
    found = {row[0] for row in cursor.fetchall()}
    return [part for part in wanted if part.name not in found]


def create_ahead(months: int = AHEAD_MONTHS, *, today: dt.date | None = None,
                 dry_run: bool = False, using: str = DEFAULT_DB_ALIAS) -> list[Partition]:
    """Make the partitions of the current month and of the `months` after it, where missing;
    those made (with `dry_run`, those that would be, and nothing is made)."""
    if not is_partitioned(using):
        return []
    first = month_start(today or timezone.localdate())
    wanted = [add_months(first, n) for n in range(months + 1)]
    with connections[using].cursor() as cursor:
        missing = _missing(cursor, wanted)
    if missing and not dry_run:
        ensure_for([part.month for part in missing], using=using)
    return missing


def partitions(using: str = DEFAULT_DB_ALIAS) -> list[Partition]:
    """The monthly partitions of both tables, oldest first."""
    if not is_partitioned(using):
        return []
    found = []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT p.relname, c.relname FROM pg_inherits i "
                       "JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent "
                       "WHERE i.inhparent IN (to_regclass(%s), to_regclass(%s))", [*TABLES])
        for table, name in cursor.fetchall():
            match = re.fullmatch(re.escape(table) + r"_p(\d{4})(\d{2})", name)
            if match:  # a partition made by hand under another name is not ours to manage
                found.append(Partition(table, dt.date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda part: (part.month, TABLES.index(part.table)))


def _rows(cursor, quoted_name: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {quoted_name}")  # nosec B608  # a quoted name
    return cursor.fetchone()[0]


@dataclass(frozen=True)
class Dropped:
    partitions: list[Partition]
    current_returns: int  # kept current returns (CurrentReturn) deleted with them


def drop_before(day: dt.date, *, dry_run: bool = False,
                using: str = DEFAULT_DB_ALIAS) -> Dropped:
    """Drop every month of returns and history that ends on or before `day` (with its rows),
    and delete the kept current returns for a day before it and the kept summary totals
    that read any of them.

    With `dry_run`, say what would go and change nothing.
    """
    if not is_partitioned(using):
        return Dropped([], 0)
    cut = month_start(day)
    connection = connections[using]
    qn = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not dry_run:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        going = [Partition(part.table, part.month, _rows(cursor, qn(part.name)))
                 for part in partitions(using) if part.month < cut]
        # Quoted names of our own tables; the day is a parameter (hence the nosec for B608).
        current = f"{qn(CURRENT_TABLE)} WHERE for_date < %s"
        if dry_run:
            cursor.execute(f"SELECT count(*) FROM {current}", [cut])  # nosec B608
            return Dropped(going, cursor.fetchone()[0])
        cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
        # A table with foreign key checks still to run cannot be dropped: run them now.
        connection.check_constraints()
        cursor.execute(f"DELETE FROM {current}", [cut])  # nosec B608
        current_returns = cursor.rowcount
        # Kept summary totals of a day whose returns may have been current before the cut.
        cursor.execute("SELECT COALESCE(MAX(expected_every_days), 0) FROM returns_measureset")
        longest = dt.timedelta(days=cursor.fetchone()[0])
        cursor.execute(f"DELETE FROM {qn(KEPT_TOTALS_TABLE)} WHERE for_date < %s",  # nosec B608
                       [cut + longest])
        for part in going:
            cursor.execute(f"DROP TABLE {qn(part.name)}")
    known = _known.get(_db_key(connection), set())
    known.difference_update(part.month for part in going)
    return Dropped(going, current_returns)


@dataclass(frozen=True)
class Maintained:
    created: list[Partition]
    until: dt.date  # the last month made ahead
    dropped: Dropped | None  # None: no retention period is set
    cut: dt.date | None


def maintain(*, ahead: int = AHEAD_MONTHS, retention_months: int, today: dt.date | None = None,
             dry_run: bool = False, using: str = DEFAULT_DB_ALIAS) -> Maintained:
    """The daily upkeep: make the months ahead, then drop those past the retention period."""
    today = today or timezone.localdate()
    created = create_ahead(ahead, today=today, dry_run=dry_run, using=using)
    cut = retention_cut(today, retention_months)
    dropped = drop_before(cut, dry_run=dry_run, using=using) if cut else None
    return Maintained(created, add_months(month_start(today), ahead), dropped, cut)
