"""The data sections of the generated reports (core.report_sections), each app's own: known
figures from known data, the same figures twice, nothing of another authority's, a day before
any data said in words, and every section's tables surviving freeze, thaw and JSON."""

import datetime as dt
import json

import pytest

from caresight.accounts.models import Role
from caresight.core.report_sections import ReportScope, sections
from caresight.core.tables import freeze, thaw
from caresight.core.tenancy import OPERATOR
from caresight.governance.tests.factories import make_case, make_decision, make_risk
from caresight.grants import services as grants_services
from caresight.grants.models import PaymentRun, Round, SpendReturn
from caresight.grants.tests.factories import accept, care_home, pay, simple_round
from caresight.outbreaks import services as outbreak_services
from caresight.outbreaks.tests.test_services import counts, report
from caresight.plans.tests.factories import support_plan
from caresight.registry.tests.factories import LocalityFactory, LocationFactory, ProviderFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers
from caresight.workforce.tests.factories import team, week

AS_OF = dt.date(2020, 6, 4)  # a Thursday
FROM = dt.date(2020, 5, 29)
EARLY = dt.date(2020, 3, 1)  # before any of the data below
CAMBS, DEVON = "E10000003", "E10000008"
REASONS = ("self-isolating with symptoms 0; self-isolating because of a household member, "
           "working from home 0; shielding or social distancing, working from home %d; "
           "COVID-19 positive %d; other 0.")
KEYS = ["outbreak_update", "returns_summary", "risk_log", "infection_control_fund",
        "action_plan", "risk_register", "decisions", "business_cases", "workforce"]


def build(key, user, *, as_of=AS_OF, since=FROM, codes=(CAMBS,)):
    return sections()[key].build(ReportScope(user=user, authority_codes=tuple(codes),
                                             as_of=as_of, period_from=since))


def as_json(figures) -> str:
    return json.dumps(figures, sort_keys=True)  # no default: plain JSON or a TypeError


def rows(figures, n=0) -> list[list]:
    return figures["tables"][n]["rows"]


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.ADMIN, cambs)


@pytest.fixture
def devon_officer(devon, make_user):
    return make_user(Role.ADMIN, devon)


def submit(location, day, **changes):
    return return_submit(location=location, for_date=day, answers=care_home_answers(**changes),
                         user=OPERATOR)


# --- Data for each section, in Cambridgeshire with a Devon record beside it -----------------


