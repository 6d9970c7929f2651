"""What beds tell people, through the notifications app (so each person's choices and the
daily digest apply, and nothing is told twice):

- a new outbreak in a service with a running bed scheme: the brokerage officers of each
  scheme's council, with the schemes named (`outbreak_in_schemes`, from the notifications'
  post_save hook on an outbreak, after it commits);
- a person past their scheme's longest intended stay: the officer who placed them, once per
  placement (`overstays_notify`, a step of the notifications' daily job).

Neither names the person beyond their pseudonymous reference, and neither carries the NHS
number's hash.
"""

import datetime as dt
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from caresight.accounts.models import Membership, User
from caresight.core import tenancy
from caresight.core.roles import Role
from caresight.core.tenancy import OPERATOR, Capability
from caresight.core.timeutils import long_date
from caresight.notifications.models import Kind
from caresight.notifications.services import NEW_OUTBREAK_DAYS, notify

from . import selectors
from .models import BedScheme


def brokerage_officers(authority_ids: set[int]) -> dict[int, set[int]]:
    """user ID -> the authorities (of `authority_ids`) where they are an active brokerage
    officer."""
    found: dict[int, set[int]] = defaultdict(set)
    for user_id, authority_id in Membership.objects.filter(
            role=Role.BROKERAGE, user__is_active=True,
            authorities__id__in=list(authority_ids)).values_list("user_id", "authorities__id"):
        if authority_id in authority_ids:
            found[user_id].add(authority_id)
    return found


def outbreak_in_schemes(outbreak_id: int) -> list:
    """Brokerage officers of each council with a bed scheme running in the outbreak's service
    on the day it was reported: an outbreak there, with their council's schemes named."""
    from caresight.outbreaks.models import Outbreak

    outbreak = Outbreak.objects.select_related("location__authority").get(pk=outbreak_id)
    if outbreak.reported_on < timezone.localdate() - dt.timedelta(days=NEW_OUTBREAK_DAYS):
        return []  # an old outbreak entered late (a backfill, an import): news to nobody
    location = outbreak.location
    schemes = list(selectors.running_on(
        BedScheme.objects.filter(location=location), outbreak.reported_on)
        .select_related("authority").order_by("authority__name", "name", "pk"))
    if not schemes:
        return []
    officers = brokerage_officers({s.authority_id for s in schemes})
    users = User.objects.in_bulk(officers)
    made = []
    for user_id, authority_ids in sorted(officers.items()):
        theirs = [s for s in schemes if s.authority_id in authority_ids]
        names = [s.name for s in theirs]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        closed = " It has closed to admissions." if outbreak.admissions_closed else ""
        made += notify(
            Kind.BEDS_OUTBREAK, [users[user_id]],
            subject=f"Outbreak at {location.name}, where you have commissioned beds",
            body=f"{location.name} ({location.authority.name}) reported an outbreak on "
                 f"{long_date(outbreak.reported_on)}. Your bed scheme"
                 f"{'s' if len(names) > 1 else ''} there: {listed}. Think before placing "
                 f"anyone there.{closed}",
            link=reverse("beds:scheme-detail", args=[theirs[0].pk]) if len(theirs) == 1
            else reverse("beds:brokerage"),
            dedupe_key=f"beds_outbreak:{outbreak.pk}", cause=outbreak,
            authorities=sorted({s.authority for s in theirs}, key=lambda a: a.pk))
    return made


def overstays_notify(today: dt.date) -> int:
    """The placing officer of each person in a bed on `today` past their scheme's longest
    intended stay, once per placement (while they may still see it); return how many told."""
    made = 0
    for placement in selectors.overstays(user=OPERATOR, as_of=today):
        officer = placement.placed_by
        if officer is None or not officer.is_active or not tenancy.allows(
                officer, Capability.VIEW_BEDS, placement):
            continue
        scheme = placement.scheme
        nights = (today - placement.admitted_on).days
        made += len(notify(
            Kind.BED_OVERSTAY, [officer],
            subject=f"{placement.person_reference} has stayed past {scheme.name}'s intended "
                    "stay",
            body=f"{placement.person_reference}, whom you placed in {scheme.name} on "
                 f"{long_date(placement.admitted_on)}, has stayed {nights} nights on "
                 f"{long_date(today)}: the scheme intends at most {scheme.max_stay_days}. "
                 "Plan their discharge, or record it if they have left.",
            link=reverse("beds:placement-detail", args=[placement.pk]),
            dedupe_key=f"bed_overstay:{placement.pk}", cause=placement,
            authorities=[scheme.authority]))
    return made
