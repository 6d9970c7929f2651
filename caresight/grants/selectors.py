"""Reads for the Infection Control Fund: rounds, what a payment run pays, reconciliation,
the return to government and the published allocations.

Officers (a capability over the round's authority) see a whole round; provider users see only
their own provider's allocations, agreement, payments and spend, through the same scope.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.registry.models import Provider
from caresight.returns.models import SERVICE_GROUP_OF_TYPE
from caresight.returns.selectors import last_return_dates

from .models import (
    Adjustment,
    Agreement,
    Allocation,
    ConditionKind,
    Instalment,
    Payment,
    PaymentRun,
    Recovery,
    Round,
    SpendLine,
    SpendReturn,
)
from .money import PENNY, instalment_due, pounds, split

ZERO = Decimal("0.00")


def round_list(*, user, capability: Capability = Capability.VIEW_GRANTS) -> QuerySet[Round]:
    """Rounds of the user's authorities, and rounds their provider has an allocation from."""
    return tenancy.in_scope(user, capability, Round.objects.select_related("authority"))


def round_get(*, user, pk: int, capability: Capability = Capability.VIEW_GRANTS) -> Round:
    return tenancy.access_round(user, pk, capability, queryset=round_list(user=user))


def is_officer(user, round: Round, capability: Capability = Capability.VIEW_GRANTS) -> bool:
    """May the user see the whole round (not just their own provider's part)?"""
    return round.authority_id in tenancy.authority_ids(user, capability)


def allocation_list(*, user, round: Round) -> QuerySet[Allocation]:
    queryset = (Allocation.objects.filter(round=round)
                .select_related("location", "provider", "element")
                .order_by("element__position", "location__name", "pk"))
    return tenancy.in_scope(user, Capability.VIEW_GRANTS, queryset)


def allocations_with_adjustments(*, user, round: Round) -> list[Allocation]:
    """The round's allocations the user may see, each with its adjustments and
    `adjusted_total`, their sum (Decimal, to the penny)."""
    allocations = list(allocation_list(user=user, round=round).prefetch_related("adjustments"))
    for allocation in allocations:
        allocation.adjusted_total = sum(  # type: ignore[attr-defined]
            (x.amount for x in allocation.adjustments.all()), ZERO)
    return allocations


def agreement_rows(*, user, round: Round) -> list[dict]:
    """Each provider with an allocation the user may see, and its answer (None: waiting)."""
    agreements = {a.provider_id: a for a in round.agreements.all()}
    return [{"provider": p, "agreement": agreements.get(p.pk)}
            for p in own_providers(user=user, round=round)]


def provider_payments(*, round: Round, provider: Provider) -> QuerySet[Payment]:
    """A provider's payments from a round, with their recoveries."""
    return (Payment.objects.filter(run__round=round, provider=provider)
            .select_related("instalment", "allocation__location").prefetch_related("recoveries"))


def own_providers(*, user, round: Round) -> QuerySet[Provider]:
    """Providers with an allocation from the round that the user may see."""
    ids = allocation_list(user=user, round=round).values("provider_id")
    return Provider.objects.filter(pk__in=ids).order_by("name")


# --- Payment runs ---------------------------------------------------------------------------

@dataclass
class RunLine:
    allocation_id: int
    location_id: int
    cqc_location_id: str
    location_name: str
    provider_id: int
    provider_name: str
    amount: Decimal
    element_name: str = ""
    reasons: list[str] = field(default_factory=list)
    paid_in_run: int | None = None


@dataclass
class RunLines:
    due: list[RunLine]
    withheld: list[RunLine]
    already_paid: list[RunLine]

    @property
    def total_due(self) -> Decimal:
        return sum((line.amount for line in self.due), ZERO)

    @property
    def total_withheld(self) -> Decimal:
        return sum((line.amount for line in self.withheld), ZERO)


