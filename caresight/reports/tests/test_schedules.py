"""Scheduled reports: schedules and distribution lists, the scheduler's runs (once each), the
emails they send to a real SMTP server on 127.0.0.1, and `caresight report send`."""

import datetime as dt
from email.header import decode_header, make_header
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core import email
from caresight.core.models import EmailDelivery
from caresight.core.tests.smtp import smtp_server  # noqa: F401  (the fixture)

from .. import services
from ..models import PublishedReport, ReportSchedule, ScheduledRun
from ..tasks import run_scheduled_report

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
MONDAY_8 = dt.datetime(2020, 11, 30, 8, 0, tzinfo=LONDON)  # a Monday
LIST = ["dass@example.org", "dph@example.org", "comms@example.org"]
Status = EmailDelivery.Status


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs)


def schedule(officer, authority, *, created=dt.datetime(2020, 11, 1, tzinfo=LONDON),
             **changes) -> ReportSchedule:
    fields = {"kind": "highlight", "frequency": "weekly", "weekday": 0,
              "time_of_day": dt.time(8, 0), "recipients": LIST}
    fields.update(changes)
    saved = services.schedule_save(user=officer, authority=authority, **fields)
    ReportSchedule.objects.filter(pk=saved.pk).update(created_at=created)
    saved.refresh_from_db()
    return saved


def run_all(runs) -> None:
    for run in runs:
        run_scheduled_report.enqueue(run.pk)  # the test settings' ImmediateBackend: runs now


def deliveries():
    return EmailDelivery.objects.order_by("recipient")


