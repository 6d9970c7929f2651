"""The CQC import: every accepted format, all-or-nothing on bad rows, idempotent."""

import csv
import io
import json

import openpyxl
import pytest
from django.db.models import Count

from caresight.core.tenancy import OPERATOR
from caresight.registry.models import ClientGroup, Location, Provider, ServiceType
from caresight.registry.services import cqc_import

from .factories import LocationFactory

REAL_FILE = "cqc/cqc-api-locations-care-homes-south-west-2021-02.jsonl"


def api_object(**overrides):
    obj = {
        "locationId": "1-1000587219", "providerId": "1-101693962",
        "name": "Highlands Borders Care Home", "providerName": "Highlands Care Ltd",
        "numberOfBeds": 28, "postalAddressLine1": "22 Salutary Mount",
        "postalAddressTownCity": "Exeter", "postalCode": "EX1 2QE", "careHome": "Y",
        "localAuthority": "Devon", "registrationStatus": "Registered",
        "registrationDate": "2013-11-04", "mainPhoneNumber": "01392 491261",
        "gacServiceTypes": [{"name": "Residential homes",
                             "description": "Care home service without nursing"}],
        "specialisms": [{"name": "Caring for adults over 65 yrs"}, {"name": "Dementia"}],
        "currentRatings": {"overall": {"rating": "Good", "reportDate": "2020-05-06"}},
        "regulatedActivities": [{"contacts": [{"personGivenName": "Fiona",
                                               "personFamilyName": "Martin",
                                               "personRoles": ["Registered Manager"]}]}],
    }
    obj.update(overrides)
    return obj


def jsonl(*objects) -> bytes:
    return "\n".join(json.dumps(o) for o in objects).encode()


def run(data: bytes, *, dry_run=False, user=OPERATOR, name="test.jsonl"):
    return cqc_import(data=data, file_name=name, user=user, dry_run=dry_run)


DIRECTORY_HEADER = [
    "Name", "Also known as", "Address", "Postcode", "Phone number",
    "Service's website (if available)", "Service types", "Date of latest check",
    "Specialisms/services", "Provider name", "Local authority", "Region", "Location URL",
    "CQC Location ID (for office use only)", "CQC Provider ID (for office use only)",
]


def directory_row(location_id="1-111111111", **overrides):
    row = {
        "Name": "Willow Lodge", "Also known as": "", "Address": "1 River Lane, Ely",
        "Postcode": "CB7 4AA", "Phone number": "01353 000000",
        "Service's website (if available)": "", "Service types":
        "Homecare agencies|Residential homes", "Date of latest check": "01/02/2020",
        "Specialisms/services": "Dementia|Learning disabilities", "Provider name": "Willow Ltd",
        "Local authority": "Cambridgeshire", "Region": "East",
        "Location URL": "", "CQC Location ID (for office use only)": location_id,
        "CQC Provider ID (for office use only)": "1-222222222",
    }
    row.update(overrides)
    return row


def csv_bytes(rows, header=DIRECTORY_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows, header=DIRECTORY_HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h, "") for h in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
class TestRealFile:
    def test_imports_every_real_south_west_care_home(self, shared_data):
        data = (shared_data / REAL_FILE).read_bytes()
        result = run(data)
        assert result.ok, result.errors[:3]
        assert result.counts["created"] == 728
        assert Location.objects.count() == 728
        by_authority = dict(
            Location.objects.values_list("authority__name").annotate(n=Count("pk"))
        )
        assert by_authority == {"Devon": 324, "Somerset": 222, "Plymouth": 97, "Torbay": 85}
        home = Location.objects.get(cqc_location_id="1-1000587219")
        assert home.registered_beds == 28
        assert home.service_type == ServiceType.CARE_HOME
        assert home.manager_name == "Fiona Geraldine Martin"
        assert ClientGroup.DEMENTIA in home.client_groups
        assert home.cqc_rating == "good"

    def test_importing_the_same_file_twice_changes_nothing(self, shared_data):
        data = (shared_data / REAL_FILE).read_bytes()
        run(data)
        history_before = Location.history.count()
        again = run(data)
        assert again.counts["created"] == 0 and again.counts["updated"] == 0
        assert again.counts["unchanged"] == 728
        assert Location.history.count() == history_before


