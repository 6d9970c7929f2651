"""Infection Control Fund pages: the whole journey from a template to the return to government,
as commissioners, finance and providers see it, and what each may not see or do."""

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.grants.models import Agreement, Allocation, Payment, Round, SpendReturn
from caresight.grants.tests.factories import ELIGIBILITY, care_home, row_counts, simple_round


@pytest.fixture
def setting(cambs, devon, make_user):
    first = care_home(cambs, beds=28, name="Willow Court", cqc_location_id="1-100000001")
    second = care_home(cambs, beds=12, name="Oak Lodge", cqc_location_id="1-100000002")
    other = care_home(devon, beds=40, name="Dartmoor House", cqc_location_id="1-100000003")
    return {
        "first": first, "second": second, "other": other,
        "commissioner": make_user(Role.COMMISSIONER, cambs),
        "finance": make_user(Role.FINANCE, cambs),
        "provider_user": make_user(Role.PROVIDER_USER, cambs, provider=first.provider),
        "devon": make_user(Role.COMMISSIONER, devon),
        "partner": make_user(Role.PARTNER, cambs),
    }


def form_token(page: str) -> str:
    marker = 'name="submission_token" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


@pytest.mark.django_db
class TestJourney:
    def test_from_template_to_the_return_to_government(self, client, cambs, setting):
        client.force_login(setting["commissioner"])
        page = client.get(reverse("grants:round-new")).content.decode()
        response = client.post(reverse("grants:round-new"), {
            "template": "icf-2020-round-1", "authority": cambs.pk, "name": "",
            "amount": "£40,000.00", "eligibility_date": ELIGIBILITY.isoformat(),
            "contingency": "", "submission_token": form_token(page)}, follow=True)
        round = Round.objects.get()
        page = response.content.decode()
        assert "What-if allocation" in page
        # The discretionary element has no community services: named, and confirm is off.
        assert "“Discretionary, wider care market”: no eligible services" in page
        assert "disabled" in page
        element = round.elements.get(discretionary=True)
        response = client.post(reverse("grants:element", args=[round.pk, element.pk]), {
            "share": "25", "method": "panel", "service_types": ["care_home"], "retained": ""})
        assert response.status_code == 302
        client.post(reverse("grants:element-inputs", args=[round.pk, element.pk]),
                    {"rows": "1-100000001, 6000.00\n1-100000002, 4000.00"})
        page = client.get(reverse("grants:round", args=[round.pk])).content.decode()
        assert "28 beds × £750.00 per bed" in page
        assert "Panel award of £6,000.00" in page
        client.post(reverse("grants:confirm", args=[round.pk]))
        assert Allocation.objects.filter(round=round).count() == 4
        assert sum(a.amount for a in Allocation.objects.all()) == Decimal("40000.00")

        # The provider signs in the portal; its IP and name are kept.
        provider = setting["first"].provider
        client.force_login(setting["provider_user"])
        page = client.get(reverse("grants:provider", args=[round.pk, provider.pk])).content
        assert b"Willow Court" in page and b"Oak Lodge" not in page
        client.post(reverse("grants:provider", args=[round.pk, provider.pk]),
                    {"decision": "accept", "name": "Pat Manager", "role": "Manager"},
                    REMOTE_ADDR="10.1.2.3")
        agreement = Agreement.objects.get()
        assert (agreement.decision, agreement.ip_address) == ("accepted", "10.1.2.3")

        # Finance pays instalment 1: the signed provider is due, the other withheld and why.
        client.force_login(setting["finance"])
        instalment = round.instalments.get(number=1)
        runs_page = client.get(reverse("grants:runs", args=[round.pk])).content.decode()
        sent = {"instalment": instalment.pk, "as_of": timezone.localdate().isoformat(),
                "submission_token": form_token(runs_page)}
        response = client.post(reverse("grants:runs", args=[round.pk]), sent)
        run_url = response["Location"]
        # The same form sent again makes no second run: it goes to the first.
        assert client.post(reverse("grants:runs", args=[round.pk]), sent)["Location"] == run_url
        assert round.payment_runs.count() == 1
        page = client.get(run_url).content.decode()
        assert "No signed agreement." in page
        client.post(run_url + "confirm/")
        again = client.post(run_url + "confirm/", follow=True).content.decode()
        assert "nothing was paid again" in again
        payments = Payment.objects.all()
        assert {p.provider_id for p in payments} == {provider.pk}
        assert sum(p.amount for p in payments) == Decimal("13500.00")  # half of 21,000 + 6,000
        finance_file = client.get(run_url + "finance.csv").content.decode()
        rows = list(csv.DictReader(io.StringIO(finance_file)))
        assert rows[0]["amount"] == "13500.00" and rows[0]["provider"] == provider.name

        # The provider reports spend; more than paid needs a reason.
        client.force_login(setting["provider_user"])
        url = reverse("grants:spend-submit", args=[round.pk, provider.pk])
        page = client.post(url, {"isolating_residents": "9000", "restricting_staff_movement":
                                 "14000", "full_wages_isolating": "", "other": ""}).content
        assert "more than the £13,500.00 paid; say why" in page.decode()
        assert not SpendReturn.objects.exists()
        client.post(url, {"isolating_residents": "900", "restricting_staff_movement": "1400",
                          "full_wages_isolating": "700", "other": "7000"})
        assert SpendReturn.objects.get().lines.count() == 4

        client.force_login(setting["commissioner"])
        page = client.get(reverse("grants:return", args=[round.pk])).content.decode()
        for pct in ("9%", "14%", "7%", "70%"):
            assert pct in page
        book = openpyxl.load_workbook(io.BytesIO(client.get(
            reverse("grants:return", args=[round.pk]), {"download": "xlsx"}).content))
        cells = [row for row in book.active.iter_rows(values_only=True)]
        assert ("Spend", "Measures to isolate residents", 900, 0.09) in [
            (a, b, int(d) if isinstance(d, (int, float, Decimal)) else d, f)
            for a, b, c, d, e, f in cells[1:]]
        recon = client.get(reverse("grants:reconciliation", args=[round.pk]),
                           {"download": "csv"}).content.decode("utf-8-sig")
        total = list(csv.DictReader(io.StringIO(recon)))[-1]
        assert total["Provider"] == "Total" and total["Paid"] == "13500.00"
        assert total["Unspent"] == "3500.00"

        # Published: no sign-in needed, per provider, CSV and JSON.
        client.logout()
        data = json.loads(client.get(reverse("published:published-file",
                                             args=[round.pk, "json"])).content)
        assert {row["provider"] for row in data["allocations"]} == {
            setting["first"].provider.name, setting["second"].provider.name}
        assert all(isinstance(row["allocated"], str) for row in data["allocations"])


