"""`caresight export risk-register|decisions|business-cases`: the operator's files, by area and
day."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from .factories import DAY, make_case, make_decision, make_risk


def exported(tmp_path, *args) -> list[list[str]]:
    target = tmp_path / "out.csv"
    call_command("export", *args, "--output", str(target))
    return list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))


@pytest.mark.django_db
def test_the_register_export_is_the_register_on_the_day_in_one_area(cambs, devon, tmp_path):
    make_risk(cambs, "R1")
    make_risk(devon, "R1", title="Devon's risk")
    make_risk(cambs, "R2", title="Later", raised_on=DAY + dt.timedelta(days=5))
    rows = exported(tmp_path, "risk-register", "--to", DAY.isoformat(), "--authority",
                    "E10000003")
    assert rows[0][:3] == ["Risks", "Mitigations", "Residual Risk"]
    assert [row[0].split("\n")[0] for row in rows[1:]] == ["Market capacity"]


@pytest.mark.django_db
def test_decisions_and_business_cases_exports(cambs, tmp_path):
    make_decision(cambs, decided_on=DAY)
    make_decision(cambs, decided_on=DAY + dt.timedelta(days=10), title="Later decision")
    rows = exported(tmp_path, "decisions", "--from", "2020-06-05", "--to", "2020-06-30")
    assert [row[1] for row in rows[1:]] == ["Later decision"]
    make_case(cambs, status="approved")
    rows = exported(tmp_path, "business-cases", "--to", DAY.isoformat())
    assert rows[0][5] == "Status" and rows[1][5] == "Approved"
