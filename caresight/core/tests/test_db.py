"""The database seam: reads run side by side on PostgreSQL give the same answers."""

import threading

import pytest
from django.db import connection

from caresight.core.db import in_parallel
from caresight.returns import selectors
from caresight.returns.tests.test_summary import DAY, WEEK_BEFORE, area  # noqa: F401 (fixture)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_summary_with_a_previous_day_reads_both_days_side_by_side(area):  # noqa: F811
    threads = set()
    summary = selectors.returns_summary(user=None, as_of=DAY, previous=WEEK_BEFORE,
                                        authority="E10000003")
    isolate = summary["measures"][0]
    assert (isolate["current_pct"], isolate["previous_pct"]) == (33.3, 100.0)
    assert (isolate["based_on"], isolate["previous_based_on"]) == (3, 4)

    def where() -> str:
        threads.add(threading.get_ident())
        return connection.vendor

    in_parallel(where, where)
    expected = 2 if connection.vendor == "postgresql" else 1
    assert len(threads) == expected


@pytest.mark.django_db
def test_inside_a_transaction_reads_run_in_turn_on_one_connection():
    threads = set()
    in_parallel(lambda: threads.add(threading.get_ident()),
                lambda: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}
