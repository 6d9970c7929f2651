"""Reads for provider returns."""

import datetime as dt

from django.db.models import QuerySet

from .models import SERVICE_GROUP_OF_TYPE, Measure, MeasureSet


def measure_set_for(*, service_type: str, as_of: dt.date) -> MeasureSet | None:
    """The newest measure set in use on `as_of` for this kind of service, if it has one."""
    group = SERVICE_GROUP_OF_TYPE.get(service_type)
    if group is None:
        return None
    return (MeasureSet.objects.filter(service_group=group, in_use_from__lte=as_of)
            .order_by("-version").first())


def measure_list(*, measure_set: MeasureSet) -> QuerySet[Measure]:
    return measure_set.measures.order_by("position")
