"""The beds API: schemes with their beds on a day, placements as they stood on a day, and the
occupancy summary and daily sitrep, through the same selectors, services and tenancy door as
the pages. A placement's NHS number may be given (write-only); its hash is never answered.
"""

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.api import (
    AS_OF,
    DateField,
    capability_permission,
    query_date,
    query_id,
    service_call,
)
from caresight.core.tenancy import Capability
from caresight.governance.models import FundingSource
from caresight.registry.models import Authority, ClientGroup, Location

from . import selectors, services
from .models import (
    BedScheme,
    CovidStatus,
    Destination,
    Pathway,
    PaymentBasis,
    Placement,
    SchemeKind,
    Source,
)

C = Capability
PENNY = Decimal("0.01")
AUTHORITY = OpenApiParameter("authority", OpenApiTypes.STR,
                             description="ONS code of one authority (default: every one you "
                             "may see).")
CURRENT = OpenApiParameter("current", OpenApiTypes.BOOL,
                           description="Only the people in a bed on as_of.")
SCHEME = OpenApiParameter("scheme", OpenApiTypes.INT, description="Only this scheme's.")

SchemePermission = capability_permission(C.VIEW_BEDS, C.MANAGE_BEDS)
PlacementPermission = capability_permission(C.VIEW_BEDS, C.PLACE_BEDS)


def _user(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


def _as_of(request):
    return query_date(request, "as_of", timezone.localdate())


def _money(**kwargs):
    return serializers.CharField(help_text='Pounds and pence as text, e.g. "850.00".', **kwargs)


# --- Schemes -----------------------------------------------------------------------------


class SchemeSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="ons_code",
                                             queryset=Authority.objects.none(),
                                             help_text="The authority's ONS code.")
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.none(),
                                                  help_text="The service's ID (the register).")
    service = serializers.CharField(source="location.name", read_only=True)
    cqc_location_id = serializers.CharField(source="location.cqc_location_id", read_only=True,
                                            allow_null=True)
    commissioned_by = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(), help_text="The commissioning organisation's ID.")
    commissioned_by_name = serializers.CharField(source="commissioned_by.name", read_only=True)
    kind = serializers.ChoiceField(choices=SchemeKind.choices)
    payment_basis = serializers.ChoiceField(
        choices=PaymentBasis.choices, required=False,
        help_text="Default: spot for a spot purchase, block for every other kind.")
    funding_source = serializers.ChoiceField(choices=FundingSource.choices)
    client_groups = serializers.ListField(child=serializers.ChoiceField(
        choices=ClientGroup.choices), required=False)
    weekly_rate = _money()
    starts_on = DateField()
    beds = serializers.IntegerField(write_only=True,
                                    help_text="Beds commissioned from the start date.")
    beds_then = serializers.SerializerMethodField(help_text="Beds commissioned on as_of.")
    occupied = serializers.SerializerMethodField(help_text="Beds occupied on as_of.")
    free = serializers.SerializerMethodField(help_text="Beds free on as_of.")

    class Meta:
        model = BedScheme
        fields = ["id", "authority", "name", "kind", "location", "service", "cqc_location_id",
                  "payment_basis", "client_groups", "max_stay_days", "funding_source",
                  "weekly_rate", "commissioned_by", "commissioned_by_name", "starts_on",
                  "ends_on", "cqc_assured_on", "notes", "beds", "beds_then", "occupied", "free"]
        extra_kwargs = {"notes": {"required": False}}
        validators: list = []  # the service names the field of a duplicate name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if "authority" in self.fields:
            self.fields["authority"].queryset = tenancy.authorities(user, C.MANAGE_BEDS)
        self.fields["location"].queryset = tenancy.in_scope(user, C.MANAGE_BEDS,
                                                            "registry.Location")
        # Any council or NHS partner: a partner sees a scheme only where it also has people
        # in the scheme's authority (core.tenancy's funder grants).
        self.fields["commissioned_by"].queryset = Organisation.objects.filter(
            kind__in=selectors.COMMISSIONERS)

    def _day(self, scheme) -> selectors.SchemeDay | None:
        return self.context.get("days", {}).get(scheme.pk)

    def get_beds_then(self, scheme) -> int | None:
        day = self._day(scheme)
        return None if day is None else day.commissioned

    def get_occupied(self, scheme) -> int | None:
        day = self._day(scheme)
        return None if day is None else day.occupied

    def get_free(self, scheme) -> int | None:
        day = self._day(scheme)
        return None if day is None else day.free

    def validate_weekly_rate(self, value: str) -> str:
        try:  # the service reads the pounds; an amount no ledger holds is refused here
            Decimal(value.replace("£", "").replace(",", "").strip()).quantize(PENNY)
        except (InvalidOperation, ValueError):
            raise serializers.ValidationError(
                f"Enter the weekly rate in pounds, like 850.00, not {value!r}.") from None
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["weekly_rate"] = str(instance.weekly_rate)
        return data


