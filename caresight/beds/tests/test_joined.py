"""Beds joined up: the dashboard's tiles, the reports' section and the notifications (a new
outbreak where beds are commissioned, an overstay), each to the right people only."""

import datetime as dt

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core import dashboards
from caresight.core.report_sections import ReportScope, sections
from caresight.core.tenancy import OPERATOR
from caresight.dashboards import selectors as dashboard
from caresight.notifications import services as notifications
from caresight.notifications.models import Kind, Notification
from caresight.notifications.selectors import kinds_for
from caresight.outbreaks import services as outbreaks
from caresight.registry.tests.factories import LocationFactory
from caresight.reports import selectors as reports

from ..models import Destination, SchemeKind
from ..report_sections import SECTION
from .factories import START, VALID_NHS_NUMBER, organisation, placement, scheme

pytestmark = pytest.mark.django_db
DAY = START + dt.timedelta(days=20)  # 21 April 2020
WEEK_BEFORE = START + dt.timedelta(days=14)  # the highlight report's week: 15 to 21 April


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


@pytest.fixture
def beds(cambs, devon, make_user):
    """Cambridgeshire: 4 step-down beds (14 days, NHS-funded, £700 a week) and 3 pathway 2
    beds (42 days, council-funded, £350 a week); Devon: 5 step-down beds. On DAY,
    Cambridgeshire has 3 people in a bed, one past the intended stay, one leaving this week."""
    commissioner = make_user(Role.COMMISSIONER, cambs)
    home = LocationFactory(authority=cambs, name="Orchard House")
    step_down = scheme(cambs, name="Orchard House step-down", location=home)
    pathway = scheme(cambs, name="Ely pathway 2", kind=SchemeKind.PATHWAY_2, beds=3,
                     funding_source="council", weekly_rate="350.00")
    devon_beds = scheme(devon, name="Exeter step-down", beds=5,
                        commissioned_by=organisation("Devon CCG"))
    over = placement(step_down, person_reference="CH-0001", admitted_on=START,
                     user=commissioner, nhs_number=VALID_NHS_NUMBER)
    placement(step_down, person_reference="CH-0002", admitted_on=day(10), user=commissioner)
    placement(step_down, person_reference="CH-0004", admitted_on=day(2), user=commissioner,
              discharged_on=day(16), destination=Destination.HOME)
    placement(pathway, person_reference="CH-0003", admitted_on=day(15), user=commissioner)
    placement(devon_beds, person_reference="DV-0001", admitted_on=START)
    return {"commissioner": commissioner, "home": home, "step_down": step_down,
            "pathway": pathway, "devon": devon_beds, "over": over}


def figures(user, as_of=DAY, codes=()) -> dict:
    return {item.tile.key: item.figure for item in dashboard.officer_dashboard(
        user=user, as_of=as_of, authority_codes=codes)}


# --- Dashboard tiles --------------------------------------------------------------------------


def test_the_tiles_count_free_beds_overstays_and_placements_ending_this_week(beds, cambs):
    found = figures(beds["commissioner"])
    free, over, ending = found["beds_free"], found["beds_overstays"], found["beds_ending"]
    assert (free.value, free.based_on, free.note) == (4, 2, "7 commissioned, 3 occupied")
    assert free.based_on_text == "Based on 2 schemes"
    assert (over.value, over.based_on) == (1, 3)  # CH-0001, 20 nights of 14; not Devon's
    assert over.based_on_text == "Based on 3 people in a bed"
    assert ending.value == 1  # CH-0002: its 14 days end on 25 April
    assert free.url == f"{reverse('beds:occupancy')}?as_of={DAY.isoformat()}"
    assert over.url == ending.url == f"{reverse('beds:attention')}?as_of={DAY.isoformat()}"
    narrowed = figures(beds["commissioner"], codes=[cambs.ons_code])["beds_free"]
    assert f"authority={cambs.ons_code}" in narrowed.url and narrowed.value == 4


def test_the_tiles_follow_the_day(beds):
    before = figures(beds["commissioner"], as_of=day(5))
    assert before["beds_free"].value == 7 - 2  # CH-0001 and CH-0004 in; pathway 2 empty
    assert before["beds_overstays"].value == 0
    assert figures(beds["commissioner"], as_of=START - dt.timedelta(days=1))[
        "beds_free"].based_on == 0  # no scheme yet


