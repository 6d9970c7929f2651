"""Benchmark the action plan, risk register, decision and business case pages and downloads.

Target (issue 14): "A plan with 500 actions and 5,000 progress updates, a register of 1,000
risks, 10,000 decisions: each list page and each as-of download under 200 ms median on
PostgreSQL."

The driver creates a fresh PostgreSQL database (and, with --sqlite, a fresh SQLite file), runs
`caresight migrate`, and starts one worker process (this script with --worker) with
DATABASE_URL set and DEBUG off. The worker writes, in one authority (Cambridgeshire,
E10000003): the care home support plan with its areas (through the services), 500 actions and
5,000 dated progress updates, 1,000 risks with 1 to 4 reviews and 0 to 3 mitigations each (some
changed later, so the mitigations' history has versions to choose from), 10,000 decisions over
2020 and 2021, 200 business cases with their dated statuses, and a winter plan response (the
bulk rows with `core.audit.bulk_create_audited`, so each has its history row, dated when the
row was made). It runs ANALYZE on PostgreSQL, creates a commissioner for Cambridgeshire with
`user_create`, and requests each page, download and API list through django.test.Client after
force_login: --warmup untimed requests, then --repeat timed ones.

A request's time is the whole Django request in-process: middleware, session and user,
tenancy, SQL, rendering the page or writing the file (and logging the download). It leaves out
a web server and the network.

    .venv/bin/python bench/plans_governance.py              # PostgreSQL
    .venv/bin/python bench/plans_governance.py --sqlite     # SQLite as well
    .venv/bin/python bench/plans_governance.py --only "decision list" --show-sql --profile
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET_MS = 200.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/caresight_plans_bench"
AUTHORITY = "E10000003"  # Cambridgeshire
COMMISSIONER_EMAIL = "bench-commissioner@example.org"
PASSWORD = "bench-password-123"
PLAN_START = dt.date(2020, 5, 29)  # the support plan's submission (seed 001)
UPDATES_END = dt.date(2020, 12, 31)
REVIEWS_END = dt.date(2021, 3, 31)
DECISIONS_FROM, DECISIONS_TO = dt.date(2020, 1, 1), dt.date(2021, 12, 31)

AREAS = ["Infection Prevention and Control", "Isolation Accommodation", "Outbreak Management",
         "Testing", "PPE & Equipment Supply", "Workforce Support", "Clinical Support",
         "Medicines and Pharmacy", "Technology and Digital", "Financial Support"]
ACTIONS = [
    ("IPC training", "Infection control training (train the trainer model) rolled out to every "
     "care home, with specialist support from the enhanced local IPC team."),
    ("Ongoing support", "Sharing of lessons learnt, weekly provider forums supported by the "
     "infection control nurse, and a daily newsletter."),
    ("Step down beds", "Local step down beds for safe discharge from hospital for those who "
     "cannot return to their care home at once and need 14 days' isolation."),
    ("Outbreak management support", "Continuing support to care homes and wider residential "
     "settings that develop outbreaks, linked to the health protection board."),
    ("Surveillance", "A coordinated data set to inform the operational and strategic response "
     "and to target testing."),
    ("National care home portal", "Promote the national testing portal to raise uptake by "
     "local providers."),
    ("Rapid local testing", "Test, trace and outbreak management prioritising care homes and "
     "people admitted to them; swabbing for every discharge into a care home."),
    ("Emergency PPE supply", "Coordinated access to emergency PPE through the LRF supply, with "
     "clear communications to providers on how to get it."),
    ("Workforce capacity", "Redeployed staff and volunteers to providers with significant "
     "workforce pressures from outbreaks."),
    ("Clinical lead for each home", "A named clinical lead for every care home, with weekly "
     "check-ins and multidisciplinary team support."),
]
OWNERS = ["Head of Nursing, CCG", "Head of Commissioning", "Director of Public Health",
          "Care home cell chair", "Head of Workforce", "Consultant in Public Health",
          "Director of Commissioning, CCG", ""]
PROGRESS = [
    "Training offered to all 174 care homes across Cambridgeshire and Peterborough.",
    "Provider forums continue to meet weekly, with focused presentations scheduled.",
    "CCG exploring options and where wrap-around care from primary care and CPFT will be "
    "strongest.",
    "Overseen by the care home cell under the standard operating procedure; providers risk "
    "assessed and support offered by need.",
    "Analytical support identified; data sets being aligned for the care home cell.",
    "Rollout paused while test kits were investigated.",
    "Routine testing of staff weekly and residents every 28 days now provided through Pillar 2.",
    "Single provider contact line and email in place; requests diminishing.",
    "Reablement, social work and health staff redeployed to keep services running at two homes.",
    "Further work to understand needs in light of winter pressures and further COVID peaks.",
]
RISKS = [  # (title, category, residual narrative, mitigations): seed 000's five, and others
    ("Market capacity", "market_capacity", "Additional extra care and LD accommodation "
     "capacity has been approved by the CCG for NHSE funding.",
     ["Additional beds purchased from existing providers.",
      "Temporary 10% resilience payment to meet additional COVID costs.",
      "Brokerage operating a single function for health and social care."]),
    ("Lack of PPE", "ppe", "PPE does still remain an issue, but requests are diminishing.",
     ["Council purchasing additional PPE supplies alongside the national supply.",
      "Single provider contact line and email so that issues are escalated quickly.",
      "Emergency stock centralised with the CCG."]),
    ("Staff capacity", "workforce", "About 10% of the Adults workforce is self-isolating; staff "
     "in non-critical roles have been redeployed to front-line services.",
     ["Redeployment of staff and allocation of volunteers from the hub.",
      "Staff absence tracked and its impact monitored.",
      "CCG train-the-trainer model for infection control."]),
    ("Discharge delays from hospital", "hospital_discharge", "The discharge to assess pathway "
     "is operational and embedding.",
     ["D2A pathway agreed and established.",
      "Integrated brokerage for health and social care.",
      "Local authority agreed as lead commissioner for additional community capacity."]),
    ("Lack of funding to meet additional costs associated with COVID", "finance",
     "National funding is not sufficient to meet the additional costs of COVID.",
     ["Funding for additional capacity agreed with the CCG.",
      "Infection Control Fund passed to providers.",
      "Regular MHCLG reporting of the additional costs."]),
    ("Outbreaks in care homes", "infection_control", "Outbreaks are contained faster with the "
     "IMT process; staff movement remains a risk.",
     ["IMT meetings for every home with an outbreak.",
      "Restrict staff movement between homes.",
      "Weekly staff testing."]),
    ("Provider failure", "market_capacity", "Two providers are under financial monitoring.",
     ["Market sustainability payments reviewed monthly.",
      "Contingency plans agreed with the largest providers."]),
    ("Winter pressures", "other", "Capacity plans agreed with the NHS for the winter.",
     ["Winter plan response submitted to DHSC.",
      "Extra home care hours commissioned."]),
]
DECIDERS = ["CCG Governing Body", "Adults Committee", "Director of Adult Social Care",
            "Care home cell", "Health and Wellbeing Board", "Chief Executive",
            "Executive Director, People and Communities"]
DECISIONS = ["COVID positive beds approved", "Temporary uplift for home care providers",
             "Infection Control Fund allocation agreed", "Designated settings commissioned",
             "Extension of the discharge to assess pathway", "PPE stock held centrally",
             "Visiting policy for care homes agreed", "Redeployment of council staff",
             "Market sustainability payments extended", "Testing support for day services"]
CASES = ["Designated setting beds", "Step down beds for discharge", "Additional home care "
         "capacity", "Care home clinical support", "Agency staff costs", "Digital kit for care "
         "homes", "Extra care capacity", "Reablement expansion"]

# A table body row that is not the empty message (a single cell spanning the table).
BODY_ROW = re.compile(r'<tr class="govuk-table__row">(?!<td[^>]*colspan)')

# (label, URL template, table testid to count the page's rows, or None for every table)
CASES_TO_TIME = [
    ("plan page", "/plans/action-plans/{plan}/?as_of={as_of}", None),
    ("plan xlsx", "/plans/action-plans/{plan}/?as_of={as_of}&download=xlsx", None),
    ("plan csv", "/plans/action-plans/{plan}/?as_of={as_of}&download=csv", None),
    ("overdue actions", "/plans/action-plans/overdue/?as_of={as_of}", None),
    ("overdue csv", "/plans/action-plans/overdue/?as_of={as_of}&download=csv", None),
    ("winter plan", "/plans/winter-plan/?as_of={winter_as_of}", None),
    ("risk register", "/governance/risks/?as_of={as_of}", "register"),
    ("risk register xlsx", "/governance/risks/?as_of={as_of}&download=xlsx", None),
    ("risk register csv", "/governance/risks/?as_of={as_of}&download=csv", None),
    ("risks due", "/governance/risks/due/?as_of={as_of}", "due"),
    ("decision list", "/governance/decisions/?since={since}&as_of={decisions_as_of}",
     "decisions"),
    ("decision csv", "/governance/decisions/?since={since}&as_of={decisions_as_of}"
     "&download=csv", None),
    ("decision xlsx", "/governance/decisions/?since={since}&as_of={decisions_as_of}"
     "&download=xlsx", None),
    # "Decisions made since the last reporting period": the last --recent-days days.
    ("decision list, recent", "/governance/decisions/?since={recent_since}"
     "&as_of={decisions_as_of}", "decisions"),
    ("decision csv, recent", "/governance/decisions/?since={recent_since}"
     "&as_of={decisions_as_of}&download=csv", None),
    ("decision xlsx, recent", "/governance/decisions/?since={recent_since}"
     "&as_of={decisions_as_of}&download=xlsx", None),
    ("business cases", "/governance/cases/?as_of={decisions_as_of}", "cases"),
    ("business cases xlsx", "/governance/cases/?as_of={decisions_as_of}&download=xlsx", None),
    ("business cases csv", "/governance/cases/?as_of={decisions_as_of}&download=csv", None),
    ("API plan actions", "/api/plan-actions/?plan={plan}&as_of={as_of}", None),
    ("API risks", "/api/risks/?as_of={as_of}", None),
    ("API risks, 500 a page", "/api/risks/?as_of={as_of}&page_size=500", None),
    ("API decisions", "/api/decisions/?since={since}&as_of={decisions_as_of}", None),
    ("API decisions, 500 a page", "/api/decisions/?since={since}&as_of={decisions_as_of}"
     "&page_size=500", None),
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the action plan, overdue, winter plan, risk register, decision and "
        "business case pages, their downloads and the API lists, signed in as a "
        "commissioner, on a fresh PostgreSQL database (and SQLite with --sqlite).",
    )
    parser.add_argument("--actions", type=int, default=500, help="actions in the plan (500)")
    parser.add_argument("--updates", type=int, default=5_000,
                        help="progress updates over the actions (5000)")
    parser.add_argument("--risks", type=int, default=1_000, help="risks (1000)")
    parser.add_argument("--decisions", type=int, default=10_000, help="decisions (10000)")
    parser.add_argument("--cases", type=int, default=200, help="business cases (200)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2020, 9, 1),
                        help="the day of the plan, overdue and risk pages (2020-09-01)")
    parser.add_argument("--winter-as-of", type=dt.date.fromisoformat,
                        default=dt.date(2020, 12, 1),
                        help="the day of the winter plan page (2020-12-01)")
    parser.add_argument("--since", type=dt.date.fromisoformat, default=dt.date(2020, 1, 1),
                        help="decisions made since (2020-01-01)")
    parser.add_argument("--decisions-as-of", type=dt.date.fromisoformat,
                        default=dt.date(2021, 6, 30),
                        help="the day of the decision and business case lists (2021-06-30)")
    parser.add_argument("--recent-days", type=int, default=30,
                        help="the recent decision lists are of the last N days to "
                        "--decisions-as-of (30)")
    parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed requests per URL (default 15)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed requests per URL first (default 2)")
    parser.add_argument("--only", nargs="+", metavar="LABEL",
                        help="time only the URLs whose label contains one of these")
    _common.add_database_arguments(parser, default_url=DEFAULT_URL, sqlite="--sqlite")
    parser.add_argument("--no-analyze", action="store_true",
                        help="do not ANALYZE the PostgreSQL tables after loading")
    parser.add_argument("--show-sql", action="store_true",
                        help="print each URL's SQL statements with their times")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="EXPLAIN ANALYZE the N slowest statements of each URL")
    parser.add_argument("--profile", action="store_true",
                        help="profile one request of each URL with cProfile")
    _common.add_worker_arguments(parser)
    return parser.parse_args(argv)


# --- Worker: the data ---------------------------------------------------------------------


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment of `day` in the working day (aware, in the project's time zone)."""
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _history_dated(*models) -> None:
    """Date the history rows bulk_create_audited wrote when their rows were made (it dates
    them now), as if each row had been recorded on its day."""
    from django.db.models import F

    for model in models:
        model.history.filter(history_type="+").update(history_date=F("created_at"))


