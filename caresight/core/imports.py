"""The one import pipeline every import uses, and the registry of imports.

    read with limits (core.files) -> check headers -> parse rows -> match by CQC ID within the
    user's scope -> shared row checks -> plan, with counted outcomes -> audited apply, all or
    nothing

An app offers an import by subclassing `Importer` (its kind, label, outcomes, pages, and its
own `layout`, `parse`, `plan` and `apply`) and registering an instance from its
`AppConfig.ready()` with `register()`. `caresight import KIND`, the upload pages, the job pages
and the background worker find it here; core never imports a domain app.

A preview stores a fingerprint of its plan (every write it would make, with the values before
and after). Confirming plans again from the same file and refuses, writing nothing, if the plan
is not the one previewed; so what is applied is exactly what was checked, and a second apply
of the same job (which would now change nothing) is refused too.
"""

import datetime as dt
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.db import ids_filters
from caresight.core.files import ImportFileError, RowError, Table, read_table
from caresight.core.progress import NoProgress, Progress
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

DATA_CHANGED = "The data changed since this file was checked — check it again."
NOTHING_TO_CHANGE = ("Nothing would change: the register already holds everything in this "
                     "file, so there is nothing to import.")
OUTSIDE = "outside"  # every importer's outcomes have it: rows left alone outside your scope
COVERAGE_NAMES = 10  # authorities named in the coverage sentence; the rest are counted


class Outcome(models.TextChoices):
    """What can happen to a row, shared by most imports (an import may declare its own)."""

    CREATED = "created", "created"
    UPDATED = "updated", "updated"
    UNCHANGED = "unchanged", "unchanged"
    OUTSIDE = OUTSIDE, "outside your authorities (left alone)"


@dataclass(frozen=True)
class ImportPages:
    upload: str  # URL name of the upload page
    done: str  # URL name of where to go after the import
    done_label: str


# --- Rows, matching and the shared checks -------------------------------------------------


@dataclass(kw_only=True)
class ImportRow:
    """One row of a file after parsing: where it is, which service it names, and its day."""

    row: int
    cqc_id: str
    id_field: str  # the file's heading (or key) for the CQC ID, to name it in messages
    day: dt.date | None = None
    date_field: str = ""

    def duplicate_key(self) -> Hashable:
        return (self.cqc_id, self.day)

    def describe(self) -> str:
        """The row's key in words, for the duplicate-row message."""
        return f"{self.cqc_id} on {long_date(self.day)}" if self.day else (
            f"CQC location ID {self.cqc_id}")


@dataclass(frozen=True)
class Match:
    """A service on the register that a row's CQC ID names."""

    pk: int
    cqc_id: str
    authority_id: int
    provider_id: int
    authority_name: str
    values: dict = field(default_factory=dict)  # the importer's `match_fields`

    def __getitem__(self, name: str):
        return self.values[name]


def match_locations(model_label: str, cqc_ids: Iterable[str], fields: Iterable[str] = ()
                    ) -> dict[str, Match]:
    """The register's services with these CQC location IDs, by ID (one statement on
    PostgreSQL, in batches elsewhere: core.db.ids_filters)."""
    model = apps.get_model(model_label)
    fields = list(fields)
    found: dict[str, Match] = {}
    for ids_q in ids_filters(model, sorted({i for i in cqc_ids if i}), "cqc_location_id"):
        for row in model._default_manager.filter(ids_q).values_list(
                "cqc_location_id", "pk", "authority_id", "provider_id", "authority__name",
                *fields):
            found[row[0]] = Match(pk=row[1], cqc_id=row[0], authority_id=row[2],
                                  provider_id=row[3], authority_name=row[4],
                                  values=dict(zip(fields, row[5:], strict=True)))
    return found


