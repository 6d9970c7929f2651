"""Writes for the Infection Control Fund. Every one is validated, atomic and audited.

Confirmed allocations and payments are never changed: corrections are adjustments and
recoveries. A round's row is locked while it is confirmed or paid, so two people pressing
"confirm" at once cannot both act, and the unique (allocation, instalment) constraint makes a
second payment of the same instalment impossible whatever happens above it.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.core.audit import (
    bulk_create_audited,
    bulk_update_audited,
    delete_audited,
    history_of_inserted,
    save_audited,
)
from caresight.core.db import insert_new
from caresight.core.errors import errors_within
from caresight.core.tenancy import actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location, Provider, ServiceType

from . import selectors
from .allocation import check_shares, plan_rounds, specs_of
from .models import (
    Adjustment,
    Agreement,
    Allocation,
    ConditionKind,
    Element,
    ElementInput,
    Instalment,
    Method,
    Payment,
    PaymentRun,
    Recovery,
    Round,
    SpendLine,
    SpendReturn,
)
from .money import parse_money, pounds
from .round_templates import TEMPLATES


def _money(value, key: str, label: str = "", **kwargs) -> Decimal:
    """Read an amount for the field `key`; a bad one is a ValidationError naming `label`."""
    try:
        return parse_money(value, field=label or key.replace("_", " ").capitalize(), **kwargs)
    except ValueError as exc:
        raise ValidationError({key: str(exc)}) from None


def _percent(value, field: str) -> Decimal:
    try:
        share = Decimal(str(value).strip().rstrip("%"))
    except ArithmeticError:
        raise ValidationError({field: f"{field}: {value!r} is not a percentage."}) from None
    if not share.is_finite() or share <= 0 or share > 100:
        raise ValidationError({field: f"{field}: must be more than 0% and at most 100%."})
    return share


def _check_definition(elements: list[dict], instalments: list[dict],
                      spend_categories: list[dict]) -> None:
    if not elements:
        raise ValidationError({"elements": "A round needs at least one element."})
    for i, e in enumerate(elements, 1):
        e["share"] = _percent(e.get("share"), f"Element {i} share")
        if e.get("method") not in Method.values:
            raise ValidationError({"elements": f"Element {i}: method must be one of "
                                   f"{', '.join(Method.values)}."})
        bad = [t for t in e.get("service_types", []) if t not in ServiceType.values]
        if bad or not e.get("service_types"):
            raise ValidationError({"elements": f"Element {i}: choose service types from "
                                   f"{', '.join(ServiceType.values)}."})
        e["retained"] = _money(e.get("retained", "0"), "elements", f"Element {i} contingency")
    check_shares([e["share"] for e in elements])
    if not instalments:
        raise ValidationError({"instalments": "A round needs at least one instalment."})
    for i, inst in enumerate(instalments, 1):
        inst["share"] = _percent(inst.get("share"), f"Instalment {i} share")
        for c in inst.get("conditions", []):
            if c.get("kind") not in ConditionKind.values:
                raise ValidationError({"instalments": f"Instalment {i}: unknown condition "
                                       f"{c.get('kind')!r}."})
            if c["kind"] == ConditionKind.RECENT_RETURN and not (
                    isinstance(c.get("days"), int) and c["days"] > 0):
                raise ValidationError({"instalments": f"Instalment {i}: a recent-return "
                                       "condition needs a number of days, 1 or more."})
    total = sum((inst["share"] for inst in instalments), Decimal(0))
    if total != 100:
        raise ValidationError({"instalments": f"Instalments add up to {total.normalize():f}%; "
                               "they must add up to 100%."})
    codes = [c.get("code") for c in spend_categories]
    if not codes or len(set(codes)) != len(codes) or not all(
            isinstance(c, str) and c.isidentifier() for c in codes):
        raise ValidationError({"spend_categories": "Spend categories need distinct codes "
                               "(letters, digits and underscores)."})


@transaction.atomic
def round_create(*, authority: Authority, name: str, amount, eligibility_date: dt.date,
                 elements: list[dict], instalments: list[dict], spend_categories: list[dict],
                 template: str = "", user) -> Round:
    """Create a round from its definition (elements, instalments, conditions, categories)."""
    amount = _money(amount, "amount", allow_zero=False)
    elements = [dict(e) for e in elements]
    instalments = [dict(i) for i in instalments]
    _check_definition(elements, instalments, spend_categories)
    round = save_audited(Round(authority=authority, name=name, template=template, amount=amount,
                               eligibility_date=eligibility_date,
                               spend_categories=spend_categories, created_by=actor(user)),
                         user=user, reason="Round created")
    for position, e in enumerate(elements, 1):
        with errors_within(f"elements[{position}]"):
            save_audited(Element(
                round=round, position=position, name=e.get("name", ""), share=e["share"],
                method=e["method"], service_types=e["service_types"],
                cqc_registered_only=e.get("cqc_registered_only", True),
                discretionary=e.get("discretionary", False), retained=e["retained"]),
                user=user, reason="Round created")
    for number, inst in enumerate(instalments, 1):
        due_on = inst.get("due_on") or eligibility_date + dt.timedelta(
            days=inst.get("due_offset_days", 0))
        with errors_within(f"instalments[{number}]"):
            save_audited(Instalment(round=round, number=number, share=inst["share"],
                                    due_on=due_on, conditions=inst.get("conditions", [])),
                         user=user, reason="Round created")
    return round


def round_create_from_template(*, authority: Authority, template: str, amount,
                               eligibility_date: dt.date, name: str = "",
                               contingency="0", user) -> Round:
    """Create a round from a shipped template; `contingency` is kept back from discretion."""
    if template not in TEMPLATES:
        raise ValidationError({"template": f"Unknown template {template!r}."})
    definition = TEMPLATES[template]
    elements = [dict(e) for e in definition["elements"]]
    contingency = _money(contingency, "contingency")
    if contingency:
        discretionary = [e for e in elements if e["discretionary"]]
        if not discretionary:
            raise ValidationError({"contingency": "This template has no discretionary element "
                                   "to keep a contingency from."})
        discretionary[-1]["retained"] = contingency
    return round_create(authority=authority, name=name or definition["name"], amount=amount,
                        eligibility_date=eligibility_date, elements=elements,
                        instalments=definition["instalments"],
                        spend_categories=definition["spend_categories"], template=template,
                        user=user)


def _unconfirmed(round: Round) -> None:
    if round.is_confirmed:
        raise ValidationError(f"The allocation was confirmed on "
                              f"{long_date(timezone.localdate(round.confirmed_at))}; it cannot "
                              "change. Record an adjustment instead.")


@transaction.atomic
def element_update(*, element: Element, share=None, method: str | None = None,
                   service_types: list[str] | None = None, retained=None, user) -> Element:
    """Change an element's share, method, service types or contingency before confirmation."""
    round = Round.objects.select_for_update().get(pk=element.round_id)
    _unconfirmed(round)
    if share is not None:
        element.share = _percent(share, "share")
        others = [e.share for e in round.elements.exclude(pk=element.pk)]
        check_shares([*others, element.share])
    if method is not None:
        if method not in Method.values:
            raise ValidationError({"method": "Choose a method."})
        element.method = method
    if service_types is not None:
        if not service_types or any(t not in ServiceType.values for t in service_types):
            raise ValidationError({"service_types": "Choose at least one service type."})
        element.service_types = service_types
    if retained is not None:
        element.retained = _money(retained, "retained")
    return save_audited(element, user=user, reason="Element changed")


