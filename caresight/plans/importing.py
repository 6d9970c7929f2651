"""Import a plan's actions from a spreadsheet in seed 001's shape (the plan's own download
reads back): Area | Action | Description | Timeline | Lead | Progress, and optionally Owner,
Status, RAG, Progress dated, Started.

A row is matched to an action of the plan by its area and action (case and spaces ignored):
a new one is added (and its area, if new); a known one takes the file's description,
timeline, leads and owner. A Progress cell that differs from the action's latest progress is
recorded as a new dated progress update. Leads are organisations already in Caresight, by
name, separated by commas, semicolons, slashes or lines."""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import Http404
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.files import ImportFileError, RowError, Table, file_date, match_columns
from caresight.core.imports import OUTSIDE, Context, Importer, ImportPages
from caresight.core.imports import Plan as ImportPlan
from caresight.core.progress import Progress
from caresight.core.tenancy import Capability

from . import services
from .models import ActionPlan, ActionStatus, ProgressUpdate, Rag, Timeline

COLUMNS: dict[str, tuple[str, ...]] = {
    "area": ("Area", "Area heading", "Key area"),
    "title": ("Action", "Action title"),
    "description": ("Description",),
    "timeline": ("Timeline", "Due", "Due date"),
    "leads": ("Lead", "Leads", "Lead organisation", "Lead organisations"),
    "progress": ("Progress", "Progress update"),
    "owner": ("Owner",),
    "status": ("Status",),
    "rag": ("RAG", "RAG rating"),
    "progress_on": ("Progress dated", "Progress date", "Updated"),
    "started_on": ("Started", "Start date"),
}
REQUIRED = ("area", "title", "timeline", "leads", "progress")
LEAD_SPLIT = re.compile(r"\s*[,;/\n]\s*")


class Outcome(models.TextChoices):
    CREATED = "created", "actions added"
    UPDATED = "updated", "actions changed"
    PROGRESS = "progress", "progress updates recorded"
    UNCHANGED = "unchanged", "actions unchanged"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


@dataclass(kw_only=True)
class Row:
    row: int
    area: str
    title: str
    description: str
    timeline: str
    due_on: dt.date | None
    leads: list[int]
    lead_names: list[str]
    owner: str | None
    progress: str
    status: str | None
    rag: str | None
    progress_on: dt.date
    started_on: dt.date | None


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _choice(text: str, choices: type[models.TextChoices]) -> str | None:
    by_word = {_key(c.label): c.value for c in choices} | {c.value: c.value for c in choices}
    return by_word.get(_key(text).replace(" ", "_")) or by_word.get(_key(text))


def read_timeline(text: str) -> tuple[str, dt.date | None]:
    """"Ongoing", "Established", or a date ("29 May 2020", 29/05/2020, 2020-05-29)."""
    word = _key(text)
    for timeline in (Timeline.ONGOING, Timeline.ESTABLISHED):
        if word == timeline.value:
            return timeline, None
    try:
        day = file_date(text)
    except ValueError:
        day = None
        for fmt in ("%d %B %Y", "%d %b %Y"):
            try:
                day = dt.datetime.strptime(" ".join(text.split()), fmt).date()
                break
            except ValueError:
                continue
    if day is None:
        raise ValueError("must be a date (29 May 2020), Ongoing or Established")
    return Timeline.BY_DATE, day


@dataclass
class Writes(ImportPlan):
    """What the import will write into one plan."""

    plan_obj: Any = None
    new: list[Row] = field(default_factory=list)
    changed: list[tuple[Any, Row]] = field(default_factory=list)
    progress: list[tuple[Any, Row]] = field(default_factory=list)  # (action or row, row)

    def __post_init__(self) -> None:
        super().__init__()

    def changes(self) -> list:
        def row(r: Row) -> list:
            return [r.area, r.title, r.description, r.timeline, str(r.due_on), r.leads,
                    r.owner, r.status, r.rag, r.progress, str(r.progress_on)]
        return ([["new", row(r)] for r in self.new]
                + [["change", a.pk, row(r)] for a, r in self.changed]
                + [["progress", getattr(a, "pk", None), row(r)] for a, r in self.progress])

    def has_changes(self) -> bool:
        return bool(self.new or self.changed or self.progress)


