"""Kept summary totals: a summary over whole authorities keeps each authority's totals for the
day, reads them next time, and forgets them when a return or the register changes. The
property test in test_current_state compares them with figures computed afresh after random
sequences of writes; these tests pin down what is kept and what is forgotten."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from caresight.core.tenancy import OPERATOR
from caresight.registry.services import location_update
from caresight.registry.tests.factories import LocationFactory
from caresight.returns import current, kept_totals, selectors
from caresight.returns.models import KeptTotals, KeptTotalsVersion
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

DAY = dt.date(2020, 6, 4)


def submit(location, day, **changes):
    return return_submit(location=location, for_date=day, answers=care_home_answers(**changes),
                         user=OPERATOR).ret


def kept_days(authority) -> list[dt.date]:
    return sorted(KeptTotals.objects.filter(authority=authority)
                  .values_list("for_date", flat=True))


def summary(day, **options):
    return selectors.returns_summary(user=OPERATOR, as_of=day, **options)


def computed(day, **options):
    with current.computed_from_returns():
        return summary(day, **options)


@pytest.fixture
def homes(cambs, devon):
    found = {"ash": LocationFactory(authority=cambs, name="Ash House"),
             "beech": LocationFactory(authority=cambs, name="Beech House"),
             "dart": LocationFactory(authority=devon, name="Dartmoor House")}
    submit(found["ash"], DAY - dt.timedelta(days=2), beds_occupied="34", beds_vacant="6")
    submit(found["dart"], DAY, beds_occupied="35", beds_vacant="5")
    return found


@pytest.mark.django_db
class TestKeptTotals:
    def test_a_summary_keeps_each_authoritys_totals_and_reads_them_next_time(
            self, homes, cambs, devon):
        first = summary(DAY)
        assert first == computed(DAY)
        assert first["reported"] == 2 and first["beds"]["occupied"] == 34 + 35
        assert kept_days(cambs) == kept_days(devon) == [DAY]
        # Read, not worked out again: a service named as missing in the kept row only.
        row = KeptTotals.objects.get(authority=cambs, for_date=DAY)
        row.missing = json.dumps([*json.loads(row.missing), [homes["ash"].pk, "1-KEPT-ONLY"]])
        row.save()
        assert "1-KEPT-ONLY" in summary(DAY)["not_reported"]

    def test_a_return_forgets_its_authoritys_totals_from_its_day_on(self, homes, cambs, devon):
        days = [DAY - dt.timedelta(days=3), DAY - dt.timedelta(days=1), DAY]
        for day in days:
            summary(day)
        submit(homes["beech"], days[1], beds_occupied="36", beds_vacant="4")
        assert kept_days(cambs) == days[:1]
        assert kept_days(devon) == days
        for day in days:
            assert summary(day) == computed(day)
        assert summary(DAY)["beds"]["occupied"] == 34 + 36 + 35

    def test_a_change_to_the_register_forgets_every_day_of_both_authorities(
            self, homes, cambs, devon):
        summary(DAY - dt.timedelta(days=1))
        summary(DAY)
        location_update(location=homes["beech"], user=OPERATOR, authority=devon)
        assert kept_days(cambs) == kept_days(devon) == []
        after = summary(DAY, authority="E10000008")
        assert after == computed(DAY, authority="E10000008")
        assert after["locations"] == 2

    def test_one_authority_reads_only_its_own_kept_totals(self, homes, cambs, devon):
        assert summary(DAY, authority="E10000003")["reported"] == 1
        assert kept_days(cambs) == [DAY] and kept_days(devon) == []

    def test_totals_worked_out_while_a_write_commits_are_not_kept(self, homes, cambs, devon):
        before = kept_totals.versions([cambs.pk, devon.pk])
        worked_out = selectors.authority_totals([cambs.pk, devon.pk], DAY)
        kept_totals.forget([cambs.pk])  # a writer, between the reading and the keeping
        kept_totals.keep(DAY, kept_totals.measure_sets_on(DAY), worked_out, before)
        assert kept_days(cambs) == [] and kept_days(devon) == [DAY]
        assert KeptTotalsVersion.objects.get(authority=cambs).version == before[cambs.pk] + 1

    def test_totals_kept_for_other_measure_sets_are_not_read(self, homes, cambs):
        summary(DAY)
        KeptTotals.objects.filter(authority=cambs).update(measure_sets="care_home:0",
                                                          missing='[[1, "1-OLD-SET"]]')
        assert "1-OLD-SET" not in summary(DAY)["not_reported"]
        assert summary(DAY) == computed(DAY)

    def test_the_check_finds_kept_totals_out_of_step_and_rebuild_forgets_them(
            self, homes, cambs, capsys):
        summary(DAY)
        call_command("current_returns", "check")
        assert "The kept summary totals match the returns" in capsys.readouterr().out
        row = KeptTotals.objects.get(authority=cambs, for_date=DAY)
        row.missing = "[]"
        row.save()
        with pytest.raises(CommandError, match="1 authorities' kept summary totals"):
            call_command("current_returns", "check")
        assert f"Authority {cambs.pk} on 4 June 2020" in capsys.readouterr().out
        call_command("current_returns", "rebuild")
        assert not KeptTotals.objects.exists()
        call_command("current_returns", "check")