def _condition_reasons(run: PaymentRun, allocations: Sequence[Allocation]
                       ) -> dict[int, list[str]]:
    """Why each allocation (by ID) fails the instalment's conditions on the run's day."""
    round, as_of = run.round, run.as_of
    reasons: dict[int, list[str]] = defaultdict(list)
    for condition in run.instalment.conditions:
        kind = condition["kind"]
        if kind == ConditionKind.AGREEMENT_SIGNED:
            agreements = {a.provider_id: a for a in Agreement.objects.filter(
                round=round, responded_on__lte=as_of)}
            for allocation in allocations:
                agreement = agreements.get(allocation.provider_id)
                if agreement is None:
                    reasons[allocation.pk].append("No signed agreement.")
                elif agreement.decision == Agreement.Decision.DECLINED:
                    reasons[allocation.pk].append(
                        f"Agreement declined on {long_date(agreement.responded_on)}.")
        elif kind == ConditionKind.RECENT_RETURN:
            days = condition["days"]
            last = last_return_dates([a.location_id for a in allocations], as_of)
            for allocation in allocations:
                if allocation.location.service_type not in SERVICE_GROUP_OF_TYPE:
                    continue  # day services and others make no Capacity Tracker return
                latest = last.get(allocation.location_id)
                if latest is None or latest <= as_of - dt.timedelta(days=days):
                    since = f"last on {long_date(latest)}" if latest else "none ever"
                    reasons[allocation.pk].append(
                        f"No Capacity Tracker return in the {days} days to {long_date(as_of)} "
                        f"({since}).")
        elif kind == ConditionKind.SPEND_RETURN:
            returned = set(SpendReturn.objects.filter(
                round=round, submitted_at__date__lte=as_of).values_list("provider_id", flat=True))
            for allocation in allocations:
                if allocation.provider_id not in returned:
                    reasons[allocation.pk].append("No spend return for this round yet.")
    return reasons


def payment_run_lines(run: PaymentRun) -> RunLines:
    """What the run pays and what it withholds, and why.

    A confirmed run is read back as it was confirmed (its payments and the withheld list kept
    with it); an unconfirmed one is worked out now from the data.
    """
    if run.is_confirmed:
        due = [RunLine(allocation_id=p.allocation_id, location_id=p.allocation.location_id,
                       cqc_location_id=p.allocation.location.cqc_location_id or "",
                       location_name=p.allocation.location.name, provider_id=p.provider_id,
                       provider_name=p.provider.name, amount=p.amount, paid_in_run=run.pk,
                       element_name=p.allocation.element.name)
               for p in run.payments.select_related("allocation__location",
                                                    "allocation__element", "provider")]
        withheld = [RunLine(allocation_id=0, location_id=0, cqc_location_id=w["cqc_location_id"],
                            location_name=w["location"], provider_id=0,
                            provider_name=w["provider"], amount=Decimal(w["amount"]),
                            element_name=w.get("element", ""), reasons=w["reasons"])
                    for w in run.withheld]
        return RunLines(due=due, withheld=withheld, already_paid=[])
    round = run.round
    instalments = list(round.instalments.order_by("number"))
    shares = [i.share for i in instalments]
    index = {inst.pk: n for n, inst in enumerate(instalments)}
    allocations = list(Allocation.objects.filter(round=round)
                       .select_related("location", "provider", "element")
                       .annotate(adjusted=Sum("adjustments__amount"))
                       .order_by("provider__name", "location__name", "pk"))
    paid: dict[int, dict[int, tuple[Decimal, int]]] = defaultdict(dict)
    for allocation_id, instalment_id, amount, run_id in Payment.objects.filter(
            allocation__round=round).values_list("allocation_id", "instalment_id", "amount",
                                                 "run_id"):
        paid[allocation_id][index[instalment_id]] = (amount, run_id)
    reasons = _condition_reasons(run, allocations)
    this = index[run.instalment_id]
    lines = RunLines(due=[], withheld=[], already_paid=[])
    for allocation in allocations:
        line = RunLine(allocation_id=allocation.pk, location_id=allocation.location_id,
                       cqc_location_id=allocation.location.cqc_location_id or "",
                       location_name=allocation.location.name,
                       provider_id=allocation.provider_id, provider_name=allocation.provider.name,
                       amount=ZERO, element_name=allocation.element.name)
        if this in paid[allocation.pk]:
            line.amount, line.paid_in_run = paid[allocation.pk][this]
            lines.already_paid.append(line)
            continue
        allocated = allocation.amount + (allocation.adjusted or ZERO)
        owed = instalment_due(allocated, shares, this,
                              {i: amount for i, (amount, _) in paid[allocation.pk].items()})
        line.amount = max(owed, ZERO)
        line.reasons = list(reasons.get(allocation.pk, []))
        if owed < 0:
            line.reasons.append(f"Paid {pounds(-owed)} more than now allocated: record a "
                                "recovery.")
        elif owed == 0:
            line.reasons.append("Nothing due on this instalment.")
        (lines.withheld if line.reasons else lines.due).append(line)
    return lines


