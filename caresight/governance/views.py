"""Risk register, decision and business case pages: thin views over the selectors and
services. Reading needs VIEW_PLANS, writing MANAGE_PLANS."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.query import page_date
from caresight.core.tables import download_links, download_response, format_money
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import handle_form, history_page

from . import selectors, services, tables
from .forms import (
    CaseForm,
    CaseNewForm,
    CaseStatusForm,
    DecisionForm,
    DecisionNewForm,
    MitigationForm,
    MitigationNewForm,
    RiskEditForm,
    RiskForm,
    RiskReviewForm,
)
from .models import CaseStatus, Category

VIEW, MANAGE = Capability.VIEW_PLANS, Capability.MANAGE_PLANS


def _download(request, table, stem: str):
    tenancy.require(request.user, Capability.EXPORT)
    return download_response(request, table, request.GET["download"], file_stem=stem)


def _form_page(request, form, *, title: str, button: str, back: str, caption: str = "",
               intro: str = ""):
    return render(request, "form_page.html", {"form": form, "title": title, "button": button,
                                              "back": back, "caption": caption,
                                              "intro": intro})


# --- Risks -------------------------------------------------------------------------------------


RISKS_SHOWN = 100  # a page of the register; the heat map and the downloads have every risk


def risk_list(request):
    tenancy.require(request.user, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    category = request.GET.get("category") if request.GET.get("category") in Category.values \
        else ""
    residual = request.GET.get("scores") != "inherent"
    rows = selectors.register(user=request.user, as_of=as_of, category=category)
    if request.GET.get("download"):
        return _download(request, tables.register_table(rows, as_of=as_of),
                         f"risk-register-{as_of.isoformat()}")
    page = Paginator(rows, RISKS_SHOWN).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "governance/risk_list.html", {
        "as_of": as_of, "as_of_text": long_date(as_of), "residual": residual,
        "table": tables.register_table(page.object_list, as_of=as_of), "page": page,
        "query": query.urlencode(), "total": len(rows),
        "heat_map": tables.heat_map_table(selectors.heat_map(rows, residual=residual),
                                          residual=residual),
        "category": category, "categories": Category.choices,
        "can_manage": tenancy.has_capability(request.user, MANAGE),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request)})


def risk_due(request):
    tenancy.require(request.user, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    table = tables.due_table(selectors.due_for_review(user=request.user, as_of=as_of),
                             as_of=as_of)
    if request.GET.get("download"):
        return _download(request, table, f"risks-due-{as_of.isoformat()}")
    return render(request, "governance/risk_due.html", {
        "as_of": as_of, "table": table, "days": selectors.DUE_WITHIN_DAYS,
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request)})


def risk_new(request):
    tenancy.require(request.user, MANAGE)
    form = RiskForm(request.POST or None, user=request.user)
    done = handle_form(request, form, lambda data: services.risk_create(user=request.user,
                                                                        **data),
                       success_message=lambda risk: f"Risk {risk.reference} added.",
                       redirect_to=lambda risk: reverse("governance:risk-detail",
                                                        args=[risk.pk]),
                       already_sent="That risk was already added; it was recorded once.")
    return done or _form_page(request, form, title="Add a risk", button="Add the risk",
                              back=reverse("governance:risk-list"))


def risk_detail(request, pk: int):
    risk = tenancy.access_risk(request.user, pk, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    can_manage = tenancy.allows(request.user, MANAGE, risk)
    review = selectors.risk_review_on(risk, as_of)
    return render(request, "governance/risk_detail.html", {
        "risk": risk, "review": review, "as_of": as_of,
        "facts": _risk_facts(risk, review),
        "reviews": tables.reviews_table(selectors.risk_reviews(risk)),
        "mitigations": tables.mitigations_table(selectors.risk_mitigations(risk),
                                                can_manage=can_manage),
        "can_manage": can_manage})


def _risk_facts(risk, review) -> list[tuple[str, str]]:
    from . import scoring

    facts = [("Authority", risk.authority.name), ("Category", risk.get_category_display()),
             ("Owner", risk.owner), ("Raised", long_date(risk.raised_on)),
             ("Description", risk.description)]
    if review is not None:
        facts += [
            ("Inherent score", f"{review.score} (likelihood {review.likelihood} × impact "
                               f"{review.impact}): {scoring.band(review.score)}"),
            ("Residual score", f"{review.residual_score} (likelihood "
                               f"{review.residual_likelihood} × impact {review.residual_impact})"
                               f": {scoring.band(review.residual_score)}"),
            ("Residual risk", review.residual_narrative),
            ("Target score", str(review.target_score) if review.target_score else ""),
            ("Next review", long_date(review.next_review_on) if review.next_review_on else ""),
            ("Status", review.get_status_display())]
    facts += [("Plan actions", "; ".join(str(a) for a in risk.actions.all())),
              ("Providers", "; ".join(p.name for p in risk.providers.all())),
              ("Outbreaks", "; ".join(f"{o.location.name}, reported {long_date(o.reported_on)}"
                                      for o in risk.outbreaks.select_related("location")))]
    return facts


def risk_edit(request, pk: int):
    risk = tenancy.access_risk(request.user, pk, MANAGE)
    initial = {key: getattr(risk, key) for key in ("reference", "title", "description",
                                                   "category", "owner", "raised_on")}
    initial |= {"actions": list(risk.actions.all()), "providers": list(risk.providers.all()),
                "outbreaks": list(risk.outbreaks.all())}
    form = RiskEditForm(request.POST or None, initial=initial, user=request.user)
    back = reverse("governance:risk-detail", args=[risk.pk])
    done = handle_form(request, form, lambda data: services.risk_update(
        risk=risk, user=request.user, **data),
        success_message="Risk saved.", redirect_to=back)
    return done or _form_page(request, form, title=f"Change risk {risk.reference}",
                              button="Save", back=back, caption=risk.title)


def risk_review(request, pk: int):
    risk = tenancy.access_risk(request.user, pk, MANAGE)
    latest = selectors.risk_review_on(risk, timezone.localdate())
    initial = {"reviewed_on": timezone.localdate(), "status": "open"}
    if latest is not None:
        initial |= {key: getattr(latest, key) for key in (
            "likelihood", "impact", "residual_likelihood", "residual_impact",
            "residual_narrative", "target_score", "status")}
    form = RiskReviewForm(request.POST or None, initial=initial)
    back = reverse("governance:risk-detail", args=[risk.pk])
    done = handle_form(request, form, lambda data: services.risk_review_record(
        risk=risk, user=request.user, **data),
        success_message=lambda review: f"Review of {long_date(review.reviewed_on)} saved.",
        redirect_to=back)
    return done or _form_page(
        request, form, title=f"Review risk {risk.reference}", button="Save the review",
        back=back, caption=risk.title,
        intro="A review holds from its date until the next one. A second review on the same "
              "day replaces the first; both are kept in the history.")


def risk_history(request, pk: int):
    risk = tenancy.access_risk(request.user, pk, VIEW)
    return history_page(request, risk, back_url=reverse("governance:risk-detail", args=[pk]))


def mitigation_new(request, pk: int):
    risk = tenancy.access_risk(request.user, pk, MANAGE)
    form = MitigationNewForm(request.POST or None, initial={"started_on": timezone.localdate(),
                                                            "status": "planned"})
    back = reverse("governance:risk-detail", args=[risk.pk])
    done = handle_form(request, form, lambda data: services.mitigation_create(
        risk=risk, user=request.user, **data),
        success_message="Mitigation added.", redirect_to=back)
    return done or _form_page(request, form, title="Add a mitigation", button="Add it",
                              back=back, caption=f"{risk.reference} {risk.title}")


def mitigation_edit(request, pk: int):
    mitigation = tenancy.access_mitigation(request.user, pk, MANAGE)
    form = MitigationForm(request.POST or None, initial={
        key: getattr(mitigation, key) for key in ("description", "owner", "status",
                                                  "started_on", "due_on")})
    back = reverse("governance:risk-detail", args=[mitigation.risk_id])
    done = handle_form(request, form, lambda data: services.mitigation_update(
        mitigation=mitigation, user=request.user, **data),
        success_message="Mitigation saved.", redirect_to=back)
    return done or _form_page(request, form, title="Change a mitigation", button="Save",
                              back=back, caption=str(mitigation.risk))


# --- Decisions ---------------------------------------------------------------------------------


DECISIONS_SHOWN = 100  # a page; the downloads have them all


def decision_list(request):
    tenancy.require(request.user, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    since = page_date(request, "since", None, label="Decisions made since")
    if since is not None and since > as_of:
        since = as_of
    decisions = selectors.decisions_since(user=request.user, since=since, as_of=as_of)
    if request.GET.get("download"):
        return _download(request, tables.decisions_table(
            selectors.decision_rows(decisions), since=since, as_of=as_of),
            f"decisions-{as_of.isoformat()}")
    page = Paginator(selectors.decision_rows(decisions), DECISIONS_SHOWN).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    in_all = selectors.decisions_in_all(decisions)
    return render(request, "governance/decision_list.html", {
        "as_of": as_of, "since": since, "page": page, "query": query.urlencode(),
        "in_all": in_all,
        "amount_in_all": format_money(in_all["amount"]) if in_all["amount"] else "",
        "table": tables.decisions_table(page.object_list, since=since, as_of=as_of),
        "can_manage": tenancy.has_capability(request.user, MANAGE),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request)})


def decision_new(request):
    tenancy.require(request.user, MANAGE)
    form = DecisionNewForm(request.POST or None, user=request.user)
    done = handle_form(request, form, lambda data: services.decision_create(
        user=request.user, **data),
        success_message="Decision recorded.",
        redirect_to=lambda d: reverse("governance:decision-detail", args=[d.pk]),
        already_sent="That decision was already recorded; it was saved once.")
    return done or _form_page(request, form, title="Record a decision", button="Save",
                              back=reverse("governance:decision-list"))


def decision_detail(request, pk: int):
    decision = tenancy.access_decision(request.user, pk, VIEW)
    facts = [("Date", long_date(decision.decided_on)), ("Decided by", decision.decided_by),
             ("Key decision", "Yes" if decision.key_decision else "No"),
             ("Authority", decision.authority.name),
             ("Related plan", str(decision.related_plan or "")),
             ("Related risk", str(decision.related_risk or "")),
             ("Related round", decision.related_round.name if decision.related_round else ""),
             ("Financial implications", decision.financial_implications),
             ("Amount", format_money(decision.amount) if decision.amount is not None else "")]
    cases = [(case.pk, case.title) for case in decision.business_cases.all()]
    return render(request, "governance/decision_detail.html", {
        "decision": decision, "facts": facts, "cases": cases,
        "can_manage": tenancy.allows(request.user, MANAGE, decision)})


def decision_edit(request, pk: int):
    decision = tenancy.access_decision(request.user, pk, MANAGE)
    form = DecisionForm(request.POST or None, user=request.user, initial={
        "title": decision.title, "decided_on": decision.decided_on,
        "decided_by": decision.decided_by, "key_decision": decision.key_decision,
        "related_plan": decision.related_plan_id, "related_risk": decision.related_risk_id,
        "related_round": decision.related_round_id,
        "financial_implications": decision.financial_implications,
        "amount": "" if decision.amount is None else str(decision.amount)})
    back = reverse("governance:decision-detail", args=[decision.pk])
    done = handle_form(request, form, lambda data: services.decision_update(
        decision=decision, user=request.user, **data),
        success_message="Decision saved.", redirect_to=back)
    return done or _form_page(request, form, title="Change the decision", button="Save",
                              back=back)


def decision_history(request, pk: int):
    decision = tenancy.access_decision(request.user, pk, VIEW)
    return history_page(request, decision,
                        back_url=reverse("governance:decision-detail", args=[pk]))


# --- Business cases ----------------------------------------------------------------------------


def case_list(request):
    tenancy.require(request.user, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    status = request.GET.get("status") if request.GET.get("status") in CaseStatus.values else ""
    rows = selectors.cases_as_of(user=request.user, as_of=as_of)
    counts = tables.cases_by_status_table(selectors.cases_by_status(rows))
    shown = [row for row in rows if row.status.status == status] if status else rows
    table = tables.cases_table(shown, as_of=as_of)
    if request.GET.get("download"):
        return _download(request, table, f"business-cases-{as_of.isoformat()}")
    return render(request, "governance/case_list.html", {
        "as_of": as_of, "table": table, "counts": counts, "status": status,
        "statuses": CaseStatus.choices,
        "can_manage": tenancy.has_capability(request.user, MANAGE),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "download_links": download_links(request)})


def case_new(request):
    tenancy.require(request.user, MANAGE)
    form = CaseNewForm(request.POST or None, user=request.user)
    done = handle_form(request, form, lambda data: services.business_case_create(
        user=request.user, **data),
        success_message="Business case added.",
        redirect_to=lambda case: reverse("governance:case-detail", args=[case.pk]),
        already_sent="That business case was already added; it was saved once.")
    return done or _form_page(request, form, title="Add a business case", button="Save",
                              back=reverse("governance:case-list"))


def case_detail(request, pk: int):
    case = tenancy.access_business_case(request.user, pk, VIEW)
    as_of = page_date(request, "as_of", timezone.localdate())
    statuses = list(selectors.case_statuses(case))
    now = next((s for s in statuses if s.on <= as_of), None)
    facts = [("Authority", case.authority.name), ("Submitted to", case.submitted_to.name),
             ("Submitted", long_date(case.submitted_on) if case.submitted_on else
              "Not submitted"),
             ("Amount", format_money(case.amount)),
             ("Funding source", case.get_funding_source_display()),
             ("Status", f"{now.get_status_display()} since {long_date(now.on)}" if now else ""),
             ("Settled by", case.decision.title if case.decision else ""),
             ("Summary", case.summary)]
    return render(request, "governance/case_detail.html", {
        "case": case, "facts": facts, "as_of": as_of,
        "statuses": tables.case_statuses_table(statuses),
        "can_manage": tenancy.allows(request.user, MANAGE, case)})


def case_edit(request, pk: int):
    case = tenancy.access_business_case(request.user, pk, MANAGE)
    form = CaseForm(request.POST or None, user=request.user, initial={
        "title": case.title, "summary": case.summary, "submitted_to": case.submitted_to_id,
        "submitted_on": case.submitted_on, "amount": str(case.amount),
        "funding_source": case.funding_source})
    back = reverse("governance:case-detail", args=[case.pk])
    done = handle_form(request, form, lambda data: services.business_case_update(
        case=case, user=request.user, **data),
        success_message="Business case saved.", redirect_to=back)
    return done or _form_page(request, form, title="Change the business case", button="Save",
                              back=back)


def case_status(request, pk: int):
    case = tenancy.access_business_case(request.user, pk, MANAGE)
    form = CaseStatusForm(request.POST or None, case=case, user=request.user)
    back = reverse("governance:case-detail", args=[case.pk])
    done = handle_form(request, form, lambda data: services.business_case_status_record(
        case=case, user=request.user, **data),
        success_message=lambda row: f"Status {row.get_status_display().lower()} from "
                                    f"{long_date(row.on)} recorded.",
        redirect_to=back)
    return done or _form_page(request, form, title="Record a change of status", button="Save",
                              back=back, caption=case.title)


def case_history(request, pk: int):
    case = tenancy.access_business_case(request.user, pk, VIEW)
    return history_page(request, case, back_url=reverse("governance:case-detail", args=[pk]))
