"""The register, heat map, reviews due, decisions since and cases by status, as of any day,
reproduced from dated rows."""

import datetime as dt
from decimal import Decimal

import pytest

from caresight.core.tenancy import OPERATOR
from caresight.governance import selectors, services

from .factories import DAY, make_case, make_decision, make_risk

WEEK = dt.timedelta(days=7)
SCORES = {"likelihood": 2, "impact": 2, "residual_likelihood": 1, "residual_impact": 2}


@pytest.mark.django_db
class TestRegister:
    def test_the_register_on_any_day_uses_the_review_in_force_then(self, cambs, commissioner):
        market = make_risk(cambs, "R1")  # residual 12 on DAY
        ppe = make_risk(cambs, "R2", title="Lack of PPE", residual_likelihood=2,
                        residual_impact=2)  # residual 4
        services.risk_review_record(risk=market, reviewed_on=DAY + WEEK, user=OPERATOR,
                                    **SCORES)  # residual 2 a week later
        services.risk_review_record(risk=ppe, reviewed_on=DAY + 2 * WEEK, user=OPERATOR,
                                    **SCORES, status="closed")
        make_risk(cambs, "R3", raised_on=DAY + 3 * WEEK)

        def register(day):
            return [(r.risk.reference, r.residual_score) for r in
                    selectors.register(user=commissioner, as_of=day)]

        assert register(DAY - dt.timedelta(days=1)) == []
        assert register(DAY) == [("R1", 12), ("R2", 4)]
        assert register(DAY + WEEK) == [("R2", 4), ("R1", 2)]  # highest residual first
        assert register(DAY + 2 * WEEK) == [("R1", 2)]  # R2 closed
        assert register(DAY + 3 * WEEK) == [("R3", 12), ("R1", 2)]
        # and again, the same, after more was recorded
        assert register(DAY) == [("R1", 12), ("R2", 4)]

    def test_another_councils_risks_are_not_on_the_register(self, cambs, devon, commissioner):
        make_risk(devon)
        assert selectors.register(user=commissioner, as_of=DAY) == []
        assert len(selectors.register(user=OPERATOR, as_of=DAY)) == 1

    def test_mitigations_as_they_stood_at_the_end_of_the_day(self, cambs, commissioner):
        risk = make_risk(cambs)
        mitigation = services.mitigation_create(risk=risk, description="Block-book beds",
                                                started_on=DAY, user=OPERATOR)
        services.mitigation_create(risk=risk, description="Later",
                                   started_on=DAY + WEEK, user=OPERATOR)
        rows = selectors.register(user=commissioner, as_of=DAY)
        assert [(m.description, m.status) for m in rows[0].mitigations] == [
            ("Block-book beds", "planned")]
        # A change recorded today is not what stood at the end of a past day
        services.mitigation_update(mitigation=mitigation, description="Block-book beds",
                                   started_on=DAY, status="in_place", user=OPERATOR)
        rows = selectors.register(user=commissioner, as_of=DAY)
        assert rows[0].mitigations[0].status == "planned"
        today = selectors.register(user=commissioner, as_of=dt.date.today())
        assert [m.status for m in today[0].mitigations] == ["in_place", "planned"]

    def test_the_heat_map_counts_inherent_or_residual_squares(self, cambs, commissioner):
        make_risk(cambs, "R1")  # inherent 4×5, residual 3×4
        make_risk(cambs, "R2")
        rows = selectors.register(user=commissioner, as_of=DAY)
        residual = selectors.heat_map(rows)
        inherent = selectors.heat_map(rows, residual=False)
        assert [r["likelihood"] for r in residual] == [5, 4, 3, 2, 1]
        assert residual[2]["counts"][4] == 2 and sum(
            sum(r["counts"].values()) for r in residual) == 2
        assert inherent[1]["counts"][5] == 2 and inherent[2]["counts"][4] == 0

    def test_risks_due_or_overdue_for_review(self, cambs, commissioner):
        make_risk(cambs, "R1", next_review_on=DAY + dt.timedelta(days=3))
        make_risk(cambs, "R2", next_review_on=DAY + dt.timedelta(days=8))
        make_risk(cambs, "R3", next_review_on=None)
        due = selectors.due_for_review(user=commissioner, as_of=DAY)
        assert [(r.risk.reference, r.overdue) for r in due] == [("R1", False)]
        later = selectors.due_for_review(user=commissioner, as_of=DAY + dt.timedelta(days=4))
        assert [(r.risk.reference, r.overdue) for r in later] == [("R1", True), ("R2", False)]


@pytest.mark.django_db
class TestDecisionsAndCases:
    def test_decisions_made_since_a_day_up_to_another(self, cambs, devon, commissioner):
        make_decision(cambs, decided_on=DAY, title="First")
        make_decision(cambs, decided_on=DAY + WEEK, title="Second")
        make_decision(cambs, decided_on=DAY + 2 * WEEK, title="Third")
        make_decision(devon, decided_on=DAY + WEEK, title="Devon's")

        def titles(since, as_of):
            return [d.title for d in selectors.decisions_since(user=commissioner, since=since,
                                                               as_of=as_of)]

        assert titles(DAY + WEEK, DAY + 2 * WEEK) == ["Third", "Second"]
        assert titles(DAY + dt.timedelta(days=1), DAY + WEEK) == ["Second"]
        assert titles(None, DAY) == ["First"]

    def test_business_cases_by_status_as_of_a_day(self, cambs, commissioner):
        beds = make_case(cambs, title="Beds", amount="1000.00", status="draft", status_on=DAY)
        make_case(cambs, title="PPE store", amount="250.50", status="submitted",
                  status_on=DAY + WEEK)
        services.business_case_status_record(case=beds, status="approved",
                                              on=DAY + 2 * WEEK, user=OPERATOR)

        def by_status(day):
            rows = selectors.cases_as_of(user=commissioner, as_of=day)
            return {c["status"]: (c["count"], c["amount"])
                    for c in selectors.cases_by_status(rows) if c["count"]}

        assert by_status(DAY) == {"draft": (1, Decimal("1000.00"))}
        assert by_status(DAY + WEEK) == {"draft": (1, Decimal("1000.00")),
                                         "submitted": (1, Decimal("250.50"))}
        assert by_status(DAY + 2 * WEEK) == {"submitted": (1, Decimal("250.50")),
                                             "approved": (1, Decimal("1000.00"))}
        assert [r.case.title for r in selectors.cases_as_of(
            user=commissioner, as_of=DAY + 2 * WEEK, status="approved")] == ["Beds"]
