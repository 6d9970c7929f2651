"""The outbreaks API: report, update, override the status, and the tracker for any day.

The same selectors, services and permissions as the pages.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import DateField, capability_permission, query_date, query_id, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Location
from caresight.registry.selectors import location_list

from . import selectors, services
from .models import Kind, Outbreak, Status, StatusChange, Update


class UpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Update
        fields = ["on", "kind", "new_cases_residents", "new_cases_staff", "deaths",
                  "admissions_closed", "notes", "source", "recorded_at"]
        read_only_fields = ["source", "recorded_at"]


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusChange
        fields = ["on", "status", "automatic", "reason"]


class OutbreakSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.none(), pk_field=serializers.CharField(),
        help_text="The service's ID (see /api/locations/).")
    cqc_location_id = serializers.CharField(source="location.cqc_location_id", read_only=True,
                                            allow_null=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    updates = UpdateSerializer(many=True, read_only=True)
    status_changes = StatusChangeSerializer(many=True, read_only=True)
    new_cases_residents = serializers.IntegerField(write_only=True, default=0)
    new_cases_staff = serializers.IntegerField(write_only=True, default=0)
    deaths = serializers.IntegerField(write_only=True, default=0)

    class Meta:
        model = Outbreak
        fields = ["id", "location", "cqc_location_id", "location_name", "reported_on",
                  "reported_by", "reporter_name", "kind", "first_symptoms_on",
                  "admissions_closed", "notes", "last_case_on", "closed_on",
                  "de_escalation_days", "closure_days", "new_cases_residents",
                  "new_cases_staff", "deaths", "updates", "status_changes"]
        read_only_fields = ["last_case_on", "closed_on", "de_escalation_days", "closure_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["location"].queryset = location_list(
                user=request.user, capability=Capability.MANAGE_OUTBREAKS)


@extend_schema_serializer(component_name="StatusOverride")
class OverrideSerializer(serializers.Serializer):
    on = DateField()
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(allow_blank=True, default="")


OutbreakPermission = capability_permission(Capability.VIEW_OUTBREAKS,
                                           Capability.MANAGE_OUTBREAKS)


class OutbreakViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Outbreaks at services, with their updates and dated status changes."""

    serializer_class = OutbreakSerializer
    permission_classes = [permissions.IsAuthenticated, OutbreakPermission]
    filter_backends: list = []

    def get_queryset(self):
        queryset = selectors.outbreak_list(user=self.request.user).prefetch_related(
            "updates", "status_changes").order_by("-reported_on", "pk")
        location = query_id(self.request, "location")
        if location is not None:
            queryset = queryset.filter(location_id=location)
        return queryset

    def _managed(self) -> Outbreak:
        outbreak = self.get_object()
        if not tenancy.allows(self.request.user, Capability.MANAGE_OUTBREAKS, outbreak):
            raise NotFound  # as for an outbreak that does not exist
        return outbreak

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        counts = services.Counts(
            kind=data["kind"], new_cases_residents=data["new_cases_residents"],
            new_cases_staff=data["new_cases_staff"], deaths=data["deaths"],
            admissions_closed=data.get("admissions_closed"), notes=data.get("notes", ""))
        outbreak = service_call(lambda: services.outbreak_report(
            location=data["location"], reported_on=data["reported_on"],
            reported_by=data["reported_by"], reporter_name=data.get("reporter_name", ""),
            first_symptoms_on=data.get("first_symptoms_on"), counts=counts, user=request.user,
            source=Update.Source.API))
        return Response(self.get_serializer(self.get_queryset().get(pk=outbreak.pk)).data,
                        status=201)

    @extend_schema(request=UpdateSerializer, responses={201: OutbreakSerializer},
                   summary="Add the day's update (new cases since the last, deaths)")
    @action(detail=True, methods=["post"])
    def updates(self, request, pk=None):
        outbreak = self._managed()
        serializer = UpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        counts = services.Counts(
            kind=data.get("kind", Kind.SUSPECTED), deaths=data.get("deaths", 0),
            new_cases_residents=data.get("new_cases_residents", 0),
            new_cases_staff=data.get("new_cases_staff", 0),
            admissions_closed=data.get("admissions_closed"), notes=data.get("notes", ""))
        service_call(lambda: services.update_record(
            outbreak=outbreak, on=data["on"], counts=counts, user=request.user,
            source=Update.Source.API))
        return Response(self.get_serializer(self.get_queryset().get(pk=outbreak.pk)).data,
                        status=201)

    @extend_schema(request=OverrideSerializer, responses={201: OutbreakSerializer},
                   summary="Set the status by hand from a day, with the reason")
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        outbreak = self._managed()
        serializer = OverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.status_override(
            outbreak=outbreak, user=request.user, **serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=outbreak.pk)).data,
                        status=201)

    @extend_schema(parameters=[
        OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today."),
        OpenApiParameter("since", OpenApiTypes.DATE,
                         description="Start of the period for closed and new outbreaks; "
                         f"default {selectors.DEFAULT_PERIOD_DAYS - 1} days before as_of."),
        OpenApiParameter("authority", OpenApiTypes.STR,
                         description="ONS code of an authority or region.")],
        responses=OpenApiTypes.OBJECT, summary="The outbreak tracker on a day, with its rows")
    @action(detail=False)
    def tracker(self, request):
        summary, rows = selectors.tracker(
            user=request.user, as_of=query_date(request, "as_of", timezone.localdate()),
            since=query_date(request, "since"), authority=request.query_params.get("authority"))
        return Response(dict(summary, rows=rows))
