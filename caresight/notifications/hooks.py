"""Where the officers' events happen: an outbreak reported, a payment run prepared, an import
job finished or failed. Connected to the records' post_save (so the outbreaks, grants and core
services need no edit, and every path that creates one — page, API, CLI — is covered); each
notification runs after the write commits, and a failure there is logged, never raised."""

from django.db.models.signals import post_save

from . import services


def _outbreak_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        pk = instance.pk
        services.notify_safely(lambda: services.outbreak_reported(pk), f"outbreak {pk}")
        services.notify_safely(lambda: _beds_outbreak(pk), f"outbreak {pk} (beds)")


def _beds_outbreak(pk):
    from caresight.beds.notify import outbreak_in_schemes

    return outbreak_in_schemes(pk)  # brokerage: an outbreak where their council has beds


def _payment_run_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.confirmed_at is None:
        pk = instance.pk
        services.notify_safely(lambda: services.payment_run_prepared(pk), f"payment run {pk}")


def _job_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    from caresight.core.models import Job

    if raw or instance.status not in (Job.Status.DONE, Job.Status.FAILED):
        return
    if instance.created_by_id is None:
        return
    pk, status = instance.pk, instance.status
    services.notify_safely(lambda: services.import_finished(pk, status), f"job {pk}")


def connect() -> None:
    from caresight.core.models import Job
    from caresight.grants.models import PaymentRun
    from caresight.outbreaks.models import Outbreak

    post_save.connect(_outbreak_saved, sender=Outbreak, dispatch_uid="notify_outbreak")
    post_save.connect(_payment_run_saved, sender=PaymentRun, dispatch_uid="notify_payment_run")
    post_save.connect(_job_saved, sender=Job, dispatch_uid="notify_job")
