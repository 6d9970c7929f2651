"""Fault tests: real processes against a private PostgreSQL server that the tests stop, restart
and starve of its workers.

Each session starts its own server (tests/private_postgres.py), never the shared one.
A template database is migrated and loaded once (a register, three users, Capacity Tracker
files); each test gets a fresh copy of it. Moments are found from the database itself: the
job's row, and pg_locks (a test holds a SHARE lock on the table an import writes last, the
kept current state of returns (or, without one, their history), so an import stops exactly when
its returns are written in its transaction; what it waits for is seen in pg_locks). Every
wait has a timeout, and every process and the server are stopped in teardown.
Run with `make faults`.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from private_postgres import Server, Unavailable, free_ports, make_root, unavailable

ROOT = Path(__file__).resolve().parents[2]
DAY = "2020-06-01"
LOCATIONS = 900
TEMPLATE = "faults_template"
WAIT = 120.0  # seconds: the longest any step may take on a busy 2-core machine
PYTHON = sys.executable
CARESIGHT = str(Path(sys.executable).parent / "caresight")
JOBCTL = str(Path(__file__).with_name("jobctl.py"))


def pytest_collection_modifyitems(config, items):
    reason = unavailable()
    if reason:
        skip = pytest.mark.skip(reason=f"fault tests skipped: {reason}")
        for item in items:
            if "faults" in item.keywords:
                item.add_marker(skip)


def wait_for(what: str, check, *, timeout: float = WAIT, every: float = 0.05):
    """Poll `check()` until it returns something true; fail naming `what` at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Cluster(Server):
    """The private server of a test session, in a temporary folder of its own (`base`)."""

    def __init__(self) -> None:
        [port] = free_ports(1)
        self.base = make_root("caresight-faults-")
        super().__init__(self.base, port)
        self.initdb().start()

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false", "CARESIGHT_ENV_FILE": "/nonexistent/.env",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("TASKS_BACKEND", None)  # the database backend, as in production
    return env


def run(command: list[str], url: str, *, timeout: float = WAIT) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=environment(url), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def ok(command: list[str], url: str) -> str:
    done = run(command, url)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class Processes:
    """Processes a test starts; each is killed (by its own process group) in teardown."""

    base: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, command: list[str], url: str) -> subprocess.Popen:
        out = (self.base / f"{name}-{len(self.started)}.log").open("w")
        process = subprocess.Popen(command, env=environment(url), cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        process.log = Path(out.name)  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=WAIT)

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)


