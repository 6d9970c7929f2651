"""Writes for the risk register, decisions and business cases: validated, atomic, audited.

Each refusal is a ValidationError naming the field, and nothing is written.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.audit import save_audited
from caresight.core.tenancy import Capability, actor
from caresight.core.timeutils import long_date
from caresight.grants.money import parse_money
from caresight.registry.models import Authority

from . import scoring
from .models import (
    BusinessCase,
    BusinessCaseStatus,
    CaseStatus,
    Decision,
    Mitigation,
    Risk,
    RiskReview,
    RiskStatus,
)

SCORE_LABELS = {"likelihood": "Likelihood", "impact": "Impact",
                "residual_likelihood": "Residual likelihood", "residual_impact": "Residual impact"}
# A case's status once settled: a decision may be given with these.
SETTLED = {CaseStatus.APPROVED, CaseStatus.NOT_APPROVED, CaseStatus.WITHDRAWN}


def _money(value, key: str, label: str, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({key: f"Enter the {label.lower()}."})
        return None
    try:
        return parse_money(value, field=label)
    except ValueError as exc:
        raise ValidationError({key: str(exc)}) from None


def _not_future(day: dt.date | None, key: str, label: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError({key: f"{label}: {long_date(day)} is in the future."})


def _text(value: str, key: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({key: message})
    return value


# --- Risks -------------------------------------------------------------------------------------


def _check_scores(scores: dict) -> dict:
    """The four 1–5 scores as whole numbers; each one outside 1–5 is named."""
    errors = {}
    for key, label in SCORE_LABELS.items():
        value = scores.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[key] = f"{label} must be a whole number from 1 to 5."
    target = scores.get("target_score")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int)
                               or not 1 <= target <= 25):
        errors["target_score"] = "Target score must be a whole number from 1 to 25."
    if errors:
        raise ValidationError(errors)
    return scores


def _links(risk: Risk, user, *, actions, providers, outbreaks) -> None:
    """Link a risk to plan actions, providers and outbreaks the user may see, of its
    authority; any other is refused as if it did not exist."""
    chosen: dict[str, list[int]] = {}
    checks: tuple[tuple[str, Iterable | None, str, dict[str, Any]], ...] = (
        ("actions", actions, "plans.PlanAction",
         {"area__plan__authorities": risk.authority_id}),
        ("providers", providers, "registry.Provider", {}),
        ("outbreaks", outbreaks, "outbreaks.Outbreak",
         {"location__authority_id": risk.authority_id}),
    )
    for key, given, label, belongs in checks:
        if given is None:
            continue
        ids = sorted({getattr(item, "pk", item) for item in given})
        found = set(tenancy.in_scope(user, Capability.VIEW_PLANS, label).filter(
            pk__in=ids, **belongs).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise ValidationError({key: f"No such record: {', '.join(map(str, missing))}."})
        chosen[key] = ids
    for key, ids in chosen.items():
        getattr(risk, key).set(ids)


@transaction.atomic
def risk_create(*, authority: Authority, reference: str, title: str, category: str,
                raised_on: dt.date, likelihood: int, impact: int, residual_likelihood: int,
                residual_impact: int, user, description: str = "", owner: str = "",
                residual_narrative: str = "", residual_reason: str = "",
                target_score: int | None = None, next_review_on: dt.date | None = None,
                note: str = "", actions: Iterable | None = None,
                providers: Iterable | None = None, outbreaks: Iterable | None = None) -> Risk:
    """Put a risk on the register with its first review, dated the day it was raised."""
    tenancy.require(user, Capability.MANAGE_PLANS, authority)
    _not_future(raised_on, "raised_on", "Date raised")
    reference = _text(reference, "reference", "Enter the risk's reference, like R1.")
    if Risk.objects.filter(authority=authority, reference__iexact=reference).exists():
        raise ValidationError({"reference": f"{authority.name} already has a risk {reference}."})
    _check_scores({"likelihood": likelihood, "impact": impact,
                   "residual_likelihood": residual_likelihood,
                   "residual_impact": residual_impact, "target_score": target_score})
    risk = save_audited(Risk(
        authority=authority, reference=reference,
        title=_text(title, "title", "Enter the risk."), description=description.strip(),
        category=category, owner=owner.strip(), raised_on=raised_on, created_by=actor(user)),
        user=user, reason="Risk added to the register")
    _links(risk, user, actions=actions, providers=providers, outbreaks=outbreaks)
    risk_review_record(risk=risk, reviewed_on=raised_on, likelihood=likelihood, impact=impact,
                       residual_likelihood=residual_likelihood, residual_impact=residual_impact,
                       residual_narrative=residual_narrative, residual_reason=residual_reason,
                       target_score=target_score, next_review_on=next_review_on,
                       status=RiskStatus.OPEN, note=note, user=user)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, user, **changes) -> Risk:
    """Change what a risk is (reference, title, description, category, owner, raised date,
    links). Its scores change only by a review."""
    tenancy.require(user, Capability.MANAGE_PLANS, risk)
    links = {key: changes.pop(key) for key in ("actions", "providers", "outbreaks")
             if key in changes}
    allowed = {"reference", "title", "description", "category", "owner", "raised_on"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({key: "This cannot be changed here." for key in unknown})
    if "reference" in changes:
        changes["reference"] = _text(changes["reference"], "reference",
                                     "Enter the risk's reference, like R1.")
        if Risk.objects.filter(authority_id=risk.authority_id,
                               reference__iexact=changes["reference"]).exclude(
                pk=risk.pk).exists():
            raise ValidationError({"reference": (
                f"{risk.authority.name} already has a risk {changes['reference']}.")})
    if "title" in changes:
        changes["title"] = _text(changes["title"], "title", "Enter the risk.")
    if "raised_on" in changes:
        _not_future(changes["raised_on"], "raised_on", "Date raised")
        first = risk.reviews.order_by("reviewed_on").first()
        if first is not None and changes["raised_on"] > first.reviewed_on:
            raise ValidationError({"raised_on": (
                f"The risk was first reviewed on {long_date(first.reviewed_on)}; it cannot "
                "have been raised after that.")})
    for key, value in changes.items():
        setattr(risk, key, value.strip() if isinstance(value, str) else value)
    save_audited(risk, user=user, reason="Risk changed")
    _links(risk, user, **{"actions": None, "providers": None, "outbreaks": None, **links})
    return risk


@transaction.atomic
def risk_review_record(*, risk: Risk, reviewed_on: dt.date, likelihood: int, impact: int,
                       residual_likelihood: int, residual_impact: int, user,
                       residual_narrative: str = "", residual_reason: str = "",
                       target_score: int | None = None, next_review_on: dt.date | None = None,
                       status: str = RiskStatus.OPEN, note: str = "") -> RiskReview:
    """Record the risk's assessment on a day (a second review the same day replaces it)."""
    tenancy.require(user, Capability.MANAGE_PLANS, risk)
    _not_future(reviewed_on, "reviewed_on", "Date of the review")
    if reviewed_on < risk.raised_on:
        raise ValidationError({"reviewed_on": (
            f"The risk was raised on {long_date(risk.raised_on)}; a review cannot be dated "
            "before that.")})
    _check_scores({"likelihood": likelihood, "impact": impact,
                   "residual_likelihood": residual_likelihood,
                   "residual_impact": residual_impact, "target_score": target_score})
    inherent = scoring.score(likelihood, impact)
    residual = scoring.score(residual_likelihood, residual_impact)
    if residual > inherent and not (residual_reason or "").strip():
        raise ValidationError({"residual_reason": (
            f"The residual score ({residual}) is above the inherent score ({inherent}): say "
            "why.")})
    if next_review_on is not None and next_review_on < reviewed_on:
        raise ValidationError({"next_review_on": (
            f"The next review must be on or after this review ({long_date(reviewed_on)}).")})
    if status not in RiskStatus.values:
        raise ValidationError({"status": "Choose open or closed."})
    review = (RiskReview.objects.filter(risk=risk, reviewed_on=reviewed_on).first()
              or RiskReview(risk=risk, reviewed_on=reviewed_on, created_by=actor(user)))
    replacing = review.pk is not None
    for key, value in {"likelihood": likelihood, "impact": impact,
                       "residual_likelihood": residual_likelihood,
                       "residual_impact": residual_impact,
                       "residual_narrative": residual_narrative.strip(),
                       "residual_reason": residual_reason.strip(),
                       "target_score": target_score, "next_review_on": next_review_on,
                       "status": status, "note": note.strip()}.items():
        setattr(review, key, value)
    return save_audited(review, user=user, reason="Risk review corrected" if replacing
                        else "Risk reviewed")