def test_each_tile_links_to_a_page_that_opens(beds, cambs, client):
    client.force_login(beds["commissioner"])
    home = client.get(reverse("home")).content.decode()
    for label in ("Commissioned beds free", "Overstays", "Placements ending this week"):
        assert label in home
    for codes in ((), (cambs.ons_code,)):
        for key, figure in figures(beds["commissioner"], codes=codes).items():
            if key.startswith("beds_"):
                assert client.get(figure.url).status_code == 200, (key, figure.url)


def test_a_partner_sees_only_the_beds_its_organisation_commissions(beds, cambs, make_user):
    partner = make_user(Role.PARTNER, cambs)
    theirs = partner.memberships.get().organisation
    scheme(cambs, name="Partner's crisis beds", kind=SchemeKind.CRISIS, beds=2,
           commissioned_by=theirs)
    found = figures(partner)
    assert (found["beds_free"].value, found["beds_free"].based_on) == (2, 1)
    assert found["beds_overstays"].value == 0


def test_roles_without_beds_and_providers_see_no_beds_tiles(beds, cambs, make_user):
    assert "beds_free" in figures(make_user(Role.BROKERAGE, cambs))
    provider = beds["home"].provider
    shown = dashboard.provider_dashboard(user=make_user(Role.PROVIDER_USER, cambs,
                                                        provider=provider), as_of=DAY)
    assert not [s for s in shown if s.tile.key.startswith("beds_")]


def test_viewers_see_free_beds_and_overstays_by_authority(beds, cambs, devon, make_user):
    viewer = make_user(Role.VIEWER, cambs, devon)
    tiles, rows = dashboard.aggregate_rows(user=viewer, as_of=DAY)
    assert {"beds_free", "beds_overstays"} <= {t.key for t in tiles}
    by_code = {row["code"]: row for row in rows}
    assert (by_code[cambs.ons_code]["beds_free"], by_code[cambs.ons_code]["beds_overstays"]) \
        == (4, 1)
    assert (by_code[devon.ons_code]["beds_free"], by_code[devon.ons_code]["beds_overstays"]) \
        == (4, 1)
    assert dashboards.suppress(by_code[cambs.ons_code]["beds_overstays"]) == "fewer than 5"
    only_devon = make_user(Role.VIEWER, devon)
    _, rows = dashboard.aggregate_rows(user=only_devon, as_of=DAY)
    assert [(r["code"], r["beds_free"]) for r in rows] == [(devon.ons_code, 4)]


# --- Report section ---------------------------------------------------------------------------


def build(user=OPERATOR, codes=("E10000003",), as_of=DAY, period_from=WEEK_BEFORE):
    return SECTION.build(ReportScope(user=user, authority_codes=codes, as_of=as_of,
                                     period_from=period_from))


def test_the_section_counts_beds_moves_overstays_and_cost_in_the_period(beds):
    assert sections()["beds"] is SECTION
    found = build()
    assert found["based_on"] == 2
    assert found["paragraphs"] == [
        "7 beds commissioned in 2 schemes on 21 April 2020: 3 occupied and 4 free.",
        "1 admission and 1 discharge from 15 April 2020 to 21 April 2020.",
        "1 person past their scheme's intended stay on 21 April 2020; the longest stay so far "
        "is 20 nights (in a scheme that intends at most 14 nights).",
        # Block beds, paid every night: 4 × 7 × £100 NHS-funded, 3 × 7 × £50 council; empty:
        # 12 step-down nights (£1,200) and 15 pathway 2 nights (£750).
        "£3,850.00 spent on beds from 15 April 2020 to 21 April 2020, of which £2,800.00 "
        "NHS-funded and £1,950.00 on block beds left empty.",
    ]
    by_kind, cost = found["tables"]
    assert [c["header"] for c in by_kind["columns"]] == [
        "Kind of scheme", "Schemes", "Beds commissioned", "Occupied", "Free",
        "Admitted in the period", "Discharged in the period", "Past the intended stay"]
    assert by_kind["rows"] == [["Step-down / quarantine", 1, 4, 2, 2, 0, 1, 1],
                               ["Discharge to assess pathway 2", 1, 3, 1, 2, 1, 0, 0]]
    assert by_kind["totals"][1:] == [2, 7, 3, 4, 1, 1, 1]
    assert cost["rows"] == [["NHS discharge funding", "2800.00", "0.00", "2800.00"],
                            ["Council", "1050.00", "0.00", "1050.00"]]
    assert cost["totals"][1:] == ["3850.00", "0.00", "3850.00"]


def test_the_section_names_nobody_and_is_the_same_built_twice(beds):
    found = build()
    text = str(found)
    assert "CH-0001" not in text and beds["over"].nhs_number_hash not in text
    assert reports.canonical_json(found) == reports.canonical_json(build())


