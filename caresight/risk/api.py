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
from caresight.core.api import query_date, service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Location
from caresight.registry.selectors import location_list

from . import selectors, services
from .models import Override

LOG_PARAMS = [
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today."),
    OpenApiParameter("authority", OpenApiTypes.STR,
                     description="ONS code of an authority or region."),
]


class RiskPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        capability = (Capability.VIEW_OUTBREAKS if request.method in permissions.SAFE_METHODS
                      else Capability.MANAGE_OUTBREAKS)
        return tenancy.has_capability(request.user, capability)


class RiskLogViewSet(viewsets.ViewSet):
    """Each service's RAG rating on a day, red first, with the rules that fired and why."""

    permission_classes = [permissions.IsAuthenticated, RiskPermission]

    def _log(self, request):
        return selectors.risk_log(user=request.user,
                                  as_of=query_date(request, "as_of", timezone.localdate()),
                                  authority=request.query_params.get("authority"))

    @extend_schema(parameters=LOG_PARAMS, responses=OpenApiTypes.OBJECT)
    def list(self, request):
        return Response(self._log(request).rows())

    @extend_schema(parameters=LOG_PARAMS, responses=OpenApiTypes.OBJECT,
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
