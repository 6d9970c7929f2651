"""An outbreak's history reads as people write it: dates in words, who recorded each dated
update and status change, and a closure that lies ahead is expected, not done."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Role
from caresight.core.timeutils import long_date
from caresight.outbreaks import services
from caresight.outbreaks.tests.test_services import counts, report
from caresight.registry.tests.factories import LocationFactory

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def visible_text(html: str) -> str:
    body = html.split('id="main-content"', 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


@pytest.fixture
def officer(client, make_user, cambs):
    user = make_user(Role.PUBLIC_HEALTH, cambs)
    user.full_name = "Priya Shah"
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, name="Willow Court")


@pytest.mark.django_db
class TestOutbreakHistory:
    def test_a_closure_ahead_is_expected_not_done(self, client, officer, home):
        today = timezone.localdate()
        outbreak = report(home, on=today - dt.timedelta(days=2), user=officer)
        closes = outbreak.closed_on
        assert closes > today
        page = client.get(reverse("outbreaks:detail", args=[outbreak.pk])).content.decode()
        assert f"Expected to close on {long_date(closes)}, if no new case" in page
        de_escalates = today - dt.timedelta(days=2) + dt.timedelta(days=14)
        assert f"Expected to de-escalate on {long_date(de_escalates)}" in page
        assert "Closed on" not in page
        listing = client.get(reverse("outbreaks:location", args=[home.pk])).content.decode()
        assert f"Expected to close on {long_date(closes)}" in listing
        assert "Closed on" not in listing

    def test_a_closure_that_happened_says_so(self, client, officer, home):
        outbreak = report(home, user=officer)  # 1 June 2020: closed on 29 June 2020
        page = client.get(reverse("outbreaks:detail", args=[outbreak.pk])).content.decode()
        assert "Closed on 29 June 2020" in page and "Expected to close" not in page
        listing = client.get(reverse("outbreaks:location", args=[home.pk])).content.decode()
        assert "Closed on 29 June 2020" in listing

    def test_each_update_and_change_says_who_recorded_it_and_when_in_words(
            self, client, officer, home, make_user, cambs):
        outbreak = report(home, user=officer)
        other = make_user(Role.PUBLIC_HEALTH, cambs, email="sam@example.org")
        services.update_record(outbreak=outbreak, on=dt.date(2020, 6, 5),
                               counts=counts(), user=other)
        services.status_override(outbreak=outbreak, on=dt.date(2020, 6, 6),
                                 status="de_escalation", reason="All tested negative",
                                 user=other)
        html = client.get(reverse("outbreaks:detail", args=[outbreak.pk])).content.decode()
        updates = html.split('data-testid="updates"', 1)[1].split("</table>", 1)[0]
        assert "Priya Shah" in updates and "sam@example.org" in updates
        assert "1 June 2020" in updates and "5 June 2020" in updates
        changes = html.split('data-testid="status-changes"', 1)[1].split("</table>", 1)[0]
        assert "sam@example.org" in changes and "All tested negative" in changes
        recorded = long_date(timezone.localdate())
        assert f"on {recorded}" in updates and f"on {recorded}" in changes
        assert not ISO_DATE.search(visible_text(html))

    def test_the_record_history_writes_dates_in_words(self, client, officer, home):
        outbreak = report(home, user=officer)
        services.update_record(outbreak=outbreak, on=dt.date(2020, 6, 10), counts=counts(),
                               user=officer)
        html = client.get(reverse("outbreaks:history", args=[outbreak.pk])).content.decode()
        text = visible_text(html)
        assert not ISO_DATE.search(text)
        assert "8 July 2020" in text  # the closure moved with the new case
        assert "expected until the day has passed" in text
