"""Database plumbing that depends on which database is in use (kept small and tested)."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, connections

A = TypeVar("A")
B = TypeVar("B")


def in_parallel(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Run two independent reads at once: on PostgreSQL, over two connections (two cores).

    Inside a transaction (a test, an atomic request) another connection would not see its
    writes, and SQLite gains nothing, so there they run one after the other.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return first(), second()

    def second_then_close() -> B:
        try:
            return second()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(second_then_close)
        return first(), later.result()
