"""The demo's governance tables: the care home support plan (seed 001's areas and actions,
with six weeks of progress), the winter plan response, the risk register (seed 000's risks),
decisions, business cases and six weeks of the commissioning team's absences.

Dated back from today, as the rest of the demo is."""

import datetime as dt

from caresight.accounts.models import Organisation
from caresight.core.tenancy import OPERATOR
from caresight.plans import services as plans
from caresight.plans import winter_plan
from caresight.registry.models import Authority

COMMUNITY_TRUST = "Cambridgeshire and Peterborough NHS Foundation Trust"
PUBLIC_HEALTH = "Cambridgeshire and Peterborough Public Health"

# (area, [(action, description, timeline (days from the start, "ongoing", "established"),
#          leads, owner, [(week, status, rag, progress), …])])
SUPPORT_PLAN: list[tuple[str, list[tuple]]] = [
    ("Infection Prevention and Control", [
        ("IPC training", "Infection control training (train the trainer model) rolled out to "
         "every care home, with specialist support from the enhanced local IPC team.", 0,
         ["ccg"], "Head of Nursing, CCG", [
             (1, "in_progress", "amber", "Training offered to all 174 care homes across "
              "Cambridgeshire and Peterborough."),
             (3, "complete", "green", "Access to PPE training rolled out to all 174 care "
              "homes; 17 homes declined training.")]),
        ("Ongoing support", "Sharing of lessons learnt, weekly provider forums supported by "
         "the infection control nurse, and a daily newsletter.", "ongoing",
         ["council", "ccg"], "Head of Commissioning", [
             (2, "in_progress", "green", "Provider forums continue to meet weekly, with "
              "focused presentations scheduled."),
             (5, "in_progress", "green", "Regular newsletters sent to providers so they know "
              "the latest guidance.")]),
    ]),
    ("Isolation Accommodation", [
        ("Step down beds", "Local step down beds for safe discharge from hospital for those "
         "who cannot return to their care home at once and need 14 days' isolation.", 42,
         ["ccg"], "Director of Commissioning, CCG", [
             (2, "in_progress", "amber", "CCG exploring options and where wrap-around care "
              "from primary care and CPFT will be strongest."),
             (5, "in_progress", "red", "Further work to understand step down bed needs in "
              "light of winter pressures and further COVID peaks.")]),
    ]),
    ("Outbreak Management", [
        ("Outbreak management support", "Continuing support to care homes and wider "
         "residential settings that develop outbreaks, linked to the health protection "
         "board.", "ongoing", ["council", "ccg", "public_health"], "Care home cell chair", [
             (1, "in_progress", "green", "Overseen by the care home cell under the standard "
              "operating procedure; providers risk assessed and support offered by need."),
             (4, "in_progress", "green", "IMT meetings planned for homes of concern.")]),
        ("Surveillance", "A coordinated data set to inform the operational and strategic "
         "response and to target testing.", 28, ["public_health"], "Consultant in Public "
         "Health", [
             (2, "in_progress", "amber", "Analytical support identified; data sets being "
              "aligned for the care home cell and the surveillance cell.")]),
    ]),
    ("Testing", [
        ("National care home portal", "Promote the national testing portal to raise uptake "
         "by local providers.", 21, ["council", "ccg", "public_health"], "Director of Public "
         "Health", [
             (1, "in_progress", "amber", "Rollout paused while Randox test kits were "
              "investigated."),
             (4, "complete", "green", "Routine testing of staff weekly and residents every 28 "
              "days now provided through Pillar 2.")]),
        ("Rapid local testing", "Test, trace and outbreak management prioritising care homes "
         "and people admitted to them; swabbing for every discharge into a care home.",
         "ongoing", ["public_health", "ccg", "trust"], "Head of Nursing, CCG", [
             (3, "in_progress", "amber", "Testing data flows being aligned to inform the "
              "response when outbreaks are identified.")]),
    ]),
    ("PPE & Equipment Supply", [
        ("Emergency PPE supply", "Coordinated access to emergency PPE through the LRF supply, "
         "with clear communications to providers on how to get it.", "established",
         ["council"], "Head of Commissioning", [
             (2, "in_progress", "green", "Single provider contact line and email in place; "
              "requests diminishing.")]),
    ]),
    ("Workforce Support", [
        ("Workforce capacity", "Redeployed staff and volunteers to providers with "
         "significant workforce pressures from outbreaks.", 35, ["council"],
         "Head of Workforce", [
             (3, "in_progress", "amber", "Reablement, social work and health staff redeployed "
              "to keep services running at two homes.")]),
    ]),
]


