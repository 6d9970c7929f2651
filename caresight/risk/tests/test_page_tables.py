"""A service's risk page (concerns, overrides, saved ratings) and the risk rules, as tables of
the one table layer."""

import datetime as dt

import pytest
from django.urls import reverse

from caresight.core.tenancy import OPERATOR
from caresight.core.tests.page_tables import page_table
from caresight.risk import rules, services, tables
from caresight.risk.models import Concern, Override, Rating, SavedLog, SavedRating


@pytest.fixture
def records(home, cambs, officer):
    open_concern = Concern.objects.create(location=home, raised_on=dt.date(2020, 6, 2),
                                          source=Concern.Source.COMPLAINT,
                                          summary="Call bells unanswered")
    Concern.objects.create(location=home, raised_on=dt.date(2020, 5, 1),
                           source=Concern.Source.CQC, summary="Staffing",
                           closed_on=dt.date(2020, 5, 20), closing_note="Resolved")
    Override.objects.create(location=home, rating=Rating.RED, reason="Manager resigned",
                            starts_on=dt.date(2020, 6, 1), expires_on=dt.date(2020, 6, 30),
                            created_by=officer)
    log = SavedLog.objects.create(authority=cambs, as_of=dt.date(2020, 6, 4))
    SavedRating.objects.create(log=log, location=home, rating=Rating.AMBER,
                               computed_rating=Rating.AMBER, fired=[
                                   {"code": "no_return", "label": "No current return",
                                    "rating": "amber", "why": "None since May"},
                                   {"code": "small_provider", "label": "Small provider",
                                    "rating": "amber", "why": "One service"}])
    return {"open": open_concern}


@pytest.mark.django_db
class TestLocationRisk:
    def test_concerns_overrides_and_saved_ratings_read_in_words(self, client, officer, home,
                                                                records):
        client.force_login(officer)
        page = client.get(reverse("risk:location", args=[home.pk])).content.decode()

        concerns = page_table(page, testid="concerns")
        assert concerns.caption == "Quality concerns"
        assert concerns.headers == ["Raised", "Concern", "Closed"]
        assert concerns.rows == [
            ["2 June 2020", "Call bells unanswered Complaint", "Close"],
            ["1 May 2020", "Staffing CQC", "20 May 2020: Resolved"]]
        close = reverse("risk:concern-close", args=[records["open"].pk])
        assert (f'<a class="govuk-link" href="{close}">Close<span class="govuk-visually-hidden">'
                " the concern: Call bells unanswered</span></a>") in page

        overrides = page_table(page, testid="overrides")
        assert overrides.headers == ["From", "Until", "Rating", "Reason"]
        assert overrides.rows == [["1 June 2020", "30 June 2020", "Red",
                                   f"Manager resigned ({officer})"]]

        saved = page_table(page, testid="saved-ratings")
        assert saved.caption == "In saved risk logs"
        assert saved.headers == ["Log of", "Rating", "Why"]
        assert saved.rows == [["4 June 2020", "Amber", "No current return; Small provider"]]

    def test_without_the_right_to_manage_an_open_concern_is_open(self, records):
        body = list(tables.concerns_table([records["open"]], can_manage=False).body)
        assert [c.text for c in body[0]] == ["2 June 2020", "Call bells unanswered", "Open"]
        assert body[0][2].link is None

    def test_nothing_recorded(self, client, officer, home):
        client.force_login(officer)
        page = client.get(reverse("risk:location", args=[home.pk])).content
        assert page_table(page, testid="concerns").rows == [["None recorded."]]
        assert page_table(page, testid="overrides").rows == [["None."]]
        assert page_table(page, testid="saved-ratings").rows == [["Not in a saved log yet."]]


@pytest.mark.django_db
class TestPolicies:
    def test_each_rule_as_the_authority_set_it_and_a_change_link(self, client, officer, cambs):
        services.policy_set(authority=cambs, ambers_make_red=0, user=OPERATOR, rules_chosen={
            "staff_absence": {"enabled": False, "rating": "red", "threshold": "25"}})
        client.force_login(officer)
        page = client.get(reverse("risk:policies")).content.decode()
        table = page_table(page, caption="Cambridgeshire")
        assert table.caption == "Cambridgeshire Change the rules for Cambridgeshire"
        assert table.headers == ["Rule", "Used", "Rating", "Threshold"]
        assert len(table.rows) == len(rules.RULES) + 1
        assert table.rows[0] == ["Live outbreak", "Yes", "Red", "–"]
        assert table.rows[2] == ["Staff absence", "No", "Red",
                                 "Per cent of staff absent, at or above 25"]
        assert table.rows[-1] == ["Amber reasons that make red", "Never"]
        assert ('<th scope="row" class="govuk-table__header">Amber reasons that make red</th>'
                '<td class="govuk-table__cell" colspan="3">Never</td>') in page
        edit = reverse("risk:policy-edit", args=[cambs.ons_code])
        assert (f'Cambridgeshire <a class="govuk-link govuk-body" href="{edit}">Change'
                '<span class="govuk-visually-hidden"> the rules for Cambridgeshire</span></a>'
                '</caption>') in page

    def test_the_default_number_of_ambers_that_make_red(self, cambs):
        from caresight.risk.rating import policy_for

        table = tables.policy_table(cambs, policy_for(cambs.pk), rules.RULES)
        assert [c.text for c in list(table.body)[-1]] == ["Amber reasons that make red", "3"]
