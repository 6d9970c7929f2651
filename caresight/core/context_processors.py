from django.conf import settings
from django.urls import reverse

from caresight.core import tenancy
from caresight.core.selectors import is_administrator
from caresight.core.tenancy import Capability

# (label, URL name, capability needed): the service navigation, in order.
NAVIGATION = [
    ("Register", "registry:location-list", Capability.VIEW_RECORDS),
    ("Summary", "registry:summary", Capability.VIEW_AGGREGATES),
    ("Returns", "returns:summary", Capability.VIEW_AGGREGATES),
    ("Submit a return", "returns:submit-list", Capability.SUBMIT_RETURNS),
    ("Outbreaks", "outbreaks:tracker", Capability.VIEW_OUTBREAKS),
    ("Risk log", "risk:log", Capability.VIEW_OUTBREAKS),
    ("Infection Control Fund", "grants:list", Capability.VIEW_GRANTS),
    ("Plans", "plans:index", Capability.VIEW_PLANS),
    ("Beds", "beds:occupancy", Capability.VIEW_BEDS),
    ("Reports", "reports:index", Capability.VIEW_REPORTS),
    ("Import from CQC", "registry:import", Capability.IMPORT),
    ("Import returns", "returns:import", Capability.IMPORT),
]
# Pages under a link's own folder that belong to another link
SECTION_OF = {"/register/": "registry:location-list", "/returns/": "returns:summary",
              "/outbreaks/": "outbreaks:tracker", "/risk/": "risk:log",
              "/grants/": "grants:list", "/plans/": "plans:index",
              "/governance/": "plans:index", "/workforce/": "plans:index"}


def service(request) -> dict:
    """Service name, and the navigation links this user may follow (the current one marked)."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    items = []
    if signed_in:
        urls = [(label, reverse(name)) for label, name, capability in NAVIGATION
                if tenancy.has_capability(user, capability)]
        # The link whose address is the longest start of this page's address is current.
        path = request.path
        best = max((url for _, url in urls if path.startswith(url)), key=len, default=None)
        if best is None:
            section = next((reverse(n) for prefix, n in SECTION_OF.items()
                            if path.startswith(prefix)), None)
            best = section if any(url == section for _, url in urls) else None
        items = [{"label": label, "url": url, "active": url == best} for label, url in urls]
    return {
        "service_name": settings.CARESIGHT_SERVICE_NAME,
        "organisation_name": settings.CARESIGHT_ORGANISATION_NAME,
        "nav_items": items,
        "is_administrator": signed_in and is_administrator(user),
        # Query-string values a page could not read (core.query), for its error summary.
        "query_errors": getattr(request, "query_errors", {}),
    }
