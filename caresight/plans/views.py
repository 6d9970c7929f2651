"""Action plan and winter plan pages: thin views over the plans selectors and services."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tables, tenancy
from caresight.core.query import page_date
from caresight.core.tenancy import Capability
from caresight.core.views import attachment_response, handle_form, history_page

from . import selectors, services, winter_plan
from . import tables as plan_tables
from .forms import (
    ActionForm,
    AreaForm,
    CreateActionForm,
    CreatePlanForm,
    EvidenceForm,
    PlanForm,
    ProgressForm,
    WinterResponseForm,
)
from .models import ActionStatus, ComplianceStatus, Rag


def _as_of(request):
    return page_date(request, "as_of", timezone.localdate())


def _can(request, capability: Capability) -> bool:
    return tenancy.has_capability(request.user, capability)


def index(request):
    tenancy.require(request.user, Capability.VIEW_PLANS)
    return render(request, "plans/index.html", {})


# --- Action plans ---------------------------------------------------------------------------


def plan_list(request):
    tenancy.require(request.user, Capability.VIEW_PLANS)
    return render(request, "plans/plan_list.html", {
        "plans": selectors.plan_list(user=request.user),
        "can_manage": _can(request, Capability.MANAGE_PLANS)})


def _plan_form(request, form_class, plan=None):
    initial = {}
    if plan is not None:
        initial = {"name": plan.name, "authorities": list(plan.authorities.all()),
                   "partners": list(plan.partners.all()), "submitted_on": plan.submitted_on,
                   "status": plan.status}
    return form_class(request.POST or None, initial=initial,
                      authorities=selectors.authority_choices(
                          user=request.user, capability=Capability.MANAGE_PLANS),
                      partners=selectors.partner_choices())


def plan_new(request):
    tenancy.require(request.user, Capability.MANAGE_PLANS)
    form = _plan_form(request, CreatePlanForm)
    done = handle_form(request, form, lambda data: services.action_plan_save(
        user=request.user, **data), success_message=lambda p: f"{p.name} is added.",
        redirect_to=lambda p: reverse("plans:plan", args=[p.pk]))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Add an action plan", "button": "Add the plan",
        "back": reverse("plans:plan-list")})


def plan_edit(request, pk: int):
    plan = tenancy.access_action_plan(request.user, pk, Capability.MANAGE_PLANS)
    form = _plan_form(request, PlanForm, plan)
    done = handle_form(request, form, lambda data: services.action_plan_save(
        plan=plan, user=request.user, **data), success_message="The plan is saved.",
        redirect_to=reverse("plans:plan", args=[plan.pk]))
    return done or render(request, "form_page.html", {
        "form": form, "title": f"Change {plan.name}", "button": "Save",
        "back": reverse("plans:plan", args=[plan.pk])})


def plan_detail(request, pk: int):
    plan = tenancy.access_action_plan(request.user, pk, Capability.VIEW_PLANS)
    as_of = _as_of(request)
    rows = selectors.action_rows(user=request.user, as_of=as_of, plan=plan)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(
            request, plan_tables.action_plan_table(rows, title=plan.name, as_of=as_of), fmt,
            file_stem=f"action-plan-{plan.pk}-{as_of.isoformat()}")
    areas = [a.name for a in plan.areas.all()]
    return render(request, "plans/plan_detail.html", {
        "plan": plan, "as_of": as_of, "rows": rows,
        "tables": plan_tables.area_tables(rows, areas=areas, as_of=as_of),
        "overdue": len(selectors.overdue_rows(rows)),
        "can_manage": tenancy.allows(request.user, Capability.MANAGE_PLANS, plan),
        "can_export": _can(request, Capability.EXPORT),
        "download_links": tables.download_links(request)})


def plan_history(request, pk: int):
    plan = tenancy.access_action_plan(request.user, pk, Capability.VIEW_PLANS)
    return history_page(request, plan, back_url=reverse("plans:plan", args=[plan.pk]))


def area_new(request, pk: int):
    plan = tenancy.access_action_plan(request.user, pk, Capability.MANAGE_PLANS)
    form = AreaForm(request.POST or None)
    done = handle_form(request, form, lambda data: services.plan_area_save(
        plan=plan, user=request.user, **data), success_message=lambda a: f"{a.name} is added.",
        redirect_to=reverse("plans:plan", args=[plan.pk]))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Add an area", "caption": plan.name, "button": "Add the area",
        "back": reverse("plans:plan", args=[plan.pk])})


def overdue(request):
    tenancy.require(request.user, Capability.VIEW_PLANS)
    as_of = _as_of(request)
    table = plan_tables.overdue_table(
        selectors.overdue_rows(selectors.action_rows(user=request.user, as_of=as_of)),
        as_of=as_of)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(request, table, fmt,
                                        file_stem=f"overdue-actions-{as_of.isoformat()}")
    return render(request, "plans/overdue.html", {
        "table": table, "as_of": as_of, "can_export": _can(request, Capability.EXPORT),
        "download_links": tables.download_links(request)})


# --- Actions --------------------------------------------------------------------------------


def _action_form(request, form_class, plan, action=None):
    initial = {}
    if action is not None:
        initial = {f: getattr(action, f) for f in (
            "area", "title", "description", "timeline", "due_on", "owner", "started_on",
            "status", "rag")} | {"leads": list(action.leads.all())}
    return form_class(request.POST or None, initial=initial, areas=plan.areas.all(),
                      leads=selectors.partner_choices())


def action_new(request, pk: int):
    plan = tenancy.access_action_plan(request.user, pk, Capability.MANAGE_PLANS)
    if not plan.areas.exists():
        return render(request, "plans/no_areas.html", {"plan": plan})
    form = _action_form(request, CreateActionForm, plan)
    done = handle_form(request, form, lambda data: services.plan_action_save(
        user=request.user, **data), success_message=lambda a: f"{a.title} is added.",
        redirect_to=reverse("plans:plan", args=[plan.pk]))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Add an action", "caption": plan.name, "button": "Add the action",
        "back": reverse("plans:plan", args=[plan.pk])})


def action_detail(request, pk: int):
    action = tenancy.access_plan_action(request.user, pk, Capability.VIEW_PLANS)
    plan = action.area.plan
    row = next(iter(selectors.action_rows(user=request.user, as_of=timezone.localdate(),
                                          action=action)), None)
    return render(request, "plans/action_detail.html", {
        "action": action, "plan": plan, "row": row,
        "timeline": plan_tables.timeline_text({"timeline": action.timeline,
                                               "due_on": action.due_on}),
        "status_label": ActionStatus(row["status"]).label if row else "",
        "rag_label": Rag(row["rag"]).label if row else "",
        "updates": plan_tables.updates_table(selectors.action_updates(action=action)),
        "can_manage": tenancy.allows(request.user, Capability.MANAGE_PLANS, action),
        "can_update": services.may_update_progress(request.user, action)})


def action_edit(request, pk: int):
    action = tenancy.access_plan_action(request.user, pk, Capability.MANAGE_PLANS)
    plan = action.area.plan
    form = _action_form(request, ActionForm, plan, action)
    done = handle_form(request, form, lambda data: services.plan_action_save(
        action=action, user=request.user, **data), success_message="The action is saved.",
        redirect_to=reverse("plans:action", args=[action.pk]))
    return done or render(request, "form_page.html", {
        "form": form, "title": f"Change {action.title}", "caption": plan.name, "button": "Save",
        "back": reverse("plans:action", args=[action.pk])})


def action_progress(request, pk: int):
    """Record progress: the plan's commissioners, or a partner on an action it leads. A
    partner who may read the action but does not lead it is told so, and nothing is written."""
    action = tenancy.access_plan_action(request.user, pk, Capability.VIEW_PLANS)
    back = reverse("plans:action", args=[action.pk])
    if not services.may_update_progress(request.user, action):
        leads = ", ".join(o.name for o in action.leads.all()) or "no organisation yet"
        response = render(request, "plans/not_lead.html", {
            "action": action, "leads": leads, "back": back})
        response.status_code = 403
        return response
    last = action.updates.order_by("-on", "-pk").first()
    form = ProgressForm(request.POST or None, initial={
        "status": last.status if last else action.status, "rag": last.rag if last else action.rag})
    done = handle_form(request, form, lambda data: services.progress_update_add(
        action=action, user=request.user, **data), success_message="The progress is recorded.",
        redirect_to=back)
    return done or render(request, "form_page.html", {
        "form": form, "title": "Record progress", "caption": action.title,
        "button": "Record the progress", "back": back})


def action_history(request, pk: int):
    action = tenancy.access_plan_action(request.user, pk, Capability.VIEW_PLANS)
    return history_page(request, action, back_url=reverse("plans:action", args=[action.pk]))


# --- The winter plan ------------------------------------------------------------------------


def _checklist(request) -> winter_plan.Checklist:
    code = request.GET.get("checklist") or None
    try:
        return winter_plan.checklist(code)
    except KeyError:
        raise Http404("No such checklist.") from None


def winter(request):
    tenancy.require(request.user, Capability.VIEW_PLANS)
    as_of, checklist = _as_of(request), _checklist(request)
    authorities = list(tenancy.authorities(request.user, Capability.VIEW_PLANS))
    code = (request.GET.get("authority") or "").upper()
    authority = next((a for a in authorities if a.ons_code == code),
                     authorities[0] if authorities else None)
    if authority is None:
        raise PermissionDenied
    chosen = [authority] if request.GET.get("authority") != "all" else authorities
    rows = selectors.winter_rows(user=request.user, as_of=as_of, checklist=checklist,
                                 authorities=chosen)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(
            request, plan_tables.winter_table(rows, title=checklist.title, as_of=as_of), fmt,
            file_stem=f"winter-plan-{checklist.code}-{as_of.isoformat()}")
    summary = selectors.compliance_summary(rows)
    areas = [{"name": area.name, "table": plan_tables.winter_table(
        [r for r in rows if r["area_code"] == area.code], title=area.name, as_of=as_of,
        page=True)} for area in checklist.areas]
    met = sum(1 for r in rows if r["status"] == ComplianceStatus.MET)
    return render(request, "plans/winter.html", {
        "checklist": checklist, "as_of": as_of, "authority": authority,
        "authorities": authorities, "summary": plan_tables.compliance_table(summary, as_of=as_of),
        "area_tables": areas, "met": met, "total": len(rows),
        "can_export": _can(request, Capability.EXPORT),
        "download_links": tables.download_links(request),
        "checklists": list(winter_plan.checklists().values())})


def _requirement(requirement: str, checklist_code: str | None):
    try:
        checklist = winter_plan.checklist(checklist_code)
    except KeyError:
        raise Http404("No such checklist.") from None
    found = checklist.requirement(requirement)
    if found is None:
        raise Http404("No such requirement.")
    return checklist, found


def winter_response(request, code: str, requirement: str):
    authority = tenancy.access_authority(request.user, code, Capability.VIEW_PLANS)
    checklist, found = _requirement(requirement, request.GET.get("checklist"))
    response = selectors.winter_response(authority=authority, checklist=checklist.code,
                                         requirement=found.code)
    can_manage = tenancy.allows(request.user, Capability.MANAGE_PLANS, authority)
    last = response.updates.order_by("-on", "-pk").first() if response else None
    form = WinterResponseForm(request.POST or None, initial={
        "status": last.status if last else None, "owner": last.owner if last else "",
        "due_on": last.due_on if last else found.due,
        "local_actions": last.local_actions if last else ""})
    if request.method == "POST" and not can_manage:
        raise Http404("No such record.")
    back = f"{reverse('plans:winter')}?authority={authority.ons_code}"
    done = handle_form(request, form, lambda data: services.winter_response_record(
        authority=authority, checklist=checklist.code, requirement=found.code,
        user=request.user, **data), success_message="The response is recorded.",
        redirect_to=reverse("plans:winter-response", args=[authority.ons_code, found.code]))
    if done:
        return done
    updates = response.updates.select_related("created_by").order_by("-on", "-pk") \
        if response else []
    evidence = response.evidence.all() if response else []
    return render(request, "plans/winter_response.html", {
        "authority": authority, "checklist": checklist, "requirement": found,
        "response": response, "last": last, "form": form, "can_manage": can_manage,
        "back": back, "updates": plan_tables.winter_updates_table(updates),
        "evidence": plan_tables.evidence_table(evidence, can_download=True)})


def winter_evidence_add(request, code: str, requirement: str):
    authority = tenancy.access_authority(request.user, code, Capability.MANAGE_PLANS)
    checklist, found = _requirement(requirement, request.GET.get("checklist"))
    form = EvidenceForm(request.POST or None, request.FILES or None)
    back = reverse("plans:winter-response", args=[authority.ons_code, found.code])

    def add(data):
        upload = data.pop("file")
        return services.winter_evidence_add(
            authority=authority, checklist=checklist.code, requirement=found.code,
            file_name=upload.name if upload else "", content=upload.read() if upload else b"",
            user=request.user, **data)

    done = handle_form(request, form, add, success_message="The evidence is added.",
                       redirect_to=back)
    return done or render(request, "plans/evidence_form.html", {
        "form": form, "title": "Add evidence", "caption": found.text, "button": "Add",
        "back": back})


def winter_evidence(request, pk: int):
    item = tenancy.access_winter_evidence(request.user, pk, Capability.VIEW_PLANS)
    if not item.file_name:
        raise Http404("No such file.")
    return attachment_response(bytes(item.content), item.content_type, item.file_name)

