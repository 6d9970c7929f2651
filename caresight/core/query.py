"""Values read from a query string: dates and IDs, checked the same way on every page and in
the API.

A page that is asked for a bad value renders as it would for the default, with a GOV.UK error
summary naming the field, and answers 400 (`QueryErrorMiddleware`); the API answers 400 in its
JSON error shape (`caresight.core.api.query_date` / `query_id`).
"""

import datetime as dt
from typing import overload

import django_filters
from django import forms
from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from caresight.core.timeutils import parse_date

# How each query parameter is named to people (the label of its input on the pages).
LABELS = {
    "as_of": "Date",
    "since": "Closed and new outbreaks since",
    "previous": "Compare with",
    "from": "From",
    "to": "To",
    "location": "Service",
    "page": "Page",
    "page_size": "Page size",
}


MAX_ID = 2**63 - 1  # the largest ID a database column holds


class BadQueryValue(ValueError):
    """A query parameter that cannot be read; `name` is the parameter, the message says why."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def label_for(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


@overload
def read_date(params, name: str, default: dt.date, label: str | None = None) -> dt.date: ...
@overload
def read_date(params, name: str, default: None = None,
              label: str | None = None) -> dt.date | None: ...
def read_date(params, name: str, default: dt.date | None = None,
              label: str | None = None) -> dt.date | None:
    """The date in `params[name]` (YYYY-MM-DD, within the accepted range), or `default` when
    it is missing; BadQueryValue when it is not such a date."""
    text = (params.get(name) or "").strip()
    if not text:
        return default
    label = label or label_for(name)
    try:
        return parse_date(text, label)
    except ValueError as exc:
        message = str(exc)
        if message.startswith(repr(text)):
            message = f"{label} must be a real date, like 2020-06-04"
        raise BadQueryValue(name, message) from None


def read_id(params, name: str, label: str | None = None) -> int | None:
    """The record ID (a whole number written in ASCII digits) in `params[name]`, or None when
    it is missing; BadQueryValue otherwise."""
    text = (params.get(name) or "").strip()
    if not text:
        return None
    # str.isdigit() is also true of "²"; only 0-9 make an ID.
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise BadQueryValue(name, f"{label or label_for(name)} must be an ID (a whole number)")
    return int(text)


def note_error(request: HttpRequest, name: str, message: str) -> None:
    """Note a bad query value a page read itself (an authority not the user's): the page
    shows its default with the error summary naming the field, and answers 400."""
    _note(request, BadQueryValue(name, message))


def _note(request: HttpRequest, exc: BadQueryValue) -> None:
    errors = getattr(request, "query_errors", None)
    if errors is None:
        errors = request.query_errors = {}  # type: ignore[attr-defined]
    errors.setdefault(exc.name, exc.message)


@overload
def page_date(request: HttpRequest, name: str, default: dt.date,
              label: str | None = None) -> dt.date: ...
@overload
def page_date(request: HttpRequest, name: str, default: None = None,
              label: str | None = None) -> dt.date | None: ...
def page_date(request: HttpRequest, name: str, default: dt.date | None = None,
              label: str | None = None) -> dt.date | None:
    """`read_date` from a page's query string: a bad value is noted for the error summary and
    the page shows `default` instead."""
    try:
        return read_date(request.GET, name, default, label)
    except BadQueryValue as exc:
        _note(request, exc)
        return default


def page_id(request: HttpRequest, name: str, label: str | None = None) -> int | None:
    """`read_id` from a page's query string: a bad value is noted and read as missing."""
    try:
        return read_id(request.GET, name, label)
    except BadQueryValue as exc:
        _note(request, exc)
        return None


class IdFilter(django_filters.NumberFilter):
    """A django-filter filter on a record ID: a whole number, as `read_id` reads one."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class QueryErrorMiddleware:
    """A page asked for with a bad query value answers 400: the page itself (with its error
    summary) or, for a download, a page that says what is wrong instead of the file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No database stores a NUL character in text (PostgreSQL refuses it): a query value
        # with one is refused before any view reads it.
        bad = next((name for name, values in request.GET.lists()
                    if "\x00" in name or any("\x00" in value for value in values)), None)
        if bad is not None:
            message = f"{label_for(bad.replace(chr(0), ''))} must not contain a NUL character"
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"status": 400, "code": "invalid",
                                               "message": message, "fields": {bad: [message]}}},
                                    status=400)
            return HttpResponseBadRequest(render_to_string(
                "core/query_errors.html", {"query_errors": {bad: message},
                                           "heading": "The page was not shown"},
                request=request))
        response = self.get_response(request)
        errors = getattr(request, "query_errors", None)
        if not errors or response.status_code != 200 or request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("text/html") and not response.has_header(
                "Content-Disposition"):
            response.status_code = 400
            return response
        return HttpResponseBadRequest(render_to_string(
            "core/query_errors.html", {"query_errors": errors}, request=request))
