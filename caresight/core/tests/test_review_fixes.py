"""Holes a security review found, each proved closed."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from caresight.accounts.models import Role
from caresight.accounts.services import user_create
from caresight.core.models import Job
from caresight.core.services import job_run
from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Location, Provider
from caresight.registry.services import cqc_import
from caresight.registry.tests.factories import LocationFactory, ProviderFactory
from caresight.registry.tests.test_cqc_import import api_object, jsonl
from conftest import PASSWORD


@pytest.mark.django_db
class TestTwoFactorCannotBeSkipped:
    def test_the_admin_login_sends_people_to_caresights_sign_in(self, client, make_user,
                                                                cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        TOTPDevice.objects.create(user=user, confirmed=True)
        response = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign-in"))
        assert client.get(reverse("registry:location-list")).status_code == 302

    def test_a_session_without_the_code_is_signed_out(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        TOTPDevice.objects.create(user=user, confirmed=True)
        client.force_login(user)  # as any other way of starting a session would
        response = client.get(reverse("registry:location-list"))
        assert response.url == reverse("accounts:sign-in")
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_provider_users_of_providers_with_the_same_name_see_only_their_own(cambs):
    first, second = ProviderFactory(name="Care UK"), ProviderFactory(name="Care UK")
    LocationFactory(provider=first, authority=cambs, name="First's home")
    LocationFactory(provider=second, authority=cambs, name="Second's home")
    user, membership = user_create(email="p@example.org", role=Role.PROVIDER_USER,
                                   authority_codes=["E10000003"], provider=second)
    assert membership.organisation.provider == second
    from caresight.registry.selectors import location_list

    assert [loc.name for loc in location_list(user=user)] == ["Second's home"]


@pytest.mark.django_db
class TestSharedProviders:
    def test_an_import_does_not_rename_another_councils_provider(self, make_user, cambs,
                                                                 devon):
        provider = ProviderFactory(cqc_provider_id="1-101693962", name="Devon Care")
        LocationFactory(provider=provider, authority=devon)
        importer = make_user(Role.COMMISSIONER, cambs)
        row = api_object(locationId="1-500000009", localAuthority="Cambridgeshire",
                         postalCode="CB7 4AA", providerName="Renamed by Cambs")
        result = cqc_import(data=jsonl(row), file_name="x", user=importer, dry_run=False)
        assert result.counts["created"] == 1
        provider.refresh_from_db()
        assert provider.name == "Devon Care"

    def test_only_a_council_with_all_its_services_may_edit_a_shared_provider(
            self, make_user, provider_group, cambs, devon):
        provider = provider_group["provider"]
        cambs_only = make_user(Role.COMMISSIONER, cambs)
        both = make_user(Role.COMMISSIONER, cambs, devon)
        assert cambs_only.has_perm("registry.view_provider", provider)
        assert not cambs_only.has_perm("registry.change_provider", provider)
        assert both.has_perm("registry.change_provider", provider)


@pytest.mark.django_db
class TestOddFiles:
    @pytest.mark.parametrize("overrides, field", [
        ({"specialisms": "x"}, "specialisms"),
        ({"gacServiceTypes": ["x"]}, "gacServiceTypes"),
        ({"currentRatings": "Good"}, "currentRatings"),
        ({"currentRatings": {"overall": "Good"}}, "overall"),
        ({"regulatedActivities": [{"contacts": ["x"]}]}, "contacts"),
    ])
    def test_nested_values_of_the_wrong_shape_are_row_errors(self, overrides, field):
        result = cqc_import(data=jsonl(api_object(**overrides)), file_name="x", user=OPERATOR,
                            dry_run=True)
        assert [e.field for e in result.errors] == [field]

    def test_a_deregistration_before_the_registers_registration_date_is_a_row_error(
            self, devon):
        import datetime as dt

        LocationFactory(cqc_location_id="1-111111111", authority=devon,
                        registration_date=dt.date(2015, 1, 1))
        data = (b"CQC Location ID,CQC Provider ID,Name,Local authority,Deregistration date\n"
                b"1-111111111,1-222222222,Willow Lodge,Devon,01/01/2010\n")
        result = cqc_import(data=data, file_name="x.csv", user=OPERATOR, dry_run=True)
        assert [e.field for e in result.errors] == ["Deregistration date"]

    @pytest.mark.parametrize("data, message", [
        (b"Name,name,Local authority\nA,B,Devon\n", "same heading"),
        # Right headings (wrong ones are refused before any row is read), then a huge cell.
        (b"CQC Location ID,CQC Provider ID,Name,Local authority\n1-111111111,1-222222222,"
         + b"x" * 200_000 + b",Devon\n", "CSV cannot be read"),
        (b"[" * 100_000, "nested too deeply"),
    ])
    def test_unreadable_files_are_file_errors(self, data, message):
        result = cqc_import(data=data, file_name="x", user=OPERATOR, dry_run=True)
        assert message in result.file_error
        assert not Location.objects.exists() and not Provider.objects.exists()


@pytest.mark.django_db
def test_a_job_runs_once_even_if_two_workers_pick_it_up(make_user, devon):
    job = Job.objects.create(kind="cqc", created_by=make_user(Role.ADMIN, devon),
                             payload=jsonl(api_object()), file_name="x.jsonl")
    job_run(job_id=str(job.pk))
    job.refresh_from_db()
    finished = job.finished_at
    assert job.status == Job.Status.PREVIEWED
    job_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.finished_at == finished
