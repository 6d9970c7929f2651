"""The returns tables, declared once for their pages, downloads and `caresight export`."""

from django.urls import reverse

from caresight.core.tables import Book, Column, Kind, Table
from caresight.core.timeutils import long_date

from .models import Measure, Return

# --- Who has not returned (the chase list) ------------------------------------------------------

CHASE_COLUMNS = [
    Column("cqc_location_id", "CQC location ID", page=False),
    Column("name", "Service", hint=lambda r: f"{r['service_type']} · {r['provider']}",
           link=lambda r: reverse("returns:location", args=[r["location_id"]])),
    Column("authority", "Authority", page=False),
    Column("locality", "Locality", page=False),
    Column("service_type", "Type of service", page=False),
    Column("last_return", "Last return", kind=Kind.DATE, empty="Never"),
    Column("manager", "Manager"),
    Column("phone", "Phone"),
    Column("email", "Email", link=lambda r: f"mailto:{r['email']}" if r["email"] else None),
    Column("provider", "Provider", page=False),
    Column("provider_contact", "Provider contact", page=False),
]


def chase_table(rows, *, as_of, caption: str | None = None) -> Table:
    """Services without a current return on `as_of`, with whom to call."""
    return Table(columns=CHASE_COLUMNS, rows=rows, title=f"Chase list {as_of.isoformat()}",
                 caption=caption, testid="chase-list",
                 empty_message="Every service has a current return.")


def completion_table(points) -> Table:
    return Table(columns=[
        Column("date", "Date", kind=Kind.DATE, row_header=True),
        Column("locations", "Services", kind=Kind.WHOLE),
        Column("reported", "Returned", kind=Kind.WHOLE),
        Column("completion_rate", "Completion rate", kind=Kind.PERCENT),
    ], rows=points, title="Completion rate by week", caption_size="s",
        testid="completion-over-time")


# --- The returns summary ----------------------------------------------------------------------


def summary_book(summary: dict, *, as_of, previous) -> Book:
    """The returns summary's tables: on its page, printable, and as one file to circulate."""
    on, before = long_date(as_of), long_date(previous)
    overview = Table(columns=[
        Column("figure", "Figure", row_header=True),
        Column("value", "Value", kind=Kind.WHOLE),
        Column("based_on", "Based on (services)", kind=Kind.WHOLE, empty=""),
    ], rows=[
        {"figure": "Services expected to return", "value": summary["locations"]},
        {"figure": "Services with a current return", "value": summary["reported"]},
        {"figure": "Registered beds", "value": summary["beds"]["registered"],
         "based_on": summary["beds"]["based_on"]},
        {"figure": "Occupied beds", "value": summary["beds"]["occupied"],
         "based_on": summary["beds"]["based_on"]},
        {"figure": "Vacant beds", "value": summary["beds"]["vacant"],
         "based_on": summary["beds"]["based_on"]},
        {"figure": "Vacant beds that can take admissions",
         "value": summary["beds"]["vacant_accepting"], "based_on": summary["beds"]["based_on"]},
        {"figure": "Care homes closed to admissions",
         "value": summary["admissions_closed"]["locations"],
         "based_on": summary["admissions_closed"]["based_on"]},
        {"figure": "Services with under 7 days of at least one PPE item",
         "value": summary["ppe_under_7_days"]["locations"],
         "based_on": summary["ppe_under_7_days"]["based_on"]},
    ], title="Overview", caption=f"Returns summary on {on}", caption_size="s",
        key="overview", testid="overview")
    measures = Table(columns=[
        Column("label", "Measure", row_header=True),
        Column("current_pct", "Current", kind=Kind.PERCENT),
        Column("previous_pct", "Previous", kind=Kind.PERCENT),
        Column("based_on", "Based on (current)", kind=Kind.WHOLE),
        Column("previous_based_on", "Based on (previous)", kind=Kind.WHOLE),
    ], rows=summary["measures"], title="Infection control measures",
        caption=f"% of care homes reporting the measure is in place, {on} against {before}",
        caption_size="s", key="measures", testid="ipc-measures")
    beds = Table(columns=[
        Column("locality", "Locality"),
        Column("service_type", "Type"),
        Column("registered", "Registered", kind=Kind.WHOLE, total=True),
        Column("occupied", "Occupied", kind=Kind.WHOLE, total=True),
        Column("vacant", "Vacant", kind=Kind.WHOLE, total=True),
        Column("based_on", "Based on", kind=Kind.WHOLE, total=True),
    ], rows=summary["beds_by_locality"], title="Beds by locality",
        caption="Beds by locality and type of home", caption_size="s",
        key="beds_by_locality", testid="beds-by-locality",
        empty_message="No current care home returns.")
    absence = Table(columns=[
        Column("group", "Staff", row_header=True),
        Column("employed", "Employed", kind=Kind.WHOLE),
        Column("absent_covid", "Absent (COVID-19)", kind=Kind.WHOLE),
        Column("absent_other", "Absent (other)", kind=Kind.WHOLE),
        Column("absence_rate", "Absence rate", kind=Kind.PERCENT),
        Column("based_on", "Based on", kind=Kind.WHOLE),
    ], rows=summary["absence"], title="Staff absence", caption="Staff absent, by group",
        caption_size="s", key="absence", testid="absence")
    ppe = Table(columns=[
        Column("item", "Item", row_header=True),
        Column("locations", "Services", kind=Kind.WHOLE),
    ], rows=[{"item": item.capitalize(), "locations": n}
             for item, n in summary["ppe_under_7_days"]["by_item"].items()],
        title="PPE under 7 days", caption="Services with under 7 days, by item",
        caption_size="s", key="ppe_under_7_days", testid="ppe-items")
    visiting = Table(columns=[
        Column("label", "Status", row_header=True),
        Column("locations", "Care homes", kind=Kind.WHOLE, total=True),
    ], rows=summary["visiting"]["statuses"], title="Visiting",
        caption=f"Care homes by visiting status (based on {summary['visiting']['based_on']})",
        caption_size="s", key="visiting", testid="visiting")
    vaccination = Table(columns=[
        Column("group", "Group", row_header=True),
        Column("people", "People", kind=Kind.WHOLE),
        Column("flu", "Flu", kind=Kind.WHOLE),
        Column("flu_rate", "Flu rate", kind=Kind.PERCENT),
        Column("covid", "COVID-19", kind=Kind.WHOLE),
        Column("covid_rate", "COVID-19 rate", kind=Kind.PERCENT),
        Column("based_on", "Based on", kind=Kind.WHOLE),
    ], rows=summary["vaccination"], title="Vaccination",
        caption="People vaccinated against flu and COVID-19", caption_size="s",
        key="vaccination", testid="vaccination")
    return Book(title=f"Returns summary {as_of.isoformat()}",
                tables=[overview, measures, beds, absence, ppe, visiting, vaccination])


