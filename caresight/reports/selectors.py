"""Reads for the generated reports: a report's figures for an area and a period, built from the
live data through the apps' report sections; the narrative entries; published reports; and
what has changed in the live figures since a report was published."""

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.report_sections import ReportScope, sections
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from .kinds import Kind, kinds
from .models import NarrativeEntry, PublishedReport, ReportSchedule, ReportSettings, ScheduledRun

FIGURES_VERSION = 1


# --- Scope and settings ------------------------------------------------------------------------


def area_authorities(user, codes, capability: Capability = Capability.VIEW_REPORTS) -> list:
    """The authorities of a report's area, in the order given, each through the tenancy door
    (one out of scope is "not found", like one that does not exist)."""
    codes = list(dict.fromkeys(code.strip().upper() for code in codes if code.strip()))
    if not codes:
        raise ValidationError({"authority": "Choose the authority (or authorities) the report "
                                            "is for."})
    return [tenancy.access_authority(user, code, capability) for code in codes]


def area_name(authorities) -> str:
    names = [a.name for a in authorities]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def area_key(authorities) -> str:
    return "+".join(sorted(a.ons_code for a in authorities))


def check_period(kind: Kind, as_of: dt.date, period_from: dt.date | None, *,
                 today: dt.date | None = None) -> dt.date:
    """The first day of the period (by default the kind's usual period ending on `as_of`);
    refuse a period that ends before it starts or in the future."""
    today = today or timezone.localdate()
    if as_of > today:
        raise ValidationError({"as_of": f"The report date {long_date(as_of)} is in the future: "
                                        f"choose {long_date(today)} or earlier."})
    if period_from is None:
        period_from = as_of - dt.timedelta(days=kind.period_days - 1)
    if period_from > as_of:
        raise ValidationError({"period_from": f"The reporting period starts on "
                                              f"{long_date(period_from)}, after it ends "
                                              f"({long_date(as_of)})."})
    return period_from


def report_settings(authority, kind_key: str) -> dict:
    """The authority's settings for a kind of report, or the kind's defaults."""
    kind = kinds()[kind_key]
    saved = ReportSettings.objects.filter(authority=authority, kind=kind_key).first()
    if saved is None:
        return {"title": kind.title, "author_line": "", "service_areas": "",
                "sections": [dict(s) for s in kind.sections], "logo": b"", "logo_type": "",
                "saved": None}
    return {"title": saved.title, "author_line": saved.author_line,
            "service_areas": saved.service_areas, "sections": saved.sections,
            "logo": bytes(saved.logo or b""), "logo_type": saved.logo_type, "saved": saved}


# --- Narrative ---------------------------------------------------------------------------------


def entry_list(*, user, capability: Capability = Capability.VIEW_REPORTS
               ) -> QuerySet[NarrativeEntry]:
    return tenancy.in_scope(user, capability, NarrativeEntry).select_related(
        "authority", "author")


def entries_in_period(authorities, period_from: dt.date, as_of: dt.date
                      ) -> QuerySet[NarrativeEntry]:
    return NarrativeEntry.objects.filter(
        authority__in=authorities, on__gte=period_from, on__lte=as_of).select_related(
        "authority", "author").order_by("section", "service_area", "on", "pk")


def _author(entry: NarrativeEntry) -> str:
    return str(entry.author) if entry.author else "System"


# --- Building ----------------------------------------------------------------------------------


