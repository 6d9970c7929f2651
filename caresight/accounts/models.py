from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.core.roles import Role

__all__ = ["Invitation", "Membership", "Organisation", "Role", "User", "UserManager"]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in with their email address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Council or NHS staff; staff may turn on two-factor sign-in."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[var-annotated]  # Django declares it as a ClassVar

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email


class Organisation(models.Model):
    """A council, NHS partner, care provider, or regional or national body using Caresight."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        NHS_PARTNER = "nhs_partner", "NHS partner"
        CARE_PROVIDER = "care_provider", "Care provider"
        REGIONAL_BODY = "regional_body", "Regional body"
        NATIONAL_BODY = "national_body", "National body"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    provider = models.ForeignKey(
        "registry.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text="For care providers: the CQC provider whose locations its people may see.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="care_provider", provider__isnull=False)
                | ~Q(kind="care_provider"),
                name="care_provider_organisation_has_provider",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Gives a user one role, through one organisation, over one or more authorities."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    authorities = models.ManyToManyField("registry.Authority", related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(m2m_fields=[authorities])

    class Meta:
        ordering = ["user", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_membership_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class Invitation(models.Model):
    """An administrator's invitation to set a password and start using Caresight: a link with a
    random token (only its hash is kept) that works once, until `expires_at`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    authorities = models.ManyToManyField("registry.Authority", related_name="+")
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # A newer invitation to the same person replaces this one.
    replaced_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["token_hash"], m2m_fields=[authorities])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation to {self.user.email}"

    @property
    def is_open(self) -> bool:
        return (self.accepted_at is None and self.replaced_at is None
                and self.expires_at > timezone.now())
