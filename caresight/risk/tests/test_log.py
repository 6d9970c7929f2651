"""The risk log on any day: computed from current data, overridden, saved and shown again."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.outbreaks.tests.test_services import report
from caresight.registry.tests.factories import LocationFactory, ProviderFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers
from caresight.risk import selectors, services
from caresight.risk.models import Rating, SavedLog

DAY = dt.date(2020, 6, 4)
CALM = {"ppe_days_eye_protection": "20", "staff_multiple_settings": "0"}


@pytest.fixture
def area(cambs, devon):
    homes = {
        "outbreak": LocationFactory(authority=cambs, name="Outbreak House"),
        "calm": LocationFactory(authority=cambs, name="Calm Lodge"),
        "silent": LocationFactory(authority=cambs, name="Silent Court",
                                  provider=ProviderFactory(is_small=True)),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    for key in ("outbreak", "calm", "devon"):
        return_submit(location=homes[key], for_date=DAY - dt.timedelta(days=1),
                      answers=care_home_answers(**CALM), user=OPERATOR)
    report(homes["outbreak"], on=DAY - dt.timedelta(days=2))
    return homes


@pytest.mark.django_db
class TestRiskLog:
    def test_the_log_is_red_first_with_the_reasons_and_only_the_councils_services(
            self, area, cambs, make_user):
        rows = selectors.risk_log(user=make_user(Role.QUALITY_OFFICER, cambs), as_of=DAY).rows()
        assert [(r["name"], r["rating"]) for r in rows] == [
            ("Outbreak House", Rating.RED), ("Silent Court", Rating.AMBER),
            ("Calm Lodge", Rating.GREEN)]
        assert [f["code"] for f in rows[1]["fired"]] == ["no_return", "small_provider"]

    def test_an_override_applies_until_it_expires_and_shows_the_rules_rating(self, area):
        services.override_set(location=area["calm"], rating=Rating.RED, reason="Safeguarding",
                              starts_on=DAY, expires_on=DAY + dt.timedelta(days=6), user=OPERATOR)
        on_day = {r["name"]: r for r in selectors.risk_log(user=OPERATOR, as_of=DAY,
                                                           authority="E10000003").rows()}
        assert on_day["Calm Lodge"]["rating"] == Rating.RED
        assert on_day["Calm Lodge"]["computed_rating"] == Rating.GREEN
        later = {r["name"]: r for r in selectors.risk_log(
            user=OPERATOR, as_of=DAY + dt.timedelta(days=7), authority="E10000003").rows()}
        assert later["Calm Lodge"]["override_reason"] == ""

    def test_overrides_without_a_reason_or_ending_before_they_start_are_refused(self, area):
        with pytest.raises(ValidationError) as error:
            services.override_set(location=area["calm"], rating=Rating.RED, reason=" ",
                                  starts_on=DAY, expires_on=DAY - dt.timedelta(days=1),
                                  user=OPERATOR)
        assert set(error.value.message_dict) == {"reason", "expires_on"}

    def test_a_concern_counts_while_it_is_open(self, area):
        concern = services.concern_raise(location=area["calm"], raised_on=DAY,
                                         source="complaint", summary="Falls", user=OPERATOR)
        services.concern_close(concern=concern, closed_on=DAY + dt.timedelta(days=3),
                               closing_note="Plan agreed", user=OPERATOR)

        def calm_on(day):
            return next(r for r in selectors.risk_log(user=OPERATOR, as_of=day).rows()
                        if r["name"] == "Calm Lodge")

        assert calm_on(DAY)["rating"] == Rating.AMBER
        assert calm_on(DAY + dt.timedelta(days=3))["rating"] == Rating.GREEN
        with pytest.raises(ValidationError, match="was closed on 7 June 2020"):
            services.concern_close(concern=concern, closed_on=DAY, closing_note="", user=OPERATOR)

    def test_a_saved_log_is_shown_as_it_was_and_cannot_be_saved_twice(self, area, cambs):
        services.risk_log_save(authority=cambs, as_of=DAY, user=OPERATOR)
        services.concern_raise(location=area["calm"], raised_on=DAY, source="cqc",
                               summary="Inspection", user=OPERATOR)
        rows = selectors.risk_log(user=OPERATOR, as_of=DAY, authority="E10000003").rows()
        assert next(r for r in rows if r["name"] == "Calm Lodge")["rating"] == Rating.GREEN
        assert all(r["saved"] for r in rows)
        outbreak_house = next(r for r in rows if r["name"] == "Outbreak House")
        assert [f["code"] for f in outbreak_house["fired"]] == ["live_outbreak"]
        with pytest.raises(ValidationError, match="already saved"):
            services.risk_log_save(authority=cambs, as_of=DAY, user=OPERATOR)
        assert SavedLog.objects.filter(kind=SavedLog.Kind.SAVED).count() == 1

    def test_a_past_days_log_uses_the_rules_in_force_that_day(self, area, cambs):
        before = {r["name"]: r["rating"] for r in selectors.risk_log(user=OPERATOR,
                                                                     as_of=DAY).rows()}
        today_before = {r["name"]: r["rating"] for r in selectors.risk_log(
            user=OPERATOR, as_of=timezone.localdate()).rows()}
        services.policy_set(authority=cambs, rules_chosen={"small_provider": {"rating": "red"}},
                            ambers_make_red=3, user=OPERATOR)
        again = {r["name"]: r["rating"] for r in selectors.risk_log(user=OPERATOR,
                                                                    as_of=DAY).rows()}
        today = {r["name"]: r["rating"] for r in selectors.risk_log(
            user=OPERATOR, as_of=timezone.localdate()).rows()}
        assert again == before and before["Silent Court"] == Rating.AMBER
        assert (today_before["Silent Court"], today["Silent Court"]) == (Rating.AMBER, Rating.RED)

    def test_todays_log_shows_changes_made_after_it_was_saved(self, area, cambs):
        today = timezone.localdate()
        services.risk_log_save(authority=cambs, as_of=today, user=OPERATOR)
        services.override_set(location=area["calm"], rating=Rating.RED, reason="IMT",
                              starts_on=today, expires_on=today, user=OPERATOR)

        def calm(**kwargs):
            return next(r for r in selectors.risk_log(user=OPERATOR, as_of=today, **kwargs).rows()
                        if r["name"] == "Calm Lodge")

        assert (calm()["rating"], calm()["saved"]) == (Rating.RED, False)
        assert calm(use_saved=True)["saved"] is True

    def test_rules_are_chosen_per_authority(self, area, cambs):
        services.policy_set(authority=cambs, rules_chosen={"small_provider": {"enabled": False},
                                                           "no_return": {"rating": "red"}},
                            ambers_make_red=0, user=OPERATOR)
        silent = next(r for r in selectors.risk_log(user=OPERATOR,
                                                    as_of=timezone.localdate()).rows()
                      if r["name"] == "Silent Court")
        assert silent["rating"] == Rating.RED and len(silent["fired"]) == 1
        with pytest.raises(ValidationError):
            services.policy_set(authority=cambs, rules_chosen={"ppe_low": {"threshold": "x"}},
                                ambers_make_red=3, user=OPERATOR)

    def test_a_councils_log_shows_only_its_own_services_outbreaks_concerns_and_overrides(
            self, area, cambs, make_user):
        # Another council's outbreak, concern and override, and one of this council's.
        report(area["devon"], on=DAY - dt.timedelta(days=1))
        for home in (area["devon"], area["calm"]):
            services.concern_raise(location=home, raised_on=DAY, source="cqc",
                                   summary=f"Inspection of {home.name}", user=OPERATOR)
            services.override_set(location=home, rating=Rating.RED, reason="Visit due",
                                  starts_on=DAY, expires_on=DAY, user=OPERATOR)
        rows = selectors.risk_log(user=make_user(Role.QUALITY_OFFICER, cambs), as_of=DAY).rows()
        assert [(r["name"], r["rating"], r["computed_rating"]) for r in rows] == [
            ("Outbreak House", Rating.RED, Rating.RED), ("Calm Lodge", Rating.RED, Rating.AMBER),
            ("Silent Court", Rating.AMBER, Rating.AMBER)]
        calm = rows[1]
        assert [f["why"] for f in calm["fired"]] == ["Open concern: Inspection of Calm Lodge"]
        assert calm["override_reason"] == "Visit due"
        devon = next(r for r in selectors.risk_log(user=OPERATOR, as_of=DAY).rows()
                     if r["name"] == "Dartmoor House")
        assert [f["code"] for f in devon["fired"]] == ["live_outbreak", "quality_concern"]

    def test_the_command_saves_logs_and_the_export_writes_xlsx(self, area, tmp_path):
        selectors.risk_log(user=OPERATOR, as_of=DAY)  # a worked-out log kept is not a saved one
        out = io.StringIO()
        call_command("risk", "save-log", "--as-of", "2020-06-04", "--authority", "E10000003",
                     stdout=out)
        call_command("risk", "save-log", "--as-of", "2020-06-04", "--authority", "E10000003",
                     stdout=out)
        assert "Saved 1 risk log for 4 June 2020; 0 already saved." in out.getvalue()
        assert "Saved 0 risk logs for 4 June 2020; 1 already saved." in out.getvalue()
        target = tmp_path / "log.xlsx"
        call_command("export", "risk-log", "--to", "2020-06-04", "--format", "xlsx",
                     "--output", str(target))
        sheet = openpyxl.load_workbook(target).active
        values = list(sheet.values)
        assert values[0][:2] == ("Rating", "Service")
        assert values[1][:2] == ("Red", "Outbreak House")
        assert "Dartmoor House" in [v[1] for v in values]  # the operator exports everything
