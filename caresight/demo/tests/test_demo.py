import io

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from caresight.accounts.models import Membership, Organisation, Role, User
from caresight.core.tenancy import OPERATOR
from caresight.demo.demo import (
    CAMBRIDGESHIRE,
    DEMO_PASSWORD,
    DEMO_URL,
    PETERBOROUGH,
    DemoError,
    build_plan,
    demo_load,
)
from caresight.registry.models import (
    CARE_HOME_TYPES,
    Authority,
    Locality,
    LocalityArea,
    Location,
    Provider,
    postcode_district,
)
from caresight.registry.services import locality_create
from caresight.returns.models import Return

COUNCILS = (CAMBRIDGESHIRE, PETERBOROUGH)


def counts() -> dict[str, int]:
    return {
        "localities": Locality.objects.count(),
        "areas": LocalityArea.objects.count(),
        "providers": Provider.objects.count(),
        "locations": Location.objects.count(),
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "memberships": Membership.objects.count(),
        "location history": Location.history.count(),
        "provider history": Provider.history.count(),
        "user history": User.history.count(),
        "returns": Return.objects.count(),
    }


def test_the_plan_is_the_same_every_time():
    first, second = build_plan(), build_plan()
    assert [p.fields for p in first.providers] == [p.fields for p in second.providers]
    assert [s.fields for s in first.services] == [s.fields for s in second.services]


def check_market_spans_both_councils(demo):
    locations = Location.objects.filter(authority__ons_code__in=COUNCILS)
    care_homes = locations.filter(service_type__in=CARE_HOME_TYPES).count()
    others = locations.exclude(service_type__in=CARE_HOME_TYPES).count()
    assert 170 <= care_homes <= 190
    assert 50 <= others <= 70
    assert locations.count() == Location.objects.count()
    peterborough = locations.filter(authority__ons_code=PETERBOROUGH).count()
    assert 0.2 < peterborough / locations.count() < 0.4
    assert 90 <= Provider.objects.count() <= 130
    assert Provider.objects.filter(is_small=True).exists()
    assert (demo.care_homes, demo.other_services) == (care_homes, others)


def check_five_localities_place_every_service_by_postcode():
    assert Locality.objects.count() == 5
    assert set(Locality.objects.values_list("name", flat=True)) == {
        "Hunts", "City & South", "East Cambs", "Fenland", "Peterborough"
    }
    assert not Location.objects.filter(locality__isnull=True).exists()
    areas = {
        (a.authority_id, a.code): a.locality_id
        for a in LocalityArea.objects.filter(kind=LocalityArea.Kind.POSTCODE_DISTRICT)
    }
    for location in Location.objects.all():
        assert areas[(location.authority_id, postcode_district(location.postcode))] == (
            location.locality_id
        )


def check_every_role_has_a_demo_user_who_can_sign_in():
    request = RequestFactory().post("/accounts/sign-in/")
    for role in Role:
        email = f"{role.value.replace('_', '-')}@demo.caresight.test"
        user = User.objects.get(email=email)
        assert user.memberships.get().role == role
        assert authenticate(request, email=email, password=DEMO_PASSWORD) == user
    provider_user = Membership.objects.get(role=Role.PROVIDER_USER)
    assert provider_user.organisation.provider.locations.count() >= 3
    commissioner = Membership.objects.get(role=Role.COMMISSIONER)
    assert set(commissioner.authorities.values_list("ons_code", flat=True)) == set(COUNCILS)


def check_weekly_returns_with_someone_to_chase():
    from caresight.returns.selectors import chase_list, returns_summary

    today = timezone.localdate()
    summary = returns_summary(user=OPERATOR, as_of=today, authority=CAMBRIDGESHIRE)
    assert 0 < summary["reported"] < summary["locations"]
    assert summary["measures"][0]["current_pct"] is not None
    assert chase_list(user=OPERATOR, as_of=today)


def check_every_demo_record_is_audited():
    for model in (Location, Provider, Locality, User, Membership, Return):
        created = model.history.filter(history_type="+").count()
        assert created == model.objects.count() > 0


def check_beds_for_a_season_with_overstays_and_an_under_claimed_month():
    from caresight.beds import selectors as beds
    from caresight.beds.models import BedScheme, Placement, SchemeKind

    today = timezone.localdate()
    kinds = set(BedScheme.objects.values_list("kind", flat=True))
    assert set(SchemeKind.values) - {SchemeKind.OTHER} <= kinds
    found = beds.occupancy(user=OPERATOR, as_of=today)
    block = next(row for row in found["by_kind"] if row["key"] == SchemeKind.BLOCK)
    assert block["commissioned"] == 120 and block["schemes"] >= 5
    assert 0 < found["occupied"] < found["commissioned"]
    designated = BedScheme.objects.get(kind=SchemeKind.DESIGNATED_SETTING)
    first = designated.placements.order_by("admitted_on").first()
    assert 0 < (first.admitted_on - designated.cqc_assured_on).days <= 7
    assert set(designated.placements.values_list("covid_status", flat=True)) == {"positive"}
    assert 1 <= len(beds.overstays(user=OPERATOR, as_of=today)) <= 8
    placements = Placement.objects.all()
    assert 200 <= placements.count() <= 600
    assert Placement.history.filter(history_type="+").count() == placements.count()
    assert placements.filter(placed_by__email="brokerage@demo.caresight.test").count() > (
        placements.count() / 2)
    assert placements.filter(source="community").exists()
    assert {"home_with_care", "care_home", "readmitted", "died"} <= set(
        placements.values_list("destination", flat=True))
    months = [row for row in beds.reconciliation(user=OPERATOR, as_of=today, months=4)
              if row["complete"] and row["claims"]]
    assert len(months) >= 2
    assert [row["difference"] > 0 for row in months].count(True) == 1
    assert all(row["difference"] >= 0 for row in months)
    flagged = [row for row in beds.brokerage(user=OPERATOR, as_of=today)["rows"]
               if row["outbreak"] is not None]
    assert flagged and all(row["flag"] for row in flagged)


# One load serves every check: the demo takes a few seconds to write.
@pytest.mark.django_db
def test_demo_loads_a_joint_area_audited_with_a_sign_in_for_every_role():
    demo = demo_load()
    assert not demo.already_loaded
    check_market_spans_both_councils(demo)
    check_five_localities_place_every_service_by_postcode()
    check_every_role_has_a_demo_user_who_can_sign_in()
    check_weekly_returns_with_someone_to_chase()
    check_every_demo_record_is_audited()
    check_beds_for_a_season_with_overstays_and_an_under_claimed_month()


@pytest.mark.django_db
def test_loading_the_demo_again_changes_nothing_and_prints_the_sign_ins():
    demo_load()
    before = counts()
    out = io.StringIO()
    summary = demo_load(stdout=out)
    assert summary.already_loaded
    assert counts() == before
    text = out.getvalue()
    assert text.lstrip().startswith("Caresight demo") and DEMO_URL in text
    assert "quality-officer@demo.caresight.test" in text and DEMO_PASSWORD in text


@pytest.mark.django_db
def test_the_demo_is_not_mixed_into_a_register_that_already_covers_the_area():
    cambridgeshire = Authority.objects.get(ons_code=CAMBRIDGESHIRE)
    locality_create(authority=cambridgeshire, name="Hunts", district_codes=["E07000011"],
                    user=OPERATOR)
    with pytest.raises(DemoError, match="already has localities or services"):
        demo_load()
    assert Provider.objects.count() == 0 and User.objects.count() == 0
