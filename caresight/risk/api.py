"""The risk log API: the log and the priorities for any day, and overrides.

The same selectors, services and permissions as the pages.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import capability_permission, query_date, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Location
from caresight.registry.selectors import location_list

from . import selectors, services
from .models import Override, Rating

LOG_PARAMS = [
    OpenApiParameter("as_of", OpenApiTypes.DATE,
                     description="Default: today. From 2000-01-01 to 2099-12-31."),
    OpenApiParameter("authority", OpenApiTypes.STR,
                     description="ONS code of an authority or region."),
]


class FiredRuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    rating = serializers.ChoiceField(choices=Rating.choices)
    why = serializers.CharField()


class RiskLogRowSerializer(serializers.Serializer):
    """A service's row on the risk log (documents the log and the priorities)."""

    location_id = serializers.IntegerField()
    cqc_location_id = serializers.CharField(help_text="Empty for a service CQC does not "
                                            "register.")
    name = serializers.CharField()
    provider = serializers.CharField()
    authority = serializers.CharField()
    authority_id = serializers.IntegerField()
    locality = serializers.CharField()
    service_type = serializers.CharField()
    rating = serializers.ChoiceField(choices=Rating.choices,
                                     help_text="The rating given: an override's, if any.")
    computed_rating = serializers.ChoiceField(choices=Rating.choices,
                                              help_text="The rules' rating.")
    score = serializers.IntegerField()
    fired = FiredRuleSerializer(many=True)
    override_reason = serializers.CharField()
    override_expires_on = serializers.DateField(allow_null=True)
    saved = serializers.BooleanField(help_text="Whether the row is from the log as saved.")


RiskPermission = capability_permission(Capability.VIEW_OUTBREAKS, Capability.MANAGE_OUTBREAKS)


class RiskLogViewSet(viewsets.ViewSet):
    """Each service's RAG rating on a day, red first, with the rules that fired and why."""

    permission_classes = [permissions.IsAuthenticated, RiskPermission]

    def _log(self, request):
        return selectors.risk_log(user=request.user,
                                  as_of=query_date(request, "as_of", timezone.localdate()),
                                  authority=request.query_params.get("authority"))

    @extend_schema(parameters=LOG_PARAMS, responses=RiskLogRowSerializer(many=True))
    def list(self, request):
        return Response(self._log(request).rows())

    @extend_schema(parameters=LOG_PARAMS, responses=RiskLogRowSerializer(many=True),
                   summary="Whom to support or test first")
    @action(detail=False)
    def priorities(self, request):
        return Response(selectors.priorities(self._log(request)))


class OverrideSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.none(), pk_field=serializers.CharField())

    class Meta:
        model = Override
        fields = ["id", "location", "rating", "reason", "starts_on", "expires_on"]
        extra_kwargs = {"reason": {"allow_blank": True, "required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["location"].queryset = location_list(
                user=request.user, capability=Capability.MANAGE_OUTBREAKS)


class OverrideViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Officers' ratings in place of the rules', each with a reason and an expiry."""

    serializer_class = OverrideSerializer
    permission_classes = [permissions.IsAuthenticated, RiskPermission]
    filter_backends: list = []

    def get_queryset(self):
        return tenancy.in_scope(self.request.user, Capability.VIEW_OUTBREAKS,
                                Override).order_by("-starts_on", "pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        override = service_call(lambda: services.override_set(
            user=request.user, **{"reason": "", **serializer.validated_data}))
        return Response(self.get_serializer(override).data, status=201)