@transaction.atomic
def mitigation_create(*, risk: Risk, description: str, started_on: dt.date, user,
                      owner: str = "", status: str = "planned",
                      due_on: dt.date | None = None) -> Mitigation:
    tenancy.require(user, Capability.MANAGE_PLANS, risk)
    mitigation = Mitigation(risk=risk, created_by=actor(user))
    return _mitigation_save(mitigation, description=description, started_on=started_on,
                            owner=owner, status=status, due_on=due_on, user=user,
                            reason="Mitigation added")


@transaction.atomic
def mitigation_update(*, mitigation: Mitigation, description: str, started_on: dt.date, user,
                      owner: str = "", status: str = "planned",
                      due_on: dt.date | None = None) -> Mitigation:
    tenancy.require(user, Capability.MANAGE_PLANS, mitigation.risk)
    return _mitigation_save(mitigation, description=description, started_on=started_on,
                            owner=owner, status=status, due_on=due_on, user=user,
                            reason="Mitigation changed")


def _mitigation_save(mitigation: Mitigation, *, description, started_on, owner, status, due_on,
                     user, reason) -> Mitigation:
    if due_on is not None and due_on < started_on:
        raise ValidationError({"due_on": (
            f"Due date: {long_date(due_on)} is a due date before the start "
            f"({long_date(started_on)}).")})
    mitigation.description = _text(description, "description", "Describe the mitigation.")
    mitigation.started_on, mitigation.due_on = started_on, due_on
    mitigation.owner, mitigation.status = owner.strip(), status
    mitigation.updated_at = timezone.now()
    return save_audited(mitigation, user=user, reason=reason)


