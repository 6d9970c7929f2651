"""The risk register, decisions and business cases API: list (as of a day), retrieve,
create and partial update, through the same selectors, services and permissions as the pages.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from caresight.accounts.models import Organisation
from caresight.core import tenancy
from caresight.core.api import AS_OF, DateField, capability_permission, query_date, service_call
from caresight.core.tenancy import Capability
from caresight.grants.models import Round
from caresight.outbreaks.models import Outbreak
from caresight.plans.models import ActionPlan, PlanAction
from caresight.registry.models import Authority, Provider

from . import scoring, selectors, services
from .models import (
    BusinessCase,
    CaseStatus,
    Category,
    Decision,
    FundingSource,
    Risk,
    RiskReview,
)

SINCE = OpenApiParameter("since", OpenApiTypes.DATE,
                         description="Decisions made on or after this day (default: all).")


PlansPermission = capability_permission(Capability.VIEW_PLANS, Capability.MANAGE_PLANS)


def _authority_field():
    return serializers.SlugRelatedField(slug_field="ons_code", queryset=Authority.objects.none(),
                                        help_text="The authority's ONS code.")


def _money(**kwargs):
    return serializers.CharField(help_text='Pounds and pence as text, e.g. "250000.00".',
                                 **kwargs)


def _request_user(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


class _PlansViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, PlansPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _managed(self):
        record = self.get_object()
        if not tenancy.allows(self.request.user, Capability.MANAGE_PLANS, record):
            raise NotFound  # as for a record that does not exist
        return record


# --- Risks -------------------------------------------------------------------------------------


class ReviewSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(read_only=True)
    residual_score = serializers.IntegerField(read_only=True)
    band = serializers.SerializerMethodField()

    class Meta:
        model = RiskReview
        fields = ["reviewed_on", "likelihood", "impact", "score", "residual_likelihood",
                  "residual_impact", "residual_score", "band", "residual_narrative",
                  "residual_reason", "target_score", "next_review_on", "status", "note"]

    def get_band(self, review) -> str:
        return scoring.band(review.residual_score)


class RiskSerializer(serializers.ModelSerializer):
    authority = _authority_field()
    review = serializers.SerializerMethodField(help_text="The review in force on as_of.")
    # The first review, written with the risk
    likelihood = serializers.IntegerField(write_only=True)
    impact = serializers.IntegerField(write_only=True)
    residual_likelihood = serializers.IntegerField(write_only=True)
    residual_impact = serializers.IntegerField(write_only=True)
    residual_narrative = serializers.CharField(write_only=True, required=False,
                                               allow_blank=True, default="")
    residual_reason = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                            default="")
    target_score = serializers.IntegerField(write_only=True, required=False, allow_null=True,
                                            default=None)
    next_review_on = DateField(write_only=True, required=False, allow_null=True, default=None)
    actions = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                 queryset=PlanAction.objects.none())
    providers = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                   queryset=Provider.objects.none())
    outbreaks = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                   queryset=Outbreak.objects.none())

    class Meta:
        model = Risk
        fields = ["id", "authority", "reference", "title", "description", "category", "owner",
                  "raised_on", "actions", "providers", "outbreaks", "review", "likelihood",
                  "impact", "residual_likelihood", "residual_impact", "residual_narrative",
                  "residual_reason", "target_score", "next_review_on"]
        extra_kwargs = {"description": {"required": False}, "owner": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if "authority" in self.fields:
            self.fields["authority"].queryset = tenancy.authorities(user,
                                                                    Capability.MANAGE_PLANS)
        self.fields["actions"].child_relation.queryset = selectors.action_choices(user=user)
        self.fields["providers"].child_relation.queryset = selectors.provider_choices(user=user)
        self.fields["outbreaks"].child_relation.queryset = selectors.outbreak_choices(user=user)

    def get_review(self, risk) -> dict | None:
        as_of = self.context.get("as_of") or timezone.localdate()
        review = selectors.risk_review_on(risk, as_of)
        return ReviewSerializer(review).data if review else None


class RiskUpdateSerializer(RiskSerializer):
    class Meta(RiskSerializer.Meta):
        fields = ["reference", "title", "description", "category", "owner", "raised_on",
                  "actions", "providers", "outbreaks"]


class RegisterRowSerializer(serializers.Serializer):
    """A risk on the register on a day (documents the list)."""

    id = serializers.IntegerField()
    authority = serializers.CharField()
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    owner = serializers.CharField()
    review = ReviewSerializer()
    mitigations = serializers.ListField(child=serializers.DictField())


class RiskViewSet(_PlansViewSet):
    """The risk register: each open risk with its review in force on as_of (highest residual
    score first); a risk with its first review; changes to what a risk is."""

    serializer_class = RiskSerializer

    def get_queryset(self):
        return selectors.risk_list(user=self.request.user).prefetch_related(
            "actions", "providers", "outbreaks").order_by("pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = query_date(self.request, "as_of", timezone.localdate())
        return context

    @extend_schema(parameters=[AS_OF], responses=RegisterRowSerializer(many=True))
    def list(self, request, *args, **kwargs):
        as_of = query_date(request, "as_of", timezone.localdate())
        rows = selectors.register(user=request.user, as_of=as_of)
        page = self.paginate_queryset(rows)
        review = ReviewSerializer()  # one serializer for every row: a new one costs a millisecond
        data = [{
            "id": row.risk.pk, "authority": row.risk.authority.ons_code,
            "reference": row.risk.reference, "title": row.risk.title,
            "category": row.risk.category, "owner": row.risk.owner,
            "review": review.to_representation(row.review),
            "mitigations": [{"id": m.id, "description": m.description, "owner": m.owner,
                             "status": m.status, "started_on": m.started_on.isoformat(),
                             "due_on": m.due_on.isoformat() if m.due_on else None}
                            for m in row.mitigations]} for row in page]
        return self.get_paginated_response(data)

    @extend_schema(parameters=[AS_OF])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = service_call(lambda: services.risk_create(user=request.user,
                                                         **serializer.validated_data))
        return Response(self.get_serializer(risk).data, status=201)

    @extend_schema(request=RiskUpdateSerializer, responses=RiskSerializer)
    def partial_update(self, request, *args, **kwargs):
        risk = self._managed()
        serializer = RiskUpdateSerializer(data=request.data, partial=True,
                                          context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.risk_update(risk=risk, user=request.user,
                                                  **serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=risk.pk)).data)


# --- Decisions ---------------------------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    authority = _authority_field()
    decided_on = DateField(required=True, allow_null=True)
    amount = _money(required=False, allow_null=True, allow_blank=True, default=None)
    related_plan = serializers.PrimaryKeyRelatedField(queryset=ActionPlan.objects.none(),
                                                      required=False,
                                                      allow_null=True, default=None)
    related_risk = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.none(),
                                                      required=False, allow_null=True,
                                                      default=None)
    related_round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.none(),
                                                       required=False,
                                                       allow_null=True, default=None)

    class Meta:
        model = Decision
        fields = ["id", "authority", "title", "decided_on", "decided_by", "key_decision",
                  "related_plan", "related_risk", "related_round", "financial_implications",
                  "amount"]
        extra_kwargs = {"financial_implications": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if "authority" in self.fields:
            self.fields["authority"].queryset = tenancy.authorities(user,
                                                                    Capability.MANAGE_PLANS)
        self.fields["related_plan"].queryset = selectors.plan_choices(user=user)
        self.fields["related_risk"].queryset = selectors.risk_list(user=user)
        self.fields["related_round"].queryset = selectors.round_choices(user=user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["amount"] = None if instance.amount is None else str(instance.amount)
        return data


class DecisionUpdateSerializer(DecisionSerializer):
    class Meta(DecisionSerializer.Meta):
        fields = [f for f in DecisionSerializer.Meta.fields if f not in ("id", "authority")]


class DecisionViewSet(_PlansViewSet):
    """Decisions, newest first; the list takes since and as_of ("decisions made since")."""

    serializer_class = DecisionSerializer

    def get_queryset(self):
        return selectors.decision_list(user=self.request.user).order_by("-decided_on", "-pk")

    @extend_schema(parameters=[SINCE, AS_OF])
    def list(self, request, *args, **kwargs):
        decisions = selectors.decisions_since(
            user=request.user, since=query_date(request, "since"),
            as_of=query_date(request, "as_of", timezone.localdate()))
        page = self.paginate_queryset(decisions)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(decisions, many=True).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = service_call(lambda: services.decision_create(user=request.user,
                                                                 **serializer.validated_data))
        return Response(self.get_serializer(decision).data, status=201)

    @extend_schema(request=DecisionUpdateSerializer, responses=DecisionSerializer)
    def partial_update(self, request, *args, **kwargs):
        decision = self._managed()
        serializer = DecisionUpdateSerializer(data=request.data, partial=True,
                                              context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        service_call(lambda: services.decision_update(decision=decision, user=request.user,
                                                      **changes))
        return Response(self.get_serializer(self.get_queryset().get(pk=decision.pk)).data)


# --- Business cases ----------------------------------------------------------------------------


class CaseStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    on = serializers.DateField()
    note = serializers.CharField()
    decision = serializers.IntegerField(source="decision_id", allow_null=True)


class BusinessCaseSerializer(serializers.ModelSerializer):
    authority = _authority_field()
    amount = _money()
    submitted_to = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.none(),
                                                      help_text="The organisation's ID.")
    funding_source = serializers.ChoiceField(choices=FundingSource.choices)
    status = serializers.ChoiceField(choices=CaseStatus.choices, write_only=True,
                                     default=CaseStatus.DRAFT,
                                     help_text="The first status (default draft).")
    status_on = DateField(write_only=True, required=False, allow_null=True, default=None)
    status_then = serializers.SerializerMethodField(
        help_text="The status on as_of (default today).")
    statuses = CaseStatusSerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCase
        fields = ["id", "authority", "title", "summary", "submitted_to", "submitted_on",
                  "amount", "funding_source", "decision", "status", "status_on", "status_then",
                  "statuses"]
        read_only_fields = ["decision"]
        extra_kwargs = {"summary": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if "authority" in self.fields:
            self.fields["authority"].queryset = tenancy.authorities(user,
                                                                    Capability.MANAGE_PLANS)
        self.fields["submitted_to"].queryset = selectors.organisation_choices(user=user)

    def get_status_then(self, case) -> str | None:
        as_of = self.context.get("as_of") or timezone.localdate()
        row = case.statuses.filter(on__lte=as_of).order_by("-on", "-pk").first()
        return row.status if row else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["amount"] = str(instance.amount)
        return data


class BusinessCaseUpdateSerializer(BusinessCaseSerializer):
    class Meta(BusinessCaseSerializer.Meta):
        fields = ["title", "summary", "submitted_to", "submitted_on", "amount",
                  "funding_source"]


class BusinessCaseViewSet(_PlansViewSet):
    """Business cases with their dated statuses; the list is those with a status on as_of
    (and `status` to keep one)."""

    serializer_class = BusinessCaseSerializer

    def get_queryset(self):
        return selectors.case_list(user=self.request.user).prefetch_related(
            "statuses").order_by("pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = query_date(self.request, "as_of", timezone.localdate())
        return context

    @extend_schema(parameters=[AS_OF, OpenApiParameter(
        "status", OpenApiTypes.STR, enum=CaseStatus.values,
        description="Only cases with this status on as_of.")])
    def list(self, request, *args, **kwargs):
        as_of = query_date(request, "as_of", timezone.localdate())
        status = request.query_params.get("status") or ""
        if status and status not in CaseStatus.values:
            raise ValidationError({"status": f"Status must be one of "
                                             f"{', '.join(CaseStatus.values)}"})
        rows = selectors.cases_as_of(user=request.user, as_of=as_of, status=status)
        cases = [row.case for row in rows]
        page = self.paginate_queryset(cases)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(cases, many=True).data)

    @extend_schema(parameters=[AS_OF])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = service_call(lambda: services.business_case_create(user=request.user,
                                                                  **serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data,
                        status=201)

    @extend_schema(request=BusinessCaseUpdateSerializer, responses=BusinessCaseSerializer)
    def partial_update(self, request, *args, **kwargs):
        case = self._managed()
        serializer = BusinessCaseUpdateSerializer(data=request.data, partial=True,
                                                  context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        service_call(lambda: services.business_case_update(case=case, user=request.user,
                                                           **serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)


__all__ = ["BusinessCaseViewSet", "DecisionViewSet", "RiskViewSet"]
