"""`caresight export action-plan|winter-plan`: the operator's tables as on --to."""

from django.utils import timezone

from caresight.core.tenancy import OPERATOR
from caresight.registry.models import Authority

from . import selectors, tables, winter_plan


def _authorities(authority_codes):
    found = Authority.objects.order_by("name")
    return found.filter(ons_code__in=authority_codes) if authority_codes else found


def action_plan_export(*, authority_codes=None, date_from=None, date_to=None):
    as_of = date_to or timezone.localdate()
    plans = selectors.plan_list(user=OPERATOR)
    if authority_codes:
        plans = plans.filter(authorities__ons_code__in=authority_codes).distinct()
    return tables.export_table(selectors.action_rows(user=OPERATOR, as_of=as_of, plans=plans),
                               as_of=as_of)


def winter_plan_export(*, authority_codes=None, date_from=None, date_to=None):
    as_of = date_to or timezone.localdate()
    checklist = winter_plan.checklist()
    rows = selectors.winter_rows(user=OPERATOR, as_of=as_of, checklist=checklist,
                                 authorities=_authorities(authority_codes))
    return tables.winter_table(rows, title=checklist.title, as_of=as_of)
