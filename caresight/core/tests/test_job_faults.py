"""Jobs whose worker stopped, and the lock that keeps one import of a kind writing at a time.

The same faults with real processes and a private PostgreSQL server are in tests/faults.
"""

import psycopg
import pytest
from django.db import connection, transaction

from caresight.accounts.models import Role
from caresight.core.imports import lock_key
from caresight.core.models import Job
from caresight.core.services import ABANDONED, job_run, jobs_fail_abandoned
from caresight.registry.tests.test_cqc_import import api_object, jsonl

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="advisory locks are PostgreSQL's")


def _other_connection():
    """A second session on the test database (advisory locks are the server's, so it sees
    them whatever the test's transaction holds)."""
    params = connection.get_connection_params()
    return psycopg.connect(**{k: v for k, v in params.items() if k in (
        "host", "port", "user", "password", "dbname")}, autocommit=True)


def _lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '200ms'")


@pytest.fixture
def running_job(make_user, devon):
    return Job.objects.create(kind="cqc", status=Job.Status.RUNNING, phase="apply",
                              created_by=make_user(Role.ADMIN, devon),
                              payload=jsonl(api_object()), file_name="x.jsonl")


@postgres_only
@pytest.mark.django_db
def test_a_job_whose_worker_holds_its_lock_is_left_running_and_one_whose_worker_is_gone_fails(
        running_job):
    key = lock_key("job", str(running_job.pk))
    with _other_connection() as worker:
        worker.execute("SELECT pg_advisory_lock(%s)", [key])
        assert jobs_fail_abandoned() == []
        running_job.refresh_from_db()
        assert running_job.status == Job.Status.RUNNING
    # The worker's connection has ended, and its lock with it.
    assert jobs_fail_abandoned() == [str(running_job.pk)]
    running_job.refresh_from_db()
    assert (running_job.status, running_job.message) == (Job.Status.FAILED, ABANDONED)
    assert bytes(running_job.payload) == b"" and running_job.finished_at is not None
    assert jobs_fail_abandoned() == []


@pytest.mark.skipif("connection.vendor == 'postgresql'")
@pytest.mark.django_db
def test_without_advisory_locks_no_running_job_is_taken_for_abandoned(running_job):
    assert jobs_fail_abandoned() == []
    running_job.refresh_from_db()
    assert running_job.status == Job.Status.RUNNING


@postgres_only
@pytest.mark.django_db
def test_a_job_holds_its_lock_while_it_runs_and_lets_it_go_after(make_user, devon):
    job = Job.objects.create(kind="cqc", created_by=make_user(Role.ADMIN, devon),
                             payload=jsonl(api_object()), file_name="x.jsonl")
    key = lock_key("job", str(job.pk))
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [key])  # as if a worker were running it
        # job_run waits for the lock: shown here by a timeout on this session's wait.
        with pytest.raises(Exception, match="lock timeout"), transaction.atomic():
            _lock_timeout()
            job_run(job_id=str(job.pk))
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED  # not claimed while another holds it
    assert job_run(job_id=str(job.pk)).status == Job.Status.PREVIEWED
    with _other_connection() as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_an_import_waits_for_another_of_its_kind_that_is_writing(make_user, devon):
    from caresight.core.imports import run_import
    from caresight.core.tenancy import OPERATOR

    with _other_connection() as other:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("import", "cqc")])
        with pytest.raises(Exception, match="lock timeout"), transaction.atomic():
            _lock_timeout()
            run_import("cqc", data=jsonl(api_object()), file_name="x.jsonl", user=OPERATOR,
                       dry_run=False)
        # A preview writes nothing and takes no lock.
        assert run_import("cqc", data=jsonl(api_object()), file_name="x.jsonl", user=OPERATOR,
                          dry_run=True).ok
