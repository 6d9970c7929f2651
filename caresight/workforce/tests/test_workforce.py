"""The council's workforce: teams, weeks, the seed 000 sentence, the trend, pages and API."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from caresight.accounts.models import Role
from caresight.core.models import DownloadRecord
from caresight.core.tenancy import OPERATOR

from .. import selectors, services
from ..models import Team, TeamWeek
from .factories import MONDAY, SEED_COUNTS, team, week

SEED_SENTENCE = (
    "Commissioning currently has 15 staff absent due to COVID-19: self-isolating with "
    "symptoms 0; self-isolating because of a household member, working from home 0; "
    "shielding or social distancing, working from home 15; COVID-19 positive 0; other 0.")


def this_monday() -> dt.date:
    return selectors.monday(timezone.localdate())


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs)


@pytest.fixture
def commissioning(cambs):
    return team(cambs)


def nothing_written():
    assert TeamWeek.objects.count() == 0
    assert TeamWeek.history.count() == 0


@pytest.mark.django_db
class TestBadInput:
    def test_absences_above_staff_in_post_name_the_fields_and_write_nothing(self,
                                                                            commissioning):
        with pytest.raises(ValidationError) as refused:
            week(commissioning, staff_in_post=10, absent_shielding=8, absent_symptoms=3)
        errors = refused.value.message_dict
        assert set(errors) == {"staff_in_post"}
        assert errors["staff_in_post"] == [
            "Staff in post (10) must be at least the staff absent (11 in all): an absence "
            "count above staff in post."]
        nothing_written()

    def test_absences_equal_to_staff_in_post_are_fine(self, commissioning):
        assert week(commissioning, staff_in_post=15).total_absent == 15

    def test_a_week_in_the_future_is_refused(self, commissioning):
        next_monday = this_monday() + dt.timedelta(weeks=1)
        with pytest.raises(ValidationError) as refused:
            week(commissioning, on=next_monday)
        assert refused.value.message_dict["week_commencing"][0].endswith("is in the future.")
        nothing_written()

    def test_this_week_may_be_recorded(self, commissioning):
        assert week(commissioning, on=this_monday()).week_commencing == this_monday()

    def test_a_day_other_than_a_monday_is_refused_with_its_monday(self, commissioning):
        with pytest.raises(ValidationError) as refused:
            week(commissioning, on=dt.date(2020, 6, 4))
        assert refused.value.message_dict == {"week_commencing": [
            "The week commencing must be a Monday: 4 June 2020 is a Thursday; that week's "
            "Monday is 1 June 2020."]}
        nothing_written()

    @pytest.mark.parametrize("field", ["staff_in_post", "absent_other", "vacancies",
                                       "redeployed_out"])
    def test_a_negative_count_is_refused_naming_it(self, commissioning, field):
        with pytest.raises(ValidationError) as refused:
            week(commissioning, **{field: -1})
        assert list(refused.value.message_dict) == [field]
        assert "must be 0 or more, not -1" in refused.value.message_dict[field][0]
        nothing_written()

    def test_a_count_that_is_not_a_whole_number_is_refused(self, commissioning):
        with pytest.raises(ValidationError) as refused:
            week(commissioning, vacancies="2")
        assert refused.value.message_dict == {"vacancies": [
            "Enter vacancies as a whole number."]}
        nothing_written()

    def test_a_correction_above_staff_in_post_leaves_the_week_as_it_was(self, commissioning):
        recorded = week(commissioning)
        with pytest.raises(ValidationError) as refused:
            services.team_week_update(week=recorded, staff_in_post=14, user=OPERATOR)
        assert "staff_in_post" in refused.value.message_dict
        recorded.refresh_from_db()
        assert recorded.staff_in_post == 40 and recorded.history.count() == 1

    def test_a_second_team_of_the_same_name_is_refused(self, cambs, devon, commissioning):
        with pytest.raises(ValidationError) as refused:
            team(cambs, name="  commissioning ")
        assert refused.value.message_dict == {"name": [
            "Cambridgeshire already has a team called commissioning."]}
        assert team(devon).authority == devon  # another council may have one
        assert Team.objects.filter(authority=cambs).count() == 1

    def test_the_form_names_a_non_monday_and_writes_nothing(self, client, officer,
                                                            commissioning):
        client.force_login(officer)
        url = reverse("workforce:week-new", args=[commissioning.pk])
        form = client.get(url).context["form"]
        response = client.post(url, {**SEED_COUNTS, "week_commencing": "2020-06-03",
                                     "submission_token": form["submission_token"].value(),
                                     **{f: 0 for f in ("vacancies", "redeployed_in",
                                                       "redeployed_out")}})
        assert response.status_code == 200
        assert "must be a Monday: 3 June 2020 is a Wednesday" in response.content.decode()
        assert "week_commencing" in response.context["form"].errors
        nothing_written()


def api_week(team, **changes):
    return {"team": team.pk, "week_commencing": MONDAY.isoformat(), **SEED_COUNTS, **changes}


@pytest.mark.django_db
class TestApi:
    @pytest.mark.parametrize("field", ["staff_in_post", "absent_symptoms", "vacancies",
                                       "redeployed_in"])
    def test_a_negative_number_is_a_400_naming_it_and_writes_nothing(self, officer,
                                                                     commissioning, field):
        response = api_client(officer).post("/api/workforce-weeks/",
                                            api_week(commissioning, **{field: -2}),
                                            format="json")
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == [field]
        nothing_written()

    def test_absences_above_staff_in_post_are_a_400_naming_the_fields(self, officer,
                                                                      commissioning):
        response = api_client(officer).post("/api/workforce-weeks/",
                                            api_week(commissioning, staff_in_post=3),
                                            format="json")
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"staff_in_post"}
        nothing_written()

    def test_a_non_monday_and_a_future_week_are_400s(self, officer, commissioning):
        client = api_client(officer)
        for day in (dt.date(2020, 6, 2), this_monday() + dt.timedelta(weeks=2)):
            response = client.post("/api/workforce-weeks/",
                                   api_week(commissioning, week_commencing=day.isoformat()),
                                   format="json")
            assert response.status_code == 400
            assert list(response.json()["error"]["fields"]) == ["week_commencing"]
        nothing_written()

    def test_create_then_record_again_corrects_and_patch_updates(self, officer, commissioning):
        client = api_client(officer)
        created = client.post("/api/workforce-weeks/", api_week(commissioning), format="json")
        assert created.status_code == 201
        body = created.json()
        assert (body["total_absent"], body["percent_absent"]) == (15, "37.5")
        again = client.post("/api/workforce-weeks/", api_week(commissioning, absent_other=1),
                            format="json")
        assert again.status_code == 200 and again.json()["id"] == body["id"]
        patched = client.patch(f"/api/workforce-weeks/{body['id']}/", {"vacancies": 4},
                               format="json")
        assert patched.status_code == 200
        assert (patched.json()["vacancies"], patched.json()["total_absent"]) == (4, 16)
        moved = client.patch(f"/api/workforce-weeks/{body['id']}/",
                             {"week_commencing": "2020-06-08"}, format="json")
        assert moved.status_code == 400
        assert list(moved.json()["error"]["fields"]) == ["week_commencing"]
        assert TeamWeek.objects.get().history.count() == 3

    def test_another_councils_team_and_week_are_404_and_cannot_be_named(self, officer,
                                                                         devon):
        theirs = team(devon)
        their_week = week(theirs)
        client = api_client(officer)
        assert client.get(f"/api/workforce-teams/{theirs.pk}/").status_code == 404
        assert client.get(f"/api/workforce-weeks/{their_week.pk}/").status_code == 404
        response = client.post("/api/workforce-weeks/", api_week(theirs, absent_other=1),
                               format="json")
        assert response.status_code == 400 and "team" in response.json()["error"]["fields"]
        their_week.refresh_from_db()
        assert their_week.absent_other == 0

    def test_lists_answer_as_of_a_day(self, officer, commissioning):
        week(commissioning, on=MONDAY, absent_shielding=15)
        week(commissioning, on=MONDAY + dt.timedelta(weeks=1), absent_shielding=12)
        client = api_client(officer)
        weeks = client.get("/api/workforce-weeks/", {"as_of": "2020-06-07"}).json()
        assert [w["week_commencing"] for w in weeks["results"]] == ["2020-06-01"]
        teams = client.get("/api/workforce-teams/", {"as_of": "2020-06-10"}).json()
        assert teams["results"][0]["week"]["absent_shielding"] == 12
        teams = client.get("/api/workforce-teams/", {"as_of": "2020-05-31"}).json()
        assert teams["results"][0]["week"] is None
        bad = client.get("/api/workforce-weeks/", {"as_of": "yesterday"})
        assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["as_of"]

    def test_a_team_is_created_and_renamed_through_the_services(self, officer, cambs):
        client = api_client(officer)
        created = client.post("/api/workforce-teams/", {"authority": "E10000003",
                                                        "name": "Brokerage"}, format="json")
        assert created.status_code == 201
        renamed = client.patch(f"/api/workforce-teams/{created.json()['id']}/",
                               {"name": "Brokerage team"}, format="json")
        assert renamed.json()["name"] == "Brokerage team"
        assert [h.history_change_reason for h in Team.objects.get().history.all()] == [
            "Team renamed", "Team added"]
        other = client.post("/api/workforce-teams/", {"authority": "E10000008",
                                                      "name": "Brokerage"}, format="json")
        assert other.status_code == 400 and "authority" in other.json()["error"]["fields"]


@pytest.mark.django_db
class TestSentence:
    def test_the_seeds_numbers_read_exactly_as_the_report(self, commissioning):
        week(commissioning, on=this_monday())
        weeks = selectors.weeks_as_of(user=OPERATOR, as_of=timezone.localdate())
        assert selectors.absence_sentences(weeks, as_of=timezone.localdate()) == [
            SEED_SENTENCE]

    def test_a_past_day_says_had(self, commissioning):
        week(commissioning)
        weeks = selectors.weeks_as_of(user=OPERATOR, as_of=dt.date(2020, 6, 4))
        assert selectors.absence_sentences(weeks, as_of=dt.date(2020, 6, 4)) == [
            SEED_SENTENCE.replace("currently has", "had")]

    def test_one_member_of_staff_and_a_total_across_teams(self, cambs, commissioning):
        week(commissioning, absent_shielding=0, absent_positive=1)
        week(team(cambs, "Brokerage"), staff_in_post=5, absent_shielding=0)
        weeks = selectors.weeks_as_of(user=OPERATOR, as_of=dt.date(2020, 6, 4))
        assert [w.team.name for w in weeks] == ["Brokerage", "Commissioning"]
        assert selectors.absence_sentences(weeks, as_of=dt.date(2020, 6, 4)) == [
            "Brokerage had no staff absent due to COVID-19.",
            "Commissioning had 1 member of staff absent due to COVID-19: self-isolating with "
            "symptoms 0; self-isolating because of a household member, working from home 0; "
            "shielding or social distancing, working from home 0; COVID-19 positive 1; "
            "other 0.",
            "Across the 2 teams, the council had 1 member of staff absent due to COVID-19: "
            "self-isolating with symptoms 0; self-isolating because of a household member, "
            "working from home 0; shielding or social distancing, working from home 0; "
            "COVID-19 positive 1; other 0.",
        ]

    def test_teams_of_several_councils_are_named_with_their_council(self, devon,
                                                                    commissioning):
        week(commissioning)
        week(team(devon), absent_shielding=2)
        weeks = selectors.weeks_as_of(user=OPERATOR, as_of=dt.date(2020, 6, 4))
        sentences = selectors.absence_sentences(weeks, as_of=dt.date(2020, 6, 4))
        assert sentences[0].startswith("Commissioning (Cambridgeshire) had 15 staff")
        assert sentences[1].startswith("Commissioning (Devon) had 2 staff")
        assert sentences[2].startswith("Across the 2 teams, the council had 17 staff")


@pytest.mark.django_db
class TestAsOf:
    def test_the_latest_week_on_or_before_the_day_is_used(self, commissioning):
        for n, shielding in enumerate([15, 12, 9]):
            week(commissioning, on=MONDAY + dt.timedelta(weeks=n), absent_shielding=shielding)

        def shielding_on(day):
            return [w.absent_shielding for w in selectors.weeks_as_of(user=OPERATOR, as_of=day)]

        assert shielding_on(dt.date(2020, 5, 31)) == []
        assert shielding_on(dt.date(2020, 6, 1)) == [15]
        assert shielding_on(dt.date(2020, 6, 7)) == [15]
        assert shielding_on(dt.date(2020, 6, 10)) == [12]
        assert shielding_on(dt.date(2020, 9, 1)) == [9]

    def test_another_councils_weeks_are_not_read(self, officer, devon, commissioning):
        week(commissioning)
        week(team(devon))
        assert [w.team.authority.ons_code for w in selectors.weeks_as_of(
            user=officer, as_of=dt.date(2020, 6, 4))] == ["E10000003"]


@pytest.mark.django_db
class TestTrend:
    def test_weeks_add_up_over_teams_and_a_week_not_recorded_is_empty(self, cambs,
                                                                      commissioning):
        brokerage = team(cambs, "Brokerage")
        week(commissioning, on=MONDAY, vacancies=2, redeployed_out=1)
        week(brokerage, on=MONDAY, staff_in_post=10, absent_shielding=1, absent_symptoms=2,
             absent_other=1, redeployed_in=3)
        week(commissioning, on=MONDAY + dt.timedelta(weeks=2), absent_shielding=10)
        rows = selectors.trend(user=OPERATOR, as_of=dt.date(2020, 6, 18), weeks=4)
        assert [r["week_commencing"] for r in rows] == [
            dt.date(2020, 5, 25), dt.date(2020, 6, 1), dt.date(2020, 6, 8),
            dt.date(2020, 6, 15)]
        empty, first, gap, third = rows
        assert empty["teams"] == 0 and empty["total_absent"] is None
        assert gap["staff_in_post"] is None
        assert (first["teams"], first["staff_in_post"], first["absent_symptoms"],
                first["absent_shielding"], first["absent_other"], first["total_absent"],
                first["vacancies"], first["redeployed_in"], first["redeployed_out"]) == (
            2, 50, 2, 16, 1, 19, 2, 3, 1)
        assert str(first["percent_absent"]) == "38.0"
        assert (third["teams"], third["total_absent"], str(third["percent_absent"])) == (
            1, 10, "25.0")

    def test_the_trend_of_one_team(self, cambs, commissioning):
        week(commissioning)
        week(team(cambs, "Brokerage"), staff_in_post=10, absent_shielding=1)
        rows = selectors.trend(user=OPERATOR, as_of=dt.date(2020, 6, 4), weeks=1,
                               team=commissioning.pk)
        assert (rows[0]["teams"], rows[0]["total_absent"]) == (1, 15)


@pytest.mark.django_db
class TestPages:
    def test_the_summary_has_the_sentence_chart_and_tables(self, client, officer,
                                                           commissioning):
        week(commissioning, on=this_monday())
        client.force_login(officer)
        page = client.get(reverse("workforce:summary")).content.decode()
        assert SEED_SENTENCE in page
        assert "<svg" in page and 'aria-labelledby="trend-caption"' in page
        assert "COVID-19 absences week by week" in page
        assert "Shielding or social distancing, working from home" in page
        assert 'href="/workforce/teams/new/"' in page  # a commissioner may add a team

    def test_a_reader_sees_no_writing_links(self, client, cambs, make_user, commissioning):
        week(commissioning)
        client.force_login(make_user(Role.PARTNER, cambs))
        page = client.get(reverse("workforce:summary"), {"as_of": "2020-06-04"}
                          ).content.decode()
        assert SEED_SENTENCE.replace("currently has", "had") in page
        assert "/workforce/teams/new/" not in page
        detail = client.get(reverse("workforce:team-detail", args=[commissioning.pk]))
        assert "Record a week" not in detail.content.decode()

    def test_a_bad_as_of_is_named(self, client, officer):
        client.force_login(officer)
        response = client.get(reverse("workforce:summary"), {"as_of": "someday"})
        assert response.status_code == 400
        assert "There is a problem" in response.content.decode()

    def test_recording_a_week_through_the_form(self, client, officer, commissioning):
        client.force_login(officer)
        url = reverse("workforce:week-new", args=[commissioning.pk])
        token = client.get(url).context["form"]["submission_token"].value()
        data = {**SEED_COUNTS, "week_commencing": "2020-06-01", "vacancies": 1,
                "redeployed_in": 0, "redeployed_out": 0, "note": "From the weekly return",
                "submission_token": token}
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"] == reverse("workforce:team-detail",
                                               args=[commissioning.pk])
        again = client.post(url, data)  # a double click
        assert again.status_code == 302
        recorded = TeamWeek.objects.get()
        assert (recorded.absent_shielding, recorded.note) == (15, "From the weekly return")
        assert recorded.created_by == officer
        detail = client.get(response["Location"]).content.decode()
        assert "1 June 2020" in detail and "From the weekly return" in detail

    def test_correcting_a_week_and_its_history(self, client, officer, commissioning):
        recorded = week(commissioning)
        client.force_login(officer)
        url = reverse("workforce:week-edit", args=[recorded.pk])
        data = {**SEED_COUNTS, "absent_shielding": 14, "vacancies": 0, "redeployed_in": 0,
                "redeployed_out": 0, "note": ""}
        assert client.post(url, data).status_code == 302
        recorded.refresh_from_db()
        assert recorded.absent_shielding == 14
        history = list(recorded.history.all())
        assert [h.history_change_reason for h in history] == ["Week corrected",
                                                              "Week recorded"]
        assert history[0].history_user == officer and history[1].history_user is None
        page = client.get(reverse("workforce:week-history", args=[recorded.pk]))
        assert page.status_code == 200 and "Week corrected" in page.content.decode()

    def test_adding_a_team(self, client, officer):
        client.force_login(officer)
        url = reverse("workforce:team-new")
        token = client.get(url).context["form"]["submission_token"].value()
        response = client.post(url, {"authority": officer.memberships.get().authorities
                                     .get().pk, "name": "Brokerage",
                                     "submission_token": token})
        assert response.status_code == 302
        assert Team.objects.get().name == "Brokerage"
        assert Team.objects.get().history.get().history_change_reason == "Team added"

    def test_another_councils_team_and_week_are_not_found(self, client, officer, devon):
        theirs = team(devon)
        their_week = week(theirs)
        client.force_login(officer)
        for url in (reverse("workforce:team-detail", args=[theirs.pk]),
                    reverse("workforce:week-new", args=[theirs.pk]),
                    reverse("workforce:week-edit", args=[their_week.pk]),
                    reverse("workforce:week-history", args=[their_week.pk])):
            assert client.get(url).status_code == 404, url
        client.post(reverse("workforce:week-edit", args=[their_week.pk]),
                    {**SEED_COUNTS, "absent_shielding": 1})
        their_week.refresh_from_db()
        assert their_week.absent_shielding == 15


@pytest.mark.django_db
class TestDownloads:
    def test_the_trend_as_csv_and_xlsx(self, client, officer, commissioning):
        week(commissioning, vacancies=3)
        client.force_login(officer)
        url = reverse("workforce:summary")
        query = {"as_of": "2020-06-04", "weeks": "6"}
        response = client.get(url, {**query, "download": "csv"})
        assert response["Content-Disposition"] == (
            'attachment; filename="workforce-absences-2020-06-04.csv"')
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == [
            "Week commencing", "Teams recording", "Staff in post",
            "Self-isolating with symptoms",
            "Self-isolating because of a household member, working from home",
            "Shielding or social distancing, working from home", "COVID-19 positive", "Other",
            "Total absent", "% absent", "Vacancies", "Redeployed in", "Redeployed out"]
        assert len(rows) == 7
        assert rows[-1] == ["2020-06-01", "1", "40", "0", "0", "15", "0", "0", "15", "37.5",
                            "3", "0", "0"]
        assert DownloadRecord.objects.get().rows == 6
        book = openpyxl.load_workbook(io.BytesIO(client.get(
            url, {**query, "download": "xlsx"}).content))
        sheet = book.active
        assert sheet["A1"].value == "Week commencing" and sheet["J1"].value == "% absent"
        assert sheet["A7"].value == dt.datetime(2020, 6, 1)
        assert (sheet["C7"].value, sheet["F7"].value, sheet["I7"].value) == (40, 15, 15)
        assert sheet["J7"].value == pytest.approx(0.375)
        assert sheet["J7"].number_format == "0.0%"
        assert sheet["C2"].value is None  # a week no team recorded

    def test_the_export_command(self, tmp_path, cambs, devon, commissioning):
        week(commissioning)
        week(commissioning, on=MONDAY + dt.timedelta(weeks=1), absent_shielding=12)
        week(team(devon, "Brokerage"))
        out = tmp_path / "workforce.csv"
        call_command("export", "workforce", "--to", "2020-06-07", "--authority", "E10000003",
                     "--output", str(out), stderr=io.StringIO())
        rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
        assert [(r["Authority"], r["Team"], r["Week commencing"], r["Total absent"])
                for r in rows] == [("Cambridgeshire", "Commissioning", "2020-06-01", "15")]
