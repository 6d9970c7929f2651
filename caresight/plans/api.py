"""The API of action plans and the winter plan: the same selectors, services and permissions
as the pages. Lists take `as_of` and answer as things stood that day."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action as route
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import AS_OF, capability_permission, query_date, query_id, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority

from . import selectors, services, winter_plan
from .models import (
    ActionPlan,
    ActionStatus,
    ComplianceStatus,
    PlanAction,
    PlanArea,
    Rag,
    Timeline,
    WinterResponse,
)

# Read: VIEW_PLANS. Write: MANAGE_PLANS, except progress, which a partner records on the
# actions it leads (`reader_actions`: the service decides, naming the action).
PlansPermission = capability_permission(Capability.VIEW_PLANS, Capability.MANAGE_PLANS)


def _merged(serializer, names: list[str]) -> dict:
    """The validated data with, on a partial update, the record's values for the rest."""
    data = dict(serializer.validated_data)
    if serializer.instance is not None:
        for name in names:
            if name not in data:
                value = getattr(serializer.instance, name)
                data[name] = list(value.all()) if hasattr(value, "all") else value
    return data


class ActionPlanSerializer(serializers.ModelSerializer):
    authorities = serializers.SlugRelatedField(slug_field="ons_code", many=True,
                                               queryset=Authority.objects.none())
    partners = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                  queryset=selectors.partner_choices())
    areas = serializers.SerializerMethodField()

    class Meta:
        model = ActionPlan
        fields = ["id", "name", "authorities", "partners", "submitted_on", "status", "areas"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["authorities"].child_relation.queryset = tenancy.authorities(
                request.user, Capability.MANAGE_PLANS)

    def get_areas(self, plan) -> list[dict]:
        return [{"id": a.pk, "name": a.name} for a in plan.areas.all()]


PLAN_FIELDS = ["name", "authorities", "partners", "submitted_on", "status"]


class ActionPlanViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                        viewsets.ReadOnlyModelViewSet):
    """Action plans joint between authorities and partners, with their areas."""

    serializer_class = ActionPlanSerializer
    permission_classes = [permissions.IsAuthenticated, PlansPermission]
    filter_backends: list = []

    def get_queryset(self):
        if self.request.method in permissions.SAFE_METHODS:
            return selectors.plan_list(user=self.request.user)
        return tenancy.in_scope(self.request.user, Capability.MANAGE_PLANS, ActionPlan)

    def perform_create(self, serializer):
        serializer.instance = service_call(lambda: services.action_plan_save(
            user=self.request.user, **serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = service_call(lambda: services.action_plan_save(
            plan=serializer.instance, user=self.request.user,
            **_merged(serializer, PLAN_FIELDS)))


class ActionRowSerializer(serializers.Serializer):
    """An action as it stood on a day (documents the list and the detail)."""

    id = serializers.IntegerField(source="action_id")
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    area = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    timeline = serializers.ChoiceField(choices=Timeline.choices)
    due_on = serializers.DateField(allow_null=True)
    leads = serializers.CharField(help_text="The lead organisations' names, comma-separated.")
    owner = serializers.CharField()
    started_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)
    progress = serializers.CharField(help_text="The latest progress on or before the day.")
    progress_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


class PlanActionSerializer(serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=PlanArea.objects.none())
    leads = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                               queryset=selectors.partner_choices())

    class Meta:
        model = PlanAction
        fields = ["area", "title", "description", "timeline", "due_on", "leads", "owner",
                  "started_on", "status", "rag"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["area"].queryset = tenancy.in_scope(
                request.user, Capability.MANAGE_PLANS, PlanArea)


class ProgressSerializer(serializers.Serializer):
    on = serializers.DateField()
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)


ACTION_FIELDS = ["area", "title", "description", "timeline", "due_on", "leads", "owner",
                 "started_on", "status", "rag"]


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF, OpenApiParameter("plan", OpenApiTypes.INT)],
                       responses=ActionRowSerializer(many=True)),
    retrieve=extend_schema(parameters=[AS_OF], responses=ActionRowSerializer),
    create=extend_schema(request=PlanActionSerializer, responses=ActionRowSerializer),
    update=extend_schema(request=PlanActionSerializer, responses=ActionRowSerializer),
    partial_update=extend_schema(request=PlanActionSerializer, responses=ActionRowSerializer),
)
class PlanActionViewSet(viewsets.GenericViewSet):
    """The actions of plans, each as it stood on `as_of`; progress is recorded with
    `POST /api/plan-actions/{id}/progress/` (by the plan's commissioners, or a partner on an
    action it leads)."""

    serializer_class = PlanActionSerializer
    permission_classes = [permissions.IsAuthenticated, PlansPermission]
    reader_actions = ("progress",)
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return tenancy.in_scope(self.request.user, Capability.VIEW_PLANS, PlanAction)

    def _row(self, action, as_of=None) -> dict:
        return selectors.action_rows(user=self.request.user, action=action,
                                     as_of=as_of or timezone.localdate())[0]

    def list(self, request):
        as_of = query_date(request, "as_of", timezone.localdate())
        plan_id = query_id(request, "plan")
        plan = tenancy.access_action_plan(request.user, plan_id, Capability.VIEW_PLANS) \
            if plan_id is not None else None
        return Response(ActionRowSerializer(selectors.action_rows(
            user=request.user, as_of=as_of, plan=plan), many=True).data)

    def retrieve(self, request, pk=None):
        action = tenancy.access_plan_action(request.user, pk, Capability.VIEW_PLANS)
        as_of = query_date(request, "as_of", timezone.localdate())
        rows = selectors.action_rows(user=request.user, action=action, as_of=as_of)
        if not rows:
            return Response({"detail": "The action had not started on that day."}, status=404)
        return Response(ActionRowSerializer(rows[0]).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = service_call(lambda: services.plan_action_save(
            user=request.user, **serializer.validated_data))
        return Response(ActionRowSerializer(self._row(action, max(
            action.started_on, timezone.localdate()))).data, status=201)

    def _update(self, request, pk, partial: bool):
        action = tenancy.access_plan_action(request.user, pk, Capability.MANAGE_PLANS)
        serializer = self.get_serializer(action, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        saved = service_call(lambda: services.plan_action_save(
            action=action, user=request.user, **_merged(serializer, ACTION_FIELDS)))
        return Response(ActionRowSerializer(self._row(saved, max(
            saved.started_on, timezone.localdate()))).data)

    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    @extend_schema(request=ProgressSerializer, responses={201: ActionRowSerializer})
    @route(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        action = tenancy.access_plan_action(request.user, pk, Capability.VIEW_PLANS)
        serializer = ProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.progress_update_add(
            action=action, user=request.user, **serializer.validated_data))
        return Response(ActionRowSerializer(self._row(action)).data, status=201)


class WinterRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The response's ID, once one "
                                  "has been recorded.")
    authority = serializers.CharField()
    authority_code = serializers.CharField()
    area = serializers.CharField()
    area_code = serializers.CharField()
    requirement = serializers.CharField()
    text = serializers.CharField()
    national_due = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=ComplianceStatus.choices)
    owner = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    local_actions = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    updated_on = serializers.DateField(allow_null=True)


