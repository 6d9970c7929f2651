"""Schemes and placements for the beds tests (through the services, as a user would)."""

import datetime as dt

from caresight.accounts.models import Organisation
from caresight.core.tenancy import OPERATOR
from caresight.registry.tests.factories import LocationFactory

from .. import services
from ..models import CovidStatus, Pathway, SchemeKind, Source

START = dt.date(2020, 4, 1)
VALID_NHS_NUMBER = "943 476 5919"


def organisation(name="Cambridgeshire and Peterborough CCG", kind=Organisation.Kind.NHS_PARTNER):
    found, _ = Organisation.objects.get_or_create(name=name, defaults={"kind": kind})
    return found


def scheme(authority, *, name="Orchard House step-down", kind=SchemeKind.STEP_DOWN, beds=4,
           location=None, starts_on=START, weekly_rate="700.00", funding_source="nhs_discharge",
           commissioned_by=None, user=OPERATOR, **extra):
    return services.scheme_create(
        authority=authority, name=name, kind=kind, beds=beds,
        location=location or LocationFactory(authority=authority),
        funding_source=funding_source, weekly_rate=weekly_rate,
        commissioned_by=commissioned_by or organisation(), starts_on=starts_on, user=user,
        **{"client_groups": ["older_people"], **extra})


def placement(scheme, *, person_reference="CH-0001", admitted_on=START, user=OPERATOR, **extra):
    return services.placement_create(
        scheme=scheme, person_reference=person_reference, admitted_on=admitted_on,
        source=extra.pop("source", Source.HOSPITAL),
        covid_status=extra.pop("covid_status", CovidStatus.NEGATIVE),
        pathway=extra.pop("pathway", Pathway.PATHWAY_2), user=user, **extra)
