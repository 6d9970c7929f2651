"""Beds pages: thin views over the beds selectors and services.

Who sees what: VIEW_BEDS to see, PLACE_BEDS (on the scheme) to place, change and discharge,
MANAGE_BEDS for schemes and their beds, RECORD_BED_CLAIMS for NHS claims, EXPORT for
downloads. The selectors scope every read (a partner: the schemes its organisation
commissions; a provider's staff: the schemes in their own services). Brokerage and money are
the council's and its partners' working pages, so a provider's staff do not see them.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.query import note_error, page_date, page_id
from caresight.core.tables import download_links, download_response, format_money
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import handle_form, history_page
from caresight.registry.models import Authority, ClientGroup

from . import selectors, services, tables
from .forms import (
    CapacityForm,
    ClaimForm,
    DischargeForm,
    PlacementEditForm,
    PlacementForm,
    SchemeEditForm,
    SchemeForm,
)
from .models import SchemeKind

C = Capability
PAGE_SIZE = 100
NOT_YOURS = "Authority must be one of the authorities whose beds you see"


# --- Shared pieces -----------------------------------------------------------------------

def provider_only(user) -> bool:
    """A provider's staff: they see the beds in their own services, and nothing else."""
    s = tenancy.scope(user, C.VIEW_BEDS)
    return bool(s.provider_grants) and not (s.everywhere or s.authority_ids or s.funder_grants)


def _require_council_side(request) -> None:
    tenancy.require(request.user, C.VIEW_BEDS)
    if provider_only(request.user):
        raise PermissionDenied


def _as_of(request) -> dt.date:
    return page_date(request, "as_of", timezone.localdate())


def _authorities(user) -> list[tuple[str, str]]:
    """(code, name) of the authorities whose schemes the user sees."""
    ids = selectors.scheme_list(user=user).order_by().values("authority_id").distinct()
    return list(Authority.objects.filter(pk__in=ids).order_by("name")
                .values_list("ons_code", "name"))


def _authority(request, choices: list[tuple[str, str]]) -> str | None:
    """The authority asked for, if its beds are among the user's; another is noted as an
    error (and answered exactly as one that does not exist)."""
    code = (request.GET.get("authority") or "").strip().upper()
    if not code:
        return None
    if code not in {c for c, _ in choices}:
        note_error(request, "authority", NOT_YOURS)
        return None
    return code


def _area(request) -> tuple[str | None, list]:
    choices = _authorities(request.user)
    authority = _authority(request, choices)
    return authority, ([("Authorities", choices)] if len(choices) > 1 else [])


def _period(request, default_from: dt.date, default_to: dt.date) -> tuple[dt.date, dt.date]:
    date_to = page_date(request, "to", default_to)
    date_from = page_date(request, "from", default_from)
    if date_from > date_to:
        note_error(request, "from", "From must be on or before To")
        return default_from, default_to
    return date_from, date_to


def financial_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def _context(request, **extra) -> dict:
    user = request.user
    return {
        "council_side": not provider_only(user),
        "can_export": tenancy.has_capability(user, C.EXPORT),
        "can_manage": tenancy.has_capability(user, C.MANAGE_BEDS),
        "can_place_any": tenancy.has_capability(user, C.PLACE_BEDS),
        "can_claim": tenancy.has_capability(user, C.RECORD_BED_CLAIMS),
        **extra,
    }


def _download(request, table, stem: str):
    fmt = request.GET.get("download")
    if not fmt:
        return None
    tenancy.require(request.user, C.EXPORT)
    return download_response(request, table, fmt, file_stem=stem)


# --- Occupancy, brokerage, attention, stays, sitrep --------------------------------------

