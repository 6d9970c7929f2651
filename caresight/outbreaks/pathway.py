"""The status pathway: live, then de-escalation, then closed, worked out from dated facts.

A pure function of the report date, the days with new cases, the officers' overrides and the
thresholds, so that the status on any day can be rebuilt and tested on its own.

- The outbreak is live from the day it is reported; the clock starts then and restarts on every
  day with a new case (a new case during de-escalation makes it live again).
- It de-escalates `de_escalation_days` after the clock starts and closes `closure_days` after.
- An override holds from its day. "Closed" closes it. "De-escalation" keeps the automatic
  closure (or closes the next day if that day has passed). "Live" stops the clock until the next
  new case, so the outbreak stays live until a case restarts it or an officer moves it on.
"""

import datetime as dt
from dataclasses import dataclass

from .models import Status

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Change:
    on: dt.date
    status: str
    automatic: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Override:
    on: dt.date
    status: str
    reason: str


def status_changes(*, reported_on: dt.date, case_days: list[dt.date],
                   overrides: list[Override], de_escalation_days: int,
                   closure_days: int) -> list[Change]:
    """Every change of status, in order; the last ones may lie ahead (expected changes)."""
    changes = [Change(reported_on, Status.LIVE)]
    status: str = Status.LIVE
    clock = reported_on  # the automatic changes count from here
    running = True
    close_not_before = reported_on

    def run_clock(until: dt.date) -> None:
        """Apply the automatic changes due on or before `until`."""
        nonlocal status
        if not running:
            return
        de_escalate = clock + dt.timedelta(days=de_escalation_days)
        close = max(clock + dt.timedelta(days=closure_days), close_not_before)
        if status == Status.LIVE and de_escalate <= until:
            changes.append(Change(de_escalate, Status.DE_ESCALATION))
            status = Status.DE_ESCALATION
        if status == Status.DE_ESCALATION and close <= until:
            changes.append(Change(close, Status.CLOSED))
            status = Status.CLOSED

    # On one day, a new case comes before an override: an officer decides knowing of it.
    cases = [(day, None) for day in sorted(set(case_days)) if day >= reported_on]
    events = sorted(cases + [(o.on, o) for o in overrides], key=lambda e: (e[0], e[1] is not None))
    for day, override in events:
        run_clock(day - DAY)
        if status == Status.CLOSED:
            break
        if override is None:
            if status != Status.LIVE:
                changes.append(Change(day, Status.LIVE))
            status, clock, running, close_not_before = Status.LIVE, day, True, day
            continue
        changes.append(Change(day, override.status, automatic=False, reason=override.reason))
        status = override.status
        running = override.status == Status.DE_ESCALATION
        close_not_before = day + DAY
    if status != Status.CLOSED:
        run_clock(dt.date.max)
    return changes


def status_on(changes: list[Change], day: dt.date) -> str | None:
    """The status on `day` (None before the outbreak was reported)."""
    current = None
    for change in changes:
        if change.on > day:
            break
        current = change.status
    return current


def closed_on(changes: list[Change]) -> dt.date | None:
    return next((c.on for c in changes if c.status == Status.CLOSED), None)