class Coverage:
    """Which authorities a file's rows are in, and how many are in the user's own."""

    def __init__(self, scoped: bool):
        self.scoped = scoped
        self.by_authority: Counter[str] = Counter()
        self.inside = 0

    def add(self, authority_name: str, inside: bool) -> None:
        self.by_authority[authority_name] += 1
        self.inside += inside

    @property
    def rows(self) -> int:
        return sum(self.by_authority.values())

    def sentence(self) -> str:
        """"0 of 728 rows are in your authorities: the file covers Devon 324, Somerset 222…"."""
        if not self.by_authority:
            return ""
        named = self.by_authority.most_common(COVERAGE_NAMES)
        covers = ", ".join(f"{name} {n:,}" for name, n in named)
        rest = len(self.by_authority) - len(named)
        if rest:
            covers += f" and {rest} more authorit{'y' if rest == 1 else 'ies'}"
        if not self.scoped:
            return f"The file covers {covers}."
        verb = "is" if self.inside == 1 else "are"
        return (f"{self.inside:,} of {self.rows:,} row{'' if self.rows == 1 else 's'} {verb} in "
                f"your authorities: the file covers {covers}.")

    def as_dict(self) -> dict:
        return {"rows": self.rows, "in_your_authorities": self.inside if self.scoped else None,
                "authorities": [{"name": n, "rows": c}
                                for n, c in self.by_authority.most_common()],
                "sentence": self.sentence()}


class RowChecks:
    """The checks every import makes of its rows, each with one message naming row and field."""

    def __init__(self, *, scope: tenancy.Scope, errors: list[RowError],
                 coverage: Coverage, today: dt.date | None = None):
        self.scope = scope
        self.errors = errors
        self.coverage = coverage
        self.today = today or timezone.localdate()
        self.outside = 0  # rows left alone: outside the user's scope
        self._first_row: dict[Hashable, int] = {}

    def unknown(self, row: ImportRow) -> None:
        self.errors.append(RowError(row.row, row.id_field, (
            f"{row.cqc_id!r} is not the CQC location ID of any service on the register")))

    def inside(self, row: ImportRow, match: Match) -> bool:
        """Count the row's authority; False (left alone) if it is outside the user's scope."""
        ok = self.scope.allows_location(match)
        self.coverage.add(match.authority_name, ok)
        self.outside += not ok
        return ok

    def inside_authority(self, authority_id: int, authority_name: str,
                         also: Iterable[int] = ()) -> bool:
        """Like `inside`, for a row placed by its authority (and any it would move from)."""
        ok = self.scope.everywhere or all(
            a in self.scope.authority_ids for a in (authority_id, *also))
        self.coverage.add(authority_name, ok)
        self.outside += not ok
        return ok

    def not_future(self, row: int, field_name: str, day: dt.date | None) -> bool:
        if day is not None and day > self.today:
            self.errors.append(RowError(row, field_name, f"{long_date(day)} is in the future"))
            return False
        return True

    def not_duplicate(self, row: ImportRow) -> bool:
        key = row.duplicate_key()
        first = self._first_row.setdefault(key, row.row)
        if first != row.row:
            self.errors.append(RowError(row.row, row.date_field if row.day else row.id_field,
                                        f"{row.describe()} is also in row {first}"))
            return False
        return True

    def matched(self, rows: Iterable[ImportRow], matches: dict[str, Match]
                ) -> list[tuple[Any, Match]]:
        """Run every check in turn; the rows that pass, with their services."""
        kept = []
        for row in rows:
            match = matches.get(row.cqc_id)
            if match is None:
                self.unknown(row)
            elif (self.inside(row, match) and self.not_future(row.row, row.date_field, row.day)
                  and self.not_duplicate(row)):
                kept.append((row, match))
        return kept


# --- Plans and results --------------------------------------------------------------------


