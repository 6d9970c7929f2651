"""A private PostgreSQL primary and its streaming replica, for the read replica tests.

Both run from a temporary directory on two free ports in 5450–5459 (as the postgres OS user
when run as root: initdb refuses root), are stopped and removed at the end, and touch no other
server. The replica is made with `pg_basebackup -R` and streams from the primary; once it is
streaming, every commit on the primary waits until the replica has applied it
(`synchronous_commit = remote_apply`), so a test reads on the replica what it has just written.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess  # nosec B404
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PORTS = range(5450, 5460)


class Unavailable(Exception):
    """No private server can be started here (the reason is the message)."""


def server_bin() -> Path:
    """The folder holding initdb, pg_ctl and pg_basebackup (CARESIGHT_PG_BIN, else the newest
    Debian install, else PATH)."""
    if os.environ.get("CARESIGHT_PG_BIN"):
        chosen = Path(os.environ["CARESIGHT_PG_BIN"])
        if not (chosen / "initdb").exists():
            raise Unavailable(f"CARESIGHT_PG_BIN={chosen} holds no initdb")
        return chosen
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                       else 0)
    if installed:
        return installed[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable("PostgreSQL's initdb was not found (install the PostgreSQL server, or "
                      "set CARESIGHT_PG_BIN to the folder holding initdb and pg_ctl)")


def _free_ports(count: int) -> list[int]:
    free = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        free.append(port)
        if len(free) == count:
            return free
    raise Unavailable(f"fewer than {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class Server:
    data: Path
    port: int

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=dbname, autocommit=True)

    def query(self, sql: str, *params):
        with self.connect() as conn:
            return conn.execute(sql, params).fetchone()


class Pair:
    """Start with `start()`, stop (and remove everything) with `stop()`."""

    def __init__(self) -> None:
        self.bin = server_bin()
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no postgres OS user to run "
                                  "PostgreSQL as") from None
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.owner = None
            self.prefix = []
        self.root = Path(tempfile.mkdtemp(prefix="caresight-replica-"))
        if self.owner:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        primary_port, replica_port = _free_ports(2)
        self.primary = Server(self.root / "primary", primary_port)
        self.replica = Server(self.root / "replica", replica_port)
        self.started: list[Server] = []

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(  # nosec B603
            [*self.prefix, str(self.bin / program), *args], capture_output=True, text=True,
            timeout=120, check=False)
        if result.returncode:
            raise RuntimeError(f"{program} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}")

    def _configure(self, server: Server, **extra: str) -> None:
        settings = {"port": str(server.port), "listen_addresses": "'127.0.0.1'",
                    "unix_socket_directories": f"'{self.root}'", "max_connections": "40",
                    "shared_buffers": "32MB", "fsync": "off", **extra}
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))

    def _start(self, server: Server) -> None:
        self._run("pg_ctl", "-D", str(server.data), "-l", str(self.root / f"{server.port}.log"),
                  "-w", "-t", "60", "start")
        self.started.append(server)

    def start(self) -> "Pair":
        self._run("initdb", "-D", str(self.primary.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self._configure(self.primary)
        self._start(self.primary)
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port),
                  "-U", "postgres", "-D", str(self.replica.data), "-R", "-X", "stream",
                  "-c", "fast", "--no-sync")
        self._configure(self.replica, hot_standby="on")
        self._start(self.replica)
        deadline = time.monotonic() + 60
        while self.primary.query("SELECT count(*) FROM pg_stat_replication "
                                 "WHERE state = 'streaming'")[0] < 1:
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
        target = self.primary.query("SELECT pg_current_wal_lsn()")[0]
        deadline = time.monotonic() + timeout
        while not self.replica.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                     target)[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica did not catch up within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        # The primary first: with the replica gone, its commits would wait for it.
        for server in self.started:
            with contextlib.suppress(RuntimeError):  # already stopped: removed all the same
                self._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")
        self.started = []
        shutil.rmtree(self.root, ignore_errors=True)
