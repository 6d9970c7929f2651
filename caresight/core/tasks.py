"""Background tasks (django-tasks; run by `caresight db_worker`)."""

from django_tasks import task


@task()
def run_job(job_id: str) -> None:
    from .services import job_run, jobs_fail_abandoned

    # A worker that was killed (or lost its database) left its job "running"; the next job
    # any worker picks up marks it failed, so nobody waits for it forever.
    jobs_fail_abandoned()
    job_run(job_id=job_id)


@task()
def send_email_deliveries(ids: list[int]) -> None:
    """Send queued email deliveries (core.email); those not due or already sent are left."""
    from .email import send_deliveries

    send_deliveries(ids)