# --- Decisions ---------------------------------------------------------------------------------


def _related(user, authority: Authority, *, plan, risk, round) -> None:
    """Related records must be the user's to see and of the decision's authority."""
    for key, record, label, belongs in (
            ("related_plan", plan, "plans.ActionPlan", {"authorities": authority.pk}),
            ("related_risk", risk, "governance.Risk", {"authority_id": authority.pk}),
            ("related_round", round, "grants.Round", {"authority_id": authority.pk})):
        if record is None:
            continue
        if not tenancy.in_scope(user, Capability.VIEW_PLANS, label).filter(
                pk=record.pk, **belongs).exists():
            raise ValidationError({key: f"No such record of {authority.name}."})


DECISION_FIELDS = ("title", "decided_on", "decided_by", "key_decision", "related_plan",
                   "related_risk", "related_round", "financial_implications", "amount")


def _decision_save(decision: Decision, *, user, reason: str, **values) -> Decision:
    if values.get("decided_on") is None:
        raise ValidationError({"decided_on": "Enter the date of the decision (decided_on)."})
    _not_future(values["decided_on"], "decided_on", "Date of the decision")
    values["title"] = _text(values.get("title", ""), "title", "Say what was decided.")
    values["decided_by"] = _text(values.get("decided_by", ""), "decided_by",
                                 "Say who decided (a body or an officer).")
    values["amount"] = _money(values.get("amount"), "amount", "Amount", required=False)
    values["financial_implications"] = (values.get("financial_implications") or "").strip()
    _related(user, decision.authority, plan=values.get("related_plan"),
             risk=values.get("related_risk"), round=values.get("related_round"))
    for key in DECISION_FIELDS:
        setattr(decision, key, values.get(key, getattr(decision, key)))
    return save_audited(decision, user=user, reason=reason)


@transaction.atomic
def decision_create(*, authority: Authority, user, title: str, decided_on: dt.date | None,
                    decided_by: str, key_decision: bool = False, related_plan=None,
                    related_risk=None, related_round=None, financial_implications: str = "",
                    amount=None) -> Decision:
    tenancy.require(user, Capability.MANAGE_PLANS, authority)
    return _decision_save(
        Decision(authority=authority, created_by=actor(user)), user=user,
        reason="Decision recorded", title=title, decided_on=decided_on, decided_by=decided_by,
        key_decision=key_decision, related_plan=related_plan, related_risk=related_risk,
        related_round=related_round, financial_implications=financial_implications,
        amount=amount)


@transaction.atomic
def decision_update(*, decision: Decision, user, **changes) -> Decision:
    tenancy.require(user, Capability.MANAGE_PLANS, decision)
    unknown = set(changes) - set(DECISION_FIELDS)
    if unknown:
        raise ValidationError({key: "This cannot be changed." for key in unknown})
    values = {key: getattr(decision, key) for key in DECISION_FIELDS}
    values.update(changes)
    return _decision_save(decision, user=user, reason="Decision changed", **values)


# --- Business cases ----------------------------------------------------------------------------


