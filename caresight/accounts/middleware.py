"""Two-factor sign-in cannot be skipped, whichever way a session was started."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import selectors
from .views import TWO_FACTOR_REQUIRED, TWO_FACTOR_ROLE

SETUP_FIRST = ("Your role needs two-factor sign-in. Turn it on to carry on: you will need an "
               "authenticator app on your phone.")


class RequireTwoFactorMiddleware:
    """Sign out a session of someone with two-factor sign-in on who has not given a code, and
    keep someone whose role needs two-factor sign-in (CARESIGHT_REQUIRE_2FA_ROLES) on the page
    that turns it on until they have."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            required = request.session.get(TWO_FACTOR_REQUIRED)
            if required is None:
                required = selectors.two_factor_enabled(user)
                request.session[TWO_FACTOR_REQUIRED] = required
            if required:
                logout(request)
                return redirect("accounts:sign-in")
            by_role = request.session.get(TWO_FACTOR_ROLE)
            if by_role is None:
                by_role = selectors.two_factor_required(user)
                request.session[TWO_FACTOR_ROLE] = by_role
            if by_role and request.path_info not in _allowed_paths():
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"error": {
                        "status": 403, "code": "two_factor_required", "message": SETUP_FIRST,
                        "fields": {}}}, status=403)
                messages.info(request, SETUP_FIRST)
                return redirect("accounts:two-factor-setup")
        return self.get_response(request)


def _allowed_paths() -> set[str]:
    return {reverse("accounts:two-factor-setup"), reverse("accounts:sign-out")}
