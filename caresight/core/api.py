"""API plumbing shared by every app: pagination and one JSON shape for every error."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from caresight.core import tenancy
from caresight.core.query import BadQueryValue, read_date, read_id
from caresight.core.tenancy import Capability
from caresight.core.timeutils import check_date_range


class DateField(serializers.DateField):
    """A date in a request body, within the range Caresight accepts (core.timeutils); every
    model serializer uses it for its model's dates (see CoreConfig.ready)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            return check_date_range(day, "The date")
        except ValueError as exc:
            raise exceptions.ValidationError(str(exc), code="date_range") from None


class Pagination(PageNumberPagination):
    """Pages of at most 500; a page size that is not a whole number from 1 to 500 is a 400."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= self.max_page_size):
            raise exceptions.ValidationError({self.page_size_query_param: (
                f"Page size must be a whole number from 1 to {self.max_page_size}")})
        return int(text)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


# The `as_of` query parameter of every list that answers as things stood on a day.
AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE,
                         description="Default: today. From 2000-01-01 to 2099-12-31.")


def capability_permission(read: Capability, write: Capability) -> type[permissions.BasePermission]:
    """A permission class: reading (GET, HEAD, OPTIONS, and the view's `reader_actions`) needs
    `read` somewhere; anything else `write`. Which records is for the tenancy door."""

    class CapabilityPermission(permissions.BasePermission):
        def has_permission(self, request, view):
            reading = (request.method in permissions.SAFE_METHODS
                       or getattr(view, "action", None) in getattr(view, "reader_actions", ()))
            return tenancy.has_capability(request.user, read if reading else write)

    CapabilityPermission.__doc__ = f"Read: {read}. Write: {write}."
    return CapabilityPermission


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and detail and isinstance(detail[0], (dict, list)):
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}[{index}]"))
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]}


def exception_handler(exc, context):
    """Every error is {"error": {"status", "code", "message", "fields"}}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "The request has errors: " + "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in fields.items()
        )
        code = "invalid"
    else:
        detail = getattr(exc, "detail", str(exc))
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {
        "error": {
            "status": response.status_code,
            "code": code,
            "message": message,
            "fields": fields,
        }
    }
    return response


def error_response(message: str, *, code: str = "invalid", http_status: int = 400, fields=None):
    return Response(
        {"error": {"status": http_status, "code": code, "message": message,
                   "fields": fields or {}}},
        status=http_status,
    )


def query_date(request, name: str, default: dt.date | None = None) -> dt.date | None:
    """A date query parameter (YYYY-MM-DD, within the accepted range); a bad one is a 400
    naming the parameter."""
    try:
        return read_date(request.query_params, name, default)
    except BadQueryValue as exc:
        raise exceptions.ValidationError({name: exc.message}) from None


def query_id(request, name: str) -> int | None:
    """A record ID query parameter; one that is not a whole number is a 400 naming it."""
    try:
        return read_id(request.query_params, name)
    except BadQueryValue as exc:
        raise exceptions.ValidationError({name: exc.message}) from None


def service_call(call):
    """Run a service; its ValidationError becomes the API's 400 with the same messages."""
    try:
        return call()
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}) from exc


__all__ = ["AS_OF", "capability_permission", "Pagination", "exception_handler",
           "error_response", "query_date", "query_id", "service_call", "status", "Router",
           "handler400", "handler403", "handler404", "handler500"]


class Router(DefaultRouter):
    """The API's router: a record's address takes a whole number, so `/api/…/null/` is a 404
    before any view runs (a view set with another lookup says so with `lookup_value_regex`)."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        field = getattr(viewset, "lookup_field", "pk")
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or field
        value = getattr(viewset, "lookup_value_regex", None) or (
            "[0-9]+" if field == "pk" else "[^/.]+")
        return f"(?P<{lookup_prefix}{kwarg}>{value})"


def _json_error(http_status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": http_status, "code": code, "message": message,
                                   "fields": {}}}, status=http_status)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


# Django's error views, answering in the API's JSON shape under /api/ (config/urls.py).
def handler400(request, exception=None):
    if _is_api(request):
        return _json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return _json_error(403, "permission_denied",
                           "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if _is_api(request):
        return _json_error(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return _json_error(500, "server_error", "Sorry, there is a problem with the service. "
                           "Nothing was half saved.")
    return defaults.server_error(request)


# The one shape of every API error (exception_handler above, and the handlers below).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "fields"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "description": "Field or query parameter -> what is wrong with it (empty "
                "when the error is not about one).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    }},
}

ERROR_RESPONSES = {
    "400": "The request has errors: each field or query parameter in error is named.",
    "401": "Not signed in (send `Authorization: Token <key>`).",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such record within what you may see (or no such page).",
    "405": "That method is not allowed here.",
    "429": "Too many requests: wait and try again.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it may
    answer, in the one error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "put", "patch", "post", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(code, {
                    "content": {"application/json": {"schema": reference}},
                    "description": description})
    return result
