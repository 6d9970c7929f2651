"""The demo's reports: a fortnight of narrative entries for the joint Cambridgeshire and
Peterborough highlight report (in seed 003's words), the councils' report settings, last
week's highlight report published, this week's left as a draft to build, and a weekly
schedule that emails the joint report to the care home cell every Monday at 08:00.

Dated back from today, as the rest of the demo is."""

import datetime as dt

from caresight.core.tenancy import OPERATOR
from caresight.reports import services as reports

DISTRIBUTION = ["care-home-cell@demo.caresight.test", "adults-dmt@demo.caresight.test"]
SETTINGS = {"title": "Service highlight report – COVID-19 and key service updates",
            "author_line": "Caroline Townsend, Head of Commissioning",
            "service_areas": "Commissioning"}

# (days after the week's Monday, section, service area, text): for last week and this week.
LAST_WEEK = [
    (0, "new_guidance", "Adults Commissioning", "DHSC instruction to Directors of Adult Social "
     "Services: everyone leaving hospital for a care home who is COVID positive is to be "
     "accommodated in a designated care setting until their isolation ends. The CCG "
     "Governing Body has approved funding for designated setting capacity."),
    (1, "new_guidance", "Adults Commissioning", "Letters sent to all care homes from the "
     "Director of Adult Social Services and the Director of Public Health on visiting: no "
     "blanket bans; essential visiting always permitted."),
    (2, "new_challenges", "Adults", "Discharge to assess bed capacity for pathway 2: short "
     "term beds across the system identified with health, to place people by need for up to "
     "6 weeks."),
    (2, "recovery", "Adults", "Day services across older people and learning disability "
     "mobilised at reduced capacity; work on a future model has begun."),
    (3, "communications", "Adults", "All providers eligible for the 80% element of the "
     "Infection Control Fund (round 2) written to with their allocations and the national "
     "conditions."),
    (4, "horizon", "Adults", "Learning disability service development at Burwell: a new "
     "project plan is in development after the pause for COVID."),
]
THIS_WEEK = [
    (0, "new_challenges", "Adults", "COVID isolation beds: a designated care home to be "
     "inspected by CQC by the end of the month; a PIN was issued and a good response "
     "received."),
    (0, "recovery", "Adults", "Care home block bed tender: evaluation under way."),
    (1, "horizon", "Children's", "Covid Recovery Commission report on levelling up "
     "communities: implications for commissioning being considered."),
]


def write_reports(*, authorities, today: dt.date) -> None:
    codes = [a.ons_code for a in authorities]
    monday = today - dt.timedelta(days=today.weekday())
    last_monday = monday - dt.timedelta(weeks=1)
    for authority in authorities:
        reports.settings_update(
            user=OPERATOR, authority=authority, kind="highlight", title=SETTINGS["title"],
            author_line=SETTINGS["author_line"], service_areas=SETTINGS["service_areas"],
            sections_text=_default_sections())
    for start, entries in ((last_monday, LAST_WEEK), (monday, THIS_WEEK)):
        for offset, section, service_area, text in entries:
            on = start + dt.timedelta(days=offset)
            if on > today:
                continue
            reports.entry_create(user=OPERATOR, authority=authorities[0], section=section,
                                 service_area=service_area, on=on, text=text)
    reports.report_publish(user=OPERATOR, kind="highlight", authority_codes=codes,
                           as_of=monday - dt.timedelta(days=1), period_from=last_monday)
    # Every Monday at 08:00 the joint report of the week before goes to the care home cell.
    reports.schedule_save(user=OPERATOR, authority=authorities[0], kind="highlight",
                          frequency="weekly", weekday=0, time_of_day=dt.time(8, 0),
                          recipients=DISTRIBUTION, joint_with=authorities[1:])


def _default_sections() -> str:
    from caresight.reports.kinds import format_sections, kinds

    return format_sections(kinds()["highlight"].sections)