def fill(args: argparse.Namespace) -> dict:
    """Write the test data (see the module's docstring). Returns the counts and seconds."""
    from django.db import transaction

    began = time.perf_counter()
    with transaction.atomic():
        counts = _fill(args)
    counts["seconds"] = time.perf_counter() - began
    return counts


def _fill(args: argparse.Namespace) -> dict:
    from caresight.accounts.models import Organisation
    from caresight.core.tenancy import OPERATOR
    from caresight.plans import services as plan_services
    from caresight.registry.models import Authority

    rng = random.Random(args.seed)
    authority = Authority.objects.get(ons_code=AUTHORITY)

    def org(name, kind):
        return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]

    orgs = [org("Cambridgeshire County Council", Organisation.Kind.COUNCIL),
            org("Cambridgeshire and Peterborough CCG", Organisation.Kind.NHS_PARTNER),
            org("Cambridgeshire and Peterborough NHS Foundation Trust",
                Organisation.Kind.NHS_PARTNER),
            org("Cambridgeshire and Peterborough Public Health", Organisation.Kind.COUNCIL)]
    plan = plan_services.action_plan_save(
        name="Care Home Support Plan", authorities=[authority], partners=orgs[1:3],
        submitted_on=PLAN_START, status="in_delivery", user=OPERATOR)
    areas = [plan_services.plan_area_save(plan=plan, name=name, user=OPERATOR)
             for name in AREAS]
    counts = {"plan": plan.pk}
    counts |= _fill_actions(rng, args, areas, orgs)
    risks, risk_counts = _fill_risks(rng, args, authority)
    counts |= risk_counts
    decisions = _fill_decisions(rng, args, authority, plan, risks)
    counts["decisions"] = len(decisions)
    counts |= _fill_cases(rng, args, authority, orgs, decisions)
    counts |= _fill_winter(rng, authority)
    return counts


