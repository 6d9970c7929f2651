"""The Infection Control Fund API: rounds, the what-if allocation, confirmation, payment runs,
agreements and spend returns. The same selectors, services and permissions as the pages.

Money is always a string of pounds and pence ("937.61"), never a JSON number.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from caresight.core import tenancy
from caresight.core.api import service_call
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority

from . import selectors, services
from .allocation import plan_round, spec_of
from .models import (
    Agreement,
    Allocation,
    Element,
    Instalment,
    Payment,
    PaymentRun,
    Round,
    SpendReturn,
)
from .round_templates import TEMPLATES


def _money():
    return serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True,
                                    read_only=True)


class ElementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Element
        fields = ["id", "position", "name", "share", "method", "service_types",
                  "cqc_registered_only", "discretionary", "retained"]


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["id", "number", "share", "due_on", "conditions"]


class RoundSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="ons_code",
                                             queryset=Authority.objects.none())
    amount = serializers.CharField(help_text="Pounds and pence, e.g. \"1751000.00\".")
    template = serializers.ChoiceField(choices=list(TEMPLATES), write_only=True)
    contingency = serializers.CharField(write_only=True, required=False, default="0")
    elements = ElementSerializer(many=True, read_only=True)
    instalments = InstalmentSerializer(many=True, read_only=True)
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True)

    class Meta:
        model = Round
        fields = ["id", "authority", "name", "template", "amount", "eligibility_date",
                  "contingency", "spend_categories", "confirmed", "confirmed_at", "elements",
                  "instalments"]
        read_only_fields = ["spend_categories", "confirmed_at"]
        extra_kwargs = {"name": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["authority"].queryset = tenancy.authorities(request.user,
                                                                    Capability.MANAGE_GRANTS)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["template"] = instance.template
        return data


class AllocationSerializer(serializers.ModelSerializer):
    cqc_location_id = serializers.CharField(source="location.cqc_location_id", read_only=True,
                                            allow_null=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    element_name = serializers.CharField(source="element.name", read_only=True)
    amount = _money()

    class Meta:
        model = Allocation
        fields = ["id", "round", "element", "element_name", "location", "cqc_location_id",
                  "location_name", "provider", "provider_name", "units", "amount",
                  "explanation"]
        read_only_fields = fields  # read through the API, never written: no field offers


class PaymentSerializer(serializers.ModelSerializer):
    amount = _money()
    instalment = serializers.IntegerField(source="instalment.number", read_only=True)
    round = serializers.IntegerField(source="run.round_id", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "round", "run", "instalment", "allocation", "provider", "amount",
                  "created_at"]
        read_only_fields = fields


class PaymentRunSerializer(serializers.ModelSerializer):
    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.none())
    instalment = serializers.IntegerField(write_only=True,
                                          help_text="The instalment's number in the round.")
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True)

    class Meta:
        model = PaymentRun
        fields = ["id", "round", "instalment", "as_of", "confirmed", "confirmed_at", "withheld"]
        read_only_fields = ["confirmed_at", "withheld"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["round"].queryset = selectors.round_list(
                user=request.user, capability=Capability.MANAGE_GRANTS)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["instalment"] = instance.instalment.number
        lines = selectors.payment_run_lines(instance)
        data["due"] = str(lines.total_due)
        data["withheld_total"] = str(lines.total_withheld)
        return data


class AgreementSerializer(serializers.ModelSerializer):
    accepted = serializers.BooleanField(write_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "round", "provider", "accepted", "decision", "signed_name",
                  "signed_role", "responded_on", "responded_at", "method"]
        read_only_fields = ["decision", "responded_on", "responded_at", "method"]
        # Whether a provider has answered is the service's to say, within the caller's scope.
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request is not None else None
        self.fields["round"].queryset = selectors.round_list(user=user)
        self.fields["provider"].queryset = tenancy.in_scope(user, Capability.VIEW_GRANTS,
                                                            "registry.Provider")


class SpendReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    round = serializers.IntegerField()
    provider = serializers.IntegerField()
    amounts = serializers.DictField(child=serializers.CharField(),
                                    help_text='Category code -> pounds, e.g. {"other": "120.00"}')
    over_reason = serializers.CharField(required=False, allow_blank=True, default="")

    def to_representation(self, instance):
        return {"id": instance.pk, "round": instance.round_id, "provider": instance.provider_id,
                "amounts": {line.category: str(line.amount) for line in instance.lines.all()},
                "over_reason": instance.over_reason,
                "submitted_at": instance.submitted_at.isoformat()}


def _require(user, capability: Capability, round: Round) -> None:
    """The page's rule: only an officer of the round's authority; others get 404."""
    if not selectors.is_officer(user, round, capability):
        raise NotFound


class GrantsPermission(permissions.BasePermission):
    """Reading needs view_grants; a viewset may name a stronger capability for writes."""

    def has_permission(self, request, view):
        capability = (Capability.VIEW_GRANTS if request.method in permissions.SAFE_METHODS
                      else getattr(view, "write_capability", Capability.VIEW_GRANTS))
        return tenancy.has_capability(request.user, capability)


class RoundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Rounds of the fund. Create one from a template; preview and confirm its allocation."""

    serializer_class = RoundSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    write_capability = Capability.MANAGE_GRANTS
    filter_backends: list = []

    def get_queryset(self):
        return selectors.round_list(user=self.request.user).prefetch_related(
            "elements", "instalments").order_by("-pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        round = service_call(lambda: services.round_create_from_template(
            authority=data["authority"], template=data["template"], amount=data["amount"],
            eligibility_date=data["eligibility_date"], name=data.get("name", ""),
            contingency=data["contingency"], user=request.user))
        return Response(self.get_serializer(self.get_queryset().get(pk=round.pk)).data,
                        status=201)

    def _officer_round(self, capability=Capability.VIEW_GRANTS) -> Round:
        round = self.get_object()
        _require(self.request.user, capability, round)
        return round

    @extend_schema(responses=OpenApiTypes.OBJECT,
                   summary="The what-if allocation (before confirmation) or the confirmed one")
    @action(detail=True, methods=["get"])
    def allocation(self, request, pk=None):
        round = self._officer_round()
        return Response(service_call(lambda: plan_round(spec_of(round)).as_json())
                        if not round.is_confirmed else {
                            "confirmed": True,
                            "allocations": AllocationSerializer(
                                selectors.allocation_list(user=request.user, round=round),
                                many=True).data})

    @extend_schema(request=None, responses=RoundSerializer,
                   summary="Confirm the allocation (once); it never changes afterwards")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        round = self._officer_round(Capability.MANAGE_GRANTS)
        service_call(lambda: services.allocation_confirm(round=round, user=request.user))
        return Response(self.get_serializer(self.get_queryset().get(pk=round.pk)).data)

    @extend_schema(responses=OpenApiTypes.OBJECT,
                   summary="Per provider and in total: allocated, adjusted, paid, recovered, "
                   "spent, unspent")
    @action(detail=True, methods=["get"])
    def reconciliation(self, request, pk=None):
        round = self._officer_round()
        return Response(selectors.as_json(selectors.reconciliation(user=request.user,
                                                                   round=round)))

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="The return to government")
    @action(detail=True, methods=["get"], url_path="government-return")
    def government_return(self, request, pk=None):
        round = self._officer_round()
        return Response(selectors.as_json(selectors.government_return(round)))