def test_a_joint_report_adds_both_councils_and_another_council_is_left_out(beds, devon):
    devon_only = build(codes=(devon.ons_code,))
    assert devon_only["tables"][0]["rows"] == [["Step-down / quarantine", 1, 5, 1, 4, 0, 0, 1]]
    joint = build(codes=("E10000003", devon.ons_code))
    assert joint["tables"][0]["totals"][1:] == [3, 12, 4, 8, 1, 1, 2]


def test_before_any_scheme_the_section_says_so(beds):
    found = build(as_of=START - dt.timedelta(days=1), period_from=START - dt.timedelta(days=7))
    assert found == {"paragraphs": ["No bed scheme was running on 31 March 2020."],
                     "tables": [], "charts": [], "based_on": 0}


def test_the_reports_show_the_section_and_a_reader_without_beds_gets_not_shown(
        beds, cambs, make_user):
    def data(user, kind, section):
        figures = reports.report_figures(user=user, kind=kind, authority_codes=["E10000003"],
                                         as_of=DAY)
        part = next(s for s in figures["sections"] if s["key"] == section)
        return next(d for d in part["data"] if d["key"] == "beds")

    shown = data(beds["commissioner"], "highlight", "new_challenges")
    assert shown["heading"] == "Beds and hospital discharge"
    assert shown["figures"]["tables"][0]["rows"][0][0] == "Step-down / quarantine"
    assert "figures" in data(OPERATOR, "committee", "background")
    partner = make_user(Role.PARTNER, cambs)  # sees only its own organisation's beds
    assert data(partner, "highlight", "new_challenges")["withheld"] == (
        "Not shown: you do not have access to these figures.")


# --- Notifications: a new outbreak where beds are commissioned --------------------------------


def report_outbreak(location, on=None):
    return outbreaks.outbreak_report(
        location=location, reported_on=on or dt.date.today(), reported_by="provider",
        counts=outbreaks.Counts(kind="confirmed", new_cases_residents=2), user=OPERATOR)


@pytest.fixture
def brokers(cambs, devon, peterborough, make_user):
    return {"cambs": make_user(Role.BROKERAGE, cambs),
            "devon": make_user(Role.BROKERAGE, devon),
            "peterborough": make_user(Role.BROKERAGE, peterborough)}


def test_an_outbreak_in_a_service_with_beds_tells_each_councils_brokerage_once(
        beds, brokers, devon, django_capture_on_commit_callbacks):
    # Devon commissions beds in the same Cambridgeshire home.
    theirs = scheme(devon, name="Devon beds at Orchard House", location=beds["home"],
                    kind=SchemeKind.SPOT)
    with django_capture_on_commit_callbacks(execute=True):
        outbreak = report_outbreak(beds["home"])
    told = Notification.objects.filter(kind=Kind.BEDS_OUTBREAK)
    assert {n.user for n in told} == {brokers["cambs"], brokers["devon"]}  # not Peterborough
    cambs_notice = told.get(user=brokers["cambs"])
    assert cambs_notice.subject == ("Outbreak at Orchard House, where you have commissioned "
                                    "beds")
    assert "Orchard House step-down" in cambs_notice.body
    assert "Devon beds" not in cambs_notice.body
    assert cambs_notice.link == reverse("beds:scheme-detail", args=[beds["step_down"].pk])
    devon_notice = told.get(user=brokers["devon"])
    assert "Devon beds at Orchard House" in devon_notice.body
    assert "Orchard House step-down" not in devon_notice.body
    assert devon_notice.link == reverse("beds:scheme-detail", args=[theirs.pk])
    # The commissioner is told of the outbreak as before, not as brokerage.
    assert not told.filter(user=beds["commissioner"]).exists()
    assert Notification.objects.filter(kind=Kind.OUTBREAK_REPORTED,
                                       user=beds["commissioner"]).exists()
    from ..notify import outbreak_in_schemes

    assert outbreak_in_schemes(outbreak.pk) == []  # twice: once
    assert told.count() == 2


def test_an_outbreak_where_no_scheme_runs_tells_brokerage_nothing(
        beds, brokers, cambs, django_capture_on_commit_callbacks):
    ended = LocationFactory(authority=cambs, name="Willow Court")
    scheme(cambs, name="Willow Court beds", location=ended, ends_on=START + dt.timedelta(30))
    with django_capture_on_commit_callbacks(execute=True):
        report_outbreak(LocationFactory(authority=cambs, name="No Beds Here"))
        report_outbreak(ended)
        report_outbreak(beds["home"], on=dt.date.today() - dt.timedelta(
            days=notifications.NEW_OUTBREAK_DAYS + 1))  # entered weeks late
    assert not Notification.objects.filter(kind=Kind.BEDS_OUTBREAK).exists()