def occupancy(request):
    """Beds commissioned, occupied and free on a day: in all, by kind, locality, funding
    source and payment basis, and each scheme beside its service's reported vacancies."""
    tenancy.require(request.user, C.VIEW_BEDS)
    as_of = _as_of(request)
    authority, areas = _area(request)
    found = selectors.occupancy(user=request.user, as_of=as_of, authority=authority)
    title = f"Each scheme on {long_date(as_of)}"
    if request.GET.get("download"):
        days = selectors.scheme_days(user=request.user, as_of=as_of, authority=authority)
        return _download(request, _scheme_table(days, as_of, title),
                         f"beds-occupancy-{as_of.isoformat()}")
    # Nationally there are thousands of schemes: the page shows them a page at a time.
    page = Paginator(selectors.scheme_list(user=request.user, authority=authority,
                                           as_of=as_of), PAGE_SIZE).get_page(
        request.GET.get("page"))
    days = selectors.days_of(selectors.scheme_list(user=request.user).filter(
        pk__in=[s.pk for s in page.object_list]), as_of)
    query = request.GET.copy()
    query.pop("page", None)
    schemes = _scheme_table(days, as_of, title + (
        f", page {page.number} of {page.paginator.num_pages}"
        if page.paginator.num_pages > 1 else ""))
    return render(request, "beds/occupancy.html", _context(
        request, as_of=as_of, authority=authority or "", areas=areas, found=found,
        schemes=schemes, page=page, query=query.urlencode(),
        by_kind=tables.grouped_table(found["by_kind"], header="Kind of scheme",
                                     title="By kind of scheme", testid="by-kind"),
        by_locality=tables.grouped_table(found["by_locality"], header="Locality",
                                         title="By locality", testid="by-locality"),
        by_funding=tables.grouped_table(found["by_funding"], header="Funding source",
                                        title="By funding source", testid="by-funding"),
        by_basis=tables.grouped_table(found["by_basis"], header="Paid for",
                                      title="Block and spot", testid="by-basis"),
        download_links=download_links(request)))


def _scheme_table(days: list, as_of: dt.date, title: str):
    vacancies = selectors.vacancies_reported(schemes=[d.scheme for d in days], as_of=as_of)
    return tables.scheme_days_table(days, vacancies=vacancies, title=title)


def brokerage(request):
    """Free beds by client group, and each scheme with one: its service's open outbreak and
    risk rating, flagged where a placement needs thought."""
    _require_council_side(request)
    as_of = _as_of(request)
    authority, areas = _area(request)
    group = (request.GET.get("client_group") or "").strip()
    if group and group not in ClientGroup.values:
        note_error(request, "client_group", "Client group must be one from the list")
        group = ""
    found = selectors.brokerage(user=request.user, as_of=as_of, client_group=group,
                                authority=authority)
    table = tables.brokerage_table(found["rows"], sees_outbreaks=found["sees_outbreaks"])
    done = _download(request, table, f"beds-free-{as_of.isoformat()}")
    if done:
        return done
    return render(request, "beds/brokerage.html", _context(
        request, as_of=as_of, authority=authority or "", areas=areas, found=found,
        client_group=group, client_groups=ClientGroup.choices,
        flagged=sum(1 for row in found["rows"] if row["flag"]),
        by_group=tables.free_by_group_table(found["by_group"]), table=table,
        download_links=download_links(request)))


def placement_list(request):
    """Placements admitted by a day, as they stood then (only those in a bed, if asked)."""
    tenancy.require(request.user, C.VIEW_BEDS)
    as_of = _as_of(request)
    current = request.GET.get("current") == "1"
    scheme = None
    scheme_id = page_id(request, "scheme", "Scheme")
    if scheme_id is not None:
        try:
            scheme = tenancy.access_bed_scheme(request.user, scheme_id, C.VIEW_BEDS)
        except Http404:
            note_error(request, "scheme", "Scheme must be one of the schemes you see")
    placements = selectors.placement_list(user=request.user, as_of=as_of, scheme=scheme,
                                          current=current)
    title = (f"In a bed on {long_date(as_of)}" if current
             else f"Placements admitted by {long_date(as_of)}") + (
        f" in {scheme.name}" if scheme else "")

    def rows(found):
        return ({"placement": p, **selectors.as_it_stood(p, as_of)} for p in found)

    if request.GET.get("download"):
        table = tables.placements_table(rows(placements.iterator(chunk_size=2000)), title=title)
        return _download(request, table, f"placements-{as_of.isoformat()}")
    page = Paginator(placements, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "beds/placement_list.html", _context(
        request, as_of=as_of, current=current, scheme=scheme, page=page,
        query=query.urlencode(),
        schemes=selectors.scheme_list(user=request.user).values_list("pk", "name"),
        table=tables.placements_table(list(rows(page.object_list)), title=title + (
            f", page {page.number} of {page.paginator.num_pages}"
            if page.paginator.num_pages > 1 else "")),
        download_links=download_links(request)))


