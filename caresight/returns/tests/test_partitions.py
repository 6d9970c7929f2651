"""Returns and their history partitioned by month on PostgreSQL; plain tables on SQLite."""

import datetime as dt
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory
from caresight.returns import current, partitions, selectors
from caresight.returns.models import CurrentReturn, KeptTotals, Return
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="returns are partitioned on PostgreSQL only (run with DATABASE_URL=postgres://…)")
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="checks that SQLite keeps plain tables")

History = Return.history.model


@pytest.fixture(autouse=True)
def _fresh_caches():
    # A test's transaction is rolled back, and the partitions it made with it: no month it
    # saw may stay known to the process.
    partitions.forget()
    yield
    partitions.forget()


def submit(location, day, **changes):
    partitions.ensure_for([day])  # as every writer of returns does (return_submit too)
    return return_submit(location=location, for_date=day, answers=care_home_answers(**changes),
                         user=OPERATOR).ret


def exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def month_of(ret) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {partitions.RETURNS_TABLE} "
                       "WHERE id = %s", [ret.pk])
        return cursor.fetchone()[0]


def test_the_module_names_the_models_tables():
    assert Return._meta.db_table == partitions.RETURNS_TABLE
    assert History._meta.db_table == partitions.HISTORY_TABLE
    assert CurrentReturn._meta.db_table == partitions.CURRENT_TABLE
    assert Return._meta.get_field("for_date").column == partitions.KEY


def test_months_and_the_retention_cut_are_counted_in_whole_months():
    assert partitions.add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert partitions.add_months(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)
    assert partitions.retention_cut(dt.date(2026, 12, 3), 12) == dt.date(2025, 12, 1)
    assert partitions.retention_cut(dt.date(2026, 12, 3), 0) is None
    assert partitions.partition_name("returns_return", dt.date(2020, 6, 1)) == (
        "returns_return_p202006")


