"""The governance services: what they refuse (naming the field, writing nothing), what they
write, and that every write is audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caresight.core.tenancy import OPERATOR
from caresight.governance import services
from caresight.governance.models import (
    BusinessCase,
    BusinessCaseStatus,
    Decision,
    Mitigation,
    Risk,
    RiskReview,
)
from caresight.outbreaks.services import Counts, outbreak_report
from caresight.registry.tests.factories import LocationFactory

from .factories import DAY, make_case, make_decision, make_risk


def refused(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


@pytest.mark.django_db
class TestRisks:
    def test_creating_a_risk_writes_its_first_review_and_history(self, cambs):
        risk = make_risk(cambs)
        review = risk.reviews.get()
        assert (review.reviewed_on, review.score, review.residual_score) == (DAY, 20, 12)
        assert risk.history.get().history_change_reason == "Risk added to the register"
        assert review.history.get().history_type == "+"

    @pytest.mark.parametrize("field", ["likelihood", "impact", "residual_likelihood",
                                       "residual_impact"])
    @pytest.mark.parametrize("value", [0, 6])
    def test_a_score_outside_1_to_5_is_refused_naming_the_field(self, cambs, field, value):
        errors = refused(lambda: make_risk(cambs, **{field: value}))
        assert list(errors) == [field]
        assert "from 1 to 5" in errors[field][0]
        assert not Risk.objects.exists() and not RiskReview.objects.exists()

    def test_a_residual_score_above_the_inherent_needs_a_reason(self, cambs):
        errors = refused(lambda: make_risk(cambs, likelihood=2, impact=2,
                                           residual_likelihood=3, residual_impact=3))
        assert list(errors) == ["residual_reason"]
        assert "(9) is above the inherent score (4)" in errors["residual_reason"][0]
        assert not Risk.objects.exists()
        risk = make_risk(cambs, likelihood=2, impact=2, residual_likelihood=3,
                         residual_impact=3, residual_reason="A mitigation failed")
        assert risk.reviews.get().residual_score == 9

    def test_a_review_in_the_future_or_before_the_risk_is_refused(self, cambs):
        risk = make_risk(cambs)
        scores = {"likelihood": 3, "impact": 3, "residual_likelihood": 2, "residual_impact": 2}
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        errors = refused(lambda: services.risk_review_record(
            risk=risk, reviewed_on=tomorrow, user=OPERATOR, **scores))
        assert list(errors) == ["reviewed_on"] and "in the future" in errors["reviewed_on"][0]
        errors = refused(lambda: services.risk_review_record(
            risk=risk, reviewed_on=DAY - dt.timedelta(days=1), user=OPERATOR, **scores))
        assert list(errors) == ["reviewed_on"] and "raised on 4 June 2020" in errors[
            "reviewed_on"][0]
        assert risk.reviews.count() == 1

    def test_a_second_review_the_same_day_replaces_it_and_is_kept_in_history(self, cambs):
        risk = make_risk(cambs)
        later = DAY + dt.timedelta(days=7)
        scores = {"likelihood": 3, "impact": 3, "residual_likelihood": 2, "residual_impact": 2}
        services.risk_review_record(risk=risk, reviewed_on=later, user=OPERATOR, **scores)
        services.risk_review_record(risk=risk, reviewed_on=later, user=OPERATOR,
                                    **{**scores, "residual_impact": 1})
        review = risk.reviews.get(reviewed_on=later)
        assert (risk.reviews.count(), review.residual_score) == (2, 2)
        assert [h.history_change_reason for h in review.history.order_by("history_id")] == [
            "Risk reviewed", "Risk review corrected"]

    def test_a_reference_is_unique_per_authority(self, cambs, devon):
        make_risk(cambs)
        assert list(refused(lambda: make_risk(cambs, "r1"))) == ["reference"]
        assert make_risk(devon).reference == "R1"

    def test_links_must_be_of_the_risks_authority(self, cambs, devon):
        other = outbreak_report(location=LocationFactory(authority=devon), reported_on=DAY,
                                reported_by="provider", counts=Counts(kind="confirmed"),
                                user=OPERATOR)
        own = outbreak_report(location=LocationFactory(authority=cambs), reported_on=DAY,
                              reported_by="provider", counts=Counts(kind="confirmed"),
                              user=OPERATOR)
        errors = refused(lambda: make_risk(cambs, outbreaks=[other]))
        assert list(errors) == ["outbreaks"] and not Risk.objects.exists()
        risk = make_risk(cambs, outbreaks=[own])
        assert list(risk.outbreaks.all()) == [own]
        services.risk_update(risk=risk, user=OPERATOR, title="Care market capacity",
                             outbreaks=[])
        risk.refresh_from_db()
        assert (risk.title, risk.outbreaks.count()) == ("Care market capacity", 0)
        assert risk.history.count() >= 2

    def test_a_mitigation_due_before_its_start_is_refused(self, cambs):
        risk = make_risk(cambs)
        errors = refused(lambda: services.mitigation_create(
            risk=risk, description="Block-book beds", started_on=DAY,
            due_on=DAY - dt.timedelta(days=1), user=OPERATOR))
        assert list(errors) == ["due_on"] and "a due date before the start" in errors[
            "due_on"][0]
        assert not Mitigation.objects.exists()
        mitigation = services.mitigation_create(risk=risk, description="Block-book beds",
                                                started_on=DAY, due_on=DAY, user=OPERATOR)
        services.mitigation_update(mitigation=mitigation, description="Block-book beds",
                                   started_on=DAY, status="in_place", user=OPERATOR)
        assert mitigation.history.count() == 2


@pytest.mark.django_db
class TestDecisions:
    def test_a_decision_with_no_date_is_refused_naming_decided_on(self, cambs):
        errors = refused(lambda: make_decision(cambs, decided_on=None))
        assert list(errors) == ["decided_on"] and "decided_on" in errors["decided_on"][0]
        assert not Decision.objects.exists()

    @pytest.mark.parametrize("amount", ["-10.00", "ten pounds", "1.234", 12.5])
    def test_an_amount_that_is_negative_or_not_money_is_refused(self, cambs, amount):
        errors = refused(lambda: make_decision(cambs, amount=amount))
        assert list(errors) == ["amount"]
        assert not Decision.objects.exists()

    def test_related_records_must_be_the_decisions_authoritys(self, cambs, devon):
        other_risk = make_risk(devon)
        errors = refused(lambda: make_decision(cambs, related_risk=other_risk))
        assert list(errors) == ["related_risk"]
        decision = make_decision(cambs, related_risk=make_risk(cambs, "R2"), amount="£1,500.50")
        assert decision.amount == Decimal("1500.50")
        services.decision_update(decision=decision, user=OPERATOR, key_decision=True)
        assert decision.history.count() == 2


@pytest.mark.django_db
class TestBusinessCases:
    @pytest.mark.parametrize("amount", ["-1.00", "lots", "", "10.001"])
    def test_an_amount_negative_or_not_money_is_refused_naming_amount(self, cambs, amount):
        errors = refused(lambda: make_case(cambs, amount=amount))
        assert list(errors) == ["amount"]
        assert not BusinessCase.objects.exists() and not BusinessCaseStatus.objects.exists()

    def test_creating_writes_the_first_status_and_a_settling_decision_is_kept(self, cambs):
        case = make_case(cambs, status="draft", status_on=DAY)
        assert list(case.statuses.values_list("status", "on")) == [("draft", DAY)]
        services.business_case_status_record(case=case, status="submitted",
                                              on=DAY + dt.timedelta(days=2), user=OPERATOR)
        case.refresh_from_db()
        assert case.submitted_on == DAY + dt.timedelta(days=2)
        decision = make_decision(cambs, decided_on=DAY + dt.timedelta(days=9))
        errors = refused(lambda: services.business_case_status_record(
            case=case, status="approved", on=DAY + dt.timedelta(days=8), decision=decision,
            user=OPERATOR))
        assert list(errors) == ["decision"]
        services.business_case_status_record(case=case, status="approved",
                                              on=DAY + dt.timedelta(days=9), decision=decision,
                                              user=OPERATOR)
        case.refresh_from_db()
        assert case.decision == decision and case.statuses.count() == 3
        assert case.history.count() == 3

    def test_a_status_before_the_first_is_refused(self, cambs):
        case = make_case(cambs)
        errors = refused(lambda: services.business_case_status_record(
            case=case, status="withdrawn", on=DAY - dt.timedelta(days=1), user=OPERATOR))
        assert list(errors) == ["on"] and case.statuses.count() == 1