def attention(request):
    """People past their scheme's intended stay or their expected discharge, and those
    expected to leave this week."""
    tenancy.require(request.user, C.VIEW_BEDS)
    as_of = _as_of(request)
    authority, areas = _area(request)
    over = selectors.overstays(user=request.user, as_of=as_of, authority=authority)
    ending = selectors.ending_soon(user=request.user, as_of=as_of, authority=authority)
    late = selectors.past_expected_discharge(user=request.user, as_of=as_of,
                                             authority=authority)
    return render(request, "beds/attention.html", _context(
        request, as_of=as_of, authority=authority or "", areas=areas,
        overstays=tables.overstays_table(over, as_of=as_of),
        past_expected=tables.past_expected_table(late, as_of=as_of),
        ending=tables.ending_table(ending, as_of=as_of,
                                   ends={p.pk: selectors.expected_end(p) for p in ending})))


def stays(request):
    """Lengths of stay and destinations of the people discharged in a period."""
    tenancy.require(request.user, C.VIEW_BEDS)
    today = timezone.localdate()
    date_from, date_to = _period(request, today - dt.timedelta(days=27), today)
    authority, areas = _area(request)
    stats = selectors.stay_statistics(user=request.user, date_from=date_from,
                                      date_to=date_to, authority=authority)
    return render(request, "beds/stays.html", _context(
        request, date_from=date_from, date_to=date_to, authority=authority or "",
        areas=areas, stats=stats, stays=tables.stays_table(stats),
        destinations=tables.destinations_table(stats)))


def sitrep(request):
    """The daily sitrep as at 08:00: beds, occupied, free and the last 24 hours' admissions
    and discharges by kind of scheme, with a total; downloadable."""
    tenancy.require(request.user, C.VIEW_BEDS)
    as_of = _as_of(request)
    authority, areas = _area(request)
    found = selectors.sitrep(user=request.user, as_of=as_of, authority=authority)
    table = tables.sitrep_table(found)
    done = _download(request, table, f"beds-sitrep-{as_of.isoformat()}")
    if done:
        return done
    return render(request, "beds/sitrep.html", _context(
        request, as_of=as_of, authority=authority or "", areas=areas, found=found,
        table=table, night=as_of - dt.timedelta(days=1),
        download_links=download_links(request)))


# --- Money -------------------------------------------------------------------------------

def money(request):
    """What the beds cost in a period, by scheme and funding source; block and spot; void
    block beds."""
    _require_council_side(request)
    today = timezone.localdate()
    date_from, date_to = _period(request, financial_year_start(today), today)
    authority, areas = _area(request)
    costs = selectors.costs(user=request.user, date_from=date_from, date_to=date_to,
                            authority=authority)
    table = tables.costs_table(costs)
    done = _download(request, table, f"beds-costs-{date_from.isoformat()}-to-"
                                     f"{date_to.isoformat()}")
    if done:
        return done
    return render(request, "beds/money.html", _context(
        request, date_from=date_from, date_to=date_to, authority=authority or "",
        areas=areas, costs=costs, table=table, cost_text=format_money(costs["cost"]),
        void_text=format_money(costs["void_cost"]),
        by_source=tables.cost_by_source_table(costs), block_spot=tables.block_spot_table(costs),
        download_links=download_links(request)))


def reconciliation(request):
    """Month by month: the NHS-funded cost of the beds against what was claimed."""
    _require_council_side(request)
    as_of = _as_of(request)
    authority, areas = _area(request)
    rows = selectors.reconciliation(user=request.user, as_of=as_of, authority=authority)
    table = tables.reconciliation_table(rows)
    done = _download(request, table, f"beds-nhs-reconciliation-{as_of.isoformat()}")
    if done:
        return done
    claims = selectors.claim_list(user=request.user)
    if authority:
        claims = claims.filter(authority__ons_code=authority)
    return render(request, "beds/reconciliation.html", _context(
        request, as_of=as_of, authority=authority or "", areas=areas, table=table,
        claims=tables.claims_table(claims[:24]),
        download_links=download_links(request)))


