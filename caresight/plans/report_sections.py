"""The action plans of the generated reports: each of the authorities' plans as seed 001's
table (Action | Description | Timeline | Lead | Progress) on the report's day, one table per
area, as the plan's page shows it."""

from collections import Counter

from caresight.core.report_sections import ReportScope, ReportSection, SectionFigures, counted
from caresight.core.tables import freeze
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors, tables
from .models import ActionStatus


def build(scope: ReportScope) -> SectionFigures:
    as_of = scope.as_of
    on = long_date(as_of)
    plans = list(selectors.plan_list(user=scope.user).filter(
        authorities__ons_code__in=list(scope.authority_codes)).distinct())
    paragraphs, frozen = [], []
    actions = 0
    for plan in plans:
        rows = selectors.action_rows(user=scope.user, as_of=as_of, plan=plan)
        if not rows:
            continue
        actions += len(rows)
        status = Counter(r["status"] for r in rows)
        overdue = len(selectors.overdue_rows(rows))
        paragraphs.append(
            f"{plan.name}: {counted(len(rows), 'action')} on {on}, "
            f"{status[ActionStatus.COMPLETE]:,} complete and {overdue:,} overdue.")
        for table in tables.area_tables(rows, areas=[a.name for a in plan.areas.all()],
                                        as_of=as_of):
            table.title = f"{plan.name}: {table.title}"
            frozen.append(freeze(table))
    if not actions:
        return {"paragraphs": [f"No action plan had actions under way by {on}."],
                "tables": [], "charts": [], "based_on": 0}
    return {"paragraphs": paragraphs, "tables": frozen, "charts": [], "based_on": actions}


SECTION = ReportSection(
    key="action_plan", heading="Action plan",
    help="Each of the authorities' action plans on the report's day, one table per area "
    "(Action, Description, Timeline, Lead, Progress), with how many actions are complete and "
    "overdue.",
    capability=Capability.VIEW_PLANS, build=build)