def _fill_actions(rng: random.Random, args, areas, orgs) -> dict:
    from caresight.core.audit import bulk_create_audited
    from caresight.core.tenancy import OPERATOR
    from caresight.plans.models import PlanAction, ProgressUpdate

    last_start = args.as_of - dt.timedelta(days=1)  # every action is in the plan by then
    actions = []
    for n in range(args.actions):
        area = areas[n % len(areas)]
        position = n // len(areas) + 1
        started = PLAN_START if position == 1 else _day_between(rng, PLAN_START, last_start)
        kind = rng.choices(["date", "ongoing", "established"], [6, 3, 1])[0]
        title, description = ACTIONS[n % len(ACTIONS)]
        actions.append(PlanAction(
            area=area, title=f"{title} ({position})", description=description, timeline=kind,
            due_on=started + dt.timedelta(days=rng.randint(14, 180)) if kind == "date" else None,
            owner=rng.choice(OWNERS), started_on=started, status="not_started", rag="green",
            position=position, created_at=_at(started, 9)))
    actions = bulk_create_audited(actions, PlanAction, user=OPERATOR, reason="Action saved")
    through = PlanAction.leads.through
    through.objects.bulk_create(
        [through(planaction_id=action.pk, organisation_id=o.pk)
         for action in actions for o in rng.sample(orgs, rng.choice([1, 1, 2, 3]))],
        batch_size=900)
    # Each update goes to an action picked at random (about 10 an action), dated at random
    # between the action's start and the end of 2020, in date order.
    per_action = [0] * len(actions)
    for _ in range(args.updates):
        per_action[rng.randrange(len(actions))] += 1
    updates = []
    for action, count in zip(actions, per_action, strict=True):
        days = sorted(_day_between(rng, action.started_on, UPDATES_END) for _ in range(count))
        status = "not_started"
        for index, day in enumerate(days):
            late = action.due_on is not None and day > action.due_on
            if status != "complete":
                if action.due_on is not None and index >= count * 0.6 and rng.random() < 0.5:
                    status = "complete"
                elif rng.random() < 0.08:
                    status = "on_hold"
                else:
                    status = "in_progress"
            if status == "complete":
                rag = "green"
            elif late or status == "on_hold":
                rag = rng.choices(["red", "amber"], [2, 1])[0]
            else:
                rag = rng.choices(["green", "amber", "red"], [10, 7, 3])[0]
            updates.append(ProgressUpdate(action=action, on=day, text=rng.choice(PROGRESS),
                                          status=status, rag=rag, created_at=_at(day, 16)))
    bulk_create_audited(updates, ProgressUpdate, user=OPERATOR, reason="Progress recorded")
    _history_dated(PlanAction, ProgressUpdate)
    return {"actions": len(actions), "updates": len(updates)}