def finance_file_rows(run: PaymentRun) -> list[dict]:
    """One line per provider for the finance system: who to pay, how much, and a reference."""
    totals: dict[int, dict] = {}
    for payment in run.payments.select_related("provider").order_by("provider__name"):
        row = totals.setdefault(payment.provider_id, {
            "payment_reference": f"ICF-{run.round_id}-{run.instalment.number}-{run.pk}-"
                                 f"{payment.provider_id}",
            "provider": payment.provider.name,
            "cqc_provider_id": payment.provider.cqc_provider_id or "",
            "amount": ZERO, "services": 0,
            "round": run.round.name, "instalment": run.instalment.number,
            "payment_run": run.pk})
        row["amount"] += payment.amount
        row["services"] += 1
    return list(totals.values())


# --- Balances, reconciliation and reports ---------------------------------------------------

def _pence(value) -> Decimal:
    """A sum of money to the penny (SQLite adds decimals up as floats: 1751000.00000000000)."""
    return Decimal(value or 0).quantize(PENNY)


def _by_provider(queryset, provider_path: str, amount_path: str) -> dict[int, Decimal]:
    return {p: _pence(total) for p, total in queryset.values_list(provider_path)
            .annotate(total=Sum(amount_path)).values_list(provider_path, "total").order_by()}


def _money_by_provider(round: Round, providers: QuerySet | None = None) -> dict[str, dict]:
    def narrow(queryset, path):
        return queryset if providers is None else queryset.filter(**{f"{path}__in": providers})

    return {
        "allocated": _by_provider(narrow(Allocation.objects.filter(round=round), "provider"),
                                  "provider_id", "amount"),
        "adjusted": _by_provider(narrow(Adjustment.objects.filter(allocation__round=round),
                                        "allocation__provider"),
                                 "allocation__provider_id", "amount"),
        "paid": _by_provider(narrow(Payment.objects.filter(run__round=round), "provider"),
                             "provider_id", "amount"),
        "recovered": _by_provider(narrow(Recovery.objects.filter(payment__run__round=round),
                                         "payment__provider"),
                                  "payment__provider_id", "amount"),
        "spent": _by_provider(narrow(SpendLine.objects.filter(spend_return__round=round),
                                     "spend_return__provider"),
                              "spend_return__provider_id", "amount"),
    }


def provider_balance(*, round: Round, provider: Provider) -> dict[str, Decimal]:
    """A provider's money in a round: allocated, adjusted, paid, recovered, spent, and the
    sums shown beside them (worked out here, in Decimal, never added up in a template):
    `total_allocated` = allocated + adjusted, `received` = paid − recovered."""
    money = _money_by_provider(round, Provider.objects.filter(pk=provider.pk).values("pk"))
    balance = {key: values.get(provider.pk, ZERO) for key, values in money.items()}
    balance["total_allocated"] = balance["allocated"] + balance["adjusted"]
    balance["received"] = balance["paid"] - balance["recovered"]
    return balance


