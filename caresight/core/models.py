import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Job(models.Model):
    """Long work (an import, a report) run in the background, with progress a page can show.

    An import job goes through two phases: a preview (checks and a dry run that writes nothing)
    and, once an officer confirms it, the apply phase that writes everything in one transaction.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        PREVIEWED = "previewed", "Ready to confirm"
        FAILED = "failed", "Failed"
        DONE = "done", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, default="preview")
    file_name = models.CharField(max_length=255, blank=True)
    # For an import into one record (say, an action plan): that record's ID.
    target = models.CharField(max_length=40, blank=True)
    payload = models.BinaryField(blank=True, default=b"")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.PREVIEWED, self.Status.FAILED, self.Status.DONE)


class SubmissionToken(models.Model):
    """A form's one-time token: a form submitted twice is acted on once."""

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.token)


class DownloadRecord(models.Model):
    """One download of record-level data: who took which table, with what filters, how many
    rows. Written by `core.tables.download_response` (and `caresight export`), listed for
    administrators."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="downloads")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    what = models.CharField(max_length=200)
    path = models.CharField(max_length=255, blank=True)
    filters = models.TextField(blank=True)
    file_format = models.CharField(max_length=10)
    rows = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.what} ({self.rows} rows, {self.at:%Y-%m-%d %H:%M})"

    @property
    def by(self) -> str:
        """Who downloaded it: a person, or the command line."""
        if self.user is None:
            return "Command line (operator)"
        return getattr(self.user, "email", str(self.user))


class OutgoingEmail(models.Model):
    """One message as written (subject, bodies, attachments), sent to each of its recipients as
    a delivery of its own (core.email). Kept so that a retry sends exactly what was queued."""

    kind = models.CharField(max_length=40, help_text="What sort of message: invitation, report…")
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)
    from_email = models.CharField(max_length=254)
    # Who or what caused it: the person (None for the system) and the record.
    caused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    cause_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    cause_id = models.CharField(max_length=64, blank=True)
    # The authorities it concerns: their administrators see its deliveries.
    authorities = models.ManyToManyField("registry.Authority", blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class EmailAttachment(models.Model):
    """A file sent with an email, kept with it so that a retry can send it again."""

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    content = models.BinaryField()
    mimetype = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class EmailDelivery(models.Model):
    """One email to one recipient: queued until sent, or until it has finally failed and why.

    A delivery moves queued → sending → sent (or back to queued to try again later, or to
    failed); each move is one conditional UPDATE, so two workers never both send it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="email_due")]
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_status_display()}"