class AllocationViewSet(viewsets.ReadOnlyModelViewSet):
    """Confirmed allocations the user may see (a provider user: its own)."""

    serializer_class = AllocationSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    filter_backends: list = []

    def get_queryset(self):
        return (tenancy.in_scope(self.request.user, Capability.VIEW_GRANTS, Allocation)
            .select_related("location", "provider", "element").order_by("round", "pk"))


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments made (a provider user: to itself)."""

    serializer_class = PaymentSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    filter_backends: list = []

    def get_queryset(self):
        return (tenancy.in_scope(self.request.user, Capability.VIEW_GRANTS, Payment)
            .select_related("instalment", "run").order_by("pk"))


class PaymentRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payment runs: prepare one for an instalment, see what is due and withheld, confirm."""

    serializer_class = PaymentRunSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    write_capability = Capability.MANAGE_GRANTS
    filter_backends: list = []

    def get_queryset(self):
        return (tenancy.in_scope(self.request.user, Capability.VIEW_GRANTS, PaymentRun)
                .select_related("round", "instalment").order_by("-pk"))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        round = data["round"]
        instalment = get_object_or_404(round.instalments, number=data["instalment"])
        run = service_call(lambda: services.payment_run_create(
            round=round, instalment=instalment, as_of=data["as_of"], user=request.user))
        return Response(self.get_serializer(run).data, status=201)

    @extend_schema(request=None, responses=PaymentRunSerializer,
                   summary="Confirm the run (finance, once): writes the payments")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        run = self.get_object()
        _require(request.user, Capability.CONFIRM_PAYMENTS, run.round)
        service_call(lambda: services.payment_run_confirm(run=run, user=request.user))
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)


class AgreementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Providers' answers to a round's conditions. A provider user answers for its own."""

    serializer_class = AgreementSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    filter_backends: list = []

    def get_queryset(self):
        return tenancy.in_scope(self.request.user, Capability.VIEW_GRANTS,
                                Agreement).order_by("pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        round = selectors.round_get(user=request.user, pk=data["round"].pk)
        provider = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                                     pk=data["provider"].pk)
        grants = tenancy.scope(request.user, Capability.RESPOND_GRANTS).provider_grants
        if (provider.pk, round.authority_id) not in grants:
            raise PermissionDenied("Only the provider's own users answer in Caresight; an "
                                   "officer records a paper agreement on the round's page.")
        agreement = service_call(lambda: services.agreement_record(
            round=round, provider=provider, accepted=data["accepted"],
            name=data["signed_name"], role=data["signed_role"], user=request.user,
            ip_address=request.META.get("REMOTE_ADDR")))
        return Response(self.get_serializer(agreement).data, status=201)


class SpendReturnViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Spend returns by category. A provider reports its own; an officer may on its behalf."""

    serializer_class = SpendReturnSerializer
    permission_classes = [permissions.IsAuthenticated, GrantsPermission]
    filter_backends: list = []

    def get_queryset(self):
        return tenancy.in_scope(self.request.user, Capability.VIEW_GRANTS, SpendReturn
                                ).prefetch_related("lines").order_by("pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        round = selectors.round_get(user=request.user, pk=data["round"])
        provider = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                                     pk=data["provider"])
        own = (provider.pk, round.authority_id) in tenancy.scope(
            request.user, Capability.RESPOND_GRANTS).provider_grants
        if not (own or selectors.is_officer(request.user, round, Capability.MANAGE_GRANTS)):
            raise NotFound
        spend = service_call(lambda: services.spend_return_submit(
            round=round, provider=provider, amounts=data["amounts"],
            over_reason=data["over_reason"], user=request.user))
        return Response(self.get_serializer(spend).data, status=201)