def reconciliation(*, user, round: Round) -> dict:
    """Per provider and in total: allocated, adjusted, paid, recovered, spent, unspent.

    `unspent` = paid − recovered − spent; `still_to_pay` = allocated + adjusted − paid.
    The totals are the sums of the rows, and are checked against the round as a whole.
    """
    providers = own_providers(user=user, round=round)
    money = _money_by_provider(round, providers.values("pk"))
    rows = []
    for provider in providers:
        row: dict = {"provider_id": provider.pk, "provider": provider.name,
                     "cqc_provider_id": provider.cqc_provider_id or ""}
        for key, values in money.items():
            row[key] = values.get(provider.pk, ZERO)
        row["unspent"] = row["paid"] - row["recovered"] - row["spent"]
        row["still_to_pay"] = row["allocated"] + row["adjusted"] - row["paid"]
        rows.append(row)
    keys = ["allocated", "adjusted", "paid", "recovered", "spent", "unspent", "still_to_pay"]
    totals = {key: sum((row[key] for row in rows), ZERO) for key in keys}
    retained = sum((e.retained for e in round.elements.all()), ZERO)
    fund = {"amount": round.amount, "allocated": totals["allocated"], "retained": retained,
            "not_allocated": round.amount - totals["allocated"] - retained}
    return {"rows": rows, "totals": totals, "fund": fund}


def spend_by_category(round: Round, *, as_of: dt.date | None = None) -> list[dict]:
    """Spend reported in each of the round's categories, with whole-percent proportions that
    add up to 100% (largest remainder), as in the return to government (in the spend returns
    sent by the end of `as_of`, when given)."""
    lines = SpendLine.objects.filter(spend_return__round=round)
    if as_of is not None:
        lines = lines.filter(spend_return__submitted_at__lt=_end_of(as_of))
    amounts = dict(lines.values_list("category")
                   .annotate(total=Sum("amount")).values_list("category", "total").order_by())
    labels = round.category_labels()
    spent = {code: _pence(amounts.get(code)) for code in labels}
    total = sum(spent.values(), ZERO)
    # Shares of £1.00 in pennies are whole percentages that add up to exactly 100.
    shares = split(Decimal("1.00"), spent, order={c: (i,) for i, c in enumerate(labels)}) \
        if total else {code: ZERO for code in labels}
    return [{"code": code, "label": labels[code], "amount": spent[code],
             "proportion_pct": int(shares[code] * 100)} for code in labels]


def spend_returns_received(round: Round) -> list[dict]:
    """The round's spend returns: provider, amounts by category code, when sent."""
    returns = (SpendReturn.objects.filter(round=round).select_related("provider")
               .prefetch_related("lines").order_by("provider__name"))
    return [{"provider_id": spend.provider_id, "provider": spend.provider.name,
             "amounts": {line.category: line.amount for line in spend.lines.all()},
             "submitted_at": spend.submitted_at} for spend in returns]


def spend_outstanding(*, user, round: Round) -> list[dict]:
    """Providers paid from the round with no spend return yet, with who to chase."""
    paid = (Payment.objects.filter(run__round=round).values("provider_id")
            .annotate(total=Sum("amount")))
    returned = SpendReturn.objects.filter(round=round).values("provider_id")
    providers = own_providers(user=user, round=round).filter(
        pk__in=paid.values("provider_id")).exclude(pk__in=returned)
    totals = {row["provider_id"]: row["total"] for row in paid}
    return [{"provider": p.name, "cqc_provider_id": p.cqc_provider_id or "",
             "paid": _pence(totals.get(p.pk)), "contact": p.contact_name, "phone": p.phone,
             "email": p.email} for p in providers]


