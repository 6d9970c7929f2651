"""The Capacity Tracker import on PostgreSQL: checked, merged and written set by set.

`services.CapacityTrackerImporter` matches the rows to services and finds each day's measure
set; then, on PostgreSQL, `plan` and `apply` here take over from its row-by-row path:

1. Each row's answers are checked by `answer_clean` and the set's rules, as the row-by-row
   path checks them, but each distinct cell text of a measure is cleaned once (a national
   day's 500,000 cells hold a few hundred distinct texts).
2. The clean answers go by COPY into a TEMP staging table (ON COMMIT DROP), one text column
   per measure of the export.
3. SQL joins the staging rows to the day's stored returns. A row whose stored return holds
   answers the export does not ask (given in Caresight) is checked again in Python over the
   stored answers, exactly as the row-by-row path does; there are few.
4. SQL builds each row's answers (JSON), compares them with the stored ones, and counts what
   would be created, changed or left unchanged; the plan's fingerprint is a hash made there.
5. `apply` inserts the new returns and updates the changed ones (version + 1), each statement
   writing the history rows of the rows it wrote (as `core.audit`'s bulk helpers do), all in
   the import's transaction.
"""

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from caresight.core.audit import history_written
from caresight.core.files import RowError
from caresight.core.imports import Outcome
from caresight.core.tenancy import actor
from caresight.registry.models import Location

from .capacity_tracker import TrackerRow
from .models import Measure, MeasureSet, Return

CheckedRow = tuple[TrackerRow, int, MeasureSet, dict[str, Measure]]
RowCheck = Callable[[TrackerRow, MeasureSet, dict[str, Measure], dict | None],
                    tuple[dict, dict[str, str]]]
_names = itertools.count(1)


