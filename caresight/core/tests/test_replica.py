"""Where the router sends reads and writes (core.db.ReplicaRouter), with and without a replica
configured. Against a real streaming replica: tests/replica (pytest -m replica)."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router

from caresight.core.db import REPLICA, ReplicaRouter, has_replica, in_parallel, replica_reads
from caresight.registry.models import Authority, Location


@pytest.fixture
def with_replica(monkeypatch):
    """A "replica" alias in the settings, as DATABASE_REPLICA_URL makes it (never connected to
    here: the router only looks at the settings)."""
    monkeypatch.setitem(connections.settings, REPLICA,
                        {**connections.settings[DEFAULT_DB_ALIAS], "TEST": {"MIRROR": "default"}})
    yield
    if hasattr(connections._connections, REPLICA):
        del connections[REPLICA]


def test_the_router_is_installed():
    assert any(isinstance(r, ReplicaRouter) for r in router.routers)


def test_reads_go_to_the_replica_only_inside_replica_reads(with_replica):
    assert has_replica()
    assert Location.objects.all().db == DEFAULT_DB_ALIAS
    with replica_reads():
        assert Location.objects.all().db == REPLICA
        assert router.db_for_read(Authority) == REPLICA
    assert Location.objects.all().db == DEFAULT_DB_ALIAS


def test_without_a_replica_every_read_stays_on_the_default_database():
    assert not has_replica()
    with replica_reads():
        assert Location.objects.all().db == DEFAULT_DB_ALIAS


def test_writes_always_go_to_the_default_database_and_pin_the_block_to_it(with_replica):
    with replica_reads():
        assert Location.objects.all().db == REPLICA
        assert router.db_for_write(Location) == DEFAULT_DB_ALIAS
        # After a write, the block reads what it wrote: from the primary.
        assert Location.objects.all().db == DEFAULT_DB_ALIAS
        with replica_reads():  # nested: still the same block
            assert Location.objects.all().db == DEFAULT_DB_ALIAS
    with replica_reads():  # a new block starts on the replica again
        assert Location.objects.all().db == REPLICA


def test_an_object_read_from_the_replica_is_written_to_the_default_database(with_replica):
    home = Location(name="Fen View")
    home._state.db = REPLICA
    assert router.db_for_write(Location, instance=home) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Authority, instance=home) == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_default_database(with_replica):
    assert connections[DEFAULT_DB_ALIAS].in_atomic_block  # the test's own transaction
    with replica_reads():
        assert Location.objects.all().db == DEFAULT_DB_ALIAS
        assert Location.objects.count() == 0  # and run there


def test_nothing_is_migrated_on_the_replica():
    assert ReplicaRouter().allow_migrate(REPLICA, "registry") is False
    assert ReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "registry") is True


def test_a_read_run_beside_another_keeps_its_block(with_replica):
    def where() -> str:
        return Location.objects.all().db

    # On SQLite, and inside a test's transaction, in_parallel runs them one after the other;
    # on PostgreSQL outside one, in a second thread: the same answer either way.
    with replica_reads():
        assert in_parallel(where, where) == (REPLICA, REPLICA)