def government_return(round: Round, *, as_of: dt.date | None = None) -> dict:
    """The return to government for a round: allocations, payments, providers and spend.

    With `as_of`, as it stood at the end of that day: payments of runs confirmed by then,
    recoveries made, adjustments and spend returns recorded by then (the allocations are the
    round's as confirmed). Money is Decimal here; `as_json` turns it into strings. About ten
    statements a round, so every authority's return for a national round takes seconds.
    """
    end = _end_of(as_of) if as_of is not None else None
    allocations = Allocation.objects.filter(round=round)
    by_element: dict[int, Any] = {row["element_id"]: row for row in allocations.values(
        "element_id").annotate(
        total=Sum("amount"), services=Count("pk"),
        providers=Count("provider_id", distinct=True)).order_by()}
    elements = [{"name": e.name, "share": e.share,
                 "allocated": _pence(by_element.get(e.pk, {}).get("total")),
                 "retained": e.retained,
                 "providers": by_element.get(e.pk, {}).get("providers", 0),
                 "services": by_element.get(e.pk, {}).get("services", 0)}
                for e in round.elements.all()]
    payments = Payment.objects.filter(run__round=round)
    if end is not None:
        payments = payments.filter(run__confirmed_at__lt=end)
    by_instalment: dict[int, Any] = {row["instalment_id"]: row for row in payments.values(
        "instalment_id").annotate(total=Sum("amount"),
                                  providers=Count("provider_id", distinct=True)).order_by()}
    instalments = [{"number": i.number, "share": i.share, "due_on": i.due_on,
                    "paid": _pence(by_instalment.get(i.pk, {}).get("total")),
                    "providers_paid": by_instalment.get(i.pk, {}).get("providers", 0)}
                   for i in round.instalments.order_by("number")]
    spend = spend_by_category(round, as_of=as_of)
    allocated = sum((e["allocated"] for e in elements), ZERO)
    paid = sum((i["paid"] for i in instalments), ZERO)
    recoveries = Recovery.objects.filter(payment__run__round=round)
    adjustments = Adjustment.objects.filter(allocation__round=round)
    spend_returns = SpendReturn.objects.filter(round=round)
    if end is not None:
        recoveries = recoveries.filter(recovered_on__lte=as_of)
        adjustments = adjustments.filter(created_at__lt=end)
        spend_returns = spend_returns.filter(submitted_at__lt=end)
    recovered = _pence(recoveries.aggregate(t=Sum("amount"))["t"])
    spent = sum((row["amount"] for row in spend), ZERO)
    return {
        "round": round.pk, "name": round.name, "authority": round.authority.ons_code,
        "authority_name": round.authority.name, "amount": round.amount,
        "eligibility_date": round.eligibility_date,
        "confirmed": round.is_confirmed,
        "allocated": allocated,
        "adjusted": _pence(adjustments.aggregate(t=Sum("amount"))["t"]),
        "paid": paid, "recovered": recovered, "spent": spent,
        "unspent": paid - recovered - spent,
        "providers_allocated": allocations.values("provider_id").distinct().count(),
        "providers_paid": payments.values("provider_id").distinct().count(),
        "services_allocated": sum(e["services"] for e in elements),
        "spend_returns_received": spend_returns.count(),
        "elements": elements, "instalments": instalments, "spend": spend,
    }


