"""The CQC import's set-based writes and checks: the same rows, history and messages as the
row-by-row path they replaced, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from caresight.core.audit import history_written
from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Location, Provider, ServiceType
from caresight.registry.services import LOCATION_COLUMNS, LocationChecks

from .factories import LocationFactory
from .test_cqc_import import api_object, jsonl, run

HISTORY_EXTRA = {"history_id", "history_date", "history_change_reason", "history_type",
                 "history_user", "history_user_id"}


def columns_of(record) -> dict:
    return {name: getattr(record, name) for name in LOCATION_COLUMNS}


@pytest.mark.django_db
class TestWrites:
    def test_each_new_row_has_one_history_row_with_the_same_values(self, make_user, devon):
        officer = make_user("admin", devon)
        objects = [api_object(locationId=f"1-60000000{n}", providerId=f"1-70000000{n % 2}")
                   for n in range(3)]
        result = run(jsonl(*objects), user=officer, name="three.jsonl")
        assert result.ok and result.counts["created"] == 3
        assert result.counts["providers_created"] == 2
        for location in Location.objects.all():
            (entry,) = location.history.all()
            assert entry.history_type == "+"
            assert entry.history_user == officer
            assert entry.history_change_reason == "CQC import: three.jsonl"
            assert columns_of(entry) == columns_of(location)
        for provider in Provider.objects.all():
            (entry,) = provider.history.all()
            assert entry.history_type == "+" and entry.name == provider.name
        assert Location.objects.get(cqc_location_id="1-600000001").provider.cqc_provider_id \
            == "1-700000001"

    def test_a_change_writes_only_the_cqc_fields_and_history_shows_the_row_after(self):
        run(jsonl(api_object()))
        location = Location.objects.get()
        # Typed by an officer: not in CQC's files, so an import leaves it as it is.
        Location.objects.filter(pk=location.pk).update(email="home@example.org")
        before = Location.objects.get().updated_at
        result = run(jsonl(api_object(numberOfBeds=31)))
        assert result.counts["updated"] == 1
        location.refresh_from_db()
        assert location.registered_beds == 31 and location.email == "home@example.org"
        assert location.updated_at > before
        latest = location.history.order_by("-history_id").first()
        assert latest.history_type == "~"
        assert columns_of(latest) == columns_of(location)
        assert location.history.count() == 2

    def test_the_history_written_signal_names_every_row(self):
        seen: dict = {}

        def note(sender, pks, **kwargs):
            seen.setdefault(sender, []).extend(pks)

        history_written.connect(note)
        try:
            run(jsonl(api_object(), api_object(locationId="1-600000009")))
        finally:
            history_written.disconnect(note)
        assert sorted(seen[Location]) == sorted(Location.objects.values_list("pk", flat=True))
        assert seen[Provider] == list(Provider.objects.values_list("pk", flat=True))

    def test_a_key_once_used_is_not_given_again(self, devon):
        gone = LocationFactory(authority=devon)
        gone_pk = gone.pk
        gone.delete()
        run(jsonl(api_object()))
        assert Location.objects.get().pk > gone_pk

    def test_a_provider_change_is_written_with_its_history(self):
        run(jsonl(api_object()))
        Provider.objects.update(website="https://example.org")  # kept: the file has none
        result = run(jsonl(api_object(providerName="Highlands Care Group")))
        assert result.counts["providers_updated"] == 1
        provider = Provider.objects.get()
        assert provider.name == "Highlands Care Group"
        latest = provider.history.order_by("-history_id").first()
        assert latest.history_type == "~" and latest.name == "Highlands Care Group"
        assert latest.website == provider.website == "https://example.org"


@pytest.mark.django_db
class TestLocationChecks:
    """The column-at-a-time checks find what full_clean finds, service by service."""

    def full_clean_messages(self, location: Location, checked: set[str]) -> dict:
        from django.core.exceptions import ValidationError

        exclude = [f.name for f in Location._meta.concrete_fields if f.name not in checked]
        try:
            location.full_clean(exclude=exclude, validate_unique=False,
                                validate_constraints=False)
        except ValidationError as exc:
            return exc.message_dict
        return {}

    def test_the_same_messages_as_full_clean(self, devon):
        provider = Provider.objects.create(name="P")
        good = {"name": "Home", "authority": devon, "provider": provider,
                "service_type": ServiceType.CARE_HOME, "registered_beds": 10,
                "postcode": "EX1 2QE", "cqc_location_id": "1-123456789"}
        variants = [
            {}, {"name": ""}, {"name": "N" * 201}, {"postcode": "nowhere"},
            {"registered_beds": 10**19}, {"service_type": "castle"},
            {"service_type": ServiceType.DOMICILIARY},  # beds only for care homes
            {"cqc_location_id": "12345"}, {"registration_date": dt.date(2020, 5, 1),
                                           "deregistration_date": dt.date(2020, 1, 1)},
            {"client_groups": ["dementia"]}, {"phone": "0" * 31}, {"registered_beds": None},
        ]
        checked = {"name", "postcode", "registered_beds", "service_type", "cqc_location_id",
                   "registration_date", "deregistration_date", "client_groups", "phone"}
        # Twice each, so that a value's outcome is also taken from what was worked out before.
        made = [Location(**(good | v)) for v in variants + variants]
        expected = [self.full_clean_messages(Location(**(good | v)), checked)
                    for v in variants + variants]
        found = LocationChecks().message_dicts([(m, checked) for m in made])
        assert found == expected
        assert sum(1 for f in found if f) >= 8  # the bad variants are really refused
        # A field left out is not checked, as full_clean's exclude has it.
        assert LocationChecks().message_dicts([(Location(**(good | {"name": ""})), {"postcode"})]
                                              ) == [{}]

    def test_cleaned_values_are_kept_as_full_clean_keeps_them(self, devon):
        location = Location(name="Home", authority=devon, service_type=ServiceType.CARE_HOME,
                            registered_beds="12")
        assert LocationChecks().message_dicts([(location, {"registered_beds"})]) == [{}]
        assert location.registered_beds == 12

    def test_a_second_import_reads_the_same_plan_twice(self):
        data = jsonl(api_object(), api_object(locationId="1-600000009", numberOfBeds=None))
        run(data)
        first = run(data, dry_run=True)
        assert first.counts["unchanged"] == 2 and not first.would_change
        assert model_to_dict(Location.objects.get(cqc_location_id="1-600000009"))[
            "registered_beds"] is None


def test_the_operator_is_recorded_as_nobody(db):
    run(jsonl(api_object()), user=OPERATOR)
    assert Location.history.get().history_user is None
