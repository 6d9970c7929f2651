"""The rounds list and the published rounds, as tables of the one table layer."""

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.core.tests.page_tables import page_table
from caresight.core.timeutils import long_date
from caresight.grants import services
from caresight.grants.tests.factories import ELIGIBILITY, care_home, simple_round
from caresight.registry.tests.factories import ProviderFactory

DAY = long_date(ELIGIBILITY)


@pytest.fixture
def rounds(cambs, make_user):
    acorn = ProviderFactory(name="Acorn Care Ltd")
    care_home(cambs, beds=2, name="Willow Court", provider=acorn)
    confirmed = simple_round(cambs, amount="283594.27")
    services.allocation_confirm(round=confirmed, user=OPERATOR)
    draft = simple_round(cambs, amount="1234.56")
    return {"confirmed": confirmed, "draft": draft, "acorn": acorn,
            "officer": make_user(Role.COMMISSIONER, cambs),
            "acorn_user": make_user(Role.PROVIDER_USER, cambs, provider=acorn)}


@pytest.mark.django_db
class TestRoundList:
    def test_an_officer_sees_each_round_its_allocation_and_status(self, client, rounds):
        client.force_login(rounds["officer"])
        page = client.get(reverse("grants:list")).content.decode()
        table = page_table(page, testid="rounds")
        assert table.caption == "Rounds"
        assert table.headers == ["Round", "Authority", "Eligibility date", "Allocation",
                                 "Status"]
        assert table.numeric_headers == ["Allocation"]
        assert sorted(table.rows) == [
            ["Test round", "Cambridgeshire", DAY, "£1,234.56", "What-if"],
            ["Test round", "Cambridgeshire", DAY, "£283,594.27",
             "Allocation confirmed"]]
        url = reverse("grants:round", args=[rounds["confirmed"].pk])
        assert f'<a class="govuk-link" href="{url}">Test round</a>' in page
        assert '<strong class="govuk-tag govuk-tag--green">Allocation confirmed</strong>' in page
        assert '<strong class="govuk-tag govuk-tag--yellow">What-if</strong>' in page
        assert ('<td class="govuk-table__cell govuk-table__cell--numeric">£283,594.27</td>'
                in page)

    def test_a_provider_user_sees_links_to_its_providers_and_no_allocation(self, client,
                                                                           rounds):
        client.force_login(rounds["acorn_user"])
        page = client.get(reverse("grants:list")).content.decode()
        table = page_table(page, testid="rounds")
        assert table.rows == [["Test round Acorn Care Ltd", "Cambridgeshire", DAY,
                               "", "Allocation confirmed"]]
        url = reverse("grants:provider", args=[rounds["confirmed"].pk, rounds["acorn"].pk])
        assert f'Test round<br><a class="govuk-link" href="{url}">Acorn Care Ltd</a>' in page
        assert f'href="{reverse("grants:round", args=[rounds["confirmed"].pk])}"' not in page

    def test_no_rounds_yet(self, client, cambs, make_user):
        client.force_login(make_user(Role.COMMISSIONER, cambs))
        table = page_table(client.get(reverse("grants:list")).content, testid="rounds")
        assert table.rows == [["No rounds yet."]]


@pytest.mark.django_db
class TestPublishedList:
    def test_each_published_round_with_its_page_and_files(self, client, rounds):
        page = client.get(reverse("published:published")).content.decode()
        table = page_table(page, testid="published")
        assert table.caption == "Published rounds"
        assert table.headers == ["Council", "Round", "Open data"]
        assert table.rows == [["Cambridgeshire", "Test round", "CSV · JSON"]]  # no draft
        pk = rounds["confirmed"].pk
        assert (f'<a class="govuk-link" href="{reverse("published:published-round", args=[pk])}"'
                '>Test round</a>') in page
        csv_url = reverse("published:published-file", args=[pk, "csv"])
        assert (f'<a class="govuk-link" href="{csv_url}">CSV<span class="govuk-visually-hidden">'
                " of Test round, Cambridgeshire</span></a> · ") in page

    def test_nothing_published_yet(self, client, db):
        table = page_table(client.get(reverse("published:published")).content,
                           testid="published")
        assert table.rows == [["Nothing published yet."]]