def claim_new(request):
    tenancy.require(request.user, C.RECORD_BED_CLAIMS)
    form = ClaimForm(request.POST or None, user=request.user, initial={
        "submitted_on": timezone.localdate(),
        "month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)})
    done = handle_form(
        request, form, lambda data: services.claim_record(user=request.user, **data),
        success_message=lambda claim: (
            f"The claim of {format_money(claim.amount)} from {claim.claimed_from.name} for "
            f"{claim.month:%B %Y} is recorded."),
        redirect_to=reverse("beds:reconciliation"),
        already_sent="That claim was already recorded; it was recorded once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Record an NHS claim", "button": "Record claim",
        "back": reverse("beds:reconciliation"), "caption": "Beds",
        "intro": "What the council claimed from an NHS partner for a month's NHS-funded "
                 "beds. Recording a month already claimed from the same partner corrects it."})


# --- Schemes -----------------------------------------------------------------------------

def scheme_list(request):
    tenancy.require(request.user, C.VIEW_BEDS)
    authority, areas = _area(request)
    today = timezone.localdate()
    table = tables.scheme_list_table(selectors.days_of(
        selectors.scheme_list(user=request.user, authority=authority), today))
    done = _download(request, table, f"bed-schemes-{today.isoformat()}")
    if done:
        return done
    return render(request, "beds/scheme_list.html", _context(
        request, authority=authority or "", areas=areas, table=table, as_of=today,
        download_links=download_links(request)))


def _scheme_facts(scheme) -> list[tuple[str, str]]:
    groups = dict(ClientGroup.choices)
    return [
        ("Kind", scheme.get_kind_display()),
        ("Council", scheme.authority.name),
        ("Service", scheme.location.name),
        ("Commissioned by", scheme.commissioned_by.name),
        ("Paid for", scheme.get_payment_basis_display()),
        ("Client groups", ", ".join(groups.get(g, g) for g in scheme.client_groups) or "Any"),
        ("Longest intended stay", f"{scheme.max_stay_days} days" if scheme.max_stay_days
         else "No limit"),
        ("Funding source", scheme.get_funding_source_display()),
        ("Weekly rate per bed", format_money(scheme.weekly_rate)),
        ("From", long_date(scheme.starts_on)),
        ("To", long_date(scheme.ends_on) if scheme.ends_on else "Running"),
        *([("CQC assurance date", long_date(scheme.cqc_assured_on) if scheme.cqc_assured_on
            else "Not yet assured: it cannot take anyone")]
          if scheme.kind == SchemeKind.DESIGNATED_SETTING else []),
        ("Notes", scheme.notes),
    ]


def scheme_detail(request, pk: int):
    scheme = tenancy.access_bed_scheme(request.user, pk, C.VIEW_BEDS)
    today = timezone.localdate()
    day = selectors.days_of(selectors.scheme_list(user=request.user).filter(pk=scheme.pk),
                            today)[0]
    can_place = tenancy.allows(request.user, C.PLACE_BEDS, scheme)
    current = selectors.placement_list(user=request.user, scheme=scheme, as_of=today,
                                       current=True).order_by("bed_number")
    return render(request, "beds/scheme_detail.html", _context(
        request, scheme=scheme, day=day, today=today, facts=_scheme_facts(scheme),
        can_place=can_place, can_manage=tenancy.allows(request.user, C.MANAGE_BEDS, scheme),
        capacity=tables.capacity_table(scheme.capacities.order_by("from_date")),
        current=tables.scheme_placements_table(current, as_of=today, can_place=can_place),
        outbreak=selectors.open_outbreak_at(user=request.user, scheme=scheme, on=today)))


def scheme_new(request):
    tenancy.require(request.user, C.MANAGE_BEDS)
    form = SchemeForm(request.POST or None, user=request.user,
                      initial={"starts_on": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.scheme_create(user=request.user, **data),
        success_message=lambda scheme: f"{scheme.name} is set up.",
        redirect_to=tables.scheme_url,
        already_sent="That scheme was already set up; it was set up once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Set up a bed scheme", "button": "Set up scheme",
        "back": reverse("beds:scheme-list"), "caption": "Beds"})


def scheme_edit(request, pk: int):
    scheme = tenancy.access_bed_scheme(request.user, pk, C.MANAGE_BEDS)
    initial = {field: getattr(scheme, field) for field in services.SCHEME_FIELDS}
    initial |= {"location": scheme.location_id, "commissioned_by": scheme.commissioned_by_id}
    form = SchemeEditForm(request.POST or None, user=request.user, initial=initial)
    done = handle_form(
        request, form, lambda data: services.scheme_update(scheme=scheme, user=request.user,
                                                           **data),
        success_message=f"Your changes to {scheme.name} were saved.",
        redirect_to=tables.scheme_url(scheme))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": f"Change {scheme.name}", "button": "Save changes",
        "back": tables.scheme_url(scheme), "caption": scheme.authority.name,
        "intro": "The beds commissioned change by date: use Change the beds on the "
                 "scheme's page."})