@pytest.mark.django_db
class TestWhoSeesWhat:
    @pytest.fixture
    def confirmed(self, cambs, setting):
        from caresight.grants import services

        round = simple_round(cambs)
        services.allocation_confirm(round=round, user=OPERATOR)
        return round

    def test_every_letter_is_made_in_the_background_for_whoever_asked(
            self, client, setting, confirmed, django_capture_on_commit_callbacks):
        client.force_login(setting["commissioner"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("grants:letters", args=[confirmed.pk, "pdf"]))
        job_url = response["Location"]
        page = client.get(job_url).content.decode()
        assert "Your document is ready" in page
        pdf = client.get(job_url + "download/")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        client.force_login(setting["finance"])  # another person's document is not found
        assert client.get(job_url + "download/").status_code == 404

    def test_another_council_and_partners_see_nothing(self, client, setting, confirmed):
        client.force_login(setting["devon"])
        assert client.get(reverse("grants:round", args=[confirmed.pk])).status_code == 404
        assert client.get(reverse("grants:list")).content.count(b"Test round") == 0
        client.force_login(setting["partner"])
        assert client.get(reverse("grants:list")).status_code == 403

    def test_a_provider_sees_only_its_own_part(self, client, setting, confirmed):
        client.force_login(setting["provider_user"])
        own, other = setting["first"].provider, setting["second"].provider
        assert client.get(reverse("grants:round", args=[confirmed.pk]))["Location"].endswith(
            f"/providers/{own.pk}/")
        assert client.get(reverse("grants:provider",
                                  args=[confirmed.pk, other.pk])).status_code == 404
        assert client.get(reverse("grants:allocations",
                                  args=[confirmed.pk])).status_code == 404
        letter = client.get(reverse("grants:letter", args=[confirmed.pk, own.pk, "docx"]))
        assert letter.status_code == 200
        assert client.get(reverse("grants:letter", args=[confirmed.pk, other.pk, "pdf"])
                          ).status_code == 404

    def test_only_finance_confirms_a_payment_run(self, client, setting, confirmed):
        from caresight.grants import services

        run = services.payment_run_create(round=confirmed,
                                          instalment=confirmed.instalments.first(),
                                          as_of=ELIGIBILITY, user=OPERATOR)
        client.force_login(setting["commissioner"])
        before = row_counts()
        assert client.post(reverse("grants:run-confirm", args=[run.pk])).status_code == 404
        assert row_counts() == before
        client.force_login(setting["finance"])
        assert client.post(reverse("grants:run-confirm", args=[run.pk])).status_code == 302

    def test_a_payment_run_on_an_unconfirmed_allocation_is_refused(self, client, cambs,
                                                                   setting):
        round = simple_round(cambs)
        client.force_login(setting["finance"])
        page = client.get(reverse("grants:runs", args=[round.pk])).content.decode()
        page = client.post(reverse("grants:runs", args=[round.pk]), {
            "instalment": round.instalments.first().pk, "as_of": ELIGIBILITY.isoformat(),
            "submission_token": form_token(page)}).content.decode()
        assert "The allocation has not been confirmed" in page
        assert not round.payment_runs.exists()

    def test_bad_money_names_the_field(self, client, cambs, setting):
        client.force_login(setting["commissioner"])
        page = client.get(reverse("grants:round-new")).content.decode()
        page = client.post(reverse("grants:round-new"), {
            "template": "icf-2020-round-1", "authority": cambs.pk, "amount": "-5",
            "eligibility_date": ELIGIBILITY.isoformat(),
            "submission_token": form_token(page)}).content.decode()
        assert "There is a problem" in page and "is negative" in page
        assert not Round.objects.exists()