def _fill_risks(rng: random.Random, args, authority) -> tuple[list, dict]:
    from caresight.core.audit import bulk_create_audited, bulk_update_audited
    from caresight.core.tenancy import OPERATOR
    from caresight.governance.models import Mitigation, Risk, RiskReview

    # Every risk is raised by the register's day, so the register can hold all of them.
    raised_from, raised_to = dt.date(2020, 3, 1), args.as_of - dt.timedelta(days=1)
    specs = [rng.choice(RISKS) for _ in range(args.risks)]
    risks = []
    for n, (title, category, _, _) in enumerate(specs, start=1):
        raised = _day_between(rng, raised_from, raised_to)
        risks.append(Risk(authority=authority, reference=f"R{n}", title=title,
                          description=f"{title}: risk {n} of the adults COVID-19 register.",
                          category=category, owner=rng.choice(OWNERS[:-1]), raised_on=raised,
                          created_at=_at(raised, 9)))
    risks = bulk_create_audited(risks, Risk, user=OPERATOR, reason="Risk added to the register")
    reviews, mitigations, changes = [], [], []
    for risk, (_, _, narrative, lines) in zip(risks, specs, strict=True):
        likelihood, impact = rng.randint(2, 5), rng.randint(2, 5)
        day = risk.raised_on
        for number in range(rng.randint(1, 4)):
            if number:
                day += dt.timedelta(days=rng.randint(21, 75))
                if day > REVIEWS_END:
                    break
                likelihood = min(5, max(1, likelihood + rng.choice([-1, 0, 0, 1])))
                impact = min(5, max(1, impact + rng.choice([-1, 0, 0, 0, 1])))
            above = rng.random() < 0.03
            residual_l = min(5, likelihood + 1) if above else max(1, likelihood - rng.randint(0, 2))
            residual_i = max(1, impact - rng.randint(0, 1))
            above = residual_l * residual_i > likelihood * impact
            closed = number > 0 and rng.random() < 0.12
            reviews.append(RiskReview(
                risk=risk, reviewed_on=day, likelihood=likelihood, impact=impact,
                residual_likelihood=residual_l, residual_impact=residual_i,
                residual_narrative=narrative,
                residual_reason="A new variant makes outbreaks likelier." if above else "",
                target_score=rng.choice([None, 4, 6, 8, 9]),
                next_review_on=None if closed else day + dt.timedelta(
                    days=rng.choice([14, 28, 30, 60, 90])),
                status="closed" if closed else "open", note="Reviewed at the care home cell.",
                created_at=_at(day, 11)))
            if closed:
                break
        for line in rng.sample(lines, rng.randint(0, min(3, len(lines)))):
            started = _day_between(rng, risk.raised_on, risk.raised_on + dt.timedelta(days=60))
            status = rng.choice(["planned", "in_progress", "in_place"])
            due = started + dt.timedelta(days=rng.randint(14, 120)) if rng.random() < 0.7 \
                else None
            mitigation = Mitigation(risk=risk, description=line, owner=rng.choice(OWNERS),
                                    status=status, started_on=started, due_on=due,
                                    created_at=_at(started, 12), updated_at=_at(started, 12))
            mitigations.append(mitigation)
            if status != "in_place" and rng.random() < 0.5:  # moved on later
                changes.append((mitigation, _day_between(
                    rng, started + dt.timedelta(days=7), started + dt.timedelta(days=90))))
    bulk_create_audited(reviews, RiskReview, user=OPERATOR, reason="Risk reviewed")
    bulk_create_audited(mitigations, Mitigation, user=OPERATOR, reason="Mitigation added")
    _history_dated(Risk, RiskReview, Mitigation)
    # Later changes of status: a second history row each, dated the day of the change.
    for mitigation, _ in changes:
        mitigation.status = "in_progress" if mitigation.status == "planned" else "complete"
    bulk_update_audited([m for m, _ in changes], Mitigation, ["status"], user=OPERATOR,
                        reason="Mitigation changed")
    for mitigation, day in changes:
        Mitigation.objects.filter(pk=mitigation.pk).update(updated_at=_at(day, 14))
        Mitigation.history.filter(id=mitigation.pk, history_type="~").update(
            history_date=_at(day, 14), updated_at=_at(day, 14))
    return risks, {"risks": len(risks), "reviews": len(reviews),
                   "mitigations": len(mitigations), "mitigation_changes": len(changes)}


