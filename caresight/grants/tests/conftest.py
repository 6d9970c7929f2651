"""Fixtures shared by the grants tests."""

import datetime as dt
from decimal import Decimal

import pytest

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.grants import services
from caresight.grants.models import Allocation, Payment
from caresight.grants.tests.factories import ELIGIBILITY, accept, care_home, pay, simple_round
from caresight.registry.tests.factories import ProviderFactory


@pytest.fixture
def pence_round(cambs, make_user):
    """A round of £283,594.27 by registered beds (2, 1, 1, 1): shares with pence.

    Acorn has Willow Court (2 beds) and Oak Lodge; Birch has Elm House; Cedar (Fen House)
    never signs, so it is withheld. Oak Lodge is adjusted by +£0.37, Elm House's payment has
    £10.05 recovered, and Acorn and Birch report spend in pence.
    """
    acorn = ProviderFactory(name="Acorn Care Ltd")
    birch = ProviderFactory(name="Birch Homes Ltd")
    cedar = ProviderFactory(name="Cedar Living Ltd")
    care_home(cambs, beds=2, name="Willow Court", provider=acorn)
    oak = care_home(cambs, beds=1, name="Oak Lodge", provider=acorn)
    elm = care_home(cambs, beds=1, name="Elm House", provider=birch)
    care_home(cambs, beds=1, name="Fen House", provider=cedar)
    round = simple_round(cambs, amount="283594.27")
    services.allocation_confirm(round=round, user=OPERATOR)
    amounts = {a.location.name: a.amount for a in Allocation.objects.select_related("location")}
    # 28,359,427 pence in fifths: 5,671,885.4 each; the two pennies left go to the largest
    # remainders (Willow Court's 0.8, then the first of the 0.4s).
    assert amounts == {"Willow Court": Decimal("113437.71"), "Oak Lodge": Decimal("56718.86"),
                       "Elm House": Decimal("56718.85"), "Fen House": Decimal("56718.85")}
    services.adjustment_record(allocation=Allocation.objects.get(location=oak), amount="0.37",
                               reason="Bed count corrected", user=OPERATOR)
    accept(round, acorn)
    accept(round, birch)
    run = pay(round, 1)
    payment = Payment.objects.get(allocation__location=elm)
    services.recovery_record(payment=payment, amount="10.05", recovered_on=ELIGIBILITY
                             + dt.timedelta(days=3), reason="Overpaid", user=OPERATOR)
    services.spend_return_submit(round=round, provider=acorn, amounts={
        "isolating_residents": "1000.10", "restricting_staff_movement": "2000.20",
        "full_wages_isolating": "0.05"}, user=OPERATOR)
    services.spend_return_submit(round=round, provider=birch, amounts={"other": "99.99"},
                                 user=OPERATOR)
    return {"round": round, "run": run, "acorn": acorn, "birch": birch, "cedar": cedar,
            "payment": payment, "oak": oak,
            "officer": make_user(Role.COMMISSIONER, cambs),
            "finance": make_user(Role.FINANCE, cambs),
            "acorn_user": make_user(Role.PROVIDER_USER, cambs, provider=acorn)}
