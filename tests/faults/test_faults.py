"""The returns import survives its database restarting, its worker being killed and a second
import of overlapping authorities at the same time: nothing half written, nothing applied
twice, no deadlock, and the figures of a clean import in the end (see conftest.py)."""

import pytest

from caresight.core.imports import DATA_CHANGED
from caresight.core.services import ABANDONED, LOST_DATABASE

from .conftest import JOBCTL, PYTHON, WAIT, run, wait_for

pytestmark = pytest.mark.faults

TASK_RUNNING = ("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
                "AND args_kwargs::text LIKE %s")


def nothing_in(db) -> None:
    counts = db.nothing_written()
    assert set(counts.values()) == {0}, f"something was left half written: {counts}"


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_database_restart_in_the_middle_of_a_command_line_import_writes_nothing_and_it_runs_again(
        database, cluster, reference, mode):
    clean = reference(("all.csv", ""))
    with database.barrier():
        process = database.start_import("all.csv")
        wait_for("the import to write its returns and wait at the barrier",
                 lambda: database.blocked_at_barrier("faults-import"))
        cluster.restart(mode)
    assert process.wait(timeout=WAIT) != 0, "the import carried on without its database"
    assert "OperationalError" in process.log.read_text()
    nothing_in(database)

    run_again = run(database.import_command("all.csv"), database.url())
    assert run_again.returncode == 0, run_again.stderr
    assert "imported" in run_again.stdout
    assert database.figures() == clean


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_database_restart_in_the_middle_of_an_import_job_fails_it_with_a_reason_and_it_runs_again(
        database, cluster, reference, mode):
    clean = reference(("all.csv", "admin"))
    database.ensure_worker()
    first = database.upload("all.csv")
    assert database.wait_job(first, "previewed", "failed")["status"] == "previewed"
    with database.barrier():
        database.confirm(first)
        wait_for("the job to write its returns and wait at the barrier",
                 lambda: database.blocked_at_barrier("faults-worker"))
        assert database.job(first)["status"] == "running"
        cluster.restart(mode)
    nothing_in(database)
    # The worker records the failure if the database is back in time; otherwise it stops
    # (its database went away) and is started again, as its supervisor would.
    wait_for("the worker to finish with the job or stop", lambda: (
        database.worker.poll() is not None or database.job(first)["status"] != "running"
        or not database.sql(TASK_RUNNING, [f"%{first}%"])[0][0]))
    database.ensure_worker()

    second = database.upload("all.csv")
    assert database.wait_job(second, "previewed", "failed")["status"] == "previewed"
    failed = database.job(first)
    assert failed["status"] == "failed"
    assert failed["message"] in (LOST_DATABASE, ABANDONED)
    nothing_in(database)
    database.confirm(second)
    assert database.wait_job(second, "done", "failed")["status"] == "done"
    assert database.figures() == clean


def test_a_worker_killed_in_the_middle_of_an_import_job_writes_nothing_and_the_job_fails(
        database, reference):
    clean = reference(("all.csv", "admin"))
    worker = database.ensure_worker()
    first = database.upload("all.csv")
    assert database.wait_job(first, "previewed", "failed")["status"] == "previewed"
    with database.barrier():
        database.confirm(first)
        backend = wait_for("the job to write its returns and wait at the barrier",
                           lambda: database.blocked_at_barrier("faults-worker"))
        database.processes.kill(worker)
    # Let go, the killed worker's connection finds its client gone and rolls back.
    wait_for("the killed worker's connection to end", lambda: database.backend_gone(backend))
    nothing_in(database)
    assert database.job(first)["status"] == "running"  # until a worker sees it abandoned

    database.ensure_worker()
    second = database.upload("all.csv")
    assert database.wait_job(second, "previewed", "failed")["status"] == "previewed"
    assert database.job(first) | {"done": 0, "total": 0} == {
        "status": "failed", "phase": "apply", "message": ABANDONED, "done": 0, "total": 0}
    refused = run([PYTHON, JOBCTL, "confirm", "--job", first, "--user",
                   database.users["admin"]], database.url())
    assert refused.returncode != 0 and "already been confirmed" in refused.stderr
    database.confirm(second)
    assert database.wait_job(second, "done", "failed")["status"] == "done"
    figures = database.figures()
    assert figures == clean
    assert figures["history"] == {"+": figures["returns"]}  # each return written once


def test_two_imports_of_overlapping_authorities_at_once_both_complete_without_a_deadlock(
        database, reference):
    clean = reference(("all.csv", "a"), ("reversed.csv", "b"))
    deadlocks = database.deadlocks()
    with database.barrier():
        first = database.start_import("all.csv", "a", app="faults-import-a")
        wait_for("the first import to write its returns and wait at the barrier",
                 lambda: database.blocked_at_barrier("faults-import-a"))
        # The second, by a user whose authorities overlap, reaches the same rows the other way
        # round, while the first still holds them.
        second = database.start_import("reversed.csv", "b", app="faults-import-b")
        wait_for("the second import to wait for the first",
                 lambda: database.waiting("faults-import-b"))
    for process in (first, second):
        assert process.wait(timeout=WAIT) == 0, process.log.read_text()[-3000:]
        assert "imported" in process.log.read_text()
    assert database.deadlocks() == deadlocks
    assert database.figures() == clean


def test_two_imports_of_overlapping_authorities_started_together_both_complete(
        database, reference):
    clean = reference(("all.csv", "a"), ("reversed.csv", "b"))
    deadlocks = database.deadlocks()
    processes = [database.start_import("all.csv", "a", app="faults-import-a"),
                 database.start_import("reversed.csv", "b", app="faults-import-b")]
    for process in processes:
        assert process.wait(timeout=WAIT) == 0, process.log.read_text()[-3000:]
    assert database.deadlocks() == deadlocks
    assert database.figures() == clean


def test_two_overlapping_import_jobs_confirmed_at_once_one_completes_the_other_is_refused(
        database, reference):
    clean_a = reference(("all.csv", "a"))
    clean = reference(("all.csv", "a"), ("reversed.csv", "b"))
    deadlocks = database.deadlocks()
    database.ensure_worker()
    other = database.processes.start(
        "worker-2", database.worker.args, database.url("faults-worker-2"))
    first, second = database.upload("all.csv", "a"), database.upload("reversed.csv", "b")
    for job in (first, second):
        assert database.wait_job(job, "previewed", "failed")["status"] == "previewed"
    with database.barrier():
        database.confirm(first, "a")
        wait_for("the first job to write its returns and wait at the barrier",
                 lambda: database.blocked_at_barrier("faults-worker")
                 or database.blocked_at_barrier("faults-worker-2"))
        database.confirm(second, "b")
        wait_for("the second job to wait for the first", lambda: (
            database.waiting("faults-worker") and database.waiting("faults-worker-2")))
    assert database.wait_job(first, "done", "failed")["status"] == "done"
    refused = database.wait_job(second, "done", "failed")
    # The first wrote some of the rows the second previewed: what it would write now is not
    # what its officer checked, so it is refused, writing nothing.
    assert (refused["status"], refused["message"]) == ("failed", DATA_CHANGED)
    assert database.deadlocks() == deadlocks
    assert database.figures() == clean_a

    again = database.upload("reversed.csv", "b")
    assert database.wait_job(again, "previewed", "failed")["status"] == "previewed"
    database.confirm(again, "b")
    assert database.wait_job(again, "done", "failed")["status"] == "done"
    assert database.figures() == clean
    assert other.poll() is None