def report_figures(*, user, kind: str, authority_codes, as_of: dt.date,
                   period_from: dt.date | None = None, like: dict | None = None) -> dict:
    """Everything one report shows, as plain JSON: the same area, period and data always give
    the same figures (no clock, no IDs that change), so a published report can be compared
    with a fresh build and its hash checked. `like` (a published report's figures) builds
    its sections again, whatever the council's settings say now."""
    if kind not in kinds():
        raise ValidationError({"kind": f"There is no report called “{kind}” (there are: "
                                       f"{', '.join(kinds())})."})
    spec = kinds()[kind]
    authorities = area_authorities(user, authority_codes)
    period_from = check_period(spec, as_of, period_from)
    settings = report_settings(authorities[0], kind)
    scope = ReportScope(user=user, authority_codes=tuple(a.ons_code for a in authorities),
                        as_of=as_of, period_from=period_from)
    entries: dict[str, list[dict]] = {}
    for entry in entries_in_period(authorities, period_from, as_of):
        entries.setdefault(entry.section, []).append({
            "service_area": entry.service_area, "on": entry.on.isoformat(), "text": entry.text,
            "author": _author(entry),
            "authority": entry.authority.name if len(authorities) > 1 else ""})
    registered = sections()
    built = []
    chosen = settings["sections"] if like is None else [
        {"key": s["key"], "heading": s["heading"], "narrative": s["narrative"],
         "data": [d["key"] for d in s["data"]]} for s in like["sections"]]
    for section in chosen:
        data = []
        for key in section.get("data", []):
            data_section = registered.get(key)
            if data_section is None:
                data.append({"key": key, "heading": key, "withheld":
                             "This section is no longer available."})
            elif not _may_see(user, data_section.capability, authorities):
                data.append({"key": key, "heading": data_section.heading, "withheld":
                             "Not shown: you do not have access to these figures."})
            else:
                data.append({"key": key, "heading": data_section.heading,
                             "figures": data_section.build(scope)})
        built.append({"key": section["key"], "heading": section["heading"],
                      "narrative": bool(section.get("narrative")),
                      "entries": entries.get(section["key"], []) if section.get("narrative")
                      else [], "data": data})
    return {
        "version": FIGURES_VERSION, "kind": kind, "kind_label": spec.label,
        "title": settings["title"], "author_line": settings["author_line"],
        "service_areas": settings["service_areas"], "area_name": area_name(authorities),
        "authorities": [a.ons_code for a in authorities], "as_of": as_of.isoformat(),
        "period_from": period_from.isoformat(),
        "period": period_label(period_from, as_of),
        "logo_sha256": hashlib.sha256(settings["logo"]).hexdigest() if settings["logo"] else "",
        "sections": built}


def _may_see(user, capability: Capability, authorities) -> bool:
    s = tenancy.scope(user, capability)
    return s.everywhere or all(a.pk in s.authority_ids for a in authorities)


def period_label(period_from: dt.date, as_of: dt.date) -> str:
    if period_from == as_of:
        return long_date(as_of)
    return f"{long_date(period_from)} to {long_date(as_of)}"


def figures_hash(figures: dict) -> str:
    return hashlib.sha256(canonical_json(figures)).hexdigest()


