import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

CQC_ID_PATTERN = r"^1-\d{6,12}$"
cqc_id_validator = RegexValidator(
    CQC_ID_PATTERN, "Enter a CQC ID in the form 1- followed by 6 to 12 digits, like 1-101234567"
)
postcode_validator = RegexValidator(
    r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", "Enter a full UK postcode, like PE1 1HF"
)


# How a service with no locality reads on every page, download and API answer.
NO_LOCALITY = "No locality"


def locality_label(name: str | None) -> str:
    """A service's locality as people read it, from its locality's name (None: it has none)."""
    return name or NO_LOCALITY


def postcode_district(postcode: str) -> str:
    """Return the outward code ("PE1") of a postcode ("PE1 1HF"), or "" if there is none."""
    compact = re.sub(r"\s+", "", postcode or "").upper()
    return compact[:-3] if len(compact) >= 5 else ""


class Region(models.Model):
    """An English region (ONS code E12…), the grouping of authorities."""

    ons_code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Authority(models.Model):
    """A council with adult social care duties. Reference data, shipped and loaded by migration."""

    class Tier(models.TextChoices):
        COUNTY = "county", "County council"
        UNITARY = "unitary", "Unitary authority"
        METROPOLITAN = "metropolitan", "Metropolitan borough"
        LONDON = "london", "London borough"

    ons_code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=20, choices=Tier.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="authorities")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(
        null=True, blank=True, help_text="The last day before the authority was abolished."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"

    def __str__(self) -> str:
        return self.name


class Locality(models.Model):
    """An authority's own named sub-area (e.g. Fenland), used to group its services."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="localities")
    name = models.CharField(max_length=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority__name", "name"]
        verbose_name_plural = "localities"
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="unique_locality_name"),
        ]

    def __str__(self) -> str:
        return self.name


class LocalityArea(models.Model):
    """Puts every location in a lower-tier district or postcode district into a locality."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "Lower-tier district (ONS code)"
        POSTCODE_DISTRICT = "postcode_district", "Postcode district"

    locality = models.ForeignKey(Locality, on_delete=models.CASCADE, related_name="areas")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(max_length=9)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "kind", "code"], name="one_locality_per_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.locality}"


class Provider(models.Model):
    """A care provider (a CQC-registered company, charity or council service)."""

    cqc_provider_id = models.CharField(
        "CQC provider ID", max_length=14, null=True, blank=True, unique=True,
        validators=[cqc_id_validator],
    )
    name = models.CharField(max_length=200)
    home_authority = models.ForeignKey(
        Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The council that added this provider, if it was not imported from CQC.",
    )
    is_small = models.BooleanField(
        "small provider", default=False,
        help_text="A small or single-site provider that may need more support.",
    )
    contact_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    website = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceType(models.TextChoices):
    CARE_HOME_NURSING = "care_home_nursing", "Care home with nursing"
    CARE_HOME = "care_home", "Care home without nursing"
    DOMICILIARY = "domiciliary", "Domiciliary care (home care)"
    EXTRA_CARE = "extra_care", "Extra care housing"
    SUPPORTED_LIVING = "supported_living", "Supported living"
    DAY_SERVICE = "day_service", "Day service"
    OTHER = "other", "Other"


CARE_HOME_TYPES = (ServiceType.CARE_HOME_NURSING, ServiceType.CARE_HOME)


class ClientGroup(models.TextChoices):
    OLDER_PEOPLE = "older_people", "Older people"
    YOUNGER_ADULTS = "younger_adults", "Adults under 65"
    DEMENTIA = "dementia", "Dementia"
    LEARNING_DISABILITY = "learning_disability", "Learning disability"
    MENTAL_HEALTH = "mental_health", "Mental health"
    PHYSICAL_DISABILITY = "physical_disability", "Physical disability"
    SENSORY_IMPAIRMENT = "sensory_impairment", "Sensory impairment"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    EATING_DISORDERS = "eating_disorders", "Eating disorders"
    CHILDREN = "children", "Children"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    DEREGISTERED = "deregistered", "Deregistered"


class CqcRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not yet rated"


class Location(models.Model):
    """A care service: a care home, a home care office, an extra care scheme, a day service…"""

    cqc_location_id = models.CharField(
        "CQC location ID", max_length=14, null=True, blank=True, unique=True,
        validators=[cqc_id_validator],
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[postcode_validator])
    district_code = models.CharField(
        "lower-tier district code", max_length=9, blank=True,
        help_text="ONS code of the district council area, used to assign a locality.",
    )
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="locations")
    locality = models.ForeignKey(
        Locality, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    service_type = models.CharField(max_length=20, choices=ServiceType.choices)
    client_groups = models.JSONField(default=list, blank=True)
    cqc_specialisms = models.JSONField("CQC specialisms", default=list, blank=True)
    registered_beds = models.PositiveIntegerField(null=True, blank=True)
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    registration_date = models.DateField(null=True, blank=True)
    deregistration_date = models.DateField(null=True, blank=True)
    cqc_rating = models.CharField(
        "CQC rating", max_length=20, choices=CqcRating.choices, blank=True
    )
    cqc_rating_date = models.DateField("CQC rating date", null=True, blank=True)
    ods_code = models.CharField("ODS code", max_length=10, blank=True)
    manager_name = models.CharField("registered manager", max_length=150, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    clinical_lead = models.CharField(
        max_length=200, blank=True, help_text="Named clinical lead, usually from a GP practice."
    )
    clinical_lead_contact = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["authority", "name"]),
            models.Index(fields=["authority", "service_type"]),
            models.Index(fields=["authority", "locality"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_beds__gte=0) | Q(registered_beds__isnull=True),
                name="beds_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deregistration_date__isnull=True)
                | Q(registration_date__isnull=True)
                | Q(deregistration_date__gte=F("registration_date")),
                name="deregistered_after_registered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Rules that span fields; forms, the API and imports all meet them through full_clean."""
        errors = {}
        if self.registered_beds and self.service_type not in CARE_HOME_TYPES:
            errors["registered_beds"] = (
                "Only care homes have registered beds; leave this blank for other services.")
        if self.locality is not None and self.authority_id and (
            self.locality.authority_id != self.authority_id
        ):
            errors["locality"] = f"{self.locality} is not a locality of {self.authority}."
        if (self.registration_date and self.deregistration_date
                and self.deregistration_date < self.registration_date):
            errors["deregistration_date"] = (
                "The deregistration date is before the registration date.")
        if errors:
            raise ValidationError(errors)

    @property
    def locality_label(self) -> str:
        """The locality as every page and download shows it ("No locality" when none)."""
        return locality_label(self.locality.name if self.locality is not None else None)

    @property
    def is_care_home(self) -> bool:
        return self.service_type in CARE_HOME_TYPES

    def get_client_groups_display(self) -> list[str]:
        labels = dict(ClientGroup.choices)
        return [labels.get(code, code) for code in self.client_groups]
