"""Kept summary totals: each authority's returns-summary sums and counts for a day
(KeptTotals), kept once worked out, so that a summary over many authorities adds up a row an
authority instead of reading every service's current return.

Derived data, never a second record: a write of a return for a day forgets its authority's
totals from that day on (a return stays current for days after its own), and a change to the
register (a service's dates, type, locality or authority) forgets them for every day. The
next summary that needs them works them out from the returns and keeps them again. A change
of measure sets is seen on reading (`measure_sets`), and `caresight current_returns check`
compares the kept totals with a fresh computation.

Totals worked out while a write commits are not kept. Every writer, inside its transaction,
adds one to its authorities' KeptTotalsVersion (holding the row until it commits) before it
forgets their totals; a reader notes the versions before it works the totals out and keeps
them only if, with the rows locked against writers (PostgreSQL's FOR SHARE), they are
unchanged. So a write either committed before the reader noted the version (the totals
include it), or is refused its row until the reader has kept them (and then forgets them).
(SQLite, for trying Caresight out, has no FOR SHARE: there the versions are compared
without a lock.)
"""

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import orjson
from django.db import connection, models, transaction
from django.db.models import F

from caresight.core.audit import BATCH, history_values
from caresight.core.db import ids_filters
from caresight.core.progress import NoProgress, Progress

from .current import reads_kept
from .models import KeptTotals, KeptTotalsVersion, MeasureSet, Return


class AuthorityTotals(NamedTuple):
    """One authority's totals on a day, each a list of numbers in the order of `keys` (the
    names of the sums and counts): by type of service expected to return ("n" those that
    had, "expected" all), the care homes' beds by (locality ID, service type) where any had
    returned (in the order of `LOCALITY_TOTALS`), and the services that had not returned, as
    (location ID, CQC location ID). Lists, not dictionaries: a national summary adds up
    those of every authority, a column at a time."""

    keys: list[str]
    by_type: dict[str, list[int]]
    by_locality: dict[tuple[int | None, str], list[int]]
    missing: list[tuple[int, str | None]]

    def named(self) -> dict[str, dict[str, int]]:
        """by_type with the totals named, leaving out those that are 0 (for comparing)."""
        return {service_type: {k: v for k, v in zip(self.keys, values, strict=True) if v}
                for service_type, values in self.by_type.items()}


NONE = AuthorityTotals([], {}, {}, [])


