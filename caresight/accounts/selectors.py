"""Reads about people and their access."""

from django.conf import settings
from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, User


def two_factor_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_required(user: User) -> bool:
    """Whether the user's roles (CARESIGHT_REQUIRE_2FA_ROLES) oblige them to use two-factor
    sign-in; superusers count as administrators."""
    roles = settings.CARESIGHT_REQUIRE_2FA_ROLES
    if not roles or not user.is_authenticated:
        return False
    if user.is_superuser and "admin" in roles:
        return True
    return Membership.objects.filter(user=user, role__in=roles).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def membership_list(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .prefetch_related("authorities")
    )
