"""Web hardening in one place: the client's address, security headers, session time limits and
rate limits.

The client's address is decided once (`client_ip`) and used by the sign-in lockout (django-axes),
the page rate limits (django-ratelimit) and the API throttling (DRF), so that all three agree
behind a proxy. Settings (config/settings/base.py): CARESIGHT_TRUSTED_PROXIES,
CARESIGHT_CLIENT_IP_HEADER, CARESIGHT_PERMISSIONS_POLICY, CARESIGHT_SESSION_IDLE_MINUTES,
CARESIGHT_SESSION_MAX_HOURS and CARESIGHT_RATE_LIMITS.
"""

import ipaddress
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django_ratelimit.core import is_ratelimited
from rest_framework import throttling

SIGNED_IN_AT = "caresight_signed_in_at"
SEEN_AT = "caresight_seen_at"
# The last-seen time is written at most this often, so that most requests do not save the session.
SEEN_RESOLUTION_SECONDS = 60
API_PREFIX = "/api/"
OPEN_DATA_PREFIX = "/open-data/"


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as the outermost of CARESIGHT_TRUSTED_PROXIES proxies saw it.

    Each trusted proxy appends the address it received the request from to the forwarded-for
    header, so with N proxies the client is the N-th address from the right; anything further
    left was written by the client and is not believed. With no trusted proxies (the default)
    the header is ignored and the connection's own address is used.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.CARESIGHT_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    header = "HTTP_" + settings.CARESIGHT_CLIENT_IP_HEADER.upper().replace("-", "_")
    addresses = [part.strip() for part in request.META.get(header, "").split(",") if part.strip()]
    if not addresses:
        return remote
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def user_signed_in(sender, request, user, **kwargs) -> None:
    """Start the session's clocks when someone signs in (connected in accounts' ready())."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


class SecurityHeadersMiddleware:
    """Send Permissions-Policy on every response, and `Cache-Control: no-store` on every response
    except the public open-data pages seen by someone not signed in.

    Static files never reach this middleware (WhiteNoise answers them first), so they stay
    cacheable. Everything else may show record-level data, a form with a CSRF token, or an API
    answer to a token (which the middleware cannot see: DRF authenticates inside the view), so
    no-store is the rule and the open-data pages the one exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.CARESIGHT_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.setdefault("Permissions-Policy", self.permissions_policy)
        public = (request.path_info.startswith(OPEN_DATA_PREFIX)
                  and not request.user.is_authenticated)
        if not public:
            response["Cache-Control"] = "no-store"
        return response


class SessionTimeoutMiddleware:
    """Sign out a session idle for CARESIGHT_SESSION_IDLE_MINUTES, or older than
    CARESIGHT_SESSION_MAX_HOURS since sign-in, and send a page to sign in again with a message.

    An API request on such a session is served as not signed in (DRF answers 401 or 403 in
    JSON); tokens are not sessions and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._check(request)
            if ended and not request.path_info.startswith(API_PREFIX):
                messages.info(request, ended)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)

    @staticmethod
    def _check(request) -> str:
        session, now = request.session, time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if signed_in_at is None:  # a session from before these clocks: start them now
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            return ""
        idle_minutes = settings.CARESIGHT_SESSION_IDLE_MINUTES
        max_hours = settings.CARESIGHT_SESSION_MAX_HOURS
        if seen_at is not None and now - seen_at > idle_minutes * 60:
            logout(request)
            service = settings.CARESIGHT_SERVICE_NAME
            return (f"You were signed out because you had not used {service} for "
                    f"{idle_minutes} minutes. Sign in again to carry on.")
        if now - signed_in_at > max_hours * 3600:
            logout(request)
            return (f"You were signed out because you signed in more than {max_hours} hours ago. "
                    "Sign in again to carry on.")
        if seen_at is None or now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
        return ""


def _sign_in_paths() -> tuple[str, ...]:
    return (reverse("accounts:sign-in"), reverse("accounts:sign-in-code"))


def _posted_to(request, url_name: str) -> bool:
    return request.method == "POST" and request.path_info == reverse(url_name)


def _address(group, request) -> str:
    """The email address a form posts, as the rate limit's key (case and spaces ignored)."""
    return request.POST.get("email", "").strip().lower()


def _is_upload(request) -> bool:
    """A POST that carries a file (forms without files may be multipart too)."""
    return (request.method == "POST" and request.content_type == "multipart/form-data"
            and bool(request.FILES))


# Which requests each limit counts, and whom it counts them for: a limit per name in
# CARESIGHT_RATE_LIMITS. Declared here rather than as decorators on views so that every upload
# form (any POST carrying a file, now or later) and every open-data page is covered.
RATE_LIMIT_RULES: list[tuple[str, Callable[[HttpRequest], bool], Any]] = [
    ("sign_in", lambda r: r.method == "POST" and r.path_info in _sign_in_paths(), "ip"),
    ("upload", _is_upload, "user_or_ip"),
    ("open_data", lambda r: r.path_info.startswith(OPEN_DATA_PREFIX), "ip"),
    # Posts that send an email to an address someone types: per client and per address.
    ("password_reset", lambda r: _posted_to(r, "accounts:password-reset"), "ip"),
    ("password_reset_address", lambda r: _posted_to(r, "accounts:password-reset"), _address),
    ("invite", lambda r: _posted_to(r, "accounts:user-invite"), "user_or_ip"),
    ("invite_address", lambda r: _posted_to(r, "accounts:user-invite"), _address),
]


class RateLimitMiddleware:
    """Answer 429 once a client passes a limit in CARESIGHT_RATE_LIMITS (django-ratelimit,
    counted in the default cache): a GOV.UK page, or the API's JSON error under /api/.

    The anonymous and signed-in API limits are DRF's throttles (the classes below).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, applies, key in RATE_LIMIT_RULES:
            rate = settings.CARESIGHT_RATE_LIMITS.get(name)
            if rate and applies(request) and is_ratelimited(
                    request, group=f"caresight.{name}", key=key, rate=rate, increment=True):
                response = too_many_requests(request)
                response["Retry-After"] = str(rate_period_seconds(rate))
                return response
        return self.get_response(request)


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_period_seconds(rate: str) -> int:
    """The window of a django-ratelimit rate ("20/m", "30/h", "100/5m"), the longest wait."""
    period = rate.partition("/")[2]
    return int(period[:-1] or 1) * PERIOD_SECONDS[period[-1]]


TOO_MANY = "You have made too many requests in a short time. Wait a few minutes, then try again."


def too_many_requests(request) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"error": {"status": 429, "code": "throttled", "message": TOO_MANY,
                                       "fields": {}}}, status=429)
    return render(request, "429.html", {"message": TOO_MANY}, status=429)


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's anonymous throttle, counting by the same client address as everything else."""

    def get_ident(self, request):
        return client_ip(request)


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle (anonymous requests counted by the same client address)."""

    def get_ident(self, request):
        return client_ip(request)