def capacity_set(request, pk: int):
    scheme = tenancy.access_bed_scheme(request.user, pk, C.MANAGE_BEDS)
    form = CapacityForm(request.POST or None, initial={"from_date": timezone.localdate()})
    done = handle_form(
        request, form, lambda data: services.capacity_set(scheme=scheme, user=request.user,
                                                          **data),
        success_message=lambda row: (f"{scheme.name} has {row.beds} beds from "
                                     f"{long_date(row.from_date)}."),
        redirect_to=tables.scheme_url(scheme),
        already_sent="Those beds were already saved; they were saved once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Change the beds", "button": "Save beds",
        "back": tables.scheme_url(scheme), "caption": scheme.name,
        "intro": "The scheme has this many beds from the day given until a later change. "
                 "Fewer beds are refused while someone is in a bed that would go."})


def scheme_history(request, pk: int):
    scheme = tenancy.access_bed_scheme(request.user, pk, C.VIEW_BEDS)
    return history_page(request, scheme, back_url=tables.scheme_url(scheme))


# --- Placements --------------------------------------------------------------------------

def placement_new(request, pk: int):
    scheme = tenancy.access_bed_scheme(request.user, pk, C.PLACE_BEDS)
    form = PlacementForm(request.POST or None, initial={
        "admitted_on": timezone.localdate(), "funding_source": scheme.funding_source,
        "source": "hospital", **({"pathway": "2"} if scheme.kind == SchemeKind.PATHWAY_2
                                 else {})})
    done = handle_form(
        request, form, lambda data: services.placement_create(scheme=scheme, user=request.user,
                                                              **data),
        success_message=lambda p: (f"{p.person_reference} is placed in bed {p.bed_number} of "
                                   f"{scheme.name}."),
        redirect_to=tables.placement_url,
        already_sent="That person was already placed; they were placed once.")
    if done:
        return done
    return render(request, "beds/placement_form.html", {
        "form": form, "title": "Place someone", "button": "Place", "scheme": scheme,
        "back": tables.scheme_url(scheme),
        "outbreak": selectors.open_outbreak_at(user=request.user, scheme=scheme,
                                               on=timezone.localdate())})


