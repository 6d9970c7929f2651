"""The Capacity Tracker import's set-based path (PostgreSQL) gives what the row-by-row one does."""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from caresight.accounts.models import Role
from caresight.core.audit import history_written
from caresight.core.imports import DATA_CHANGED
from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory
from caresight.returns import current, services
from caresight.returns.bulk_import import _Cells
from caresight.returns.models import CurrentReturn, Measure, MeasureSet, Return
from caresight.returns.services import answers_check, return_submit
from caresight.returns.tests.test_import import care_home_row, do_import, to_csv
from caresight.returns.tests.test_submit import care_home_answers

DAY = dt.date(2020, 6, 4)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="the set-based path is PostgreSQL's")

# --- The cell checks, without a database --------------------------------------------------

MEASURES = {
    "beds": Measure(code="beds", label="Beds", kind=Measure.Kind.WHOLE_NUMBER,
                    minimum=Decimal(0), maximum=Decimal(500)),
    "used": Measure(code="used", label="Beds used", kind=Measure.Kind.WHOLE_NUMBER,
                    minimum=Decimal(0)),
    "hours": Measure(code="hours", label="Hours paid", kind=Measure.Kind.DECIMAL,
                     minimum=Decimal("0.5"), maximum=Decimal("99999.99")),
    "open": Measure(code="open", label="Open", kind=Measure.Kind.YES_NO),
    "visits": Measure(code="visits", label="Visiting", kind=Measure.Kind.CHOICE,
                      choices=[["open", "Open"], ["closed", "Closed"]]),
    "since": Measure(code="since", label="Since", kind=Measure.Kind.DATE),
    "staff": Measure(code="staff", label="Staff", kind=Measure.Kind.DECIMAL),
}
RULES = [{"code": "used", "at_most": "beds"}, {"code": "staff", "at_most": "hours"},
         {"code": "used", "at_most": "hours"}]
HEADINGS = {"beds": "maxcapacity", "used": "usedbeds", "hours": "hourspaid", "open": "isopen",
            "visits": "visiting", "since": "opensince"}  # "staff" has no heading: its label
CELL = st.one_of(
    st.sampled_from(["", "0", "-0", "007", "35", "35.0", "35.5", "1,500", "1,500.50", "1e3",
                     "5.", ".5", "0.0000001", "-1", "600", "Yes", "no", "Y", "TRUE", "0",
                     "maybe", "open", "Open", "closed", "2020-06-04", "2020-02-30", "20200604",
                     "lots", "12 ", "½", "١٢"]),
    st.integers(-10, 700).map(str),
    st.decimals(min_value=-1, max_value=100_000, places=2, allow_nan=False).map(str),
)


def _outcome(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 (the same failure either way is the same outcome)
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({code: CELL for code in HEADINGS},
                             optional={"staff": CELL}))
def test_the_cells_are_checked_as_answers_check_checks_them(answers):
    measure_set = MeasureSet(rules=RULES)
    headings = {code: HEADINGS.get(code, "") for code in answers}
    cells = _Cells(measure_set, MEASURES, headings)
    row_by_row = _outcome(lambda: answers_check(
        measure_set, MEASURES, answers, partial=True,
        label=lambda code: headings.get(code) or MEASURES[code].label))
    # Cleaned once per distinct text: a second row of the same texts gives the same again.
    assert _outcome(lambda: cells.check(answers)) == row_by_row
    assert _outcome(lambda: cells.check(answers)) == row_by_row


# --- Through the import, on the database the suite runs on --------------------------------


@pytest.fixture
def homes(cambs):
    return [LocationFactory(authority=cambs, cqc_location_id=f"1-20000000{i}") for i in range(4)]