class ActionPlanImporter(Importer):
    kind = "action-plan"
    label = "action plan"
    outcomes = Outcome
    capability = Capability.MANAGE_PLANS
    target_label = "action plan"
    pages = ImportPages(upload="plans:import", done="plans:plan", done_label="Back to the plan")
    title = "Import actions into the plan"
    intro = ("Upload the plan's action table: a spreadsheet or CSV with the columns Area, "
             "Action, Description, Timeline, Lead and Progress (the plan's own download has "
             "them, with Owner, Status, RAG, Progress dated and Started).",
             "Actions are matched by area and action. New ones are added, known ones are "
             "changed, and new progress is recorded with its date. You will see what will "
             "change before anything is written.")
    file_hint = "CSV, Excel (.xlsx) or OpenDocument (.ods)."

    def find_target(self, target: str, user) -> ActionPlan:
        try:
            return tenancy.access_action_plan(user, target, self.capability)
        except Http404:  # the same words for a plan that is not there or not yours
            raise ImportFileError("There is no such action plan for you to import into.") \
                from None

    def layout(self, fmt: str, headers: list[str]) -> dict[str, str]:
        return match_columns(headers, COLUMNS, REQUIRED)

    def parse(self, table: Table) -> tuple[list[Row], list[RowError]]:
        headings = table.layout or self.layout(table.format, table.headers)
        organisations = {_key(o.name): o.pk for o in Organisation.objects.only("name")}
        today = timezone.localdate()
        rows, errors = [], []
        for number, raw in table.rows:
            cell = {name: (raw.get(heading) or "").strip() for name, heading in headings.items()}
            if not any(cell.values()):
                continue
            problems = []
            for name in ("area", "title"):
                if not cell[name]:
                    problems.append((headings[name], "is empty"))
            try:
                timeline, due_on = read_timeline(cell["timeline"])
            except ValueError as exc:
                timeline, due_on = Timeline.BY_DATE, None
                problems.append((headings["timeline"], str(exc)))
            names = ([cell["leads"]] if _key(cell["leads"]) in organisations
                     else [n for n in LEAD_SPLIT.split(cell["leads"]) if n])
            unknown = [n for n in names if _key(n) not in organisations]
            if unknown:
                problems.append((headings["leads"], (
                    f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not an "
                    "organisation in Caresight")))
            status = rag = None
            if cell.get("status"):
                status = _choice(cell["status"], ActionStatus)
                if status is None:
                    problems.append((headings["status"], "must be Not started, In progress, "
                                     "Complete or On hold"))
            if cell.get("rag"):
                rag = _choice(cell["rag"], Rag)
                if rag is None:
                    problems.append((headings["rag"], "must be Red, Amber or Green"))
            dates: dict[str, dt.date | None] = {}
            for name in ("progress_on", "started_on"):
                try:
                    dates[name] = file_date(cell.get(name, ""))
                except ValueError as exc:
                    dates[name] = None
                    problems.append((headings[name], str(exc)))
                day = dates[name]
                if day is not None and day > today:
                    problems.append((headings[name], "is in the future"))
            errors += [RowError(number, f, m) for f, m in problems]
            if problems:
                continue
            rows.append(Row(row=number, area=cell["area"], title=cell["title"],
                            description=cell.get("description", ""),
                            timeline=timeline, due_on=due_on,
                            leads=sorted(organisations[_key(n)] for n in names),
                            lead_names=names, owner=cell.get("owner") if "owner" in headings
                            else None,
                            progress=cell["progress"], status=status, rag=rag,
                            progress_on=dates["progress_on"] or today,
                            started_on=dates["started_on"]))
        return rows, errors

    def plan(self, records: list[Row], context: Context) -> Writes:
        plan = context.target
        writes = Writes(plan_obj=plan)
        actions = (tenancy.in_scope(context.user, self.capability, "plans.PlanAction")
                   .filter(area__plan=plan).select_related("area").prefetch_related("leads"))
        existing = {(_key(a.area.name), _key(a.title)): a for a in actions}
        latest = {u.action_id: u for u in ProgressUpdate.objects.filter(
            action__in=list(existing.values())).order_by("action_id", "on", "pk")}
        seen: dict[tuple[str, str], int] = {}
        for row in records:
            key = (_key(row.area), _key(row.title))
            if key in seen:
                context.errors.append(RowError(row.row, "Action", (
                    f"repeats row {seen[key]}: the same action under the same area")))
                continue
            seen[key] = row.row
            action = existing.get(key)
            started = row.started_on or (action.started_on if action else row.progress_on)
            if row.due_on and row.due_on < started:
                context.errors.append(RowError(row.row, "Timeline", (
                    "is before the action started "
                    f"({started.isoformat()}): a due date before the start")))
                continue
            if row.progress and row.progress_on < started:
                context.errors.append(RowError(row.row, "Progress dated", (
                    "is before the action started: progress cannot be dated before that")))
                continue
            if action is None:
                writes.new.append(row)
                writes.counts[Outcome.CREATED] += 1
                if row.progress:
                    writes.progress.append((None, row))
                    writes.counts[Outcome.PROGRESS] += 1
                continue
            if (row.description, row.timeline, row.due_on, row.leads,
                    row.owner if row.owner is not None else action.owner) != (
                    action.description, action.timeline, action.due_on,
                    sorted(o.pk for o in action.leads.all()), action.owner):
                writes.changed.append((action, row))
                writes.counts[Outcome.UPDATED] += 1
            else:
                writes.counts[Outcome.UNCHANGED] += 1
            last = latest.get(action.pk)
            if row.progress and (last is None or _key(last.text) != _key(row.progress)):
                writes.progress.append((action, row))
                writes.counts[Outcome.PROGRESS] += 1
        return writes

    def apply(self, plan, *, user, reason: str, progress: Progress) -> None:
        target = plan.plan_obj
        areas = {_key(a.name): a for a in target.areas.all()}
        organisations = Organisation.objects.in_bulk()
        made: dict[int, Any] = {}  # file row -> action added
        steps = len(plan.new) + len(plan.changed) + len(plan.progress)
        progress.start(steps, "Importing actions")

        def area_for(name: str):
            if _key(name) not in areas:
                areas[_key(name)] = services.plan_area_save(plan=target, name=name, user=user)
            return areas[_key(name)]

        for row in plan.new:
            made[row.row] = services.plan_action_save(
                area=area_for(row.area), title=row.title, description=row.description,
                timeline=row.timeline, due_on=row.due_on,
                leads=[organisations[pk] for pk in row.leads], owner=row.owner or "",
                started_on=row.started_on or row.progress_on,
                status=row.status or ActionStatus.NOT_STARTED, rag=row.rag or Rag.GREEN,
                user=user)
            progress.advance()
        for action, row in plan.changed:
            services.plan_action_save(
                area=action.area, action=action, title=action.title,
                description=row.description, timeline=row.timeline, due_on=row.due_on,
                leads=[organisations[pk] for pk in row.leads],
                owner=row.owner if row.owner is not None else action.owner,
                started_on=action.started_on, status=action.status, rag=action.rag, user=user)
            progress.advance()
        for action, row in plan.progress:
            action = action or made[row.row]
            last = action.updates.order_by("-on", "-pk").first()
            services.progress_update_add(
                action=action, on=row.progress_on, text=row.progress,
                status=row.status or (last.status if last else action.status),
                rag=row.rag or (last.rag if last else action.rag), user=user)
            progress.advance()
