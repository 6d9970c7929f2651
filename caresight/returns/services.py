"""Writes for provider returns."""

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.audit import save_audited
from caresight.core.tenancy import Capability
from caresight.registry.models import Location

from . import measure_sets
from .models import Measure, MeasureSet, Return
from .selectors import measure_set_for

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# A whole number that moves by more than this share (and by more than JUMP_MIN) since the
# previous return is worth a second look, though it may well be true.
JUMP_SHARE = Decimal("0.5")
JUMP_MIN = 5


@transaction.atomic
def measure_sets_load(*, definition: dict | str) -> list[MeasureSet]:
    """Load new measure set versions from a definition (a dict, or JSON text), all or nothing."""
    if isinstance(definition, str):
        try:
            parsed = json.loads(definition)
        except json.JSONDecodeError as exc:
            raise measure_sets.MeasureSetError(f"The JSON is not valid: {exc.msg}.") from exc
    else:
        parsed = definition
    return measure_sets.load(parsed, MeasureSet=MeasureSet, Measure=Measure)


@dataclass
class Submitted:
    ret: Return
    warnings: list[str] = field(default_factory=list)


def answer_clean(measure: Measure, raw) -> object:
    """Turn one answer (text, number or boolean) into its stored form, or raise ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if measure.required:
            raise ValueError("Answer this question")
        return None
    text = str(raw).strip()
    if measure.kind == Measure.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        if text.lower() in YES | NO:
            return text.lower() in YES
        raise ValueError("Answer yes or no")
    if measure.kind == Measure.Kind.CHOICE:
        values = [value for value, _ in measure.choices]
        if text not in values:
            raise ValueError(f"Choose one of: {', '.join(label for _, label in measure.choices)}")
        return text
    if measure.kind == Measure.Kind.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Enter a date like 2020-06-04") from None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("Enter a number") from None
    if measure.kind == Measure.Kind.WHOLE_NUMBER and number != number.to_integral_value():
        raise ValueError("Enter a whole number")
    if measure.minimum is not None and number < measure.minimum:
        raise ValueError(f"Must be {measure.minimum.normalize():f} or more")
    if measure.maximum is not None and number > measure.maximum:
        raise ValueError(f"Must be {measure.maximum.normalize():f} or less")
    # Stored as text so that a decimal never passes through a float.
    return int(number) if measure.kind == Measure.Kind.WHOLE_NUMBER else str(number)


@transaction.atomic
def return_submit(*, location: Location, for_date: dt.date, answers: dict, user,
                  source: str = Return.Source.PROVIDER) -> Submitted:
    """Record a service's answers for a day; a second submission that day is a new version.

    Refuses what cannot be true (bounds, the measure set's rules, a date in the future, a
    service the user may not submit for) with a message per question, and writes nothing.
    Warns, without refusing, about sudden jumps since the previous return.
    """
    if user is not None and not tenancy.allows(user, Capability.SUBMIT_RETURNS, location):
        raise PermissionDenied("You cannot submit returns for this service.")
    if for_date > timezone.localdate():
        raise ValidationError({"for_date": "The date cannot be in the future."})
    measure_set = measure_set_for(service_type=location.service_type, as_of=for_date)
    if measure_set is None:
        raise ValidationError({"location": f"{location.get_service_type_display()} services "
                               "have no return to make."})
    measures = {m.code: m for m in measure_set.measures.all()}
    errors: dict[str, str] = {}
    unknown = sorted(set(answers) - set(measures))
    if unknown:
        errors["__all__"] = f"These are not questions of this return: {', '.join(unknown)}"
    values: dict[str, object] = {}
    for code, measure in measures.items():
        try:
            values[code] = answer_clean(measure, answers.get(code))
        except ValueError as exc:
            errors[code] = f"{measure.label}: {exc}"
    for rule in measure_set.rules:
        left, right = values.get(rule["code"]), values.get(rule["at_most"])
        if left is not None and right is not None and Decimal(str(left)) > Decimal(str(right)):
            errors.setdefault(rule["code"], (
                f"{measures[rule['code']].label} ({left}) cannot be more than "
                f"{measures[rule['at_most']].label.lower()} ({right})"))
    if errors:
        raise ValidationError(errors)

    previous = (Return.objects.filter(location=location, for_date__lt=for_date)
                .order_by("-for_date").first())
    warnings = _jumps(measures, previous.values if previous else {}, values)
    ret = Return.objects.select_for_update().filter(location=location, for_date=for_date).first()
    if ret is None:
        ret = Return(location=location, for_date=for_date)
    else:
        ret.version += 1
    ret.measure_set, ret.values, ret.source = measure_set, values, source
    ret.submitted_by, ret.submitted_at = user, timezone.now()
    save_audited(ret, user=user, reason=f"Return version {ret.version}")
    return Submitted(ret=ret, warnings=warnings)


def _jumps(measures: dict[str, Measure], before: dict, after: dict) -> list[str]:
    warnings = []
    for code, value in after.items():
        old = before.get(code)
        if measures[code].kind != Measure.Kind.WHOLE_NUMBER or value is None or old is None:
            continue
        change = abs(Decimal(value) - Decimal(old))
        if change > JUMP_MIN and change > JUMP_SHARE * max(Decimal(old), Decimal(1)):
            warnings.append(f"{measures[code].label} went from {old} to {value} since the last "
                            "return. Check it is right.")
    return warnings
