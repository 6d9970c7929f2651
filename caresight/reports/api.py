"""The published reports in the API: a list, one report with its figures' hash, and its files."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action

from caresight.core.api import capability_permission
from caresight.core.tenancy import Capability

from . import selectors
from .models import PublishedReport
from .views import FILE_TYPES, _file, _file_stem

FORMATS = list(FILE_TYPES)


class PublishedReportSerializer(serializers.ModelSerializer):
    authorities = serializers.SerializerMethodField()
    published_by = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = PublishedReport
        fields = ["id", "kind", "title", "area_name", "authorities", "period_from", "as_of",
                  "published_at", "published_by", "figures_sha256", "pdf_sha256",
                  "docx_sha256", "files"]

    def get_authorities(self, report) -> list[str]:
        return sorted(a.ons_code for a in report.authorities.all())

    def get_published_by(self, report) -> str:
        return str(report.published_by) if report.published_by else "System"

    def get_files(self, report) -> dict[str, str]:
        request = self.context.get("request")
        base = f"/api/reports/{report.pk}/download/?file="
        return {fmt: request.build_absolute_uri(base + fmt) if request else base + fmt
                for fmt in FILE_TYPES}


class PublishedReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Published reports, newest first (`kind`, `authority` filter them); each with the SHA-256
    of the figures it was built from, and its PDF, Word and HTML files."""

    serializer_class = PublishedReportSerializer
    permission_classes = [permissions.IsAuthenticated,
                          capability_permission(Capability.VIEW_REPORTS,
                                                Capability.VIEW_REPORTS)]
    filter_backends: list = []

    def get_queryset(self):
        reports = selectors.published_list(user=self.request.user)
        kind = self.request.query_params.get("kind")
        if kind:
            reports = reports.filter(kind=kind)
        authority = self.request.query_params.get("authority")
        if authority:
            reports = reports.filter(authorities__ons_code=authority.strip().upper())
        return reports.order_by("-as_of", "-pk")

    @extend_schema(parameters=[
        OpenApiParameter("kind", str, description="highlight, committee or outbreak_update"),
        OpenApiParameter("authority", str, description="an authority's ONS code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter("file", str, enum=FORMATS,
                                                description="pdf, docx or html")],
                   responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        fmt = request.query_params.get("file", "pdf")
        if fmt not in FILE_TYPES:
            raise exceptions.ValidationError({"file": "Give pdf, docx or html."})
        report = selectors.published_report(request.user, pk)
        return _file(report.file(fmt), fmt, _file_stem(report.figures, draft=False))
