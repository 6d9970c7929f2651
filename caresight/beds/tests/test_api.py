"""The beds API: schemes with their beds on a day, placements as they stood on a day, the
occupancy summary and the sitrep; bad input a 400 naming the field; another council's records
not found; the NHS number's hash never answered."""

import datetime as dt
import json

import pytest

from caresight.accounts.models import Organisation, Role
from caresight.registry.tests.factories import LocationFactory
from caresight.returns.tests.test_api import client_for

from .. import selectors
from ..models import BedScheme, Placement
from . import factories
from .factories import START, VALID_NHS_NUMBER

DAY = dt.date(2020, 4, 10)


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs)


def scheme_body(location, organisation, **extra):
    return {"authority": "E10000003", "name": "Orchard House step-down", "kind": "step_down",
            "location": location.pk, "beds": 2, "funding_source": "nhs_discharge",
            "weekly_rate": "700.00", "commissioned_by": organisation.pk,
            "starts_on": "2020-04-01", "client_groups": ["older_people"], **extra}


def placement_body(scheme, **extra):
    return {"scheme": scheme.pk, "person_reference": "CH-0412", "admitted_on": "2020-04-02",
            "source": "hospital", "hospital_trust": "Cambridge University Hospitals",
            "covid_status": "negative", "pathway": "2", **extra}


@pytest.mark.django_db
class TestSchemesApi:
    def test_a_scheme_is_set_up_listed_with_its_beds_on_a_day_and_changed(self, cambs,
                                                                           commissioner):
        api = client_for(commissioner)
        home = LocationFactory(authority=cambs)
        made = api.post("/api/beds/schemes/", scheme_body(home, factories.organisation()),
                        format="json")
        assert made.status_code == 201, made.json()
        body = made.json()
        assert body["weekly_rate"] == "700.00" and body["max_stay_days"] == 14
        assert body["payment_basis"] == "block"
        scheme = BedScheme.objects.get()
        factories.placement(scheme, admitted_on=dt.date(2020, 4, 2))
        listed = api.get("/api/beds/schemes/", {"as_of": "2020-04-05"}).json()
        assert listed["count"] == 1
        row = listed["results"][0]
        assert (row["beds_then"], row["occupied"], row["free"]) == (2, 1, 1)
        assert api.get("/api/beds/schemes/", {"as_of": "2020-03-31"}).json()["count"] == 0
        patched = api.patch(f"/api/beds/schemes/{scheme.pk}/", {"weekly_rate": "750.50"},
                            format="json")
        assert patched.status_code == 200, patched.json()
        assert patched.json()["weekly_rate"] == "750.50"
        more = api.post(f"/api/beds/schemes/{scheme.pk}/capacity/",
                        {"from_date": "2020-04-06", "beds": 4}, format="json")
        assert more.status_code == 201, more.json()
        detail = api.get(f"/api/beds/schemes/{scheme.pk}/", {"as_of": "2020-04-07"}).json()
        assert (detail["beds_then"], detail["occupied"], detail["free"]) == (4, 1, 3)

    def test_a_negative_rate_is_a_400_naming_the_field_and_nothing_is_written(
            self, cambs, commissioner):
        api = client_for(commissioner)
        body = scheme_body(LocationFactory(authority=cambs), factories.organisation(),
                           weekly_rate="-5.00")
        refused = api.post("/api/beds/schemes/", body, format="json")
        assert refused.status_code == 400
        assert list(refused.json()["error"]["fields"]) == ["weekly_rate"]
        assert not BedScheme.objects.exists()
        early = api.post("/api/beds/schemes/", {**body, "weekly_rate": "700",
                                                "ends_on": "2020-03-01"}, format="json")
        assert list(early.json()["error"]["fields"]) == ["ends_on"]
        for rate in ("1e999999999", "lots", "1e11"):
            huge = api.post("/api/beds/schemes/", {**body, "weekly_rate": rate}, format="json")
            assert list(huge.json()["error"]["fields"]) == ["weekly_rate"], rate
        assert not BedScheme.objects.exists()

    def test_another_councils_scheme_is_not_found(self, devon, commissioner):
        theirs = factories.scheme(devon)
        api = client_for(commissioner)
        assert api.get(f"/api/beds/schemes/{theirs.pk}/").status_code == 404
        assert api.patch(f"/api/beds/schemes/{theirs.pk}/", {"notes": "x"},
                         format="json").status_code == 404
        assert api.post(f"/api/beds/schemes/{theirs.pk}/capacity/",
                        {"from_date": "2020-04-06", "beds": 9},
                        format="json").status_code == 404
        assert api.get("/api/beds/schemes/", {"as_of": "2020-04-05"}).json()["count"] == 0
        refused = api.post("/api/beds/schemes/", scheme_body(
            LocationFactory(authority=devon), factories.organisation(),
            authority="E10000008"), format="json")
        assert refused.status_code == 400
        assert set(refused.json()["error"]["fields"]) == {"authority", "location"}

    def test_brokerage_may_see_but_not_set_up_schemes(self, cambs, make_user):
        factories.scheme(cambs)
        api = client_for(make_user(Role.BROKERAGE, cambs))
        assert api.get("/api/beds/schemes/", {"as_of": "2020-04-05"}).json()["count"] == 1
        assert api.post("/api/beds/schemes/", {}, format="json").status_code == 403


