"""Builders shared by the grants tests: a small register, rounds, and money paid through them."""

import datetime as dt
from decimal import Decimal

from django.db import connection

from caresight.core.tenancy import OPERATOR
from caresight.grants import services
from caresight.grants.models import (
    Adjustment,
    Agreement,
    Allocation,
    Element,
    ElementInput,
    Instalment,
    Payment,
    PaymentRun,
    Recovery,
    Round,
    SpendLine,
    SpendReturn,
)
from caresight.registry.models import ServiceType
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.services import return_submit

ELIGIBILITY = dt.date(2020, 5, 13)
ROUND_1 = "icf-2020-round-1"
ROUND_2 = "icf-2020-round-2"

GRANT_MODELS = [Round, Element, ElementInput, Instalment, Allocation, Adjustment, Agreement,
                PaymentRun, Payment, Recovery, SpendReturn, SpendLine]


def row_counts() -> dict[str, int]:
    """Rows in every grants table and its history table, to prove nothing was written."""
    tables = {}
    for model in GRANT_MODELS:
        tables[model.__name__] = model._meta.db_table
        tables[f"{model.__name__} history"] = model.history.model._meta.db_table
    qn = connection.ops.quote_name
    # One query for all of them: this is called before and after every refused write.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(table)})"
                                             for table in tables.values()))
        counts = cursor.fetchone()
    return dict(zip(tables, counts, strict=True))


def community_answers(people: int) -> dict:
    """A valid home care return saying `people` people are supported."""
    workers = max(people // 2, 1)
    answers = {
        "people_supported": people, "people_supported_council": people // 2,
        "people_supported_self_funded": people - people // 2, "people_covid_confirmed": 0,
        "people_covid_suspected": 0, "care_workers_employed": workers, "care_workers_absent": 0,
        "hours_paid": workers * 30, "hours_agency": 0, "hours_absence": 0,
        "ppe_cqc_issues": "no", "staff_flu_vaccinated": 0, "staff_covid_vaccinated": 0,
        "people_flu_vaccinated": 0, "people_covid_vaccinated": 0,
    }
    answers.update({f"ppe_days_{item}": 14 for item in
                    ["masks", "aprons", "gloves", "eye_protection", "sanitiser"]})
    return {code: str(value) for code, value in answers.items()}


def community_return(location, people: int, on: dt.date = ELIGIBILITY):
    return return_submit(location=location, for_date=on, answers=community_answers(people),
                         user=OPERATOR)


def care_home(authority, beds: int = 28, **kwargs):
    return LocationFactory(authority=authority, service_type=ServiceType.CARE_HOME,
                           registered_beds=beds, **kwargs)


def home_care(authority, **kwargs):
    return LocationFactory(authority=authority, service_type=ServiceType.DOMICILIARY,
                           registered_beds=None, **kwargs)


def round_from_template(authority, *, template: str = ROUND_1, amount="1751000.00",
                        eligibility_date: dt.date = ELIGIBILITY, contingency="0", user=OPERATOR):
    return services.round_create_from_template(
        authority=authority, template=template, amount=amount,
        eligibility_date=eligibility_date, contingency=contingency, user=user)


def simple_round(authority, *, amount="10000.00", shares=("100",), method="per_bed",
                 service_types=("care_home", "care_home_nursing"), instalments=None,
                 eligibility_date: dt.date = ELIGIBILITY, user=OPERATOR, **element) -> Round:
    """A round with one element per share, all by the same rule."""
    elements = [{"name": f"Element {i}", "share": share, "method": method,
                 "service_types": list(service_types), **element}
                for i, share in enumerate(shares, 1)]
    instalments = instalments or [
        {"share": "50", "due_offset_days": 7, "conditions": [{"kind": "agreement_signed"}]},
        {"share": "50", "due_offset_days": 60, "conditions": [{"kind": "agreement_signed"}]},
    ]
    return services.round_create(
        authority=authority, name="Test round", amount=amount,
        eligibility_date=eligibility_date, elements=elements, instalments=instalments,
        spend_categories=[{"code": "isolating_residents", "label": "Isolating residents"},
                          {"code": "restricting_staff_movement", "label": "Staff movement"},
                          {"code": "full_wages_isolating", "label": "Full wages"},
                          {"code": "other", "label": "Other"}],
        user=user)


def accept(round, provider, *, on: dt.date = ELIGIBILITY, user=OPERATOR) -> Agreement:
    return services.agreement_record(round=round, provider=provider, accepted=True,
                                     name="Pat Manager", role="Registered manager", user=user,
                                     responded_on=on)


def pay(round, number: int, *, as_of: dt.date = ELIGIBILITY, user=OPERATOR) -> PaymentRun:
    """Create and confirm a payment run for instalment `number`."""
    run = services.payment_run_create(round=round, instalment=round.instalments.get(
        number=number), as_of=as_of, user=user)
    services.payment_run_confirm(run=run, user=user)
    run.refresh_from_db()
    return run


def total(queryset, field: str = "amount") -> Decimal:
    return sum((getattr(obj, field) for obj in queryset), Decimal("0.00"))