def add_into(totals: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Add `more` into `totals`, in place."""
    for key, value in more.items():
        totals[key] = totals.get(key, 0) + value
    return totals


def in_use() -> bool:
    """Whether summaries read and keep totals (not within current.computed_from_returns,
    where the tests compare figures with those computed afresh)."""
    return reads_kept(dt.date.max)


def measure_sets_on(day: dt.date) -> str:
    """The measure sets in use on `day`, as the kept totals name them."""
    newest: dict[str, int] = {}
    for group, version in (MeasureSet.objects.filter(in_use_from__lte=day)
                           .values_list("service_group", "version")):
        newest[group] = max(version, newest.get(group, version))
    return " ".join(f"{group}:{version}" for group, version in sorted(newest.items()))


def kept(authority_ids: Iterable[int], day: dt.date, measure_sets: str
         ) -> dict[int, AuthorityTotals]:
    """The kept totals of these authorities on `day`, where kept for these measure sets."""
    ids = sorted(set(authority_ids))
    if not ids:
        return {}
    qn = connection.ops.quote_name
    found = {}
    with connection.cursor() as cursor:
        # Parsed by orjson: a national summary reads ~150 of these twice.
        # Quoted names from model metadata; every value is a parameter (B608).
        cursor.execute(
            f"SELECT authority_id, {qn('groups')}, {qn('missing')} "  # nosec B608
            f"FROM {qn(KeptTotals._meta.db_table)} WHERE for_date = %s AND measure_sets = %s "
            f"AND authority_id IN ({', '.join(['%s'] * len(ids))})",
            [day, measure_sets, *ids])
        for authority_id, groups, missing in cursor.fetchall():
            groups, missing = orjson.loads(groups), orjson.loads(missing)
            found[authority_id] = AuthorityTotals(
                groups["keys"], groups["by_type"],
                {(locality_id, service_type): totals
                 for locality_id, service_type, totals in groups["by_locality"]},
                [(location_id, cqc_id) for location_id, cqc_id in missing])
    return found


def all_kept(authority_ids: Iterable[int], days: list[dt.date]) -> bool:
    """Whether these authorities' totals are kept for each of these days."""
    ids = set(authority_ids)
    return KeptTotals.objects.filter(authority_id__in=sorted(ids), for_date__in=days).count() \
        == len(ids) * len(set(days))


def versions(authority_ids: Iterable[int]) -> dict[int, int]:
    """The authorities' versions now, to be given to `keep` with totals worked out after."""
    ordered = sorted(set(authority_ids))
    # A row made now, not by a writer that has yet to commit it (which a reader could not
    # see, nor wait for): the insert waits for that writer instead.
    KeptTotalsVersion.objects.bulk_create([KeptTotalsVersion(authority_id=a) for a in ordered],
                                          ignore_conflicts=True)
    return dict(KeptTotalsVersion.objects.filter(authority_id__in=ordered)
                .values_list("authority_id", "version"))


def keep(day: dt.date, measure_sets: str, totals: dict[int, AuthorityTotals],
         versions_before: dict[int, int]) -> None:
    """Keep totals worked out for `day` after `versions` gave `versions_before`, for each
    authority whose version has not changed since."""
    if not totals:
        return
    ordered = sorted(totals)
    table = connection.ops.quote_name(KeptTotalsVersion._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Quoted name from model metadata; the IDs are parameters (B608).
            cursor.execute(
                f"SELECT authority_id, version FROM {table} "  # nosec B608
                f"WHERE authority_id IN ({', '.join(['%s'] * len(ordered))}) "
                f"ORDER BY authority_id{' FOR SHARE' if connection.vendor == 'postgresql' else ''}",
                ordered)
            now = dict(cursor.fetchall())
        KeptTotals.objects.bulk_create([
            KeptTotals(authority_id=authority_id, for_date=day, measure_sets=measure_sets,
                       groups=orjson.dumps({
                           "keys": totals[authority_id].keys,
                           "by_type": totals[authority_id].by_type,
                           "by_locality": [[locality_id, service_type, group]
                                           for (locality_id, service_type), group
                                           in totals[authority_id].by_locality.items()]}).decode(),
                       missing=orjson.dumps(totals[authority_id].missing).decode())
            for authority_id in ordered
            if authority_id in now and now[authority_id] == versions_before.get(authority_id)
        ], ignore_conflicts=True)


def forget(authority_ids: Iterable[int], since: dt.date | None = None) -> None:
    """Forget these authorities' kept totals from `since` on (every day: None). Call inside
    the transaction of the write that makes them out of date."""
    _forget(dict.fromkeys(authority_ids, since))


def _forget(since: dict[int, dt.date | None]) -> None:
    ordered = sorted(since)  # one order of row locks for every writer
    if not ordered:
        return
    KeptTotalsVersion.objects.bulk_create([KeptTotalsVersion(authority_id=a) for a in ordered],
                                          ignore_conflicts=True)
    KeptTotalsVersion.objects.filter(authority_id__in=ordered).update(version=F("version") + 1)
    for first in {*since.values()}:
        stale = KeptTotals.objects.filter(
            authority_id__in=[a for a in ordered if since[a] == first])
        if first is not None:
            stale = stale.filter(for_date__gte=first)
        stale._raw_delete(stale.db)  # derived rows: no signals, nothing refers to them


def forget_all(before: dt.date | None = None) -> int:
    """Forget every authority's kept totals (only those of days before `before`, when given:
    the returns of a month past the retention period are dropped); the number of
    authorities' days forgotten."""
    from caresight.registry.models import Authority

    if before is not None:
        return KeptTotals.objects.filter(for_date__lt=before).delete()[0]
    count = KeptTotals.objects.count()
    forget(Authority.objects.values_list("pk", flat=True))
    return count


def returns_written(*, pks: list, authority_ids: Iterable[int] | None = None,
                    days: Iterable[dt.date] | None = None) -> None:
    """Forget the totals these returns (just written, changed or deleted) make out of date."""
    if authority_ids is not None and days is not None:
        days = list(days)
        if days:
            forget(authority_ids, since=min(days))
        return
    since: dict[int, dt.date | None] = {}
    history = Return.history.model  # type: ignore[attr-defined]
    for ids_q in ids_filters(history, pks, "id"):
        for authority_id, first in (history.objects.filter(ids_q)
                                    .order_by().values("location__authority_id")
                                    .annotate(first=models.Min("for_date"))
                                    .values_list("location__authority_id", "first")):
            since[authority_id] = min(first, since.get(authority_id) or first)
    _forget(dict(since))


def register_changed(*, model: type[models.Model], pks: list) -> None:
    """Forget every day's totals of the authorities these services belong, or belonged, to."""
    if len(pks) > 5 * BATCH:  # a national register import: every authority
        forget_all()
        return
    forget(history_values(model, pks, "authority_id"))


def differences(limit: int = 20, progress: Progress | None = None) -> tuple[int, list[str]]:
    """Compare the kept totals (those of the measure sets in use on their day) with totals
    worked out afresh from the returns: the number of authorities' days that differ, and up
    to `limit` sentences saying how."""
    from caresight.core.timeutils import long_date

    from .current import computed_from_returns
    from .selectors import authority_totals

    days: dict[dt.date, list[int]] = {}
    for day, authority_id in (KeptTotals.objects.order_by("for_date", "authority_id")
                              .values_list("for_date", "authority_id")):
        days.setdefault(day, []).append(authority_id)
    count, messages = 0, list[str]()
    progress = progress or NoProgress()
    progress.start(len(days), "Days of kept summary totals checked")
    for day, authority_ids in days.items():
        progress.advance()
        have = kept(authority_ids, day, measure_sets_on(day))
        with computed_from_returns():
            want = authority_totals(have.keys(), day)
        for authority_id in sorted(have):
            fresh = want.get(authority_id, NONE)
            if _same(have[authority_id], fresh):
                continue
            count += 1
            if len(messages) < limit:
                messages.append(f"Authority {authority_id} on {long_date(day)}: the kept "
                                "summary totals differ from the returns")
    progress.finish()
    return count, messages


def _same(a: AuthorityTotals, b: AuthorityTotals) -> bool:
    """The same totals (a total of 0 may be left out) and the same services missing."""
    return (a.named() == b.named() and a.by_locality == b.by_locality
            and sorted(a.missing) == sorted(b.missing))
