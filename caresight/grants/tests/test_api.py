"""The grants API over real HTTP semantics (DRF's test client): money as strings, once-only
confirmation, providers answering only for themselves."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.grants.models import Agreement, Payment, Round
from caresight.grants.tests.factories import ELIGIBILITY, care_home, row_counts


@pytest.fixture
def homes(cambs, devon):
    return [care_home(cambs, beds=28, cqc_location_id="1-200000001"),
            care_home(cambs, beds=12, cqc_location_id="1-200000002"),
            care_home(devon, beds=40, cqc_location_id="1-200000003")]


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
class TestGrantsApi:
    def test_a_round_from_a_template_previews_confirms_once_and_pays_once(
            self, cambs, homes, make_user):
        commissioner = as_user(make_user(Role.COMMISSIONER, cambs))
        response = commissioner.post(reverse("grant-round-list"), {
            "authority": "E10000003", "template": "icf-2020-round-2", "amount": "1751000.00",
            "eligibility_date": ELIGIBILITY.isoformat()}, format="json")
        assert response.status_code == 201, response.content
        round_id = response.json()["id"]
        # Round 2 needs community services for two of its elements: the preview says so.
        preview = commissioner.get(reverse("grant-round-allocation", args=[round_id])).json()
        assert len(preview["problems"]) == 2
        refused = commissioner.post(reverse("grant-round-confirm", args=[round_id]))
        assert refused.status_code == 400
        assert "no eligible services" in refused.content.decode()
        assert not Round.objects.get().is_confirmed

    def test_money_is_text_and_a_second_confirm_is_refused(self, cambs, homes, make_user):
        commissioner = as_user(make_user(Role.COMMISSIONER, cambs))
        finance = as_user(make_user(Role.FINANCE, cambs))
        provider_user = make_user(Role.PROVIDER_USER, cambs, provider=homes[0].provider)
        created = commissioner.post(reverse("grant-round-list"), {
            "authority": "E10000003", "template": "icf-2020-round-1", "amount": "40000",
            "eligibility_date": ELIGIBILITY.isoformat()}, format="json").json()
        discretionary = next(e for e in created["elements"] if e["discretionary"])
        from caresight.grants import services
        from caresight.grants.models import Element

        services.element_update(element=Element.objects.get(pk=discretionary["id"]),
                                service_types=["care_home"], method="per_bed", user=OPERATOR)
        preview = commissioner.get(reverse("grant-round-allocation",
                                           args=[created["id"]])).json()
        assert preview["elements"][0]["total"] == "30000.00"
        assert preview["elements"][0]["rate"] == "750.00"
        assert {row["amount"] for row in preview["locations"]} == {
            "21000.00", "9000.00", "7000.00", "3000.00"}
        assert commissioner.post(reverse("grant-round-confirm",
                                         args=[created["id"]])).status_code == 200
        again = commissioner.post(reverse("grant-round-confirm", args=[created["id"]]))
        assert again.status_code == 400 and "cannot change" in again.content.decode()

        # The provider answers for itself through the API, never for another provider.
        client = as_user(provider_user)
        other = client.post(reverse("grant-agreement-list"), {
            "round": created["id"], "provider": homes[1].provider_id, "accepted": True,
            "signed_name": "Pat", "signed_role": "Manager"}, format="json")
        missing = client.post(reverse("grant-agreement-list"), {
            "round": created["id"], "provider": 987654321, "accepted": True,
            "signed_name": "Pat", "signed_role": "Manager"}, format="json")
        # Another provider reads exactly like one that does not exist.
        assert other.status_code == missing.status_code == 400
        assert other.json()["error"]["fields"].keys() == {"provider"}
        assert (other.json()["error"]["fields"]["provider"][0].replace(
            str(homes[1].provider_id), "N") == missing.json()["error"]["fields"]["provider"][0]
            .replace("987654321", "N"))
        own = client.post(reverse("grant-agreement-list"), {
            "round": created["id"], "provider": homes[0].provider_id, "accepted": True,
            "signed_name": "Pat", "signed_role": "Manager"}, format="json")
        assert own.status_code == 201 and Agreement.objects.get().method == "portal"

        run = finance.post(reverse("grant-payment-run-list"), {
            "round": created["id"], "instalment": 1,
            "as_of": timezone.localdate().isoformat()}, format="json")
        assert run.status_code == 201 and run.json()["due"] == "14000.00"
        run_id = run.json()["id"]
        assert finance.post(reverse("grant-payment-run-confirm",
                                    args=[run_id])).status_code == 200
        before = row_counts()
        second = finance.post(reverse("grant-payment-run-confirm", args=[run_id]))
        assert second.status_code == 400 and row_counts() == before
        assert sorted(p.amount for p in Payment.objects.all()) == [3500, 10500]

        payments = client.get(reverse("grant-payment-list")).json()["results"]
        assert sorted(p["amount"] for p in payments) == ["10500.00", "3500.00"]
        spend = client.post(reverse("spend-return-list"), {
            "round": created["id"], "provider": homes[0].provider_id,
            "amounts": {"other": "20000.00"}}, format="json")
        assert spend.status_code == 400 and "say why" in spend.content.decode()
        spend = client.post(reverse("spend-return-list"), {
            "round": created["id"], "provider": homes[0].provider_id,
            "amounts": {"other": "1,200.50"}}, format="json")
        assert spend.status_code == 201 and spend.json()["amounts"]["other"] == "1200.50"
        # The reconciliation is the officers' (as on the pages): a provider's is 404.
        assert client.get(reverse("grant-round-reconciliation", args=[created["id"]])
                          ).status_code == 404
        recon = commissioner.get(reverse("grant-round-reconciliation",
                                         args=[created["id"]])).json()
        own_row = next(row for row in recon["rows"] if row["provider"] == homes[0].provider.name)
        assert own_row["unspent"] == "12799.50"
