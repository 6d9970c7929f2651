"""The outbreak tracker for any day: the seed's counts, by locality, and the lists behind them."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks import selectors, services
from caresight.outbreaks.models import Status
from caresight.outbreaks.tests.test_services import counts, report
from caresight.registry.tests.factories import LocalityFactory, LocationFactory, ProviderFactory

AS_OF = dt.date(2020, 6, 4)


@pytest.fixture
def tracker_area(cambs, devon):
    """Cambridgeshire outbreaks in two localities (live, de-escalating, closed) and one in Devon."""
    hunts, fenland = LocalityFactory(authority=cambs, name="Hunts"), LocalityFactory(
        authority=cambs, name="Fenland")
    group = ProviderFactory(name="Acorn Care")
    places = {
        "live": LocationFactory(authority=cambs, locality=hunts, provider=group),
        "live2": LocationFactory(authority=cambs, locality=fenland, provider=group),
        "de_escalating": LocationFactory(authority=cambs, locality=hunts),
        "closed": LocationFactory(authority=cambs, locality=fenland),
        "old": LocationFactory(authority=cambs, locality=fenland),
        "devon": LocationFactory(authority=devon),
    }
    report(places["live"], on=dt.date(2020, 6, 1))
    report(places["live2"], on=dt.date(2020, 5, 10))
    services.update_record(outbreak=places["live2"].outbreaks.get(), on=dt.date(2020, 5, 30),
                           counts=counts(), user=OPERATOR)
    report(places["de_escalating"], on=dt.date(2020, 5, 15))
    report(places["closed"], on=dt.date(2020, 5, 1))  # closes 29 May
    report(places["old"], on=dt.date(2020, 3, 1))  # closed long before the period
    report(places["devon"], on=dt.date(2020, 6, 2))
    return places


@pytest.mark.django_db
class TestTracker:
    def test_the_seed_counts_for_a_council(self, tracker_area, make_user, cambs):
        user = make_user(Role.PUBLIC_HEALTH, cambs)
        summary, rows = selectors.tracker(user=user, as_of=AS_OF)
        assert {k: summary[k] for k in ("on_tracker", "live", "de_escalation", "closed", "new",
                                        "providers")} == {
            "on_tracker": 3, "live": 2, "de_escalation": 1, "closed": 1, "new": 3,
            "providers": 2}
        by_locality = {r["locality"]: r for r in summary["by_locality"]}
        assert by_locality["Hunts"]["live"] == 1 and by_locality["Hunts"]["de_escalation"] == 1
        assert by_locality["Fenland"]["closed"] == 1
        assert tracker_area["devon"].pk not in {r["location_id"] for r in rows}
        assert {r["location_id"] for r in rows if "closed" in r["lists"]} == {
            tracker_area["closed"].pk}

    def test_a_past_day_is_reproduced_from_the_dated_status_changes(self, tracker_area):
        before, _ = selectors.tracker(user=OPERATOR, as_of=dt.date(2020, 5, 20))
        # live2 and de_escalating are live; the outbreak reported on 1 May de-escalated on 15 May.
        assert (before["on_tracker"], before["live"], before["de_escalation"]) == (3, 2, 1)
        later = dict(before)
        services.update_record(outbreak=tracker_area["de_escalating"].outbreaks.get(),
                               on=dt.date(2020, 6, 3), counts=counts(), user=OPERATOR)
        again, _ = selectors.tracker(user=OPERATOR, as_of=dt.date(2020, 5, 20))
        assert again == later
        now, _ = selectors.tracker(user=OPERATOR, as_of=AS_OF)
        assert now["de_escalation"] == 0

    def test_the_summary_command_prints_the_contract_keys(self, tracker_area):
        out = io.StringIO()
        call_command("summary", "outbreaks", "--as-of", "2020-06-04", "--authority",
                     "E10000003", "--format", "json", stdout=out)
        summary = json.loads(out.getvalue())
        assert {"on_tracker", "live", "de_escalation", "closed", "new", "providers",
                "by_locality"} <= set(summary)
        assert summary["on_tracker"] == 3 and summary["since"] == "2020-05-08"
        text = io.StringIO()
        call_command("summary", "outbreaks", "--as-of", "2020-06-04", stdout=text)
        assert "Number live being supported  3" in text.getvalue()

    def test_the_export_command_writes_the_tracker_rows(self, tracker_area, tmp_path):
        target = tmp_path / "tracker.csv"
        call_command("export", "outbreaks", "--to", "2020-06-04", "--authority", "E10000003",
                     "--output", str(target))
        lines = target.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("CQC location ID,Service,Provider")
        assert len(lines) == 1 + 4  # three on the tracker, one closed in the period
        assert sum("Live, being supported" in line for line in lines) == 2

    def test_status_on_a_day_is_read_from_the_status_changes(self, tracker_area):
        outbreaks = selectors.outbreak_list(user=OPERATOR)
        assert selectors.statuses_on(outbreaks, AS_OF)[
            tracker_area["closed"].outbreaks.get().pk] == Status.CLOSED
