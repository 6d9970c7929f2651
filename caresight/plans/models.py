"""Action plans (areas, actions and their dated progress) and the council's response to the
government's winter plan checklist (`winter_plan.py` reads the checklists from `data/`).

What a record *is* is kept on the record; how it *stood* on a day is kept in dated rows
(`ProgressUpdate`, `WinterResponseUpdate`), so any past week's table is the latest row on or
before that day.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.accounts.models import Organisation
from caresight.registry.models import Authority


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


RAG_COLOURS = {Rag.RED: "red", Rag.AMBER: "orange", Rag.GREEN: "green"}


def _created_by():
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")


class ActionPlan(models.Model):
    """A plan joint between authorities and partner organisations, e.g. the Care Home Support
    Plan that Peterborough and Cambridgeshire submitted with the CCG on 29 May 2020."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_DELIVERY = "in_delivery", "In delivery"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    authorities = models.ManyToManyField(Authority, related_name="action_plans")
    partners = models.ManyToManyField(Organisation, blank=True, related_name="action_plans",
                                      help_text="The partner organisations it is joint with.")
    submitted_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PlanArea(models.Model):
    """A heading of a plan's action table, e.g. "Infection Prevention and Control"."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"],
                                               name="plan_area_unique_name")]

    def __str__(self) -> str:
        return self.name


class Timeline(models.TextChoices):
    """An action's timeline: a date, or one of these words."""

    BY_DATE = "date", "By a date"
    ONGOING = "ongoing", "Ongoing"
    ESTABLISHED = "established", "Established"


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    ON_HOLD = "on_hold", "On hold"


class PlanAction(models.Model):
    """One row of a plan's action table. Its status and RAG as it started are kept here;
    every later change is a dated `ProgressUpdate`."""

    area = models.ForeignKey(PlanArea, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    timeline = models.CharField(max_length=12, choices=Timeline.choices, default=Timeline.BY_DATE)
    due_on = models.DateField(null=True, blank=True, help_text="For a timeline by a date.")
    leads = models.ManyToManyField(Organisation, blank=True, related_name="led_actions")
    owner = models.CharField(max_length=200, blank=True)
    started_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices,
                              default=ActionStatus.NOT_STARTED)
    rag = models.CharField(max_length=5, choices=Rag.choices, default=Rag.GREEN)
    position = models.PositiveIntegerField(default=0)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["area__position", "area_id", "position", "pk"]
        indexes = [models.Index(fields=["area", "position"])]

    def __str__(self) -> str:
        return self.title


class ProgressUpdate(models.Model):
    """What was done on an action by a day, with its status and RAG from that day on."""

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField()
    text = models.TextField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices)
    rag = models.CharField(max_length=5, choices=Rag.choices)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "on", "pk"]
        indexes = [models.Index(fields=["action", "-on", "-id"], name="progress_latest")]

    def __str__(self) -> str:
        return f"{self.action} on {self.on}"


class ComplianceStatus(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not yet assessed"
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


COMPLIANCE_COLOURS = {ComplianceStatus.MET: "green", ComplianceStatus.PARTLY_MET: "yellow",
                      ComplianceStatus.NOT_MET: "red", ComplianceStatus.NOT_APPLICABLE: "grey",
                      ComplianceStatus.NOT_ASSESSED: "grey"}


class WinterResponse(models.Model):
    """A council's response to one requirement of a winter plan checklist (`winter_plan.py`);
    how it stood on each day is in its dated updates."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT,
                                  related_name="winter_responses")
    checklist = models.CharField(max_length=20)  # the checklist's code, e.g. "2020-21"
    requirement = models.CharField(max_length=60)  # the requirement's code in the checklist
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "checklist", "requirement"],
                                               name="winter_response_unique")]

    def __str__(self) -> str:
        return f"{self.authority}: {self.requirement}"


class WinterResponseUpdate(models.Model):
    response = models.ForeignKey(WinterResponse, on_delete=models.CASCADE,
                                 related_name="updates")
    on = models.DateField()
    status = models.CharField(max_length=20, choices=ComplianceStatus.choices)
    owner = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    local_actions = models.TextField(blank=True)
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["response", "on", "pk"]
        indexes = [models.Index(fields=["response", "-on", "-id"], name="winter_latest")]

    def __str__(self) -> str:
        return f"{self.response} on {self.on}"


class WinterEvidence(models.Model):
    """A link or a file showing a requirement is met. Files are kept in the database, as
    uploads are, so that every worker reads the same."""

    response = models.ForeignKey(WinterResponse, on_delete=models.CASCADE,
                                 related_name="evidence")
    title = models.CharField(max_length=200)
    url = models.URLField(blank=True, max_length=500)
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    added_on = models.DateField()
    created_by = _created_by()
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["content"])

    class Meta:
        ordering = ["added_on", "pk"]

    def __str__(self) -> str:
        return self.title
