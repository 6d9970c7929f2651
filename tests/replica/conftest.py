"""Point the test databases at a private primary and its streaming replica (cluster.py).

Only for these tests (`pytest -m replica tests/replica`): "default" becomes the private
primary, whatever DATABASE_URL says, and "replica" its standby, as DATABASE_REPLICA_URL would
make it (read-only sessions, a test mirror of "default"). Where no private server can be
started (no initdb on a newcomer's machine), every test here is skipped with the reason.
"""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from caresight.core.db import REPLICA

from .cluster import Pair, Unavailable


def _database(port: int, **extra) -> dict:
    return {"ENGINE": "django.db.backends.postgresql", "NAME": "caresight", "USER": "postgres",
            "HOST": "127.0.0.1", "PORT": str(port), "CONN_MAX_AGE": 0, **extra}


@pytest.fixture(scope="session")
def replica_pair():
    try:
        pair = Pair()
    except Unavailable as exc:
        pytest.skip(f"no private PostgreSQL for the replica tests: {exc}")
    try:
        pair.start()
    except BaseException:
        pair.stop()
        raise
    yield pair
    pair.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, replica_pair):
    """Replace the databases just before pytest-django creates the test database."""
    for alias in (DEFAULT_DB_ALIAS, REPLICA):
        if alias in connections.settings:
            connections[alias].close()
            del connections[alias]
    databases = connections.settings  # the settings' DATABASES itself
    databases.pop(REPLICA, None)
    databases[DEFAULT_DB_ALIAS] = _database(replica_pair.primary.port)
    databases[REPLICA] = _database(
        replica_pair.replica.port, OPTIONS={"options": "-c default_transaction_read_only=on"},
        TEST={"MIRROR": DEFAULT_DB_ALIAS})
    connections.configure_settings(databases)  # Django's defaults for the keys not given
