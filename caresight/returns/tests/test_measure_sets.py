"""Questions as data: shipped measure sets, versions, and refusing bad definitions."""

import datetime as dt
import json

import pytest

from caresight.returns import measure_sets
from caresight.returns.models import Measure, MeasureSet
from caresight.returns.selectors import measure_list, measure_set_for
from caresight.returns.services import measure_sets_load

SEED_IPC_LABELS = [
    "Ability to isolate residents",
    "Actions to restrict staff movement between care homes",
    "Paying staff full wages while isolating following a positive test",
    "Registration on the government’s testing portal",
    "Access to COVID-19 test kits for all residents and asymptomatic staff",
    "Testing of all residents discharged from hospital to care homes",
    "Access to sufficient PPE to meet needs",
    "Access to medical equipment needed for COVID-19",
    "Access to training in the use of PPE from clinical or public health teams",
    "Access to training on use of key medical equipment needed for COVID-19",
    "Access to additional capacity including from locally coordinated returning healthcare "
    "professionals or volunteers",
    "Named clinical lead in place for support and guidance",
    "Access to mutual aid offer (primary and community health support)",
]


def shipped() -> dict:
    return json.loads(measure_sets.SHIPPED.read_text(encoding="utf-8"))


@pytest.mark.django_db
class TestShipped:
    def test_the_default_sets_are_loaded_by_migration(self):
        care_home = measure_set_for(service_type="care_home_nursing", as_of=dt.date(2020, 6, 4))
        community = measure_set_for(service_type="domiciliary", as_of=dt.date(2020, 6, 4))
        assert care_home.service_group == "care_home" and care_home.version == 1
        assert community.service_group == "community"
        codes = set(measure_list(measure_set=care_home).values_list("code", flat=True))
        assert {"beds_registered", "beds_occupied", "beds_vacant", "beds_vacant_accepting",
                "admissions_open", "residents_covid_confirmed", "nurses_absent_covid",
                "care_workers_absent_other", "ppe_days_masks", "ppe_days_sanitiser",
                "visiting_status", "staff_covid_vaccinated", "staff_multiple_settings"} <= codes

    def test_care_homes_answer_the_thirteen_ipc_measures_of_the_seed_table(self):
        care_home = measure_set_for(service_type="care_home", as_of=dt.date(2020, 6, 4))
        ipc = care_home.measures.filter(code__startswith="ipc_").order_by("position")
        assert list(ipc.values_list("label", flat=True)) == SEED_IPC_LABELS
        assert set(ipc.values_list("kind", flat=True)) == {"yes_no"}

    def test_day_services_have_no_return(self):
        assert measure_set_for(service_type="day_service", as_of=dt.date(2020, 6, 4)) is None

    def test_loading_the_shipped_file_again_changes_nothing(self):
        before = Measure.objects.count()
        assert measure_sets_load(definition=shipped()) == []
        assert Measure.objects.count() == before


@pytest.mark.django_db
class TestVersions:
    def test_changed_questions_are_a_new_version_and_the_old_one_stays(self):
        definition = shipped()
        new = definition["measure_sets"][0]
        new["version"], new["in_use_from"] = 2, "2021-01-01"
        new["measures"].append({"code": "lfd_tests_done", "section": "Testing",
                                "label": "Lateral flow tests done this week",
                                "kind": "whole_number", "minimum": "0"})
        created = measure_sets_load(definition=json.dumps(definition))
        assert [(s.service_group, s.version) for s in created] == [("care_home", 2)]
        assert measure_set_for(service_type="care_home", as_of=dt.date(2020, 12, 31)).version == 1
        assert measure_set_for(service_type="care_home", as_of=dt.date(2021, 1, 1)).version == 2
        assert MeasureSet.objects.get(service_group="care_home", version=1).measures.count() == 46

    def test_changing_a_loaded_version_is_refused(self):
        definition = shipped()
        definition["measure_sets"][0]["measures"][0]["label"] = "Beds you have"
        with pytest.raises(measure_sets.MeasureSetError, match="new version number"):
            measure_sets_load(definition=definition)


@pytest.mark.django_db
@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(kind="colour"), "kind must be one of"),
    (lambda m: m.update(code="visiting_rules", kind="choice", choices=[]), "needs its choices"),
    (lambda m: m.update(minimum="10", maximum="2"), "maximum is below the minimum"),
    (lambda m: m.update(minimum="lots"), "is not a number"),
    (lambda m: m.update(code="beds_occupied"), "its own code"),
    (lambda m: m.update(label=""), "label is missing"),
    (lambda m: m.update(code="ppe_days_masks", kind="yes_no"), "kept as a number"),
    (lambda m: m.update(code="care_workers_absent", kind="choice", choices=[["a", "A"]]),
     "kept as a number"),
    (lambda m: m.update(code="ipc_test_kits", kind="whole_number"), "kept as yes or no"),
])
def test_bad_definitions_say_which_measure_and_write_nothing(change, message):
    definition = {"measure_sets": [{
        "service_group": "care_home", "version": 9, "title": "Test", "in_use_from": "2022-01-01",
        "measures": [
            {"code": "beds_occupied", "label": "Occupied beds", "kind": "whole_number"},
            {"code": "beds_vacant", "label": "Vacant beds", "kind": "whole_number"},
        ],
    }]}
    change(definition["measure_sets"][0]["measures"][1])
    with pytest.raises(measure_sets.MeasureSetError, match=message) as raised:
        measure_sets_load(definition=definition)
    assert "measure 2" in str(raised.value)
    assert not MeasureSet.objects.filter(version=9).exists()
