"""The audited bulk writes: every record written as asked, each with its history row."""

import pytest

from caresight.accounts.models import Role
from caresight.core.audit import bulk_update_audited
from caresight.registry.models import Location
from caresight.registry.tests.factories import LocationFactory


@pytest.mark.django_db
def test_records_updated_together_with_their_own_or_the_same_values_each_keep_history(
        cambs, devon, make_user):
    officer = make_user(Role.COMMISSIONER, cambs)
    homes = [LocationFactory(authority=cambs, name=f"Home {i}") for i in range(3)]
    untouched = LocationFactory(authority=cambs, name="Left alone")

    # Different values for each: every record gets its own.
    for home, name in zip(homes, ["Ash House", "Beech House", "Cedar House"], strict=True):
        home.name = name
    assert bulk_update_audited(homes, Location, ["name"], user=officer, reason="Renamed") == 3
    assert {h.name for h in Location.objects.filter(pk__in=[h.pk for h in homes])} == {
        "Ash House", "Beech House", "Cedar House"}

    # The same values for all (one UPDATE), a foreign key among them.
    for home in homes:
        home.name, home.authority = "Moved House", devon
    assert bulk_update_audited(homes, Location, ["name", "authority"], user=officer,
                               reason="Moved") == 3
    assert set(Location.objects.filter(pk__in=[h.pk for h in homes])
               .values_list("name", "authority_id")) == {("Moved House", devon.pk)}
    assert Location.objects.get(pk=untouched.pk).name == "Left alone"

    for home in homes:
        latest = home.history.order_by("-history_id")
        assert [(h.history_type, h.name, h.authority_id, h.history_change_reason,
                 h.history_user_id) for h in latest[:2]] == [
            ("~", "Moved House", devon.pk, "Moved", officer.pk),
            ("~", latest[1].name, cambs.pk, "Renamed", officer.pk)]
    assert not untouched.history.filter(history_type="~").exists()