@pytest.mark.django_db
class TestSetBasedImport:
    def test_every_problem_is_reported_as_the_row_by_row_import_reports_it(self, homes):
        return_submit(location=homes[3], for_date=DAY, answers=care_home_answers(),
                      user=OPERATOR)
        result = do_import(to_csv([
            care_home_row(homes[0].cqc_location_id, usedbeds="50", nursesabsentcovid="9"),
            care_home_row(homes[1].cqc_location_id, nursesemployed="lots",
                          isacceptingadmissions="maybe", hourspaid="1,500.5"),
            care_home_row(homes[2].cqc_location_id, maxcapacity="40.5", covid19count="-1"),
            # Caresight said 3 beds are vacant and accepting; the tracker now says 2 vacant.
            care_home_row(homes[3].cqc_location_id, declaredvacancies="2", usedbeds="38"),
        ]))
        accepting = Measure.objects.filter(code="beds_vacant_accepting").first().label
        assert [(e.row, e.field, e.message) for e in result.errors] == [
            (2, "nursesabsentcovid", "nursesabsentcovid (9) cannot be more than "
                                     "nursesemployed (8)"),
            (2, "usedbeds", "usedbeds (50) cannot be more than maxcapacity (40)"),
            (3, "isacceptingadmissions", "isacceptingadmissions: Answer yes or no"),
            (3, "nursesemployed", "nursesemployed: Enter a number"),
            (4, "covid19count", "covid19count: Must be 0 or more"),
            (4, "maxcapacity", "maxcapacity: Enter a whole number"),
            (5, "beds_vacant_accepting",
             f"{accepting} (3) cannot be more than declaredvacancies (2)"),
        ]
        assert Return.objects.count() == 1 and Return.objects.get().version == 1

    def test_imported_answers_replace_theirs_and_a_blank_cell_clears_one(self, homes):
        return_submit(location=homes[0], for_date=DAY, answers=care_home_answers(),
                      user=OPERATOR)
        result = do_import(to_csv([care_home_row(homes[0].cqc_location_id, usedbeds="36",
                                                 hoursovertime="", hourspaid="1,500.50"),
                                   care_home_row(homes[1].cqc_location_id)]))
        assert result.ok, result.as_dict()
        assert result.counts == {"created": 1, "updated": 1, "unchanged": 0, "outside": 0}
        ret = Return.objects.get(location=homes[0])
        assert ret.version == 2 and ret.source == Return.Source.IMPORT
        assert ret.values["beds_occupied"] == 36 and ret.values["hours_paid"] == "1500.50"
        assert "hours_overtime" not in ret.values  # the tracker's cell was empty
        assert ret.values["visiting_status"] == "restricted"  # only asked in Caresight
        assert ret.values["ipc_isolate_residents"] is True

    def test_history_rows_name_who_and_why_and_the_current_state_follows(self, homes, cambs,
                                                                         make_user):
        officer = make_user(Role.COMMISSIONER, cambs)
        told: list = []

        def listen(sender, pks, **kwargs):
            told.append((sender, sorted(pks)))

        history_written.connect(listen)
        try:
            do_import(to_csv([care_home_row(h.cqc_location_id) for h in homes[:2]]),
                      user=officer)
            do_import(to_csv([care_home_row(homes[0].cqc_location_id, usedbeds="30")]),
                      user=officer, name="again.csv")
        finally:
            history_written.disconnect(listen)
        ret = Return.objects.get(location=homes[0])
        history = list(ret.history.order_by("history_date", "history_id"))
        assert [(h.history_type, h.version, h.values["beds_occupied"]) for h in history] == [
            ("+", 1, 35), ("~", 2, 30)]
        assert {h.history_user for h in history} == {officer}
        assert history[1].history_change_reason == "Capacity Tracker returns import: again.csv"
        assert ret.submitted_by == officer
        other = Return.objects.get(location=homes[1])
        assert told == [(Return, sorted([ret.pk, other.pk])), (Return, [ret.pk])]
        kept = CurrentReturn.objects.get(location=homes[0])
        assert kept.ret_id == ret.pk and kept.beds_occupied == 30

    def test_a_confirmed_preview_is_applied_once_and_a_changed_day_is_refused(self, homes):
        data = to_csv([care_home_row(h.cqc_location_id) for h in homes[:2]])
        preview = do_import(data, dry_run=True)
        assert preview.ok and preview.would_change and not Return.objects.exists()
        applied = services.capacity_tracker_import(
            data=data, file_name="t.csv", user=OPERATOR, dry_run=False,
            expected_fingerprint=preview.fingerprint)
        assert applied.ok and Return.objects.count() == 2
        again = services.capacity_tracker_import(
            data=data, file_name="t.csv", user=OPERATOR, dry_run=False,
            expected_fingerprint=preview.fingerprint)
        assert again.file_error == DATA_CHANGED

        changed = to_csv([care_home_row(homes[0].cqc_location_id, usedbeds="33")])
        preview = do_import(changed, dry_run=True)
        return_submit(location=homes[0], for_date=DAY,
                      answers=care_home_answers(beds_occupied="34"), user=OPERATOR)
        refused = services.capacity_tracker_import(
            data=changed, file_name="t.csv", user=OPERATOR, dry_run=False,
            expected_fingerprint=preview.fingerprint)
        assert refused.file_error == DATA_CHANGED
        assert Return.objects.get(location=homes[0]).values["beds_occupied"] == 34

    def test_a_failure_while_writing_leaves_nothing_written(self, homes, monkeypatch):
        def fail(return_ids, days=None):
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(current, "keep", fail)
        with pytest.raises(RuntimeError):
            do_import(to_csv([care_home_row(h.cqc_location_id) for h in homes]))
        assert not Return.objects.exists()
        assert not Return.history.model.objects.exists()


