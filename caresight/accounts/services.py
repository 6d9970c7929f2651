"""Writes for people, organisations, memberships, API tokens and two-factor sign-in."""

import secrets
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from caresight.core.audit import save_audited
from caresight.registry.models import Authority, Provider
from caresight.registry.selectors import area_authorities

from .models import Membership, Organisation, Role, User

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

