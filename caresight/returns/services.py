"""Writes for provider returns."""

import json

from django.db import transaction

from . import measure_sets
from .models import Measure, MeasureSet


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
