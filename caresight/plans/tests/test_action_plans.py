import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Membership, Role
from caresight.core.imports import run_import
from caresight.core.tenancy import OPERATOR

from .. import selectors, services
from ..models import PlanAction, ProgressUpdate
from ..tables import FILE_HEADERS
from .factories import START, support_plan

pytestmark = pytest.mark.django_db


def _rows(plan, on):
    return {r["title"]: r for r in selectors.action_rows(user=OPERATOR, as_of=on, plan=plan)}


def test_each_action_stands_as_it_did_on_the_day_asked(cambs):
    made = support_plan(cambs)
    training = made["training"]
    services.progress_update_add(action=training, on=dt.date(2020, 6, 10),
                                 text="Rolled out to 174 care homes; 17 declined.",
                                 status="in_progress", rag="green", user=OPERATOR)
    services.progress_update_add(action=training, on=dt.date(2020, 7, 20),
                                 text="All training completed.", status="complete", rag="green",
                                 user=OPERATOR)
    on_june_1 = _rows(made["plan"], dt.date(2020, 6, 1))
    assert set(on_june_1) == {"IPC Training", "Ongoing support"}  # step down beds: 15 June
    assert (on_june_1["IPC Training"]["rag"], on_june_1["IPC Training"]["progress"]) == (
        "amber", "")
    on_june_30 = _rows(made["plan"], dt.date(2020, 6, 30))
    assert on_june_30["IPC Training"]["progress"].startswith("Rolled out to 174")
    assert on_june_30["IPC Training"]["rag"] == "green"
    assert not on_june_30["IPC Training"]["overdue"]
    on_july_1 = _rows(made["plan"], dt.date(2020, 7, 1))
    assert on_july_1["IPC Training"]["overdue"]
    assert [r["title"] for r in selectors.overdue_rows(list(on_july_1.values()))] == [
        "IPC Training"]
    on_august = _rows(made["plan"], dt.date(2020, 8, 1))
    assert on_august["IPC Training"]["status"] == "complete"
    assert not on_august["IPC Training"]["overdue"]
    assert on_august["Step down beds"]["overdue"]


def test_bad_progress_and_dates_are_refused_naming_the_field(cambs):
    made = support_plan(cambs)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        (dict(on=tomorrow), "on", "in the future"),
        (dict(on=START - dt.timedelta(days=1)), "on", "cannot be dated before"),
        (dict(text="  "), "text", "Describe"),
    ]
    for change, field, words in cases:
        args = dict(action=made["training"], on=dt.date(2020, 6, 1), text="Done",
                    status="complete", rag="green", user=OPERATOR) | change
        with pytest.raises(ValidationError) as caught:
            services.progress_update_add(**args)
        assert words in caught.value.message_dict[field][0]
    assert not ProgressUpdate.objects.exists()
    with pytest.raises(ValidationError) as caught:
        services.plan_action_save(area=made["areas"][0], title="Late", timeline="date",
                                  due_on=dt.date(2020, 5, 1), started_on=START, user=OPERATOR)
    assert "on or after the action's start" in caught.value.message_dict["due_on"][0]
    assert not PlanAction.objects.filter(title="Late").exists()


def test_a_partner_updates_only_the_actions_it_leads(cambs, make_user, client):
    made = support_plan(cambs)
    partner = make_user(Role.PARTNER, cambs)
    Membership.objects.filter(user=partner).update(organisation=made["ccg"])
    services.progress_update_add(action=made["training"], on=dt.date(2020, 6, 2),
                                 text="Sessions booked", status="in_progress", rag="amber",
                                 user=partner)
    with pytest.raises(ValidationError) as caught:
        services.progress_update_add(action=made["step_down"], on=dt.date(2020, 6, 20),
                                     text="Hijack", status="complete", rag="green",
                                     user=partner)
    assert "Peterborough City Council" in caught.value.message_dict["action"][0]
    client.force_login(partner)
    url = reverse("plans:action-progress", args=[made["step_down"].pk])
    refused = client.post(url, {"on": "2020-06-20", "text": "Hijack", "status": "complete",
                                "rag": "green"})
    assert refused.status_code == 403
    assert "does not lead this action" in refused.content.decode()
    assert not made["step_down"].updates.exists()
    page = client.get(reverse("plans:action", args=[made["training"].pk]))
    assert "Record progress" in page.content.decode()
    history = made["training"].updates.get().history.get()
    assert history.history_user == partner