def _fill_decisions(rng: random.Random, args, authority, plan, risks) -> list:
    from caresight.core.audit import bulk_create_audited
    from caresight.core.tenancy import OPERATOR
    from caresight.governance.models import Decision

    decisions = []
    for _ in range(args.decisions):
        day = _day_between(rng, DECISIONS_FROM, DECISIONS_TO)
        costed = rng.random() < 0.3
        amount = Decimal(rng.randint(500, 2_500_000)) + Decimal(rng.randint(0, 99)) / 100 \
            if costed else None
        earlier = [r for r in rng.sample(risks, 3) if r.raised_on <= day]
        decisions.append(Decision(
            authority=authority, title=rng.choice(DECISIONS), decided_on=day,
            decided_by=rng.choice(DECIDERS), key_decision=rng.random() < 0.15,
            related_plan=plan if day >= PLAN_START and rng.random() < 0.05 else None,
            related_risk=earlier[0] if earlier and rng.random() < 0.1 else None,
            financial_implications="Met from the COVID-19 grant." if costed else "",
            amount=amount, created_at=_at(day, 15)))
    decisions = bulk_create_audited(decisions, Decision, user=OPERATOR,
                                    reason="Decision recorded")
    _history_dated(Decision)
    return decisions


def _fill_cases(rng: random.Random, args, authority, orgs, decisions) -> dict:
    from caresight.core.audit import bulk_create_audited
    from caresight.core.tenancy import OPERATOR
    from caresight.governance.models import BusinessCase, BusinessCaseStatus

    by_day: dict[dt.date, list] = {}
    for decision in decisions:
        by_day.setdefault(decision.decided_on, []).append(decision)
    cases, plans = [], []
    for n in range(args.cases):
        submitted = _day_between(rng, dt.date(2020, 4, 1), dt.date(2021, 3, 31))
        drafted = submitted - dt.timedelta(days=rng.randint(7, 30))
        steps = [("draft", drafted, None)]
        if rng.random() < 0.9:
            steps.append(("submitted", submitted, None))
            day = submitted
            if rng.random() < 0.7:
                day += dt.timedelta(days=rng.randint(7, 30))
                steps.append(("in_discussion", day, None))
            if rng.random() < 0.8:
                day += dt.timedelta(days=rng.randint(14, 60))
                settled = by_day.get(day)
                if settled:
                    status = rng.choices(["approved", "not_approved", "withdrawn"], [5, 2, 1])[0]
                    steps.append((status, day, rng.choice(settled)))
        decision = steps[-1][2]
        cases.append(BusinessCase(
            authority=authority, title=f"{rng.choice(CASES)} ({n + 1})",
            summary="Funding for additional capacity over the winter.",
            submitted_to=orgs[1] if rng.random() < 0.8 else orgs[0],
            submitted_on=submitted if len(steps) > 1 else None,
            amount=Decimal(rng.randint(10, 2_000)) * 1000,
            funding_source=rng.choice(["nhs_discharge", "infection_control_fund", "council",
                                       "other"]),
            decision=decision, created_at=_at(drafted, 9)))
        plans.append(steps)
    cases = bulk_create_audited(cases, BusinessCase, user=OPERATOR, reason="Business case added")
    statuses = [BusinessCaseStatus(case=case, status=status, on=day, decision=decision,
                                   note="", created_at=_at(day, 13))
                for case, steps in zip(cases, plans, strict=True)
                for status, day, decision in steps]
    bulk_create_audited(statuses, BusinessCaseStatus, user=OPERATOR,
                        reason="Business case status recorded")
    _history_dated(BusinessCase, BusinessCaseStatus)
    return {"cases": len(cases), "case_statuses": len(statuses)}