@transaction.atomic
def element_inputs_set(*, element: Element, values: dict[Location, object], user) -> int:
    """Enter units or awards per service for an element (replacing any entered before)."""
    round = Round.objects.select_for_update().get(pk=element.round_id)
    _unconfirmed(round)
    parsed = {}
    for location, value in values.items():
        name = location.cqc_location_id or location.name
        parsed[location] = _money(value, "values", name, allow_zero=False)
    for old in element.inputs.all():
        delete_audited(old, user=user, reason="Units or awards replaced")
    bulk_create_audited([ElementInput(element=element, location=loc, value=v)
                         for loc, v in parsed.items()], ElementInput, user=user,
                        reason="Units or awards entered")
    return len(parsed)


ALLOCATION_FIELDS = ["round_id", "element_id", "location_id", "provider_id", "authority_id",
                     "units", "amount", "explanation", "created_at"]


def allocation_confirm(*, round: Round, user) -> int:
    """Write the round's allocation exactly as previewed. Once only; nothing is written if any
    element cannot be allocated."""
    return allocations_confirm(rounds=[round], user=user)


@transaction.atomic
def allocations_confirm(*, rounds: list[Round], user) -> int:
    """Confirm many rounds at once (a national round: every authority's), all or nothing.

    Returns the number of allocations written.
    """
    locked = list(Round.objects.select_for_update().select_related("authority")
                  .filter(pk__in=[r.pk for r in rounds]).order_by("pk"))
    for round in locked:
        _unconfirmed(round)
    plans = plan_rounds(specs_of(locked))
    problems = [f"{round.authority.name}: {problem}" if len(locked) > 1 else problem
                for round, plan in zip(locked, plans, strict=True) for problem in plan.problems]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    # Plain rows, not model objects: a national round is 16,000 allocations, and making and
    # quoting objects for bulk_create took most of the confirm (COPY on PostgreSQL).
    rows = [(round.pk, cast(int, e.spec.pk), line.location_id, line.provider_id,
             round.authority_id, line.units, line.amount, line.explanation, now)
            for round, plan in zip(locked, plans, strict=True) for e in plan.elements
            for line in e.lines]
    insert_new(Allocation, ALLOCATION_FIELDS, rows)
    # The rounds were unconfirmed, so they had no allocations: these are the rows just written.
    history_of_inserted(Allocation.objects.filter(round__in=locked), user=user,
                        reason="Allocation confirmed")
    for round in locked:
        round.confirmed_at, round.confirmed_by = now, actor(user)
    bulk_update_audited(locked, Round, ["confirmed_at", "confirmed_by"], user=user,
                        reason="Allocation confirmed")
    return len(rows)