def _state() -> dict:
    """The returns and their history, by service and day (IDs and times differ run to run)."""
    returns = {(r.location_id, r.for_date): (r.version, r.values, r.source, r.measure_set_id,
                                             r.submitted_by_id)
               for r in Return.objects.all()}
    history = sorted((h.location_id, h.for_date, h.version, h.history_type,
                      h.history_change_reason, h.history_user_id, sorted(h.values.items()))
                     for h in Return.history.model.objects.all())
    return {"returns": returns, "history": history}


class _Undo(Exception):
    pass


@on_postgresql
@pytest.mark.django_db
def test_the_set_based_and_row_by_row_imports_give_the_same(homes, devon, cambs, make_user,
                                                             monkeypatch):
    officer = make_user(Role.COMMISSIONER, cambs)
    elsewhere = LocationFactory(authority=devon, cqc_location_id="1-300000000")
    return_submit(location=homes[2], for_date=DAY, answers=care_home_answers(), user=OPERATOR)
    files = [
        [care_home_row(h.cqc_location_id) for h in [*homes, elsewhere]],
        [care_home_row(homes[0].cqc_location_id, usedbeds="30", hoursagency=""),
         care_home_row(homes[1].cqc_location_id),
         care_home_row(homes[2].cqc_location_id, declaredvacancies="1"),
         care_home_row(homes[3].cqc_location_id, lastupdatedutc="2020-06-05T08:00:00Z")],
        [care_home_row(homes[0].cqc_location_id, usedbeds="41"),
         care_home_row(homes[1].cqc_location_id, hourspaid="1,234.5")],
        [care_home_row(homes[1].cqc_location_id, hourspaid="1,234.5", covid19count="")],
    ]
    runs = {}
    for set_based in (True, False):
        monkeypatch.setattr(services, "_set_based", lambda set_based=set_based: set_based)
        seen = []
        with contextlib.suppress(_Undo), transaction.atomic():
            for rows in files:
                result = do_import(to_csv(rows), user=officer).as_dict()
                result.pop("fingerprint")
                seen.append((result, _state()))
            raise _Undo
        runs[set_based] = seen
    assert runs[True] == runs[False]
    assert [r["counts"] for r, _ in runs[True]] == [
        {"created": 3, "updated": 1, "unchanged": 0, "outside": 1},
        {"created": 1, "updated": 1, "unchanged": 1, "outside": 0},  # and a problem
        {"created": 0, "updated": 1, "unchanged": 0, "outside": 0},  # and a problem
        {"created": 0, "updated": 1, "unchanged": 0, "outside": 0},
    ]
