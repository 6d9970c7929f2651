"""Writes for the Infection Control Fund: what is kept, what is refused, and who sees what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.core.timeutils import long_date
from caresight.grants import selectors, services
from caresight.grants.allocation import plan_round, spec_of
from caresight.grants.models import (
    Adjustment,
    Agreement,
    Allocation,
    Payment,
    PaymentRun,
    Recovery,
    Round,
    SpendLine,
    SpendReturn,
)
from caresight.grants.round_templates import TEMPLATES
from caresight.grants.tables import government_return_table
from caresight.registry.models import ServiceType
from caresight.registry.tests.factories import LocationFactory, ProviderFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers

from .factories import (
    ELIGIBILITY,
    ROUND_1,
    ROUND_2,
    accept,
    care_home,
    community_return,
    home_care,
    pay,
    round_from_template,
    row_counts,
    simple_round,
)

TODAY = timezone.localdate
INSTALMENTS_1 = [  # no conditions but the agreement, so runs can be on any day
    {"share": "50", "due_offset_days": 7, "conditions": [{"kind": "agreement_signed"}]},
    {"share": "50", "due_offset_days": 60, "conditions": [{"kind": "agreement_signed"}]},
]


@pytest.fixture
def world(cambs, devon):
    """Round 1 of £10,000 for Cambridgeshire, confirmed, and a Devon round of £5,000.

    Both rounds' instalments ask only for a signed agreement, so runs can be made on any day.

    Cambridgeshire's homes have 100 beds (£75.00 a bed from the £7,500 element); Acorn has two
    of them. Elm Home Care supports 40 people (the whole £2,500 discretionary element).
    """
    acorn, birch, cedar, elm = (ProviderFactory(name=n) for n in
                                ["Acorn Care", "Birch Care", "Cedar Care", "Elm Care"])
    homes = {
        "acorn_ely": care_home(cambs, beds=28, provider=acorn, name="Acorn Ely"),
        "acorn_march": care_home(cambs, beds=12, provider=acorn, name="Acorn March"),
        "birch": care_home(cambs, beds=40, provider=birch, name="Birch House"),
        "cedar": care_home(cambs, beds=20, provider=cedar, name="Cedar Lodge"),
        "elm": home_care(cambs, provider=elm, name="Elm Home Care"),
        "dartmoor": care_home(devon, beds=50, name="Dartmoor House"),
    }
    community_return(homes["elm"], 40)
    template = TEMPLATES[ROUND_1]
    round = services.round_create(
        authority=cambs, name=template["name"], amount="10000.00", eligibility_date=ELIGIBILITY,
        elements=template["elements"], instalments=INSTALMENTS_1,
        spend_categories=template["spend_categories"], user=OPERATOR)
    services.allocation_confirm(round=round, user=OPERATOR)
    devon_round = simple_round(devon, amount="5000.00", user=OPERATOR)
    services.allocation_confirm(round=devon_round, user=OPERATOR)
    round.refresh_from_db()
    return {
        "round": round, "devon_round": devon_round, "homes": homes,
        "acorn": acorn, "birch": birch, "cedar": cedar, "elm": elm,
        "dartmoor": homes["dartmoor"].provider,
    }


@pytest.fixture
def users(world, cambs, devon, make_user):
    """Cambridgeshire's commissioner and finance officer, Devon's commissioner, and Acorn's
    manager (a provider user)."""
    return {"officer": make_user(Role.COMMISSIONER, cambs),
            "finance": make_user(Role.FINANCE, cambs),
            "devon_officer": make_user(Role.COMMISSIONER, devon),
            "acorn_user": make_user(Role.PROVIDER_USER, cambs, provider=world["acorn"])}


def allocation(world, home: str) -> Allocation:
    return Allocation.objects.get(location=world["homes"][home])


def unchanged(call, message: str):
    """Call a service that must refuse with `message`, and check it wrote nothing at all."""
    before = row_counts()
    with pytest.raises(ValidationError) as error:
        call()
    assert message in " ".join(error.value.messages), error.value.messages
    assert row_counts() == before
    return error.value


def reconciliation_totals(round, user=OPERATOR) -> dict:
    return selectors.reconciliation(user=user, round=round)["totals"]


# --- Rounds ----------------------------------------------------------------------------------

def round_definition(**changes) -> dict:
    definition = {
        "name": "Round", "amount": "1,000.00", "eligibility_date": ELIGIBILITY,
        "elements": [{"name": "Homes", "share": "75", "method": "per_bed",
                      "service_types": ["care_home"]},
                     {"name": "Rest", "share": "25", "method": "per_person",
                      "service_types": ["domiciliary"], "discretionary": True}],
        "instalments": INSTALMENTS_1,
        "spend_categories": [{"code": "ppe", "label": "PPE"}],
    }
    definition.update(changes)
    return definition


@pytest.mark.django_db
class TestRoundCreate:
    def test_a_round_is_made_from_its_definition_with_history(self, cambs):
        round = services.round_create(authority=cambs, user=OPERATOR, **round_definition())
        assert round.amount == Decimal("1000.00")
        assert [(e.share, e.retained) for e in round.elements.all()] == [
            (Decimal(75), Decimal(0)), (Decimal(25), Decimal(0))]
        assert [(i.number, i.due_on) for i in round.instalments.all()] == [
            (1, dt.date(2020, 5, 20)), (2, dt.date(2020, 7, 12))]
        assert round.history.count() == 1 and not round.is_confirmed

    def test_a_template_round_holds_its_own_copy_of_the_template(self, cambs):
        round = round_from_template(cambs, contingency="500")
        assert round.template == ROUND_1 and round.name == "Infection Control Fund 2020, round 1"
        assert [e.retained for e in round.elements.all()] == [Decimal(0), Decimal("500.00")]
        assert round.instalments.get(number=2).conditions == [
            {"kind": "agreement_signed"}, {"kind": "recent_return", "days": 14},
            {"kind": "spend_return"}]
        assert len(round.spend_categories) == 4

    @pytest.mark.parametrize("changes, message", [
        ({"amount": "-5"}, "Amount: “-5” is negative."),
        ({"amount": "abc"}, "Amount: “abc” is not an amount of money"),
        ({"amount": "0"}, "Amount: must be more than £0.00."),
        ({"amount": 1000.0}, "give money as text or Decimal, not a float"),
        ({"amount": "10.001"}, "more than two decimal places"),
        ({"elements": [{"name": "A", "share": "75", "method": "per_bed",
                        "service_types": ["care_home"]},
                       {"name": "B", "share": "35", "method": "per_bed",
                        "service_types": ["care_home"]}]},
         "Elements add up to 110%, more than 100%."),
        ({"elements": [{"name": "A", "share": "0", "method": "per_bed",
                        "service_types": ["care_home"]}]},
         "Element 1 share: must be more than 0% and at most 100%."),
        ({"elements": [{"name": "A", "share": "lots", "method": "per_bed",
                        "service_types": ["care_home"]}]}, "is not a percentage"),
        ({"elements": [{"name": "A", "share": "50", "method": "per_fish",
                        "service_types": ["care_home"]}]}, "Element 1: method must be one of"),
        ({"elements": [{"name": "A", "share": "50", "method": "per_bed",
                        "service_types": ["kennels"]}]}, "Element 1: choose service types"),
        ({"elements": [{"name": "A", "share": "50", "method": "per_bed",
                        "service_types": ["care_home"], "retained": "-1"}]},
         "Element 1 contingency: “-1” is negative."),
        ({"elements": []}, "A round needs at least one element."),
        ({"instalments": [{"share": "50"}, {"share": "40"}]},
         "Instalments add up to 90%; they must add up to 100%."),
        ({"instalments": [{"share": "100", "conditions": [{"kind": "horoscope"}]}]},
         "Instalment 1: unknown condition 'horoscope'."),
        ({"instalments": [{"share": "100", "conditions": [{"kind": "recent_return"}]}]},
         "a recent-return condition needs a number of days"),
        ({"spend_categories": [{"code": "ppe", "label": "A"}, {"code": "ppe", "label": "B"}]},
         "Spend categories need distinct codes"),
        ({"name": ""}, "This field cannot be blank."),
    ])
    def test_bad_definitions_are_refused_and_nothing_is_written(self, cambs, changes, message):
        unchanged(lambda: services.round_create(authority=cambs, user=OPERATOR,
                                                **round_definition(**changes)), message)

    def test_bad_template_requests_are_refused_and_nothing_is_written(self, cambs):
        unchanged(lambda: round_from_template(cambs, template="icf-2099"),
                  "Unknown template 'icf-2099'.")
        unchanged(lambda: round_from_template(cambs, contingency="-10"),
                  "Contingency: “-10” is negative.")
        unchanged(lambda: round_from_template(cambs, amount="-1,751,000.00"), "is negative")

    def test_a_huge_amount_is_refused_with_a_clear_message(self, cambs):
        unchanged(lambda: services.round_create(authority=cambs, user=OPERATOR,
                                                **round_definition(amount="1e30")), "Amount")


# --- Allocation ------------------------------------------------------------------------------

@pytest.mark.django_db
class TestAllocationConfirm:
    def test_confirming_writes_exactly_the_preview(self, cambs, devon):
        homes = [care_home(cambs, beds=b) for b in (28, 13, 7)]
        care_home(devon, beds=90)  # another council's home is not allocated
        community_return(home_care(cambs), 17)
        round = round_from_template(cambs, amount="1751000.00")
        preview = plan_round(spec_of(round)).as_json()
        assert services.allocation_confirm(round=round, user=OPERATOR) == 4
        written = [(a.location.cqc_location_id, a.location.name, a.provider.name,
                    a.element.name, a.units, a.amount, a.explanation)
                   for a in Allocation.objects.filter(round=round).order_by(
                       "element__position", "location__cqc_location_id")]
        assert written == [(line["cqc_location_id"], line["name"], line["provider"],
                            line["element"], Decimal(line["units"]), Decimal(line["amount"]),
                            line["explanation"]) for line in preview["locations"]]
        assert sum(a.amount for a in Allocation.objects.filter(round=round)) == Decimal(
            "1751000.00")
        assert {a.authority_id for a in Allocation.objects.all()} == {cambs.pk}
        assert Allocation.objects.filter(location__in=homes).count() == 3
        assert Allocation.history.filter(history_change_reason="Allocation confirmed").count() == 4
        round.refresh_from_db()
        assert round.is_confirmed and selectors.reconciliation(user=OPERATOR, round=round)[
            "fund"]["not_allocated"] == 0

    def test_a_second_confirm_is_refused_and_changes_nothing(self, world):
        message = (f"The allocation was confirmed on {long_date(TODAY())}; it cannot change. "
                   "Record an adjustment instead.")
        unchanged(lambda: services.allocation_confirm(round=world["round"], user=OPERATOR), message)
        element = world["round"].elements.first()
        unchanged(lambda: services.element_update(element=element, share="70", user=OPERATOR),
                  message)
        unchanged(lambda: services.element_inputs_set(
            element=element, values={world["homes"]["birch"]: "3"}, user=OPERATOR), message)

    def test_a_round_with_no_eligible_providers_is_refused_and_nothing_is_written(
            self, cambs, devon):
        care_home(devon, beds=40)
        round = round_from_template(cambs)
        error = unchanged(lambda: services.allocation_confirm(round=round, user=OPERATOR),
                          "“Care homes, per registered bed”: no eligible services on 13 May "
                          "2020")
        assert len(error.messages) == 2
        round.refresh_from_db()
        assert not round.is_confirmed

    def test_element_changes_before_confirmation_are_checked(self, cambs):
        care_home(cambs, beds=10)
        round = simple_round(cambs, shares=("60", "30"))
        first, second = round.elements.all()
        unchanged(lambda: services.element_update(element=second, share="41", user=OPERATOR),
                  "Elements add up to 101%, more than 100%.")
        unchanged(lambda: services.element_update(element=second, method="per_fish",
                                                  user=OPERATOR), "Choose a method.")
        unchanged(lambda: services.element_update(element=second, service_types=["kennels"],
                                                  user=OPERATOR),
                  "Choose at least one service type")
        unchanged(lambda: services.element_update(element=second, retained="-1", user=OPERATOR),
                  "Retained: “-1” is negative.")
        services.element_update(element=second, share="40", retained="100", user=OPERATOR)
        plan = plan_round(spec_of(round))
        assert [e.total for e in plan.elements] == [Decimal("6000.00"), Decimal("4000.00")]
        assert plan.elements[1].allocated == Decimal("3900.00")

    def test_bad_inputs_are_refused_and_replacing_them_keeps_history(self, cambs):
        homes = [care_home(cambs, beds=10) for _ in range(2)]
        round = simple_round(cambs, method="per_staff")
        element = round.elements.get()
        for value, message in [("-3", "is negative"), ("0", "must be more than £0.00"),
                               ("x", "is not an amount of money")]:
            unchanged(lambda v=value: services.element_inputs_set(
                element=element, values={homes[0]: v}, user=OPERATOR), message)
        services.element_inputs_set(element=element, values={homes[0]: "3", homes[1]: "4"},
                                    user=OPERATOR)
        services.element_inputs_set(element=element, values={homes[1]: "5"}, user=OPERATOR)
        assert {i.location_id: i.value for i in element.inputs.all()} == {homes[1].pk: 5}
        assert element.inputs.model.history.count() == 2 + 2 + 1  # 2 added, 2 removed, 1 added


# --- Adjustments -----------------------------------------------------------------------------

@pytest.mark.django_db
class TestAdjustments:
    def test_an_adjustment_is_kept_beside_the_allocation_which_never_changes(self, world):
        birch = allocation(world, "birch")
        adjustment = services.adjustment_record(allocation=birch, amount="-£1,000.50",
                                                reason="  Beds miscounted  ", user=OPERATOR)
        assert (adjustment.amount, adjustment.reason) == (Decimal("-1000.50"), "Beds miscounted")
        birch.refresh_from_db()
        assert birch.amount == Decimal("3000.00") and birch.history.count() == 1
        row = next(r for r in selectors.reconciliation(user=OPERATOR, round=world["round"])["rows"]
                   if r["provider"] == "Birch Care")
        assert (row["allocated"], row["adjusted"]) == (Decimal("3000.00"), Decimal("-1000.50"))
        assert selectors.open_data_rows(world["round"])[1]["allocated"] == Decimal("1999.50")

    @pytest.mark.parametrize("amount, reason, message", [
        ("100", "", "Give the reason for the adjustment."),
        ("100", "   ", "Give the reason for the adjustment."),
        ("0", "Typo", "Amount: must be more than £0.00."),
        ("ten", "Typo", "Amount: “ten” is not an amount of money"),
        ("1.234", "Typo", "more than two decimal places"),
        ("-3000.01", "Closed", "The allocation is £3,000.00; it cannot be reduced by £3,000.01."),
    ])
    def test_bad_adjustments_are_refused_and_nothing_is_written(self, world, amount, reason,
                                                                message):
        unchanged(lambda: services.adjustment_record(allocation=allocation(world, "birch"),
                                                     amount=amount, reason=reason, user=OPERATOR),
                  message)

    def test_adjustments_cannot_take_an_allocation_below_zero_between_them(self, world):
        birch = allocation(world, "birch")
        services.adjustment_record(allocation=birch, amount="500", reason="More beds",
                                   user=OPERATOR)
        services.adjustment_record(allocation=birch, amount="-3500", reason="Closed", user=OPERATOR)
        unchanged(lambda: services.adjustment_record(allocation=birch, amount="-0.01",
                                                     reason="Again", user=OPERATOR),
                  "The allocation is £0.00; it cannot be reduced by £0.01.")

    def test_another_councils_adjustment_does_not_touch_this_round(self, world):
        before = reconciliation_totals(world["round"])
        dartmoor = Allocation.objects.get(round=world["devon_round"])
        services.adjustment_record(allocation=dartmoor, amount="250", reason="Devon", user=OPERATOR)
        assert reconciliation_totals(world["round"]) == before
        assert reconciliation_totals(world["devon_round"])["adjusted"] == Decimal("250.00")


# --- Agreements ------------------------------------------------------------------------------

@pytest.mark.django_db
class TestAgreements:
    def test_a_provider_accepts_in_caresight_and_its_ip_address_is_kept(self, world, users):
        agreement = services.agreement_record(
            round=world["round"], provider=world["acorn"], accepted=True, name=" Pat Lee ",
            role="Director", user=users["acorn_user"], ip_address="203.0.113.7")
        assert (agreement.decision, agreement.method, agreement.ip_address,
                agreement.signed_name, agreement.responded_on, agreement.authority_id) == (
            Agreement.Decision.ACCEPTED, Agreement.Method.PORTAL, "203.0.113.7", "Pat Lee",
            TODAY(), world["round"].authority_id)
        assert agreement.recorded_by == users["acorn_user"]

    def test_an_officer_records_a_paper_agreement(self, world, users):
        agreement = services.agreement_record(
            round=world["round"], provider=world["birch"], accepted=True, name="Sam Birch",
            role="Owner", user=users["officer"], paper=True, responded_on=dt.date(2020, 5, 20))
        assert (agreement.method, agreement.recorded_by, agreement.responded_on,
                agreement.ip_address) == (Agreement.Method.PAPER, users["officer"],
                                          dt.date(2020, 5, 20), None)

    def test_a_provider_that_declined_may_later_sign_and_the_first_answer_is_kept(self, world):
        round, cedar = world["round"], world["cedar"]
        services.agreement_record(round=round, provider=cedar, accepted=False, name="Al",
                                  role="Manager", user=OPERATOR, responded_on=dt.date(2020, 5, 15))
        agreement = services.agreement_record(round=round, provider=cedar, accepted=True,
                                              name="Al", role="Manager", user=OPERATOR)
        assert agreement.decision == Agreement.Decision.ACCEPTED
        assert Agreement.objects.filter(round=round, provider=cedar).count() == 1
        assert [h.decision for h in agreement.history.order_by("history_id")] == [
            "declined", "accepted"]
        unchanged(lambda: accept(round, cedar),
                  f"Cedar Care signed the agreement on {long_date(TODAY())}.")

    def test_refusals_write_nothing(self, world, cambs):
        round = world["round"]
        unchanged(lambda: accept(round, ProviderFactory(name="Nobody Care")),
                  "Nobody Care has no allocation from Infection Control Fund 2020, round 1.")
        # A provider allocated from another council's round is not allocated from this one.
        unchanged(lambda: accept(round, world["dartmoor"]), "has no allocation from")
        unchanged(lambda: services.agreement_record(round=round, provider=world["acorn"],
                                                    accepted=True, name=" ", role="",
                                                    user=OPERATOR),
                  "Enter the name of the person signing.")
        care_home(cambs, beds=5)
        draft = simple_round(cambs)
        unchanged(lambda: accept(draft, world["acorn"]),
                  "Agreements are asked for once the allocation is confirmed.")


# --- Payment runs ----------------------------------------------------------------------------

def reasons_by_location(lines) -> dict[str, list[str]]:
    return {line.location_name: line.reasons for line in lines.withheld}


def care_home_return(location, on: dt.date):
    return_submit(location=location, for_date=on, answers=care_home_answers(), user=OPERATOR)


@pytest.mark.django_db
class TestPaymentRuns:
    def test_a_run_on_an_unconfirmed_allocation_is_refused(self, cambs):
        care_home(cambs, beds=10)
        round = simple_round(cambs)
        unchanged(lambda: services.payment_run_create(
            round=round, instalment=round.instalments.first(), as_of=ELIGIBILITY, user=OPERATOR),
            "The allocation has not been confirmed, so nothing can be paid. Confirm the "
            "allocation first.")

    def test_an_instalment_from_another_round_is_refused(self, world):
        unchanged(lambda: services.payment_run_create(
            round=world["round"], instalment=world["devon_round"].instalments.first(),
            as_of=ELIGIBILITY, user=OPERATOR), "That instalment is not from this round.")

    def test_what_is_due_and_what_is_withheld_and_why(self, world, cambs, users):
        # Round 1 as the template has it: instalment 2 needs recent and spend returns too.
        round = round_from_template(cambs, amount="10000.00")
        services.allocation_confirm(round=round, user=OPERATOR)
        homes, today = world["homes"], TODAY()
        accept(round, world["acorn"], on=today)
        accept(round, world["elm"], on=today)
        services.agreement_record(round=round, provider=world["cedar"], accepted=False,
                                  name="Al", role="Manager", user=OPERATOR,
                                  responded_on=dt.date(2020, 5, 15))
        first = services.payment_run_create(round=round, instalment=round.instalments.get(
            number=1), as_of=today, user=users["finance"])
        lines = selectors.payment_run_lines(first)
        assert {(line.location_name, line.amount) for line in lines.due} == {
            ("Acorn Ely", Decimal("1050.00")), ("Acorn March", Decimal("450.00")),
            ("Elm Home Care", Decimal("1250.00"))}
        assert reasons_by_location(lines) == {
            "Birch House": ["No signed agreement."],
            "Cedar Lodge": ["Agreement declined on 15 May 2020."]}
        assert lines.total_due == Decimal("2750.00")
        assert lines.total_withheld == Decimal("2250.00")
        assert services.payment_run_confirm(run=first, user=users["finance"]) == 3

        # Instalment 2 needs a return in the last 14 days and a spend return as well.
        care_home_return(homes["acorn_ely"], today - dt.timedelta(days=13))
        care_home_return(homes["acorn_march"], today - dt.timedelta(days=14))
        services.spend_return_submit(round=round, provider=world["acorn"],
                                     amounts={"other": "100"}, user=OPERATOR)
        second = services.payment_run_create(round=round, instalment=round.instalments.get(
            number=2), as_of=today, user=OPERATOR)
        lines = selectors.payment_run_lines(second)
        stale = long_date(today - dt.timedelta(days=14))
        window = f"No Capacity Tracker return in the 14 days to {long_date(today)}"
        assert [(line.location_name, line.amount) for line in lines.due] == [
            ("Acorn Ely", Decimal("1050.00"))]
        assert reasons_by_location(lines) == {
            "Acorn March": [f"{window} (last on {stale})."],
            "Birch House": ["No signed agreement.", f"{window} (none ever).",
                            "No spend return for this round yet."],
            "Cedar Lodge": ["Agreement declined on 15 May 2020.", f"{window} (none ever).",
                            "No spend return for this round yet."],
            "Elm Home Care": [f"{window} (last on 13 May 2020).",
                              "No spend return for this round yet."]}

    def test_a_run_is_confirmed_once_and_keeps_what_it_withheld(self, world, users):
        round = world["round"]
        accept(round, world["birch"])
        run = services.payment_run_create(round=round, instalment=round.instalments.first(),
                                          as_of=ELIGIBILITY, user=OPERATOR)
        assert services.payment_run_confirm(run=run, user=users["finance"]) == 1
        run.refresh_from_db()
        assert run.is_confirmed and run.confirmed_by == users["finance"]
        assert {w["location"]: w["reasons"] for w in run.withheld}["Acorn Ely"] == [
            "No signed agreement."]
        assert len(run.withheld) == 4
        unchanged(lambda: services.payment_run_confirm(run=run, user=OPERATOR),
                  f"This payment run was confirmed on {long_date(TODAY())}; nothing was paid "
                  "again.")
        # The same run object held by someone who has not reloaded it is refused too.
        stale = PaymentRun.objects.get(pk=run.pk)
        stale.confirmed_at = None
        unchanged(lambda: services.payment_run_confirm(run=stale, user=OPERATOR),
                  "nothing was paid")
        # Read back as confirmed, whatever happens afterwards.
        accept(round, world["acorn"])
        lines = selectors.payment_run_lines(run)
        assert [line.location_name for line in lines.due] == ["Birch House"]
        assert len(lines.withheld) == 4

    def test_a_second_run_for_an_instalment_pays_only_those_not_yet_paid(self, world):
        round = world["round"]
        accept(round, world["acorn"])
        first = pay(round, 1)
        accept(round, world["birch"])
        accept(round, world["cedar"])
        second = services.payment_run_create(round=round, instalment=round.instalments.first(),
                                             as_of=ELIGIBILITY, user=OPERATOR)
        lines = selectors.payment_run_lines(second)
        assert {line.location_name for line in lines.due} == {"Birch House", "Cedar Lodge"}
        assert {(line.location_name, line.paid_in_run) for line in lines.already_paid} == {
            ("Acorn Ely", first.pk), ("Acorn March", first.pk)}
        # A third run prepared at the same time as the second pays nothing once it is paid.
        third = services.payment_run_create(round=round, instalment=round.instalments.first(),
                                            as_of=ELIGIBILITY, user=OPERATOR)
        assert services.payment_run_confirm(run=second, user=OPERATOR) == 2
        assert services.payment_run_confirm(run=third, user=OPERATOR) == 0
        paid = Payment.objects.filter(run__round=round)
        assert paid.count() == 4
        assert len({(p.allocation_id, p.instalment_id) for p in paid}) == 4

    def test_the_finance_file_has_one_line_per_provider(self, world):
        round = world["round"]
        for provider in ["acorn", "birch", "elm"]:
            accept(round, world[provider])
        run = pay(round, 1)
        rows = selectors.finance_file_rows(run)
        assert [(r["provider"], r["amount"], r["services"]) for r in rows] == [
            ("Acorn Care", Decimal("1500.00"), 2), ("Birch Care", Decimal("1500.00"), 1),
            ("Elm Care", Decimal("1250.00"), 1)]
        assert sum(r["amount"] for r in rows) == selectors.payment_run_lines(run).total_due
        assert rows[0]["payment_reference"] == f"ICF-{round.pk}-1-{run.pk}-{world['acorn'].pk}"
        assert list(rows[0]) == ["payment_reference", "provider", "cqc_provider_id", "amount",
                                 "services", "round", "instalment", "payment_run"]

    def test_the_last_instalment_settles_an_adjustment(self, world):
        round = world["round"]
        accept(round, world["birch"])
        pay(round, 1)
        birch = allocation(world, "birch")
        services.adjustment_record(allocation=birch, amount="200.01", reason="Beds", user=OPERATOR)
        pay(round, 2)
        assert sum(p.amount for p in birch.payments.all()) == Decimal("3200.01")
        services.adjustment_record(allocation=birch, amount="-1000", reason="Closed", user=OPERATOR)
        row = next(r for r in selectors.reconciliation(user=OPERATOR, round=round)["rows"]
                   if r["provider"] == "Birch Care")
        assert (row["paid"], row["still_to_pay"]) == (Decimal("3200.01"), Decimal("-1000.00"))

    def test_a_downward_adjustment_after_payment_withholds_and_asks_for_a_recovery(self, world):
        round = world["round"]
        accept(round, world["birch"])
        pay(round, 1)
        services.adjustment_record(allocation=allocation(world, "birch"), amount="-2000",
                                   reason="Closed", user=OPERATOR)
        run = services.payment_run_create(round=round, instalment=round.instalments.last(),
                                          as_of=ELIGIBILITY, user=OPERATOR)
        assert reasons_by_location(selectors.payment_run_lines(run))["Birch House"] == [
            "Paid £500.00 more than now allocated: record a recovery."]

    def test_an_earlier_instalment_paid_after_a_reduction_never_pays_more_than_allocated(
            self, world):
        round = world["round"]
        accept(round, world["birch"])
        pay(round, 2)  # instalment 1 was missed (e.g. the run was never made)
        birch = allocation(world, "birch")
        services.adjustment_record(allocation=birch, amount="-2000", reason="Closed", user=OPERATOR)
        pay(round, 1)
        paid = sum(p.amount for p in birch.payments.all())
        assert paid <= max(Decimal("1000.00"), Decimal("1500.00")), paid  # paid £2,000.00

    def test_a_service_that_makes_no_return_is_not_withheld_for_want_of_one(self, cambs):
        day_centre = LocationFactory(authority=cambs, service_type=ServiceType.DAY_SERVICE,
                                     registered_beds=None, name="Day Centre")
        care_home(cambs, beds=10)
        community_return(home_care(cambs), 10)
        round = round_from_template(cambs, template=ROUND_2, amount="1000.00")
        services.element_inputs_set(element=round.elements.get(position=3),
                                    values={day_centre: "20"}, user=OPERATOR)
        services.allocation_confirm(round=round, user=OPERATOR)
        accept(round, day_centre.provider, on=TODAY())
        run = services.payment_run_create(round=round, instalment=round.instalments.get(
            number=1), as_of=TODAY(), user=OPERATOR)
        lines = selectors.payment_run_lines(run)
        assert [line.location_name for line in lines.due] == ["Day Centre"], lines.withheld

    def test_another_councils_runs_pay_nobody_here(self, world):
        devon_round = world["devon_round"]
        accept(devon_round, world["dartmoor"])
        for provider in ["acorn", "birch"]:
            accept(world["round"], world[provider])
        run = pay(devon_round, 1)
        assert [(p.provider, p.authority_id) for p in run.payments.all()] == [
            (world["dartmoor"], devon_round.authority_id)]
        assert reconciliation_totals(world["round"])["paid"] == 0
        assert Payment.objects.filter(run__round=world["round"]).count() == 0


# --- Recoveries ------------------------------------------------------------------------------

@pytest.mark.django_db
class TestRecoveries:
    def test_recoveries_are_capped_at_what_is_left_of_the_payment(self, world):
        round = world["round"]
        accept(round, world["birch"])
        payment = pay(round, 1).payments.get()
        assert payment.amount == Decimal("1500.00")
        services.recovery_record(payment=payment, amount="1,000", recovered_on=ELIGIBILITY,
                                 reason="Closed", user=OPERATOR)
        unchanged(lambda: services.recovery_record(payment=payment, amount="500.01",
                                                   recovered_on=ELIGIBILITY, reason="Closed",
                                                   user=OPERATOR),
                  "Only £500.00 of this payment is left to recover.")
        services.recovery_record(payment=payment, amount="500", recovered_on=ELIGIBILITY,
                                 reason="Closed", user=OPERATOR)
        unchanged(lambda: services.recovery_record(payment=payment, amount="0.01",
                                                   recovered_on=ELIGIBILITY, reason="Closed",
                                                   user=OPERATOR),
                  "Only £0.00 of this payment is left to recover.")
        payment.refresh_from_db()
        assert payment.amount == Decimal("1500.00")  # the payment itself never changes
        totals = reconciliation_totals(round)
        assert (totals["paid"], totals["recovered"], totals["unspent"]) == (
            Decimal("1500.00"), Decimal("1500.00"), Decimal("0.00"))

    def test_a_recovery_from_another_councils_payment_stays_in_its_round(self, world):
        accept(world["round"], world["birch"])
        pay(world["round"], 1)
        before = reconciliation_totals(world["round"])
        accept(world["devon_round"], world["dartmoor"])
        payment = pay(world["devon_round"], 1).payments.get()
        services.recovery_record(payment=payment, amount="100", recovered_on=ELIGIBILITY,
                                 reason="Closed", user=OPERATOR)
        assert reconciliation_totals(world["round"]) == before
        assert reconciliation_totals(world["devon_round"])["recovered"] == Decimal("100.00")

    @pytest.mark.parametrize("amount, reason, message", [
        ("100", " ", "Give the reason for the recovery."),
        ("0", "Closed", "Amount: must be more than £0.00."),
        ("-5", "Closed", "Amount: “-5” is negative."),
        ("£", "Closed", "is not an amount of money"),
    ])
    def test_bad_recoveries_are_refused_and_nothing_is_written(self, world, amount, reason,
                                                               message):
        accept(world["round"], world["birch"])
        payment = pay(world["round"], 1).payments.get()
        unchanged(lambda: services.recovery_record(payment=payment, amount=amount,
                                                   recovered_on=ELIGIBILITY, reason=reason,
                                                   user=OPERATOR), message)


# --- Spend returns ---------------------------------------------------------------------------

@pytest.fixture
def paid(world):
    """Birch (£1,500.00) and Acorn (£1,500.00) paid instalment 1."""
    for provider in ["acorn", "birch"]:
        accept(world["round"], world[provider])
    pay(world["round"], 1)
    return world


def spend(world, provider: str = "birch", **amounts):
    reason = amounts.pop("over_reason", "")
    return services.spend_return_submit(round=world["round"], provider=world[provider],
                                        amounts=amounts, over_reason=reason, user=OPERATOR)


@pytest.mark.django_db
class TestSpendReturns:
    def test_spend_within_what_was_paid_is_kept_by_category(self, paid):
        returned = spend(paid, isolating_residents="1,000", other="500")
        assert {line.category: line.amount for line in returned.lines.all()} == {
            "isolating_residents": Decimal("1000.00"), "restricting_staff_movement": 0,
            "full_wages_isolating": 0, "other": Decimal("500.00")}
        assert returned.over_reason == "" and returned.authority_id == paid["round"].authority_id

    def test_spend_over_what_was_paid_needs_a_reason(self, paid):
        unchanged(lambda: spend(paid, other="1500.01"),
                  "Spend of £1,500.01 is more than the £1,500.00 paid; say why.")
        returned = spend(paid, other="1500.01", over_reason="  Our own money too  ")
        assert returned.over_reason == "Our own money too"

    def test_recovered_money_does_not_count_as_paid(self, paid):
        payment = Payment.objects.get(provider=paid["birch"])
        services.recovery_record(payment=payment, amount="600", recovered_on=ELIGIBILITY,
                                 reason="Closed", user=OPERATOR)
        unchanged(lambda: spend(paid, other="900.01"), "more than the £900.00 paid; say why.")

    @pytest.mark.parametrize("amounts, message", [
        ({"ppe": "10"}, "Unknown spend categories: ppe; this round's are isolating_residents, "
                        "restricting_staff_movement, full_wages_isolating, other."),
        ({"other": "-10"}, "Other infection prevention and control: “-10” is negative."),
        ({"other": "lots"}, "“lots” is not an amount of money"),
        ({"other": 10.5}, "not a float"),
    ])
    def test_bad_spend_is_refused_and_nothing_is_written(self, paid, amounts, message):
        unchanged(lambda: spend(paid, **amounts), message)

    def test_spend_on_a_round_a_provider_was_not_paid_from_is_refused(self, paid):
        unchanged(lambda: spend(paid, "cedar", other="10"),
                  "Cedar Care has not been paid from Infection Control Fund 2020, round 1, so "
                  "there is no spend to report on it.")
        # Nor on another council's round, even by a provider paid from it.
        accept(paid["devon_round"], paid["dartmoor"])
        pay(paid["devon_round"], 1)
        unchanged(lambda: spend(paid, "dartmoor", other="10"), "has not been paid from")

    def test_a_resubmission_replaces_the_lines(self, paid):
        spend(paid, other="1600", over_reason="Extra staff")
        returned = spend(paid, isolating_residents="700")
        assert SpendReturn.objects.filter(provider=paid["birch"]).count() == 1
        assert {line.category: line.amount for line in returned.lines.all()} == {
            "isolating_residents": Decimal("700.00"), "restricting_staff_movement": 0,
            "full_wages_isolating": 0, "other": 0}
        assert returned.over_reason == ""
        assert SpendLine.objects.count() == 4
        assert reconciliation_totals(paid["round"])["spent"] == Decimal("700.00")


# --- Reconciliation and reports --------------------------------------------------------------

@pytest.mark.django_db
class TestReconciliation:
    def test_totals_are_the_sums_of_the_rows_and_balance(self, paid):
        round = paid["round"]
        services.adjustment_record(allocation=allocation(paid, "cedar"), amount="-250.25",
                                   reason="Beds", user=OPERATOR)
        services.recovery_record(payment=Payment.objects.get(allocation__location__name=(
            "Acorn March")), amount="50", recovered_on=ELIGIBILITY, reason="Closed", user=OPERATOR)
        spend(paid, "acorn", other="1000")
        spend(paid, "birch", isolating_residents="1600", over_reason="Own money")
        report = selectors.reconciliation(user=OPERATOR, round=round)
        rows, totals = report["rows"], report["totals"]
        assert [r["provider"] for r in rows] == ["Acorn Care", "Birch Care", "Cedar Care",
                                                 "Elm Care"]
        for key, value in totals.items():
            assert value == sum(r[key] for r in rows), key
        for row in rows:
            assert row["unspent"] == row["paid"] - row["recovered"] - row["spent"]
            assert row["still_to_pay"] == row["allocated"] + row["adjusted"] - row["paid"]
        assert totals == {
            "allocated": Decimal("10000.00"), "adjusted": Decimal("-250.25"),
            "paid": Decimal("3000.00"), "recovered": Decimal("50.00"),
            "spent": Decimal("2600.00"), "unspent": Decimal("350.00"),
            "still_to_pay": Decimal("6749.75")}
        assert totals["allocated"] == sum(a.amount for a in Allocation.objects.filter(
            round=round))
        assert totals["paid"] == sum(p.amount for p in Payment.objects.filter(run__round=round))
        assert totals["recovered"] == sum(r.amount for r in Recovery.objects.filter(
            payment__run__round=round))
        assert totals["adjusted"] == sum(a.amount for a in Adjustment.objects.filter(
            allocation__round=round))
        fund = report["fund"]
        assert fund["allocated"] + fund["retained"] + fund["not_allocated"] == round.amount

    def test_the_return_to_government_gives_spend_proportions_that_add_up_to_100(self, paid):
        round = paid["round"]
        accept(round, paid["cedar"])
        accept(round, paid["elm"])
        pay(round, 1)
        spend(paid, "acorn", isolating_residents="9,000", restricting_staff_movement="14000",
              over_reason="Own money")
        spend(paid, "birch", full_wages_isolating="7000", other="70,000",
              over_reason="Own money")
        report = selectors.government_return(round)
        assert [(s["code"], s["amount"], s["proportion_pct"]) for s in report["spend"]] == [
            ("isolating_residents", Decimal("9000.00"), 9),
            ("restricting_staff_movement", Decimal("14000.00"), 14),
            ("full_wages_isolating", Decimal("7000.00"), 7),
            ("other", Decimal("70000.00"), 70)]
        assert (report["allocated"], report["paid"], report["spent"]) == (
            Decimal("10000.00"), Decimal("5000.00"), Decimal("100000.00"))
        assert [e["allocated"] for e in report["elements"]] == [Decimal("7500.00"),
                                                               Decimal("2500.00")]
        assert report["instalments"][0]["paid"] == Decimal("5000.00")
        assert report["providers_paid"] == 4 and report["spend_returns_received"] == 2
        rows = government_return_table(report).rows
        assert [r["proportion_pct"] for r in rows if r["section"] == "Spend"] == [9, 14, 7, 70]

    @pytest.mark.parametrize("amounts", [
        ["1", "1", "1"], ["333.33", "333.33", "333.34"], ["0.01", "99999", "5"],
        ["1", "0", "0"]])
    def test_spend_proportions_always_add_up_to_100(self, paid, amounts):
        codes = ["isolating_residents", "restricting_staff_movement", "other"]
        spend(paid, "birch", over_reason="Own money", **dict(zip(codes, amounts, strict=True)))
        proportions = [s["proportion_pct"] for s in selectors.spend_by_category(paid["round"])]
        assert sum(proportions) == 100 and all(p >= 0 for p in proportions)

    def test_no_spend_means_no_proportions(self, world):
        assert [s["proportion_pct"] for s in selectors.spend_by_category(world["round"])] == [
            0, 0, 0, 0]

    def test_the_other_councils_round_is_reconciled_on_its_own(self, paid):
        accept(paid["devon_round"], paid["dartmoor"])
        pay(paid["devon_round"], 1)
        devon = selectors.reconciliation(user=OPERATOR, round=paid["devon_round"])
        assert [r["provider_id"] for r in devon["rows"]] == [paid["dartmoor"].pk]
        assert devon["totals"]["paid"] == Decimal("2500.00")
        assert reconciliation_totals(paid["round"])["paid"] == Decimal("3000.00")


# --- Who sees what ---------------------------------------------------------------------------

@pytest.mark.django_db
class TestTenancy:
    def test_a_provider_user_sees_only_its_own_providers_part(self, paid, users):
        user, round = users["acorn_user"], paid["round"]
        assert list(selectors.round_list(user=user)) == [round]
        assert {a.location.name for a in selectors.allocation_list(user=user, round=round)} == {
            "Acorn Ely", "Acorn March"}
        assert list(selectors.own_providers(user=user, round=round)) == [paid["acorn"]]
        report = selectors.reconciliation(user=user, round=round)
        assert [r["provider"] for r in report["rows"]] == ["Acorn Care"]
        assert report["totals"]["allocated"] == Decimal("3000.00")
        assert report["totals"]["paid"] == Decimal("1500.00")
        assert not selectors.is_officer(user, round)
        assert selectors.spend_outstanding(user=user, round=round) == [
            {"provider": "Acorn Care", "cqc_provider_id": paid["acorn"].cqc_provider_id,
             "paid": Decimal("1500.00"), "contact": "", "phone": "01223 000000", "email": ""}]

    def test_a_provider_user_without_an_allocation_sees_no_round(self, world, make_user, cambs):
        user = make_user(Role.PROVIDER_USER, cambs, provider=ProviderFactory())
        assert list(selectors.round_list(user=user)) == []
        assert list(selectors.allocation_list(user=user, round=world["round"])) == []
        assert selectors.reconciliation(user=user, round=world["round"])["rows"] == []

    def test_a_provider_user_does_not_see_a_round_before_its_allocation_is_confirmed(
            self, world, cambs, users):
        draft = simple_round(cambs)
        assert list(selectors.round_list(user=users["acorn_user"])) == [world["round"]]
        assert set(selectors.round_list(user=users["officer"])) == {world["round"], draft}

    def test_another_councils_officer_sees_nothing_of_this_round(self, paid, users):
        user, round = users["devon_officer"], paid["round"]
        assert list(selectors.round_list(user=user)) == [paid["devon_round"]]
        assert list(selectors.allocation_list(user=user, round=round)) == []
        report = selectors.reconciliation(user=user, round=round)
        assert report["rows"] == [] and report["totals"]["paid"] == 0
        assert selectors.spend_outstanding(user=user, round=round) == []
        assert not selectors.is_officer(user, round)
        with pytest.raises(Http404):
            selectors.round_get(user=user, pk=round.pk)

    def test_this_councils_officer_and_finance_see_the_whole_round(self, paid, users):
        for user in [users["officer"], users["finance"]]:
            assert selectors.is_officer(user, paid["round"])
            assert selectors.allocation_list(user=user, round=paid["round"]).count() == 5
            assert selectors.round_get(user=user, pk=paid["round"].pk) == paid["round"]
            assert list(selectors.round_list(user=user)) == [paid["round"]]
        assert Round.objects.count() == 2
