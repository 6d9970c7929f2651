"""Reads of the risk register, decisions and business cases, for any day, within the user's
scope. Everything as of a day is read from dated rows (reviews, status rows, the mitigations'
history), so a past day's register is reproduced."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.tenancy import Capability

from . import scoring
from .models import (
    BusinessCase,
    BusinessCaseStatus,
    CaseStatus,
    Decision,
    Mitigation,
    Risk,
    RiskReview,
    RiskStatus,
)

DUE_WITHIN_DAYS = 7  # a risk is due for review when its next review is this close


def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def risk_list(*, user, capability: Capability = Capability.VIEW_PLANS) -> QuerySet[Risk]:
    return tenancy.in_scope(user, capability, Risk).select_related("authority")


def decision_list(*, user, capability: Capability = Capability.VIEW_PLANS
                  ) -> QuerySet[Decision]:
    return tenancy.in_scope(user, capability, Decision).select_related(
        "authority", "related_plan", "related_risk", "related_round")


def case_list(*, user, capability: Capability = Capability.VIEW_PLANS
              ) -> QuerySet[BusinessCase]:
    return tenancy.in_scope(user, capability, BusinessCase).select_related(
        "authority", "submitted_to", "decision")


def _authority_filter(queryset: QuerySet, authority_codes) -> QuerySet:
    if authority_codes:
        return queryset.filter(authority__ons_code__in=list(authority_codes))
    return queryset


# --- The register --------------------------------------------------------------------------


@dataclass
class MitigationThen:
    """A mitigation as it stood at the end of a day (from its history)."""

    id: int
    description: str
    owner: str
    status: str
    started_on: dt.date
    due_on: dt.date | None

    @property
    def status_label(self) -> str:
        from .models import MitigationStatus

        return MitigationStatus(self.status).label


@dataclass
class RegisterRow:
    """A risk and its review in force on a day."""

    risk: Risk
    review: RiskReview
    as_of: dt.date
    mitigations: list[MitigationThen] = field(default_factory=list)

    @property
    def score(self) -> int:
        return self.review.score

    @property
    def residual_score(self) -> int:
        return self.review.residual_score

    @property
    def band(self) -> str:
        return scoring.band(self.residual_score)

    @property
    def inherent_band(self) -> str:
        return scoring.band(self.score)

    @property
    def overdue(self) -> bool:
        due = self.review.next_review_on
        return due is not None and due < self.as_of


def reviews_in_force(risks: QuerySet[Risk], as_of: dt.date) -> dict[int, RiskReview]:
    """Each risk's latest review on or before `as_of` (none for a risk not yet reviewed)."""
    latest = RiskReview.objects.filter(risk=OuterRef("pk"), reviewed_on__lte=as_of).order_by(
        "-reviewed_on").values("pk")[:1]
    ids = risks.annotate(review_id=Subquery(latest)).values("review_id")  # one statement
    return {review.risk_id: review for review in RiskReview.objects.filter(pk__in=ids)}


def mitigations_then(risk_ids: list[int], as_of: dt.date) -> dict[int, list[MitigationThen]]:
    """Each risk's mitigations as they stood at the end of `as_of`: from each mitigation's
    history, the latest version recorded by then (or, for one recorded later, as it was first
    recorded), kept if it had started by `as_of`."""
    cutoff = end_of_day(as_of)
    chosen: dict[int, tuple] = {}
    # Tuples of the columns used, not history model instances (three times dearer to build,
    # with timestamps that are not read: bench/plans_governance.py).
    rows = Mitigation.history.filter(risk_id__in=risk_ids).order_by(
        "id", "history_date", "history_id").values_list(
        "id", "history_date", "history_type", "risk_id", "description", "owner", "status",
        "started_on", "due_on")
    for row in rows.iterator(chunk_size=2000):
        if row[0] not in chosen or row[1] <= cutoff:
            chosen[row[0]] = row
    out: dict[int, list[MitigationThen]] = defaultdict(list)
    for (pk, _, history_type, risk_id, description, owner, status, started_on,
         due_on) in chosen.values():
        if history_type == "-" or started_on > as_of:
            continue
        out[risk_id].append(MitigationThen(
            id=pk, description=description, owner=owner, status=status,
            started_on=started_on, due_on=due_on))
    for items in out.values():
        items.sort(key=lambda m: (m.started_on, m.id))
    return out