class SchemeUpdateSerializer(SchemeSerializer):
    class Meta(SchemeSerializer.Meta):
        fields = list(services.SCHEME_FIELDS)
        extra_kwargs = {name: {"required": False} for name in services.SCHEME_FIELDS}


class CapacitySerializer(serializers.Serializer):
    from_date = DateField()
    beds = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


def _scheme_days(user, schemes, as_of) -> dict[int, selectors.SchemeDay]:
    """scheme ID -> its beds on `as_of` (absent for a scheme not running then)."""
    found = selectors.running_on(selectors.scheme_list(user=user).filter(
        pk__in=[s.pk for s in schemes]), as_of)
    return {day.scheme.pk: day for day in selectors.days_of(found, as_of)}


@extend_schema_view(retrieve=extend_schema(parameters=[AS_OF]))
class SchemeViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """Bed schemes. The list is the schemes running on as_of, each with its beds, occupied and
    free that day; a scheme is set up with its first beds, and changed field by field (its
    beds from a day on through `capacity`)."""

    serializer_class = SchemeSerializer
    permission_classes = [permissions.IsAuthenticated, SchemePermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.scheme_list(user=self.request.user).order_by("pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "retrieve":
            scheme = self.get_object()
            context["days"] = _scheme_days(self.request.user, [scheme], _as_of(self.request))
        return context

    def _managed(self) -> BedScheme:
        # Another council's scheme, or one the user may only see, answers 404 as if absent.
        return tenancy.access_bed_scheme(self.request.user, self.kwargs["pk"], C.MANAGE_BEDS)

    def _answer(self, scheme, status=200):
        scheme = self.get_queryset().get(pk=scheme.pk)
        context = {**super().get_serializer_context(),
                   "days": _scheme_days(self.request.user, [scheme], timezone.localdate())}
        return Response(SchemeSerializer(scheme, context=context).data, status=status)

    @extend_schema(parameters=[AS_OF, AUTHORITY])
    def list(self, request, *args, **kwargs):
        days = selectors.scheme_days(user=request.user, as_of=_as_of(request),
                                     authority=request.query_params.get("authority"))
        days.sort(key=lambda d: d.scheme.pk)
        page = self.paginate_queryset(days)
        context = {**self.get_serializer_context(), "days": {d.scheme.pk: d for d in page}}
        data = SchemeSerializer([d.scheme for d in page], many=True, context=context).data
        return self.get_paginated_response(data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scheme = service_call(lambda: services.scheme_create(user=request.user,
                                                             **serializer.validated_data))
        return self._answer(scheme, status=201)

    @extend_schema(request=SchemeUpdateSerializer, responses=SchemeSerializer)
    def partial_update(self, request, *args, **kwargs):
        scheme = self._managed()
        serializer = SchemeUpdateSerializer(data=request.data, partial=True,
                                            context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        service_call(lambda: services.scheme_update(scheme=scheme, user=request.user,
                                                    **changes))
        return self._answer(scheme)

    @extend_schema(request=CapacitySerializer, responses={201: SchemeSerializer},
                   summary="Change a scheme's beds from a day on")
    @action(detail=True, methods=["post"])
    def capacity(self, request, pk=None):
        scheme = self._managed()
        serializer = CapacitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.capacity_set(scheme=scheme, user=request.user,
                                                   **serializer.validated_data))
        return self._answer(scheme, status=201)


# --- Placements --------------------------------------------------------------------------


class PlacementSerializer(serializers.ModelSerializer):
    scheme = serializers.PrimaryKeyRelatedField(
        queryset=BedScheme.objects.none(),
        help_text="The scheme's ID (one you may place in).")
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)
    authority = serializers.CharField(source="scheme.authority.ons_code", read_only=True)
    bed_number = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="Default: the lowest free bed.")
    nhs_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="",
        help_text="Optional; checked by its check digit and kept only as a keyed hash "
        "(never answered back).")
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    covid_status = serializers.ChoiceField(choices=CovidStatus.choices)
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    destination = serializers.ChoiceField(choices=Destination.choices, required=False,
                                          allow_blank=True)
    funding_source = serializers.ChoiceField(
        choices=FundingSource.choices, required=False, allow_blank=True,
        help_text="Default: the scheme's.")
    admitted_on = DateField()
    placed_by = serializers.SerializerMethodField(
        help_text="Who placed the person (null: the system, as for an import by the "
        "command line).")
    nights = serializers.SerializerMethodField(
        help_text="Nights in the bed by as_of (or to the discharge).")
    overstaying = serializers.SerializerMethodField(
        help_text="In a bed on as_of past the scheme's longest intended stay.")

    class Meta:
        model = Placement
        # Never "nhs_number_hash": not to officers, not to providers, not in any answer.
        fields = ["id", "scheme", "scheme_name", "authority", "bed_number", "person_reference",
                  "nhs_number", "source", "hospital_trust", "hospital_site", "admitted_on",
                  "expected_discharge_on", "discharged_on", "destination", "covid_status",
                  "pathway", "funding_source", "placed_by", "notes", "nights", "overstaying"]
        extra_kwargs = {"hospital_trust": {"required": False},
                        "hospital_site": {"required": False}, "notes": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "scheme" in self.fields:
            self.fields["scheme"].queryset = tenancy.in_scope(_user(self), C.PLACE_BEDS,
                                                              BedScheme)

    def get_placed_by(self, placement) -> str | None:
        return str(placement.placed_by) if placement.placed_by_id else None

    def _stood(self, placement) -> dict:
        as_of = self.context.get("as_of") or timezone.localdate()
        return selectors.as_it_stood(placement, as_of)

    def get_nights(self, placement) -> int:
        return self._stood(placement)["nights"]

    def get_overstaying(self, placement) -> bool:
        return self._stood(placement)["overstaying"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        stood = self._stood(instance)  # a discharge after as_of had not happened then
        data["discharged_on"] = (stood["discharged_on"].isoformat() if stood["discharged_on"]
                                 else None)
        data["destination"] = stood["destination"]
        return data


class PlacementUpdateSerializer(PlacementSerializer):
    class Meta(PlacementSerializer.Meta):
        fields = [*services.PLACEMENT_FIELDS, "nhs_number"]
        extra_kwargs = {name: {"required": False} for name in services.PLACEMENT_FIELDS}


class DischargeSerializer(serializers.Serializer):
    discharged_on = DateField()
    destination = serializers.ChoiceField(choices=Destination.choices)


@extend_schema_view(retrieve=extend_schema(parameters=[AS_OF]))
class PlacementViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):
    """Placements, newest admission first. The list is those admitted by as_of, as they stood
    that day (a later discharge not yet shown); `current` keeps the people in a bed then.
    A placement is made into a scheme you may place in, changed field by field, and ended
    with `discharge`."""

    serializer_class = PlacementSerializer
    permission_classes = [permissions.IsAuthenticated, PlacementPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.placement_list(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.method in permissions.SAFE_METHODS:
            context["as_of"] = _as_of(self.request)
        return context

    def _placed(self) -> Placement:
        return tenancy.access_placement(self.request.user, self.kwargs["pk"], C.PLACE_BEDS)

    def _answer(self, placement, status=200):
        placement = self.get_queryset().get(pk=placement.pk)
        return Response(self.get_serializer(placement).data, status=status)

    @extend_schema(parameters=[AS_OF, CURRENT, SCHEME, AUTHORITY])
    def list(self, request, *args, **kwargs):
        as_of = _as_of(request)
        current = (request.query_params.get("current") or "").lower() in ("1", "true", "yes")
        placements = selectors.placement_list(user=request.user, as_of=as_of, current=current)
        scheme = query_id(request, "scheme")
        if scheme is not None:
            placements = placements.filter(scheme_id=scheme)
        authority = request.query_params.get("authority")
        if authority:
            placements = placements.filter(scheme__authority__ons_code=authority.upper())
        page = self.paginate_queryset(placements)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data.get("destination"):
            data.pop("destination", None)
        placement = service_call(lambda: services.placement_create(user=request.user, **data))
        return self._answer(placement, status=201)

    @extend_schema(request=PlacementUpdateSerializer, responses=PlacementSerializer)
    def partial_update(self, request, *args, **kwargs):
        placement = self._placed()
        serializer = PlacementUpdateSerializer(data=request.data, partial=True,
                                               context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        nhs_number = changes.pop("nhs_number", None)
        service_call(lambda: services.placement_update(placement=placement, user=request.user,
                                                       nhs_number=nhs_number, **changes))
        return self._answer(placement)

    @extend_schema(request=DischargeSerializer, responses=PlacementSerializer,
                   summary="Discharge a person from their bed")
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        placement = self._placed()
        serializer = DischargeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.placement_discharge(placement=placement, user=request.user,
                                                          **serializer.validated_data))
        return self._answer(placement)


# --- Occupancy and the sitrep ------------------------------------------------------------


class KindCountsSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    schemes = serializers.IntegerField()
    commissioned = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free = serializers.IntegerField()


class OccupancySerializer(serializers.Serializer):
    """What `caresight summary beds --format json` prints (selectors.summary)."""

    as_of = serializers.DateField()
    authority = serializers.CharField(allow_null=True)
    commissioned = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free = serializers.IntegerField()
    by_kind = serializers.DictField(child=KindCountsSerializer(),
                                    help_text="Kind of scheme -> its counts.")
    overstays = serializers.IntegerField(
        help_text="People in a bed past their scheme's longest intended stay.")


class SitrepTotalSerializer(serializers.Serializer):
    schemes = serializers.IntegerField()
    commissioned = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free = serializers.IntegerField()
    admissions = serializers.IntegerField()
    discharges = serializers.IntegerField()


class SitrepRowSerializer(SitrepTotalSerializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class SitrepSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    as_at = serializers.DateTimeField()
    rows = SitrepRowSerializer(many=True)
    total = SitrepTotalSerializer()


class BedsViewSet(viewsets.GenericViewSet):
    """The beds on a day: the occupancy summary and the daily sitrep."""

    permission_classes = [permissions.IsAuthenticated, SchemePermission]
    filter_backends: list = []
    pagination_class = None
    serializer_class = OccupancySerializer

    @extend_schema(parameters=[AS_OF, AUTHORITY], responses=OccupancySerializer,
                   summary="Beds commissioned, occupied and free on a day, by kind")
    @action(detail=False)
    def occupancy(self, request):
        return Response(selectors.summary(user=request.user, as_of=_as_of(request),
                                          authority=request.query_params.get("authority")))

    @extend_schema(parameters=[AS_OF, AUTHORITY], responses=SitrepSerializer,
                   summary="The daily sitrep as at 08:00 on as_of, by kind of scheme")
    @action(detail=False)
    def sitrep(self, request):
        found = selectors.sitrep(user=request.user, as_of=_as_of(request),
                                 authority=request.query_params.get("authority"))
        return Response(SitrepSerializer(found).data)


__all__ = ["BedsViewSet", "PlacementViewSet", "SchemeViewSet"]
