"""How a round is shared out: eligible services, their units, and exact amounts.

`plan_round` reads the register (and, for people supported, the returns) and works out every
element's allocation without writing anything: the what-if preview, the command line's
`grants allocate` and `allocation_confirm` all use it, so what is previewed is what is written.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError

from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location, RegistrationStatus, ServiceType
from caresight.registry.selectors import registered_on_q
from caresight.returns.selectors import current_numbers

from .models import AMOUNT_METHODS, UNIT_NAMES, Element, Method, Round
from .money import PENNY, pounds, split
from .round_templates import TEMPLATES

SERVICE_TYPE_LABELS = dict(ServiceType.choices)


@dataclass
class ElementSpec:
    name: str
    share: Decimal
    method: str
    service_types: list[str]
    cqc_registered_only: bool = True
    discretionary: bool = False
    retained: Decimal = Decimal("0.00")
    # Units or amounts entered per service (location ID -> value), where the method needs them.
    inputs: dict[int, Decimal] = field(default_factory=dict)
    pk: int | None = None


@dataclass
class RoundSpec:
    authority: Authority
    amount: Decimal
    eligibility_date: dt.date
    elements: list[ElementSpec]


@dataclass
class Line:
    location_id: int
    cqc_location_id: str
    name: str
    provider_id: int
    provider_name: str
    service_type: str
    units: Decimal
    amount: Decimal
    explanation: str


@dataclass
class ElementPlan:
    spec: ElementSpec
    total: Decimal  # the element's share of the round
    allocatable: Decimal  # the total less any contingency retained
    units: Decimal
    rate: Decimal | None  # per unit, to the penny (for display; amounts are exact shares)
    lines: list[Line]
    not_allocated: list[tuple[str, str]]  # (service name, why)
    problem: str = ""  # why the element cannot be allocated as it stands

    @property
    def allocated(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def unallocated(self) -> Decimal:
        return self.allocatable - self.allocated


@dataclass
class RoundPlan:
    spec: RoundSpec
    elements: list[ElementPlan]
    unassigned: Decimal  # the part of the round no element covers (shares under 100%)

    @property
    def allocated(self) -> Decimal:
        return sum((e.allocated for e in self.elements), Decimal("0.00"))

    @property
    def problems(self) -> list[str]:
        return [e.problem for e in self.elements if e.problem]

    def check(self) -> None:
        """Raise ValidationError listing every element that cannot be allocated."""
        if self.problems:
            raise ValidationError(self.problems)

    def as_json(self) -> dict:
        """The what-if allocation, money as strings (the `grants allocate` contract)."""
        return {
            "authority": self.spec.authority.ons_code,
            "amount": str(self.spec.amount),
            "eligibility_date": self.spec.eligibility_date.isoformat(),
            "allocated": str(self.allocated),
            "unassigned": str(self.unassigned),
            "problems": self.problems,
            "elements": [{
                "name": e.spec.name, "method": e.spec.method,
                "share": f"{e.spec.share.normalize():f}",
                "total": str(e.total), "retained": str(e.spec.retained),
                "allocated": str(e.allocated), "units": _units_text(e.units),
                "rate": None if e.rate is None else str(e.rate),
                "locations": len(e.lines), "not_allocated": len(e.not_allocated),
                "problem": e.problem,
            } for e in self.elements],
            "locations": [{
                "cqc_location_id": line.cqc_location_id, "name": line.name,
                "provider": line.provider_name, "element": e.spec.name,
                "units": _units_text(line.units), "amount": str(line.amount),
                "explanation": line.explanation,
            } for e in self.elements for line in e.lines],
        }


def spec_of(round: Round) -> RoundSpec:
    """The allocation rules of a round held in the database."""
    return specs_of([round])[0]


def specs_of(rounds: list[Round]) -> list[RoundSpec]:
    """The allocation rules of many rounds, read in two statements."""
    elements: dict[int, list[ElementSpec]] = defaultdict(list)
    for element in (Element.objects.filter(round__in=[r.pk for r in rounds])
                    .prefetch_related("inputs").order_by("round_id", "position")):
        elements[element.round_id].append(ElementSpec(
            name=element.name, share=element.share, method=element.method,
            service_types=list(element.service_types),
            cqc_registered_only=element.cqc_registered_only,
            discretionary=element.discretionary, retained=element.retained,
            inputs={i.location_id: i.value for i in element.inputs.all()}, pk=element.pk))
    return [RoundSpec(authority=r.authority, amount=r.amount, eligibility_date=r.eligibility_date,
                      elements=elements[r.pk]) for r in rounds]


def spec_from_template(*, authority: Authority, template: str, amount: Decimal,
                       eligibility_date: dt.date) -> RoundSpec:
    if template not in TEMPLATES:
        raise ValidationError({"template": f"Unknown template {template!r}; choose one of "
                               + ", ".join(TEMPLATES) + "."})
    return RoundSpec(authority=authority, amount=amount, eligibility_date=eligibility_date,
                     elements=[ElementSpec(name=e["name"], share=Decimal(e["share"]),
                                           method=e["method"],
                                           service_types=list(e["service_types"]),
                                           cqc_registered_only=e["cqc_registered_only"],
                                           discretionary=e["discretionary"])
                               for e in TEMPLATES[template]["elements"]])


def check_shares(shares: list[Decimal], *, what: str = "Elements") -> None:
    total = sum(shares, Decimal(0))
    if total > 100:
        raise ValidationError(f"{what} add up to {total.normalize():f}%, more than 100%.")


def plan_round(spec: RoundSpec) -> RoundPlan:
    """Share the round between its elements, and each element between eligible services.

    An element that cannot be allocated (nothing eligible, awards over its total) carries a
    `problem` naming it and allocates nothing; `RoundPlan.check` refuses such a plan.
    Raise ValidationError for a bad round (amount, shares over 100%).
    """
    return plan_rounds([spec])[0]


def plan_rounds(specs: list[RoundSpec]) -> list[RoundPlan]:
    """`plan_round` for many rounds at once (a national round: every authority's), reading
    the register and the returns once per eligibility date rather than once per element."""
    for spec in specs:
        if spec.amount <= 0:
            raise ValidationError({"amount": "The allocation must be more than £0.00."})
        check_shares([e.share for e in spec.elements])
    services: dict[tuple[dt.date, int], list[_Service]] = defaultdict(list)
    people: dict[dt.date, dict[int, dict[str, float]]] = {}
    for day in {spec.eligibility_date for spec in specs}:
        mine = [spec for spec in specs if spec.eligibility_date == day]
        found = _registered(day, [spec.authority.pk for spec in mine],
                            {t for spec in mine for e in spec.elements for t in e.service_types})
        for service in found:
            services[(day, service.authority_id)].append(service)
        counted = {t for spec in mine for e in spec.elements if e.method == Method.PER_PERSON
                   for t in e.service_types}
        ids = [s.pk for s in found if s.service_type in counted]
        people[day] = current_numbers(Location.objects.filter(pk__in=ids), day,
                                      ["people_supported"]) if ids else {}
    plans = []
    for spec in specs:
        weights: dict[object, Decimal] = {i: e.share for i, e in enumerate(spec.elements)}
        rest = Decimal(100) - sum((e.share for e in spec.elements), Decimal(0))
        if rest:
            weights["unassigned"] = rest
        totals = split(spec.amount, weights,
                       order={k: (k if isinstance(k, int) else len(weights),) for k in weights})
        found = services[(spec.eligibility_date, spec.authority.pk)]
        plans.append(RoundPlan(spec=spec, elements=[
            _plan_element(spec, element, totals[i], found, people[spec.eligibility_date])
            for i, element in enumerate(spec.elements)],
            unassigned=totals.get("unassigned", Decimal("0.00"))))
    return plans


class _Service(NamedTuple):  # a tuple: five times quicker to make than a frozen dataclass
    pk: int
    cqc_location_id: str
    name: str
    provider_id: int
    provider_name: str
    service_type: str
    registered_beds: int | None
    authority_id: int


def _registered(day: dt.date, authority_ids: list[int], types: set[str]) -> list[_Service]:
    """Services of these types in these authorities registered on `day`, by CQC location ID."""
    queryset = (Location.objects.filter(registered_on_q(day), authority_id__in=authority_ids,
                                        service_type__in=sorted(types))
                # Marked deregistered with no date (some CQC files have none): not registered.
                .exclude(registration_status=RegistrationStatus.DEREGISTERED,
                         deregistration_date__isnull=True)
                .order_by("cqc_location_id", "pk"))
    return [_Service(pk, cqc or "", name, provider, provider_name, kind, beds, authority)
            for pk, cqc, name, provider, provider_name, kind, beds, authority
            in queryset.values_list("pk", "cqc_location_id", "name", "provider_id",
                                    "provider__name", "service_type", "registered_beds",
                                    "authority_id")]


def _units(spec: RoundSpec, element: ElementSpec, found: list[_Service],
           people: dict[int, dict[str, float]]
           ) -> tuple[dict[int, Decimal], list[tuple[str, str]]]:
    day = long_date(spec.eligibility_date)
    units: dict[int, Decimal] = {}
    missing: list[tuple[str, str]] = []
    for service in found:
        value: Decimal | None = element.inputs.get(service.pk)
        if value is None and element.method == Method.PER_BED and service.registered_beds:
            value = Decimal(service.registered_beds)
        if value is None and element.method == Method.PER_PERSON:
            count = people.get(service.pk, {}).get("people_supported")
            value = Decimal(str(count)).quantize(PENNY) if count else None
        if value:
            units[service.pk] = value
        else:
            missing.append((service.name, _why_missing(element.method, day)))
    return units, missing


def _why_missing(method: str, day: str) -> str:
    if method == Method.PER_BED:
        return "No registered beds recorded."
    if method == Method.PER_PERSON:
        return f"No number of people supported: no current return on {day} and none entered."
    if method in AMOUNT_METHODS:
        return "No award entered."
    return f"No {UNIT_NAMES[Method(method)][1]} entered."


def _plan_element(spec: RoundSpec, element: ElementSpec, total: Decimal,
                  registered: list[_Service], people: dict[int, dict[str, float]]
                  ) -> ElementPlan:
    plan = ElementPlan(spec=element, total=total, allocatable=total - element.retained,
                       units=Decimal(0), rate=None, lines=[], not_allocated=[])
    label = f"“{element.name}”"
    day = long_date(spec.eligibility_date)
    if element.retained > total:
        plan.problem = (f"{label}: the contingency retained ({pounds(element.retained)}) is "
                        f"more than the element's {pounds(total)}.")
        return plan
    found = [s for s in registered if s.service_type in element.service_types
             and (s.cqc_location_id or not element.cqc_registered_only)]
    by_pk = {s.pk: s for s in found}
    outside = [pk for pk in element.inputs if pk not in by_pk]
    if outside:
        plan.problem = (f"{label}: {len(outside)} service(s) with units or awards entered are "
                        f"not eligible on {day} (wrong type, not registered, or another "
                        "authority).")
        return plan
    units, plan.not_allocated = _units(spec, element, found, people)
    if not units:
        types = ", ".join(SERVICE_TYPE_LABELS.get(t, t).lower() for t in element.service_types)
        registered_with = ", registered with CQC" if element.cqc_registered_only else ""
        with_units = f" ({len(found)} found, none with units)" if found else ""
        plan.problem = (f"{label}: no eligible services on {day}: {types} in "
                        f"{spec.authority.name}{registered_with}{with_units}.")
        return plan
    if element.method in AMOUNT_METHODS:
        awarded = sum(units.values(), Decimal(0))
        if awarded > plan.allocatable:
            plan.problem = (f"{label}: awards add up to {pounds(awarded)}, more than the "
                            f"{pounds(plan.allocatable)} available.")
            return plan
        amounts, plan.units = units, Decimal(len(units))
    else:
        order = {pk: (by_pk[pk].cqc_location_id, pk) for pk in units}
        amounts = split(plan.allocatable, units, order=order)
        plan.units = sum(units.values(), Decimal(0))
        plan.rate = (plan.allocatable / plan.units).quantize(PENNY, rounding=ROUND_HALF_UP)
    # Per unit, the explanation depends on the units alone (a round has a few dozen bed
    # counts among thousands of homes), so each is written once.
    explained: dict[Decimal, str] = {}
    for pk, amount in amounts.items():
        service = by_pk[pk]
        if plan.rate is None:
            explanation = explain(element.method, units[pk], None, amount)
        else:
            if units[pk] not in explained:
                explained[units[pk]] = explain(element.method, units[pk], plan.rate, amount)
            explanation = explained[units[pk]]
        plan.lines.append(Line(
            location_id=pk, cqc_location_id=service.cqc_location_id, name=service.name,
            provider_id=service.provider_id, provider_name=service.provider_name,
            service_type=service.service_type,
            units=units[pk] if plan.rate is not None else Decimal(1), amount=amount,
            explanation=explanation))
    return plan


def explain(method: str, units: Decimal, rate: Decimal | None, amount: Decimal) -> str:
    """'28 beds × £937.61 per bed', or 'Panel award of £5,000.00'."""
    if rate is None:
        kind = "Panel award" if method == Method.PANEL else "Fixed amount"
        return f"{kind} of {pounds(amount)}"
    one, many = UNIT_NAMES[Method(method)]
    return f"{_units_text(units)} {one if units == 1 else many} × {pounds(rate)} per {one}"


def _units_text(units: Decimal) -> str:
    return f"{units.normalize():f}" if units == units.to_integral_value() else f"{units:f}"
