import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from caresight.core import tenancy
from caresight.core.tenancy import Capability
from caresight.core.views import handle_form

from . import selectors, services, tables
from .forms import (
    CodeForm,
    InviteForm,
    MembershipForm,
    NewPasswordForm,
    PasswordResetForm,
    SignInForm,
)

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
        user = selectors.user_for_sign_in(pending["id"])
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


# --- Administrators manage their own users ---------------------------------------------------

MANAGE = Capability.MANAGE_USERS


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def user_list(request):
    tenancy.require(request.user, MANAGE)
    return render(request, "accounts/user_list.html", {
        "table": tables.users_table(selectors.user_list(user=request.user))})


def user_invite(request):
    tenancy.require(request.user, MANAGE)
    form = InviteForm(request.POST or None, user=request.user)

    def invite(data):
        return services.user_invite(
            email=data["email"], full_name=data["full_name"], role=data["role"],
            authorities=data["authorities"], organisation=data["organisation"],
            organisation_name=data["organisation_name"], provider=data["provider"],
            by=request.user, site_url=_site_url(request))

    done = handle_form(
        request, form, invite,
        success_message=lambda inv: f"Invitation sent to {inv.user.email}.",
        redirect_to=lambda inv: reverse("accounts:user-detail", args=[inv.user_id]))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Invite a user", "button": "Send the invitation",
        "back": reverse("accounts:user-list"), "caption": "Users",
        "intro": "They get an email with a link to set their password. The link works once, "
                 f"for {settings.CARESIGHT_INVITATION_DAYS} days."})


def user_detail(request, pk):
    person = tenancy.access_user(request.user, pk, MANAGE)
    memberships = selectors.user_memberships(user=request.user, person=person)
    yourself = person.pk == request.user.pk
    return render(request, "accounts/user_detail.html", {
        "person": person, "status": selectors.account_status(person), "yourself": yourself,
        "table": tables.user_roles_table(memberships, can_change=not yourself),
    })


def membership_edit(request, pk):
    membership = tenancy.access_membership(request.user, pk, MANAGE)
    administered = tenancy.authority_ids(request.user, MANAGE)
    form = MembershipForm(request.POST or None, user=request.user, initial={
        "role": membership.role,
        "authorities": [a for a in membership.authorities.all() if a.pk in administered]})
    done = handle_form(
        request, form,
        lambda data: services.membership_update(membership=membership, role=data["role"],
                                                authorities=data["authorities"],
                                                by=request.user),
        success_message="Role and authorities changed.",
        redirect_to=reverse("accounts:user-detail", args=[membership.user_id]))
    return done or render(request, "form_page.html", {
        "form": form, "title": f"Change the role of {membership.user}",
        "caption": str(membership.organisation), "button": "Save the change",
        "back": reverse("accounts:user-detail", args=[membership.user_id])})


@require_POST
def user_set_active(request, pk, active: bool):
    person = tenancy.access_user(request.user, pk, MANAGE)
    try:
        services.user_set_active(user=person, active=active, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{person} is {'active again' if active else 'deactivated'}.")
    return redirect("accounts:user-detail", pk=person.pk)


# --- Invitations and forgotten passwords (no sign-in needed) --------------------------------
# The token in a link is kept in the session and the page moves to an address without it, as
# Django's own password reset does, so that it does not leak in the Referer header.

INVITATION_TOKEN = "caresight_invitation_token"
RESET_TOKEN = "caresight_password_reset_token"
IN_SESSION = "set-password"


@login_not_required
def invitation_open(request, token):
    request.session[INVITATION_TOKEN] = token
    return redirect("accounts:invitation-accept")


@login_not_required
def invitation_accept(request):
    token = request.session.get(INVITATION_TOKEN, "")
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationRefused as exc:
        return render(request, "accounts/link_refused.html", {
            "title": "You cannot use this invitation", "message": exc.messages[0]}, status=400)
    form = NewPasswordForm(invitation.user, request.POST or None)

    def accept(data):
        user = services.invitation_accept(token=token, password=data["new_password1"])
        request.session.pop(INVITATION_TOKEN, None)
        return user

    done = handle_form(request, form, accept,
                       success_message="Your password is set. Sign in with your email "
                                       "address and new password.",
                       redirect_to=reverse("accounts:sign-in"))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Set your password", "button": "Set my password",
        "back": reverse("accounts:sign-in"), "caption": invitation.user.email,
        "intro": f"You are invited as {invitation.get_role_display().lower()} at "
                 f"{invitation.organisation}. Choose a password to sign in with."})


SENT_WORDS = ("If {email} is the email address of an account, we have sent it a link to "
              "reset the password. The link works for {minutes} minutes. Check your spam "
              "folder if it does not arrive.")


@login_not_required
def password_reset(request):
    form = PasswordResetForm(request.POST or None)
    done = handle_form(
        request, form,
        lambda data: services.password_reset_request(email=data["email"],
                                                     site_url=_site_url(request)),
        success_message=None, redirect_to=reverse("accounts:password-reset-sent"))
    if done:
        request.session["caresight_reset_email"] = form.cleaned_data["email"]
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Reset your password", "button": "Send me a link",
        "back": reverse("accounts:sign-in"),
        "intro": "Enter the email address you sign in with. We will email you a link to "
                 "choose a new password."})


@login_not_required
def password_reset_sent(request):
    email = request.session.get("caresight_reset_email", "your address")
    return render(request, "accounts/password_reset_sent.html", {"message": SENT_WORDS.format(
        email=email, minutes=settings.PASSWORD_RESET_TIMEOUT // 60)})


def _reset_user(uidb64: str):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return selectors.user_for_sign_in(pk)
    except (ValueError, TypeError, OverflowError, ObjectDoesNotExist):
        return None


@login_not_required
def password_reset_confirm(request, uidb64, token):
    user = _reset_user(uidb64)
    if token != IN_SESSION:
        if user is not None and default_token_generator.check_token(user, token):
            request.session[RESET_TOKEN] = token
            return redirect("accounts:password-reset-confirm", uidb64=uidb64, token=IN_SESSION)
        user = None
    elif user is not None and not default_token_generator.check_token(
            user, request.session.get(RESET_TOKEN, "")):
        user = None
    if user is None or not user.is_active:
        return render(request, "accounts/link_refused.html", {
            "title": "You cannot use this link",
            "message": "This link to reset your password has expired or has already been "
                       "used. Ask for a new one.", "reset": True}, status=400)
    form = NewPasswordForm(user, request.POST or None)

    def complete(data):
        done_user = services.password_reset_complete(user=user,
                                                     password=data["new_password1"])
        request.session.pop(RESET_TOKEN, None)
        return done_user

    done = handle_form(request, form, complete,
                       success_message="Your password has been changed. Sign in with it now.",
                       redirect_to=reverse("accounts:sign-in"))
    return done or render(request, "form_page.html", {
        "form": form, "title": "Choose a new password", "button": "Change my password",
        "back": reverse("accounts:sign-in"), "caption": user.email})
