"""Writes for shared plumbing: background jobs and one-time form tokens."""

import logging
from contextlib import contextmanager, nullcontext
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from caresight.core.imports import (
    NOTHING_TO_CHANGE,
    ImportResult,
    importers,
    lock_key,
    run_import,
)
from caresight.core.progress import JobProgress
from caresight.core.tenancy import actor

from .models import DownloadRecord, Job, SubmissionToken

logger = logging.getLogger(__name__)


def submission_token_claim(*, token, user, result_url: str = "") -> str | None:
    """Claim a form's one-time token. Return None the first time, else where the first went.

    Call inside the transaction that does the form's work, so that a failed submission does
    not use the token up.
    """
    try:
        with transaction.atomic():
            SubmissionToken.objects.create(token=token, user=user, result_url=result_url)
    except IntegrityError:
        first = SubmissionToken.objects.filter(token=token, user=user).first()
        return (first.result_url if first else "") or "/"
    return None


def submission_token_record(*, token, url: str) -> None:
    SubmissionToken.objects.filter(token=token).update(result_url=url)


def download_record(*, user, what: str, path: str, filters: str, file_format: str,
                    rows: int) -> DownloadRecord:
    """Log one download of record-level data (user None: the operator at the command line)."""
    record = DownloadRecord(user=actor(user), what=what[:200], path=path[:255], filters=filters,
                            file_format=file_format, rows=rows)
    record.full_clean()
    record.save()
    return record


def import_job_create(*, kind: str, file_name: str, data: bytes, user, target: str = "") -> Job:
    """Keep an uploaded file and start its preview (checks and a dry run) in the background."""
    if kind not in importers():
        raise ValidationError({"kind": f"Unknown import {kind!r}."})
    if not data:
        raise ValidationError({"file": "The selected file is empty."})
    if len(data) > settings.CARESIGHT_MAX_IMPORT_BYTES:
        raise ValidationError({"file": "The selected file must be smaller than "
                               f"{settings.CARESIGHT_MAX_IMPORT_BYTES // 1_000_000} MB."})
    job = Job.objects.create(kind=kind, file_name=file_name[:255], payload=data,
                             created_by=actor(user), target=str(target or "")[:40])
    _enqueue(job)
    return job


# Documents made in the background: kind -> "module.function(*, params, user, progress)"
# returning (bytes, file name, content type). The function checks the user's rights itself.
# Each app registers its own (`document_register`, from its AppConfig.ready()).
DOCUMENTS: dict[str, str] = {}


def document_register(kind: str, make: str) -> None:
    """Offer a document made in the background: `make` is "module.function" (see above)."""
    DOCUMENTS[kind] = make


def document_job_create(*, kind: str, params: dict, title: str, user) -> Job:
    """Start making a document (say, every allocation letter of a round) in the background."""
    if kind not in DOCUMENTS:
        raise ValidationError({"kind": f"Unknown document {kind!r}."})
    job = Job.objects.create(kind=kind, phase="document", file_name=title[:255],
                             result={"params": params}, created_by=actor(user))
    _enqueue(job)
    return job


def _run_document(job: Job) -> Job:
    module, _, name = DOCUMENTS[job.kind].rpartition(".")
    make = getattr(import_module(module), name)
    try:
        data, file_name, content_type = make(params=job.result["params"], user=job.created_by,
                                             progress=JobProgress(job))
    except Exception:
        logger.exception("Document job %s failed", job.pk)
        job.status, job.message = Job.Status.FAILED, "Something went wrong making the document."
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        raise
    job.payload, job.status, job.finished_at = data, Job.Status.DONE, timezone.now()
    job.result = {**job.result, "file_name": file_name, "content_type": content_type,
                  "size": len(data)}
    job.message = "Ready to download."
    job.save()
    return job


