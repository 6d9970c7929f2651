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


# --- The risk register, decisions and business cases ---------------------------------------

# Seed 000's risks: (reference, title, category, inherent L×I, residual L×I, residual risk,
#                    [mitigations])
RISKS = [
    ("R1", "Market capacity", "market_capacity", (4, 5), (3, 4),
     "Additional extra care and LD accommodation capacity has been approved by the CCG for "
     "NHSE funding, to be brought online as demand presents itself. Domiciliary care capacity "
     "is being maintained at a sufficient level.",
     ["Additional beds purchased from existing providers.",
      "Temporary 10% resilience payment to meet additional COVID costs.",
      "Brokerage operating a single function for health and social care, with extended hours "
      "and 7-day working."]),
    ("R2", "Lack of PPE", "ppe", (5, 5), (2, 4),
     "PPE does still remain an issue and requests are still received in varying degrees of "
     "need, but these requests are diminishing.",
     ["Council purchasing additional PPE supplies alongside the national supply, coordinated "
      "with the CCG.",
      "Single provider contact line and email so that issues are escalated quickly.",
      "Emergency stock centralised with the CCG."]),
    ("R3", "Staff capacity", "workforce", (4, 4), (3, 3),
     "About 10% of the Adults workforce is self-isolating; staff in non-critical roles have "
     "been redeployed to front-line services, particularly reablement.",
     ["Redeployment of staff and allocation of volunteers from the hub.",
      "Staff absence tracked and its impact monitored.",
      "CCG train-the-trainer model for infection control."]),
    ("R4", "Discharge delays from hospital", "hospital_discharge", (4, 4), (2, 3),
     "The discharge to assess pathway is operational and embedding; it has been reviewed and "
     "lessons learnt incorporated.",
     ["D2A pathway agreed and established.",
      "Integrated brokerage for health and social care.",
      "Local authority agreed as lead commissioner for additional community capacity."]),
    ("R5", "Lack of funding to meet additional costs associated with COVID", "finance",
     (5, 4), (4, 4),
     "MHCLG returns highlight that national funding is not sufficient to meet the additional "
     "costs of COVID. Savings delivery for both councils will be affected.",
     ["Funding for additional capacity agreed with the CCG.",
      "Infection Control Fund passed to providers.",
      "Regular MHCLG reporting of the additional costs."]),
]


