"""CQC provider objects give providers their names; telephone numbers are written as in Britain."""

import csv
import importlib
import io
import json
import re
from unittest import mock

import pytest
from django.apps import apps as django_apps
from hypothesis import given, settings
from hypothesis import strategies as st

from caresight.accounts.models import Role
from caresight.core.phones import phone_display
from caresight.registry import services
from caresight.registry.models import Authority, Location, Provider

from .factories import LocationFactory, ProviderFactory
from .test_cqc_import import REAL_FILE, api_object, csv_bytes, directory_row, jsonl, run


def provider_object(**overrides):
    obj = {"providerId": "1-101693962", "organisationType": "Provider",
           "name": "Highlands Care Ltd", "mainPhoneNumber": "1392491261",
           "website": "www.highlandscare.example", "localAuthority": "Devon",
           "locationIds": ["1-1000587219"]}
    obj.update(overrides)
    return obj


def provider_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["Provider ID", "Provider Name",
                                             "Provider Telephone Number", "Provider Web Address",
                                             "Provider Local Authority"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _full_parse(text: str) -> str:
    """phone_display's answer with every candidate parsed in full by `phonenumbers`."""
    with mock.patch("caresight.core.phones.NATIONAL_UK", re.compile(r"(?!)")):  # no shortcut
        return phone_display(text)


class TestPhones:
    @pytest.mark.parametrize("text, written", [
        ("1392491261", "01392 491261"), ("01392491261", "01392 491261"),
        ("+44 1392 491261", "01392 491261"), ("020 7946 0018", "020 7946 0018"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89"), ("ask at reception", "ask at reception"),
        ("", ""),
    ])
    def test_numbers_are_written_the_british_way(self, text, written):
        assert phone_display(text) == written

    @pytest.mark.parametrize("text, written", [
        ("01534 123456", "01534 123456"),  # Jersey: +44, not valid for GB alone
        ("0800 123 4567", "0800 123 4567"), ("07700 900123", "07700 900123"),
        ("01392-491261", "01392 491261"), ("00 33 1 23 45 67 89", "+33 1 23 45 67 89"),
    ])
    def test_the_shortcut_for_national_digits_gives_what_phonenumbers_gives(self, text, written):
        assert phone_display(text) == written == _full_parse(text)

    @settings(max_examples=400, deadline=None)
    @given(st.from_regex(r"0?[0-9]{8,11}", fullmatch=True) | st.text("0123456789 -+", max_size=16)
           | st.from_regex(r"0[1-9][0-9]{6,10}", fullmatch=True))
    def test_the_shortcut_never_differs_from_a_full_parse(self, text):
        assert phone_display(text) == _full_parse(text)

    def test_every_number_in_the_real_extract_reads_as_a_full_parse_gives(self, shared_data):
        numbers = [json.loads(line).get("mainPhoneNumber") or ""
                   for line in (shared_data / REAL_FILE).read_text("utf-8").splitlines()]
        assert len(numbers) > 700
        assert [phone_display(n) for n in numbers] == [_full_parse(n) for n in numbers]

    @pytest.mark.django_db
    def test_the_cqc_extracts_dropped_zero_is_put_back(self, shared_data):
        result = run((shared_data / REAL_FILE).read_bytes())
        assert result.ok
        home = Location.objects.get(cqc_location_id="1-1000587219")
        assert home.phone == "01392 491261"
        # Only the extract's few numbers that are wrong even with a zero are kept as written.
        kept = set(Location.objects.filter(phone__regex=r"^[1-9]").values_list("phone",
                                                                                flat=True))
        assert kept <= {"196335770", "117287256", "1934429448", "12787958491"}
        assert Location.objects.filter(phone__regex=r"^0\d{3,4} \d").count() > 700

    @pytest.mark.django_db
    def test_services_write_numbers_the_same_way(self, make_user):
        user = make_user(Role.ADMIN, Authority.objects.get(ons_code="E10000003"))
        location = LocationFactory(phone="")
        services.location_update(location=location, user=user, phone="1223 456789")
        assert Location.objects.get(pk=location.pk).phone == "01223 456789"
        provider = services.provider_create(user=user, name="Fen Care", phone="+441223456780")
        assert provider.phone == "01223 456780"

    @pytest.mark.django_db
    def test_the_migration_rewrites_numbers_already_stored(self):
        location = LocationFactory(phone="1392491261")
        Location.objects.filter(pk=location.pk).update(phone="1392491261")
        migration = importlib.import_module(
            "caresight.registry.migrations.0003_normalise_phone_numbers")
        migration.normalise(django_apps, None)
        assert Location.objects.get(pk=location.pk).phone == "01392 491261"


@pytest.mark.django_db
class TestProviderObjects:
    def test_api_provider_objects_give_providers_their_names(self):
        run(jsonl(api_object(providerName=None)))
        provider = Provider.objects.get(cqc_provider_id="1-101693962")
        assert provider.name == "CQC provider 1-101693962"
        result = run(jsonl(provider_object()))
        assert result.ok and result.counts["providers_updated"] == 1
        provider.refresh_from_db()
        assert provider.name == "Highlands Care Ltd"
        assert provider.phone == "01392 491261"
        assert provider.website == "www.highlandscare.example"
        assert provider.history.first().history_change_reason.startswith("CQC import")
        again = run(jsonl(provider_object()))
        assert again.counts["providers_unchanged"] == 1 and not again.would_change

    def test_a_provider_not_yet_on_the_register_is_added(self):
        result = run(jsonl(provider_object(providerId="1-555555555", name="New Care Ltd")))
        assert result.counts["providers_created"] == 1
        assert Provider.objects.get(cqc_provider_id="1-555555555").name == "New Care Ltd"

    def test_the_care_directory_provider_columns_are_read_too(self):
        ProviderFactory(cqc_provider_id="1-222222222", name="CQC provider 1-222222222")
        result = run(provider_csv([{
            "Provider ID": "1-222222222", "Provider Name": "Willow Ltd",
            "Provider Telephone Number": "1353 123456", "Provider Web Address": "",
            "Provider Local Authority": "Cambridgeshire"}]), name="providers.csv")
        assert result.ok, result.errors
        provider = Provider.objects.get(cqc_provider_id="1-222222222")
        assert provider.name == "Willow Ltd" and provider.phone == "01353 123456"

    def test_a_location_file_with_provider_columns_names_and_rings_the_provider(self):
        header = ["Name", "Address", "Postcode", "Provider name", "Provider Telephone Number",
                  "Local authority", "CQC Location ID (for office use only)",
                  "CQC Provider ID (for office use only)"]
        row = {k: v for k, v in directory_row().items() if k in header}
        row["Provider Telephone Number"] = "1353 654321"
        result = run(csv_bytes([row], header=header), name="directory.csv")
        assert result.ok, result.errors
        provider = Provider.objects.get(cqc_provider_id="1-222222222")
        assert provider.name == "Willow Ltd" and provider.phone == "01353 654321"

    def test_provider_rows_are_checked_row_by_row(self):
        result = run(jsonl(provider_object(providerId="nope"), provider_object(name=""),
                           provider_object(), provider_object()))
        assert [str(e) for e in result.errors] == [
            "Row 1, providerId: 'nope' is not a CQC provider ID (1- followed by 6 to 12 digits)",
            "Row 2, name: the provider name is missing",
            "Row 4, providerId: CQC provider ID 1-101693962 is also in row 3",
        ]
        assert not Provider.objects.exists()

    def test_a_council_changes_only_providers_wholly_in_its_area(self, make_user, cambs, devon):
        shared = ProviderFactory(cqc_provider_id="1-101693962", name="Old name")
        LocationFactory(provider=shared, authority=cambs)
        LocationFactory(provider=shared, authority=devon)
        own = ProviderFactory(cqc_provider_id="1-333333333", name="Old own")
        LocationFactory(provider=own, authority=cambs)
        user = make_user(Role.COMMISSIONER, cambs)
        result = run(jsonl(provider_object(name="New name"),
                           provider_object(providerId="1-333333333", name="New own",
                                           localAuthority="Cambridgeshire")), user=user)
        assert result.ok
        assert result.counts["outside"] == 1 and result.counts["providers_updated"] == 1
        shared.refresh_from_db()
        own.refresh_from_db()
        assert shared.name == "Old name" and own.name == "New own"

    def test_json_objects_that_are_neither_are_refused_by_their_keys(self):
        result = run(jsonl({"id": 1, "name": "x"}))
        assert result.file_error == ("The JSON objects are neither CQC API locations (with "
                                     "locationId) nor CQC API providers (with providerId).")