def import_job_confirm(*, job: Job, user) -> Job:
    """Start writing a previewed import. A job can be confirmed once; a second time is refused,
    and so is a file that would change nothing."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != user.pk:
            raise ValidationError("Only the person who uploaded this file can confirm it.")
        if locked.phase == "apply":
            raise ValidationError("This import has already been confirmed.")
        if locked.status != Job.Status.PREVIEWED or not locked.result.get("ok"):
            raise ValidationError("This import cannot be confirmed: its checks found problems.")
        if not locked.result.get("would_change"):
            raise ValidationError(NOTHING_TO_CHANGE)
        locked.phase, locked.status, locked.done = "apply", Job.Status.QUEUED, 0
        locked.save(update_fields=["phase", "status", "done"])
    _enqueue(locked)
    return locked


def _enqueue(job: Job) -> None:
    from .tasks import run_job

    transaction.on_commit(lambda: run_job.enqueue(str(job.pk)))


LOST_DATABASE = ("The connection to the database was lost; nothing was written. Upload the "
                 "file again.")
ABANDONED = ("The background worker stopped before this job finished; nothing was written. "
             "Upload the file again.")
ABANDONED_DOCUMENT = ("The background worker stopped before this document was made. Ask for "
                      "it again.")


@contextmanager
def _running(job_id: str):
    """Hold the job's lock while a worker runs it (PostgreSQL): the database lets it go when
    the worker's connection ends, however the worker stops, so `jobs_fail_abandoned` can tell
    a job still running from one whose worker is gone."""
    if connection.vendor != "postgresql":
        yield
        return
    key = lock_key("job", str(job_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        except (OperationalError, InterfaceError):
            pass  # the connection is gone, and its lock with it


def jobs_fail_abandoned() -> list[str]:
    """Mark failed the jobs left "running" by a worker that stopped (killed, or its database
    restarted); return their IDs. Their writes, if any, were rolled back with the worker's
    transaction. Only PostgreSQL can tell (by the lock `_running` holds); elsewhere none is."""
    if connection.vendor != "postgresql":
        return []
    failed = []
    for job_id, kind in Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", "kind"):
        key = lock_key("job", str(job_id))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                continue  # its worker is still at it
        try:
            message = ABANDONED_DOCUMENT if kind in DOCUMENTS else ABANDONED
            if Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
                    status=Job.Status.FAILED, message=message, finished_at=timezone.now(),
                    payload=b""):
                logger.warning("Job %s was left running by a worker that stopped", job_id)
                failed.append(str(job_id))
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return failed


def job_run(*, job_id: str) -> Job:
    """Run one phase of a job (called by the background worker)."""
    with _running(job_id):
        return _job_run(job_id)


def _job_run(job_id: str) -> Job:
    # Claim the job in one statement, so that two workers never both run it.
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING):
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.kind in DOCUMENTS:
        return _run_document(job)
    dry_run = job.phase != "apply"
    try:
        # An apply's outcome is saved in the transaction that writes its rows, so that a
        # worker stopping in between cannot leave a written import marked as running.
        with nullcontext() if dry_run else transaction.atomic():
            # The apply phase writes only what the preview showed (its plan's fingerprint).
            result: ImportResult = run_import(
                job.kind, data=bytes(job.payload), file_name=job.file_name,
                user=job.created_by, dry_run=dry_run, progress=JobProgress(job),
                expected_fingerprint=None if dry_run else job.result.get("fingerprint", ""),
                target=job.target,
            )
            _job_finish(job, result, dry_run=dry_run)
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        job.status, job.message = Job.Status.FAILED, (
            LOST_DATABASE if isinstance(exc, OperationalError | InterfaceError)
            else "Something went wrong; nothing was written.")
        job.finished_at, job.payload = timezone.now(), b""
        if isinstance(exc, OperationalError | InterfaceError):
            connection.close_if_unusable_or_obsolete()  # connect afresh to record the failure
        # If the database is still away this fails too; jobs_fail_abandoned then marks it.
        job.save(update_fields=["status", "message", "finished_at", "payload"])
        raise
    return job


def _job_finish(job: Job, result: ImportResult, *, dry_run: bool) -> None:
    job.result = dict(result.as_dict(), ok=result.ok)
    job.message = result.summary()[:255]
    if not result.ok:
        # Nothing more is done with a refused file (a corrected one is uploaded again), and it
        # may hold personal data (NHS numbers in a placements list): do not keep it.
        job.status, job.payload = Job.Status.FAILED, b""
    elif dry_run:
        job.status = Job.Status.PREVIEWED
    else:
        job.status = Job.Status.DONE
        job.payload = b""  # the file has been imported; do not keep a copy of it
    job.finished_at = timezone.now()
    job.save()
