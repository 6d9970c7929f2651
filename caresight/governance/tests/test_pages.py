"""The pages: the register with its heat map, forms that refuse bad input naming the field,
downloads in seed 000's shape, another council's records not found, and history pages."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from caresight.accounts.models import Role
from caresight.accounts.services import user_create
from caresight.core.models import DownloadRecord
from caresight.core.tenancy import OPERATOR
from caresight.governance import services
from caresight.governance.models import Decision, Risk

from .factories import DAY, ccg, make_case, make_decision, make_risk

REGISTER_HEADERS = ["Risks", "Mitigations", "Residual Risk", "Inherent score",
                    "Residual score", "Band", "Owner", "Next review", "Reference", "Category",
                    "Authority"]


@pytest.fixture
def signed_in(client, commissioner):
    client.force_login(commissioner)
    return client


@pytest.fixture
def register(cambs):
    risk = make_risk(cambs)
    services.mitigation_create(risk=risk, description="Additional beds purchased",
                               owner="Brokerage", status="in_place", started_on=DAY,
                               due_on=dt.date(2020, 6, 30), user=OPERATOR)
    services.mitigation_create(risk=risk, description="10% resilience payment",
                               started_on=DAY, user=OPERATOR)
    return risk


@pytest.mark.django_db
class TestRegisterPages:
    def test_the_register_shows_the_heat_map_and_the_table(self, signed_in, register):
        page = signed_in.get(reverse("governance:risk-list"), {"as_of": "2020-06-04"})
        html = page.content.decode()
        assert page.status_code == 200
        assert 'data-testid="heat-map"' in html and "Residual risk: likelihood by impact" in html
        assert '<strong class="govuk-tag govuk-tag--yellow">1 · Medium</strong>' in html
        assert "Additional beds purchased (Brokerage, In place, due 30 June 2020)" in html
        assert "18 June 2020" in html  # the next review, in words
        inherent = signed_in.get(reverse("governance:risk-list"),
                                 {"as_of": "2020-06-04", "scores": "inherent"})
        assert "Inherent risk: likelihood by impact" in inherent.content.decode()
        assert '<strong class="govuk-tag govuk-tag--red">1 · High</strong>' in \
            inherent.content.decode()

    def test_a_bad_date_is_a_400_naming_it(self, signed_in, register):
        page = signed_in.get(reverse("governance:risk-list"), {"as_of": "4/6/2020"})
        assert page.status_code == 400 and "Date must be a real date" in page.content.decode()

    def test_the_register_downloads_in_seed_000s_shape(self, signed_in, register):
        url = reverse("governance:risk-list")
        response = signed_in.get(url, {"as_of": "2020-06-04", "download": "csv"})
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == REGISTER_HEADERS
        assert rows[1][0] == "Market capacity\nToo few beds for discharges"
        assert rows[1][1].split("\n") == [
            "Additional beds purchased (Brokerage, In place, due 30 June 2020)",
            "10% resilience payment (Planned)"]
        assert rows[1][2:7] == ["Extra capacity approved by the CCG", "20", "12", "Medium",
                                "Head of Commissioning"]
        xlsx = signed_in.get(url, {"as_of": "2020-06-04", "download": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == REGISTER_HEADERS
        assert values[1][3:6] == (20, 12, "Medium")
        assert values[1][7] == dt.datetime(2020, 6, 18)
        assert DownloadRecord.objects.filter(file_format="xlsx", rows=1).exists()

    def test_decisions_and_cases_download(self, signed_in, cambs):
        make_decision(cambs, amount="1000.00")
        make_case(cambs)
        decisions = signed_in.get(reverse("governance:decision-list"),
                                  {"as_of": "2020-06-04", "download": "csv"})
        rows = list(csv.reader(io.StringIO(decisions.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["Date", "Decision", "Decided by", "Key decision"]
        assert rows[1][1] == "COVID positive beds approved" and rows[1][6] == "1000.00"
        cases = signed_in.get(reverse("governance:case-list"),
                              {"as_of": "2020-06-04", "download": "xlsx"})
        values = list(load_workbook(io.BytesIO(cases.content)).active.iter_rows(
            values_only=True))
        assert values[0][:6] == ("Business case", "Submitted to", "Submitted", "Amount",
                                 "Funding source", "Status")
        assert values[1][3:6] == (250000, "NHS discharge funding", "Submitted")

    def test_the_review_form_names_the_field_and_writes_nothing(self, signed_in, register):
        url = reverse("governance:risk-review", args=[register.pk])
        token = signed_in.get(url).context["form"]["submission_token"].value()
        body = {"submission_token": token, "reviewed_on": "2020-06-11", "likelihood": "6",
                "impact": "3", "residual_likelihood": "2", "residual_impact": "2",
                "status": "open"}
        page = signed_in.post(url, body)
        assert page.status_code == 200
        assert page.context["form"].errors == {"likelihood": ["Likelihood must be 5 or less"]}
        residual = signed_in.post(url, {**body, "likelihood": "1", "impact": "1"})
        assert list(residual.context["form"].errors) == ["residual_reason"]
        future = signed_in.post(url, {**body, "likelihood": "3",
                                      "reviewed_on": (dt.date.today() + dt.timedelta(days=1))
                                      .isoformat()})
        assert list(future.context["form"].errors) == ["reviewed_on"]
        assert register.reviews.count() == 1
        done = signed_in.post(url, {**body, "likelihood": "3"})
        assert done.status_code == 302 and register.reviews.count() == 2

    def test_the_mitigation_form_refuses_a_due_date_before_the_start(self, signed_in, register):
        url = reverse("governance:mitigation-new", args=[register.pk])
        token = signed_in.get(url).context["form"]["submission_token"].value()
        page = signed_in.post(url, {"submission_token": token, "description": "Volunteers",
                                    "status": "planned", "started_on": "2020-06-10",
                                    "due_on": "2020-06-01"})
        assert "a due date before the start" in page.context["form"].errors["due_on"][0]
        assert register.mitigations.count() == 2

    def test_adding_a_risk_through_the_form(self, signed_in, cambs):
        url = reverse("governance:risk-new")
        token = signed_in.get(url).context["form"]["submission_token"].value()
        body = {"submission_token": token, "authority": cambs.pk, "reference": "R9",
                "title": "Staff capacity", "category": "workforce", "raised_on": "2020-06-01",
                "likelihood": "4", "impact": "4", "residual_likelihood": "3",
                "residual_impact": "3"}
        done = signed_in.post(url, body)
        risk = Risk.objects.get()
        assert done.url == reverse("governance:risk-detail", args=[risk.pk])
        again = signed_in.post(url, body)  # the same form twice adds it once
        assert again.status_code == 302 and Risk.objects.count() == 1

    def test_a_decision_form_without_a_date_is_refused(self, signed_in, cambs):
        url = reverse("governance:decision-new")
        token = signed_in.get(url).context["form"]["submission_token"].value()
        page = signed_in.post(url, {"submission_token": token, "authority": cambs.pk,
                                    "title": "Beds", "decided_by": "Adults Committee"})
        assert list(page.context["form"].errors) == ["decided_on"]
        assert not Decision.objects.exists()

    def test_a_case_form_with_a_negative_amount_is_refused(self, signed_in, cambs):
        url = reverse("governance:case-new")
        token = signed_in.get(url).context["form"]["submission_token"].value()
        organisation = ccg()  # offered: it has a member in Cambridgeshire
        user_create(email="ccg@example.org", role=Role.PARTNER, authority_codes=["E10000003"],
                    organisation_name=organisation.name, password="correct-horse-battery")
        page = signed_in.post(url, {"submission_token": token, "authority": cambs.pk,
                                    "title": "Beds", "submitted_to": organisation.pk,
                                    "amount": "-5.00", "funding_source": "council",
                                    "status": "draft", "status_on": "2020-06-04"})
        assert list(page.context["form"].errors) == ["amount"]
        assert "negative" in page.context["form"].errors["amount"][0]
        assert organisation in page.context["form"].fields["submitted_to"].queryset

    def test_history_pages(self, signed_in, register, cambs):
        page = signed_in.get(reverse("governance:risk-history", args=[register.pk]))
        assert page.status_code == 200 and "Risk added to the register" in page.content.decode()
        case = make_case(cambs)
        assert signed_in.get(reverse("governance:case-history", args=[case.pk])
                             ).status_code == 200


@pytest.mark.django_db
class TestWhoSeesWhat:
    def test_another_councils_records_are_not_found(self, signed_in, devon):
        risk, decision, case = make_risk(devon), make_decision(devon), make_case(devon)
        for name, pk in (("risk-detail", risk.pk), ("risk-edit", risk.pk),
                         ("decision-detail", decision.pk), ("case-detail", case.pk),
                         ("case-status", case.pk)):
            assert signed_in.get(reverse(f"governance:{name}", args=[pk])).status_code == 404

    def test_a_partner_reads_but_does_not_change(self, client, make_user, cambs, register):
        client.force_login(make_user(Role.PARTNER, cambs))
        assert client.get(reverse("governance:risk-detail", args=[register.pk])
                          ).status_code == 200
        assert client.get(reverse("governance:risk-edit", args=[register.pk])
                          ).status_code == 404
        assert client.get(reverse("governance:risk-new")).status_code == 403

    def test_a_viewer_or_provider_sees_nothing(self, client, make_user, cambs):
        client.force_login(make_user(Role.VIEWER, cambs))
        assert client.get(reverse("governance:risk-list")).status_code == 403
