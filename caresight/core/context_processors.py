from django.conf import settings

from caresight.core import tenancy


def service(request) -> dict:
    """Service name, and which navigation links this user may follow."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "service_name": settings.CARESIGHT_SERVICE_NAME,
        "organisation_name": settings.CARESIGHT_ORGANISATION_NAME,
        "nav": {
            "register": signed_in and tenancy.has_capability(user, tenancy.C.VIEW_RECORDS),
            "summary": signed_in and tenancy.has_capability(user, tenancy.C.VIEW_AGGREGATES),
            "import": signed_in and tenancy.has_capability(user, tenancy.C.IMPORT),
        },
    }