@pytest.fixture
def outbreak_data(cambs, devon):
    hunts, fenland = LocalityFactory(authority=cambs, name="Hunts"), LocalityFactory(
        authority=cambs, name="Fenland")
    group = ProviderFactory(name="Acorn Care")
    places = {
        "live": LocationFactory(authority=cambs, locality=hunts, provider=group,
                                name="Ash House"),
        "live2": LocationFactory(authority=cambs, locality=fenland, provider=group,
                                 name="Beech House"),
        "de_escalating": LocationFactory(authority=cambs, locality=hunts, name="Cedar House"),
        "closed": LocationFactory(authority=cambs, locality=fenland, name="Damson House"),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    report(places["live"], on=dt.date(2020, 6, 1))
    report(places["live2"], on=dt.date(2020, 5, 10))
    outbreak_services.update_record(outbreak=places["live2"].outbreaks.get(),
                                    on=dt.date(2020, 5, 30), counts=counts(), user=OPERATOR)
    report(places["de_escalating"], on=dt.date(2020, 5, 15))
    report(places["closed"], on=dt.date(2020, 5, 1))  # closes on 29 May
    report(places["devon"], on=dt.date(2020, 6, 2))
    return places


@pytest.fixture
def returns_data(cambs, devon):
    homes = {
        "a": LocationFactory(authority=cambs, name="Ash House"),
        "b": LocationFactory(authority=cambs, name="Beech House"),
        "c": LocationFactory(authority=cambs, name="Cedar House"),
        "late": LocationFactory(authority=cambs, name="Larch House"),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    submit(homes["a"], AS_OF)
    submit(homes["b"], AS_OF - dt.timedelta(days=3), ipc_isolate_residents="no",
           ppe_days_masks="3")
    submit(homes["c"], AS_OF, ipc_isolate_residents="no")
    submit(homes["late"], AS_OF - dt.timedelta(days=7))  # 8 days old: not current
    submit(homes["devon"], AS_OF)
    for home in (homes["a"], homes["b"], homes["c"]):  # a week before, all isolated residents
        submit(home, AS_OF - dt.timedelta(days=7))
    return homes


@pytest.fixture
def risk_data(cambs, devon):
    calm = {"ppe_days_eye_protection": "20", "staff_multiple_settings": "0"}
    homes = {
        "outbreak": LocationFactory(authority=cambs, name="Outbreak House"),
        "calm": LocationFactory(authority=cambs, name="Calm Lodge"),
        "silent": LocationFactory(authority=cambs, name="Silent Court",
                                  provider=ProviderFactory(is_small=True)),
        "devon": LocationFactory(authority=devon, name="Dartmoor House"),
    }
    for key in ("outbreak", "calm", "devon"):
        submit(homes[key], AS_OF - dt.timedelta(days=1), **calm)
    report(homes["outbreak"], on=AS_OF - dt.timedelta(days=2))
    report(homes["devon"], on=AS_OF - dt.timedelta(days=2))
    return homes


def _dated(model, field: str, day: dt.date, **filters) -> None:
    """Move a record's timestamp back to `day` (the services stamp the real clock)."""
    model.objects.filter(**filters).update(**{field: dt.datetime.combine(
        day, dt.time(12), tzinfo=dt.UTC)})


@pytest.fixture
def grants_data(cambs, devon):
    acorn, birch = ProviderFactory(name="Acorn Care"), ProviderFactory(name="Birch Care")
    care_home(cambs, beds=28, provider=acorn, name="Acorn Ely")
    care_home(cambs, beds=12, provider=birch, name="Birch House")
    care_home(devon, beds=50, name="Dartmoor House")
    round = simple_round(cambs, amount="10000.00")  # per bed: £7,000.00 and £3,000.00
    grants_services.allocation_confirm(round=round, user=OPERATOR)
    accept(round, acorn)  # Birch has not signed: its first instalment is withheld
    pay(round, 1, as_of=dt.date(2020, 5, 20))
    devon_round = simple_round(devon, amount="5000.00")
    grants_services.allocation_confirm(round=devon_round, user=OPERATOR)
    grants_services.spend_return_submit(
        round=round, provider=acorn, user=OPERATOR,
        amounts={"isolating_residents": "150.00", "full_wages_isolating": "50.00"})
    _dated(Round, "confirmed_at", dt.date(2020, 5, 14), pk__in=[round.pk, devon_round.pk])
    _dated(PaymentRun, "confirmed_at", dt.date(2020, 5, 21), round=round)
    _dated(SpendReturn, "submitted_at", dt.date(2020, 6, 1), round=round)
    return round


@pytest.fixture
def plans_data(cambs, devon):
    plan = support_plan(cambs)
    support_plan(devon, name="Devon Support Plan")
    return plan


@pytest.fixture
def governance_data(cambs, devon):
    make_risk(cambs, "R1")  # residual 3 × 4 = 12, medium; next review 18 June
    make_risk(cambs, "R2", title="Workforce", raised_on=dt.date(2020, 5, 20),
              residual_likelihood=5, residual_impact=4, next_review_on=dt.date(2020, 6, 3))
    make_risk(devon, "D1", title="Devon risk")
    make_decision(cambs, decided_on=dt.date(2020, 6, 1), amount="250000.00",
                  financial_implications="Paid from the discharge fund")
    make_decision(cambs, decided_on=dt.date(2020, 5, 1), title="Before the period")
    make_decision(devon, decided_on=dt.date(2020, 6, 2), title="Devon decision")
    make_case(cambs)  # submitted, £250,000.00
    make_case(cambs, title="Step down beds", amount="100000.00", status="approved",
              status_on=dt.date(2020, 5, 20))
    make_case(devon, title="Devon case")


@pytest.fixture
def workforce_data(cambs, devon):
    week(team(cambs))  # seed 000: 15 shielding, the week commencing 1 June
    week(team(cambs, "Finance"), absent_shielding=0, absent_positive=1)
    week(team(cambs, "Old team"), on=dt.date(2020, 5, 18))  # before the reporting period
    week(team(devon, "Devon team"), absent_shielding=9)


@pytest.fixture
def everything(outbreak_data, returns_data, risk_data, grants_data, plans_data,
               governance_data, workforce_data):
    return True


# --- Each section's figures --------------------------------------------------------------------


@pytest.mark.django_db
class TestFigures:
    def test_every_section_is_registered(self):
        assert set(KEYS) <= set(sections())

    def test_the_outbreak_update(self, outbreak_data, officer):
        figures = build("outbreak_update", officer)
        assert figures["paragraphs"] == [
            "3 services on the outbreak tracker on 4 June 2020: 2 live, being supported, and "
            "1 on the de-escalation pathway, at 2 providers.",
            "1 new outbreak and 1 service closed and removed from the tracker since "
            "29 May 2020."]
        assert figures["based_on"] == 4
        assert dict((r[0], r[1]) for r in rows(figures)) == {
            "Overall number of services on tracker": 3, "Number on de-escalation pathway": 1,
            "Number live being supported": 2,
            "Number of services closed and removed from tracker": 1, "New outbreaks": 1,
            "Overall number of providers": 2}
        assert [(r[0], r[1], r[2]) for r in rows(figures, 2)] == [
            ("Ash House", "Hunts", "Live"), ("Beech House", "Fenland", "Live"),
            ("Cedar House", "Hunts", "De-escalation pathway")]
        assert figures["tables"][2]["title"] == "Outbreak update as of 4 June 2020"
        chart = figures["charts"][0]
        assert chart["dates"][0] == "2020-05-29" and chart["dates"][-1] == "2020-06-04"
        assert chart["series"] == [["Live outbreaks", [0, 1, 1, 2, 2, 2, 2]]]
        assert [r[1] for r in rows(figures, 3)] == [0, 1, 1, 2, 2, 2, 2]

    def test_the_returns_summary_and_its_ipc_table(self, returns_data, officer):
        figures = build("returns_summary", officer)
        assert figures["paragraphs"][0] == (
            "3 of 4 services had a current return on 4 June 2020 (75.0%); 1 missing.")
        assert figures["based_on"] == 4
        overview = {r[0]: r[1] for r in rows(figures)}
        assert overview["Services expected to return"] == 4
        assert overview["Services with a current return"] == 3
        assert overview["Services with under 7 days of at least one PPE item"] >= 1
        ipc = figures["tables"][1]
        assert [c["header"] for c in ipc["columns"]][:3] == ["Measure", "Current", "Previous"]
        isolate = next(r for r in ipc["rows"] if r[0] == "Ability to isolate residents")
        assert isolate[1:] == [33.3, 100.0, 3, 4]  # Larch House was current then

    def test_the_risk_log_counts_and_red_list(self, risk_data, officer):
        figures = build("risk_log", officer)
        assert figures["paragraphs"] == [
            "1 red, 1 amber and 1 green on the risk log on 4 June 2020, of 3 services."]
        assert rows(figures) == [["Red", 1], ["Amber", 1], ["Green", 1]]
        assert figures["tables"][0]["totals"] == [None, 3]
        red = figures["tables"][1]
        assert red["title"] == "Services rated red on 4 June 2020"
        assert [r[1] for r in red["rows"]] == ["Outbreak House"]
        assert figures["based_on"] == 3

    def test_the_infection_control_fund_in_exact_money(self, grants_data, officer):
        figures = build("infection_control_fund", officer)
        assert figures["paragraphs"] == [
            "£10,000.00 allocated from 1 round of the Infection Control Fund on 4 June 2020, "
            "to 2 providers: £3,500.00 paid, £1,500.00 withheld, £6,500.00 still to pay.",
            "Instalment 2 of Test round is due on 12 July 2020.",
            "£200.00 spent, as reported by providers."]
        position = figures["tables"][0]
        assert position["rows"] == [["Test round", "Cambridgeshire", "10000.00", "3500.00",
                                     "1500.00", "6500.00", "200.00"]]
        assert position["totals"][2:] == ["10000.00", "3500.00", "1500.00", "6500.00",
                                          "200.00"]
        assert [(r[1], r[3], r[5], r[7]) for r in rows(figures, 1)] == [
            (1, "3500.00", "1500.00", "Paid"), (2, "0.00", "0.00", "Due")]
        spend = {r[0]: (r[1], r[2]) for r in rows(figures, 2)}
        assert spend["Isolating residents"] == ("150.00", 75)
        assert spend["Full wages"] == ("50.00", 25)
        assert figures["based_on"] == 2

    def test_the_fund_on_a_day_before_the_payments(self, grants_data, officer):
        figures = build("infection_control_fund", officer, as_of=dt.date(2020, 5, 18),
                        since=dt.date(2020, 5, 12))
        assert figures["paragraphs"][0].endswith(
            "£0.00 paid, £0.00 withheld, £10,000.00 still to pay.")
        assert "Instalment 1 of Test round was due on 20 May 2020." not in figures["paragraphs"]
        assert "Instalment 1 of Test round is due on 20 May 2020." in figures["paragraphs"]
        assert figures["paragraphs"][-1] == "£0.00 spent, as reported by providers."

    def test_the_action_plan_a_table_per_area(self, plans_data, officer):
        figures = build("action_plan", officer, as_of=dt.date(2020, 6, 4))
        assert figures["paragraphs"] == [
            "Care Home Support Plan: 2 actions on 4 June 2020, 0 complete and 0 overdue."]
        assert [t["title"] for t in figures["tables"]] == [
            "Care Home Support Plan: Infection Prevention and Control",
            "Care Home Support Plan: Isolation Accommodation"]
        headers = [c["header"] for c in figures["tables"][0]["columns"]]
        assert headers[:5] == ["Action", "Description", "Timeline", "Lead", "Progress"]
        assert [r[:3] for r in rows(figures)] == [
            ["IPC Training", "Train the trainer model rolled out", "30 June 2020"],
            ["Ongoing support", "Weekly provider forums", "Ongoing"]]
        assert rows(figures, 1) == []  # step down beds start on 15 June
        assert figures["based_on"] == 2

    def test_the_risk_register_in_the_seeds_shape(self, governance_data, officer):
        figures = build("risk_register", officer)
        assert figures["paragraphs"] == [
            "2 open risks on the risk register on 4 June 2020; by residual score: 1 high, "
            "1 medium.",
            "1 risk due for review within 7 days, 1 overdue."]
        register = figures["tables"][0]
        assert [c["header"] for c in register["columns"]][:3] == [
            "Risks", "Mitigations", "Residual Risk"]
        assert [r[0].split("\n")[0] for r in register["rows"]] == ["Workforce",
                                                                   "Market capacity"]
        assert figures["based_on"] == 2

    def test_the_decisions_of_the_period(self, governance_data, officer):
        figures = build("decisions", officer)
        assert figures["paragraphs"] == [
            "1 decision made from 29 May 2020 to 4 June 2020, for £250,000.00 in all."]
        assert [(r[0], r[1], r[6]) for r in rows(figures)] == [
            ("2020-06-01", "COVID positive beds approved", "250000.00")]

    def test_the_business_cases_and_their_amounts(self, governance_data, officer):
        figures = build("business_cases", officer)
        assert figures["paragraphs"] == [
            "2 business cases on 4 June 2020, for £350,000.00 in all: 1 submitted "
            "(£250,000.00), 1 approved (£100,000.00)."]
        by_status = {r[0]: (r[1], r[2]) for r in rows(figures)}
        assert by_status["Submitted"] == (1, "250000.00")
        assert by_status["Approved"] == (1, "100000.00")
        assert figures["tables"][0]["totals"] == [None, 2, "350000.00"]
        assert [r[0] for r in rows(figures, 1)] == ["Designated setting beds", "Step down beds"]

    def test_the_teams_absences_in_the_week(self, workforce_data, officer):
        figures = build("workforce", officer)
        assert figures["paragraphs"] == [
            f"Commissioning currently has 15 staff absent due to COVID-19: {REASONS % (15, 0)}",
            f"Finance currently has 1 member of staff absent due to COVID-19: "
            f"{REASONS % (0, 1)}",
            f"Across the 2 teams, the council currently has 16 staff absent due to COVID-19: "
            f"{REASONS % (15, 1)}"]
        assert [r[0] for r in rows(figures)] == ["Commissioning", "Finance"]
        assert figures["based_on"] == 2


# --- Every section: the same twice, nobody else's, before any data, frozen and thawed ----------


@pytest.mark.django_db
class TestEverySection:
    @pytest.mark.parametrize("key", KEYS)
    def test_the_same_scope_twice_gives_the_same_json(self, everything, officer, key):
        assert as_json(build(key, officer)) == as_json(build(key, officer))

    @pytest.mark.parametrize("key", KEYS)
    def test_the_operator_sees_what_the_authoritys_officer_sees(self, everything, officer,
                                                                 key):
        assert as_json(build(key, OPERATOR)) == as_json(build(key, officer))

    @pytest.mark.parametrize("key", KEYS)
    def test_another_authoritys_user_sees_none_of_it(self, everything, devon_officer, key):
        figures = build(key, devon_officer)  # Cambridgeshire's report, by a Devon user
        assert figures["based_on"] == 0
        assert figures["tables"] == [] and len(figures["paragraphs"]) == 1
        text = as_json(figures)
        for name in ("Ash House", "Outbreak House", "Acorn", "Market capacity",
                     "Commissioning", "Care Home Support Plan", "Designated setting"):
            assert name not in text

    @pytest.mark.parametrize("key", KEYS)
    def test_a_joint_area_leaves_out_none_of_its_authorities(self, everything, officer,
                                                              devon_officer, key):
        cambs_only = build(key, officer, codes=(CAMBS, DEVON))  # sees only Cambridgeshire
        assert as_json(cambs_only) == as_json(build(key, officer))
        both = build(key, OPERATOR, codes=(CAMBS, DEVON))
        assert both["based_on"] >= cambs_only["based_on"]

    @pytest.mark.parametrize("key", KEYS)
    def test_a_day_before_any_data_says_so(self, everything, officer, key):
        figures = build(key, officer, as_of=EARLY, since=EARLY - dt.timedelta(days=6))
        assert "1 March 2020" in figures["paragraphs"][0]
        json.loads(as_json(figures))
        if key == "risk_log":
            # The services were registered then: each is rated (amber: no current return).
            assert rows(figures)[1] == ["Amber", figures["based_on"]]
            return
        assert figures["tables"] == [] and len(figures["paragraphs"]) == 1
        if key == "returns_summary":  # based on the services that should have returned
            assert figures["paragraphs"][0].startswith("No returns recorded by 1 March 2020:")
        else:
            assert figures["based_on"] == 0

    def test_the_outbreak_sentence_before_any_data(self, outbreak_data, officer):
        assert build("outbreak_update", officer, as_of=EARLY)["paragraphs"] == [
            "No outbreaks recorded by 1 March 2020."]

    @pytest.mark.parametrize("key", KEYS)
    def test_every_table_survives_freeze_thaw_and_json(self, everything, officer, key):
        figures = build(key, officer)
        assert figures["tables"], key
        again = json.loads(as_json(figures))
        assert again == figures
        for frozen in again["tables"]:
            table = thaw(frozen)
            assert freeze(table) == {k: v for k, v in frozen.items()}
            assert len(table.row_list) == len(frozen["rows"])
        for chart in again.get("charts", []):
            assert len(chart["dates"]) == len(chart["series"][0][1])
        # Money stays exact: no float in any money column.
        for frozen in again["tables"]:
            for n, column in enumerate(frozen["columns"]):
                if column["kind"] == "money":
                    assert all(r[n] is None or isinstance(r[n], str) for r in frozen["rows"])


def test_no_section_reads_the_clock():
    """A section's figures depend on its scope and the data only (as_of, never today)."""
    import inspect

    for section in sections().values():
        source = inspect.getsource(inspect.getmodule(section.build))
        assert "timezone.now" not in source and "localdate" not in source, section.key

