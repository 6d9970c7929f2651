"""API plumbing shared by every app: pagination and one JSON shape for every error."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from caresight.core.timeutils import parse_date


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


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
    """A date query parameter (YYYY-MM-DD); a malformed one is a 400 naming the parameter."""
    text = request.query_params.get(name)
    if not text:
        return default
    try:
        return parse_date(text)
    except ValueError as exc:
        raise exceptions.ValidationError({name: str(exc)}) from None


def service_call(call):
    """Run a service; its ValidationError becomes the API's 400 with the same messages."""
    try:
        return call()
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}) from exc


__all__ = ["Pagination", "exception_handler", "error_response", "query_date", "service_call",
           "status"]
