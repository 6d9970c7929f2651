"""An import job's page: its problems and its counts, as tables of the one table layer."""

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.models import Job
from caresight.core.tests.page_tables import page_table

OUTCOMES = [{"outcome": "created", "label": "created", "count": 1234},
            {"outcome": "updated", "label": "updated", "count": 0},
            {"outcome": "outside", "label": "outside your authorities (left alone)",
             "count": 2}]


@pytest.fixture
def officer(make_user, devon):
    return make_user(Role.ADMIN, devon)


def job(user, status, **result) -> Job:
    return Job.objects.create(kind="cqc", status=status, file_name="x.csv", created_by=user,
                              result={"summary": "Checked.", **result})


@pytest.mark.django_db
class TestJobTables:
    def test_what_will_change_counted_and_right_aligned(self, client, officer):
        client.force_login(officer)
        preview = job(officer, Job.Status.PREVIEWED, outcomes=OUTCOMES, would_change=True)
        page = client.get(reverse("job-detail", args=[preview.pk])).content.decode()
        table = page_table(page, caption="What will change")
        assert table.headers == ["Change", "Count"] and table.numeric_headers == ["Count"]
        assert table.rows == [["Created", "1,234"], ["Updated", "0"],
                              ["Outside your authorities (left alone)", "2"]]
        assert ('<td class="govuk-table__cell govuk-table__cell--numeric" '
                'data-testid="count-outside-your-authorities-left-alone">2</td>') in page
        assert '<th scope="row" class="govuk-table__header">Created</th>' in page

    def test_what_changed(self, client, officer):
        client.force_login(officer)
        done = job(officer, Job.Status.DONE, outcomes=OUTCOMES)
        page = client.get(reverse("job-detail", args=[done.pk])).content
        assert page_table(page, caption="What changed").rows[0] == ["Created", "1,234"]

    def test_problems_row_by_row_and_how_many_are_shown(self, client, officer):
        client.force_login(officer)
        errors = [{"row": 3, "field": "cqcid", "message": "Not on the register"},
                  {"row": 1200, "field": "beds", "message": "Enter a whole number"}]
        failed = job(officer, Job.Status.FAILED, errors=errors, error_count=5)
        page = client.get(reverse("job-detail", args=[failed.pk])).content
        table = page_table(page, testid="import-errors")
        assert table.caption == "Problems, row by row (first 2 of 5)"
        assert table.headers == ["Row", "Field", "Problem"]
        assert table.numeric_headers == ["Row"]
        assert table.rows == [["3", "cqcid", "Not on the register"],
                              ["1,200", "beds", "Enter a whole number"]]
        every = job(officer, Job.Status.FAILED, errors=errors[:1], error_count=1)
        page = client.get(reverse("job-detail", args=[every.pk])).content
        assert page_table(page, testid="import-errors").caption == "Problems, row by row"
