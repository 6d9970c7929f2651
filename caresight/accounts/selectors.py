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


def user_for_sign_in(pk) -> User:
    """The user a half-finished sign-in (password given, code awaited) belongs to."""
    return User.objects.get(pk=pk)


def user_list(*, user) -> QuerySet[User]:
    """People with a role in an authority `user` administers, with those roles."""
    from caresight.core import tenancy
    from caresight.core.tenancy import Capability

    return (tenancy.in_scope(user, Capability.MANAGE_USERS, User)
            .prefetch_related("memberships__organisation", "memberships__authorities",
                              "invitations")
            .order_by("full_name", "email"))


def user_memberships(*, user, person: User) -> QuerySet[Membership]:
    """`person`'s roles that `user` administers (at least one of their authorities)."""
    from caresight.core import tenancy
    from caresight.core.tenancy import Capability

    return (tenancy.in_scope(user, Capability.MANAGE_USERS, Membership).filter(user=person)
            .select_related("organisation").prefetch_related("authorities"))


def organisations_for(*, user):
    """Organisations someone administering these authorities may invite people into: those
    with people in their authorities."""
    from caresight.core import tenancy
    from caresight.core.tenancy import Capability

    from .models import Organisation

    held = tenancy.in_scope(user, Capability.MANAGE_USERS, Membership).values("organisation_id")
    return Organisation.objects.filter(pk__in=held).order_by("name")


def account_status(person: User) -> str:
    """Active, invited (not yet accepted), invitation expired, or deactivated."""
    if not person.is_active:
        return "Deactivated"
    if person.has_usable_password():
        return "Active"
    invitations = sorted(person.invitations.all(), key=lambda i: i.created_at, reverse=True)
    if invitations and invitations[0].is_open:
        return "Invited"
    return "Invitation expired" if invitations else "No password set"
