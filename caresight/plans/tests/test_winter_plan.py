import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR

from .. import selectors, services, winter_plan
from ..models import WinterEvidence, WinterResponseUpdate

pytestmark = pytest.mark.django_db
AREAS = 23


def test_the_2020_21_checklist_ships_as_data_with_its_23_areas():
    checklist = winter_plan.checklist("2020-21")
    assert len(checklist.areas) == AREAS
    assert checklist.areas[0].name == ("Guidance on infection prevention and outbreak "
                                       "management")
    assert checklist.areas[-1].name == "Acute hospital admissions"
    codes = [r.code for r in checklist.requirements]
    assert len(codes) == len(set(codes)) and all(a.requirements for a in checklist.areas)
    assert any(r.due == dt.date(2020, 10, 31) for r in checklist.requirements)


def test_next_years_checklist_is_a_data_file(tmp_path):
    path = tmp_path / "winter_plan_2021_22.json"
    path.write_text(json.dumps({"code": "2021-22", "title": "Winter plan 2021 to 2022",
                                "published": "2021-11-03", "areas": [
                                    {"code": "ipc", "name": "IPC", "requirements": [
                                        {"code": "ipc-1", "text": "Do it", "due": None}]}]}))
    assert winter_plan.read_checklist(path).requirement("ipc-1").text == "Do it"
    path.write_text(json.dumps({"code": "x", "title": "x", "published": "2021-11-03",
                                "areas": [{"code": "a", "name": "A", "requirements": [
                                    {"code": "a-1", "text": "x"}, {"code": "a-1", "text": "y"}]}]}))
    with pytest.raises(winter_plan.ChecklistError, match="used twice"):
        winter_plan.read_checklist(path)


def _record(authority, code, on, status, **more):
    return services.winter_response_record(authority=authority, checklist="2020-21",
                                           requirement=code, on=on, status=status,
                                           user=OPERATOR, **more)


def test_the_compliance_summary_is_as_it_stood_on_the_day(cambs):
    first, second = winter_plan.checklist().requirements[:2]
    _record(cambs, first.code, dt.date(2020, 10, 1), "partly_met", owner="Director")
    _record(cambs, first.code, dt.date(2020, 10, 29), "met", local_actions="Letter sent")
    _record(cambs, second.code, dt.date(2020, 10, 15), "not_met")
    checklist = winter_plan.checklist()

    def statuses(on):
        rows = selectors.winter_rows(user=OPERATOR, as_of=on, checklist=checklist,
                                     authorities=[cambs])
        return {r["requirement"]: r["status"] for r in rows}, selectors.compliance_summary(rows)

    before, _ = statuses(dt.date(2020, 9, 30))
    assert before[first.code] == "not_assessed"
    middle, _ = statuses(dt.date(2020, 10, 20))
    assert (middle[first.code], middle[second.code]) == ("partly_met", "not_met")
    after, summary = statuses(dt.date(2020, 11, 1))
    assert after[first.code] == "met"
    area = next(s for s in summary if s["area"] == first.area_name)
    assert area["met"] == 1 and area["total"] == sum(
        area[s] for s in ("met", "partly_met", "not_met", "not_applicable", "not_assessed"))
    assert sum(s["total"] for s in summary) == len(checklist.requirements)


def test_bad_responses_are_refused_naming_the_field(cambs):
    code = winter_plan.checklist().requirements[0].code
    with pytest.raises(ValidationError) as caught:
        _record(cambs, code, dt.date(2999, 1, 1), "met")
    assert "in the future" in caught.value.message_dict["on"][0]
    with pytest.raises(ValidationError) as caught:
        _record(cambs, "no-such", dt.date(2020, 10, 1), "met")
    assert "not a requirement" in caught.value.message_dict["requirement"][0]
    with pytest.raises(ValidationError) as caught:
        services.winter_evidence_add(authority=cambs, checklist="2020-21", requirement=code,
                                     title="Script", file_name="run.exe", content=b"MZ",
                                     added_on=dt.date(2020, 10, 1), user=OPERATOR)
    assert "must be a PDF" in caught.value.message_dict["file"][0]
    assert not WinterResponseUpdate.objects.exists() and not WinterEvidence.objects.exists()


def test_the_page_records_a_response_and_the_download_has_every_requirement(
        cambs, devon, make_user, client):
    code = winter_plan.checklist().requirements[0].code
    client.force_login(make_user(Role.COMMISSIONER, cambs))
    url = reverse("plans:winter-response", args=["E10000003", code])
    refused = client.post(url, {"on": "2020-10-30", "status": "met", "due_on": "2019-01-01"})
    assert refused.status_code == 200 and "must be after the winter plan" in \
        refused.content.decode()
    assert client.post(url, {"on": "2020-10-30", "status": "met",
                             "local_actions": "Letter sent"}).status_code == 302
    page = client.get(reverse("plans:winter"), {"as_of": "2020-11-01"})
    assert "1 of" in page.content.decode()
    xlsx = client.get(reverse("plans:winter"), {"as_of": "2020-11-01", "download": "xlsx"})
    sheet = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(sheet) == 1 + len(winter_plan.checklist().requirements)
    assert "Met" in sheet[1] and "Letter sent" in sheet[1]
    assert client.get(reverse("plans:winter-response", args=["E10000008", code])
                      ).status_code == 404


def test_the_cli_exports_the_action_plans_and_the_checklist(cambs, tmp_path):
    from .factories import support_plan

    support_plan(cambs)
    out = tmp_path / "plans.csv"
    call_command("export", "action-plan", "--to", "2020-07-01", "--format", "csv",
                 "--output", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Plan,Area,Action,Description,Timeline,Lead")
    assert "IPC Training" in text and "Step down beds" in text
    out = tmp_path / "winter.csv"
    call_command("export", "winter-plan", "--to", "2020-11-01", "--format", "csv",
                 "--output", str(out))
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) > len(
        winter_plan.checklist().requirements)
