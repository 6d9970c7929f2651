"""Two confirms at once, in two threads with their own database connections.

Row locks (`select_for_update`) make the second wait for the first and then refuse; SQLite
has no row locks (it takes the whole database for one writer), so these run on PostgreSQL.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from caresight.core.models import Job
from caresight.core.services import import_job_confirm
from caresight.core.tenancy import OPERATOR
from caresight.grants import services as grants
from caresight.grants.models import Payment
from caresight.grants.tests.factories import ELIGIBILITY, accept, care_home, simple_round

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks"),
]


def at_once(call, times: int = 2) -> list:
    """Run `call` in `times` threads released together; each result or error, in order."""
    barrier = threading.Barrier(times)
    outcomes: list = [None] * times

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_confirms_of_one_payment_run_pay_once(cambs):
    home = care_home(cambs, beds=20)
    found = simple_round(cambs)
    grants.allocation_confirm(round=found, user=OPERATOR)
    accept(found, home.provider)
    run = grants.payment_run_create(round=found, instalment=found.instalments.first(),
                                    as_of=ELIGIBILITY, user=OPERATOR)
    outcomes = at_once(lambda: grants.payment_run_confirm(run=run, user=OPERATOR))
    paid = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(paid) == 1 and paid[0] > 0, outcomes
    assert len(refused) == 1 and "nothing was paid again" in str(refused[0])
    assert Payment.objects.filter(run=run).count() == paid[0]


def test_two_confirms_of_one_import_apply_it_once(make_user, cambs):
    officer = make_user("admin", cambs)
    job = Job.objects.create(kind="cqc", file_name="x.csv", payload=b"", created_by=officer,
                             status=Job.Status.PREVIEWED,
                             result={"ok": True, "would_change": 1, "fingerprint": "f"})
    from django.test.utils import override_settings

    # The apply itself is not the point here: queue it where no worker runs it.
    with override_settings(TASKS={"default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        outcomes = at_once(lambda: import_job_confirm(job=job, user=officer))
    accepted = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    assert "already been confirmed" in str(refused[0])
    job.refresh_from_db()
    assert job.phase == "apply"