@dataclass
class Database:
    """A fresh copy of the template for one test, with what the tests ask of it."""

    cluster: Cluster
    name: str
    files: Path
    users: dict[str, str]
    processes: Processes
    worker: subprocess.Popen | None = None

    def url(self, app: str = "") -> str:
        return self.cluster.url(self.name, app)

    def sql(self, query: str, params=()) -> list[tuple]:
        return self.cluster.sql(self.name, query, params)

    # --- processes

    def import_command(self, file: str, user: str = "") -> list[str]:
        who = ["--user", self.users[user]] if user else []
        return [CARESIGHT, "import", "returns", str(self.files / file), "--no-progress", *who]

    def start_import(self, file: str, user: str = "", app: str = "faults-import"):
        return self.processes.start(app, self.import_command(file, user), self.url(app))

    def ensure_worker(self) -> subprocess.Popen:
        """A running `caresight db_worker`, started again if it stopped (as a supervisor
        would)."""
        if self.worker is None or self.worker.poll() is not None:
            self.worker = self.processes.start(
                "worker", [CARESIGHT, "db_worker", "--no-reload", "--no-startup-delay",
                           "--interval", "0.2", "-v", "2"], self.url("faults-worker"))
        return self.worker

    def upload(self, file: str, user: str = "admin") -> str:
        return ok([PYTHON, JOBCTL, "upload", "--file", str(self.files / file),
                   "--user", self.users[user]], self.url()).strip()

    def confirm(self, job_id: str, user: str = "admin") -> None:
        ok([PYTHON, JOBCTL, "confirm", "--job", job_id, "--user", self.users[user]],
           self.url())

    def job(self, job_id: str) -> dict:
        rows = self.sql("SELECT status, phase, message, done, total FROM core_job WHERE id = %s",
                        [job_id])
        return dict(zip(("status", "phase", "message", "done", "total"), rows[0], strict=True))

    def wait_job(self, job_id: str, *statuses: str) -> dict:
        def settled():
            job = self.job(job_id)
            return job if job["status"] in statuses else None

        return wait_for(f"job {job_id} to be {' or '.join(statuses)}", settled)

    # --- locks

    def last_written(self) -> str:
        """The table a returns import writes last: the kept current state, else the history."""
        return CURRENT if self.sql("SELECT to_regclass(%s)", [CURRENT])[0][0] else HISTORY

    @contextmanager
    def barrier(self):
        """Hold a SHARE lock on `last_written()`: an import's transaction then stops when it
        has written its returns and comes to that table."""
        conn = self.cluster.connect(self.name, autocommit=False)
        try:
            conn.execute(f"LOCK TABLE {self.last_written()} IN SHARE MODE")
            yield conn
        finally:
            try:
                conn.rollback()
                conn.close()
            except Exception:  # noqa: BLE001 (the server was restarted under it)
                pass

    def blocked_at_barrier(self, app: str) -> int | None:
        """The backend of process `app`, once it waits for the barrier having written returns
        in the same transaction; else None."""
        rows = self.sql(
            """SELECT a.pid, bool_or(r.granted AND r.mode = 'RowExclusiveLock' AND r.relation IN (
                    SELECT %s::regclass UNION SELECT inhrelid FROM pg_inherits
                    WHERE inhparent = %s::regclass))
               FROM pg_stat_activity a
               JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted
                              AND w.relation = %s::regclass
               JOIN pg_locks r ON r.pid = a.pid
               WHERE a.datname = %s AND a.application_name = %s
               GROUP BY a.pid""", [RETURNS, RETURNS, self.last_written(), self.name, app])
        if not rows:
            return None
        pid, wrote_returns = rows[0]
        assert wrote_returns, (
            f"the import waited for {self.last_written()} before writing any return")
        return pid

    def waiting(self, app: str) -> int | None:
        """The backend of process `app`, once it waits for a lock; else None."""
        rows = self.sql("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                        "AND application_name = %s AND wait_event_type = 'Lock'",
                        [self.name, app])
        return rows[0][0] if rows else None

    def backend_gone(self, pid: int) -> bool:
        return not self.sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])

    def deadlocks(self) -> int:
        return self.sql("SELECT deadlocks FROM pg_stat_database WHERE datname = %s",
                        [self.name])[0][0]

    # --- what the database holds

    def figures(self) -> dict:
        """Counts of returns and history rows, a digest of every stored return, the kept
        current state (where there is one) and the returns summary the command prints."""
        figures: dict = {}
        [(figures["returns"], figures["returns_digest"])] = self.sql(
            f"""SELECT count(*), md5(coalesce(string_agg(
                    concat_ws('|', l.cqc_location_id, r.for_date, r.version, r.source,
                              r.measure_set_id, r.values::text), ',' ORDER BY l.cqc_location_id,
                    r.for_date), ''))
                FROM {RETURNS} r JOIN registry_location l ON l.id = r.location_id""")
        figures["history"] = dict(self.sql(
            f"SELECT history_type, count(*) FROM {HISTORY} GROUP BY 1 ORDER BY 1"))
        if self.sql("SELECT to_regclass(%s)", [CURRENT])[0][0]:
            figures["current"] = self.sql(f"SELECT count(*) FROM {CURRENT}")[0][0]
        figures["summary"] = json.loads(ok([CARESIGHT, "summary", "returns", "--as-of", DAY,
                                            "--format", "json"], self.url()))
        return figures

    def nothing_written(self) -> dict:
        counts = {"returns": self.sql(f"SELECT count(*) FROM {RETURNS}")[0][0],
                  "history": self.sql(f"SELECT count(*) FROM {HISTORY}")[0][0]}
        if self.sql("SELECT to_regclass(%s)", [CURRENT])[0][0]:
            counts["current"] = self.sql(f"SELECT count(*) FROM {CURRENT}")[0][0]
        return counts


RETURNS = "returns_return"
HISTORY = "returns_historicalreturn"
CURRENT = "returns_currentreturn"
NOTHING = {"returns": 0, "history": 0}


@pytest.fixture(scope="session")
def cluster():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    try:
        server = Cluster()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def template(cluster):
    """Migrate and load the template database once; its files and users."""
    cluster.sql("postgres", f"CREATE DATABASE {TEMPLATE}")
    url = cluster.url(TEMPLATE)
    ok([CARESIGHT, "migrate", "--no-input", "-v0"], url)
    files = cluster.base / "files"
    made = json.loads(ok([PYTHON, JOBCTL, "setup", "--locations", str(LOCATIONS), "--day", DAY,
                          "--out", str(files)], url))
    assert made["rows"] > 500 and made["overlap"], made
    return {"files": files, **made}


_counter = iter(range(1, 10_000))


@pytest.fixture
def database(cluster, template, tmp_path):
    name = f"faults_{next(_counter)}"
    cluster.sql("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    processes = Processes(tmp_path)
    db = Database(cluster=cluster, name=name, files=template["files"], users=template["users"],
                  processes=processes)
    try:
        yield db
    finally:
        processes.stop_all()
        cluster.sql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_references: dict[tuple, dict] = {}


@pytest.fixture
def reference(cluster, template, tmp_path):
    """The figures of a clean import of these (file, user) pairs, one after another, into a
    fresh copy of the template (worked out once per session)."""

    def figures(*imports: tuple[str, str]) -> dict:
        if imports not in _references:
            name = f"faults_reference_{len(_references)}"
            cluster.sql("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            db = Database(cluster=cluster, name=name, files=template["files"],
                          users=template["users"], processes=Processes(tmp_path))
            try:
                for file, user in imports:
                    ok(db.import_command(file, user), db.url())
                _references[imports] = db.figures()
            finally:
                cluster.sql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return _references[imports]

    return figures