def _placement_facts(placement, *, council_side: bool) -> list[tuple[str, str]]:
    stood = selectors.as_it_stood(placement, timezone.localdate())
    end = selectors.expected_end(placement)
    facts = [
        ("Scheme", placement.scheme.name),
        ("Bed", str(placement.bed_number)),
        ("From", tables._from_text(placement)),
        ("Admitted", long_date(placement.admitted_on)),
        ("Expected discharge", long_date(placement.expected_discharge_on)
         if placement.expected_discharge_on else (
             f"Not given (the intended stay ends {long_date(end)})" if end else "Not given")),
        ("Discharged", long_date(placement.discharged_on) if placement.discharged_on
         else "Still placed"),
        ("Destination", placement.get_destination_display() if placement.discharged_on
         else "Not yet discharged"),
        ("Nights", f"{stood['nights']:,}"),
        ("COVID-19 status on admission", placement.get_covid_status_display()),
        ("Pathway", placement.get_pathway_display()),
        ("Funding source", placement.get_funding_source_display()),
        ("Placed by", str(placement.placed_by) if placement.placed_by else "Not recorded"),
        ("Notes", placement.notes),
    ]
    if council_side:
        facts.insert(3, ("NHS number", "Given (kept only as a keyed hash)"
                         if placement.nhs_number_hash else "Not given"))
    return facts


def placement_detail(request, pk: int):
    placement = tenancy.access_placement(request.user, pk, C.VIEW_BEDS)
    council_side = not provider_only(request.user)
    stood = selectors.as_it_stood(placement, timezone.localdate())
    linked = selectors.linked_placements(user=request.user, placement=placement)
    return render(request, "beds/placement_detail.html", _context(
        request, placement=placement, stood=stood,
        facts=_placement_facts(placement, council_side=council_side),
        can_place=tenancy.allows(request.user, C.PLACE_BEDS, placement),
        linked=tables.linked_table(linked) if council_side and placement.nhs_number_hash
        else None))


def placement_edit(request, pk: int):
    placement = tenancy.access_placement(request.user, pk, C.PLACE_BEDS)
    # The form's own fields (the NHS number is never shown back).
    form = PlacementEditForm(request.POST or None, initial={
        field: getattr(placement, field) for field in PlacementEditForm.base_fields
        if field != "nhs_number"})

    def save(data):
        nhs_number = data.pop("nhs_number", "") or None
        return services.placement_update(placement=placement, user=request.user,
                                         nhs_number=nhs_number, **data)

    done = handle_form(
        request, form, save,
        success_message=f"Your changes to {placement.person_reference}'s placement were saved.",
        redirect_to=tables.placement_url(placement))
    if done:
        return done
    return render(request, "beds/placement_form.html", {
        "form": form, "title": f"Change {placement.person_reference}'s placement",
        "button": "Save changes", "scheme": placement.scheme,
        "back": tables.placement_url(placement)})


def placement_discharge(request, pk: int):
    placement = tenancy.access_placement(request.user, pk, C.PLACE_BEDS)
    form = DischargeForm(request.POST or None, initial={
        "discharged_on": placement.discharged_on or timezone.localdate(),
        "destination": placement.destination or None})
    done = handle_form(
        request, form, lambda data: services.placement_discharge(
            placement=placement, user=request.user, **data),
        success_message=lambda p: (f"{p.person_reference} was discharged on "
                                   f"{long_date(p.discharged_on or p.admitted_on)}."),
        redirect_to=tables.placement_url(placement))
    if done:
        return done
    return render(request, "beds/placement_form.html", {
        "form": form, "title": f"Discharge {placement.person_reference}",
        "button": "Record discharge", "scheme": placement.scheme,
        "back": tables.placement_url(placement),
        "intro": f"Admitted on {long_date(placement.admitted_on)} to bed "
                 f"{placement.bed_number}. The bed is free from the day of discharge."})


def placement_history(request, pk: int):
    placement = tenancy.access_placement(request.user, pk, C.VIEW_BEDS)
    return history_page(request, placement, back_url=tables.placement_url(placement))


# --- A service's page (the register shows it: core.location_sections) ----------------------

def location_section(request, location) -> str:
    """The "Commissioned beds" section of a service's page: its schemes running today with
    their beds, occupied and free, for a user who sees them (else nothing)."""
    from django.template.loader import render_to_string

    if not tenancy.has_capability(request.user, C.VIEW_BEDS):
        return ""
    today = timezone.localdate()
    days = selectors.schemes_at(location=location, user=request.user, as_of=today)
    if not days:
        return ""
    table = tables.location_schemes_table(days, as_of=today)
    return render_to_string("beds/_location_section.html", {
        "table": table, "days": days, "today": today}, request=request)