@transaction.atomic
def adjustment_record(*, allocation: Allocation, amount, reason: str, user) -> Adjustment:
    """Correct a confirmed allocation by `amount` (negative to reduce it), with a reason."""
    amount = _money(amount, "amount", allow_negative=True, allow_zero=False)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the adjustment."})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    current = allocation.amount + sum((a.amount for a in allocation.adjustments.all()),
                                      Decimal(0))
    if current + amount < 0:
        raise ValidationError({"amount": f"The allocation is {pounds(current)}; it cannot be "
                               f"reduced by {pounds(-amount)}."})
    return save_audited(Adjustment(allocation=allocation, amount=amount, reason=reason.strip(),
                                   created_by=actor(user)), user=user, reason="Allocation adjusted")


@transaction.atomic
def agreement_record(*, round: Round, provider: Provider, accepted: bool, name: str, role: str,
                     user, ip_address: str | None = None, paper: bool = False,
                     responded_on: dt.date | None = None) -> Agreement:
    """Record a provider's acceptance or refusal of the round's conditions.

    A provider answers once; an officer can record a paper agreement in its place. Changing
    an answer (a provider that declined and later signs) keeps the first in the history.
    """
    round = Round.objects.select_for_update().get(pk=round.pk)
    if not round.is_confirmed:
        raise ValidationError("Agreements are asked for once the allocation is confirmed.")
    if not round.allocations.filter(provider=provider).exists():
        raise ValidationError(f"{provider.name} has no allocation from {round.name}.")
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the name of the person signing."
    if not role.strip():
        errors["role"] = "Enter their role."
    if errors:
        raise ValidationError(errors)
    agreement = Agreement.objects.filter(round=round, provider=provider).first() or Agreement(
        round=round, provider=provider, authority_id=round.authority_id)
    if agreement.pk and agreement.decision == Agreement.Decision.ACCEPTED:
        raise ValidationError(f"{provider.name} signed the agreement on "
                              f"{long_date(agreement.responded_on)}.")
    agreement.decision = (Agreement.Decision.ACCEPTED if accepted
                          else Agreement.Decision.DECLINED)
    agreement.signed_name, agreement.signed_role = name.strip(), role.strip()
    agreement.responded_at = timezone.now()
    agreement.responded_on = responded_on or timezone.localdate()
    agreement.ip_address = ip_address
    agreement.method = Agreement.Method.PAPER if paper else Agreement.Method.PORTAL
    agreement.recorded_by = actor(user)
    return save_audited(agreement, user=user, reason="Agreement " + agreement.decision)


