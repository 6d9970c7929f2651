"""The register's REST API: the same selectors, services and permissions as the pages."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import NotFound

from caresight.core import tenancy
from caresight.core.api import service_call
from caresight.core.tenancy import Capability

from . import selectors, services
from .models import Authority, ClientGroup, Locality, Location, Provider

StringId = serializers.CharField  # IDs are strings in the API


class AuthoritySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name", read_only=True)
    region_code = serializers.CharField(source="region.ons_code", read_only=True)

    class Meta:
        model = Authority
        fields = ["ons_code", "name", "tier", "region", "region_code", "valid_from", "valid_to"]


class LocalitySerializer(serializers.ModelSerializer):
    id = StringId(read_only=True)
    authority = serializers.CharField(source="authority.ons_code", read_only=True)

    class Meta:
        model = Locality
        fields = ["id", "authority", "name"]


class ProviderSerializer(serializers.ModelSerializer):
    id = StringId(read_only=True)

    class Meta:
        model = Provider
        fields = ["id", "cqc_provider_id", "name", "is_small", "contact_name", "phone", "email",
                  "website", "updated_at"]
        read_only_fields = ["updated_at"]


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record the requesting user may use, given by its ID as a string."""

    def __init__(self, selector, **kwargs):
        self.selector = selector
        super().__init__(pk_field=serializers.CharField(), **kwargs)

    def get_queryset(self):
        return self.selector(self.context["request"].user)


class LocationSerializer(serializers.ModelSerializer):
    id = StringId(read_only=True)
    provider = ScopedRelatedField(lambda user: selectors.provider_list(user=user))
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    authority = serializers.SlugRelatedField(
        slug_field="ons_code", queryset=Authority.objects.all(),
        help_text="ONS code of the authority (E06…, E08…, E09…, E10…).",
    )
    authority_name = serializers.CharField(source="authority.name", read_only=True)
    locality = ScopedRelatedField(lambda user: selectors.locality_list(user=user),
                                  required=False, allow_null=True)
    locality_name = serializers.CharField(
        source="locality_label", read_only=True,
        help_text='The locality\'s name, or "No locality" when the service has none.')
    client_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientGroup.choices), required=False
    )
    cqc_specialisms = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False,
        help_text="The specialisms CQC lists for the service.")

    class Meta:
        model = Location
        fields = [
            "id", "cqc_location_id", "name", "provider", "provider_name", "authority",
            "authority_name", "locality", "locality_name", "service_type", "client_groups",
            "cqc_specialisms", "registered_beds", "registration_status", "registration_date",
            "deregistration_date", "cqc_rating", "cqc_rating_date", "address_line_1",
            "address_line_2", "town", "postcode", "district_code", "ods_code", "manager_name",
            "phone", "email", "clinical_lead", "clinical_lead_contact", "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_authority(self, authority):
        user = self.context["request"].user
        if authority.pk not in tenancy.authority_ids(user, Capability.EDIT_REGISTER):
            raise serializers.ValidationError(
                f"You cannot add or move services to {authority.name}.")
        return authority


class CanEditRegister(permissions.BasePermission):
    """Reading needs the view capability; writing needs edit rights over the record."""

    def has_permission(self, request, view):
        capability = (Capability.VIEW_RECORDS if request.method in permissions.SAFE_METHODS
                      else Capability.EDIT_REGISTER)
        return tenancy.has_capability(request.user, capability)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True  # the queryset already holds only what the user may see
        if not tenancy.allows(request.user, Capability.EDIT_REGISTER, obj):
            raise NotFound  # as for a record that does not exist
        return True


@extend_schema_view(list=extend_schema(summary="List authorities (public reference data)"))
class AuthorityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuthoritySerializer
    lookup_field = "ons_code"
    filterset_fields = ["tier"]
    search_fields = ["name", "ons_code"]
    pagination_class = None

    def get_queryset(self):
        return selectors.authority_list()


class LocalityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LocalitySerializer
    permission_classes = [permissions.IsAuthenticated, CanEditRegister]

    def get_queryset(self):
        return selectors.locality_list(user=self.request.user).order_by("authority__name", "name")


class ProviderViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    serializer_class = ProviderSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditRegister]
    search_fields = ["name", "cqc_provider_id"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return selectors.provider_list(user=self.request.user).order_by("name", "pk")

    def perform_create(self, serializer):
        home = selectors.editable_authorities(user=self.request.user).first()
        serializer.instance = service_call(lambda: services.provider_create(
            user=self.request.user, home_authority=home, **serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = service_call(lambda: services.provider_update(
            provider=serializer.instance, user=self.request.user, **serializer.validated_data))


@extend_schema_view(list=extend_schema(
    summary="List locations", description="Filters: q, authority (ONS code), locality, "
    "service_type (repeatable), client_group, status, rating, provider, sort."))
class LocationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    serializer_class = LocationSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditRegister]
    filterset_class = selectors.LocationFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return selectors.location_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = service_call(lambda: services.location_create(
            user=self.request.user, **serializer.validated_data))

    def perform_update(self, serializer):
        location = serializer.instance
        if not tenancy.allows(self.request.user, Capability.EDIT_REGISTER, location):
            raise NotFound
        serializer.instance = service_call(lambda: services.location_update(
            location=location, user=self.request.user, **serializer.validated_data))