def test_the_download_is_the_seed_table_and_reads_back_into_a_plan(cambs, client, make_user):
    made = support_plan(cambs)
    services.progress_update_add(action=made["training"], on=dt.date(2020, 6, 10),
                                 text="Rolled out to 174 care homes.", status="in_progress",
                                 rag="green", user=OPERATOR)
    client.force_login(make_user(Role.COMMISSIONER, cambs))
    url = reverse("plans:plan", args=[made["plan"].pk])
    csv = client.get(url, {"as_of": "2020-07-01", "download": "csv"})
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(FILE_HEADERS)
    xlsx = client.get(url, {"as_of": "2020-07-01", "download": "xlsx"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    values = list(sheet.values)
    assert list(values[0]) == FILE_HEADERS
    assert values[1][:6] == ("Infection Prevention and Control", "IPC Training",
                             "Train the trainer model rolled out", "30 June 2020",
                             "Cambridgeshire and Peterborough CCG",
                             "Rolled out to 174 care homes.")
    copy = support_plan(cambs, name="Copy")["plan"]
    copy.areas.all().delete()
    preview = run_import("action-plan", data=xlsx, file_name="plan.xlsx", user=OPERATOR,
                         dry_run=True, target=str(copy.pk))
    assert preview.ok, preview.errors
    assert preview.counts["created"] == 3 and preview.counts["progress"] == 1
    done = run_import("action-plan", data=xlsx, file_name="plan.xlsx", user=OPERATOR,
                      dry_run=False, target=str(copy.pk))
    assert done.ok
    original = {k: {f: v for f, v in r.items() if f not in ("action_id", "plan_id", "plan")}
                for k, r in _rows(made["plan"], dt.date(2020, 7, 1)).items()}
    copied = {k: {f: v for f, v in r.items() if f not in ("action_id", "plan_id", "plan")}
              for k, r in _rows(copy, dt.date(2020, 7, 1)).items()}
    assert copied == original
    again = run_import("action-plan", data=xlsx, file_name="plan.xlsx", user=OPERATOR,
                       dry_run=True, target=str(copy.pk))
    assert not again.would_change


def test_a_bad_file_names_each_row_and_writes_nothing(cambs):
    made = support_plan(cambs)
    data = (b"Area,Action,Description,Timeline,Lead,Progress,Progress dated\n"
            b"IPC,Masks,,someday,CCG,,\n"
            b"IPC,Visors,,Ongoing,Nobody Trust,,\n"
            b"IPC,Gowns,,Ongoing,Cambridgeshire and Peterborough CCG,Done,2999-01-01\n"
            b",Gloves,,Ongoing,,,\n")
    result = run_import("action-plan", data=data, file_name="bad.csv", user=OPERATOR,
                        dry_run=False, target=str(made["plan"].pk))
    assert not result.ok
    found = {(e.row, e.field) for e in result.errors}
    assert {(2, "Timeline"), (3, "Lead"), (4, "Progress dated"), (5, "Area")} <= found
    assert made["plan"].areas.count() == 2
    assert PlanAction.objects.count() == 3
    missing = run_import("action-plan", data=b"Action,Lead\nx,y\n", file_name="x.csv",
                         user=OPERATOR, dry_run=True, target=str(made["plan"].pk))
    assert "Required columns are missing" in missing.file_error


def test_another_councils_plan_is_not_found(cambs, devon, make_user, client):
    theirs = support_plan(devon)
    client.force_login(make_user(Role.COMMISSIONER, cambs))
    for name, pk in (("plans:plan", theirs["plan"].pk), ("plans:action", theirs["training"].pk),
                     ("plans:import", theirs["plan"].pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.get(reverse("plans:overdue"), {"as_of": "2020-08-01"}).content.decode(
    ).count("Step down beds") == 0


def test_the_api_lists_actions_as_of_a_day_and_records_progress(cambs, make_user):
    from rest_framework.test import APIClient

    made = support_plan(cambs)
    api = APIClient()
    api.force_authenticate(make_user(Role.COMMISSIONER, cambs))
    listed = api.get("/api/plan-actions/", {"plan": made["plan"].pk, "as_of": "2020-06-01"})
    assert listed.status_code == 200
    assert [r["title"] for r in listed.json()] == ["IPC Training", "Ongoing support"]
    bad = api.post(f"/api/plan-actions/{made['training'].pk}/progress/",
                   {"on": "2020-05-01", "text": "x", "status": "complete", "rag": "green"},
                   format="json")
    assert bad.status_code == 400 and "on" in bad.json()["error"]["fields"]
    good = api.post(f"/api/plan-actions/{made['training'].pk}/progress/",
                    {"on": "2020-06-05", "text": "Booked", "status": "in_progress",
                     "rag": "green"}, format="json")
    assert good.status_code == 201 and good.json()["progress"] == "Booked"
    changed = api.patch(f"/api/plan-actions/{made['training'].pk}/",
                        {"due_on": "2020-05-01"}, format="json")
    assert changed.status_code == 400 and "due_on" in changed.json()["error"]["fields"]