def canonical_json(figures: Any) -> bytes:
    return json.dumps(figures, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


# --- Published reports -------------------------------------------------------------------------


def published_list(*, user) -> QuerySet[PublishedReport]:
    return tenancy.in_scope(user, Capability.VIEW_REPORTS, PublishedReport).defer(
        "html", "pdf", "docx", "figures").select_related("published_by").prefetch_related(
        "authorities")


def published_report(user, pk) -> PublishedReport:
    return tenancy.access_published_report(user, pk, Capability.VIEW_REPORTS)


def unpublished_councils(*, user, kind: str, period_from: dt.date, as_of: dt.date,
                         authority_codes=()) -> dict:
    """Of the user's councils (where they may publish), how many have no published report of
    this kind for the period, on its own or in a joint report."""
    councils = tenancy.authorities(user, Capability.PUBLISH_REPORTS)
    if authority_codes:
        councils = councils.filter(ons_code__in=list(authority_codes))
    ids = set(councils.values_list("pk", flat=True))
    covered = set(PublishedReport.authorities.through.objects.filter(
        publishedreport__kind=kind, publishedreport__period_from=period_from,
        publishedreport__as_of=as_of, authority_id__in=ids).values_list("authority_id",
                                                                       flat=True))
    return {"councils": len(ids), "due": len(ids - covered)}


def existing_publication(kind: str, authorities, period_from: dt.date, as_of: dt.date
                         ) -> PublishedReport | None:
    return PublishedReport.objects.filter(kind=kind, area_key=area_key(authorities),
                                          period_from=period_from, as_of=as_of).first()


# --- What changed since publishing -------------------------------------------------------------


def _leaves(figures: dict) -> Iterator[tuple[tuple, str, Any]]:
    """Each figure of the data sections: a key that stays the same between builds (section,
    data section, table number, row, column), a name people can read ("Outbreak update ›
    Numbers by locality › Fenland › Live") and its value. Table cells are named by their row's
    first cell and their column; sentences by their place."""
    for section in figures.get("sections", []):
        for data in section.get("data", []):
            stats = data.get("figures") or {}
            name, where = data["heading"], (section["key"], data["key"])
            for n, paragraph in enumerate(stats.get("paragraphs", [])):
                yield (*where, "sentence", n), f"{name} › sentence {n + 1}", paragraph
            if "based_on" in stats:
                yield (*where, "based_on"), f"{name} › based on", stats["based_on"]
            for t, table in enumerate(stats.get("tables", [])):
                headers = [c["header"] for c in table["columns"]]
                title = f"{name} › {table['title']}"
                yield (*where, t, "rows"), f"{title} › rows", len(table["rows"])
                seen: dict[str, int] = {}
                for row in table["rows"]:
                    label = str(row[0]) if row else ""
                    seen[label] = seen.get(label, 0) + 1
                    if seen[label] > 1:
                        label = f"{label} ({seen[label]})"
                    for header, value in zip(headers[1:], row[1:], strict=False):
                        yield (*where, t, label, header), f"{title} › {label} › {header}", value
                for header, value in zip(headers, table.get("totals") or [], strict=False):
                    if value is not None:
                        yield ((*where, t, "Total", header), f"{title} › Total › {header}",
                               value)


def _number(value: Any):
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def figure_changes(published: dict, live: dict) -> list[dict]:
    """The data figures that differ between a published report and a fresh build of it: each
    with its name, what it was, what it is, and by how much when both are numbers. Narrative
    entries edited after publishing are counted apart (`narrative_changes`)."""
    old = {key: (name, value) for key, name, value in _leaves(published)}
    new = {key: (name, value) for key, name, value in _leaves(live)}
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        (old_name, before), (new_name, after) = old.get(key, ("", None)), new.get(key, ("", None))
        if before == after:
            continue
        b, a = _number(before), _number(after)
        changes.append({"figure": new_name or old_name, "published": _shown(before),
                        "now": _shown(after),
                        "by": (a - b) if a is not None and b is not None else None,
                        "headline": key[-1] in ("based_on", "rows") or "Total" in key[-2:]})
    return changes


def _shown(value: Any) -> Any:
    """A figure as people read it: ISO dates as "30 November 2020", lists joined."""
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        try:
            return long_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def narrative_changes(published: dict, live: dict) -> int:
    """How many narrative entries were added, removed or edited since publishing."""
    def entries(figures):
        return {json.dumps(e, sort_keys=True) for s in figures.get("sections", [])
                for e in s.get("entries", [])}
    return len(entries(published) ^ entries(live))


# --- Schedules, runs and deliveries ------------------------------------------------------------


def schedule_list(*, user, authority) -> QuerySet[ReportSchedule]:
    return tenancy.in_scope(user, Capability.PUBLISH_REPORTS, ReportSchedule).filter(
        authority=authority).select_related("authority").prefetch_related("joint_with")


def run_list(*, user, authority, limit: int = 50) -> list[ScheduledRun]:
    return list(tenancy.in_scope(user, Capability.PUBLISH_REPORTS, ScheduledRun).filter(
        schedule__authority=authority).select_related("schedule")[:limit])


def report_deliveries(report: PublishedReport) -> QuerySet:
    """Every email delivery of a published report (each recipient, each time it was sent)."""
    from django.contrib.contenttypes.models import ContentType

    from caresight.core.models import EmailDelivery

    return EmailDelivery.objects.filter(
        email__cause_type=ContentType.objects.get_for_model(PublishedReport),
        email__cause_id=str(report.pk)).order_by("queued_at", "pk")