def as_json(value):
    """Decimals as strings and dates as ISO text, all the way down."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def published_rounds() -> QuerySet[Round]:
    """Rounds whose allocations are public: every confirmed round."""
    return Round.objects.filter(confirmed_at__isnull=False).select_related("authority")


def open_data_rows(round: Round) -> list[dict]:
    """Allocations per provider, as councils publish them (adjustments included)."""
    money = _money_by_provider(round)
    services = dict(Allocation.objects.filter(round=round).values_list("provider_id")
                    .annotate(n=Count("pk")).values_list("provider_id", "n").order_by())
    providers = Provider.objects.filter(pk__in=list(money["allocated"])).order_by("name")
    return [{"authority": round.authority.name, "authority_code": round.authority.ons_code,
             "round": round.name, "provider": p.name, "cqc_provider_id": p.cqc_provider_id or "",
             "services": services.get(p.pk, 0),
             "allocated": money["allocated"][p.pk] + money["adjusted"].get(p.pk, ZERO),
             "paid": money["paid"].get(p.pk, ZERO)} for p in providers]



# --- The dashboard's figures ------------------------------------------------------------------

DUE_SOON_DAYS = 14  # an unpaid instalment is "due" on the dashboard from this many days ahead


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def officer_counts(*, user, as_of: dt.date, authority_codes=()) -> dict:
    """The fund's figures for officers on `as_of`, over the rounds of their authorities
    (confirmed by then): instalments due within DUE_SOON_DAYS or past due with no confirmed
    payment run (`due`, the soonest `next_due`), services withheld in runs confirmed by then
    (`withheld`, over `runs_confirmed` runs), runs prepared and not yet confirmed
    (`awaiting`), and the rounds (`rounds`)."""
    end = _end_of(as_of)
    rounds = Round.objects.filter(
        authority_id__in=tenancy.authority_ids(user, Capability.VIEW_GRANTS),
        confirmed_at__lt=end)
    if authority_codes:
        rounds = rounds.filter(authority__ons_code__in=list(authority_codes))
    paid = PaymentRun.objects.filter(confirmed_at__lt=end).values("instalment_id")
    due = (Instalment.objects.filter(round__in=rounds, due_on__lte=as_of + dt.timedelta(
        days=DUE_SOON_DAYS)).exclude(pk__in=paid).order_by()
        .aggregate(n=Count("pk"), next_due=Min("due_on")))
    runs = PaymentRun.objects.filter(round__in=rounds, created_at__lt=end)
    confirmed = list(runs.filter(confirmed_at__lt=end).values_list("withheld", flat=True))
    awaiting = runs.filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__gte=end)).count()
    return {"rounds": rounds.count(), "due": due["n"], "next_due": due["next_due"],
            "withheld": sum(len(withheld) for withheld in confirmed),
            "runs_confirmed": len(confirmed), "awaiting": awaiting}


def provider_counts(*, user, as_of: dt.date) -> dict:
    """For a provider's staff on `as_of`: of the rounds (confirmed by then) they have an
    allocation from (`letters`: each has its allocation letter), agreements not yet answered
    (`to_sign`) and spend returns owed for rounds that paid them (`spend_due`). Counted per
    round and provider."""
    end = _end_of(as_of)
    allocations = tenancy.in_scope(user, Capability.RESPOND_GRANTS, Allocation).filter(
        round__confirmed_at__lt=end)
    pairs = set(allocations.order_by().values_list("round_id", "provider_id").distinct())
    answered = set(Agreement.objects.filter(responded_on__lte=as_of,
                                            round_id__in={r for r, _ in pairs})
                   .values_list("round_id", "provider_id"))
    paid = set(tenancy.in_scope(user, Capability.RESPOND_GRANTS, Payment)
               .filter(created_at__lt=end).order_by()
               .values_list("run__round_id", "provider_id").distinct())
    returned = set(SpendReturn.objects.filter(submitted_at__lt=end,
                                              round_id__in={r for r, _ in paid})
                   .values_list("round_id", "provider_id"))
    return {"letters": len(pairs), "to_sign": len(pairs - answered),
            "spend_due": len(paid - returned)}


def instalments_on(round: Round, *, as_of: dt.date) -> list[dict]:
    """Each instalment of the round at the end of `as_of`: when it is due, the payment runs
    confirmed for it by then (`runs`), and what the latest of them withheld (`withheld`, its
    amount, over `withheld_services` services)."""
    end = _end_of(as_of)
    runs: dict[int, list[PaymentRun]] = defaultdict(list)
    for run in round.payment_runs.filter(confirmed_at__lt=end).order_by("confirmed_at", "pk"):
        runs[run.instalment_id].append(run)
    rows = []
    for instalment in round.instalments.order_by("number"):
        confirmed = runs.get(instalment.pk, [])
        withheld = confirmed[-1].withheld if confirmed else []
        rows.append({"number": instalment.number, "share": instalment.share,
                     "due_on": instalment.due_on, "runs": len(confirmed),
                     "withheld": sum((Decimal(w["amount"]) for w in withheld), ZERO),
                     "withheld_services": len(withheld)})
    return rows
