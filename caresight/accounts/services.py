"""Writes for people, organisations, memberships, API tokens and two-factor sign-in."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from caresight.core import tenancy
from caresight.core.audit import save_audited
from caresight.core.email import clean_address, queue_email
from caresight.core.tenancy import Capability
from caresight.registry.models import Authority, Provider
from caresight.registry.selectors import area_authorities

from .models import Invitation, Membership, Organisation, Role, User

KIND_FOR_ROLE: dict[str, str] = {
    Role.PARTNER: Organisation.Kind.NHS_PARTNER,
    Role.PROVIDER_USER: Organisation.Kind.CARE_PROVIDER,
    Role.VIEWER: Organisation.Kind.REGIONAL_BODY,
}


def resolve_authorities(codes: Iterable[str]) -> list[Authority]:
    """Authorities for ONS codes; a region code (E12…) or "england" stands for all within it."""
    authorities: dict[int, Authority] = {}
    for raw in codes:
        found = area_authorities(raw)
        if not found:
            raise ValidationError({"authority": f"{raw!r} is not an authority or region code."})
        authorities.update((a.pk, a) for a in found)
    return list(authorities.values())


@transaction.atomic
def organisation_get_or_create(
    *, name: str, kind: str, user, provider: Provider | None = None
) -> Organisation:
    organisation = (
        Organisation.objects.filter(kind=kind, provider=provider).first() if provider
        else Organisation.objects.filter(name=name).first()
    )
    if organisation is None and Organisation.objects.filter(name=name).exists():
        raise ValidationError({"organisation": (
            f"An organisation called {name} already exists for someone else; choose "
            "another name.")})
    if organisation:
        if organisation.kind != kind:
            raise ValidationError({"organisation": (
                f"{name} is a {organisation.get_kind_display().lower()}, not a "
                f"{Organisation.Kind(kind).label.lower()}.")})
        return organisation
    return save_audited(Organisation(name=name, kind=kind, provider=provider), user=user)


@transaction.atomic
def user_create(
    *, email: str, role: str, authority_codes: Iterable[str], organisation_name: str = "",
    password: str | None = None, full_name: str = "", provider: Provider | None = None,
    by=None,
) -> tuple[User, Membership]:
    """Create (or find) a user and give them a role over authorities through an organisation.

    Without a password the user cannot sign in until one is set (`caresight changepassword`).
    """
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role; choose one of "
                               f"{', '.join(Role.values)}."})
    authorities = resolve_authorities(authority_codes)
    if not authorities:
        raise ValidationError({"authority": "Give at least one authority."})
    if role == Role.PROVIDER_USER and provider is None:
        raise ValidationError({"provider": "A provider user needs the provider they work for."})
    kind = KIND_FOR_ROLE.get(role, Organisation.Kind.COUNCIL)
    if not organisation_name:
        organisation_name = (
            f"{provider.name} ({provider.cqc_provider_id or provider.pk})" if provider
            else authorities[0].name + (" Council" if kind == Organisation.Kind.COUNCIL else "")
        )
    organisation = organisation_get_or_create(
        name=organisation_name, kind=kind, user=by, provider=provider
    )
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, full_name=full_name, is_staff=role != Role.PROVIDER_USER)
        if password:
            password_validation.validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        save_audited(user, user=by, reason="User created")
    membership = Membership.objects.filter(
        user=user, organisation=organisation, role=role).first() or save_audited(
        Membership(user=user, organisation=organisation, role=role), user=by)
    membership.authorities.add(*authorities)
    return user, membership


@transaction.atomic
def token_create(*, email: str) -> Token:
    """Create (or replace) the API token of the user with this email address."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise ValidationError({"email": f"No user has the email address {email}."})
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


# --- Two-factor sign-in -------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """Begin setting up an authenticator app: an unconfirmed device until a code is entered."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the device with a code from the app; return new single-use backup codes."""
    if not device.verify_token(code.replace(" ", "")):
        raise ValidationError({"code": "The code is not right; enter the 6-digit code the app "
                               "shows now."})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="Backup codes")
    codes = [secrets.token_hex(4) for _ in range(10)]
    for code_ in codes:
        StaticToken.objects.create(device=backup, token=code_)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()