@pytest.mark.django_db
class TestPlacementsApi:
    def test_a_placement_is_made_listed_as_it_stood_and_discharged(self, cambs, commissioner):
        scheme = factories.scheme(cambs, beds=2)
        api = client_for(commissioner)
        made = api.post("/api/beds/placements/",
                        placement_body(scheme, nhs_number=VALID_NHS_NUMBER), format="json")
        assert made.status_code == 201, made.json()
        body = made.json()
        assert body["bed_number"] == 1 and body["funding_source"] == "nhs_discharge"
        assert "nhs_number" not in body and "nhs_number_hash" not in body
        assert "nhs_number_hash" not in made.content.decode()
        placement = Placement.objects.get()
        assert placement.nhs_number_hash  # kept, but never answered
        done = api.post(f"/api/beds/placements/{placement.pk}/discharge/",
                        {"discharged_on": "2020-04-12", "destination": "home_with_care"},
                        format="json")
        assert done.status_code == 200, done.json()
        then = api.get("/api/beds/placements/", {"as_of": "2020-04-10"}).json()["results"]
        assert [(p["person_reference"], p["discharged_on"], p["nights"]) for p in then] == [
            ("CH-0412", None, 8)]
        later = api.get("/api/beds/placements/", {"as_of": "2020-04-20"}).json()["results"]
        assert later[0]["discharged_on"] == "2020-04-12"
        assert later[0]["destination"] == "home_with_care"
        current = api.get("/api/beds/placements/", {"as_of": "2020-04-20", "current": "true"})
        assert current.json()["count"] == 0
        assert api.get("/api/beds/placements/", {"as_of": "2020-04-01"}).json()["count"] == 0
        patched = api.patch(f"/api/beds/placements/{placement.pk}/",
                            {"hospital_site": "Addenbrooke's"}, format="json")
        assert patched.status_code == 200 and patched.json()["hospital_site"] == "Addenbrooke's"

    def test_two_people_in_one_bed_is_a_400_naming_the_bed(self, cambs, commissioner):
        scheme = factories.scheme(cambs, beds=2)
        factories.placement(scheme, person_reference="CH-0001", admitted_on=START,
                            bed_number=1)
        api = client_for(commissioner)
        clash = api.post("/api/beds/placements/", placement_body(scheme, bed_number=1),
                         format="json")
        assert clash.status_code == 400
        assert list(clash.json()["error"]["fields"]) == ["bed_number"]
        assert Placement.objects.count() == 1

    def test_bad_placements_name_their_field(self, cambs, commissioner):
        scheme = factories.scheme(cambs, beds=1)
        api = client_for(commissioner)
        cases = {
            "nhs_number": {"nhs_number": "943 476 5918"},
            "discharged_on": {"discharged_on": "2020-04-01", "destination": "home"},
            "admitted_on": {"admitted_on": "2020-03-01"},
        }
        for name, extra in cases.items():
            refused = api.post("/api/beds/placements/", placement_body(scheme, **extra),
                               format="json")
            assert refused.status_code == 400, (name, refused.json())
            assert list(refused.json()["error"]["fields"]) == [name]
        factories.placement(scheme, person_reference="CH-0001")
        full = api.post("/api/beds/placements/", placement_body(scheme), format="json")
        assert list(full.json()["error"]["fields"]) == ["admitted_on"]
        assert "no more placements than beds" in full.json()["error"]["message"]
        assert Placement.objects.count() == 1

    def test_a_designated_setting_takes_nobody_before_its_assurance(self, cambs, commissioner):
        scheme = factories.scheme(cambs, kind="designated_setting", name="Designated",
                                  cqc_assured_on=dt.date(2020, 4, 5))
        api = client_for(commissioner)
        early = api.post("/api/beds/placements/", placement_body(scheme), format="json")
        assert list(early.json()["error"]["fields"]) == ["admitted_on"]
        ok = api.post("/api/beds/placements/", placement_body(scheme, admitted_on="2020-04-05",
                                                              covid_status="positive"),
                      format="json")
        assert ok.status_code == 201, ok.json()

    def test_another_councils_placement_is_not_found(self, devon, commissioner):
        theirs = factories.placement(factories.scheme(devon))
        api = client_for(commissioner)
        assert api.get(f"/api/beds/placements/{theirs.pk}/").status_code == 404
        assert api.patch(f"/api/beds/placements/{theirs.pk}/", {"notes": "x"},
                         format="json").status_code == 404
        assert api.post(f"/api/beds/placements/{theirs.pk}/discharge/",
                        {"discharged_on": "2020-04-05", "destination": "home"},
                        format="json").status_code == 404
        into = api.post("/api/beds/placements/", placement_body(theirs.scheme), format="json")
        assert into.status_code == 400 and list(into.json()["error"]["fields"]) == ["scheme"]
        assert api.get("/api/beds/placements/", {"as_of": "2020-04-30"}).json()["count"] == 0

    def test_a_partner_places_only_in_the_beds_it_funds(self, cambs, make_user):
        partner = make_user(Role.PARTNER, cambs)
        funded = factories.scheme(cambs, name="CCG beds", commissioned_by=Organisation.objects.get(
            name="partner org"))
        council = factories.scheme(cambs, name="Council beds", commissioned_by=factories
                                   .organisation("Cambridgeshire County Council",
                                                 Organisation.Kind.COUNCIL))
        api = client_for(partner)
        listed = api.get("/api/beds/schemes/", {"as_of": "2020-04-05"}).json()["results"]
        assert [s["name"] for s in listed] == ["CCG beds"]
        assert api.get(f"/api/beds/schemes/{council.pk}/").status_code == 404
        ok = api.post("/api/beds/placements/", placement_body(funded), format="json")
        assert ok.status_code == 201, ok.json()
        refused = api.post("/api/beds/placements/", placement_body(council), format="json")
        assert list(refused.json()["error"]["fields"]) == ["scheme"]

    def test_a_provider_sees_its_own_services_placements_never_the_hash(self, cambs,
                                                                         make_user):
        home = LocationFactory(authority=cambs)
        scheme = factories.scheme(cambs, location=home)
        factories.placement(scheme, nhs_number=VALID_NHS_NUMBER)
        other = factories.scheme(cambs, name="Elsewhere")
        factories.placement(other, person_reference="CH-0002")
        api = client_for(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        answer = api.get("/api/beds/placements/", {"as_of": "2020-04-05"})
        assert [p["person_reference"] for p in answer.json()["results"]] == ["CH-0001"]
        assert Placement.objects.get(person_reference="CH-0001").nhs_number_hash not in (
            answer.content.decode())
        assert api.post("/api/beds/placements/", placement_body(scheme),
                        format="json").status_code == 403


@pytest.mark.django_db
class TestOccupancyAndSitrep:
    def test_occupancy_has_the_summarys_keys_and_figures(self, cambs, devon, commissioner):
        scheme = factories.scheme(cambs, beds=3)
        factories.placement(scheme, admitted_on=START)
        factories.placement(factories.scheme(devon, beds=5), person_reference="DV-0001")
        api = client_for(commissioner)
        body = api.get("/api/beds/occupancy/", {"as_of": DAY.isoformat()}).json()
        expected = json.loads(json.dumps(selectors.summary(
            user=commissioner, as_of=DAY), default=str))
        assert body == expected
        assert {"commissioned", "occupied", "free", "by_kind", "overstays"} <= set(body)
        assert (body["commissioned"], body["occupied"], body["free"]) == (3, 1, 2)
        assert body["by_kind"]["step_down"]["occupied"] == 1
        late = api.get("/api/beds/occupancy/", {"as_of": "2020-04-20"}).json()
        assert late["overstays"] == 1  # 19 nights past a 14-day scheme
        bad = api.get("/api/beds/occupancy/", {"as_of": "april"})
        assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["as_of"]

    def test_the_sitrep_counts_the_day_befores_admissions_and_discharges(self, cambs,
                                                                          commissioner):
        scheme = factories.scheme(cambs, beds=3)
        factories.placement(scheme, admitted_on=dt.date(2020, 4, 9))
        factories.placement(scheme, person_reference="CH-0002", admitted_on=START,
                            discharged_on=dt.date(2020, 4, 9), destination="home")
        body = client_for(commissioner).get("/api/beds/sitrep/", {"as_of": "2020-04-10"}).json()
        assert body["total"]["admissions"] == 1 and body["total"]["discharges"] == 1
        assert body["total"]["occupied"] == 1 and body["total"]["commissioned"] == 3
        assert [r["key"] for r in body["rows"]] == ["step_down"]

    def test_the_schema_documents_the_beds_api(self):
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        for path in ("/api/beds/schemes/", "/api/beds/schemes/{id}/", "/api/beds/placements/",
                     "/api/beds/placements/{id}/discharge/", "/api/beds/occupancy/",
                     "/api/beds/sitrep/"):
            assert path in schema["paths"]
        placement = schema["components"]["schemas"]["Placement"]["properties"]
        assert "nhs_number_hash" not in placement and "nhs_number" not in placement
