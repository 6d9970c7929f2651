"""Every money figure on the grants pages, for amounts with pence, to the penny.

A provider's page once showed "Total allocated £283,594.00" where its lines and its letter
added up to £283,594.25: a template filter added pounds as whole numbers. Money is added up
in the selectors, in Decimal; the pages only show it. Each figure below is worked out by hand
from the round's inputs, so a sum made anywhere else (or rounded) fails here.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from caresight.grants import letters
from caresight.grants.models import Allocation
from caresight.grants.tests.test_letters import docx_text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def world(pence_round):
    return pence_round


def money_on(page: bytes) -> list[str]:
    """Every £ figure on a page, in order."""
    return re.findall(r"-?£[\d,]+\.\d\d", page.decode())


def figures_in(page: bytes, *expected: str) -> None:
    shown = money_on(page)
    missing = [figure for figure in expected if figure not in shown]
    assert not missing, f"{missing} not among {shown}"


@pytest.mark.django_db
class TestMoneyOnTheGrantsPages:
    def test_the_provider_page_totals_what_its_lines_and_letter_say(self, client, world):
        round, acorn = world["round"], world["acorn"]
        url = reverse("grants:provider", args=[round.pk, acorn.pk])
        for user in (world["officer"], world["acorn_user"]):
            client.force_login(user)
            page = client.get(url).content
            # Lines 113,437.71 + 56,718.86, adjusted by 0.37: 170,156.94 in all.
            figures_in(page, "£113,437.71", "£56,718.86", "£0.37", "£170,156.94")
            assert "Total allocated (after adjustments)" in page.decode()
            # Instalment 1 pays half of each, half a penny up: 56,718.86 (of 113,437.71) and
            # 28,359.62 (of 56,719.23, the adjusted Oak Lodge).
            figures_in(page, "£56,718.86", "£28,359.62")
            figures_in(page, "£1,000.10", "£2,000.20", "£0.05")
            assert "£170,156.00" not in money_on(page)  # what adding whole pounds gave
        round.refresh_from_db()
        letter = docx_text(letters.letter_docx(round, acorn))
        assert "£170,156.94" in letter and "£170,156.00" not in letter

    def test_the_spend_return_form_says_what_was_received(self, client, world):
        client.force_login(world["acorn_user"])
        page = client.get(reverse("grants:spend-submit",
                                  args=[world["round"].pk, world["acorn"].pk])).content
        figures_in(page, "£85,078.48")  # 56,718.86 + 28,359.62, nothing recovered

    def test_a_provider_paid_less_a_recovery_sees_the_difference(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:spend-submit",
                                  args=[world["round"].pk, world["birch"].pk])).content
        figures_in(page, "£28,349.38")  # 28,359.43 paid (half of 56,718.85) less 10.05

    def test_the_round_page_adds_up_the_fund(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:round", args=[world["round"].pk])).content
        figures_in(page,
                   "£283,594.27",  # the round, and allocated to providers
                   "£0.00",  # contingency kept, not allocated
                   "£0.37",  # adjusted
                   "£113,437.91",  # paid: 56,718.86 + 28,359.62 + 28,359.43
                   "£10.05",  # recovered
                   "£3,100.34")  # spent: 1,000.10 + 2,000.20 + 0.05 + 99.99
        assert money_on(page).count("£283,594.27") == 2

    def test_the_allocations_page_shows_each_amount_and_adjustment(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:allocations", args=[world["round"].pk])).content
        # Each line's amount, Oak Lodge's adjustment, each explanation's rate per bed
        # (283,594.27 / 5 beds, shown to the penny), and the total of the amounts.
        assert sorted(money_on(page)) == sorted(
            ["£113,437.71", "£56,718.86", "£0.37", "£56,718.85", "£56,718.85",
             *["£56,718.85"] * 4, "£283,594.27"])

    def test_the_payment_run_totals_its_lines(self, client, world):
        client.force_login(world["finance"])
        page = client.get(reverse("grants:run", args=[world["run"].pk])).content
        figures_in(page, "£113,437.91",  # to pay: the three lines below
                   "£56,718.86", "£28,359.62", "£28,359.43",
                   "£28,359.43")  # withheld: Fen House, half of 56,718.85, no agreement
        shown = money_on(page)
        assert shown[:2] == ["£113,437.91", "£28,359.43"]  # to pay, withheld

    def test_the_spend_page_shows_categories_and_returns(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:spend", args=[world["round"].pk])).content
        # By category and in all, then each return's lines (a category left blank is kept
        # as £0.00) and each category's total.
        assert money_on(page) == ["£1,000.10", "£2,000.20", "£0.05", "£99.99", "£3,100.34",
                                  "£1,000.10", "£2,000.20", "£0.05", "£0.00",
                                  "£0.00", "£0.00", "£0.00", "£99.99",
                                  "£1,000.10", "£2,000.20", "£0.05", "£99.99"]

    def test_the_reconciliation_rows_and_totals_add_up_to_the_penny(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:reconciliation", args=[world["round"].pk])).content
        # allocated, adjusted, paid, recovered, spent, unspent, still to pay
        acorn = ["£170,156.57", "£0.37", "£85,078.48", "£0.00", "£3,000.35", "£82,078.13",
                 "£85,078.46"]
        birch = ["£56,718.85", "£0.00", "£28,359.43", "£10.05", "£99.99", "£28,249.39",
                 "£28,359.42"]
        cedar = ["£56,718.85", "£0.00", "£0.00", "£0.00", "£0.00", "£0.00", "£56,718.85"]
        total = ["£283,594.27", "£0.37", "£113,437.91", "£10.05", "£3,100.34", "£110,327.52",
                 "£170,156.73"]
        fund = ["£283,594.27", "£283,594.27", "£0.00", "£0.00"]
        assert money_on(page) == acorn + birch + cedar + total + fund

    def test_the_return_to_government_shows_every_figure(self, client, world):
        client.force_login(world["officer"])
        page = client.get(reverse("grants:return", args=[world["round"].pk])).content
        assert money_on(page) == [
            "£283,594.27", "£283,594.27", "£0.37", "£113,437.91", "£10.05",  # the round
            "£283,594.27", "£283,594.27",  # element 1, and all elements
            "£113,437.91", "£0.00", "£113,437.91",  # instalments 1 and 2, and both
            "£1,000.10", "£2,000.20", "£0.05", "£99.99", "£3,100.34"]  # spend, and in all

    def test_the_published_page_includes_adjustments(self, client, world):
        client.logout()
        page = client.get(reverse("published:published-round", args=[world["round"].pk]))
        # allocated (adjustments included), paid; per provider by name, then in all
        assert money_on(page.content) == ["£170,156.94", "£85,078.48", "£56,718.85",
                                          "£28,359.43", "£56,718.85", "£0.00",
                                          "£283,594.64", "£113,437.91"]

    def test_the_adjust_and_recover_pages_name_the_amounts(self, client, world):
        client.force_login(world["officer"])
        allocation = Allocation.objects.get(location=world["oak"])
        page = client.get(reverse("grants:adjust", args=[allocation.pk])).content
        figures_in(page, "£56,718.86")
        client.force_login(world["finance"])
        page = client.get(reverse("grants:recover", args=[world["payment"].pk])).content
        figures_in(page, "£28,359.43")


    def test_only_who_may_record_a_recovery_is_offered_the_link(self, client, world):
        payment = world["payment"]
        url = reverse("grants:provider", args=[world["round"].pk, payment.provider_id])
        client.force_login(world["officer"])  # a commissioner: the page, not the recovery
        assert b"Record a recovery" not in client.get(url).content
        assert client.get(reverse("grants:recover", args=[payment.pk])).status_code == 404
        client.force_login(world["finance"])
        assert b"Record a recovery" in client.get(url).content


def test_no_grants_template_does_arithmetic_on_money():
    """`add`, `widthratio` and friends work in whole numbers (or floats): never on money."""
    arithmetic = re.compile(r"\|\s*add:|\{%\s*widthratio|\|\s*floatformat[^}]*\|\s*pounds")
    for template in TEMPLATES.rglob("*.html"):
        for line in template.read_text().splitlines():
            if "pounds" in line and arithmetic.search(line):
                pytest.fail(f"{template.name} adds up money in the template: {line.strip()}")