def organisations(*, council: str, ccg: str) -> dict[str, Organisation]:
    """The organisations that lead actions (the demo's users join the council's and CCG's)."""
    def org(name, kind):
        return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]

    return {"council": org(council, Organisation.Kind.COUNCIL),
            "ccg": org(ccg, Organisation.Kind.NHS_PARTNER),
            "trust": org(COMMUNITY_TRUST, Organisation.Kind.NHS_PARTNER),
            "public_health": org(PUBLIC_HEALTH, Organisation.Kind.COUNCIL)}


def write_support_plan(*, authorities: list[Authority], today: dt.date,
                       orgs: dict[str, Organisation]) -> None:
    """The joint care home support plan, submitted seven weeks ago, with its progress."""
    start = today - dt.timedelta(weeks=7)
    plan = plans.action_plan_save(
        name="Care Home Support Plan", authorities=authorities,
        partners=[orgs["ccg"], orgs["trust"]], submitted_on=start, status="in_delivery",
        user=OPERATOR)
    for area_name, actions in SUPPORT_PLAN:
        area = plans.plan_area_save(plan=plan, name=area_name, user=OPERATOR)
        for title, description, timeline, leads, owner, updates in actions:
            due = start + dt.timedelta(days=timeline) if isinstance(timeline, int) else None
            action = plans.plan_action_save(
                area=area, title=title, description=description,
                timeline="date" if due else timeline, due_on=due,
                leads=[orgs[key] for key in leads], owner=owner, started_on=start,
                status="not_started", rag="green", user=OPERATOR)
            for week, status, rag, text in updates:
                plans.progress_update_add(action=action, on=start + dt.timedelta(weeks=week),
                                          text=text, status=status, rag=rag, user=OPERATOR)


# (requirement index within its area, status, owner, local actions) by area code
WINTER_RESPONSES = {
    0: ("met", "Director of Public Health", "Outbreak plan updated; IPC champions in every "
        "care home."),
    1: ("partly_met", "Head of Commissioning", "Staff movement restricted in 9 of 10 homes; "
        "Infection Control Fund round 2 pays for the rest."),
    2: ("met", "Head of Commissioning", "PPE portal registrations checked; LRF stock held."),
    3: ("partly_met", "Director of Public Health", "Weekly staff testing in every home; "
        "visiting testing being planned."),
    4: ("met", "Head of Nursing, CCG", "Flu vaccination offered to all care staff."),
}


def write_winter_plan(*, authorities: list[Authority], today: dt.date) -> None:
    """A winter plan response for each council: the first areas assessed over three weeks."""
    checklist = winter_plan.checklist()
    for authority in authorities:
        for index, area in enumerate(checklist.areas):
            status, owner, actions = WINTER_RESPONSES.get(index % 7, (
                "not_met" if index % 5 == 0 else "partly_met", "Head of Commissioning",
                "Local response being agreed with the CCG."))
            for number, requirement in enumerate(area.requirements):
                first = "partly_met" if status == "met" else "not_met"
                plans.winter_response_record(
                    authority=authority, checklist=checklist.code,
                    requirement=requirement.code, on=today - dt.timedelta(weeks=3),
                    status=first, owner=owner, due_on=requirement.due, user=OPERATOR)
                if number == 0 or status != "not_met":
                    plans.winter_response_record(
                        authority=authority, checklist=checklist.code,
                        requirement=requirement.code, on=today - dt.timedelta(days=4),
                        status=status, owner=owner, due_on=requirement.due,
                        local_actions=actions, user=OPERATOR)
