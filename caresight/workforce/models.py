"""The council's own workforce: its teams and, week by week, their staff and COVID-19 absences."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from caresight.core.timeutils import long_date
from caresight.registry.models import Authority

# The reasons a member of staff is absent, in the order the council's reports list them:
# (field, label as a heading, words in the sentence).
ABSENCE_REASONS = [
    ("absent_symptoms", "Self-isolating with symptoms", "self-isolating with symptoms"),
    ("absent_household", "Self-isolating because of a household member, working from home",
     "self-isolating because of a household member, working from home"),
    ("absent_shielding", "Shielding or social distancing, working from home",
     "shielding or social distancing, working from home"),
    ("absent_positive", "COVID-19 positive", "COVID-19 positive"),
    ("absent_other", "Other", "other"),
]
ABSENCE_FIELDS = [field for field, _, _ in ABSENCE_REASONS]
# Every count of a week, in the order forms and files show them.
COUNT_FIELDS = ["staff_in_post", *ABSENCE_FIELDS, "vacancies", "redeployed_in",
                "redeployed_out"]
TREND_WEEKS = 12  # the weeks of the trend, up to the as-of date, unless asked otherwise
TREND_WEEK_CHOICES = (6, 12, 26, 52)


def percent(part: int, whole: int | None) -> Decimal | None:
    """`part` as a percentage of `whole`, to one decimal place (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


class Team(models.Model):
    """A team of the council's own staff ("Commissioning", "Brokerage")."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"],
                                    name="workforce_one_team_name_per_authority"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamWeek(models.Model):
    """A team's staff and absences in the week starting on `week_commencing` (a Monday)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="weeks")
    week_commencing = models.DateField(help_text="The Monday the week starts on.")
    staff_in_post = models.PositiveIntegerField()
    absent_symptoms = models.PositiveIntegerField(
        "self-isolating with symptoms", default=0)
    absent_household = models.PositiveIntegerField(
        "self-isolating because of a household member, working from home", default=0)
    absent_shielding = models.PositiveIntegerField(
        "shielding or social distancing, working from home", default=0)
    absent_positive = models.PositiveIntegerField("COVID-19 positive", default=0)
    absent_other = models.PositiveIntegerField("other", default=0)
    vacancies = models.PositiveIntegerField(default=0)
    redeployed_in = models.PositiveIntegerField(default=0)
    redeployed_out = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["team__name", "-week_commencing"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week_commencing"],
                                    name="workforce_one_row_per_team_week"),
        ]

    def __str__(self) -> str:
        return f"{self.team}, week commencing {long_date(self.week_commencing)}"

    @property
    def total_absent(self) -> int:
        return sum(getattr(self, field) for field in ABSENCE_FIELDS)

    @property
    def percent_absent(self) -> Decimal | None:
        return percent(self.total_absent, self.staff_in_post)
