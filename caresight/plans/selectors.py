"""Reads for action plans and the winter plan response, for any day, through the user's scope.

How an action or a response stood on a day is its latest dated row on or before that day
(`ProgressUpdate`, `WinterResponseUpdate`); an action started after the day is not yet in the
plan. So any past week's table is reproduced from the same rows.
"""

import datetime as dt
from collections import Counter

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority

from . import winter_plan
from .models import (
    ActionPlan,
    ActionStatus,
    ComplianceStatus,
    PlanAction,
    ProgressUpdate,
    Timeline,
    WinterEvidence,
    WinterResponse,
    WinterResponseUpdate,
)


def plan_list(*, user) -> QuerySet:
    return (tenancy.in_scope(user, Capability.VIEW_PLANS, ActionPlan)
            .prefetch_related("authorities", "partners", "areas")
            .annotate(action_count=Count("areas__actions", distinct=True)).order_by("name", "pk"))


def _latest(model, parent: str, as_of: dt.date) -> Subquery:
    """The ID of each parent's latest dated row on or before `as_of`."""
    return Subquery(model.objects.filter(**{parent: OuterRef("pk")}, on__lte=as_of)
                    .order_by("-on", "-pk").values("pk")[:1])


def is_overdue(*, timeline: str, due_on: dt.date | None, status: str, as_of: dt.date) -> bool:
    return (timeline == Timeline.BY_DATE and due_on is not None and due_on < as_of
            and status != ActionStatus.COMPLETE)


def action_rows(*, user, as_of: dt.date, plan: ActionPlan | None = None,
                plans: QuerySet | None = None, action: PlanAction | None = None,
                capability: Capability = Capability.VIEW_PLANS) -> list[dict]:
    """Every action of `plan` (or of `plans`, or of every plan in scope) as it stood on
    `as_of`: its area, what it is, its leads, and its progress, status and RAG then."""
    actions = tenancy.in_scope(user, capability, PlanAction).filter(started_on__lte=as_of)
    if action is not None:
        actions = actions.filter(pk=action.pk)
    if plan is not None:
        actions = actions.filter(area__plan=plan)
    elif plans is not None:
        actions = actions.filter(area__plan__in=plans)
    # Plain values, not model instances: a plan's table reads every action, its leads and
    # its latest update, and building three models an action and prefetching the leads took
    # most of the time (bench/plans_governance.py). The rows are the same.
    found = list(actions.annotate(latest_id=_latest(ProgressUpdate, "action", as_of))
                 .order_by("area__plan__name", "area__plan_id", "area__position", "area_id",
                           "position", "pk")
                 .values("pk", "area__plan_id", "area__plan__name", "area__name", "title",
                         "description", "timeline", "due_on", "owner", "started_on", "status",
                         "rag", "latest_id"))
    leads: dict[int, list[str]] = {}
    if found:
        for action_id, name in (PlanAction.leads.through.objects
                                .filter(planaction_id__in=[a["pk"] for a in found])
                                .order_by("organisation__name")
                                .values_list("planaction_id", "organisation__name")):
            leads.setdefault(action_id, []).append(name)
    latest = (ProgressUpdate.objects.order_by().only("on", "text", "status", "rag")
              .in_bulk([a["latest_id"] for a in found if a["latest_id"]]))
    rows = []
    for item in found:
        update = latest.get(item["latest_id"])
        status = update.status if update else item["status"]
        rows.append({
            "action_id": item["pk"], "plan_id": item["area__plan_id"],
            "plan": item["area__plan__name"], "area": item["area__name"],
            "title": item["title"], "description": item["description"],
            "timeline": item["timeline"], "due_on": item["due_on"],
            "leads": ", ".join(leads.get(item["pk"], ())), "owner": item["owner"],
            "started_on": item["started_on"],
            "status": status, "rag": update.rag if update else item["rag"],
            "progress": update.text if update else "",
            "progress_on": update.on if update else None,
            "overdue": is_overdue(timeline=item["timeline"], due_on=item["due_on"],
                                  status=status, as_of=as_of),
        })
    return rows


def overdue_rows(rows: list[dict]) -> list[dict]:
    return sorted((r for r in rows if r["overdue"]), key=lambda r: (r["due_on"], r["plan"]))


