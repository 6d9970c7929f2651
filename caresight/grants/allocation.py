"""How a round is shared out: eligible services, their units, and exact amounts.

`plan_round` reads the register (and, for people supported, the returns) and works out every
element's allocation without writing anything: the what-if preview, the command line's
`grants allocate` and `allocation_confirm` all use it, so what is previewed is what is written.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from caresight.core.timeutils import long_date
from caresight.registry.models import Authority, Location, RegistrationStatus, ServiceType
from caresight.registry.selectors import registered_on_q
from caresight.returns.selectors import current_numbers

from .models import AMOUNT_METHODS, UNIT_NAMES, Method, Round
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
    elements = []
    for element in round.elements.prefetch_related("inputs"):
        elements.append(ElementSpec(
            name=element.name, share=element.share, method=element.method,
            service_types=list(element.service_types),
            cqc_registered_only=element.cqc_registered_only,
            discretionary=element.discretionary, retained=element.retained,
            inputs={i.location_id: i.value for i in element.inputs.all()}, pk=element.pk))
    return RoundSpec(authority=round.authority, amount=round.amount,
                     eligibility_date=round.eligibility_date, elements=elements)


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
    if spec.amount <= 0:
        raise ValidationError({"amount": "The allocation must be more than £0.00."})
    check_shares([e.share for e in spec.elements])
    weights: dict[object, Decimal] = {i: e.share for i, e in enumerate(spec.elements)}
    rest = Decimal(100) - sum((e.share for e in spec.elements), Decimal(0))
    if rest:
        weights["unassigned"] = rest
    totals = split(spec.amount, weights,
                   order={k: (k if isinstance(k, int) else len(weights),) for k in weights})
    plans = [_plan_element(spec, element, totals[i]) for i, element in enumerate(spec.elements)]
    return RoundPlan(spec=spec, elements=plans,
                     unassigned=totals.get("unassigned", Decimal("0.00")))


def _eligible(spec: RoundSpec, element: ElementSpec) -> list[Location]:
    queryset = (Location.objects.filter(registered_on_q(spec.eligibility_date),
                                        authority=spec.authority,
                                        service_type__in=element.service_types)
                .select_related("provider").order_by("cqc_location_id", "pk"))
    # Marked deregistered with no date (some CQC files have none): not registered either.
    queryset = queryset.exclude(registration_status=RegistrationStatus.DEREGISTERED,
                                deregistration_date__isnull=True)
    if element.cqc_registered_only:
        queryset = queryset.exclude(cqc_location_id="").exclude(cqc_location_id__isnull=True)
    return list(queryset)


def _units(spec: RoundSpec, element: ElementSpec, locations: list[Location]
           ) -> tuple[dict[int, Decimal], list[tuple[str, str]]]:
    day = long_date(spec.eligibility_date)
    units: dict[int, Decimal] = {}
    missing: list[tuple[str, str]] = []
    people: dict[int, dict[str, float]] = {}
    if element.method == Method.PER_PERSON:
        ids = [loc.pk for loc in locations if loc.pk not in element.inputs]
        people = current_numbers(Location.objects.filter(pk__in=ids), spec.eligibility_date,
                                 ["people_supported"]) if ids else {}
    for loc in locations:
        value: Decimal | None = element.inputs.get(loc.pk)
        if value is None and element.method == Method.PER_BED and loc.registered_beds:
            value = Decimal(loc.registered_beds)
        if value is None and element.method == Method.PER_PERSON:
            found = people.get(loc.pk, {}).get("people_supported")
            value = Decimal(str(found)).quantize(PENNY) if found else None
        if value:
            units[loc.pk] = value
        else:
            missing.append((loc.name, _why_missing(element.method, day)))
    return units, missing


def _why_missing(method: str, day: str) -> str:
    if method == Method.PER_BED:
        return "No registered beds recorded."
    if method == Method.PER_PERSON:
        return f"No number of people supported: no current return on {day} and none entered."
    if method in AMOUNT_METHODS:
        return "No award entered."
    return f"No {UNIT_NAMES[Method(method)][1]} entered."


def _plan_element(spec: RoundSpec, element: ElementSpec, total: Decimal) -> ElementPlan:
    plan = ElementPlan(spec=element, total=total, allocatable=total - element.retained,
                       units=Decimal(0), rate=None, lines=[], not_allocated=[])
    label = f"“{element.name}”"
    day = long_date(spec.eligibility_date)
    if element.retained > total:
        plan.problem = (f"{label}: the contingency retained ({pounds(element.retained)}) is "
                        f"more than the element's {pounds(total)}.")
        return plan
    locations = _eligible(spec, element)
    by_pk = {loc.pk: loc for loc in locations}
    outside = [pk for pk in element.inputs if pk not in by_pk]
    if outside:
        plan.problem = (f"{label}: {len(outside)} service(s) with units or awards entered are "
                        f"not eligible on {day} (wrong type, not registered, or another "
                        "authority).")
        return plan
    units, plan.not_allocated = _units(spec, element, locations)
    if not units:
        types = ", ".join(SERVICE_TYPE_LABELS.get(t, t).lower() for t in element.service_types)
        registered = ", registered with CQC" if element.cqc_registered_only else ""
        with_units = f" ({len(locations)} found, none with units)" if locations else ""
        plan.problem = (f"{label}: no eligible services on {day}: {types} in "
                        f"{spec.authority.name}{registered}{with_units}.")
        return plan
    if element.method in AMOUNT_METHODS:
        awarded = sum(units.values(), Decimal(0))
        if awarded > plan.allocatable:
            plan.problem = (f"{label}: awards add up to {pounds(awarded)}, more than the "
                            f"{pounds(plan.allocatable)} available.")
            return plan
        amounts, plan.units = units, Decimal(len(units))
    else:
        order = {pk: (by_pk[pk].cqc_location_id or "", pk) for pk in units}
        amounts = split(plan.allocatable, units, order=order)
        plan.units = sum(units.values(), Decimal(0))
        plan.rate = (plan.allocatable / plan.units).quantize(PENNY, rounding=ROUND_HALF_UP)
    for pk, amount in amounts.items():
        loc = by_pk[pk]
        plan.lines.append(Line(
            location_id=pk, cqc_location_id=loc.cqc_location_id or "", name=loc.name,
            provider_id=loc.provider_id, provider_name=loc.provider.name,
            service_type=loc.service_type,
            units=units[pk] if plan.rate is not None else Decimal(1), amount=amount,
            explanation=explain(element.method, units[pk], plan.rate, amount)))
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