def write_governance(*, authority: Authority, today: dt.date, orgs: dict[str, Organisation]
                     ) -> None:
    """The risk register (seed 000's five risks, reviewed over six weeks), decisions and
    business cases put to the CCG (seeds 000 and 003)."""
    from caresight.governance import services as governance
    from caresight.plans.models import ActionPlan

    start = today - dt.timedelta(weeks=6)
    risks = {}
    for ref, title, category, (li, ii), (lr, ir), narrative, mitigations in RISKS:
        risk = governance.risk_create(
            authority=authority, reference=ref, title=title, category=category,
            raised_on=start, likelihood=li, impact=ii, residual_likelihood=min(li, lr + 1),
            residual_impact=ir, residual_narrative=narrative, owner="Head of Commissioning",
            target_score=6, next_review_on=start + dt.timedelta(weeks=2), user=OPERATOR)
        governance.risk_review_record(
            risk=risk, reviewed_on=start + dt.timedelta(weeks=3), likelihood=li, impact=ii,
            residual_likelihood=lr, residual_impact=ir, residual_narrative=narrative,
            target_score=6, next_review_on=today + dt.timedelta(days=3 if ref == "R2" else 14)
            if ref != "R5" else today - dt.timedelta(days=2), user=OPERATOR)
        for n, text in enumerate(mitigations):
            governance.mitigation_create(
                risk=risk, description=text, started_on=start, owner="Head of Commissioning",
                status=("in_place", "in_progress", "planned")[n % 3],
                due_on=start + dt.timedelta(weeks=4 + n), user=OPERATOR)
        risks[ref] = risk
    plan = ActionPlan.objects.filter(authorities=authority).first()
    decisions = [
        ("Temporary 10% resilience payment to providers until the end of June",
         start - dt.timedelta(weeks=4), "Adults Committee", True, "1200000.00"),
        ("Centralise emergency PPE stock with the CCG", start + dt.timedelta(days=3),
         "CCG Governing Body", False, None),
        ("Care home support plan approved for submission", start - dt.timedelta(days=2),
         "Executive Director, People and Communities", True, None),
        ("Infection Control Fund round 1: 75% per bed, 25% discretionary",
         start + dt.timedelta(weeks=2), "Director of Commissioning", True, "6100000.00"),
    ]
    for title, on, by, key, amount in decisions:
        governance.decision_create(
            authority=authority, title=title, decided_on=on, decided_by=by, key_decision=key,
            amount=amount, related_plan=plan if "support plan" in title else None,
            related_risk=risks["R2"] if "PPE" in title else None,
            financial_implications="Met from the COVID-19 grant." if amount else "",
            user=OPERATOR)
    cases = [
        ("Additional LD and extra care accommodation", "250000.00", "nhs_discharge",
         [("submitted", 5), ("in_discussion", 4), ("approved", 2)]),
        ("Designated setting beds for COVID-positive discharges", "180000.00", "nhs_discharge",
         [("submitted", 3), ("in_discussion", 2)]),
        ("PPE funding shared with the CCG", "95000.00", "other",
         [("submitted", 5), ("not_approved", 3)]),
        ("Extended carers' emergency overnight service", "42000.00", "council",
         [("draft", 2)]),
        ("Step down beds from the Infection Control Fund", "60000.00",
         "infection_control_fund", [("submitted", 4), ("withdrawn", 1)]),
    ]
    settling = {
        "approved": governance.decision_create(
            authority=authority, title="NHSE funding for additional LD and extra care "
            "accommodation agreed", decided_on=today - dt.timedelta(weeks=2),
            decided_by="CCG Governing Body", key_decision=True, amount="250000.00",
            related_risk=risks["R1"], financial_implications="Met from NHS discharge funding.",
            user=OPERATOR),
        "not_approved": governance.decision_create(
            authority=authority, title="Shared PPE funding not approved; the council meets "
            "its own PPE costs", decided_on=today - dt.timedelta(weeks=3),
            decided_by="CCG Governing Body", related_risk=risks["R2"],
            financial_implications="PPE costs stay with the council's COVID-19 grant.",
            user=OPERATOR),
    }
    for title, amount, source, statuses in cases:
        first, weeks = statuses[0]
        case = governance.business_case_create(
            authority=authority, title=title, submitted_to=orgs["ccg"], amount=amount,
            funding_source=source, status=first, status_on=today - dt.timedelta(weeks=weeks),
            submitted_on=today - dt.timedelta(weeks=weeks) if first != "draft" else None,
            user=OPERATOR)
        for status, weeks in statuses[1:]:
            governance.business_case_status_record(
                case=case, status=status, on=today - dt.timedelta(weeks=weeks),
                decision=settling.get(status),
                note="Agreed with the CCG." if status == "approved" else "",
                user=OPERATOR)


# --- The commissioning team's absences --------------------------------------------------------

# Six weeks of the commissioning team (seed 000: 15 absent, all shielding and working from
# home, in the latest week) and brokerage.
TEAM_WEEKS = {
    "Commissioning": [(62, 0, 1, 17, 0, 1, 3), (62, 1, 0, 16, 1, 0, 3), (61, 0, 0, 16, 0, 1, 4),
                      (61, 0, 1, 15, 0, 0, 4), (60, 0, 0, 15, 0, 1, 5), (60, 0, 0, 15, 0, 0, 5)],
    "Brokerage": [(24, 1, 1, 2, 1, 0, 1), (24, 0, 2, 2, 0, 1, 1), (25, 0, 1, 2, 0, 0, 1),
                  (25, 1, 0, 1, 0, 0, 0), (25, 0, 0, 1, 0, 0, 0), (26, 0, 0, 1, 0, 0, 0)],
}


def write_workforce(*, authority: Authority, today: dt.date) -> None:
    from caresight.workforce import services as workforce

    monday = today - dt.timedelta(days=today.weekday())
    for name, weeks in TEAM_WEEKS.items():
        team = workforce.team_create(authority=authority, name=name, user=OPERATOR)
        for n, (staff, symptoms, household, shielding, positive, other, vacancies) in \
                enumerate(weeks):
            workforce.team_week_record(
                team=team, week_commencing=monday - dt.timedelta(weeks=len(weeks) - 1 - n),
                staff_in_post=staff, absent_symptoms=symptoms, absent_household=household,
                absent_shielding=shielding, absent_positive=positive, absent_other=other,
                vacancies=vacancies, redeployed_in=2 if name == "Brokerage" else 0,
                redeployed_out=3 if name == "Commissioning" and n > 2 else 0, user=OPERATOR)