def action_updates(*, action: PlanAction, as_of: dt.date | None = None) -> QuerySet:
    updates = action.updates.select_related("created_by").order_by("-on", "-pk")
    return updates.filter(on__lte=as_of) if as_of else updates


def authority_choices(*, user, capability: Capability = Capability.VIEW_PLANS) -> QuerySet:
    return tenancy.authorities(user, capability)


def partner_choices() -> QuerySet:
    """Organisations an action may be led by, or a plan joint with: councils and NHS
    partners (providers' organisations are not partners in a plan)."""
    return Organisation.objects.exclude(kind=Organisation.Kind.CARE_PROVIDER).order_by("name")


# --- The winter plan ------------------------------------------------------------------------


def winter_rows(*, user, as_of: dt.date, checklist: winter_plan.Checklist,
                authorities: QuerySet | None = None) -> list[dict]:
    """Each requirement of `checklist` for each authority in scope (or `authorities`), with
    the council's response as it stood on `as_of`."""
    chosen = list(authorities if authorities is not None
                  else tenancy.authorities(user, Capability.VIEW_PLANS))
    responses = (tenancy.in_scope(user, Capability.VIEW_PLANS, WinterResponse)
                 .filter(checklist=checklist.code, authority__in=chosen)
                 .annotate(latest_id=_latest(WinterResponseUpdate, "response", as_of)))
    by_key = {(r.authority_id, r.requirement): r for r in responses}
    updates = WinterResponseUpdate.objects.in_bulk(
        [r.latest_id for r in by_key.values() if r.latest_id])
    evidence: dict[int, list[str]] = {}
    for item in WinterEvidence.objects.filter(response__in=list(by_key.values()),
                                              added_on__lte=as_of).order_by("added_on", "pk"):
        evidence.setdefault(item.response_id, []).append(item.title)
    rows = []
    for authority in chosen:
        for requirement in checklist.requirements:
            response = by_key.get((authority.pk, requirement.code))
            update = updates.get(response.latest_id) if response else None
            rows.append({
                "authority": authority.name, "authority_code": authority.ons_code,
                "area": requirement.area_name, "area_code": requirement.area_code,
                "requirement": requirement.code, "text": requirement.text,
                "national_due": requirement.due,
                "status": update.status if update else ComplianceStatus.NOT_ASSESSED,
                "owner": update.owner if update else "",
                "due_on": update.due_on if update else None,
                "local_actions": update.local_actions if update else "",
                "evidence": evidence.get(response.pk, []) if response else [],
                "updated_on": update.on if update else None,
            })
    return rows


def compliance_summary(rows: list[dict]) -> list[dict]:
    """Requirements by area and status, in the checklist's order."""
    areas: dict[str, Counter] = {}
    for row in rows:
        areas.setdefault(row["area"], Counter())[row["status"]] += 1
    return [{"area": area, **{s.value: counts[s.value] for s in ComplianceStatus},
             "total": sum(counts.values())} for area, counts in areas.items()]


def winter_response(*, authority: Authority, checklist: str, requirement: str
                    ) -> WinterResponse | None:
    """The response kept for one requirement (its authority already checked by the caller)."""
    return WinterResponse.objects.filter(authority=authority, checklist=checklist,
                                         requirement=requirement).first()


def overdue_count(*, user, as_of: dt.date, authority_codes=()) -> dict:
    """The dashboard's overdue actions on `as_of` (as `action_rows` marks them overdue) and the
    actions in the plans then (`actions`), in one aggregate statement."""
    actions = tenancy.in_scope(user, Capability.VIEW_PLANS, PlanAction).filter(
        started_on__lte=as_of)
    if authority_codes:
        joint = ActionPlan.authorities.through.objects.filter(
            authority__ons_code__in=list(authority_codes)).values("actionplan_id")
        actions = actions.filter(area__plan_id__in=joint)
    status = Subquery(ProgressUpdate.objects.filter(action=OuterRef("pk"), on__lte=as_of)
                      .order_by("-on", "-pk").values("status")[:1])
    found = actions.order_by().annotate(status_then=Coalesce(status, F("status"))).aggregate(
        actions=Count("pk"),
        overdue=Count("pk", filter=Q(timeline=Timeline.BY_DATE, due_on__lt=as_of)
                      & ~Q(status_then=ActionStatus.COMPLETE)))
    return {"actions": found["actions"], "overdue": found["overdue"]}
