"""Worked-out logs kept in the database: the same ratings as worked out afresh, worked out
again after any change to what they are worked out from, counted and put in order there."""

import datetime as dt

import pytest

from caresight.accounts.models import Role
from caresight.core.audit import bulk_update_audited, save_audited
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


def ratings(**kwargs) -> dict[str, str]:
    return {r["name"]: r["rating"] for r in selectors.risk_log(user=None, **kwargs).rows()}


def afresh(as_of=DAY) -> dict[str, str]:
    """The ratings worked out from the data now, with nothing kept."""
    return {r["name"]: r["rating"] for r in selectors.computed_ratings(
        selectors.rated_locations(user=None, as_of=as_of), as_of)}


@pytest.fixture
def homes(cambs, devon):
    found = {
        "calm": LocationFactory(authority=cambs, name="Calm Lodge"),
        "quiet": LocationFactory(authority=cambs, name="Quiet House"),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    for home in found.values():
        return_submit(location=home, for_date=DAY - dt.timedelta(days=1),
                      answers=care_home_answers(**CALM), user=None)
    return found


def _worked_out(authority) -> SavedLog:
    return SavedLog.objects.get(kind=SavedLog.Kind.WORKED_OUT, authority=authority, as_of=DAY)


# Each change to what a rating is worked out from, and the rating it gives Calm Lodge on DAY.
def _return_missing_ppe(home, **_):
    return_submit(location=home, for_date=DAY, user=None,
                  answers=care_home_answers(ppe_days_eye_protection="2",
                                            staff_multiple_settings="0"))


def _outbreak(home, **_):
    report(home, on=DAY - dt.timedelta(days=1))


def _outbreak_update(home, **_):
    # Reported 40 days before (closed by DAY), then a new case 20 days before: on DAY the
    # outbreak is on the de-escalation pathway. The update rewrites its status changes.
    outbreak = report(home, on=DAY - dt.timedelta(days=40))
    assert ratings(as_of=DAY)["Calm Lodge"] == Rating.GREEN
    update_record(outbreak=outbreak, on=DAY - dt.timedelta(days=20), user=None,
                  counts=Counts(kind="confirmed", new_cases_residents=1))


def _concern(home, **_):
    services.concern_raise(location=home, raised_on=DAY, source="cqc", summary="Falls",
                           user=None)


def _override(home, **_):
    services.override_set(location=home, rating=Rating.RED, reason="IMT", starts_on=DAY,
                          expires_on=DAY, user=None)


def _policy(home, cambs, **_):
    services.policy_set(authority=cambs, ambers_make_red=3, user=None,
                        rules_chosen={"staff_across_settings": {"threshold": "0"}})


def _small_provider(home, **_):
    provider = home.provider
    provider.is_small = True
    save_audited(provider, user=None)


def _deregistered(home, **_):
    home.deregistration_date = DAY
    save_audited(home, user=None)


def _moved_in_bulk(home, devon, **_):
    home.authority = devon
    bulk_update_audited([home], Location, ["authority"], user=None, reason="Moved")


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
    def test_a_kept_log_gives_the_ratings_worked_out_afresh_and_is_read_again_as_kept(
            self, homes, cambs):
        first = ratings(as_of=DAY)
        assert first == afresh() == {"Calm Lodge": Rating.GREEN, "Quiet House": Rating.GREEN,
                                     "Dartmoor House": Rating.GREEN}
        kept = set(SavedRating.objects.values_list("pk", flat=True))
        assert ratings(as_of=DAY) == first
        assert set(SavedRating.objects.values_list("pk", flat=True)) == kept  # nothing redone
        assert SavedLog.objects.filter(kind=SavedLog.Kind.WORKED_OUT).count() == 2

    @pytest.mark.parametrize("change", list(CHANGES))
    def test_any_change_to_what_a_rating_is_worked_out_from_shows_at_once(
            self, change, homes, cambs, devon):
        do, expected = CHANGES[change]
        ratings(as_of=DAY)  # kept
        do(homes["calm"], cambs=cambs, devon=devon)
        now = ratings(as_of=DAY)
        assert now.get("Calm Lodge") == expected
        assert now == afresh()

    def test_only_the_authority_whose_data_changed_is_worked_out_again(
            self, homes, cambs, devon):
        ratings(as_of=DAY)
        devon_log, devon_ratings = (_worked_out(devon),
                                    set(SavedRating.objects.filter(log__authority=devon)))
        _concern(homes["calm"])
        assert ratings(as_of=DAY)["Calm Lodge"] == Rating.AMBER
        assert _worked_out(devon).inputs_version == devon_log.inputs_version
        assert set(SavedRating.objects.filter(log__authority=devon)) == devon_ratings
        assert _worked_out(cambs).inputs_version == InputsVersion.objects.get(
            authority=cambs).version

    def test_a_change_drops_the_authoritys_kept_ratings_of_other_days(self, homes, cambs):
        for day in (DAY, DAY + dt.timedelta(days=1)):
            ratings(as_of=day, authority="E10000003")
        assert SavedRating.objects.filter(log__authority=cambs).count() == 4
        _concern(homes["quiet"])
        ratings(as_of=DAY, authority="E10000003")
        assert SavedRating.objects.filter(log__authority=cambs, log__as_of=DAY).count() == 2
        assert not SavedRating.objects.filter(log__authority=cambs,
                                              log__as_of=DAY + dt.timedelta(days=1)).exists()
        later = ratings(as_of=DAY + dt.timedelta(days=1), authority="E10000003")
        assert later == {"Calm Lodge": Rating.GREEN, "Quiet House": Rating.AMBER}

    def test_a_councils_log_counts_and_lists_only_its_own_services(
            self, homes, cambs, make_user):
        _outbreak(homes["devon"])
        log = selectors.risk_log(user=make_user(Role.QUALITY_OFFICER, cambs), as_of=DAY)
        assert log.counts() == {Rating.RED: 0, Rating.AMBER: 0, Rating.GREEN: 2}
        assert {r["name"] for r in log.rows()} == {"Calm Lodge", "Quiet House"}
        assert selectors.risk_log(user=None, as_of=DAY).counts()[Rating.RED] == 1

    def test_the_log_is_red_first_then_by_score_locality_and_name(self, cambs, devon):
        """The database's order is the one officers expect, across authorities and with names
        that differ only in case or accents."""
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
        rows = selectors.risk_log(user=None, as_of=DAY).rows()
        order = {Rating.RED: 0, Rating.AMBER: 1, Rating.GREEN: 2}
        assert len(rows) == 20
        assert rows == sorted(rows, key=lambda r: (order[r["rating"]], -r["score"],
                                                   r["locality"], r["name"]))
        assert rows[0]["name"] == "Birch" and rows[0]["rating"] == Rating.RED
        first_two = selectors.risk_log(user=None, as_of=DAY).rows(limit=2)
        assert first_two == rows[:2]
        ambers = selectors.risk_log(user=None, as_of=DAY).rows(ratings=[Rating.AMBER])
        assert ambers == [r for r in rows if r["rating"] == Rating.AMBER]
