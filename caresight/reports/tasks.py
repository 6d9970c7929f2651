"""The reports' background task (django-tasks; run by `caresight db_worker`)."""

import contextlib
import ctypes
import ctypes.util
import gc

from django_tasks import task


def release_memory() -> None:
    """Give the memory of a finished report back to the system. Drawing a PDF (WeasyPrint,
    Pango) leaves large freed blocks in the C heap that glibc keeps: without this, a worker
    that publishes one report after another grows by several MB a report (bench/
    report_schedule.py: 420 MB to 2 GB over 150 reports; with it, it stays near 200 MB)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError, TypeError):  # glibc only
        ctypes.CDLL(name).malloc_trim(0)


@task()
def run_scheduled_report(run_id: int) -> None:
    """Publish one scheduled run's report (or reuse its publication) and email it."""
    from .services import scheduled_run_execute

    try:
        scheduled_run_execute(run_id)
    finally:
        release_memory()