class TestRunning:
    def test_a_weekly_schedule_due_at_monday_8_runs_once(self, officer, cambs):
        weekly = schedule(officer, cambs)
        first = services.schedules_run_due(MONDAY_8)
        again = services.schedules_run_due(MONDAY_8 + dt.timedelta(minutes=1))
        assert len(first) == 1 and again == []
        [run] = ScheduledRun.objects.all()
        assert (run.schedule, run.period_from, run.as_of) == (
            weekly, dt.date(2020, 11, 23), dt.date(2020, 11, 29))
        run_all(first)
        run_all(first)  # the task a second time: nothing more
        services.scheduled_run_execute(run.pk)
        run.refresh_from_db()
        assert run.status == ScheduledRun.Status.SENT and run.recipients == 3
        assert not run.reused and run.error == ""
        [report] = PublishedReport.objects.all()
        assert run.report == report
        assert (report.period_from, report.as_of) == (dt.date(2020, 11, 23),
                                                      dt.date(2020, 11, 29))
        assert sorted(d.recipient for d in deliveries()) == sorted(LIST)
        assert {d.email.kind for d in deliveries()} == {"scheduled_report"}
        assert run.history.count() >= 2  # audited: due, published, emailed

    def test_nothing_is_due_before_its_time_or_before_the_schedule_was_made(self, officer,
                                                                            cambs):
        schedule(officer, cambs, created=MONDAY_8 - dt.timedelta(hours=1))
        assert services.schedules_run_due(MONDAY_8 - dt.timedelta(minutes=1)) == []
        assert len(services.schedules_run_due(MONDAY_8)) == 1

    def test_a_paused_schedule_does_not_run(self, officer, cambs):
        paused = schedule(officer, cambs)
        ReportSchedule.objects.filter(pk=paused.pk).update(active=False)
        assert services.schedules_run_due(MONDAY_8) == []

    def test_the_email_arrives_with_both_attachments(self, officer, cambs,
                                                     smtp_server):  # noqa: F811
        run_all(services.schedules_run_due(MONDAY_8))
        assert email.send_due().sent == 0  # no schedule yet
        schedule(officer, cambs, recipients=["dass@example.org"])
        run_all(services.schedules_run_due(MONDAY_8))
        assert email.send_due().sent == 1
        [message] = smtp_server.messages
        report = PublishedReport.objects.get()
        assert message["To"] == "dass@example.org"
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject == f"{report.title}: Cambridgeshire, 23 November 2020 to 29 November 2020"
        body = smtp_server.body(message)
        assert "23 November 2020 to 29 November 2020" in body
        assert report.figures_sha256 in body
        parts = {p.get_content_type(): p for p in message.walk()}
        pdf = parts["application/pdf"]
        docx = parts["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
        assert pdf.get_filename().endswith(".pdf") and docx.get_filename().endswith(".docx")
        assert pdf.get_payload(decode=True) == bytes(report.pdf)
        assert docx.get_payload(decode=True) == bytes(report.docx)

    def test_the_mail_server_down_is_retried_and_sent_when_it_is_back(
            self, officer, cambs, smtp_server, settings):  # noqa: F811
        settings.CARESIGHT_EMAIL_RETRY_SECONDS = 60
        schedule(officer, cambs, recipients=["dass@example.org"])
        smtp_server.stop()
        run_all(services.schedules_run_due(MONDAY_8))
        assert email.send_due().retrying == 1
        [delivery] = deliveries()
        assert delivery.status == Status.QUEUED
        assert delivery.last_error.startswith("Could not reach the mail server")
        smtp_server.start()
        assert email.send_due(now=delivery.next_attempt_at).sent == 1
        delivery.refresh_from_db()
        assert delivery.status == Status.SENT and delivery.attempts == 2
        assert len(smtp_server.messages) == 1

    def test_one_recipient_refused_the_others_are_sent(self, officer, cambs,
                                                       smtp_server):  # noqa: F811
        schedule(officer, cambs)
        smtp_server.refuse("dph@example.org")
        run_all(services.schedules_run_due(MONDAY_8))
        result = email.send_due()
        assert (result.sent, result.failed) == (2, 1)
        by = {d.recipient: d for d in deliveries()}
        assert by["dph@example.org"].status == Status.FAILED
        assert "550" in by["dph@example.org"].last_error
        assert {by[a].status for a in ("dass@example.org", "comms@example.org")} == {
            Status.SENT}
        assert sorted(m["To"] for m in smtp_server.messages) == [
            "comms@example.org", "dass@example.org"]

    def test_a_report_already_published_by_a_person_is_reused(self, officer, cambs):
        published = services.report_publish(
            user=officer, kind="highlight", authority_codes=["E10000003"],
            as_of=dt.date(2020, 11, 29), period_from=dt.date(2020, 11, 23))
        schedule(officer, cambs)
        run_all(services.schedules_run_due(MONDAY_8))
        run = ScheduledRun.objects.get()
        assert (run.status, run.report, run.reused) == (ScheduledRun.Status.SENT, published,
                                                        True)
        assert PublishedReport.objects.count() == 1 and deliveries().count() == 3

    def test_a_run_that_cannot_be_built_is_recorded_as_failed(self, officer, cambs,
                                                              monkeypatch):
        schedule(officer, cambs)

        def broken(**kwargs):
            raise RuntimeError("the PDF renderer is missing")

        monkeypatch.setattr(services, "report_publish", broken)
        run_all(services.schedules_run_due(MONDAY_8))
        run = ScheduledRun.objects.get()
        assert run.status == ScheduledRun.Status.FAILED
        assert "the PDF renderer is missing" in run.error
        assert deliveries().count() == 0

    def test_a_run_left_waiting_is_queued_again(self, officer, cambs,
                                                django_capture_on_commit_callbacks):
        schedule(officer, cambs)
        [run] = services.schedules_run_due(MONDAY_8)  # its task lost (not run: no commit)
        assert ScheduledRun.objects.get().status == ScheduledRun.Status.QUEUED
        with django_capture_on_commit_callbacks(execute=True):
            services.schedules_run_due(MONDAY_8 + dt.timedelta(minutes=20))
        assert ScheduledRun.objects.get().status == ScheduledRun.Status.SENT
        assert ScheduledRun.objects.count() == 1

    def test_the_command_once(self, officer, cambs):
        schedule(officer, cambs, created=dt.datetime(2020, 1, 1, tzinfo=LONDON))
        out = StringIO()
        call_command("scheduler", "--once", stdout=out)
        assert "Queued highlight for Cambridgeshire" in out.getvalue()
        out = StringIO()
        call_command("scheduler", "--once", stdout=out)
        assert "No scheduled report is due." in out.getvalue()


class TestPeriods:
    def test_the_monthly_period_is_the_previous_calendar_month(self, officer, cambs):
        monthly = schedule(officer, cambs, kind="committee", frequency="monthly",
                           day_of_month=3, time_of_day=dt.time(7, 30), weekday=None)
        due = dt.datetime(2020, 12, 3, 7, 30, tzinfo=LONDON)
        assert services.schedules_run_due(due - dt.timedelta(minutes=1))[0].as_of == \
            dt.date(2020, 10, 31)  # November's run (3 November) was the last one due
        ScheduledRun.objects.all().delete()
        [run] = services.schedules_run_due(due)
        assert (run.period_from, run.as_of) == (dt.date(2020, 11, 1), dt.date(2020, 11, 30))
        assert services.schedule_period(monthly, dt.date(2021, 1, 3)) == (
            dt.date(2020, 12, 1), dt.date(2020, 12, 31))
        assert services.schedule_period(monthly, dt.date(2021, 3, 1)) == (
            dt.date(2021, 2, 1), dt.date(2021, 2, 28))

    def test_the_time_is_uk_time_in_summer_too(self, officer, cambs):
        weekly = schedule(officer, cambs)
        # 8:00 on Monday 6 July 2020 in London is 07:00 UTC.
        assert services.schedule_last_due(
            weekly, dt.datetime(2020, 7, 6, 7, 0, tzinfo=dt.UTC)) == dt.datetime(
            2020, 7, 6, 8, 0, tzinfo=LONDON)


class TestSchedules:
    def test_a_malformed_address_is_refused_when_entered_naming_it(self, officer, cambs):
        with pytest.raises(ValidationError) as refused:
            services.schedule_save(user=officer, authority=cambs, kind="highlight",
                                   frequency="weekly", weekday=0, time_of_day=dt.time(8),
                                   recipients="dass@example.org\nnot-an-address")
        assert "not-an-address" in refused.value.message_dict["recipients"][0]
        assert not ReportSchedule.objects.exists()

    def test_a_weekly_schedule_needs_its_day_and_a_monthly_one_a_day_up_to_28(
            self, officer, cambs):
        with pytest.raises(ValidationError) as refused:
            services.schedule_save(user=officer, authority=cambs, kind="highlight",
                                   frequency="weekly", time_of_day=dt.time(8),
                                   recipients=LIST)
        assert "weekday" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.schedule_save(user=officer, authority=cambs, kind="highlight",
                                   frequency="monthly", day_of_month=31,
                                   time_of_day=dt.time(8), recipients=LIST)
        assert "day_of_month" in refused.value.message_dict

    def test_the_page_adds_a_schedule_refusing_a_malformed_address_first(self, client,
                                                                          officer, cambs):
        client.force_login(officer)
        url = reverse("reports:schedule-new", args=["E10000003"])
        token = client.get(url).context["form"]["submission_token"].value()
        data = {"kind": "highlight", "frequency": "weekly", "weekday": "0",
                "time_of_day": "08:00", "recipients": "dass@example.org, dass@@example",
                "active": "on", "submission_token": token}
        refused = client.post(url, data)
        assert refused.status_code == 200
        assert "dass@@example" in refused.content.decode()
        assert not ReportSchedule.objects.exists()
        done = client.post(url, {**data, "recipients": "dass@example.org\ndph@example.org"})
        assert done.status_code == 302
        saved = ReportSchedule.objects.get()
        assert saved.recipients == ["dass@example.org", "dph@example.org"]
        assert saved.history.first().history_user == officer
        page = client.get(reverse("reports:schedules", args=["E10000003"])).content.decode()
        assert "Every Monday at 08:00" in page and "dph@example.org" in page
        assert client.get(reverse("reports:schedule-edit", args=[saved.pk])).status_code == 200
        assert client.get(reverse("reports:schedule-history",
                                  args=[saved.pk])).status_code == 200
        index = client.get(reverse("reports:index")).content.decode()
        assert reverse("reports:schedules", args=["E10000003"]) in index

    def test_a_joint_schedule_publishes_the_joint_report(self, make_user, cambs,
                                                         peterborough):
        both = make_user(Role.COMMISSIONER, cambs, peterborough)
        schedule(both, cambs, joint_with=[peterborough])
        run_all(services.schedules_run_due(MONDAY_8))
        report = PublishedReport.objects.get()
        assert report.area_key == "E06000031+E10000003"
        assert report.area_name == "Cambridgeshire and Peterborough"

    def test_a_joint_area_needs_publishing_rights_over_every_council(self, officer, cambs,
                                                                     peterborough):
        with pytest.raises(ValidationError) as refused:
            schedule(officer, cambs, joint_with=[peterborough])
        assert "Peterborough" in refused.value.message_dict["joint_with"][0]

    def test_the_published_page_lists_the_deliveries(self, client, officer, cambs,
                                                     smtp_server):  # noqa: F811
        schedule(officer, cambs)
        smtp_server.refuse("dph@example.org")
        run_all(services.schedules_run_due(MONDAY_8))
        email.send_due()
        client.force_login(officer)
        report = PublishedReport.objects.get()
        page = client.get(reverse("reports:published", args=[report.pk])).content.decode()
        assert 'data-testid="deliveries"' in page
        assert "dph@example.org" in page and "550" in page and "dass@example.org" in page


class TestSend:
    def _publish(self, officer):
        return services.report_publish(user=officer, kind="highlight",
                                       authority_codes=["E10000003"],
                                       as_of=dt.date(2020, 11, 29))

    def test_report_send_to_addresses_and_to_the_distribution_list(self, officer, cambs,
                                                                   smtp_server):  # noqa: F811
        report = self._publish(officer)
        out = StringIO()
        call_command("report", "send", "highlight", "--authority", "E10000003",
                     "--as-of", "2020-11-29", "--to", "a@example.org", "b@example.org",
                     stdout=out)
        assert "2 recipients" in out.getvalue()
        schedule(officer, cambs, active=True)
        call_command("report", "send", "highlight", "--authority", "E10000003",
                     "--as-of", "2020-11-29", stdout=StringIO())
        assert email.send_due().sent == 5
        assert sorted(m["To"] for m in smtp_server.messages) == sorted(
            ["a@example.org", "b@example.org", *LIST])
        assert {d.email.cause_id for d in EmailDelivery.objects.all()} == {str(report.pk)}

    def test_report_send_refuses_an_unpublished_report_and_a_malformed_address(self, officer):
        with pytest.raises(CommandError, match="is not published"):
            call_command("report", "send", "highlight", "--authority", "E10000003",
                         "--as-of", "2020-11-29", "--to", "a@example.org")
        self._publish(officer)
        with pytest.raises(CommandError, match="bad@"):
            call_command("report", "send", "highlight", "--authority", "E10000003",
                         "--as-of", "2020-11-29", "--to", "bad@")
        with pytest.raises(CommandError, match="no distribution list"):
            call_command("report", "send", "highlight", "--authority", "E10000003",
                         "--as-of", "2020-11-29")
        assert not EmailDelivery.objects.exists()
