"""Writes for shared plumbing: background jobs and one-time form tokens."""

import logging
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from caresight.core.imports import NOTHING_TO_CHANGE, ImportResult, importers, run_import
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


def job_run(*, job_id: str) -> Job:
    """Run one phase of an import job (called by the background worker)."""
    # Claim the job in one statement, so that two workers never both run it.
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING):
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.kind in DOCUMENTS:
        return _run_document(job)
    dry_run = job.phase != "apply"
    try:
        # The apply phase writes only what the preview showed (its plan's fingerprint).
        result: ImportResult = run_import(
            job.kind, data=bytes(job.payload), file_name=job.file_name, user=job.created_by,
            dry_run=dry_run, progress=JobProgress(job),
            expected_fingerprint=None if dry_run else job.result.get("fingerprint", ""),
            target=job.target,
        )
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        job.status, job.message = Job.Status.FAILED, "Something went wrong; nothing was written."
        job.finished_at, job.payload = timezone.now(), b""
        job.save(update_fields=["status", "message", "finished_at", "payload"])
        raise
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
    return job
