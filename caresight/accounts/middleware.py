"""Two-factor sign-in cannot be skipped, whichever way a session was started."""

from django.contrib.auth import logout
from django.shortcuts import redirect

from . import selectors
from .views import TWO_FACTOR_REQUIRED


class RequireTwoFactorMiddleware:
    """Sign out a session of someone with two-factor sign-in on who has not given a code."""

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
        return self.get_response(request)
