"""A private PostgreSQL primary and its streaming replica, for the read replica tests.

Both are private servers (tests/private_postgres.py) in one temporary folder, stopped and
removed at the end. The replica is made with `pg_basebackup -R` and streams from the primary;
once it is streaming, every commit on the primary waits until the replica has applied it
(`synchronous_commit = remote_apply`), so a test reads on the replica what it has just written.
"""

import shutil
import time

from private_postgres import Server, Unavailable, free_ports, make_root

__all__ = ["Pair", "Unavailable"]


class Pair:
    """Start with `start()`, stop (and remove everything) with `stop()`."""

    def __init__(self) -> None:
        primary_port, replica_port = free_ports(2)
        self.root = make_root("caresight-replica-")
        self.primary = Server(self.root, primary_port)
        self.replica = Server(self.root, replica_port)

    def start(self) -> "Pair":
        self.primary.initdb().start()
        self.replica.copy_of(self.primary, hot_standby="on").start()
        deadline = time.monotonic() + 60
        while self.primary.sql("postgres", "SELECT count(*) FROM pg_stat_replication "
                                                "WHERE state = 'streaming'")[0][0] < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not start streaming within 60 s")
            time.sleep(0.2)
        with self.primary.connect() as conn:  # ALTER SYSTEM: one statement at a time
            conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            conn.execute("ALTER SYSTEM SET synchronous_commit = 'remote_apply'")
            conn.execute("SELECT pg_reload_conf()")
        return self

    def wait_until_replayed(self, timeout: float = 30) -> None:
        """Wait until the replica has applied everything the primary has written."""
        target = self.primary.sql("postgres", "SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while not self.replica.sql("postgres", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                    [target])[0][0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica did not catch up within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        # The primary first: with the replica gone, its commits would wait for it.
        self.primary.stop()
        self.replica.stop()
        shutil.rmtree(self.root, ignore_errors=True)