@pytest.mark.django_db
class TestFormats:
    def test_json_array_and_json_lines_give_the_same_result(self):
        first = run(json.dumps([api_object()]).encode(), dry_run=True)
        second = run(jsonl(api_object()), dry_run=True)
        assert first.counts == second.counts
        assert first.counts["created"] == 1

    def test_care_directory_csv_with_its_real_headings(self, cambs):
        result = run(csv_bytes([directory_row()]), name="directory.csv")
        assert result.ok, result.errors
        location = Location.objects.get(cqc_location_id="1-111111111")
        assert location.authority == cambs
        assert location.provider.name == "Willow Ltd"
        assert location.service_type == ServiceType.CARE_HOME
        assert location.client_groups == ["dementia", "learning_disability"]

    def test_headers_match_whatever_their_case_and_punctuation(self):
        header = [h.upper().replace(" ", "_") for h in DIRECTORY_HEADER]
        row = {h.upper().replace(" ", "_"): v for h, v in directory_row().items()}
        result = run(csv_bytes([row], header=header), name="shouty.csv")
        assert result.ok, result.errors or result.file_error
        assert result.counts["created"] == 1

    def test_care_directory_xlsx(self):
        result = run(xlsx_bytes([directory_row(), directory_row("1-333333333", Name="Oak")]),
                     name="directory.xlsx")
        assert result.ok, result.errors or result.file_error
        assert Location.objects.filter(name="Oak").exists()

    def test_authority_matched_by_ons_code(self, devon):
        run(jsonl(api_object(localAuthority="E10000008")))
        assert Location.objects.get().authority == devon


@pytest.mark.django_db
class TestChanges:
    def test_changed_rows_are_updated_and_audited(self, make_user, devon):
        run(jsonl(api_object()))
        officer = make_user("admin", devon)
        result = run(jsonl(api_object(numberOfBeds=30, name="Highlands Borders")), user=officer)
        assert result.counts["updated"] == 1
        location = Location.objects.get()
        assert location.registered_beds == 30
        latest = location.history.first()
        assert latest.history_user == officer
        assert latest.prev_record.registered_beds == 28

    def test_deregistered_locations_are_counted_once(self):
        run(jsonl(api_object()))
        dereg = api_object(registrationStatus="Deregistered", deregistrationDate="2021-01-31")
        result = run(jsonl(dereg))
        assert result.counts["deregistered"] == 1
        assert run(jsonl(dereg)).counts["deregistered"] == 0

    def test_provider_names_are_updated_by_cqc_id(self):
        run(jsonl(api_object()))
        run(jsonl(api_object(providerName="Highlands Care Group")))
        assert Provider.objects.get().name == "Highlands Care Group"

    def test_a_dry_run_writes_nothing(self):
        result = run(jsonl(api_object()), dry_run=True)
        assert result.counts["created"] == 1
        assert not Location.objects.exists() and not Provider.objects.exists()

    def test_columns_missing_from_a_file_keep_the_registers_values(self, cambs):
        LocationFactory(cqc_location_id="1-111111111", authority=cambs, manager_name="Ann Lee")
        run(csv_bytes([directory_row()]), name="directory.csv")
        assert Location.objects.get().manager_name == "Ann Lee"