# --- One service's returns -------------------------------------------------------------------


def timeline_table(timeline: dict) -> Table:
    def date_text(row):
        return long_date(row["date"])

    columns = [Column("date", "Date", value=date_text, row_header=True,
                      link=lambda r: reverse("returns:detail", args=[r["pk"]]),
                      hint=lambda r: f"(version {r['version']})" if r["version"] > 1 else None)]
    columns += [Column(code, label, kind=Kind.NUMBER, value=_nth_value(n))
                for n, (code, label) in enumerate(timeline["columns"])]
    columns.append(Column("source", "Entered by"))
    return Table(columns=columns, rows=timeline["rows"], title="Returns, oldest first",
                 testid="timeline", empty_message="No returns in these 90 days.")


def _nth_value(n: int):
    return lambda row: row["values"][n]


def _answer(code: str):
    return lambda ret: ret.values.get(code)


def submit_table(locations, *, today) -> Table:
    return Table(columns=[
        Column("name", "Service",
               link=lambda loc: reverse("returns:location", args=[loc.pk])),
        Column("authority", "Authority", value="authority.name"),
        Column("last_return", "Last return", kind=Kind.DATE, empty="Never",
               tag=lambda loc: "Today" if loc.last_return == today else None),
        Column("submit", "Action", value=lambda loc: "Submit", header_hidden=True,
               link=lambda loc: reverse("returns:submit", args=[loc.pk]),
               hidden=lambda loc: f" a return for {loc.name}"),
    ], rows=locations, title="Services you can submit returns for", testid="submit-list",
        empty_message="You have no services to submit returns for.")


# --- Every return (`caresight export returns`) ----------------------------------------------

KINDS = {Measure.Kind.WHOLE_NUMBER: Kind.WHOLE, Measure.Kind.DECIMAL: Kind.NUMBER,
         Measure.Kind.DATE: Kind.DATE}


def return_columns(measures) -> list[Column]:
    """The export's columns: the service and the day, then one a measure code (the first set's
    label and kind for a code that several sets share)."""
    columns = [
        Column("cqc_location_id", "CQC location ID", value="location.cqc_location_id"),
        Column("location", "Service", value="location.name"),
        Column("authority_code", "Authority code", value="location.authority.ons_code"),
        Column("for_date", "Return for", kind=Kind.DATE),
        Column("version", "Version", kind=Kind.WHOLE),
        Column("source", "Entered by", choices=Return.Source),
        Column("measure_set", "Questions",
               value=lambda r: f"{r.measure_set.get_service_group_display()} "
                               f"v{r.measure_set.version}"),
        Column("submitted_at", "Submitted at", kind=Kind.DATETIME),
    ]
    seen: set[str] = set()
    for measure in measures:
        if measure.code in seen:
            continue
        seen.add(measure.code)
        columns.append(Column(
            measure.code, measure.label, kind=KINDS.get(measure.kind, Kind.TEXT),
            value=_answer(measure.code),
            choices=dict(map(tuple, measure.choices)) if measure.choices else None))
    return columns


def return_table(returns, measures) -> Table:
    return Table(columns=return_columns(measures), rows=returns, title="Returns")
