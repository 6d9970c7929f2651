"""The roles a membership gives a user. Tenancy reads them, so they live in core;
`caresight.accounts.models.Role` is the same class."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    COMMISSIONER = "commissioner", "Commissioner"
    QUALITY_OFFICER = "quality_officer", "Quality officer"
    PUBLIC_HEALTH = "public_health", "Public health"
    FINANCE = "finance", "Finance"
    BROKERAGE = "brokerage", "Brokerage officer"
    PARTNER = "partner", ("Partner (reads; updates the actions it leads; places in the beds "
                          "it commissions)")
    PROVIDER_USER = "provider_user", "Provider user"
    VIEWER = "viewer", "Regional or national viewer"
