"""Notifications: each kind reaches the right people once, as they chose, by real SMTP."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core import email
from caresight.core.models import EmailDelivery, Job
from caresight.core.tenancy import OPERATOR
from caresight.core.tests.smtp import smtp_server  # noqa: F401
from caresight.grants import services as grants
from caresight.grants.tests.factories import care_home, simple_round
from caresight.notifications import services
from caresight.notifications.models import Kind, Notification, NotificationPreference
from caresight.outbreaks import services as outbreaks
from caresight.outbreaks.models import Outbreak
from caresight.registry.tests.factories import LocationFactory, ProviderFactory

pytestmark = pytest.mark.django_db
ON = dt.date(2020, 6, 4)


def report(location, on=None):
    return outbreaks.outbreak_report(
        location=location, reported_on=on or dt.date.today(), reported_by="provider",
        counts=outbreaks.Counts(kind="confirmed", new_cases_residents=2), user=OPERATOR)


@pytest.fixture
def people(cambs, devon, make_user):
    return {"quality": make_user(Role.QUALITY_OFFICER, cambs),
            "health": make_user(Role.PUBLIC_HEALTH, cambs),
            "finance": make_user(Role.FINANCE, cambs),
            "devon": make_user(Role.QUALITY_OFFICER, devon),
            "viewer": make_user(Role.VIEWER, cambs)}


def test_a_reported_outbreak_tells_the_authoritys_officers_once_by_email(
        cambs, people, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    home = LocationFactory(authority=cambs, name="Fen View")
    with django_capture_on_commit_callbacks(execute=True):
        outbreak = report(home)
    told = set(Notification.objects.filter(kind=Kind.OUTBREAK_REPORTED)
               .values_list("user__email", flat=True))
    assert told == {people["quality"].email, people["health"].email}  # not Devon, not finance
    email.send_due()
    message = smtp_server.to(people["quality"].email)
    assert len(message) == 1
    assert message[0]["Subject"] == "New outbreak reported at Fen View"
    assert f"/outbreaks/{outbreak.pk}/" in smtp_server.body(message[0])
    delivery = Notification.objects.get(user=people["quality"]).emailed
    assert delivery.status == EmailDelivery.Status.SENT
    # Twice: once.
    assert services.outbreak_reported(outbreak.pk) == []
    assert Notification.objects.filter(kind=Kind.OUTBREAK_REPORTED).count() == 2


def test_an_outbreak_entered_weeks_late_is_news_to_nobody(
        cambs, people, django_capture_on_commit_callbacks):
    home = LocationFactory(authority=cambs, name="Fen View")
    with django_capture_on_commit_callbacks(execute=True):
        report(home, on=dt.date.today() - dt.timedelta(days=services.NEW_OUTBREAK_DAYS + 1))
    assert not Notification.objects.filter(kind=Kind.OUTBREAK_REPORTED).exists()


def test_a_kind_turned_off_tells_nothing_and_a_daily_one_waits_for_the_digest(
        cambs, people, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    services.preferences_set(user=people["quality"], choices={Kind.OUTBREAK_REPORTED: "off"})
    services.preferences_set(user=people["health"], choices={Kind.OUTBREAK_REPORTED: "daily"})
    with django_capture_on_commit_callbacks(execute=True):
        report(LocationFactory(authority=cambs, name="Home One"))
        report(LocationFactory(authority=cambs, name="Home Two"))
    assert not Notification.objects.filter(user=people["quality"]).exists()
    waiting = Notification.objects.filter(user=people["health"])
    assert waiting.count() == 2 and all(n.digest and n.emailed is None for n in waiting)
    email.send_due()
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_digests() == 1
        assert services.send_digests() == 0  # nothing sent twice
    email.send_due()
    [digest] = smtp_server.to(people["health"].email)
    body = smtp_server.body(digest)
    assert "Home One" in body and "Home Two" in body
    assert not Notification.objects.filter(user=people["health"], emailed__isnull=True).exists()


def test_a_failing_notification_does_not_undo_the_outbreak_report(
        cambs, people, django_capture_on_commit_callbacks, caplog):
    broken = mock.patch.object(services, "notify", side_effect=RuntimeError("mail broken"))
    with broken, django_capture_on_commit_callbacks(execute=True):
        outbreak = report(LocationFactory(authority=cambs))
    assert Outbreak.objects.filter(pk=outbreak.pk).exists()
    assert not Notification.objects.exists()
    assert "Notifying outbreak" in caplog.text


def test_a_payment_run_awaiting_confirmation_tells_those_who_confirm(
        cambs, people, django_capture_on_commit_callbacks):
    care_home(cambs)
    round = simple_round(cambs)
    grants.allocations_confirm(rounds=[round], user=OPERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        run = grants.payment_run_create(round=round, instalment=round.instalments.get(number=1),
                                        as_of=ON, user=OPERATOR)
    [told] = Notification.objects.filter(kind=Kind.PAYMENT_RUN)
    assert told.user == people["finance"] and told.link == reverse("grants:run", args=[run.pk])


def test_an_import_finished_or_failed_tells_its_uploader_only(
        people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = Job.objects.create(kind="returns", file_name="returns.csv",
                                 created_by=people["quality"])
        job.status, job.message = Job.Status.FAILED, "Row 3: no such service."
        job.save()
        job.save()  # saved again: still told once
    [told] = Notification.objects.all()
    assert told.user == people["quality"] and told.kind == Kind.IMPORT_FINISHED
    assert told.subject == "Your import of returns.csv failed"


def test_provider_reminders_reach_the_providers_users_and_the_services_contact(
        cambs, devon, make_user, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    provider = ProviderFactory(name="Acorn Care")
    home = LocationFactory(authority=cambs, provider=provider, name="Acorn Ely",
                           email="manager@acorn.example.org")
    LocationFactory(authority=devon, name="Dartmoor House")
    staff = make_user(Role.PROVIDER_USER, cambs, provider=provider)
    other = make_user(Role.PROVIDER_USER, cambs, provider=ProviderFactory())
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.notifications_run_daily(ON)
        again = services.notifications_run_daily(ON)
    assert counts["return_due"] >= 2 and again["return_due"] == 0  # idempotent
    mine = Notification.objects.filter(kind=Kind.RETURN_DUE, user=staff)
    assert [n.subject for n in mine] == ["A return from Acorn Ely is overdue"]
    assert not Notification.objects.filter(user=other).exists()
    contact = Notification.objects.get(user=None, address="manager@acorn.example.org")
    assert contact.dedupe_key == f"return_overdue:{home.pk}:{ON.isoformat()}"
    email.send_due()
    assert len(smtp_server.to("manager@acorn.example.org")) == 1
    assert len(smtp_server.to(staff.email)) == 1


def test_agreements_to_sign_and_spend_returns_due_are_told_to_the_provider(
        cambs, make_user, django_capture_on_commit_callbacks):
    home = care_home(cambs)
    staff = make_user(Role.PROVIDER_USER, cambs, provider=home.provider)
    round = simple_round(cambs)
    grants.allocations_confirm(rounds=[round], user=OPERATOR)
    assert round.allocations.filter(provider=home.provider).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_run_daily(timezone.localdate())  # confirmed today
    kinds = set(Notification.objects.filter(user=staff).values_list("kind", flat=True))
    assert Kind.AGREEMENT_TO_SIGN in kinds and Kind.SPEND_RETURN_DUE not in kinds


def test_the_pages_list_ones_own_and_save_the_settings(client, cambs, people, make_user):
    services.notify(Kind.IMPORT_FINISHED, [people["quality"]], subject="Mine",
                    dedupe_key="x:1")
    services.notify(Kind.IMPORT_FINISHED, [people["devon"]], subject="Theirs",
                    dedupe_key="x:1")
    client.force_login(people["quality"])
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Mine" in page and "Theirs" not in page
    theirs = Notification.objects.get(user=people["devon"])
    client.post(reverse("notifications:read-one", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None  # never someone else's
    client.post(reverse("notifications:read"))
    assert Notification.objects.get(user=people["quality"]).read_at is not None
    assert client.get(reverse("notifications:settings")).status_code == 200
    data = {kind: "immediate" for kind in
            (Kind.OUTBREAK_REPORTED, Kind.RATING_RED, Kind.PAYMENT_RUN, Kind.IMPORT_FINISHED)}
    data[Kind.RATING_RED] = "daily"
    response = client.post(reverse("notifications:settings"), data)
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=people["quality"]).delivery == "daily"


def test_a_rating_turned_red_tells_the_authoritys_officers_once(
        cambs, people, django_capture_on_commit_callbacks):
    from caresight.risk import services as risk
    from caresight.risk.models import Rating

    home = LocationFactory(authority=cambs, name="Willow Court")
    yesterday = ON - dt.timedelta(days=1)
    risk.risk_log_save(authority=cambs, as_of=yesterday, user=OPERATOR)  # not red then
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_run_daily(ON)
    assert not Notification.objects.filter(kind=Kind.RATING_RED).exists()
    risk.override_set(location=home, rating=Rating.RED, reason="IMT", starts_on=ON,
                      expires_on=ON, user=OPERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_run_daily(ON)["rating_red"] == 2
        assert services.notifications_run_daily(ON)["rating_red"] == 0
    told = set(Notification.objects.filter(kind=Kind.RATING_RED)
               .values_list("user__email", flat=True))
    assert told == {people["quality"].email, people["health"].email}


def test_the_command_runs_the_day_and_refuses_a_bad_date(cambs):
    from django.core.management import CommandError, call_command

    call_command("notify", "run-daily", "--date", ON.isoformat())
    with pytest.raises(CommandError, match="--date"):
        call_command("notify", "run-daily", "--date", "4 June")
