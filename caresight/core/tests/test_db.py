"""The database seam: reads run side by side on PostgreSQL give the same answers."""

import threading

import pytest
from django.db import connection

from caresight.core.db import in_parallel, insert_new
from caresight.core.tenancy import OPERATOR
from caresight.returns import selectors
from caresight.returns.tests.test_summary import DAY, WEEK_BEFORE, area  # noqa: F401 (fixture)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_summary_with_a_previous_day_reads_both_days_side_by_side(area):  # noqa: F811
    threads = set()
    summary = selectors.returns_summary(user=OPERATOR, as_of=DAY, previous=WEEK_BEFORE,
                                        authority="E10000003")
    isolate = summary["measures"][0]
    assert (isolate["current_pct"], isolate["previous_pct"]) == (33.3, 100.0)
    assert (isolate["based_on"], isolate["previous_based_on"]) == (3, 4)

    def where() -> str:
        threads.add(threading.get_ident())
        return connection.vendor

    in_parallel(where, where)
    expected = 2 if connection.vendor == "postgresql" else 1
    assert len(threads) == expected


@pytest.mark.django_db
def test_inside_a_transaction_reads_run_in_turn_on_one_connection():
    threads = set()
    in_parallel(lambda: threads.add(threading.get_ident()),
                lambda: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


@pytest.mark.django_db
def test_new_rows_inserted_at_once_read_back_as_they_were(cambs):
    """By COPY on PostgreSQL: JSON, dates, empty values and text with tabs and new lines."""
    import datetime as dt

    from caresight.registry.tests.factories import LocationFactory
    from caresight.risk.models import SavedLog, SavedRating

    log = SavedLog.objects.create(authority=cambs, as_of=dt.date(2020, 6, 4),
                                  kind=SavedLog.Kind.WORKED_OUT, inputs_version=0)
    homes = [LocationFactory(authority=cambs) for _ in range(3)]
    fired = [{"code": "quality_concern", "why": 'Open concern: "Falls"\tat night\n\\ £5'}]
    wanted = [
        (homes[0].pk, "red", "amber", 4, fired, "Visit\tdue", dt.date(2020, 6, 30)),
        (homes[1].pk, "green", "green", 0, [], "", None),
        (homes[2].pk, "amber", "amber", 1, [{"code": "no_return", "why": "Ünïcode"}], "", None),
    ]
    insert_new(SavedRating, ["location_id", "rating", "computed_rating", "score", "fired",
                             "override_reason", "override_expires_on", "log_id"],
               [(*row, log.pk) for row in wanted])
    assert list(SavedRating.objects.filter(log=log).order_by("location_id").values_list(
        "location_id", "rating", "computed_rating", "score", "fired", "override_reason",
        "override_expires_on")) == wanted


@pytest.mark.django_db
def test_a_row_inserted_at_once_that_breaks_a_constraint_raises_djangos_integrity_error(cambs):
    import datetime as dt

    from django.db import IntegrityError, transaction

    from caresight.registry.tests.factories import LocationFactory
    from caresight.risk.models import SavedLog, SavedRating

    log = SavedLog.objects.create(authority=cambs, as_of=dt.date(2020, 6, 4))
    row = (log.pk, LocationFactory(authority=cambs).pk, "green", "green", 0, [], "", None)
    fields = ["log_id", "location_id", "rating", "computed_rating", "score", "fired",
              "override_reason", "override_expires_on"]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(SavedRating, fields, [row, row])  # one rating per service and log
    assert not SavedRating.objects.exists()


@pytest.mark.django_db
def test_rows_filtered_by_many_ids_are_those_rows_on_either_database(cambs, monkeypatch):
    """One statement of an array on PostgreSQL; batches elsewhere (made small here), by the
    primary key or another column of the model's own table, joined or not."""
    from caresight.core import db
    from caresight.registry.models import Location
    from caresight.registry.tests.factories import LocationFactory, ProviderFactory

    monkeypatch.setattr(db, "IDS_A_STATEMENT", 2)
    provider, other = ProviderFactory(), ProviderFactory()
    homes = [LocationFactory(authority=cambs, provider=provider) for _ in range(5)]
    LocationFactory(authority=cambs, provider=other)
    wanted = [homes[0].pk, homes[2].pk, homes[4].pk, 2**40]  # one that no row has

    filters = list(db.ids_filters(Location, wanted))
    assert len(filters) == (1 if connection.vendor == "postgresql" else 2)
    found = [pk for q in filters
             for pk in Location.objects.filter(q).values_list("pk", flat=True)]
    assert sorted(found) == wanted[:3]
    by_provider = {pk for q in db.ids_filters(Location, [provider.pk], "provider")
                   for pk in Location.objects.filter(q, authority__name=cambs.name)
                   .values_list("pk", flat=True)}
    assert by_provider == {home.pk for home in homes}
    assert list(db.ids_filters(Location, [])) == []


@pytest.mark.django_db
def test_rows_filtered_by_many_text_ids_match_each_id_whole(cambs, monkeypatch):
    """Text IDs (a file's CQC location IDs) go into the array quoted: a comma, brace, quote or
    backslash in a cell stays inside its element and matches nothing else."""
    from caresight.core import db
    from caresight.core.imports import match_locations
    from caresight.registry.models import Location
    from caresight.registry.tests.factories import LocationFactory

    monkeypatch.setattr(db, "IDS_A_STATEMENT", 2)
    odd = ['1-1,1-2', '1-"3"', "1-4\\", "{1-5}", "1-6 "]
    for cqc_id in ["1-1", "1-2", "1-3", "1-4", "1-5", "1-6", *odd]:
        LocationFactory(authority=cambs, cqc_location_id=cqc_id)
    wanted = [*odd, "1-1", "1-999"]
    found = {cqc_id for q in db.ids_filters(Location, wanted, "cqc_location_id")
             for cqc_id in Location.objects.filter(q).values_list("cqc_location_id", flat=True)}
    assert found == {*odd, "1-1"}
    matches = match_locations("registry.Location", wanted, ("name",))
    assert set(matches) == {*odd, "1-1"}
    assert matches["1-1"].authority_name == cambs.name
