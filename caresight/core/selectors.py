"""Reads for shared plumbing: the log of downloads."""

from django.db.models import QuerySet

from caresight.core import tenancy
from caresight.core.roles import Role
from caresight.core.tenancy import Capability

from .models import DownloadRecord, EmailDelivery


def is_administrator(user) -> bool:
    """Whether `user` may see the downloads log: a superuser, or an administrator role."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or tenancy.has_capability(user, Capability.MANAGE_USERS)


def download_list(*, user) -> QuerySet[DownloadRecord]:
    """Downloads of record-level data the administrator `user` may see: a superuser every one
    (the command line's too), an administrator those by members of their own organisations."""
    queryset = DownloadRecord.objects.select_related("user").order_by("-at", "-pk")
    if user.is_superuser:
        return queryset
    organisations = user.memberships.filter(role=Role.ADMIN).values("organisation_id")
    return queryset.filter(user__memberships__organisation_id__in=organisations).distinct()


def email_delivery_list(*, user, status: str = "") -> QuerySet[EmailDelivery]:
    """Email deliveries the administrator `user` may see, newest first: a superuser every one,
    an administrator those of emails about their authorities."""
    queryset = EmailDelivery.objects.select_related("email").order_by("-queued_at", "-pk")
    if not user.is_superuser:
        queryset = tenancy.in_scope(user, Capability.MANAGE_USERS, queryset)
    return queryset.filter(status=status) if status else queryset