def test_two_schemes_of_one_council_in_the_service_are_named_in_one_notice(
        beds, brokers, cambs, django_capture_on_commit_callbacks):
    scheme(cambs, name="Orchard House crisis beds", location=beds["home"],
           kind=SchemeKind.CRISIS, beds=1)
    with django_capture_on_commit_callbacks(execute=True):
        report_outbreak(beds["home"])
    notice = Notification.objects.get(kind=Kind.BEDS_OUTBREAK, user=brokers["cambs"])
    assert "schemes there: Orchard House crisis beds and Orchard House step-down" in notice.body
    assert notice.link == reverse("beds:brokerage")


# --- Notifications: an overstay -------------------------------------------------------------


def test_an_overstay_tells_the_placing_officer_once_in_the_daily_job(beds, devon, make_user,
                                                                     brokers):
    devon_officer = make_user(Role.COMMISSIONER, devon)
    theirs = placement(beds["devon"], person_reference="DV-0002", admitted_on=day(1),
                       user=devon_officer)
    counts = notifications.notifications_run_daily(DAY)
    # CH-0001 (20 nights of 14) and DV-0002 (19 of 14); DV-0001 was placed by the system.
    assert counts["bed_overstay"] == 2
    told = Notification.objects.filter(kind=Kind.BED_OVERSTAY)
    assert {(n.user, n.cause_id) for n in told} == {
        (beds["commissioner"], str(beds["over"].pk)),
        (devon_officer, str(theirs.pk))}
    notice = told.get(user=beds["commissioner"])
    assert notice.subject == ("CH-0001 has stayed past Orchard House step-down's intended "
                              "stay")
    assert "20 nights on 21 April 2020: the scheme intends at most 14" in notice.body
    assert beds["over"].nhs_number_hash not in notice.body + notice.subject
    assert notice.link == reverse("beds:placement-detail", args=[beds["over"].pk])
    assert "DV-0002" in told.get(user=devon_officer).subject
    assert not Notification.objects.filter(kind=Kind.BED_OVERSTAY,
                                           user__in=brokers.values()).exists()
    # The next day, and the day after: still overstaying, never told again.
    assert notifications.notifications_run_daily(DAY + dt.timedelta(days=1))[
        "bed_overstay"] == 0
    assert notifications.notifications_run_daily(DAY)["bed_overstay"] == 0
    assert told.count() == 2


def test_no_overstay_no_notice_and_a_discharged_person_is_not_chased(beds):
    assert notifications.notifications_run_daily(day(14))["bed_overstay"] == 0  # 14 of 14
    from .. import services

    services.placement_discharge(placement=beds["over"], discharged_on=day(19),
                                 destination=Destination.HOME_WITH_CARE, user=OPERATOR)
    assert notifications.notifications_run_daily(DAY)["bed_overstay"] == 0


def test_an_officer_who_no_longer_sees_the_beds_is_not_told(beds, devon):
    membership = beds["commissioner"].memberships.get()
    membership.authorities.set([devon])  # moved to another council
    beds["commissioner"].__dict__.pop("_caresight_scopes", None)
    assert notifications.notifications_run_daily(DAY)["bed_overstay"] == 0


def test_the_command_reports_the_overstays_told(beds, capsys):
    from django.core.management import call_command

    call_command("notify", "run-daily", "--date", DAY.isoformat())
    assert "1 overstays" in capsys.readouterr().out


def test_the_beds_kinds_are_offered_to_those_whose_work_they_are(cambs, make_user, client):
    broker = make_user(Role.BROKERAGE, cambs)
    assert {Kind.BEDS_OUTBREAK, Kind.BED_OVERSTAY} <= set(kinds_for(broker))
    commissioner = make_user(Role.COMMISSIONER, cambs)
    assert Kind.BED_OVERSTAY in kinds_for(commissioner)
    assert Kind.BEDS_OUTBREAK not in kinds_for(commissioner)
    quality = make_user(Role.QUALITY_OFFICER, cambs)  # places nobody
    assert not {Kind.BEDS_OUTBREAK, Kind.BED_OVERSTAY} & set(kinds_for(quality))
    client.force_login(broker)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "An outbreak where your council has commissioned beds" in page
    assert "Someone you placed has stayed past the intended stay" in page
    choices = {kind: "immediate" for kind in kinds_for(broker)} | {Kind.BED_OVERSTAY: "daily"}
    assert client.post(reverse("notifications:settings"), choices).status_code == 302
