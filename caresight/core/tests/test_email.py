"""The email layer against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core import email
from caresight.core.models import EmailDelivery, OutgoingEmail
from caresight.core.tests.smtp import smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
Status = EmailDelivery.Status
LATER = dt.timedelta(days=1)


def _queue(to, **kwargs):
    kwargs.setdefault("subject", "Weekly highlight report")
    kwargs.setdefault("text", "The report is attached.")
    kwargs.setdefault("kind", "report")
    return email.queue_email(to=to, **kwargs)


def _fresh(delivery) -> EmailDelivery:
    return EmailDelivery.objects.get(pk=delivery.pk)


def test_a_queued_email_is_sent_with_its_html_and_attachment(smtp_server):  # noqa: F811
    [delivery] = _queue(["dass@example.org"], html="<p>The report is attached.</p>",
                        attachments=[("report.pdf", b"%PDF-1.7 report", "application/pdf")])
    assert delivery.status == Status.QUEUED and smtp_server.messages == []
    result = email.send_due()
    assert (result.sent, result.failed, result.retrying) == (1, 0, 0)
    [message] = smtp_server.messages
    assert message["To"] == "dass@example.org"
    assert message["Subject"] == "Weekly highlight report"
    parts = {p.get_content_type(): p for p in message.walk()}
    assert "text/html" in parts
    assert parts["application/pdf"].get_filename() == "report.pdf"
    assert parts["application/pdf"].get_payload(decode=True) == b"%PDF-1.7 report"
    delivery = _fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SENT, 1, "")
    assert delivery.sent_at is not None


def test_queueing_sends_through_the_background_task_after_commit(
        smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = _queue(["dass@example.org"])
    assert _fresh(delivery).status == Status.SENT
    assert len(smtp_server.messages) == 1


def test_the_server_down_is_retried_with_a_wait_then_sent_when_it_is_back(
        smtp_server, settings):  # noqa: F811
    settings.CARESIGHT_EMAIL_RETRY_SECONDS = 60
    [delivery] = _queue(["dass@example.org"])
    smtp_server.stop()
    before = timezone.now()
    result = email.send_due()
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    delivery = _fresh(delivery)
    assert delivery.status == Status.QUEUED and delivery.attempts == 1
    assert delivery.last_error.startswith("Could not reach the mail server")
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=60)
    # Not due yet: left alone, even with the server back.
    smtp_server.start()
    assert email.send_due().sent == 0
    # The second failure waits twice as long.
    smtp_server.stop()
    email.send_due(now=delivery.next_attempt_at)
    second = _fresh(delivery)
    assert second.attempts == 2
    assert second.next_attempt_at - delivery.next_attempt_at >= dt.timedelta(seconds=120)
    smtp_server.start()
    assert email.send_due(now=second.next_attempt_at).sent == 1
    assert _fresh(delivery).status == Status.SENT and _fresh(delivery).attempts == 3
    assert len(smtp_server.messages) == 1


def test_a_delivery_fails_for_good_after_the_last_attempt(smtp_server, settings):  # noqa: F811
    settings.CARESIGHT_EMAIL_MAX_ATTEMPTS = 2
    [delivery] = _queue(["dass@example.org"])
    smtp_server.stop()
    email.send_due()
    assert email.send_due(now=timezone.now() + LATER).failed == 1
    delivery = _fresh(delivery)
    assert delivery.status == Status.FAILED and delivery.attempts == 2
    assert "Could not reach the mail server" in delivery.last_error
    smtp_server.start()
    assert email.send_due(now=timezone.now() + 2 * LATER).sent == 0  # failed stays failed


def test_one_refused_recipient_fails_with_the_servers_reason_and_the_others_are_sent(
        smtp_server):  # noqa: F811
    smtp_server.refuse("gone@example.org")
    deliveries = _queue(["dass@example.org", "gone@example.org", "dph@example.org"])
    result = email.send_due()
    assert (result.sent, result.failed) == (2, 1)
    by_address = {d.recipient: d for d in EmailDelivery.objects.all()}
    assert by_address["gone@example.org"].status == Status.FAILED
    assert "550" in by_address["gone@example.org"].last_error
    assert "No such user here" in by_address["gone@example.org"].last_error
    assert {by_address[a].status for a in ("dass@example.org", "dph@example.org")} == {
        Status.SENT}
    assert sorted(m["To"] for m in smtp_server.messages) == ["dass@example.org",
                                                            "dph@example.org"]
    assert len(deliveries) == 3


def test_a_busy_answer_is_tried_again_not_failed(smtp_server):  # noqa: F811
    smtp_server.busy.add("busy@example.org")
    [delivery] = _queue(["busy@example.org"])
    assert email.send_due().retrying == 1
    assert "451" in _fresh(delivery).last_error
    smtp_server.busy.clear()
    assert email.send_due(now=timezone.now() + LATER).sent == 1


def test_nothing_is_sent_twice(smtp_server):  # noqa: F811
    deliveries = _queue(["a@example.org", "b@example.org"])
    ids = [d.pk for d in deliveries]
    assert email.send_deliveries(ids).sent == 2
    again = email.send_deliveries(ids)
    assert (again.sent, again.skipped) == (0, 2)
    assert email.send_due(now=timezone.now() + LATER).sent == 0
    assert len(smtp_server.messages) == 2


def test_a_delivery_claimed_by_another_worker_is_left_to_it(smtp_server):  # noqa: F811
    [delivery] = _queue(["a@example.org"])
    assert email._claim(delivery.pk, timezone.now())  # the other worker
    assert email._claim(delivery.pk, timezone.now()) is False
    assert email.send_deliveries([delivery.pk]).skipped == 1
    assert smtp_server.messages == []


def test_a_worker_that_stopped_while_sending_does_not_lose_the_email(smtp_server):  # noqa: F811
    [delivery] = _queue(["a@example.org"])
    email._claim(delivery.pk, timezone.now())
    assert email.send_due().sent == 0  # claimed a moment ago: still the other worker's
    assert email.send_due(now=timezone.now() + email.STALE_CLAIM * 2).sent == 1
    assert "worker stopped" not in _fresh(delivery).last_error  # cleared once sent


def test_a_malformed_address_is_refused_and_nothing_is_queued():
    with pytest.raises(ValidationError) as refused:
        _queue(["dass@example.org", "not an address", "x@"])
    assert "'not an address'" in refused.value.message_dict["to"][0]
    assert "'x@'" in refused.value.message_dict["to"][0]
    assert not OutgoingEmail.objects.exists()
    with pytest.raises(ValidationError):
        _queue([])


def test_addresses_are_trimmed_and_duplicates_dropped():
    deliveries = _queue([" a@example.org", "A@example.org", "b@example.org"])
    assert [d.recipient for d in deliveries] == ["a@example.org", "b@example.org"]


def test_the_retry_command_sends_what_is_due(smtp_server):  # noqa: F811
    _queue(["a@example.org"])
    out = StringIO()
    call_command("email", "retry", stdout=out)
    assert "1 sent" in out.getvalue()
    out = StringIO()
    call_command("email", "status", stdout=out)
    assert "Sent: 1" in out.getvalue()


def test_the_test_command_says_what_happened(smtp_server):  # noqa: F811
    smtp_server.refuse("gone@example.org")
    out = StringIO()
    call_command("email", "test", "--to", "gone@example.org", stdout=out)
    assert "Failed" in out.getvalue() and "550" in out.getvalue()


def test_administrators_see_the_deliveries_of_their_own_authorities(
        client, cambs, devon, make_user, smtp_server):  # noqa: F811
    _queue(["own@example.org"], authorities=[cambs], subject="Cambridgeshire report")
    smtp_server.refuse("gone@example.org")
    _queue(["gone@example.org"], authorities=[cambs], subject="Cambridgeshire letter")
    _queue(["other@example.org"], authorities=[devon], subject="Devon report")
    email.send_due()
    client.force_login(make_user(Role.ADMIN, cambs))
    page = client.get(reverse("email-list")).content.decode()
    assert "Cambridgeshire report" in page and "Devon report" not in page
    assert "No such user here" in page
    failed = client.get(reverse("email-list"), {"status": "failed"}).content.decode()
    assert "Cambridgeshire letter" in failed and "Cambridgeshire report" not in failed
    client.force_login(make_user(Role.COMMISSIONER, cambs))
    assert client.get(reverse("email-list")).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
def test_two_workers_at_once_send_each_email_once(smtp_server, monkeypatch):  # noqa: F811
    from caresight.core.tests.test_concurrency import at_once

    monkeypatch.setattr(email, "_enqueue", lambda ids, at=None: None)  # no worker of its own
    _queue([f"person{i}@example.org" for i in range(20)])
    outcomes = at_once(email.send_due, times=3)
    assert sum(o.sent for o in outcomes) == 20, outcomes
    assert len(smtp_server.messages) == 20
    assert EmailDelivery.objects.filter(status=Status.SENT, attempts=1).count() == 20
