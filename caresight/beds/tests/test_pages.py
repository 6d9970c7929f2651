"""The beds pages: each renders for a commissioner, forms refuse bad input on the field and
write nothing, partners see only the beds their organisation commissions, a provider's staff
see their own service's placements but never the NHS number's hash, and downloads work."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from caresight.accounts.models import Role
from caresight.accounts.services import user_create
from caresight.beds import services
from caresight.beds.models import BedScheme, NhsClaim, Placement, SchemeKind
from caresight.core.models import DownloadRecord
from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory

from .factories import START, VALID_NHS_NUMBER, organisation, placement, scheme

DAY = dt.date(2020, 4, 10)
CCG = "Cambridgeshire and Peterborough CCG"


@pytest.fixture
def beds(cambs, devon):
    """A step-down scheme (the CCG's) with two people in, a council block scheme with a
    person past their stay, and a Devon scheme."""
    home = LocationFactory(authority=cambs, name="Orchard House")
    step_down = scheme(cambs, name="Orchard House step-down", location=home, beds=4)
    first = placement(step_down, person_reference="CH-0001", admitted_on=START,
                      nhs_number=VALID_NHS_NUMBER, bed_number=1)
    placement(step_down, person_reference="CH-0002", admitted_on=dt.date(2020, 4, 5),
              bed_number=2)
    council = organisation("Cambridgeshire County Council", kind="council")
    block = scheme(cambs, name="Fen View block beds", kind=SchemeKind.BLOCK, beds=3,
                   commissioned_by=council, funding_source="council", max_stay_days=5,
                   location=LocationFactory(authority=cambs, name="Fen View"))
    placement(block, person_reference="CH-0003", admitted_on=START)
    other = scheme(devon, name="Dartmoor step-down",
                   location=LocationFactory(authority=devon, name="Dartmoor House"))
    return {"home": home, "step_down": step_down, "first": first, "block": block,
            "other": other}


@pytest.fixture
def signed_in(client, make_user, cambs):
    client.force_login(make_user(Role.COMMISSIONER, cambs))
    return client


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.django_db
class TestEveryPageRenders:
    def test_the_lists_and_summaries_render_for_a_commissioner(self, signed_in, beds):
        for name, query in [("occupancy", {"as_of": "2020-04-10"}),
                            ("brokerage", {"as_of": "2020-04-10"}),
                            ("placement-list", {"as_of": "2020-04-10", "current": "1"}),
                            ("attention", {"as_of": "2020-04-10"}),
                            ("stays", {"from": "2020-04-01", "to": "2020-04-30"}),
                            ("sitrep", {"as_of": "2020-04-10"}),
                            ("money", {"from": "2020-04-01", "to": "2020-04-30"}),
                            ("reconciliation", {"as_of": "2020-06-30"}),
                            ("scheme-list", {}), ("scheme-new", {}), ("claim-new", {})]:
            html = _html(signed_in.get(reverse(f"beds:{name}"), query))
            assert "Dartmoor" not in html, name  # another council's scheme

    def test_the_occupancy_page_counts_beds_by_kind_and_beside_the_returns(self, signed_in,
                                                                            beds):
        html = _html(signed_in.get(reverse("beds:occupancy"), {"as_of": "2020-04-10"}))
        assert "Commissioned beds on 10 April 2020" in html
        assert 'data-testid="commissioned">7 in 2 schemes' in html
        assert 'data-testid="occupied">3<' in html and 'data-testid="free">4<' in html
        assert "Step-down / quarantine" in html and "Block contract" in html
        assert "Not reported" in html  # no return from the services
        assert "NHS discharge funding" in html and "nhs_discharge" not in html

    def test_the_record_pages_render(self, signed_in, beds):
        step_down, first = beds["step_down"], beds["first"]
        for url in [reverse("beds:scheme-detail", args=[step_down.pk]),
                    reverse("beds:scheme-edit", args=[step_down.pk]),
                    reverse("beds:capacity-set", args=[step_down.pk]),
                    reverse("beds:scheme-history", args=[step_down.pk]),
                    reverse("beds:placement-new", args=[step_down.pk]),
                    reverse("beds:placement-detail", args=[first.pk]),
                    reverse("beds:placement-edit", args=[first.pk]),
                    reverse("beds:placement-discharge", args=[first.pk]),
                    reverse("beds:placement-history", args=[first.pk])]:
            html = _html(signed_in.get(url))
            assert first.nhs_number_hash not in html, url
        detail = _html(signed_in.get(reverse("beds:scheme-detail", args=[step_down.pk])))
        assert "£700.00" in detail and "1 April 2020" in detail and "CH-0002" in detail

    def test_overstays_and_placements_ending_this_week_are_listed(self, signed_in, beds):
        html = _html(signed_in.get(reverse("beds:attention"), {"as_of": "2020-04-10"}))
        overstays, ending = html.split('data-testid="overstays"')[1].split(
            'data-testid="ending"')
        assert "CH-0003" in overstays and "CH-0001" not in overstays  # 9 nights of 5
        assert "CH-0001" in ending and "15 April 2020" in ending  # 14 days from 1 April

    def test_the_stays_page_counts_lengths_and_destinations(self, signed_in, beds):
        services.placement_discharge(placement=beds["first"], discharged_on=dt.date(2020, 4, 11),
                                     destination="home_with_care", user=OPERATOR)
        html = _html(signed_in.get(reverse("beds:stays"), {"from": "2020-04-01",
                                                           "to": "2020-04-30"}))
        assert "1 person was discharged in the period, after a median stay of 10 nights" in html
        assert "Home with care" in html and "100.0%" in html

    def test_an_authority_not_the_users_is_a_400_naming_it(self, signed_in, beds):
        response = signed_in.get(reverse("beds:occupancy"), {"authority": "E10000008"})
        assert response.status_code == 400
        assert "Authority must be one of the authorities" in response.content.decode()
        assert "Dartmoor" not in response.content.decode()

    def test_another_councils_scheme_is_not_found(self, signed_in, beds):
        assert signed_in.get(reverse("beds:scheme-detail",
                                     args=[beds["other"].pk])).status_code == 404

    def test_the_sitrep_adds_up_by_kind(self, signed_in, beds):
        html = _html(signed_in.get(reverse("beds:sitrep"), {"as_of": "2020-04-06"}))
        assert "Beds sitrep as at 08:00 on 6 April 2020" in html
        assert 'data-testid="sitrep-total"' in html

    def test_the_brokerage_page_flags_a_live_outbreak(self, signed_in, beds, cambs):
        from caresight.outbreaks.models import Outbreak

        Outbreak.objects.create(location=beds["home"], reported_on=dt.date(2020, 4, 8),
                                reported_by="provider", kind="confirmed",
                                last_case_on=dt.date(2020, 4, 8))
        html = _html(signed_in.get(reverse("beds:brokerage"), {"as_of": "2020-04-10"}))
        assert 'data-testid="flagged-warning"' in html
        assert "Live outbreak" in html and "Confirmed outbreak since 8 April 2020" in html

    def test_the_scheme_and_placing_pages_warn_of_an_open_outbreak(self, signed_in, beds):
        from caresight.outbreaks.tests.test_services import report

        step_down = beds["step_down"]
        assert 'data-testid="outbreak-warning"' not in _html(signed_in.get(
            reverse("beds:scheme-detail", args=[step_down.pk])))
        report(beds["home"], on=dt.date.today() - dt.timedelta(days=2))
        for name in ("beds:scheme-detail", "beds:placement-new"):
            html = _html(signed_in.get(reverse(name, args=[step_down.pk])))
            assert 'data-testid="outbreak-warning"' in html
            assert "Orchard House has had an open outbreak since" in html

    def test_people_past_their_expected_discharge_are_listed(self, signed_in, beds):
        services.placement_update(placement=beds["first"], expected_discharge_on=dt.date(
            2020, 4, 6), user=OPERATOR)
        html = _html(signed_in.get(reverse("beds:attention"), {"as_of": "2020-04-10"}))
        late = html.split('data-testid="past-expected"')[1].split("</table>")[0]
        assert "CH-0001" in late and ">4<" in late and "CH-0002" not in late

    def test_the_money_page_shows_pounds(self, signed_in, beds):
        html = _html(signed_in.get(reverse("beds:money"),
                                   {"from": "2020-04-01", "to": "2020-04-07"}))
        # 4 block beds for 7 nights at £700 a week, and 3 more at £700 a week
        assert 'data-testid="cost">£4,900.00<' in html
        assert "Void block beds" in html


@pytest.mark.django_db
class TestForms:
    def test_two_placements_in_one_bed_are_refused_on_the_bed_and_nothing_is_written(
            self, signed_in, beds):
        step_down = beds["step_down"]
        before = Placement.objects.count()
        response = signed_in.post(reverse("beds:placement-new", args=[step_down.pk]), {
            "bed_number": "1", "person_reference": "CH-0099", "source": "hospital",
            "hospital_trust": "Cambridge University Hospitals", "admitted_on": "2020-04-10",
            "covid_status": "negative", "pathway": "2", "funding_source": "nhs_discharge",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d1"})
        html = _html(response)
        assert 'id="id_bed_number-error"' in html
        assert "Bed 1 of Orchard House step-down is taken by CH-0001" in html
        assert Placement.objects.count() == before

    def test_a_malformed_nhs_number_is_refused_and_never_shown_back(self, signed_in, beds):
        response = signed_in.post(reverse("beds:placement-new", args=[beds["step_down"].pk]), {
            "person_reference": "CH-0100", "nhs_number": "943 476 5918", "source": "community",
            "admitted_on": "2020-04-10", "covid_status": "negative", "pathway": "na",
            "funding_source": "nhs_discharge",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d2"})
        html = _html(response)
        assert 'id="id_nhs_number-error"' in html and "check digit" in html
        assert "9434765918" not in html and "943 476 5918" not in html

    def test_no_pathway_is_chosen_for_the_officer(self, signed_in, beds):
        html = _html(signed_in.get(reverse("beds:placement-new", args=[beds["block"].pk])))
        assert '<option value="" selected>Choose a pathway</option>' in html
        response = signed_in.post(reverse("beds:placement-new", args=[beds["block"].pk]), {
            "person_reference": "CH-0102", "source": "community", "admitted_on": "2020-04-10",
            "covid_status": "negative", "funding_source": "council",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d9"})
        assert 'id="id_pathway-error"' in _html(response)
        assert not Placement.objects.filter(person_reference="CH-0102").exists()

    def test_a_placement_is_made_and_discharged_through_the_pages(self, signed_in, beds):
        step_down = beds["step_down"]
        response = signed_in.post(reverse("beds:placement-new", args=[step_down.pk]), {
            "person_reference": "CH-0101", "source": "hospital", "admitted_on": "2020-04-10",
            "covid_status": "positive", "pathway": "2", "funding_source": "nhs_discharge",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d3"})
        made = Placement.objects.get(person_reference="CH-0101")
        assert response.status_code == 302 and made.bed_number == 3  # the lowest free bed
        before = signed_in.post(reverse("beds:placement-discharge", args=[made.pk]), {
            "discharged_on": "2020-04-09", "destination": "home"})
        assert 'id="id_discharged_on-error"' in _html(before)
        done = signed_in.post(reverse("beds:placement-discharge", args=[made.pk]), {
            "discharged_on": "2020-04-20", "destination": "home_with_care"})
        made.refresh_from_db()
        assert done.status_code == 302 and made.discharged_on == dt.date(2020, 4, 20)

    def test_an_nhs_number_added_on_change_is_hashed_and_never_shown(self, signed_in, beds):
        second = Placement.objects.get(person_reference="CH-0002")
        response = signed_in.post(reverse("beds:placement-edit", args=[second.pk]), {
            "bed_number": "2", "person_reference": "CH-0002", "nhs_number": "401 023 2137",
            "source": "hospital", "admitted_on": "2020-04-05", "covid_status": "negative",
            "pathway": "2", "funding_source": "nhs_discharge"})
        second.refresh_from_db()
        assert response.status_code == 302 and len(second.nhs_number_hash) == 64
        for url in (reverse("beds:placement-detail", args=[second.pk]),
                    reverse("beds:placement-edit", args=[second.pk]),
                    reverse("beds:placement-history", args=[second.pk])):
            html = _html(signed_in.get(url))
            assert "4010232137" not in html and "401 023 2137" not in html
            assert second.nhs_number_hash not in html

    def test_a_negative_rate_is_refused_on_the_field(self, signed_in, beds, cambs):
        response = signed_in.post(reverse("beds:scheme-new"), {
            "authority": cambs.pk, "name": "Winter beds", "kind": "block",
            "location": beds["home"].pk, "beds": "4", "funding_source": "council",
            "weekly_rate": "-5", "commissioned_by": beds["step_down"].commissioned_by_id,
            "starts_on": "2020-10-01", "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d4"})
        html = _html(response)
        assert 'id="id_weekly_rate-error"' in html and "is negative" in html
        assert not BedScheme.objects.filter(name="Winter beds").exists()

    def test_a_scheme_is_set_up_and_its_beds_changed(self, signed_in, beds, cambs):
        response = signed_in.post(reverse("beds:scheme-new"), {
            "authority": cambs.pk, "name": "Winter beds", "kind": "pathway_2",
            "location": beds["home"].pk, "beds": "4", "funding_source": "nhs_discharge",
            "weekly_rate": "£850.00", "commissioned_by": beds["step_down"].commissioned_by_id,
            "starts_on": "2020-10-01", "client_groups": ["older_people", "dementia"],
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d5"})
        made = BedScheme.objects.get(name="Winter beds")
        assert response.status_code == 302 and made.max_stay_days == 42
        changed = signed_in.post(reverse("beds:capacity-set", args=[made.pk]), {
            "from_date": "2020-11-01", "beds": "6", "note": "Two more",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d6"})
        assert changed.status_code == 302
        assert list(made.capacities.values_list("beds", flat=True)) == [4, 6]

    def test_a_scheme_cannot_end_before_someone_placed_in_it_leaves(self, signed_in, beds):
        step_down = beds["step_down"]
        url = reverse("beds:scheme-edit", args=[step_down.pk])
        form = {"name": step_down.name, "kind": "step_down", "location": beds["home"].pk,
                "payment_basis": "block", "client_groups": ["older_people"],
                "max_stay_days": "14", "funding_source": "nhs_discharge",
                "weekly_rate": "700.00", "commissioned_by": step_down.commissioned_by_id,
                "starts_on": "2020-04-01"}
        html = _html(signed_in.post(url, {**form, "ends_on": "2020-04-03"}))
        assert 'id="id_ends_on-error"' in html
        assert ("is still in a bed: record their discharge before the scheme ends on 3 April "
                "2020") in html
        step_down.refresh_from_db()
        assert step_down.ends_on is None
        done = signed_in.post(url, {**form, "weekly_rate": "725.50"})
        step_down.refresh_from_db()
        assert done.status_code == 302 and str(step_down.weekly_rate) == "725.50"

    def test_a_claim_is_recorded_and_reconciled(self, signed_in, beds, cambs):
        ccg = beds["step_down"].commissioned_by
        response = signed_in.post(reverse("beds:claim-new"), {
            "authority": cambs.pk, "month": "2020-04-15", "claimed_from": ccg.pk,
            "amount": "1,000.00", "submitted_on": "2020-05-10",
            "submission_token": "5d8d3d1a-7a53-4c1e-9a86-a1d8d1d1d1d7"})
        assert response.status_code == 302
        assert NhsClaim.objects.get().month == dt.date(2020, 4, 1)
        html = _html(signed_in.get(reverse("beds:reconciliation"), {"as_of": "2020-04-30"}))
        assert "April 2020" in html and "£1,000.00" in html
        # Mid-May: April's £11,000 is still to claim; May's £6,000 so far is not yet claimable
        html = _html(signed_in.get(reverse("beds:reconciliation"), {"as_of": "2020-05-15"}))
        assert "Month not over" in html and "No NHS-funded beds" in html  # March: none yet
        assert "£6,000.00" in html and "£17,000.00" not in html
        total = html.split('data-testid="reconciliation"')[1].split("</table>")[0]
        assert total.count("£11,000.00") == 2  # April's row, and the total


@pytest.mark.django_db
class TestWhoSeesWhat:
    def test_a_partner_sees_only_the_schemes_its_organisation_commissions(self, client, beds,
                                                                          cambs):
        partner, _ = user_create(email="ccg@example.org", role=Role.PARTNER,
                                 authority_codes=[cambs.ons_code], organisation_name=CCG)
        client.force_login(partner)
        html = _html(client.get(reverse("beds:occupancy"), {"as_of": "2020-04-10"}))
        assert "Orchard House step-down" in html and "Fen View block beds" not in html
        assert client.get(reverse("beds:scheme-detail",
                                  args=[beds["block"].pk])).status_code == 404
        assert client.get(reverse("beds:placement-new",
                                  args=[beds["block"].pk])).status_code == 404
        assert client.get(reverse("beds:placement-new",
                                  args=[beds["step_down"].pk])).status_code == 200
        money = _html(client.get(reverse("beds:money"),
                                 {"from": "2020-04-01", "to": "2020-04-07"}))
        assert "Fen View block beds" not in money and 'data-testid="cost">£2,800.00<' in money

    def test_a_providers_staff_see_their_own_placements_never_the_hash(self, client, beds,
                                                                       make_user, cambs):
        staff = make_user(Role.PROVIDER_USER, cambs, provider=beds["home"].provider)
        client.force_login(staff)
        first = beds["first"]
        for url in [reverse("beds:placement-detail", args=[first.pk]),
                    reverse("beds:placement-list") + "?as_of=2020-04-10",
                    reverse("beds:occupancy") + "?as_of=2020-04-10",
                    reverse("beds:scheme-detail", args=[beds["step_down"].pk]),
                    reverse("beds:placement-history", args=[first.pk])]:
            html = _html(client.get(url))
            assert first.nhs_number_hash not in html and "keyed hash)" not in html, url
            assert "Fen View block beds" not in html
        assert "CH-0001" in _html(client.get(reverse("beds:placement-list"),
                                             {"as_of": "2020-04-10"}))
        assert client.get(reverse("beds:money")).status_code == 403
        assert client.get(reverse("beds:brokerage")).status_code == 403
        assert client.get(reverse("beds:placement-edit", args=[first.pk])).status_code == 404

    def test_the_service_page_shows_its_commissioned_beds(self, signed_in, beds, client,
                                                          make_user, cambs):
        url = reverse("registry:location-detail", args=[beds["home"].pk])
        html = _html(signed_in.get(url))
        assert "Commissioned beds" in html and 'data-testid="location-beds"' in html
        assert "Orchard House step-down" in html
        other = _html(signed_in.get(reverse("registry:location-detail",
                                            args=[LocationFactory(authority=cambs).pk])))
        assert "Commissioned beds" not in other

    def test_beds_is_in_the_navigation(self, signed_in, beds):
        html = _html(signed_in.get(reverse("beds:occupancy")))
        assert f'href="{reverse("beds:occupancy")}" aria-current="page">Beds' in html


@pytest.mark.django_db
class TestDownloads:
    def test_the_sitrep_downloads_with_its_total_row(self, signed_in, beds):
        response = signed_in.get(reverse("beds:sitrep"), {"as_of": "2020-04-06",
                                                          "download": "csv"})
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["Kind of scheme", "Schemes", "Beds", "Occupied", "Free",
                           "Admissions in the last 24 hours", "Discharges in the last 24 hours"]
        assert rows[-1][0] == "Total" and rows[-1][1:5] == ["2", "7", "3", "4"]
        assert rows[-1][5] == "1"  # CH-0002 came in on 5 April
        for fmt in ("xlsx", "ods", "json"):
            assert signed_in.get(reverse("beds:sitrep"), {
                "as_of": "2020-04-06", "download": fmt}).status_code == 200
        assert DownloadRecord.objects.filter(file_format="csv").exists()

    def test_the_occupancy_and_placements_download(self, signed_in, beds):
        xlsx = signed_in.get(reverse("beds:occupancy"), {"as_of": "2020-04-10",
                                                         "download": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][:3] == ("Scheme", "Authority", "Kind") and len(values) == 3
        placements = signed_in.get(reverse("beds:placement-list"), {
            "as_of": "2020-04-10", "download": "csv"})
        text = placements.content.decode("utf-8-sig")
        assert "CH-0001" in text and beds["first"].nhs_number_hash not in text
        assert signed_in.get(reverse("beds:money"), {"download": "csv"}).status_code == 200

    def test_a_user_without_export_cannot_download(self, client, beds, make_user, cambs):
        staff = make_user(Role.PROVIDER_USER, cambs, provider=beds["home"].provider)
        client.force_login(staff)
        assert client.get(reverse("beds:sitrep"), {"download": "csv"}).status_code == 403
