"""A service's outbreaks and an IMT meeting's actions, as tables of the one table layer."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from caresight.core.tests.page_tables import page_table
from caresight.core.timeutils import long_date
from caresight.outbreaks import tables
from caresight.outbreaks.models import ImtAction, ImtMeeting, Outbreak
from caresight.outbreaks.tests.test_services import report


@pytest.mark.django_db
class TestLocationOutbreaks:
    def test_each_outbreak_reads_in_words_and_links_to_its_page(self, client, officer, home):
        outbreak = report(home)
        outbreak.refresh_from_db()
        client.force_login(officer)
        page = client.get(reverse("outbreaks:location", args=[home.pk])).content.decode()
        table = page_table(page, testid="outbreaks")
        assert table.caption == "Outbreaks at Willow Court"
        assert table.headers == ["Reported", "Suspected or confirmed", "Last new case",
                                 "Closure"]
        assert table.rows == [["1 June 2020", "Confirmed", long_date(outbreak.last_case_on),
                               f"Closed on {long_date(outbreak.closed_on)}"]]
        url = reverse("outbreaks:detail", args=[outbreak.pk])
        assert f'<a class="govuk-link" href="{url}">1 June 2020</a>' in page

    def test_an_outbreak_kept_live_and_none_at_all(self, home):
        kept = Outbreak(pk=1, reported_on=dt.date(2020, 6, 2), kind="suspected",
                        last_case_on=None, closed_on=None)
        body = list(tables.location_outbreaks_table(home, [kept]).body)
        assert [c.text for c in body[0]] == ["2 June 2020", "Suspected", "–",
                                             "Kept live by an officer"]
        empty = tables.location_outbreaks_table(home, [])
        assert (list(empty.body), empty.empty_message) == ([], "No outbreaks recorded.")


@pytest.mark.django_db
class TestImtActions:
    @pytest.fixture
    def meeting(self, home):
        today = timezone.localdate()
        meeting = ImtMeeting.objects.create(location=home, held_on=today, attendees="DPH")
        late = ImtAction.objects.create(meeting=meeting, description="Whole-home testing",
                                        owner="CCG", due_on=dt.date(2020, 6, 12))
        done = ImtAction.objects.create(meeting=meeting, description="Call the manager",
                                        owner="DPH", due_on=dt.date(2020, 6, 13),
                                        done_on=dt.date(2020, 6, 14))
        return {"meeting": meeting, "late": late, "done": done}

    def test_actions_read_in_words_with_overdue_tagged_and_a_button(self, client, officer,
                                                                    meeting):
        client.force_login(officer)
        page = client.get(reverse("outbreaks:imt", args=[meeting["meeting"].pk])).content
        table = page_table(page, testid="actions")
        assert table.caption == "Actions"
        assert table.headers == ["Action", "Owner", "Due", "Done"]
        assert table.rows == [
            ["Whole-home testing", "CCG", "12 June 2020 Overdue", "Mark done"],
            ["Call the manager", "DPH", "13 June 2020", "14 June 2020"]]
        html = page.decode()
        assert '12 June 2020 <strong class="govuk-tag govuk-tag--red">Overdue</strong>' in html
        action = reverse("outbreaks:imt-action-done", args=[meeting["late"].pk])
        assert f'<form method="post" action="{action}"><input type="hidden"' in html
        assert ('Mark done<span class="govuk-visually-hidden">: Whole-home testing</span>'
                '</button></form>') in html

    def test_without_the_right_to_manage_an_open_action_is_not_yet_done(self, meeting):
        table = tables.imt_actions_table([meeting["late"]], today=timezone.localdate(),
                                         can_manage=False)
        cells = list(table.body)[0]
        assert [c.text for c in cells] == ["Whole-home testing", "CCG", "12 June 2020",
                                           "Not yet"]
        assert cells[2].tag == "Overdue" and cells[3].button is None