def _fill_winter(rng: random.Random, authority) -> dict:
    """Cambridgeshire's response to every requirement of the 2020-21 checklist: 1 to 3 dated
    records each, from the plan's publication to the end of 2020, and a link of evidence for
    a third of them."""
    from caresight.core.audit import bulk_create_audited
    from caresight.core.tenancy import OPERATOR
    from caresight.plans import winter_plan
    from caresight.plans.models import WinterEvidence, WinterResponse, WinterResponseUpdate

    checklist = winter_plan.checklist("2020-21")
    published = checklist.published
    responses = bulk_create_audited(
        [WinterResponse(authority=authority, checklist=checklist.code, requirement=r.code,
                        created_at=_at(published + dt.timedelta(days=7)))
         for r in checklist.requirements], WinterResponse, user=OPERATOR,
        reason="Winter plan response recorded")
    updates, evidence = [], []
    for response, requirement in zip(responses, checklist.requirements, strict=True):
        day = published + dt.timedelta(days=rng.randint(7, 30))
        for status in ["not_met", "partly_met", "met"][:rng.randint(1, 3)]:
            updates.append(WinterResponseUpdate(
                response=response, on=day, status=status, owner=rng.choice(OWNERS[:-1]),
                due_on=requirement.due, local_actions="Local response agreed with the CCG.",
                created_at=_at(day, 10)))
            day = min(day + dt.timedelta(days=rng.randint(14, 40)), UPDATES_END)
        if rng.random() < 0.33:
            evidence.append(WinterEvidence(
                response=response, title="Letter to DHSC", added_on=day,
                url="https://www.cambridgeshire.gov.uk/winter-plan", created_at=_at(day, 12)))
    bulk_create_audited(updates, WinterResponseUpdate, user=OPERATOR,
                        reason="Winter plan response recorded")
    bulk_create_audited(evidence, WinterEvidence, user=OPERATOR,
                        reason="Winter plan evidence added")
    _history_dated(WinterResponse, WinterResponseUpdate, WinterEvidence)
    return {"winter_responses": len(responses), "winter_updates": len(updates)}