# --- Administrators manage their own users ----------------------------------------------------
# An administrator acts only on people with a role in an authority they administer (the tenancy
# door, accounts.User in core.tenancy.RULES), and grants or takes away only those authorities.


def _administered(by) -> frozenset[int]:
    return tenancy.authority_ids(by, Capability.MANAGE_USERS)


def _check_grantable(by, authorities: Iterable[Authority]) -> list[Authority]:
    authorities = list(authorities)
    if not authorities:
        raise ValidationError({"authorities": "Choose at least one authority."})
    outside = [a.name for a in authorities if a.pk not in _administered(by)]
    if outside:
        raise ValidationError({"authorities": (
            "You can only give access to authorities you administer; "
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not one of them.")})
    return authorities


def _not_yourself(by, user: User, what: str) -> None:
    if getattr(by, "pk", None) == user.pk:
        raise ValidationError(f"You cannot {what} yourself; ask another administrator.")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _authority_ids_of(user: User) -> list[int]:
    return list(Membership.authorities.through.objects.filter(
        membership__user=user).values_list("authority_id", flat=True).distinct())


@transaction.atomic
def user_invite(*, email: str, full_name: str, role: str, authorities: Iterable[Authority],
                organisation: Organisation | None = None, organisation_name: str = "",
                provider: Provider | None = None, by, site_url: str) -> Invitation:
    """Give someone a role over authorities the inviter administers, and email them.

    Someone new gets a link (valid CARESIGHT_INVITATION_DAYS) to set their password; an earlier
    invitation of theirs stops working. Someone who already signs in is told of their new role.
    """
    email = clean_address(email, field="email").lower()
    authorities = _check_grantable(by, authorities)
    if organisation is not None:
        organisation_name = organisation.name
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        _not_yourself(by, existing, "invite")
    user, membership = user_create(
        email=email, role=role, authority_codes=[a.ons_code for a in authorities],
        organisation_name=organisation_name.strip(), full_name=full_name.strip(),
        provider=provider, by=by)
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    signs_in = existing is not None and existing.has_usable_password()
    Invitation.objects.filter(user=user, accepted_at__isnull=True, replaced_at__isnull=True
                              ).update(replaced_at=now)
    invitation = save_audited(Invitation(
        user=user, role=role, organisation=membership.organisation, invited_by=tenancy.actor(by),
        token_hash=_token_hash(token), created_at=now,
        expires_at=now + dt.timedelta(days=settings.CARESIGHT_INVITATION_DAYS),
        accepted_at=now if signs_in else None,
    ), user=by, reason="Invited" if not signs_in else "Role given to someone who signs in")
    invitation.authorities.set(authorities)
    context = {
        "user": user, "invitation": invitation, "membership": membership,
        "authorities": ", ".join(a.name for a in authorities),
        "service": settings.CARESIGHT_SERVICE_NAME, "by": by if tenancy.actor(by) else None,
        "link": f"{site_url}/accounts/invitation/{token}/",
        "sign_in": f"{site_url}/accounts/sign-in/",
        "days": settings.CARESIGHT_INVITATION_DAYS,
    }
    template = "accounts/email/new_role.txt" if signs_in else "accounts/email/invitation.txt"
    subject = (f"You have a new role in {settings.CARESIGHT_SERVICE_NAME}" if signs_in
               else f"You are invited to use {settings.CARESIGHT_SERVICE_NAME}")
    queue_email(to=[user.email], subject=subject, text=render_to_string(template, context),
                kind="invitation", cause=invitation, by=by, authorities=authorities)
    return invitation


class InvitationRefused(ValidationError):
    """An invitation link that cannot be used, with the reason in words."""


def invitation_for_token(token: str) -> Invitation:
    """The invitation this link's token opens, or InvitationRefused saying why not."""
    invitation = (Invitation.objects.select_related("user", "organisation")
                  .filter(token_hash=_token_hash(token or "")).first())
    if invitation is None:
        raise InvitationRefused("This invitation link is not right. Check that you copied the "
                                "whole link from the email, or ask your administrator for a "
                                "new invitation.")
    if invitation.accepted_at is not None:
        raise InvitationRefused("This invitation has already been used. Sign in with your email "
                                "address and password, or reset your password if you have "
                                "forgotten it.")
    if invitation.replaced_at is not None:
        raise InvitationRefused("This invitation has been replaced by a newer one. Use the link "
                                "in the latest email you were sent.")
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused("This invitation has expired. Ask your administrator to send "
                                "you a new one.")
    if not invitation.user.is_active:
        raise InvitationRefused("This account has been deactivated. Ask your administrator.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password (Django's validators) and use the invitation up."""
    invitation = invitation_for_token(token)
    # Claim it in one statement, so that a link used twice at once works once.
    if not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()):
        raise InvitationRefused("This invitation has already been used.")
    user = invitation.user
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(password)
    save_audited(user, user=user, reason="Invitation accepted; password set")
    return user


@transaction.atomic
def membership_update(*, membership: Membership, role: str, authorities: Iterable[Authority],
                      by) -> Membership:
    """Change a role and the authorities it is held over, within those `by` administers.

    Authorities of the role that `by` does not administer are kept as they are.
    """
    _not_yourself(by, membership.user, "change the roles of")
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    chosen = _check_grantable(by, authorities)
    administered = _administered(by)
    kept = [a for a in membership.authorities.all() if a.pk not in administered]
    if role != membership.role and Membership.objects.filter(
            user=membership.user, organisation=membership.organisation, role=role).exists():
        raise ValidationError({"role": (
            f"{membership.user} already has the role {Role(role).label} at "
            f"{membership.organisation}; change that one instead.")})
    if role == Role.PROVIDER_USER and membership.organisation.provider_id is None:
        raise ValidationError({"role": "Only people of a care provider can be provider users."})
    if role != Role.PROVIDER_USER and membership.role == Role.PROVIDER_USER:
        raise ValidationError({"role": "A provider's people can only be provider users."})
    before = (membership.role, sorted(a.pk for a in membership.authorities.all()))
    membership.role = role
    save_audited(membership, user=by, reason="Role and authorities changed")
    membership.authorities.set([*kept, *chosen])
    if before != (role, sorted(a.pk for a in [*kept, *chosen])):
        # The m2m change has its own history row; record who made it on the user too.
        save_audited(membership.user, user=by,
                     reason=f"Role changed to {Role(role).label}"[:100])
    return membership


@transaction.atomic
def user_set_active(*, user: User, active: bool, by) -> User:
    """Deactivate someone (they can no longer sign in or use their API token) or reactivate
    them; only when every authority they work for is one `by` administers."""
    _not_yourself(by, user, "deactivate" if not active else "reactivate")
    outside = set(_authority_ids_of(user)) - _administered(by)
    if outside and by is not tenancy.OPERATOR:
        raise ValidationError(
            f"{user} also works for authorities you do not administer, so only their "
            "administrators together can " + ("deactivate" if not active else "reactivate")
            + " them. You can take away the roles you gave instead.")
    if user.is_active == active:
        raise ValidationError(f"{user} is already {'active' if active else 'deactivated'}.")
    user.is_active = active
    save_audited(user, user=by, reason="Reactivated" if active else "Deactivated")
    if not active:
        Token.objects.filter(user=user).delete()
    return user


# --- Forgotten passwords ------------------------------------------------------------------


def password_reset_request(*, email: str, site_url: str) -> None:
    """Email a link to set a new password to the active account with this address, if there is
    one. Say nothing either way: the page answers the same, so it tells nobody who has an
    account."""
    email = clean_address(email, field="email").lower()
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {"user": user, "service": settings.CARESIGHT_SERVICE_NAME,
               "link": f"{site_url}/accounts/password-reset/{uid}/{token}/",
               "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    queue_email(to=[user.email], subject=f"Reset your {settings.CARESIGHT_SERVICE_NAME} password",
                text=render_to_string("accounts/email/password_reset.txt", context),
                kind="password_reset", cause=user, by=None,
                authorities=_authority_ids_of(user))


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    """Set a new password from a forgotten-password link (the view has checked its token)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    user.set_password(password)
    save_audited(user, user=user, reason="Password reset by email")
    return user