@on_postgresql
@pytest.mark.django_db
class TestPostgreSQL:
    def test_both_tables_are_partitioned_by_range_of_the_day_with_the_keys_django_expects(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, p.partstrat, pg_get_partkeydef(c.oid) "
                "FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = ANY(%s) ORDER BY 1", [list(partitions.TABLES)])
            found = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN "
                "('p', 'u') ORDER BY 1, 2", [list(partitions.TABLES)])
            keys = cursor.fetchall()
        assert found == [("returns_historicalreturn", "r", "RANGE (for_date)"),
                         ("returns_return", "r", "RANGE (for_date)")]
        assert keys == [
            ("returns_historicalreturn", "returns_historicalreturn_pkey",
             "PRIMARY KEY (history_id, for_date)"),
            ("returns_return", "one_return_a_day", "UNIQUE (location_id, for_date)"),
            ("returns_return", "returns_return_pkey", "PRIMARY KEY (id, for_date)"),
        ]
        assert partitions.is_partitioned()

    def test_the_current_month_and_the_months_ahead_have_partitions(self):
        first = partitions.month_start(timezone.localdate())
        months = {part.month for part in partitions.partitions()
                  if part.table == partitions.RETURNS_TABLE}
        assert {partitions.add_months(first, n)
                for n in range(partitions.AHEAD_MONTHS + 1)} <= months

    def test_a_return_for_a_month_with_no_partition_is_accepted_and_the_month_made(self, cambs):
        home = LocationFactory(authority=cambs, registered_beds=40)
        day = dt.date(2020, 7, 15)
        assert not exists("returns_return_p202007")
        ret = return_submit(location=home, for_date=day, answers=care_home_answers(),
                            user=OPERATOR).ret
        assert month_of(ret) == "returns_return_p202007"
        assert exists("returns_historicalreturn_p202007")
        again = submit(home, day, beds_occupied="36", beds_vacant="4")  # a new version
        assert again.pk == ret.pk and again.version == 2
        assert list(ret.history.order_by("history_id").values_list("version", flat=True)) == [
            1, 2]

    def test_ensure_for_makes_each_missing_month_once_and_then_costs_no_query(
            self, django_assert_num_queries, django_capture_on_commit_callbacks):
        days = [dt.date(2019, 11, 30), dt.date(2019, 12, 1), dt.date(2019, 12, 31)]
        with django_capture_on_commit_callbacks(execute=True):
            made = partitions.ensure_for(days)
        assert made == ["returns_return_p201911", "returns_historicalreturn_p201911",
                        "returns_return_p201912", "returns_historicalreturn_p201912"]
        with django_assert_num_queries(0):
            assert partitions.ensure_for(days) == []
        partitions._known.clear()  # another process: it looks, and finds them
        assert partitions.ensure_for(days) == []

    def test_a_month_before_the_retention_period_is_looked_for_every_time(
            self, settings, django_capture_on_commit_callbacks):
        # Another process's daily upkeep may drop it at any time.
        settings.CARESIGHT_RETURNS_RETENTION_MONTHS = 12
        old, kept = dt.date(2019, 3, 4), timezone.localdate()
        with django_capture_on_commit_callbacks(execute=True):
            partitions.ensure_for([old, kept])
        with CaptureQueriesContext(connection) as queries:
            partitions.ensure_for([kept])
        assert len(queries) == 0
        with CaptureQueriesContext(connection) as queries:
            assert partitions.ensure_for([old]) == []
        assert any("pg_inherits" in query["sql"] for query in queries)

    def test_a_month_made_in_a_transaction_that_rolls_back_is_not_taken_as_made(self):
        day = dt.date(2019, 5, 20)
        try:
            with transaction.atomic():
                assert partitions.ensure_for([day]) == ["returns_return_p201905",
                                                        "returns_historicalreturn_p201905"]
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert not exists("returns_return_p201905")
        assert len(partitions.ensure_for([day])) == 2

    def test_create_ahead_makes_the_missing_months_and_a_dry_run_makes_none(self):
        today = dt.date(2031, 1, 10)
        planned = partitions.create_ahead(2, today=today, dry_run=True)
        assert [part.name for part in planned] == [
            "returns_return_p203101", "returns_historicalreturn_p203101",
            "returns_return_p203102", "returns_historicalreturn_p203102",
            "returns_return_p203103", "returns_historicalreturn_p203103"]
        assert not exists("returns_return_p203101")
        assert partitions.create_ahead(2, today=today) == planned
        assert all(exists(part.name) for part in planned)
        assert partitions.create_ahead(2, today=today) == []

    def test_dropping_past_the_retention_removes_exactly_those_months(self, cambs, make_user):
        homes = [LocationFactory(authority=cambs, registered_beds=40) for _ in range(2)]
        days = [dt.date(2020, 5, 20), dt.date(2020, 6, 10), dt.date(2020, 7, 14),
                dt.date(2020, 7, 20)]
        for home in homes:
            for day in days:
                submit(home, day)
        submit(homes[0], dt.date(2020, 7, 20), beds_occupied="36", beds_vacant="4")
        late = LocationFactory(authority=cambs, registered_beds=40)
        submit(late, dt.date(2020, 6, 1))  # its latest return is in a month that goes
        user = make_user("commissioner", cambs)
        as_of = dt.date(2020, 7, 20)
        with current.computed_from_returns():
            before = selectors.returns_summary(user=user, as_of=as_of)
        kept_history = History.objects.filter(for_date__gte=dt.date(2020, 7, 1)).count()
        assert CurrentReturn.objects.filter(location=late).exists()
        # Summary totals kept for a day that goes, one that read returns that go, and one
        # that did not.
        summary_days = [dt.date(2020, 6, 10), dt.date(2020, 7, 3), as_of]
        for day in summary_days:
            selectors.returns_summary(user=user, as_of=day)
        assert sorted(KeptTotals.objects.filter(authority=cambs)
                      .values_list("for_date", flat=True)) == summary_days

        planned = partitions.drop_before(dt.date(2020, 7, 1), dry_run=True)
        assert [(part.name, part.rows) for part in planned.partitions] == [
            ("returns_return_p202005", 2), ("returns_historicalreturn_p202005", 2),
            ("returns_return_p202006", 3), ("returns_historicalreturn_p202006", 3)]
        assert planned.current_returns == 1 and Return.objects.count() == 9

        dropped = partitions.drop_before(dt.date(2020, 7, 1))
        assert dropped == planned
        assert not exists("returns_return_p202006") and not exists("returns_return_p202005")
        assert sorted(Return.objects.values_list("for_date", flat=True)) == [
            dt.date(2020, 7, 14)] * 2 + [dt.date(2020, 7, 20)] * 2
        assert History.objects.filter(for_date__lt=dt.date(2020, 7, 1)).count() == 0
        assert History.objects.count() == kept_history == 5
        assert not CurrentReturn.objects.filter(location=late).exists()
        assert CurrentReturn.objects.filter(location__in=homes).count() == 2
        with current.computed_from_returns():
            assert selectors.returns_summary(user=user, as_of=as_of) == before
            july_3 = selectors.returns_summary(user=user, as_of=summary_days[1])
        assert list(KeptTotals.objects.filter(authority=cambs)
                    .values_list("for_date", flat=True)) == [as_of]
        assert selectors.returns_summary(user=user, as_of=summary_days[1]) == july_3
        assert july_3["reported"] == 0
        assert partitions.drop_before(dt.date(2020, 7, 1)) == partitions.Dropped([], 0)

    def test_the_migration_moves_every_row_both_ways_and_the_ids_go_on(self, cambs):
        home = LocationFactory(authority=cambs, registered_beds=40)
        for day in (dt.date(2020, 6, 3), dt.date(2020, 8, 3)):
            submit(home, day)
        rows = sorted(Return.objects.values_list("id", "for_date", "staff_employed"))
        history = sorted(History.objects.values_list("history_id", "id", "for_date"))
        MigrationExecutor(connection).migrate([("returns", "0005_current_return")])
        assert not partitions.is_partitioned() and not exists("returns_return_p202006")
        assert sorted(Return.objects.values_list("id", "for_date", "staff_employed")) == rows
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert partitions.is_partitioned()
        assert month_of(Return.objects.get(for_date=dt.date(2020, 8, 3))) == (
            "returns_return_p202008")
        assert sorted(Return.objects.values_list("id", "for_date", "staff_employed")) == rows
        assert sorted(History.objects.values_list("history_id", "id", "for_date")) == history
        newer = submit(home, dt.date(2020, 8, 4))
        assert newer.pk > max(row[0] for row in rows)
        assert newer.history.get().history_id > max(row[0] for row in history)

    def test_the_command_says_what_it_makes_and_drops(self, cambs, settings):
        settings.CARESIGHT_RETURNS_RETENTION_MONTHS = 1000  # keeps every month here
        out = StringIO()
        call_command("returns_partitions", "--ahead", "0", "--dry-run", stdout=out)
        first = partitions.month_start(timezone.localdate())
        cut = partitions.retention_cut(timezone.localdate(), 1000)
        assert out.getvalue().splitlines() == [
            f"Every partition up to {first:%B %Y} is there already.",
            f"No month before {cut.day} {cut:%B %Y} is left to drop (keeping 1000 whole "
            "months before the current one).",
            f"Would delete 0 kept current returns of days before {cut.day} {cut:%B %Y}."]

        home = LocationFactory(authority=cambs, registered_beds=40)
        submit(home, dt.date(2020, 6, 3))
        settings.CARESIGHT_RETURNS_RETENTION_MONTHS = 1
        out = StringIO()
        call_command("returns_partitions", "--ahead", "40", stdout=out)
        said = out.getvalue()
        far = partitions.add_months(first, 40)
        assert f"Made returns_return_p{far:%Y%m} ({far:%B %Y})." in said
        assert "Dropped returns_return_p202006 (June 2020, 1 row)." in said
        assert "Deleted 1 kept current return of days before" in said
        assert not Return.objects.exists() and exists(f"returns_return_p{far:%Y%m}")

    def test_the_scheduler_makes_a_missing_month_ahead(self, monkeypatch, caplog, settings):
        from caresight.reports.management.commands import scheduler

        # Not inside the test's transaction: it would end it.
        monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
        settings.CARESIGHT_RETURNS_RETENTION_MONTHS = 0
        month = partitions.add_months(partitions.month_start(timezone.localdate()), 1)
        with connection.cursor() as cursor:
            for table in partitions.TABLES:
                cursor.execute(f"DROP TABLE {partitions.partition_name(table, month)}")
        with caplog.at_level("INFO", logger=scheduler.__name__):
            scheduler.Command()._partitions()
        assert exists(partitions.partition_name(partitions.RETURNS_TABLE, month))
        assert f"made ['returns_return_p{month:%Y%m}', 'returns_historicalreturn_p" in (
            caplog.text)

    def test_the_command_refuses_a_negative_number_of_months(self):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="--ahead must be 0 or more"):
            call_command("returns_partitions", "--ahead", "-1")


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_making_one_month_take_turns_and_both_succeed():
    """Both have read returns in their transactions first (as an import's plan does); the
    second waits for the first's transaction, then finds the month made: no deadlock."""
    day = dt.date(1998, 5, 6)
    first_made, second_read, results = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                Return.objects.filter(for_date__lte=day).count()
                second_read.wait(10)
                results["first"] = partitions.ensure_for([day])
                first_made.set()
                time.sleep(0.3)  # the second now finds no month, and waits for the lock
        except Exception as error:  # noqa: BLE001  # reported by the assertion below
            results["first"] = error
        finally:
            connections.close_all()

    def second():
        try:
            with transaction.atomic():
                Return.objects.filter(for_date__lte=day).count()
                second_read.set()
                first_made.wait(10)
                results["second"] = partitions.ensure_for([day])
        except Exception as error:  # noqa: BLE001
            results["second"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == {"first": ["returns_return_p199805", "returns_historicalreturn_p199805"],
                           "second": []}
        assert exists("returns_return_p199805")
    finally:
        with connection.cursor() as cursor:
            for table in partitions.TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}_p199805")


@on_sqlite
@pytest.mark.django_db
def test_on_sqlite_the_tables_are_plain_and_every_function_does_nothing(cambs):
    home = LocationFactory(authority=cambs, registered_beds=40)
    submit(home, dt.date(2020, 6, 3))
    assert not partitions.is_partitioned()
    assert partitions.ensure_for([dt.date(2020, 6, 3)]) == []
    assert partitions.create_ahead(3) == []
    assert partitions.partitions() == []
    assert partitions.drop_before(timezone.localdate()) == partitions.Dropped([], 0)
    assert Return.objects.count() == 1 and CurrentReturn.objects.count() == 1
    out = StringIO()
    call_command("returns_partitions", stdout=out)
    assert "not partitioned on this database" in out.getvalue()