# --- Worker: timing -----------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    # WhiteNoise warns that STATIC_ROOT has not been collected; the pages do not need it.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    _common.setup_django()
    from django.db import connection
    from django.test import Client

    from caresight.accounts.services import user_create

    filled = fill(args)
    print(f"Filled in {filled['seconds']:.1f} s: " + ", ".join(
        f"{n:,} {name}" for name, n in filled.items() if name not in ("plan", "seconds")),
        flush=True)
    if connection.vendor == "postgresql" and not args.no_analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user, _ = user_create(email=COMMISSIONER_EMAIL, role="commissioner",
                          authority_codes=[AUTHORITY],
                          organisation_name="Cambridgeshire County Council", password=PASSWORD)
    client = Client()
    client.force_login(user)
    values = {"plan": filled["plan"], "as_of": args.as_of.isoformat(),
              "winter_as_of": args.winter_as_of.isoformat(), "since": args.since.isoformat(),
              "decisions_as_of": args.decisions_as_of.isoformat(),
              "recent_since": (args.decisions_as_of
                               - dt.timedelta(days=args.recent_days)).isoformat()}
    results = []
    for label, template, testid in CASES_TO_TIME:
        if args.only and not any(word in label for word in args.only):
            continue
        path = template.format(**values)

        def request(path=path):
            return _get(client, path)

        times, cpu, response = _common.timed_calls(request, repeat=args.repeat,
                                                   warmup=args.warmup)
        sql = _common.sql_of(request)
        if args.show_sql:
            _common.print_sql(label, sql)
        if args.explain:
            _common.explain_slowest(connection, label, sql, args.explain)
        if args.profile:
            _common.profile_call(request, label, sorts=(("cumulative", 30), ("tottime", 20)),
                                 one="request")
        results.append({"label": label, "path": path, "times_ms": times, "cpu_ms": cpu,
                        "queries": len(sql), "sql_ms": sum(ms for ms, _ in sql),
                        "rows": _rows(response, testid), "bytes": len(response.content)})
        print(f"{label}: median {statistics.median(times):.0f} ms", flush=True)
    _common.report({
        "database": _common.database_label(args.database_url), "filled": filled,
        "repeat": args.repeat, "warmup": args.warmup, "results": results,
        "load_average": os.getloadavg(),
    })


