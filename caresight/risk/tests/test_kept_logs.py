"""Worked-out logs kept in the database: the same ratings as worked out afresh, kept by the
refresh service after any change to what they are worked out from (in the background, after
the change commits), counted and put in order there; a read never writes, and a log that is
out of date is read worked out afresh, with the same result."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from caresight.accounts.models import Role
from caresight.core.audit import bulk_update_audited, save_audited
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.services import Counts, update_record
from caresight.outbreaks.tests.test_services import report
from caresight.registry.models import Location
from caresight.registry.tests.factories import LocalityFactory, LocationFactory, ProviderFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers
from caresight.risk import selectors, services
from caresight.risk.models import InputsVersion, Rating, SavedLog, SavedRating

DAY = dt.date(2020, 6, 4)
CALM = {"ppe_days_eye_protection": "20", "staff_multiple_settings": "0"}


WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|COPY)\b", re.IGNORECASE)


def read(**kwargs) -> tuple[selectors.RiskLog, list[dict], dict[str, int]]:
    """A log, its rows and counts, read with the check that reading wrote nothing."""
    with CaptureQueriesContext(connection) as queries:
        log = selectors.risk_log(user=kwargs.pop("user", OPERATOR), **kwargs)
        rows, counts = log.rows(), log.counts()
    written = [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])]
    assert written == [], "a read wrote to the database"
    return log, rows, counts


def ratings(**kwargs) -> dict[str, str]:
    return {r["name"]: r["rating"] for r in read(**kwargs)[1]}


def refresh(**kwargs) -> int:
    kwargs.setdefault("as_of", DAY)
    return services.risk_logs_refresh(**kwargs)


def afresh(as_of=DAY) -> dict[str, str]:
    """The ratings worked out from the data now, with nothing kept."""
    return {r["name"]: r["rating"] for r in selectors.computed_ratings(
        selectors.rated_locations(user=OPERATOR, as_of=as_of), as_of)}


@pytest.fixture
def homes(cambs, devon):
    found = {
        "calm": LocationFactory(authority=cambs, name="Calm Lodge"),
        "quiet": LocationFactory(authority=cambs, name="Quiet House"),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    for home in found.values():
        return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                      answers=care_home_answers(**CALM), user=OPERATOR)
    return found


def _worked_out(authority) -> SavedLog:
    return SavedLog.objects.get(kind=SavedLog.Kind.WORKED_OUT, authority=authority, as_of=DAY)


# Each change to what a rating is worked out from, and the rating it gives Calm Lodge on DAY.
def _return_missing_ppe(home, **_):
    return_submit(location=home, for_date=DAY, user=OPERATOR,
                  answers=care_home_answers(ppe_days_eye_protection="2",
                                            staff_multiple_settings="0"))


def _outbreak(home, **_):
    report(home, on=DAY - dt.timedelta(days=1))


def _outbreak_update(home, **_):
    # Reported 40 days before (closed by DAY), then a new case 20 days before: on DAY the
    # outbreak is on the de-escalation pathway. The update rewrites its status changes.
    outbreak = report(home, on=DAY - dt.timedelta(days=40))
    assert ratings(as_of=DAY)["Calm Lodge"] == Rating.GREEN
    update_record(outbreak=outbreak, on=DAY - dt.timedelta(days=20), user=OPERATOR,
                  counts=Counts(kind="confirmed", new_cases_residents=1))


def _concern(home, **_):
    services.concern_raise(location=home, raised_on=DAY, source="cqc", summary="Falls",
                           user=OPERATOR)


def _override(home, **_):
    services.override_set(location=home, rating=Rating.RED, reason="IMT", starts_on=DAY,
                          expires_on=DAY, user=OPERATOR)


def _policy(home, cambs, **_):
    services.policy_set(authority=cambs, ambers_make_red=3, user=OPERATOR,
                        rules_chosen={"staff_across_settings": {"threshold": "0"}})


def _small_provider(home, **_):
    provider = home.provider
    provider.is_small = True
    save_audited(provider, user=OPERATOR)


def _deregistered(home, **_):
    home.deregistration_date = DAY
    save_audited(home, user=OPERATOR)


def _moved_in_bulk(home, devon, **_):
    home.authority = devon
    bulk_update_audited([home], Location, ["authority"], user=OPERATOR, reason="Moved")


CHANGES = {
    "a return with low PPE": (_return_missing_ppe, Rating.AMBER),
    "an outbreak reported": (_outbreak, Rating.RED),
    "an outbreak updated": (_outbreak_update, Rating.AMBER),
    "a quality concern raised": (_concern, Rating.AMBER),
    "an override": (_override, Rating.RED),
    # Rules changed today are not those in force on a past day (test_log checks today's log).
    "the authority's rules": (_policy, Rating.GREEN),
    "the provider made small": (_small_provider, Rating.AMBER),
    "the service deregistered": (_deregistered, None),
    "the service moved to another authority (in bulk)": (_moved_in_bulk, Rating.GREEN),
}


@pytest.mark.django_db
class TestKeptLogs:
    def test_a_read_writes_nothing_and_the_refresh_keeps_the_same_rows(self, homes, cambs):
        before, rows, counts = read(as_of=DAY)
        assert not before.current and not SavedLog.objects.exists()  # worked out in memory
        assert {r["name"]: r["rating"] for r in rows} == afresh() == {
            "Calm Lodge": Rating.GREEN, "Quiet House": Rating.GREEN,
            "Dartmoor House": Rating.GREEN}
        assert refresh() == 2
        assert SavedLog.objects.filter(kind=SavedLog.Kind.WORKED_OUT).count() == 2
        kept_log, kept_rows, kept_counts = read(as_of=DAY)
        assert kept_log.current
        assert (kept_rows, kept_counts) == (rows, counts)  # the same, row for row
        kept = set(SavedRating.objects.values_list("pk", flat=True))
        assert refresh() == 0  # current: nothing redone
        assert set(SavedRating.objects.values_list("pk", flat=True)) == kept

    @pytest.mark.parametrize("change", list(CHANGES))
    def test_any_change_to_what_a_rating_is_worked_out_from_shows_at_once(
            self, change, homes, cambs, devon):
        do, expected = CHANGES[change]
        refresh()
        do(homes["calm"], cambs=cambs, devon=devon)
        log, rows, _ = read(as_of=DAY)
        assert not log.current  # out of date in the database: worked out afresh
        now = {r["name"]: r["rating"] for r in rows}
        assert now.get("Calm Lodge") == expected
        assert now == afresh()
        assert refresh() >= 1
        kept_log, kept_rows, _ = read(as_of=DAY)
        assert kept_log.current and kept_rows == rows

    def test_only_the_authority_whose_data_changed_is_worked_out_again(
            self, homes, cambs, devon):
        refresh()
        devon_log, devon_ratings = (_worked_out(devon),
                                    set(SavedRating.objects.filter(log__authority=devon)))
        _concern(homes["calm"])
        assert refresh() == 1
        assert ratings(as_of=DAY)["Calm Lodge"] == Rating.AMBER
        assert _worked_out(devon).inputs_version == devon_log.inputs_version
        assert set(SavedRating.objects.filter(log__authority=devon)) == devon_ratings
        assert _worked_out(cambs).inputs_version == InputsVersion.objects.get(
            authority=cambs).version

    def test_a_refresh_drops_the_authoritys_kept_ratings_of_other_days(self, homes, cambs):
        for day in (DAY, DAY + dt.timedelta(days=1)):
            refresh(as_of=day, authority_ids=[cambs.pk])
        assert SavedRating.objects.filter(log__authority=cambs).count() == 4
        _concern(homes["quiet"])
        refresh(as_of=DAY, authority_ids=[cambs.pk])
        assert SavedRating.objects.filter(log__authority=cambs, log__as_of=DAY).count() == 2
        assert not SavedRating.objects.filter(log__authority=cambs,
                                              log__as_of=DAY + dt.timedelta(days=1)).exists()
        later = ratings(as_of=DAY + dt.timedelta(days=1), authority="E10000003")
        assert later == {"Calm Lodge": Rating.GREEN, "Quiet House": Rating.AMBER}

    @pytest.mark.parametrize("kept", [False, True])
    def test_a_councils_log_counts_and_lists_only_its_own_services(
            self, kept, homes, cambs, make_user):
        _outbreak(homes["devon"])
        if kept:
            refresh()
        log, rows, counts = read(user=make_user(Role.QUALITY_OFFICER, cambs), as_of=DAY)
        assert log.current is kept
        assert counts == {Rating.RED: 0, Rating.AMBER: 0, Rating.GREEN: 2}
        assert {r["name"] for r in rows} == {"Calm Lodge", "Quiet House"}
        assert read(as_of=DAY)[2][Rating.RED] == 1

    def test_the_log_is_red_first_then_by_score_locality_and_name(self, cambs, devon):
        """The database's order is the one officers expect, across authorities and with names
        that differ only in case or accents; worked out afresh, it is the same."""
        fenland, hunts = (LocalityFactory(authority=cambs, name="Fenland"),
                          LocalityFactory(authority=cambs, name="Hunts"))
        small = ProviderFactory(is_small=True)
        for n, name in enumerate(["Ash", "ash", "Birch", "Éclair", "Z"]):
            for authority, locality in ((cambs, fenland), (cambs, hunts), (cambs, None),
                                        (devon, None)):
                LocationFactory(authority=authority, locality=locality, name=name,
                                provider=small if n % 2 else ProviderFactory())
        outbreak_home = Location.objects.filter(name="Birch", authority=devon).get()
        _outbreak(outbreak_home)
        afresh_rows = read(as_of=DAY)[1]
        refresh(authority_ids=[devon.pk])  # one kept, one worked out afresh: merged in order
        assert read(as_of=DAY)[1] == afresh_rows
        refresh()
        rows = selectors.risk_log(user=OPERATOR, as_of=DAY).rows()
        assert rows == afresh_rows
        order = {Rating.RED: 0, Rating.AMBER: 1, Rating.GREEN: 2}
        assert len(rows) == 20
        assert rows == sorted(rows, key=lambda r: (order[r["rating"]], -r["score"],
                                                   r["locality"], r["name"]))
        assert rows[0]["name"] == "Birch" and rows[0]["rating"] == Rating.RED
        first_two = selectors.risk_log(user=OPERATOR, as_of=DAY).rows(limit=2)
        assert first_two == rows[:2]
        ambers = selectors.risk_log(user=OPERATOR, as_of=DAY).rows(ratings=[Rating.AMBER])
        assert ambers == [r for r in rows if r["rating"] == Rating.AMBER]


@pytest.mark.django_db
class TestRefreshedInTheBackground:
    def test_a_change_queues_one_refresh_when_it_commits(
            self, homes, cambs, django_capture_on_commit_callbacks, monkeypatch):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: DAY)
        # The fixture's writes queued their refresh in the test's own transaction, which never
        # commits; what is queued from here on is this block's.
        connection.run_on_commit.clear()
        with (django_capture_on_commit_callbacks(execute=True) as callbacks,
              transaction.atomic()):
            _concern(homes["calm"])
            _concern(homes["quiet"])
        assert len(callbacks) == 1  # one refresh for the transaction's changes
        # The refresh ran (tasks run at once in tests): the log is kept, with the changes.
        log = selectors.risk_log(user=OPERATOR, as_of=DAY, authority="E10000003")
        assert log.current
        assert {r["name"]: r["rating"] for r in log.rows()} == {
            "Calm Lodge": Rating.AMBER, "Quiet House": Rating.AMBER}

    def test_a_write_after_one_rolled_back_still_queues_its_refresh(
            self, homes, django_capture_on_commit_callbacks):
        connection.run_on_commit.clear()  # as above
        with django_capture_on_commit_callbacks() as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                _concern(homes["calm"])
                raise RuntimeError("undone")
            _concern(homes["quiet"])
        assert len(callbacks) == 1

    def test_the_refresh_command_keeps_the_days_logs(self, homes, cambs):
        out = io.StringIO()
        call_command("risk", "refresh", "--as-of", DAY.isoformat(), "--authority",
                     "E10000003", stdout=out)
        assert "Worked out and kept 1 risk log" in out.getvalue()
        assert list(SavedLog.objects.values_list("authority", flat=True)) == [cambs.pk]
        call_command("risk", "refresh", "--as-of", DAY.isoformat(), stdout=out)
        assert SavedLog.objects.count() == 2
        assert selectors.risk_log(user=OPERATOR, as_of=DAY).current