@dataclass
class Staged:
    """A set-based plan: its table of checked rows (gone at commit) and what it would do."""

    table: str
    days: set[dt.date]
    now: dt.datetime
    _digest: str = ""

    @property
    def digest(self) -> str:
        """A hash of every write, in row order, with the values before and after."""
        if not self._digest:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT encode(sha256(convert_to(coalesce(string_agg(concat_ws(' ', "  # nosec B608
                    "change, cqc_id, for_date, measure_set_id, old_version, "
                    "old_measure_set_id, old_values::text, new_values::text), E'\\n' "
                    "ORDER BY row_no), ''), 'UTF8')), 'hex') "
                    f"FROM {self.table} WHERE ok AND change <> '='")
                self._digest = cursor.fetchone()[0]
        return self._digest


class _Cells:
    """`services.answers_check` of a partial row for one measure set and heading layout,
    with each distinct text of a measure cleaned once."""

    def __init__(self, measure_set: MeasureSet, measures: dict[str, Measure],
                 headings: dict[str, str]):
        from .services import answer_clean

        self.clean = answer_clean
        self.label = {code: headings.get(code) or m.label for code, m in measures.items()}
        self.cells: list[tuple[str, Measure, dict[str, tuple[bool, object]]]] = [
            (code, measure, {}) for code, measure in measures.items() if code in headings]
        self.rules = [(rule["code"], rule["at_most"]) for rule in measure_set.rules]

    def check(self, answers: dict[str, str]) -> tuple[dict, dict[str, str]]:
        values: dict[str, object] = {}
        errors: dict[str, str] = {}
        for code, measure, seen in self.cells:
            text = answers[code]
            try:
                ok, value = seen[text]
            except KeyError:
                try:
                    ok, value = True, self.clean(measure, text, required=False)
                except ValueError as exc:
                    ok, value = False, f"{self.label[code]}: {exc}"
                seen[text] = ok, value
            if not ok:
                errors[code] = str(value)
            elif value is not None:
                values[code] = value
        for code, at_most in self.rules:
            left, right = values.get(code), values.get(at_most)
            if left is None or right is None:
                continue
            if (left > right if type(left) is int and type(right) is int
                    else Decimal(str(left)) > Decimal(str(right))):
                errors.setdefault(code, f"{self.label[code]} ({left}) cannot be more than "
                                  f"{self.label[at_most].lower()} ({right})")
        return values, errors


def plan(rows: list[CheckedRow], *, errors: list[RowError], counts: Counter, now: dt.datetime,
         check_row: RowCheck) -> Staged | None:
    """Check the rows, stage them and count what applying them would do.

    Adds each row's problems to `errors` and the outcomes to `counts`. Must run where
    `apply` will (the import's transaction); it makes its own when there is none (a preview).
    """
    if not rows:
        return None
    # Outside a transaction it is a preview, which needs the fingerprint; an import that
    # writes needs it only to compare with a preview's, so it is made only if asked for.
    preview_only = not connection.in_atomic_block
    with transaction.atomic():
        return _plan(rows, errors=errors, counts=counts, now=now, check_row=check_row,
                     preview_only=preview_only)


def _plan(rows: list[CheckedRow], *, errors: list[RowError], counts: Counter,
          now: dt.datetime, check_row: RowCheck, preview_only: bool) -> Staged:
    codes = set(rows[0][0].answers)  # the export's measures: every row has them all
    n = next(_names)
    stage, checked = f"tracker_stage_{n}", f"tracker_checked_{n}"
    sets: dict[int, tuple[MeasureSet, dict[str, Measure]]] = {}
    checkers: dict[int, _Cells] = {}
    problems: dict[int, list[RowError]] = {}
    by_number: dict[int, CheckedRow] = {}
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {stage} (row_no integer, location_id bigint, for_date date, "
            "measure_set_id bigint, cqc_id text, ok boolean, new_values jsonb) ON COMMIT DROP")
        with cursor.copy(f"COPY {stage} FROM STDIN") as copy:
            for item in rows:
                row, location_id, measure_set, measures = item
                by_number[row.row] = item
                if measure_set.pk not in checkers:
                    sets[measure_set.pk] = measure_set, measures
                    checkers[measure_set.pk] = _Cells(measure_set, measures, row.headings)
                values, found = checkers[measure_set.pk].check(row.answers)
                if found:
                    problems[row.row] = [RowError(row.row, row.headings.get(code, code), text)
                                         for code, text in found.items()]
                copy.write_row((row.row, location_id, row.day, measure_set.pk, row.cqc_id,
                                not found, None if found else dumps(values)))
        days = sorted({row.day for row, *_ in rows})
        # Stored returns that answer measures the export does not ask, by measure set.
        others: list[str] = []
        params: list = []
        for measure_set_id, (_, measures) in sets.items():
            kept = [code for code in measures if code not in codes]
            if kept:
                others.append("WHEN %s THEN e.values ?| %s")
                params += [measure_set_id, kept]
        recheck = f"CASE s.measure_set_id {' '.join(others)} ELSE false END" if others else "false"
        cursor.execute("SET LOCAL work_mem = '64MB'")  # to hash the day's stored returns
        # Generated names and fixed SQL only; every value is a parameter (B608).
        cursor.execute(
            f"CREATE TEMP TABLE {checked} ON COMMIT DROP AS "  # nosec B608
            "SELECT s.row_no, s.cqc_id, s.location_id, s.for_date, s.measure_set_id, s.ok, "
            "s.new_values, e.id AS ret_id, e.version AS old_version, "
            "e.measure_set_id AS old_measure_set_id, e.values AS old_values, "
            f"coalesce({recheck}, false) AS recheck, CASE WHEN e.id IS NULL THEN '+' "
            "WHEN e.values = s.new_values AND e.measure_set_id = s.measure_set_id THEN '=' "
            f"ELSE '~' END AS change FROM {stage} s "
            f"LEFT JOIN {_returns_table()} e ON e.location_id = s.location_id "
            "AND e.for_date = s.for_date AND e.for_date = ANY(%s::date[])", [*params, days])
        if others:
            _recheck_over_stored(cursor, checked, by_number, problems, check_row)
        for row_errors in problems.values():
            errors.extend(row_errors)
        cursor.execute(
            f"SELECT change, count(*) FROM {checked} WHERE ok GROUP BY 1")  # nosec B608
        outcome = {"+": Outcome.CREATED, "~": Outcome.UPDATED, "=": Outcome.UNCHANGED}
        for change, count in cursor.fetchall():
            counts[outcome[change]] += count
    staged = Staged(table=checked, days=set(days), now=now)
    if not preview_only:
        return staged
    # Its tables go when the preview's transaction ends: the fingerprint is made now.
    staged._digest = staged.digest
    return staged


def _returns_table() -> str:
    return connection.ops.quote_name(Return._meta.db_table)


def _recheck_over_stored(cursor, checked: str, by_number: dict[int, CheckedRow],
                         problems: dict[int, list[RowError]], check_row: RowCheck) -> None:
    """Check again, over the stored answers, the rows whose stored return answers measures
    the export does not: their answers are those merged with the row's, and so are the
    problems (a rule may compare an imported answer with a kept one)."""
    cursor.execute(f"SELECT row_no, old_values FROM {checked} WHERE recheck")  # nosec B608
    updates: list[tuple[int, bool, str | None]] = []
    for number, stored in cursor.fetchall():
        row, _, measure_set, measures = by_number[number]
        if isinstance(stored, str):
            stored = json.loads(stored)
        values, found = check_row(row, measure_set, measures, stored)
        problems.pop(number, None)
        if found:
            problems[number] = [RowError(number, row.headings.get(code, code), text)
                                for code, text in found.items()]
        updates.append((number, not found, None if found else json.dumps(values)))
    if updates:
        numbers, oks, full = zip(*updates, strict=True)
        cursor.execute(
            f"UPDATE {checked} c SET ok = v.ok, new_values = v.answers::jsonb, "  # nosec B608
            "change = CASE WHEN c.ret_id IS NULL THEN '+' WHEN c.old_values = v.answers::jsonb "
            "AND c.old_measure_set_id = c.measure_set_id THEN '=' ELSE '~' END "
            "FROM unnest(%s::integer[], %s::boolean[], %s::text[]) AS v(row_no, ok, answers) "
            "WHERE c.row_no = v.row_no", [list(numbers), list(oks), list(full)])


def apply(staged: Staged, *, user, reason: str) -> list[int]:
    """Write the staged plan: new returns, changed ones (version + 1), and a history row for
    each; return the IDs of the returns written."""
    qn = connection.ops.quote_name
    history = Return.history.model  # type: ignore[attr-defined]
    source = {f.column for f in Return._meta.concrete_fields}
    copied = [f.column for f in history._meta.concrete_fields if f.column in source]
    columns = ", ".join(qn(c) for c in copied)
    by = actor(user)
    written = [Return.Source.IMPORT, getattr(by, "pk", None), staged.now]
    audit = [timezone.now(), reason[:100] or None, getattr(user, "pk", None)]
    keep_history = (
        f"INSERT INTO {qn(history._meta.db_table)} ({columns}, {qn('history_date')}, "  # nosec B608
        f"{qn('history_change_reason')}, {qn('history_type')}, {qn('history_user_id')}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM written RETURNING {qn('id')}")
    table, checked = _returns_table(), staged.table
    ids: list[int] = []
    with connection.cursor() as cursor:
        # Quoted names from model metadata; every value is a parameter (B608).
        cursor.execute(
            f"WITH written AS (INSERT INTO {table} ({qn('location_id')}, "  # nosec B608
            f"{qn('measure_set_id')}, {qn('for_date')}, {qn('version')}, {qn('values')}, "
            f"{qn('source')}, {qn('submitted_by_id')}, {qn('submitted_at')}) "
            "SELECT location_id, measure_set_id, for_date, 1, new_values, %s, %s, %s "
            f"FROM {checked} WHERE ok AND change = '+' ORDER BY row_no RETURNING {columns}) "
            + keep_history, [*written, audit[0], audit[1], "+", audit[2]])
        ids += [pk for (pk,) in cursor.fetchall()]
        returning = ", ".join(f"r.{qn(c)}" for c in copied)
        cursor.execute(
            f"WITH written AS (UPDATE {table} r SET {qn('measure_set_id')} = c.measure_set_id, "  # nosec B608
            f"{qn('values')} = c.new_values, {qn('version')} = c.old_version + 1, "
            f"{qn('source')} = %s, {qn('submitted_by_id')} = %s, {qn('submitted_at')} = %s "
            f"FROM {checked} c WHERE c.ok AND c.change = '~' AND r.{qn('id')} = c.ret_id "
            f"AND r.{qn('for_date')} = c.for_date RETURNING {returning}) " + keep_history,
            [*written, audit[0], audit[1], "~", audit[2]])
        ids += [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            f"SELECT DISTINCT l.{qn('authority_id')} FROM {checked} c "  # nosec B608
            f"JOIN {qn(Location._meta.db_table)} l ON l.{qn('id')} = c.location_id "
            "WHERE c.ok AND c.change <> '='")
        authority_ids = [pk for (pk,) in cursor.fetchall()]
    if ids:
        history_written.send(sender=Return, pks=ids, authority_ids=authority_ids,
                            days=sorted(staged.days))
    return ids
