"""The Infection Control Fund in a real browser: a commissioner starts a round from a template
and confirms its allocation; a provider signs its agreement and reports spend once finance has
paid; the commissioner reconciles the round and the allocation is published.

Every page visited is checked with axe-core (see `audit` in conftest.py).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role
from caresight.grants import services
from caresight.grants.models import Agreement, Allocation, Payment, SpendReturn
from caresight.grants.tests.factories import accept, care_home, pay, round_from_template
from caresight.registry.tests.factories import ProviderFactory

from .conftest import audit, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROUND_NAME = "Infection Control Fund 2020, round 1"
DISCRETIONARY = "Discretionary, wider care market"
AWARDS = "1-100000001, 6000.00\n1-100000002, 4000.00"


@pytest.fixture
def homes(cambs, devon):
    """Two Cambridgeshire care homes (28 and 12 beds: £750 a bed from £30,000) and one in
    Devon, which no Cambridgeshire round may touch."""
    return {
        "willow": care_home(cambs, beds=28, name="Willow Court", cqc_location_id="1-100000001",
                            provider=ProviderFactory(name="Willow Care Ltd")),
        "oak": care_home(cambs, beds=12, name="Oak Lodge", cqc_location_id="1-100000002",
                         provider=ProviderFactory(name="Oak Homes Ltd")),
        "dartmoor": care_home(devon, beds=40, name="Dartmoor House",
                              cqc_location_id="1-100000003"),
    }


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs, email="carol@commissioning.example")


@pytest.fixture
def confirmed(cambs, homes, commissioner):
    """The round the first test builds through the pages, built here through the services:
    75% per bed to care homes, 25% panel awards of £6,000 and £4,000."""
    round = round_from_template(cambs, amount="40000.00", user=commissioner)
    element = round.elements.get(discretionary=True)
    services.element_update(element=element, method="panel", service_types=["care_home"],
                            user=commissioner)
    services.element_inputs_set(element=element, values={homes["willow"]: "6000.00",
                                                         homes["oak"]: "4000.00"},
                                user=commissioner)
    services.allocation_confirm(round=round, user=commissioner)
    return round


def menu(page: Page):
    return page.get_by_role("navigation", name="Menu")


def parts(page: Page):
    return page.get_by_role("navigation", name="Parts of the round")


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def banner(page: Page):
    return page.locator(".govuk-notification-banner")


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


def sign_out(page: Page) -> None:
    menu(page).get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")


def test_a_commissioner_starts_a_round_and_confirms_its_allocation(page, homes, commissioner):
    sign_in(page, commissioner.email)
    menu(page).get_by_role("link", name="Infection Control Fund").click()
    expect(heading(page)).to_have_text("Infection Control Fund")
    expect(page.get_by_test_id("rounds")).to_contain_text("No rounds yet.")
    audit(page, "round list")

    page.get_by_role("link", name="Start a round").click()
    expect(heading(page)).to_have_text("Start a round of the Infection Control Fund")
    audit(page, "new round form")
    page.get_by_role("button", name="Create the round").click()
    expect(error_summary(page)).to_contain_text("Choose a template")
    expect(error_summary(page)).to_contain_text("Enter the authority's allocation (£)")
    audit(page, "new round form with errors")
    page.get_by_label(ROUND_NAME).check()
    page.get_by_label("The authority's allocation (£)").fill("£40,000.00")
    page.get_by_label("Eligibility date").fill("2020-05-13")
    page.get_by_role("button", name="Create the round").click()

    # The what-if: the discretionary element finds no community services, so nothing can be
    # confirmed yet.
    expect(banner(page)).to_contain_text("The round was created.")
    expect(heading(page)).to_have_text(ROUND_NAME)
    expect(page.get_by_role("heading", name="What-if allocation")).to_be_visible()
    expect(error_summary(page)).to_contain_text(f"“{DISCRETIONARY}”: no eligible services")
    expect(page.get_by_role("button", name="Confirm the allocation")).to_be_disabled()
    audit(page, "what-if allocation with a problem")

    page.get_by_role("link", name=f"Change {DISCRETIONARY}").click()
    expect(heading(page)).to_have_text(f"Change “{DISCRETIONARY}”")
    expect(page.get_by_label("Share of the allocation (%)")).to_have_value("25.00")
    audit(page, "element form")
    page.get_by_label("Panel award").check()
    for label in ("Domiciliary care (home care)", "Extra care housing", "Supported living"):
        page.get_by_label(label).uncheck()
    page.get_by_label("Care home without nursing").check()
    page.get_by_role("button", name="Save").click()
    expect(banner(page)).to_contain_text(f"“{DISCRETIONARY}” was changed.")

    page.get_by_role("link", name=f"Units or awards for {DISCRETIONARY}").click()
    expect(heading(page)).to_have_text(f"Units or awards for “{DISCRETIONARY}”")
    audit(page, "units or awards form")
    awards = page.get_by_label("Units or awards")
    awards.fill(AWARDS.replace("1-100000002", "1-100000003"))  # Dartmoor House is in Devon
    page.get_by_role("button", name="Save").click()
    expect(error_summary(page)).to_contain_text(
        "Line 2: “1-100000003” is not a service in Cambridgeshire.")
    audit(page, "units or awards form with errors")
    awards.fill(AWARDS)
    page.get_by_role("button", name="Save").click()
    expect(banner(page)).to_contain_text("2 services' units or awards were saved")

    # Both elements can now be allocated: each service's amount is explained.
    expect(error_summary(page)).to_have_count(0)
    expect(page.get_by_test_id("plan-elements")).to_contain_text("£40,000.00")
    page.get_by_text("Care homes, per registered bed: 2 services").click()
    expect(page.get_by_text("28 beds × £750.00 per bed")).to_be_visible()
    expect(page.get_by_text("12 beds × £750.00 per bed")).to_be_visible()
    page.get_by_text(f"{DISCRETIONARY}: 2 services").click()
    expect(page.get_by_text("Panel award of £6,000.00")).to_be_visible()
    audit(page, "what-if allocation")
    page.get_by_role("button", name="Confirm the allocation").click()
    expect(banner(page)).to_contain_text("The allocation is confirmed: 4 allocations written.")
    expect(page.get_by_test_id("fund")).to_contain_text("£40,000.00")
    audit(page, "confirmed round")

    parts(page).get_by_role("link", name="Allocations").click()
    expect(heading(page)).to_have_text("Allocations")
    expect(parts(page).get_by_role("link", name="Allocations")).to_have_attribute(
        "aria-current", "page")
    allocations = page.get_by_test_id("allocations")
    expect(allocations.locator("tbody tr")).to_have_count(4)
    expect(allocations).to_contain_text("28 beds × £750.00 per bed")
    expect(allocations).to_contain_text("£21,000.00")
    expect(allocations).not_to_contain_text("Dartmoor House")
    audit(page, "allocations")

    parts(page).get_by_role("link", name="Agreements").click()
    expect(heading(page)).to_have_text("Agreements")
    expect(page.get_by_text("0 of 2 providers have signed.")).to_be_visible()
    expect(page.get_by_test_id("agreements").locator("tbody tr")).to_have_count(2)
    audit(page, "agreements")
    assert Allocation.objects.filter(round__confirmed_by=commissioner).count() == 4


@pytest.fixture
def provider_user(cambs, homes, make_user):
    return make_user(Role.PROVIDER_USER, cambs, provider=homes["willow"].provider,
                     email="pat@willowcare.example")


def test_a_provider_signs_and_finance_pays_the_first_instalment(page, cambs, confirmed,
                                                                 provider_user, make_user):
    finance = make_user(Role.FINANCE, cambs, email="fred@finance.example")

    # The provider sees its own part of the round only, and signs the agreement.
    sign_in(page, provider_user.email)
    menu(page).get_by_role("link", name="Infection Control Fund").click()
    expect(page.get_by_test_id("rounds")).to_contain_text(ROUND_NAME)
    expect(page.get_by_test_id("rounds")).not_to_contain_text("£40,000.00")
    audit(page, "round list for a provider")
    page.get_by_test_id("rounds").get_by_role("link", name="Willow Care Ltd").click()
    expect(heading(page)).to_have_text("Willow Care Ltd")
    own = page.get_by_test_id("provider-allocations")
    expect(own).to_contain_text("28 beds × £750.00 per bed")
    expect(own).to_contain_text("Panel award of £6,000.00")
    expect(own).to_contain_text("£27,000.00")
    expect(own).not_to_contain_text("Oak Lodge")
    audit(page, "provider page")
    page.get_by_role("button", name="Send your answer").click()
    expect(error_summary(page)).to_contain_text("Choose whether the conditions are accepted")
    audit(page, "provider page with errors")
    page.get_by_label("Yes, I accept the conditions").check()
    page.get_by_label("Your full name").fill("Pat Manager")
    page.get_by_label("Your role").fill("Registered manager")
    page.get_by_role("button", name="Send your answer").click()
    expect(banner(page)).to_contain_text("Thank you. Your answer is recorded.")
    expect(page.get_by_test_id("agreement")).to_contain_text(
        "Signed by Pat Manager (Registered manager)")
    expect(page.get_by_role("link", name="Report what was spent")).to_have_count(0)
    assert Agreement.objects.get().signed_name == "Pat Manager"
    sign_out(page)

    # Finance pays instalment 1: the signed provider is due; the other is withheld.
    sign_in(page, finance.email)
    menu(page).get_by_role("link", name="Infection Control Fund").click()
    page.get_by_role("link", name=ROUND_NAME).click()
    parts(page).get_by_role("link", name="Payments").click()
    expect(heading(page)).to_have_text("Payments")
    audit(page, "payment runs")
    page.get_by_label(re.compile(r"^Instalment 1 ")).check()
    page.get_by_role("button", name="See what is due").click()
    expect(heading(page)).to_contain_text("Payment run")
    expect(page.get_by_test_id("due")).to_contain_text("£10,500.00")
    expect(page.get_by_test_id("due")).to_contain_text("£3,000.00")
    expect(page.get_by_test_id("withheld")).to_contain_text("No signed agreement.")
    audit(page, "payment run")
    page.get_by_role("button", name="Confirm the payment run").click()
    expect(banner(page)).to_contain_text("The payment run is confirmed: 2 payments recorded.")
    expect(page.get_by_role("link", name="Download the file for the finance system (CSV)")
           ).to_be_visible()
    assert sum(p.amount for p in Payment.objects.all()) == 13500


def test_a_provider_reports_spend_and_the_commissioner_reconciles(page, homes, commissioner,
                                                                  confirmed, provider_user):
    accept(confirmed, homes["willow"].provider)
    pay(confirmed, 1)  # £10,500.00 for the beds and £3,000.00 of the panel award

    # The provider reports spend; more than it was paid needs a reason.
    sign_in(page, provider_user.email)
    menu(page).get_by_role("link", name="Infection Control Fund").click()
    page.get_by_role("link", name="Willow Care Ltd").click()
    expect(page.get_by_test_id("payments")).to_contain_text("£10,500.00")
    page.get_by_role("link", name="Report what was spent").click()
    expect(heading(page)).to_have_text("Report what you spent")
    expect(page.get_by_text("You have been paid £13,500.00 from this round.")).to_be_visible()
    audit(page, "spend form")
    page.get_by_label("Measures to isolate residents (£)").fill("9000")
    page.get_by_label("Measures to restrict staff movement (£)").fill("14000")
    page.get_by_role("button", name="Send the spend return").click()
    message = "Spend of £23,000.00 is more than the £13,500.00 paid; say why."
    link = error_summary(page).get_by_role("link", name=message)
    expect(link).to_have_attribute("href", "#id_over_reason")
    reason = page.get_by_label("If you spent more than you were paid, say why")
    expect(reason).to_have_attribute("aria-describedby", re.compile("id_over_reason-error"))
    expect(page.locator("#id_over_reason-error")).to_contain_text(message)
    audit(page, "spend form with errors")
    link.click()
    expect(reason).to_be_focused()
    assert not SpendReturn.objects.exists()
    page.get_by_label("Measures to isolate residents (£)").fill("900")
    page.get_by_label("Measures to restrict staff movement (£)").fill("1400")
    page.get_by_label("Paying staff full wages while isolating (£)").fill("700")
    page.get_by_label("Other infection prevention and control (£)").fill("7000")
    page.get_by_role("button", name="Send the spend return").click()
    expect(banner(page)).to_contain_text("The spend return for Willow Care Ltd is recorded.")
    expect(page.get_by_test_id("spend")).to_contain_text("£7,000.00")
    audit(page, "provider page with a spend return")
    sign_out(page)

    # The commissioner reconciles the round and sees what it was spent on.
    sign_in(page, commissioner.email)
    menu(page).get_by_role("link", name="Infection Control Fund").click()
    page.get_by_role("link", name=ROUND_NAME).click()
    parts(page).get_by_role("link", name="Spend returns").click()
    expect(heading(page)).to_have_text("Spend returns")
    expect(page.get_by_test_id("outstanding")).to_contain_text("None: every provider paid")
    expect(page.get_by_test_id("returns").locator("tbody tr")).to_have_count(1)
    audit(page, "spend returns")
    parts(page).get_by_role("link", name="Reconciliation").click()
    expect(heading(page)).to_have_text("Reconciliation")
    totals = page.get_by_test_id("totals")
    for amount in ("£40,000.00", "£13,500.00", "£10,000.00", "£3,500.00", "£26,500.00"):
        expect(totals).to_contain_text(amount)
    audit(page, "reconciliation")
    parts(page).get_by_role("link", name="Return to government").click()
    expect(heading(page)).to_have_text("Return to government")
    spend = page.get_by_test_id("return-spend")
    for label, pct in (("Measures to isolate residents", "9%"),
                       ("Measures to restrict staff movement", "14%"),
                       ("Paying staff full wages while isolating", "7%"),
                       ("Other infection prevention and control", "70%")):
        expect(spend.get_by_role("row", name=re.compile(f"^{label}"))).to_contain_text(pct)
    audit(page, "return to government")
    sign_out(page)

    # Published: anyone can see what each provider was allocated, without signing in.
    page.goto("/open-data/grants/")
    expect(heading(page)).to_have_text("Infection Control Fund allocations")
    audit(page, "published rounds")
    page.get_by_role("link", name=ROUND_NAME, exact=True).click()
    published = page.get_by_test_id("open-data")
    expect(published).to_contain_text("Willow Care Ltd")
    expect(published).to_contain_text("Oak Homes Ltd")
    willow = published.get_by_role("row", name=re.compile("^Willow Care Ltd"))
    expect(willow).to_contain_text("£27,000.00")
    expect(willow).to_contain_text("£13,500.00")
    audit(page, "published round")
