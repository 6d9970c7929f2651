"""The workforce API: teams and their weeks, with the same selectors, services and permissions
as the pages. Lists take `as_of` and answer as things stood that day."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import AS_OF, capability_permission, query_date, query_id, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority

from . import selectors, services
from .models import COUNT_FIELDS, Team, TeamWeek

AUTHORITY = OpenApiParameter("authority", OpenApiTypes.STR,
                             description="ONS code of an authority or region.")
TEAM = OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's weeks.")


WorkforcePermission = capability_permission(Capability.VIEW_PLANS, Capability.MANAGE_PLANS)


def _unchanged(serializer, names: list[str]) -> None:
    """On an update, refuse a change to what identifies the record, naming the field."""
    for name in names:
        if name in serializer.validated_data and (
                serializer.validated_data[name] != getattr(serializer.instance, name)):
            raise ValidationError({name: "This cannot be changed; record another instead."})


class TeamWeekSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    team_name = serializers.CharField(source="team.name", read_only=True)
    authority = serializers.CharField(source="team.authority.ons_code", read_only=True)
    total_absent = serializers.IntegerField(read_only=True)
    percent_absent = serializers.DecimalField(max_digits=4, decimal_places=1, read_only=True,
                                              allow_null=True)

    class Meta:
        model = TeamWeek
        fields = ["id", "team", "team_name", "authority", "week_commencing", *COUNT_FIELDS,
                  "total_absent", "percent_absent", "note"]
        validators: list = []  # recording a week again corrects it (the service decides)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = selectors.team_list(
                user=request.user, capability=Capability.MANAGE_PLANS)


class TeamSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="ons_code",
                                             queryset=Authority.objects.none())
    week = serializers.SerializerMethodField(
        help_text="The team's latest week commencing on or before as_of (null if none).")

    class Meta:
        model = Team
        fields = ["id", "authority", "name", "week"]
        validators: list = []  # the service names the field of a duplicate team

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["authority"].queryset = tenancy.authorities(
                request.user, Capability.MANAGE_PLANS)

    @extend_schema_field(TeamWeekSerializer(allow_null=True))
    def get_week(self, team) -> dict | None:
        week = self.context.get("weeks", {}).get(team.pk)
        return None if week is None else TeamWeekSerializer(week).data


@extend_schema_view(list=extend_schema(parameters=[AS_OF, AUTHORITY]),
                    retrieve=extend_schema(parameters=[AS_OF]))
class TeamViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                  viewsets.ReadOnlyModelViewSet):
    """The council's teams, each with its latest week on or before `as_of`."""

    serializer_class = TeamSerializer
    permission_classes = [permissions.IsAuthenticated, WorkforcePermission]
    filter_backends: list = []

    def get_queryset(self):
        if self.request.method in permissions.SAFE_METHODS:
            return selectors.team_list(user=self.request.user,
                                       authority=self.request.query_params.get("authority"))
        return selectors.team_list(user=self.request.user, capability=Capability.MANAGE_PLANS)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.method in permissions.SAFE_METHODS:
            as_of = query_date(self.request, "as_of", timezone.localdate())
            context["weeks"] = {week.team_id: week for week in selectors.weeks_as_of(
                user=self.request.user, as_of=as_of,
                authority=self.request.query_params.get("authority"))}
        return context

    def perform_create(self, serializer):
        serializer.instance = service_call(lambda: services.team_create(
            user=self.request.user, **serializer.validated_data))

    def perform_update(self, serializer):
        _unchanged(serializer, ["authority"])
        serializer.instance = service_call(lambda: services.team_update(
            team=serializer.instance, user=self.request.user,
            name=serializer.validated_data.get("name", serializer.instance.name)))


@extend_schema_view(list=extend_schema(parameters=[AS_OF, TEAM, AUTHORITY]))
class TeamWeekViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    """Teams' weeks: staff in post, COVID-19 absences by reason, vacancies, redeployments.
    Creating a week already recorded corrects it (200); a new week is 201."""

    serializer_class = TeamWeekSerializer
    permission_classes = [permissions.IsAuthenticated, WorkforcePermission]
    filter_backends: list = []

    def get_queryset(self):
        if self.request.method not in permissions.SAFE_METHODS:
            return selectors.week_list(user=self.request.user,
                                       capability=Capability.MANAGE_PLANS)
        if self.action != "list":
            return selectors.week_list(user=self.request.user)
        return selectors.week_list(
            user=self.request.user, as_of=query_date(self.request, "as_of",
                                                     timezone.localdate()),
            team=query_id(self.request, "team"),
            authority=self.request.query_params.get("authority"))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team, day = data.pop("team"), data.pop("week_commencing")
        existed = selectors.week_list(user=request.user, capability=Capability.MANAGE_PLANS,
                                      team=team.pk).filter(week_commencing=day).exists()
        week = service_call(lambda: services.team_week_record(
            team=team, week_commencing=day, user=request.user, **data))
        return Response(self.get_serializer(week).data, status=200 if existed else 201)

    def perform_update(self, serializer):
        _unchanged(serializer, ["team", "week_commencing"])
        changes = {name: value for name, value in serializer.validated_data.items()
                   if name not in ("team", "week_commencing")}
        serializer.instance = service_call(lambda: services.team_week_update(
            week=serializer.instance, user=self.request.user, **changes))
