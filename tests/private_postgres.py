"""Private PostgreSQL servers for the tests that stop, restart or replicate one (tests/faults,
tests/replica), never the shared server.

Each server lives in a temporary folder, on a free port of PORTS, listening on 127.0.0.1 only,
and is run as the postgres OS user when the tests run as root (initdb refuses root), through
runuser. Its settings are written into its own postgresql.conf, so a restart keeps them.
`Server.stop()` stops it; whoever made the folder (`make_root`) removes it (the fault tests'
`Cluster.remove()`, the replica tests' `Pair.stop()`).
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess  # nosec B404
import tempfile
from pathlib import Path

import psycopg

PORTS = range(5440, 5460)
TIMEOUT = 120  # seconds: the longest a server command may take on a busy 2-core machine


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


def _run_as() -> list[str]:
    """The prefix that runs a server program as the postgres OS user, when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no postgres OS user to run "
                          "PostgreSQL as") from None
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    if not Path(runuser).exists():
        raise Unavailable("running as root and runuser (util-linux) was not found")
    return [runuser, "-u", "postgres", "--"]


def unavailable() -> str:
    """Why no private server can be started here, or "" if one can."""
    try:
        server_bin(), _run_as()
    except Unavailable as exc:
        return str(exc)
    return ""


def make_root(prefix: str) -> Path:
    """A temporary folder the servers (and the postgres OS user) can write in."""
    server_bin(), _run_as()  # refuse early, before anything is made
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def free_ports(count: int) -> list[int]:
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


class Server:
    """One private server, its data in `root`/port; made by `initdb()` or `copy_of()`."""

    def __init__(self, root: Path, port: int) -> None:
        self.bin = server_bin()
        self.prefix = _run_as()
        self.root = root
        self.port = port
        self.data = root / f"data-{port}"
        self.log = root / f"server-{port}.log"
        self.running = False

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(  # nosec B603
            [*self.prefix, str(self.bin / program), *args], capture_output=True, text=True,
            timeout=TIMEOUT, check=False)
        if result.returncode:
            raise RuntimeError(f"{program} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}")

    def initdb(self, **settings: str) -> "Server":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync", "--no-instructions")
        self._configure(settings)
        return self

    def copy_of(self, primary: "Server", **settings: str) -> "Server":
        """A streaming standby of `primary` (pg_basebackup -R)."""
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                  "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self._configure(settings)
        return self

    def _configure(self, extra: dict[str, str]) -> None:
        # fsync off is safe: the tests stop the server, never the machine.
        settings = {"port": str(self.port), "listen_addresses": "'127.0.0.1'",
                    "unix_socket_directories": f"'{self.root}'", "max_connections": "40",
                    "shared_buffers": "32MB", "fsync": "off", **extra}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", str(TIMEOUT), *extra)

    def start(self) -> "Server":
        self._pg_ctl("start")
        self.running = True
        return self

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-m", mode)

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError):  # already stopped
                self._pg_ctl("stop", "-m", "immediate")
            self.running = False

    def url(self, dbname: str, app: str = "") -> str:
        query = f"?application_name={app}" if app else ""
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}{query}"

    def connect(self, dbname: str = "postgres", *, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname=dbname, autocommit=autocommit, connect_timeout=10)

    def sql(self, dbname: str, query: str, params=()) -> list[tuple]:
        with self.connect(dbname) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []
