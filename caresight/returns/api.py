"""The returns API: submit, list, latest per service, summaries and the chase list.

The same selectors, services and permissions as the pages.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import query_date, query_id, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Location
from caresight.registry.selectors import location_list

from . import selectors, services
from .models import Measure, MeasureSet, Return


class MeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measure
        fields = ["code", "section", "label", "hint", "kind", "minimum", "maximum", "choices",
                  "required"]


class MeasureSetSerializer(serializers.ModelSerializer):
    measures = MeasureSerializer(many=True, read_only=True)

    class Meta:
        model = MeasureSet
        fields = ["service_group", "version", "title", "in_use_from", "expected_every_days",
                  "rules", "measures"]


class ReturnSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.none(), pk_field=serializers.CharField(),
        help_text="The service's ID (see /api/locations/).")
    cqc_location_id = serializers.CharField(source="location.cqc_location_id", read_only=True,
                                            allow_null=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    measure_set = serializers.SerializerMethodField()
    answers = serializers.DictField(
        write_only=True, help_text="Measure code -> answer: numbers, true/false or "
        "\"yes\"/\"no\", a choice's value, or a date (YYYY-MM-DD).")

    class Meta:
        model = Return
        fields = ["id", "location", "cqc_location_id", "location_name", "for_date", "version",
                  "values", "answers", "source", "submitted_at", "measure_set"]
        read_only_fields = ["version", "values", "source", "submitted_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["location"].queryset = location_list(user=request.user)

    def get_measure_set(self, ret) -> str:
        return f"{ret.measure_set.service_group} v{ret.measure_set.version}"

    def validate_location(self, location):
        if not tenancy.allows(self.context["request"].user, Capability.SUBMIT_RETURNS,
                              location):
            raise serializers.ValidationError("You cannot submit returns for this service.")
        return location


class ChaseRowSerializer(serializers.Serializer):
    """A service without a current return, with whom to chase (documents the chase list)."""

    location_id = serializers.IntegerField()
    cqc_location_id = serializers.CharField(help_text="Empty for a service CQC does not "
                                            "register.")
    name = serializers.CharField()
    authority = serializers.CharField()
    locality = serializers.CharField()
    service_type = serializers.CharField()
    last_return = serializers.DateField(allow_null=True)
    manager = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    provider = serializers.CharField()
    provider_contact = serializers.CharField()


class ReturnPermission(permissions.BasePermission):
    """Reading needs the view capability; submitting needs the submit capability."""

    def has_permission(self, request, view):
        if view.action == "summary":
            return tenancy.has_capability(request.user, Capability.VIEW_AGGREGATES)
        capability = (Capability.VIEW_RECORDS if request.method in permissions.SAFE_METHODS
                      else Capability.SUBMIT_RETURNS)
        return tenancy.has_capability(request.user, capability)


DATE_PARAMS = [
    OpenApiParameter("as_of", OpenApiTypes.DATE,
                     description="Default: today. From 2000-01-01 to 2099-12-31."),
    OpenApiParameter("authority", OpenApiTypes.STR, description="ONS code of one authority."),
]


class ReturnViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Provider returns. A second submission for the same service and day is a new version."""

    serializer_class = ReturnSerializer
    permission_classes = [permissions.IsAuthenticated, ReturnPermission]
    filter_backends: list = []

    def get_queryset(self):
        request = self.request
        queryset = selectors.return_list(
            user=request.user, date_from=query_date(request, "from"),
            date_to=query_date(request, "to"),
            authority=request.query_params.get("authority"))
        location = query_id(request, "location")
        if location is not None:
            queryset = queryset.filter(location_id=location)
        if request.query_params.get("cqc_location_id"):
            queryset = queryset.filter(
                location__cqc_location_id=request.query_params["cqc_location_id"])
        return queryset

    @extend_schema(parameters=[
        OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE),
        OpenApiParameter("authority", OpenApiTypes.STR),
        OpenApiParameter("location", OpenApiTypes.INT, description="The service's ID."),
        OpenApiParameter("cqc_location_id", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        submitted = service_call(lambda: services.return_submit(
            location=data["location"], for_date=data["for_date"], answers=data["answers"],
            user=request.user))
        body = dict(self.get_serializer(submitted.ret).data, warnings=submitted.warnings)
        return Response(body, status=201)

    @extend_schema(parameters=DATE_PARAMS, responses=ReturnSerializer(many=True),
                   summary="Each service's current return on a day")
    @action(detail=False)
    def latest(self, request):
        queryset = selectors.latest_returns(
            user=request.user, as_of=query_date(request, "as_of", timezone.localdate()),
            authority=request.query_params.get("authority"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[*DATE_PARAMS, OpenApiParameter(
        "previous", OpenApiTypes.DATE, description="The day to compare with (none: no "
        "comparison).")],
                   responses=OpenApiTypes.OBJECT, summary="The returns summary on a day")
    @action(detail=False)
    def summary(self, request):
        return Response(selectors.returns_summary(
            user=request.user, as_of=query_date(request, "as_of", timezone.localdate()),
            previous=query_date(request, "previous"),
            authority=request.query_params.get("authority")))

    @extend_schema(parameters=DATE_PARAMS, responses=ChaseRowSerializer(many=True),
                   summary="Services without a current return, with who to chase")
    @action(detail=False, pagination_class=None)
    def chase(self, request):
        return Response(selectors.chase_list(
            user=request.user, as_of=query_date(request, "as_of", timezone.localdate()),
            authority=request.query_params.get("authority")))


class MeasureSetViewSet(viewsets.ReadOnlyModelViewSet):
    """The questions of each return, every version (public reference data)."""

    serializer_class = MeasureSetSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return MeasureSet.objects.prefetch_related("measures").order_by("service_group",
                                                                        "version")
