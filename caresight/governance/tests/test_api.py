"""The API: the register as of a day, creates and partial updates through the services, bad
input a 400 naming the field, another council's records not found."""

import datetime as dt

import pytest

from caresight.accounts.models import Role
from caresight.governance.models import BusinessCase, Decision, Risk
from caresight.returns.tests.test_api import client_for

from .factories import ccg, make_case, make_decision, make_risk

RISK = {"authority": "E10000003", "reference": "R1", "title": "Lack of PPE", "category": "ppe",
        "raised_on": "2020-06-01", "likelihood": 5, "impact": 4, "residual_likelihood": 3,
        "residual_impact": 3, "next_review_on": "2020-06-15"}


@pytest.mark.django_db
class TestRisksApi:
    def test_create_list_as_of_and_patch(self, cambs, commissioner):
        api = client_for(commissioner)
        created = api.post("/api/risks/", RISK, format="json")
        assert created.status_code == 201, created.json()
        risk_id = created.json()["id"]
        assert created.json()["review"]["residual_score"] == 9
        assert created.json()["review"]["band"] == "Medium"
        listed = api.get("/api/risks/", {"as_of": "2020-06-01"}).json()
        assert listed["count"] == 1
        assert [(r["reference"], r["review"]["score"]) for r in listed["results"]] == [
            ("R1", 20)]
        assert api.get("/api/risks/", {"as_of": "2020-05-31"}).json()["results"] == []
        patched = api.patch(f"/api/risks/{risk_id}/", {"owner": "Head of Procurement"},
                            format="json")
        assert patched.status_code == 200 and patched.json()["owner"] == "Head of Procurement"
        assert Risk.objects.get().history.count() == 2

    def test_bad_input_names_the_field_and_writes_nothing(self, cambs, commissioner):
        api = client_for(commissioner)
        bad = api.post("/api/risks/", {**RISK, "impact": 7}, format="json")
        assert bad.status_code == 400
        assert list(bad.json()["error"]["fields"]) == ["impact"]
        above = api.post("/api/risks/", {**RISK, "likelihood": 1, "impact": 1}, format="json")
        assert list(above.json()["error"]["fields"]) == ["residual_reason"]
        assert not Risk.objects.exists()
        assert list(api.get("/api/risks/", {"as_of": "june"}).json()["error"]["fields"]) == [
            "as_of"]

    def test_another_councils_risk_is_not_found(self, devon, commissioner):
        risk = make_risk(devon)
        api = client_for(commissioner)
        assert api.get(f"/api/risks/{risk.pk}/").status_code == 404
        assert api.patch(f"/api/risks/{risk.pk}/", {"owner": "x"},
                         format="json").status_code == 404
        refused = api.post("/api/risks/", {**RISK, "authority": "E10000008"}, format="json")
        assert list(refused.json()["error"]["fields"]) == ["authority"]

    def test_a_partner_reads_but_may_not_write(self, cambs, make_user):
        make_risk(cambs)
        api = client_for(make_user(Role.PARTNER, cambs))
        assert api.get("/api/risks/", {"as_of": "2020-06-04"}).json()["count"] == 1
        assert api.post("/api/risks/", RISK, format="json").status_code == 403


@pytest.mark.django_db
class TestDecisionsAndCasesApi:
    def test_a_decision_without_a_date_is_refused(self, cambs, commissioner):
        api = client_for(commissioner)
        body = {"authority": "E10000003", "title": "Beds approved",
                "decided_by": "CCG Governing Body"}
        missing = api.post("/api/decisions/", body, format="json")
        assert list(missing.json()["error"]["fields"]) == ["decided_on"]
        null = api.post("/api/decisions/", {**body, "decided_on": None}, format="json")
        assert list(null.json()["error"]["fields"]) == ["decided_on"]
        assert not Decision.objects.exists()
        made = api.post("/api/decisions/", {**body, "decided_on": "2020-11-20",
                                            "amount": "1500.00"}, format="json")
        assert made.status_code == 201 and made.json()["amount"] == "1500.00"

    def test_decisions_made_since(self, cambs, commissioner):
        make_decision(cambs, title="Early")
        make_decision(cambs, title="Late", decided_on=dt.date(2020, 12, 10))
        api = client_for(commissioner)
        page = api.get("/api/decisions/", {"since": "2020-07-01", "as_of": "2020-12-31"}).json()
        assert [d["title"] for d in page["results"]] == ["Late"]

    def test_a_case_amount_negative_or_not_money_is_refused(self, cambs, commissioner):
        organisation = ccg()
        api = client_for(commissioner)
        body = {"authority": "E10000003", "title": "Beds", "submitted_to": organisation.pk,
                "funding_source": "nhs_discharge", "status": "submitted",
                "status_on": "2020-06-04"}
        # the CCG is offered only when it has people in the council's area
        from caresight.accounts.services import user_create

        user_create(email="ccg@example.org", role=Role.PARTNER, authority_codes=["E10000003"],
                    organisation_name=organisation.name, password="correct-horse-battery")
        for amount in ("-1.00", "a lot", "1.005"):
            refused = api.post("/api/business-cases/", {**body, "amount": amount},
                               format="json")
            assert list(refused.json()["error"]["fields"]) == ["amount"], amount
        assert not BusinessCase.objects.exists()
        made = api.post("/api/business-cases/", {**body, "amount": "£2,500.00"}, format="json")
        assert made.status_code == 201, made.json()
        assert (made.json()["amount"], made.json()["status_then"]) == ("2500.00", "submitted")
        case_id = made.json()["id"]
        listed = api.get("/api/business-cases/", {"as_of": "2020-06-03"}).json()
        assert listed["results"] == []
        patched = api.patch(f"/api/business-cases/{case_id}/", {"amount": "-3"}, format="json")
        assert list(patched.json()["error"]["fields"]) == ["amount"]

    def test_another_councils_case_is_not_found(self, devon, commissioner):
        case = make_case(devon)
        assert client_for(commissioner).get(
            f"/api/business-cases/{case.pk}/").status_code == 404
