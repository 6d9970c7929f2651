import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors, services, tables
from .forms import CodeForm, SignInForm
from .models import User

PENDING = "caresight_pending_user"
TWO_FACTOR_REQUIRED = "caresight_two_factor_required"
TWO_FACTOR_ROLE = "caresight_two_factor_role"  # the user's role needs two-factor sign-in
MAX_CODE_TRIES = 5


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@login_not_required
def sign_in(request):
    """Email and password; then, if the user has turned it on, a code from their app."""
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, email=form.cleaned_data["email"].lower(),
                            password=form.cleaned_data["password"])
        if user is None:
            form.add_error(None, "Enter a correct email address and password.")
        elif selectors.two_factor_enabled(user):
            request.session[PENDING] = {"id": user.pk, "backend": user.backend, "tries": 0,
                                        "next": _next_url(request)}
            return redirect("accounts:sign-in-code")
        else:
            login(request, user)
            return redirect(_next_url(request))
    return render(request, "accounts/sign_in.html", {
        "form": form, "next": request.GET.get("next", ""),
        "lockout_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    })


@login_not_required
def sign_in_code(request):
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("accounts:sign-in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.get(pk=pending["id"])
        device = match_token(user, form.cleaned_data["code"].replace(" ", ""))
        if device is None:
            pending["tries"] += 1
            request.session[PENDING] = pending
            if pending["tries"] >= MAX_CODE_TRIES:
                del request.session[PENDING]
                messages.error(request, "Too many wrong codes. Sign in again.")
                return redirect("accounts:sign-in")
            form.add_error("code", "The code is not right. Enter the code your app shows now.")
        else:
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            request.session[TWO_FACTOR_REQUIRED] = True
            return redirect(pending["next"])
    return render(request, "accounts/sign_in_code.html", {"form": form})


@require_POST
def sign_out(request):
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


def account(request):
    return render(request, "accounts/account.html", {
        "table": tables.memberships_table(selectors.membership_list(user=request.user)),
        "two_factor": selectors.two_factor_enabled(request.user),
        "two_factor_required": selectors.two_factor_required(request.user),
        "backup_codes_left": selectors.backup_codes_left(request.user),
    })


def two_factor_setup(request):
    """Show a new secret as a QR code; confirming it with a code turns two-factor on."""
    if not request.user.is_staff and not selectors.two_factor_required(request.user):
        messages.error(request, "Two-factor sign-in is for council and NHS staff accounts.")
        return redirect("accounts:account")
    form = CodeForm(request.POST or None)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if request.method == "POST" and device and form.is_valid():
        try:
            codes = services.totp_device_confirm(
                user=request.user, device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.message_dict["code"])
        else:
            otp_login(request, device)
            request.session[TWO_FACTOR_REQUIRED] = True
            return render(request, "accounts/backup_codes.html", {"codes": codes})
    if device is None or request.method == "GET":
        device = services.totp_device_start(user=request.user)
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app")
    return render(request, "accounts/two_factor_setup.html",
                  {"form": form, "secret": secret, "qr": qr})


@require_POST
def two_factor_disable(request):
    if selectors.two_factor_required(request.user):
        messages.error(request, "Your role needs two-factor sign-in, so it cannot be turned off.")
        return redirect("accounts:account")
    services.two_factor_disable(user=request.user)
    request.session[TWO_FACTOR_REQUIRED] = False
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("accounts:account")
