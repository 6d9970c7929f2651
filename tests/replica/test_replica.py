"""The read replica: dashboards' and reports' read-only pages read from a real streaming standby
of a private primary (conftest.py), and nothing is ever written through it."""

import datetime as dt
import re

import pytest
from django.db import DatabaseError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.db import REPLICA, in_parallel, replica_reads
from caresight.core.tenancy import OPERATOR
from caresight.dashboards import selectors as dashboards
from caresight.dashboards.tests.factories import make_area
from caresight.outbreaks.services import Counts, outbreak_report
from caresight.registry.models import Authority, Location
from caresight.registry.services import location_update
from caresight.registry.tests.factories import LocationFactory
from caresight.reports import services as reports
from caresight.reports.models import NarrativeEntry, PublishedReport

pytestmark = [
    pytest.mark.replica,
    # Committed, so that the replica sees it; the migrations' rows (authorities) are put back
    # after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True,
                          databases=["default", REPLICA]),
]

# The tables of the figures the dashboards and reports show (not sessions, users, roles).
FIGURE_TABLES = re.compile(
    r"^(registry|returns|outbreaks|risk|grants|plans|governance|workforce|beds|reports)_")


def tables_read(captured) -> set[str]:
    return {name for query in captured.captured_queries
            for name in re.findall(r'"(\w+)"\."', query["sql"])}


def figure_tables(captured) -> set[str]:
    return {name for name in tables_read(captured) if FIGURE_TABLES.match(name)}


class both_databases:
    """The queries run on the primary and on the replica while the block runs."""

    def __enter__(self):
        self.default = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections[REPLICA]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.default.__exit__(*exc)


def live_outbreaks(user, day) -> int:
    shown = dashboards.officer_dashboard(user=user, as_of=day)
    return next(item.figure.value for item in shown if item.tile.key == "outbreaks_live")


def test_the_replica_is_a_read_only_standby_of_the_primary(cambs):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_setting('port')")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False
    assert Authority.objects.using(REPLICA).get(pk=cambs.pk).name == cambs.name
    with pytest.raises(DatabaseError, match="read-only transaction"):
        Authority.objects.using(REPLICA).filter(pk=cambs.pk).update(name="Written")


def test_the_dashboard_reads_its_figures_from_the_replica(cambs, devon, make_user, client):
    area = make_area(cambs, devon)
    admin = make_user(Role.ADMIN, cambs)
    client.force_login(admin)
    with both_databases() as queries:
        response = client.get(reverse("home"), {"as_of": area["day"].isoformat()})
    assert response.status_code == 200
    read = figure_tables(queries.replica)
    assert {"registry_location", "outbreaks_outbreak", "risk_savedrating"} <= read, read
    assert any(name.startswith("returns_") for name in read), read
    # The primary answered the session and the user, not one figure.
    assert figure_tables(queries.default) == set()
    assert all(q["sql"].lstrip().upper().startswith("SELECT")
               for q in queries.replica.captured_queries)


def test_a_dashboard_shows_what_the_replica_holds_until_it_catches_up(
        cambs, devon, make_user, replica_pair):
    area = make_area(cambs, devon)
    admin = make_user(Role.ADMIN, cambs)
    assert live_outbreaks(admin, area["day"]) == 1
    replica_pair.replica.sql("postgres", "SELECT pg_wal_replay_pause()")
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET synchronous_commit = local")  # do not wait for the paused copy
        outbreak_report(location=area["homes"][0], reported_on=area["day"],
                        reported_by="provider",
                        counts=Counts(kind="confirmed", new_cases_residents=1), user=OPERATOR)
        assert live_outbreaks(admin, area["day"]) == 2  # the primary
        with replica_reads():
            assert live_outbreaks(admin, area["day"]) == 1  # the replica, behind
    finally:
        replica_pair.replica.sql("postgres", "SELECT pg_wal_replay_resume()")
        with connections["default"].cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    replica_pair.wait_until_replayed()
    with replica_reads():
        assert live_outbreaks(admin, area["day"]) == 2


def test_report_pages_and_downloads_read_from_the_replica_and_publishing_writes_the_primary(
        cambs, devon, make_user, client):
    area = make_area(cambs, devon)
    officer = make_user(Role.COMMISSIONER, cambs)
    reports.entry_create(user=officer, authority=cambs, section="recovery", on=area["day"],
                         text="Day services reopened.")
    client.force_login(officer)
    query = {"kind": "highlight", "authority": cambs.ons_code,
             "as_of": area["day"].isoformat()}
    for params in (query, {**query, "format": "html"}):
        with both_databases() as queries:
            response = client.get(reverse("reports:build"), params)
        assert response.status_code == 200
        assert b"Day services reopened." in response.content
        assert "reports_narrativeentry" in figure_tables(queries.replica)
        assert figure_tables(queries.default) == set(), params

    with both_databases() as queries:
        response = client.post(reverse("reports:publish"), {
            **query, "from": (area["day"] - dt.timedelta(days=6)).isoformat()})
    assert response.status_code == 302
    assert queries.replica.captured_queries == []
    report = PublishedReport.objects.using("default").get()

    with both_databases() as queries:
        page = client.get(reverse("reports:published", args=[report.pk]))
        pdf = client.get(reverse("reports:published-file", args=[report.pk, "pdf"]))
    assert page.status_code == 200 and bytes(pdf.content) == bytes(report.pdf)
    assert "reports_publishedreport" in figure_tables(queries.replica)
    assert figure_tables(queries.default) == set()


def test_writes_inside_replica_reads_go_to_the_primary_and_read_there(cambs, make_user):
    officer = make_user(Role.COMMISSIONER, cambs)
    LocationFactory(authority=cambs, name="Fen View Care Home")
    with replica_reads():
        home = Location.objects.get(authority=cambs)
    assert home._state.db == REPLICA
    with both_databases() as queries, replica_reads():
        location_update(location=home, user=OPERATOR, name="Fen View Renamed")
        reports.entry_create(user=officer, authority=cambs, section="recovery",
                             on=dt.date(2020, 11, 30), text="Written inside replica reads.")
        with transaction.atomic():  # a transaction reads its own writes, on the primary
            assert NarrativeEntry.objects.filter(text__startswith="Written inside").exists()
    assert [q["sql"] for q in queries.replica.captured_queries] == []
    assert Location.objects.using("default").get(pk=home.pk).name == "Fen View Renamed"
    assert Location.objects.using(REPLICA).get(pk=home.pk).name == "Fen View Renamed"


def test_a_read_run_beside_another_goes_to_the_replica_too(cambs):
    def where() -> str:
        return Authority.objects.all().db

    assert in_parallel(where, where) == ("default", "default")
    with replica_reads():
        assert in_parallel(where, where) == (REPLICA, REPLICA)
