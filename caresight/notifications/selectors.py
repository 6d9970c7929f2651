"""Notification reads: a user's list, their choices, and who is told about what."""

from django.db.models import QuerySet

from caresight.accounts.models import Membership, User
from caresight.core.roles import Role
from caresight.core.tenancy import ROLE_CAPABILITIES, Capability

from .models import OFFICER_KINDS, PROVIDER_KINDS, Kind, Notification, NotificationPreference


def notification_list(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()


def kinds_for(user) -> list[str]:
    """The kinds this user may be told about (by their roles), officers' first."""
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    kinds: list[str] = []
    if roles - {Role.PROVIDER_USER, Role.VIEWER}:
        kinds += OFFICER_KINDS
    # The beds' kinds go only to those whose work they are: brokerage, of an outbreak where
    # their council has beds; whoever places people in beds, of an overstay.
    if Role.BROKERAGE in roles:
        kinds.append(Kind.BEDS_OUTBREAK)
    if any(Capability.PLACE_BEDS in ROLE_CAPABILITIES.get(role, ()) for role in roles
           - {Role.PROVIDER_USER, Role.VIEWER}):
        kinds.append(Kind.BED_OVERSTAY)
    if Role.PROVIDER_USER in roles:
        kinds += PROVIDER_KINDS
    return kinds


def preference_choices(*, user) -> dict[str, str]:
    """kind -> the user's choice (immediate by default), for the kinds they may be told."""
    chosen = dict(NotificationPreference.objects.filter(user=user)
                  .values_list("kind", "delivery"))
    return {kind: chosen.get(kind, NotificationPreference.Delivery.IMMEDIATE)
            for kind in kinds_for(user)}


def officers_with(capability: Capability, authority_id: int) -> list[User]:
    """Active users holding `capability` over this authority through a council or partner
    role (not a provider user's: those reach only their own services)."""
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items()
             if capability in capabilities and role != Role.PROVIDER_USER]
    return list(User.objects.filter(
        is_active=True, memberships__role__in=roles,
        memberships__authorities__id=authority_id).distinct().order_by("pk"))


def provider_users(provider_id: int, authority_id: int) -> list[User]:
    """Active provider users of this provider with a membership covering this authority."""
    return list(User.objects.filter(
        is_active=True, memberships__role=Role.PROVIDER_USER,
        memberships__organisation__provider_id=provider_id,
        memberships__authorities__id=authority_id).distinct().order_by("pk"))


KIND_LABELS = dict(Kind.choices)
