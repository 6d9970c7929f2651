"""Writes for action plans and the winter plan response: validated, atomic and audited."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.audit import save_audited
from caresight.core.tenancy import Capability, actor
from caresight.core.timeutils import long_date
from caresight.registry.models import Authority

from . import winter_plan
from .models import (
    ActionPlan,
    ActionStatus,
    ComplianceStatus,
    PlanAction,
    PlanArea,
    ProgressUpdate,
    Rag,
    Timeline,
    WinterEvidence,
    WinterResponse,
    WinterResponseUpdate,
)

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {  # what an evidence file may be, by its name's ending
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def _not_future(day: dt.date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors[field] = f"The date must be today or earlier: {long_date(day)} is in the future."


def _check_authorities(authorities: list[Authority], user, errors: dict) -> None:
    if not authorities:
        errors["authorities"] = "Choose the authorities the plan is for."
        return
    managed = tenancy.scope(user, Capability.MANAGE_PLANS)
    outside = [a.name for a in authorities
               if not managed.everywhere and a.pk not in managed.authority_ids]
    if outside:
        errors["authorities"] = f"You cannot make plans for {', '.join(outside)}."


# --- Action plans ---------------------------------------------------------------------------


@transaction.atomic
def action_plan_save(*, plan: ActionPlan | None = None, name: str,
                     authorities: Iterable[Authority], partners: Iterable[Organisation] = (),
                     submitted_on: dt.date | None = None, status: str = ActionPlan.Status.DRAFT,
                     user) -> ActionPlan:
    """Create a plan (`plan=None`) or change one."""
    authorities, errors = list(authorities), {}
    if not name.strip():
        errors["name"] = "Enter the plan's name."
    _check_authorities(authorities, user, errors)
    _not_future(submitted_on, "submitted_on", errors)
    if status not in ActionPlan.Status.values:
        errors["status"] = "Choose the plan's status."
    if errors:
        raise ValidationError(errors)
    plan = plan or ActionPlan(created_by=actor(user))
    plan.name, plan.submitted_on, plan.status = name.strip(), submitted_on, status
    save_audited(plan, user=user, reason="Action plan saved")
    plan.authorities.set(authorities)
    plan.partners.set(list(partners))
    return plan


@transaction.atomic
def plan_area_save(*, plan: ActionPlan, area: PlanArea | None = None, name: str,
                   user) -> PlanArea:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the area's name."})
    same_name = plan.areas.filter(name__iexact=name)
    if area is not None:
        same_name = same_name.exclude(pk=area.pk)
    if same_name.exists():
        raise ValidationError({"name": f"The plan already has an area called {name}."})
    if area is None:
        position = (plan.areas.aggregate(last=Max("position"))["last"] or 0) + 1
        area = PlanArea(plan=plan, position=position)
    area.name = name
    return save_audited(area, user=user, reason="Action plan area saved")


def _check_action(*, title: str, timeline: str, due_on, started_on, status: str, rag: str
                  ) -> dict:
    errors = {}
    if not title.strip():
        errors["title"] = "Enter the action."
    if timeline not in Timeline.values:
        errors["timeline"] = "Choose a date, Ongoing or Established."
    elif timeline == Timeline.BY_DATE and due_on is None:
        errors["due_on"] = "Enter the date the action is due, or choose Ongoing or Established."
    elif timeline != Timeline.BY_DATE and due_on is not None:
        errors["due_on"] = f"An action that is {Timeline(timeline).label.lower()} has no date."
    if started_on is None:
        errors["started_on"] = "Enter the date the action started."
    elif due_on is not None and due_on < started_on:
        errors["due_on"] = (f"The due date must be on or after the action's start, "
                            f"{long_date(started_on)}.")
    if status not in ActionStatus.values:
        errors["status"] = "Choose the action's status."
    if rag not in Rag.values:
        errors["rag"] = "Choose red, amber or green."
    return errors


@transaction.atomic
def plan_action_save(*, area: PlanArea, action: PlanAction | None = None, title: str,
                     description: str = "", timeline: str = Timeline.BY_DATE,
                     due_on: dt.date | None = None, leads: Iterable[Organisation] = (),
                     owner: str = "", started_on: dt.date,
                     status: str = ActionStatus.NOT_STARTED, rag: str = Rag.GREEN,
                     user) -> PlanAction:
    """Create an action (`action=None`) or change what it is. Its progress is recorded with
    `progress_update_add`; `status` and `rag` here are how it started."""
    errors = _check_action(title=title, timeline=timeline, due_on=due_on,
                           started_on=started_on, status=status, rag=rag)
    if action is not None and started_on is not None:
        first = action.updates.order_by("on").values_list("on", flat=True).first()
        if first is not None and started_on > first:
            errors["started_on"] = (f"Progress was recorded on {long_date(first)}; the action "
                                    "cannot start after that.")
    if errors:
        raise ValidationError(errors)
    if action is None:
        position = (area.actions.aggregate(last=Max("position"))["last"] or 0) + 1
        action = PlanAction(area=area, position=position, created_by=actor(user))
    elif action.area_id != area.id:
        action.area = area
    action.title, action.description = title.strip(), description.strip()
    action.timeline, action.due_on, action.owner = timeline, due_on, owner.strip()
    action.started_on, action.status, action.rag = started_on, status, rag
    save_audited(action, user=user, reason="Action saved")
    action.leads.set(list(leads))
    return action


def may_update_progress(user, action: PlanAction) -> bool:
    """Commissioners update any action of their plans; partners the actions they lead."""
    return (tenancy.allows(user, Capability.MANAGE_PLANS, action)
            or tenancy.allows(user, Capability.UPDATE_LED_ACTIONS, action))


@transaction.atomic
def progress_update_add(*, action: PlanAction, on: dt.date, text: str, status: str,
                        rag: str, user) -> ProgressUpdate:
    """Record what was done on an action by `on`, with its status and RAG from then on."""
    if not may_update_progress(user, action):
        leads = ", ".join(o.name for o in action.leads.all()) or "nobody yet"
        raise ValidationError({"action": (
            f"Only the organisations that lead this action ({leads}) can update its progress, "
            "with the plan's commissioners.")})
    errors: dict = {}
    if not text.strip():
        errors["text"] = "Describe the progress."
    _not_future(on, "on", errors)
    if "on" not in errors and on < action.started_on:
        errors["on"] = (f"The action started on {long_date(action.started_on)}; progress cannot "
                        "be dated before that.")
    if status not in ActionStatus.values:
        errors["status"] = "Choose the action's status."
    if rag not in Rag.values:
        errors["rag"] = "Choose red, amber or green."
    if errors:
        raise ValidationError(errors)
    return save_audited(ProgressUpdate(action=action, on=on, text=text.strip(), status=status,
                                       rag=rag, created_by=actor(user)),
                        user=user, reason="Progress recorded")


# --- The winter plan ------------------------------------------------------------------------


def _requirement(checklist_code: str, requirement_code: str) -> winter_plan.Requirement:
    try:
        found = winter_plan.checklist(checklist_code).requirement(requirement_code)
    except KeyError:
        found = None
    if found is None:
        raise ValidationError({"requirement": (
            f"{requirement_code} is not a requirement of the {checklist_code} winter plan.")})
    return found


@transaction.atomic
def winter_response_record(*, authority: Authority, checklist: str, requirement: str,
                           on: dt.date, status: str, owner: str = "",
                           due_on: dt.date | None = None, local_actions: str = "",
                           user) -> WinterResponseUpdate:
    """Record how the council stands on one requirement from `on`. Nothing is overwritten:
    the latest record on or before a day is how it stood that day."""
    _requirement(checklist, requirement)
    errors: dict = {}
    _not_future(on, "on", errors)
    if status not in ComplianceStatus.values:
        errors["status"] = "Choose met, partly met, not met or not applicable."
    if due_on is not None and due_on < winter_plan.checklist(checklist).published:
        errors["due_on"] = ("The due date must be after the winter plan was published, "
                            f"{long_date(winter_plan.checklist(checklist).published)}.")
    if errors:
        raise ValidationError(errors)
    response, _ = WinterResponse.objects.get_or_create(
        authority=authority, checklist=checklist, requirement=requirement)
    return save_audited(WinterResponseUpdate(
        response=response, on=on, status=status, owner=owner.strip(), due_on=due_on,
        local_actions=local_actions.strip(), created_by=actor(user)),
        user=user, reason="Winter plan response recorded")


@transaction.atomic
def winter_evidence_add(*, authority: Authority, checklist: str, requirement: str,
                        title: str, url: str = "", file_name: str = "", content: bytes = b"",
                        added_on: dt.date, user) -> WinterEvidence:
    """Keep a link or a file as evidence for one requirement."""
    _requirement(checklist, requirement)
    errors: dict = {}
    if not title.strip():
        errors["title"] = "Say what the evidence is."
    if bool(url) == bool(file_name):
        errors["url"] = "Give a link or choose a file (one of them)."
    content_type = ""
    if file_name:
        ending = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        content_type = EVIDENCE_TYPES.get(ending, "")
        if not content_type:
            errors["file"] = ("The file must be a PDF, Word, Excel, OpenDocument, CSV, PNG "
                              "or JPEG file.")
        elif not content:
            errors["file"] = "The selected file is empty."
        elif len(content) > EVIDENCE_MAX_BYTES:
            errors["file"] = (f"The selected file must be smaller than "
                              f"{EVIDENCE_MAX_BYTES // (1024 * 1024)} MB.")
    _not_future(added_on, "added_on", errors)
    if errors:
        raise ValidationError(errors)
    response, _ = WinterResponse.objects.get_or_create(
        authority=authority, checklist=checklist, requirement=requirement)
    return save_audited(WinterEvidence(
        response=response, title=title.strip(), url=url, file_name=file_name[:255],
        content_type=content_type, content=content, added_on=added_on,
        created_by=actor(user)), user=user, reason="Winter plan evidence added")
