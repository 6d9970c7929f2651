"""The one door: access_<record>, in_scope, the operator, and serializer fields in scope."""

import importlib

import pytest
from django.http import Http404
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from caresight.core import tenancy
from caresight.core.tenancy import OPERATOR, Capability
from caresight.grants.tests.factories import simple_round
from caresight.outbreaks.services import Counts, outbreak_report
from caresight.registry.models import Locality, Location
from caresight.registry.tests.factories import LocationFactory

DAY = "2020-06-04"


@pytest.fixture
def two_councils(cambs, devon, make_user):
    import datetime as dt

    own, other = LocationFactory(authority=cambs), LocationFactory(authority=devon)
    outbreaks = {key: outbreak_report(location=loc, reported_on=dt.date(2020, 6, 4),
                                      reported_by="provider", counts=Counts(kind="confirmed"),
                                      user=OPERATOR)
                 for key, loc in (("own", own), ("other", other))}
    for authority in (cambs, devon):  # records of both councils for every field to offer
        Locality.objects.create(authority=authority, name=f"{authority.name} locality")
        simple_round(authority)
    return {"own": own, "other": other, "outbreaks": outbreaks,
            "officer": make_user("quality_officer", cambs)}


@pytest.mark.django_db
class TestTheDoor:
    def test_a_record_out_of_scope_is_not_found_like_one_that_does_not_exist(self, two_councils):
        officer = two_councils["officer"]
        own, other = two_councils["outbreaks"]["own"], two_councils["outbreaks"]["other"]
        assert tenancy.access_outbreak(officer, own.pk, Capability.VIEW_OUTBREAKS) == own
        for pk in (other.pk, 987654321, "abc", None, "²"):
            with pytest.raises(Http404) as refused:
                tenancy.access_outbreak(officer, pk, Capability.VIEW_OUTBREAKS)
            assert str(refused.value) == "No such record."

    def test_a_capability_the_user_lacks_on_the_record_is_not_found_too(self, two_councils,
                                                                       make_user, cambs):
        partner = make_user("partner", cambs)  # sees outbreaks, manages none
        own = two_councils["outbreaks"]["own"]
        assert tenancy.access_outbreak(partner, own.pk, Capability.VIEW_OUTBREAKS) == own
        with pytest.raises(Http404):
            tenancy.access_outbreak(partner, own.pk, Capability.MANAGE_OUTBREAKS)

    def test_the_operator_sees_every_record_and_nobody_sees_none(self, two_councils):
        assert set(tenancy.in_scope(OPERATOR, Capability.VIEW_RECORDS, Location)) == {
            two_councils["own"], two_councils["other"]}
        assert not tenancy.in_scope(None, Capability.VIEW_RECORDS, Location).exists()
        with pytest.raises(Http404):
            tenancy.access_location(None, two_councils["own"].pk, Capability.VIEW_RECORDS)
        assert tenancy.allows(OPERATOR, Capability.MANAGE_OUTBREAKS,
                              two_councils["outbreaks"]["other"])
        assert tenancy.actor(OPERATOR) is None and str(OPERATOR) == "System"

    def test_allows_reads_the_same_rules_as_the_lists(self, two_councils):
        officer = two_councils["officer"]
        for key, expected in (("own", True), ("other", False)):
            outbreak = two_councils["outbreaks"][key]
            assert tenancy.allows(officer, Capability.VIEW_OUTBREAKS, outbreak) is expected
            assert tenancy.in_scope(officer, Capability.VIEW_OUTBREAKS, "outbreaks.Outbreak"
                                    ).filter(pk=outbreak.pk).exists() is expected

    def test_an_authority_is_reached_by_its_code_only_within_scope(self, two_councils, cambs):
        officer = two_councils["officer"]
        assert tenancy.access_authority(officer, "e10000003", Capability.MANAGE_OUTBREAKS) == cambs
        for code in ("E10000008", "nonsense", ""):
            with pytest.raises(Http404):
                tenancy.access_authority(officer, code, Capability.MANAGE_OUTBREAKS)


API_MODULES = ["caresight.registry.api", "caresight.returns.api", "caresight.outbreaks.api",
               "caresight.risk.api", "caresight.grants.api", "caresight.plans.api",
               "caresight.governance.api", "caresight.workforce.api"]


def _serializers():
    for name in API_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, serializers.BaseSerializer)
                    and value.__module__ == name):
                yield value


@pytest.mark.django_db
@pytest.mark.parametrize("serializer_class", list(_serializers()), ids=lambda c: c.__name__)
def test_no_serializer_field_offers_records_outside_the_users_scope(serializer_class,
                                                                    two_councils):
    """Every related field that takes input offers only records the user may see."""
    _governance_records(two_councils)
    request = APIRequestFactory().get("/")
    request.user = two_councils["officer"]
    serializer = serializer_class(context={"request": request})
    for name, field in serializer.fields.items():
        field = getattr(field, "child_relation", field)  # a many=True field's own field
        queryset = getattr(field, "queryset", None)
        if field.read_only or queryset is None:
            continue
        label = queryset.model._meta.label
        if label in ("registry.Authority", "accounts.Organisation"):
            continue  # public reference data (councils, NHS bodies); writes check the scope
        offered = set(queryset.values_list("pk", flat=True))
        assert tenancy.in_scope(OPERATOR, Capability.VIEW_RECORDS, queryset.model).count() \
            > len(offered), f"{name}: the test needs another council's records to be missed"
        visible = set(tenancy.in_scope(OPERATOR, Capability.VIEW_RECORDS, queryset.model)
                      .filter(tenancy.RULES[label](tenancy.scope(request.user,
                                                                 Capability.VIEW_RECORDS)))
                      .values_list("pk", flat=True)) if label in tenancy.RULES else set()
        assert offered <= visible, f"{serializer_class.__name__}.{name} offers {label} " \
                                   "records outside the user's scope"


def _governance_records(two_councils) -> None:
    """Plans, teams, risks, decisions and rounds in both councils, for the later apps'
    serializers to be checked against."""
    from caresight.governance.tests.factories import make_decision, make_risk
    from caresight.grants.tests.factories import simple_round
    from caresight.plans.tests.factories import support_plan
    from caresight.workforce.tests.factories import team

    for key, name in (("own", "Own"), ("other", "Other")):
        authority = two_councils[key].authority
        support_plan(authority, name=f"{name} plan")
        team(authority)
        make_risk(authority)
        make_decision(authority)
        simple_round(authority)