def _check_case(*, title, amount, submitted_to, submitted_on, decision, authority, user
                ) -> tuple[str, Decimal]:
    title = _text(title, "title", "Enter the title of the business case.")
    amount_value = _money(amount, "amount", "Amount")
    assert amount_value is not None
    if submitted_to is None or not isinstance(submitted_to, Organisation):
        raise ValidationError({"submitted_to": "Choose the organisation it is submitted to."})
    _not_future(submitted_on, "submitted_on", "Date submitted")
    if decision is not None:
        _check_decision(decision, authority, user)
    return title, amount_value


def _check_decision(decision: Decision, authority: Authority, user) -> None:
    if not tenancy.in_scope(user, Capability.VIEW_PLANS, Decision).filter(
            pk=decision.pk, authority_id=authority.pk).exists():
        raise ValidationError({"decision": f"No such decision of {authority.name}."})


@transaction.atomic
def business_case_create(*, authority: Authority, title: str, submitted_to: Organisation,
                         amount, funding_source: str, user, summary: str = "",
                         submitted_on: dt.date | None = None, status: str = CaseStatus.DRAFT,
                         status_on: dt.date | None = None, decision: Decision | None = None,
                         note: str = "") -> BusinessCase:
    """A business case, with its first dated status (draft unless said otherwise)."""
    tenancy.require(user, Capability.MANAGE_PLANS, authority)
    title, amount_value = _check_case(title=title, amount=amount, submitted_to=submitted_to,
                                      submitted_on=submitted_on, decision=decision,
                                      authority=authority, user=user)
    case = save_audited(BusinessCase(
        authority=authority, title=title, summary=summary.strip(), submitted_to=submitted_to,
        submitted_on=submitted_on, amount=amount_value, funding_source=funding_source,
        created_by=actor(user)), user=user, reason="Business case added")
    business_case_status_record(case=case, status=status,
                                on=status_on or submitted_on or timezone.localdate(),
                                decision=decision, note=note, user=user)
    return case


@transaction.atomic
def business_case_update(*, case: BusinessCase, user, **changes) -> BusinessCase:
    """Change what a case is (title, summary, to whom, when, amount, funding). Its status
    changes only by a dated status row."""
    tenancy.require(user, Capability.MANAGE_PLANS, case)
    allowed = {"title", "summary", "submitted_to", "submitted_on", "amount", "funding_source"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({key: "This cannot be changed here." for key in unknown})
    values = {key: getattr(case, key) for key in allowed} | changes
    title, amount_value = _check_case(
        title=values["title"], amount=values["amount"], submitted_to=values["submitted_to"],
        submitted_on=values["submitted_on"], decision=None, authority=case.authority, user=user)
    for key, value in values.items():
        setattr(case, key, value)
    case.title, case.amount, case.summary = title, amount_value, (case.summary or "").strip()
    return save_audited(case, user=user, reason="Business case changed")


@transaction.atomic
def business_case_status_record(*, case: BusinessCase, status: str, on: dt.date, user,
                                decision: Decision | None = None,
                                note: str = "") -> BusinessCaseStatus:
    """The case's status from a day on; a settling decision (approved, not approved,
    withdrawn) becomes the case's decision."""
    tenancy.require(user, Capability.MANAGE_PLANS, case)
    if status not in CaseStatus.values:
        raise ValidationError({"status": "Choose the status from the list."})
    if on is None:
        raise ValidationError({"on": "Enter the date of the status."})
    _not_future(on, "on", "Date of the status")
    first = case.statuses.order_by("on", "pk").first()
    if first is not None and on < first.on:
        raise ValidationError({"on": (
            f"The case's first status is dated {long_date(first.on)}; a status cannot be "
            "dated before that.")})
    if decision is not None:
        _check_decision(decision, case.authority, user)
        if decision.decided_on > on:
            raise ValidationError({"decision": (
                f"That decision was made on {long_date(decision.decided_on)}, after "
                f"{long_date(on)}.")})
    row = save_audited(BusinessCaseStatus(case=case, status=status, on=on, note=note.strip(),
                                          decision=decision, created_by=actor(user)),
                       user=user, reason="Business case status recorded")
    changed = False
    if status == CaseStatus.SUBMITTED and case.submitted_on is None:
        case.submitted_on, changed = on, True
    if decision is not None and status in SETTLED:
        case.decision, changed = decision, True
    if changed:
        save_audited(case, user=user, reason="Business case status recorded")
    return row