class Plan:
    """What an import will do. `counts` are keyed by the importer's outcomes; `changes()` lists
    every write (JSON-able, with values before and after) — the fingerprint is made from it."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def changes(self) -> list:
        raise NotImplementedError

    def has_changes(self) -> bool:
        """Whether applying the plan would write anything (without listing every write)."""
        return bool(self.changes())

    def fingerprint(self) -> str:
        """A hash of every write."""
        text = json.dumps(self.changes(), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ImportResult:
    outcomes: type[models.TextChoices] = Outcome
    quiet: frozenset[str] = frozenset({OUTSIDE})  # outcomes named in the summary only if any
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # outcome value -> rows
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    dry_run: bool = True
    coverage: Coverage | None = None
    fingerprint: str = ""
    would_change: bool = False
    error_limit: int = 500

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error

    def outcome_list(self) -> list[dict]:
        return [{"outcome": o.value, "label": str(o.label), "count": self.counts.get(o.value, 0)}
                for o in self.outcomes]

    def summary(self) -> str:
        if self.file_error:
            return self.file_error
        if self.errors:
            problems = len(self.errors)
            return (f"{problems} problem{'' if problems == 1 else 's'} found in {self.rows} "
                    f"row{'' if self.rows == 1 else 's'}; nothing was imported. Correct the "
                    "file and try again.")
        counts = ", ".join(f"{o['count']} {o['label']}" for o in self.outcome_list()
                           if o["count"] or o["outcome"] not in self.quiet)
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        where = f" {self.coverage.sentence()}" if self.coverage and self.coverage.rows else ""
        if not self.would_change:
            return (f"{rows} checked: {counts}. Nothing would change, so there is nothing to "
                    f"import.{where}")
        if self.dry_run:
            return f"{rows} checked: {counts}. Nothing has been written yet.{where}"
        return f"{rows} imported: {counts}.{where}"

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "counts": {o["outcome"]: o["count"] for o in self.outcome_list()},
            "outcomes": self.outcome_list(),
            "errors": [e.as_dict() for e in self.errors[: self.error_limit]],
            "error_count": len(self.errors),
            "file_error": self.file_error,
            "dry_run": self.dry_run,
            "coverage": self.coverage.as_dict() if self.coverage else None,
            "fingerprint": self.fingerprint,
            "would_change": self.would_change,
            "summary": self.summary(),
        }


# --- Importers and their registry ---------------------------------------------------------


@dataclass
class Context:
    """What `Importer.plan` works with."""

    user: Any
    scope: tenancy.Scope
    errors: list[RowError]
    checks: RowChecks
    progress: Progress
    target: Any = None  # the record imported into (`Importer.find_target`), if the kind has one


class Importer:
    """One kind of import. Subclasses set the class attributes and the four steps."""

    kind: ClassVar[str]
    label: ClassVar[str]  # what the file holds, e.g. "CQC locations"
    outcomes: ClassVar[type[models.TextChoices]] = Outcome
    quiet: ClassVar[frozenset[str]] = frozenset({OUTSIDE})
    pages: ClassVar[ImportPages]
    capability: ClassVar[Capability] = Capability.IMPORT
    # The upload page: its heading, paragraphs and the file field's hint.
    title: ClassVar[str]
    intro: ClassVar[tuple[str, ...]] = ()
    file_hint: ClassVar[str] = ""
    # An import into one record (an action plan's actions): what the record is called. Its
    # upload and done pages then take the record's ID, and `find_target` finds it.
    target_label: ClassVar[str] = ""

    def find_target(self, target: str, user) -> Any:
        """The record `target` names, if `user` may import into it; else ImportFileError."""
        return None

    def layout(self, fmt: str, headers: list[str]) -> Any:
        """Check the headers (before any row is read); return what `parse` needs to know."""
        return None

    def parse(self, table: Table) -> tuple[list, list[RowError]]:
        raise NotImplementedError

    def plan(self, records: list, context: Context) -> Plan:
        raise NotImplementedError

    def apply(self, plan: Plan, *, user, reason: str, progress: Progress) -> None:
        raise NotImplementedError

    def reason(self, file_name: str) -> str:
        return f"{self.label[:1].upper()}{self.label[1:]} import: {file_name}"[:100]

    def run(self, *, data: bytes, file_name: str, user, dry_run: bool,
            progress: Progress | None = None, expected_fingerprint: str | None = None,
            target: str = "") -> ImportResult:
        """Check a file and, unless `dry_run`, apply it all or nothing.

        With `expected_fingerprint` (a preview's), refuse with DATA_CHANGED unless the plan
        made now is the one previewed.
        """
        progress = progress or NoProgress()
        result = ImportResult(outcomes=self.outcomes, quiet=self.quiet, dry_run=dry_run)
        try:
            found = self.find_target(target, user) if self.target_label else None
            table = read_table(data, file_name, check_headers=self.layout)
            records, errors = self.parse(table)
            result.rows = table.rows_read
        except ImportFileError as exc:
            result.file_error = str(exc)
            return result
        scope = tenancy.scope(user, self.capability)
        result.coverage = Coverage(scoped=not scope.everywhere)
        checks = RowChecks(scope=scope, errors=errors, coverage=result.coverage)
        context = Context(user=user, scope=scope, errors=errors, checks=checks,
                          progress=progress, target=found)
        if dry_run:
            self._plan_into(result, records, context, fingerprint=True)
            return result
        with transaction.atomic():
            one_at_a_time(self.kind)
            # Plan again inside the transaction that writes, so nothing changes in between.
            plan = self._plan_into(result, records, context,
                                   fingerprint=expected_fingerprint is not None)
            if not result.ok:
                return result
            if expected_fingerprint is not None and result.fingerprint != expected_fingerprint:
                result.file_error = DATA_CHANGED
                return result
            if not result.would_change:
                return result
            self.apply(plan, user=user, reason=self.reason(file_name), progress=progress)
        return result

    def _plan_into(self, result: ImportResult, records: list, context: Context, *,
                   fingerprint: bool) -> Plan:
        """Plan the writes; the fingerprint is made where a preview is kept or checked (an
        import applied at once, from the command line, has nothing to compare it with)."""
        plan = self.plan(records, context)
        result.errors = sorted(context.errors, key=lambda e: (e.row, e.field))
        result.counts = {o.value: plan.counts.get(o.value, 0) for o in self.outcomes}
        result.would_change = plan.has_changes()
        if fingerprint:
            result.fingerprint = plan.fingerprint()
        return plan


def lock_key(*names: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) for these names."""
    digest = hashlib.sha256(":".join(("caresight", *names)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def one_at_a_time(kind: str) -> None:
    """In the transaction that writes: wait until no other import of this kind is writing.

    Two imports writing the same rows in different orders would each wait for the other until
    PostgreSQL broke the deadlock by failing one. Taken before anything else is locked, and
    before the plan is made, this lock lets the second import plan on top of what the first
    committed (or refuse, if that is not what its preview showed). It is let go at commit or
    rollback. SQLite lets one writer in at a time anyway.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("import", kind)])


_IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Offer an import (call from the owning app's AppConfig.ready())."""
    if OUTSIDE not in importer.outcomes.values:
        raise ValueError(f"{importer.kind}: its outcomes need {OUTSIDE!r}, for rows left alone.")
    _IMPORTERS[importer.kind] = importer
    return importer


def importers() -> dict[str, Importer]:
    """Every registered import, by kind."""
    return dict(_IMPORTERS)


def get_importer(kind: str) -> Importer:
    try:
        return _IMPORTERS[kind]
    except KeyError:
        raise ValueError(f"Unknown import {kind!r}; choose one of {', '.join(_IMPORTERS)}"
                         ) from None


def run_import(kind: str, **kwargs) -> ImportResult:
    """Run the import of this kind (see Importer.run for the arguments)."""
    importer = get_importer(kind)
    # An import makes hundreds of thousands of small objects that live until it ends; the
    # cyclic garbage collector would rescan them again and again (a sixth of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return importer.run(**kwargs)
    finally:
        if collecting:
            gc.enable()