class WinterRecordSerializer(serializers.Serializer):
    authority = serializers.SlugRelatedField(slug_field="ons_code",
                                             queryset=Authority.objects.none())
    checklist = serializers.CharField(required=False)
    requirement = serializers.CharField()
    on = serializers.DateField()
    status = serializers.ChoiceField(choices=[c for c in ComplianceStatus.choices
                                              if c[0] != ComplianceStatus.NOT_ASSESSED])
    owner = serializers.CharField(required=False, allow_blank=True, default="")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    local_actions = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["authority"].queryset = tenancy.authorities(request.user,
                                                                    Capability.MANAGE_PLANS)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF, OpenApiParameter("authority", OpenApiTypes.STR),
                                   OpenApiParameter("checklist", OpenApiTypes.STR)],
                       responses=WinterRowSerializer(many=True)),
    retrieve=extend_schema(parameters=[AS_OF], responses=WinterRowSerializer),
    create=extend_schema(request=WinterRecordSerializer, responses=WinterRowSerializer),
    partial_update=extend_schema(request=WinterRecordSerializer, responses=WinterRowSerializer),
)
class WinterResponseViewSet(viewsets.GenericViewSet):
    """Each requirement of a winter plan checklist with the council's response as it stood on
    `as_of`. Creating (or updating) records how the council stands from a date."""

    serializer_class = WinterRecordSerializer
    permission_classes = [permissions.IsAuthenticated, PlansPermission]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return tenancy.in_scope(self.request.user, Capability.VIEW_PLANS, WinterResponse)

    def _checklist(self, code):
        try:
            return winter_plan.checklist(code or None)
        except KeyError:
            raise serializers.ValidationError(
                {"checklist": f"There is no winter plan checklist {code}."}) from None

    def _rows(self, request, authorities, checklist, as_of=None):
        rows = selectors.winter_rows(
            user=request.user, as_of=as_of or query_date(request, "as_of", timezone.localdate()),
            checklist=checklist, authorities=authorities)
        ids = {(r.authority.ons_code, r.requirement): r.pk for r in self.get_queryset()
               .filter(checklist=checklist.code).select_related("authority")}
        return [dict(row, id=ids.get((row["authority_code"], row["requirement"])))
                for row in rows]

    def list(self, request):
        checklist = self._checklist(request.query_params.get("checklist"))
        code = request.query_params.get("authority")
        authorities = ([tenancy.access_authority(request.user, code, Capability.VIEW_PLANS)]
                       if code else None)
        return Response(WinterRowSerializer(self._rows(request, authorities, checklist),
                                            many=True).data)

    def retrieve(self, request, pk=None):
        response = tenancy.access_winter_response(request.user, pk, Capability.VIEW_PLANS)
        checklist = self._checklist(response.checklist)
        row = next(r for r in self._rows(request, [response.authority], checklist)
                   if r["requirement"] == response.requirement)
        return Response(WinterRowSerializer(row).data)

    def _record(self, request, data, status):
        checklist = self._checklist(data.pop("checklist", None))
        service_call(lambda: services.winter_response_record(
            checklist=checklist.code, user=request.user, **data))
        row = next(r for r in self._rows(request, [data["authority"]], checklist,
                                         as_of=max(data["on"], timezone.localdate()))
                   if r["requirement"] == data["requirement"])
        return Response(WinterRowSerializer(row).data, status=status)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._record(request, dict(serializer.validated_data), 201)

    def partial_update(self, request, pk=None):
        response = tenancy.access_winter_response(request.user, pk, Capability.MANAGE_PLANS)
        serializer = self.get_serializer(data={
            "authority": response.authority.ons_code, "checklist": response.checklist,
            "requirement": response.requirement, **request.data})
        serializer.is_valid(raise_exception=True)
        return self._record(request, dict(serializer.validated_data), 200)
