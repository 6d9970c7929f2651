from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from caresight.beds import api as beds_api
from caresight.core import views as core_views
from caresight.core.api import Router
from caresight.governance import api as governance_api
from caresight.grants import api as grants_api
from caresight.grants.urls import public_urlpatterns as published_grants
from caresight.outbreaks import api as outbreaks_api
from caresight.plans import api as plans_api
from caresight.registry import api as registry_api
from caresight.reports import api as reports_api
from caresight.returns import api as returns_api
from caresight.risk import api as risk_api
from caresight.workforce import api as workforce_api

# Django's admin bypasses tenancy, so it is for superusers (technical support) only.
admin.site.has_permission = (  # type: ignore[method-assign]
    lambda request: request.user.is_active and request.user.is_superuser)
admin.site.site_header = "Caresight technical administration"
# Everyone signs in through Caresight's own sign-in, with its lockout and two-factor step.
admin.site.login = login_not_required(  # type: ignore[method-assign]
    lambda request, extra_context=None: redirect_to_login(
        request.GET.get("next", "/admin/"), str(reverse_lazy("accounts:sign-in")))
)

router = Router()
router.register("authorities", registry_api.AuthorityViewSet, basename="authority")
router.register("localities", registry_api.LocalityViewSet, basename="locality")
router.register("providers", registry_api.ProviderViewSet, basename="provider")
router.register("locations", registry_api.LocationViewSet, basename="location")
router.register("returns", returns_api.ReturnViewSet, basename="return")
router.register("measure-sets", returns_api.MeasureSetViewSet, basename="measure-set")
router.register("outbreaks", outbreaks_api.OutbreakViewSet, basename="outbreak")
router.register("risk-log", risk_api.RiskLogViewSet, basename="risk-log")
router.register("risk-overrides", risk_api.OverrideViewSet, basename="risk-override")
router.register("grant-rounds", grants_api.RoundViewSet, basename="grant-round")
router.register("grant-allocations", grants_api.AllocationViewSet, basename="grant-allocation")
router.register("grant-payment-runs", grants_api.PaymentRunViewSet, basename="grant-payment-run")
router.register("grant-payments", grants_api.PaymentViewSet, basename="grant-payment")
router.register("grant-agreements", grants_api.AgreementViewSet, basename="grant-agreement")
router.register("spend-returns", grants_api.SpendReturnViewSet, basename="spend-return")
router.register("action-plans", plans_api.ActionPlanViewSet, basename="action-plan")
router.register("plan-actions", plans_api.PlanActionViewSet, basename="plan-action")
router.register("winter-responses", plans_api.WinterResponseViewSet, basename="winter-response")
router.register("risks", governance_api.RiskViewSet, basename="governance-risk")
router.register("decisions", governance_api.DecisionViewSet, basename="decision")
router.register("business-cases", governance_api.BusinessCaseViewSet, basename="business-case")
router.register("workforce-teams", workforce_api.TeamViewSet, basename="workforce-team")
router.register("workforce-weeks", workforce_api.TeamWeekViewSet, basename="workforce-week")
router.register("reports", reports_api.PublishedReportViewSet, basename="published-report")
router.register("beds/schemes", beds_api.SchemeViewSet, basename="bed-scheme")
router.register("beds/placements", beds_api.PlacementViewSet, basename="placement")
router.register("beds", beds_api.BedsViewSet, basename="beds")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("caresight.accounts.urls")),
    path("register/", include("caresight.registry.urls")),
    path("returns/", include("caresight.returns.urls")),
    path("outbreaks/", include("caresight.outbreaks.urls")),
    path("risk/", include("caresight.risk.urls")),
    path("grants/", include("caresight.grants.urls")),
    path("plans/", include("caresight.plans.urls")),
    path("governance/", include("caresight.governance.urls")),
    path("workforce/", include("caresight.workforce.urls")),
    path("beds/", include("caresight.beds.urls")),
    path("reports/", include("caresight.reports.urls")),
    path("notifications/", include("caresight.notifications.urls")),
    path("open-data/grants/", include((published_grants, "published"))),
    path("jobs/<uuid:pk>/", core_views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/confirm/", core_views.job_confirm, name="job-confirm"),
    path("jobs/<uuid:pk>/download/", core_views.job_download, name="job-download"),
    path("downloads/", core_views.download_list, name="download-list"),
    path("emails/", core_views.email_list, name="email-list"),
    path("api/", include(router.urls)),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves its script from a URL, as the Content-Security-Policy allows no
    # inline script without a nonce.
    path("api/docs/", login_not_required(SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="api/swagger_ui.html")), name="api-docs"),
    path("admin/", admin.site.urls),
]

# Errors under /api/ answer in the API's JSON shape; pages keep their GOV.UK error pages.
handler400 = "caresight.core.api.handler400"
handler403 = "caresight.core.api.handler403"
handler404 = "caresight.core.api.handler404"
handler500 = "caresight.core.api.handler500"