def _get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: "
                         f"{response.content[:300]!r}")
    return response


def _rows(response, testid: str | None) -> str:
    """The rows the response holds: a download's (as its download record logged them), the
    API's (of its count, when paged), or the page's table body rows (of the table with
    `testid`, else of every table on the page)."""
    from caresight.core.models import DownloadRecord

    if response.get("Content-Disposition", "").startswith("attachment"):
        return f"{DownloadRecord.objects.order_by('-pk').values_list('rows', flat=True)[0]:,}"
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(response.content)
        if isinstance(data, dict):
            return f"{len(data['results']):,} of {data['count']:,}"
        return f"{len(data):,}"
    html = response.content.decode()
    if testid:
        found = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S)
        html = found[0] if found else ""
    bodies = re.findall(r"<tbody.*?</tbody>", html, re.S)
    return f"{sum(len(BODY_ROW.findall(body)) for body in bodies):,}"


# --- Driver -------------------------------------------------------------------------------


def driver(args: argparse.Namespace) -> None:
    _common.banner("Plans and governance benchmark")
    worker_args = [
        "--actions", str(args.actions), "--updates", str(args.updates),
        "--risks", str(args.risks), "--decisions", str(args.decisions),
        "--cases", str(args.cases), "--as-of", args.as_of.isoformat(),
        "--winter-as-of", args.winter_as_of.isoformat(), "--since", args.since.isoformat(),
        "--decisions-as-of", args.decisions_as_of.isoformat(),
        "--recent-days", str(args.recent_days), "--seed", str(args.seed),
        "--repeat", str(args.repeat), "--warmup", str(args.warmup),
        "--explain", str(args.explain),
        *(["--only", *args.only] if args.only else []),
        *(["--no-analyze"] if args.no_analyze else []),
        *(["--show-sql"] if args.show_sql else []),
        *(["--profile"] if args.profile else []),
    ]
    results = _common.run_on_each_database(
        Path(__file__).resolve(), args, worker_args,
        doing="writing the plans and governance data and requesting pages",
        ALLOWED_HOSTS="testserver,127.0.0.1")
    for result in results:
        _print_result(result)


def _print_result(result: dict) -> None:
    print()
    filled = result["filled"]
    print(f"{result['database']}: Cambridgeshire ({AUTHORITY}), " + ", ".join(
        f"{n:,} {name.replace('_', ' ')}" for name, n in filled.items()
        if name not in ("plan", "seconds")) + f" (written in {filled['seconds']:.1f} s); "
        f"{result['repeat']} timed requests per URL after {result['warmup']} warm-ups, signed "
        f"in as a commissioner; load average at the end {_common.loads(result['load_average'])}")
    rows = []
    for r in result["results"]:
        times = r["times_ms"]
        median = statistics.median(times)
        rows.append([r["label"], f"{median:.1f}", f"{_common.percentile(times, 0.9):.1f}",
                     f"{statistics.median(r['cpu_ms']):.1f}", r["queries"], f"{r['sql_ms']:.1f}",
                     r["rows"], f"{r['bytes'] / 1000:.0f}",
                     "PASS" if median < TARGET_MS else "FAIL"])
    _common.print_table(["URL", "median ms", "p90 ms", "python cpu ms", "queries", "SQL ms",
                         "rows", "kB", f"< {TARGET_MS:.0f} ms"], rows)
    failed = [r["label"] for r in result["results"]
              if statistics.median(r["times_ms"]) >= TARGET_MS]
    print(f"{len(result['results']) - len(failed)} of {len(result['results'])} under "
          f"{TARGET_MS:.0f} ms median" + (f"; over it: {', '.join(failed)}." if failed else "."))
    for r in result["results"]:
        print(f"  {r['label']}: {r['path']}")


if __name__ == "__main__":
    _common.main(parse_args, worker, driver)