@transaction.atomic
def payment_run_create(*, round: Round, instalment: Instalment, as_of: dt.date,
                       user) -> PaymentRun:
    """Start a payment run: what the instalment would pay, with conditions checked on `as_of`."""
    round = Round.objects.get(pk=round.pk)  # as it is now, not as the caller last saw it
    if instalment.round_id != round.pk:
        raise ValidationError({"instalment": "That instalment is not from this round."})
    if not round.is_confirmed:
        raise ValidationError("The allocation has not been confirmed, so nothing can be paid. "
                              "Confirm the allocation first.")
    return save_audited(PaymentRun(round=round, instalment=instalment, as_of=as_of,
                                   created_by=actor(user)),
                        user=user, reason="Payment run prepared")


@transaction.atomic
def payment_run_confirm(*, run: PaymentRun, user) -> int:
    """Pay what is due in the run, once. Returns the number of payments written."""
    Round.objects.select_for_update().get(pk=run.round_id)
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    if run.is_confirmed:
        raise ValidationError(f"This payment run was confirmed on "
                              f"{long_date(timezone.localdate(run.confirmed_at))}; "
                              "nothing was paid again.")
    worked_out = selectors.payment_run_lines(run)
    payments = [Payment(run=run, allocation_id=line.allocation_id,
                        instalment_id=run.instalment_id, provider_id=line.provider_id,
                        authority_id=run.round.authority_id, amount=line.amount)
                for line in worked_out.due]
    bulk_create_audited(payments, Payment, user=user, reason="Payment run confirmed")
    run.confirmed_at, run.confirmed_by = timezone.now(), actor(user)
    run.withheld = [{"cqc_location_id": w.cqc_location_id, "location": w.location_name,
                     "provider": w.provider_name, "element": w.element_name,
                     "amount": str(w.amount),
                     "reasons": w.reasons} for w in worked_out.withheld]
    save_audited(run, user=user, reason="Payment run confirmed")
    return len(payments)


@transaction.atomic
def recovery_record(*, payment: Payment, amount, recovered_on: dt.date, reason: str,
                    user) -> Recovery:
    """Record money recovered from a payment (at most what is left of it)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    amount = _money(amount, "amount", allow_zero=False)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the recovery."})
    left = payment.amount - sum((r.amount for r in payment.recoveries.all()), Decimal(0))
    if amount > left:
        raise ValidationError({"amount": f"Only {pounds(left)} of this payment is left to "
                               "recover."})
    return save_audited(Recovery(payment=payment, amount=amount, recovered_on=recovered_on,
                                 reason=reason.strip(), created_by=actor(user)),
                        user=user, reason="Payment recovered")


@transaction.atomic
def spend_return_submit(*, round: Round, provider: Provider, amounts: Mapping[str, object],
                        over_reason: str = "", user) -> SpendReturn:
    """Record what a provider spent from the round, by category (replacing an earlier return).

    Spend is only accepted on a round the provider was paid from, and may exceed what was
    paid (less recoveries) only with a reason.
    """
    labels = round.category_labels()
    unknown = [code for code in amounts if code not in labels]
    if unknown:
        raise ValidationError({"amounts": f"Unknown spend categories: {', '.join(unknown)}; "
                               f"this round's are {', '.join(labels)}."})
    parsed = {code: _money(amounts.get(code) or "0", code, labels[code])
              for code in labels}
    balance = selectors.provider_balance(round=round, provider=provider)
    if balance["paid"] == 0:
        raise ValidationError(f"{provider.name} has not been paid from {round.name}, so there "
                              "is no spend to report on it.")
    spent = sum(parsed.values(), Decimal(0))
    received = balance["received"]
    if spent > received and not over_reason.strip():
        raise ValidationError({"over_reason": f"Spend of {pounds(spent)} is more than the "
                               f"{pounds(received)} paid; say why."})
    spend = SpendReturn.objects.filter(round=round, provider=provider).first() or SpendReturn(
        round=round, provider=provider, authority_id=round.authority_id)
    spend.over_reason = over_reason.strip() if spent > received else ""
    spend.submitted_by, spend.submitted_at = actor(user), timezone.now()
    save_audited(spend, user=user, reason="Spend return submitted")
    existing = {line.category: line for line in spend.lines.all()}
    for code, amount in parsed.items():
        line = existing.get(code) or SpendLine(spend_return=spend, category=code)
        if line.pk is None or line.amount != amount:
            line.amount = amount
            save_audited(line, user=user, reason="Spend return submitted")
    return spend
