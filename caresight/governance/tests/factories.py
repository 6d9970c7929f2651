"""Records for the governance tests, made through the services."""

import datetime as dt

from caresight.accounts.models import Organisation
from caresight.core.tenancy import OPERATOR

from .. import services

DAY = dt.date(2020, 6, 4)


def make_risk(authority, reference="R1", *, raised_on=DAY, likelihood=4, impact=5,
              residual_likelihood=3, residual_impact=4, **extra):
    values = {"title": "Market capacity", "category": "market_capacity",
              "description": "Too few beds for discharges", "owner": "Head of Commissioning",
              "residual_narrative": "Extra capacity approved by the CCG",
              "next_review_on": raised_on + dt.timedelta(days=14), **extra}
    return services.risk_create(authority=authority, reference=reference, raised_on=raised_on,
                                likelihood=likelihood, impact=impact,
                                residual_likelihood=residual_likelihood,
                                residual_impact=residual_impact, user=OPERATOR, **values)


def ccg() -> Organisation:
    return Organisation.objects.get_or_create(
        name="Cambridgeshire and Peterborough CCG", kind=Organisation.Kind.NHS_PARTNER)[0]


def make_decision(authority, *, decided_on=DAY, title="COVID positive beds approved", **extra):
    return services.decision_create(authority=authority, title=title, decided_on=decided_on,
                                    decided_by="CCG Governing Body", user=OPERATOR, **extra)


def make_case(authority, *, title="Designated setting beds", amount="250000.00",
              status="submitted", status_on=DAY, **extra):
    return services.business_case_create(
        authority=authority, title=title, submitted_to=extra.pop("submitted_to", ccg()),
        amount=amount, funding_source="nhs_discharge", status=status, status_on=status_on,
        user=OPERATOR, **extra)