def register(*, user, as_of: dt.date, authority_codes=None, include_closed: bool = False,
             category: str = "") -> list[RegisterRow]:
    """The register on a day: each risk raised by then with its review in force (open ones
    only, unless `include_closed`), highest residual score first."""
    risks = _authority_filter(risk_list(user=user), authority_codes).filter(raised_on__lte=as_of)
    if category:
        risks = risks.filter(category=category)
    reviews = reviews_in_force(risks, as_of)
    kept = [risk for risk in risks if risk.pk in reviews
            and (include_closed or reviews[risk.pk].status == RiskStatus.OPEN)]
    mitigations = mitigations_then([risk.pk for risk in kept], as_of)
    rows = [RegisterRow(risk=risk, review=reviews[risk.pk], as_of=as_of,
                        mitigations=mitigations.get(risk.pk, [])) for risk in kept]
    rows.sort(key=lambda r: (-r.residual_score, -r.score, r.risk.authority.name,
                             r.risk.reference, r.risk.pk))
    return rows


def heat_map(rows: list[RegisterRow], *, residual: bool = True) -> list[dict]:
    """The 5×5 grid of counts: a row per likelihood (5 at the top), a count per impact."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        review = row.review
        key = ((review.residual_likelihood, review.residual_impact) if residual
               else (review.likelihood, review.impact))
        counts[key] += 1
    return [{"likelihood": likelihood,
             "counts": {impact: counts[(likelihood, impact)] for impact in scoring.SCALE}}
            for likelihood in reversed(scoring.SCALE)]


def due_for_review(*, user, as_of: dt.date, authority_codes=None) -> list[RegisterRow]:
    """Open risks whose next review (in the review in force) is within a week of `as_of` or
    past it (overdue), soonest first."""
    horizon = as_of + dt.timedelta(days=DUE_WITHIN_DAYS)
    rows = [row for row in register(user=user, as_of=as_of, authority_codes=authority_codes)
            if row.review.next_review_on is not None and row.review.next_review_on <= horizon]
    rows.sort(key=lambda r: (r.review.next_review_on, r.risk.reference, r.risk.pk))
    return rows


def risk_reviews(risk: Risk) -> QuerySet[RiskReview]:
    return risk.reviews.select_related("created_by").order_by("-reviewed_on")


def risk_review_on(risk: Risk, as_of: dt.date) -> RiskReview | None:
    return risk.reviews.filter(reviewed_on__lte=as_of).order_by("-reviewed_on").first()


def risk_mitigations(risk: Risk) -> QuerySet[Mitigation]:
    return risk.mitigations.order_by("started_on", "pk")


# --- Decisions -----------------------------------------------------------------------------


def decisions_since(*, user, since: dt.date | None, as_of: dt.date,
                    authority_codes=None) -> QuerySet[Decision]:
    """Decisions made from `since` (all before it, when None) to `as_of`, newest first."""
    decisions = _authority_filter(decision_list(user=user), authority_codes).filter(
        decided_on__lte=as_of)
    if since is not None:
        decisions = decisions.filter(decided_on__gte=since)
    return decisions.order_by("-decided_on", "-pk")


DECISION_ROW_FIELDS = ("pk", "decided_on", "title", "decided_by", "key_decision",
                       "related_plan__name", "related_risk__reference", "related_risk__title",
                       "related_round__name", "financial_implications", "amount",
                       "authority__name")


def decision_rows(decisions: QuerySet[Decision]) -> QuerySet:
    """The decisions as plain rows for tables (pages, downloads, exports): thousands of rows
    read as values cost a tenth of the same as models with their relations."""
    return decisions.values(*DECISION_ROW_FIELDS)


def decisions_in_all(decisions: QuerySet[Decision]) -> dict:
    """How many decisions, and their amounts added up."""
    return decisions.order_by().aggregate(count=Count("pk"), amount=Sum("amount"))


# --- Business cases ------------------------------------------------------------------------


@dataclass
class CaseRow:
    case: BusinessCase
    status: BusinessCaseStatus

    @property
    def decision(self) -> Decision | None:
        """The decision that had settled it by then."""
        return self.status.decision


def cases_as_of(*, user, as_of: dt.date, authority_codes=None, status: str = ""
                ) -> list[CaseRow]:
    """Each business case with its status on `as_of` (cases with no status by then are not
    listed), by status then title."""
    cases = _authority_filter(case_list(user=user), authority_codes)
    latest = BusinessCaseStatus.objects.filter(case=OuterRef("pk"), on__lte=as_of).order_by(
        "-on", "-pk").values("pk")[:1]
    pairs = list(cases.annotate(status_id=Subquery(latest)).filter(status_id__isnull=False))
    statuses = BusinessCaseStatus.objects.select_related("decision").in_bulk(
        [case.status_id for case in pairs])  # type: ignore[attr-defined]
    rows = [CaseRow(case=case, status=statuses[case.status_id])  # type: ignore[attr-defined]
            for case in pairs]
    if status:
        rows = [row for row in rows if row.status.status == status]
    order = {value: n for n, value in enumerate(CaseStatus.values)}
    rows.sort(key=lambda r: (order[r.status.status], r.case.title, r.case.pk))
    return rows


def cases_by_status(rows: list[CaseRow]) -> list[dict]:
    """Counts and amounts per status (every status, in order)."""
    counts = dict.fromkeys(CaseStatus.values, 0)
    amounts = dict.fromkeys(CaseStatus.values, Decimal("0.00"))
    for row in rows:
        counts[row.status.status] += 1
        amounts[row.status.status] += row.case.amount
    return [{"status": value, "count": counts[value], "amount": amounts[value]}
            for value in CaseStatus.values]


def case_statuses(case: BusinessCase) -> QuerySet[BusinessCaseStatus]:
    return case.statuses.select_related("decision", "created_by").order_by("-on", "-pk")


# --- Choices for forms and the API ------------------------------------------------------------


def organisation_choices(*, user) -> QuerySet[Organisation]:
    """The organisations a case may be submitted to: those with people in the user's
    authorities (the council, its NHS partners…), care providers left out."""
    organisations = Organisation.objects.exclude(kind=Organisation.Kind.CARE_PROVIDER)
    scope = tenancy.scope(user, Capability.VIEW_PLANS)
    if scope.everywhere:
        return organisations.order_by("name")
    if not scope:
        return organisations.none()
    return organisations.filter(
        memberships__authorities__in=scope.authority_ids).distinct().order_by("name")


def plan_choices(*, user, capability: Capability = Capability.VIEW_PLANS):
    return tenancy.in_scope(user, capability, "plans.ActionPlan").order_by("name")


def action_choices(*, user):
    return tenancy.in_scope(user, Capability.VIEW_PLANS, "plans.PlanAction").select_related(
        "area__plan").order_by("area__plan__name", "area__position", "position", "pk")


def round_choices(*, user):
    return tenancy.in_scope(user, Capability.VIEW_PLANS, "grants.Round").order_by(
        "-eligibility_date", "pk")


def provider_choices(*, user):
    return tenancy.in_scope(user, Capability.VIEW_PLANS, "registry.Provider").order_by("name")


def outbreak_choices(*, user):
    return tenancy.in_scope(user, Capability.VIEW_PLANS, "outbreaks.Outbreak").select_related(
        "location").order_by("-reported_on", "pk")


def due_for_review_count(*, user, as_of: dt.date, authority_codes=None) -> dict:
    """The dashboard's risks due for review on `as_of` (as `due_for_review` lists them: open,
    next review within DUE_WITHIN_DAYS or past) and the open risks (`open`), in one
    aggregate statement over each risk's review in force."""
    risks = _authority_filter(risk_list(user=user), authority_codes).filter(raised_on__lte=as_of)
    latest = RiskReview.objects.filter(risk=OuterRef("pk"), reviewed_on__lte=as_of).order_by(
        "-reviewed_on")
    horizon = as_of + dt.timedelta(days=DUE_WITHIN_DAYS)
    found = (risks.order_by()
             .annotate(status_then=Subquery(latest.values("status")[:1]),
                       next_review=Subquery(latest.values("next_review_on")[:1]))
             .filter(status_then=RiskStatus.OPEN)
             .aggregate(open=Count("pk"), due=Count("pk", filter=Q(next_review__lte=horizon)),
                        overdue=Count("pk", filter=Q(next_review__lt=as_of))))
    return {"open": found["open"], "due": found["due"], "overdue": found["overdue"]}