@pytest.mark.django_db
class TestBadInput:
    def assert_nothing_written(self):
        assert not Location.objects.exists()
        assert not Provider.objects.exists()

    def test_malformed_ids_negative_and_text_beds_and_unknown_authority(self):
        data = jsonl(
            api_object(),
            api_object(locationId="12345", providerId="1-202"),
            api_object(locationId="1-200000002", numberOfBeds=-3),
            api_object(locationId="1-200000003", numberOfBeds="lots"),
            api_object(locationId="1-200000004", localAuthority="Atlantis"),
        )
        result = run(data)
        assert not result.ok
        messages = [(e.row, e.field) for e in result.errors]
        assert messages == [
            (2, "locationId"), (2, "providerId"), (3, "numberOfBeds"), (4, "numberOfBeds"),
            (5, "localAuthority"),
        ]
        assert "'12345' is not a CQC location ID" in str(result.errors[0])
        assert "Atlantis" in result.errors[-1].message
        self.assert_nothing_written()

    def test_duplicate_ids_in_one_file_name_both_rows(self):
        result = run(jsonl(api_object(), api_object()))
        assert [str(e) for e in result.errors] == [
            "Row 2, locationId: CQC location ID 1-1000587219 is also in row 1"
        ]
        self.assert_nothing_written()

    def test_missing_required_columns_are_named(self):
        header = [h for h in DIRECTORY_HEADER if h != "Local authority"]
        row = {k: v for k, v in directory_row().items() if k != "Local authority"}
        result = run(csv_bytes([row], header=header), name="directory.csv")
        assert "authority" in result.file_error and "Local authority" in result.file_error
        self.assert_nothing_written()

    @pytest.mark.parametrize("data, message", [
        (b"", "The file is empty."),
        (b"   \n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"[1, 2]", "Item 1 of the JSON array is not an object."),
        (b'{"locationId": ', "Line 1 is not valid JSON"),
        (b"PK\x03\x04garbage", "damaged"),
    ])
    def test_unreadable_files_get_a_clear_message(self, data, message):
        result = run(data)
        assert message in result.file_error
        self.assert_nothing_written()

    def test_a_value_the_database_cannot_hold_is_refused_for_new_and_changed_services(self):
        too_many = 10**19  # more than any database's integer holds
        result = run(jsonl(api_object(numberOfBeds=too_many)))
        assert [(e.row, e.field) for e in result.errors] == [(1, "numberOfBeds")]
        assert "less than or equal to" in result.errors[0].message
        self.assert_nothing_written()
        assert run(jsonl(api_object())).ok
        result = run(jsonl(api_object(numberOfBeds=too_many)))
        assert [(e.row, e.field) for e in result.errors] == [(1, "numberOfBeds")]
        assert Location.objects.get().registered_beds != too_many

    def test_one_bad_row_among_many_writes_nothing(self, shared_data):
        lines = (shared_data / REAL_FILE).read_bytes().splitlines()
        bad = json.loads(lines[100])
        bad["numberOfBeds"] = -1
        lines[100] = json.dumps(bad).encode()
        result = run(b"\n".join(lines))
        assert [(e.row, e.field) for e in result.errors] == [(101, "numberOfBeds")]
        self.assert_nothing_written()


@pytest.mark.django_db
class TestImportersOwnAuthorities:
    def test_rows_outside_the_importers_authorities_are_counted_and_left_alone(
            self, make_user, cambs, devon):
        importer = make_user("commissioner", cambs)
        data = jsonl(api_object(),  # Devon
                     api_object(locationId="1-500000001", localAuthority="Cambridgeshire",
                                postalCode="CB7 4AA"))
        result = run(data, user=importer)
        assert result.ok
        assert result.counts["created"] == 1
        assert result.counts["outside"] == 1
        assert list(Location.objects.values_list("authority__ons_code", flat=True)) == [
            "E10000003"]

    def test_cannot_take_over_another_councils_service(self, make_user, cambs, devon):
        theirs = LocationFactory(cqc_location_id="1-1000587219", authority=devon, name="Theirs")
        importer = make_user("commissioner", cambs)
        result = run(jsonl(api_object(localAuthority="Cambridgeshire", name="Mine now")),
                     user=importer)
        assert result.counts["outside"] == 1
        theirs.refresh_from_db()
        assert theirs.name == "Theirs" and theirs.authority == devon


@pytest.mark.django_db
class TestOddValues:
    @pytest.mark.parametrize("overrides, field", [
        ({"name": "N" * 201}, "name"),
        ({"mainPhoneNumber": "0" * 31}, "mainPhoneNumber"),
        ({"odsCode": "X" * 11}, "odsCode"),
        ({"providerName": "P" * 201}, "providerName"),
        ({"numberOfBeds": 12.5}, "numberOfBeds"),
        ({"localAuthority": 5}, "localAuthority"),
        ({"name": None}, "name"),
    ])
    def test_become_row_errors_and_nothing_is_written(self, overrides, field):
        result = run(jsonl(api_object(**overrides)))
        assert [e.field for e in result.errors] == [field], result.errors
        assert not Location.objects.exists()

    def test_a_locality_in_use_costs_no_query_per_row(self, cambs, django_assert_max_num_queries):
        from caresight.registry.services import locality_create

        locality_create(authority=cambs, name="East Cambs", postcode_districts=["CB7"],
                        user=OPERATOR)
        rows = [api_object(locationId=f"1-5000000{n:02d}", localAuthority="Cambridgeshire",
                           postalCode=f"CB7 4A{chr(65 + n)}") for n in range(20)]
        with django_assert_max_num_queries(20):
            result = run(jsonl(*rows), dry_run=True)
        assert result.ok and result.counts["created"] == 20

    def test_any_rule_the_register_enforces_is_reported_against_the_row(self, monkeypatch):
        from django.core.exceptions import ValidationError

        def refuse(location):
            raise ValidationError({"registered_beds": "A rule the register enforces."})

        monkeypatch.setattr(Location, "clean", refuse)
        result = run(jsonl(api_object()), dry_run=True)
        assert [str(e) for e in result.errors] == [
            "Row 1, numberOfBeds: A rule the register enforces."]
