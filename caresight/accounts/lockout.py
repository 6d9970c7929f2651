"""Sign-in lockout: per email address from one client, and per client across email addresses.

django-axes counts failures for each set in AXES_LOCKOUT_PARAMETERS (here the email address with
the client's address, then the client's address alone) and applies one limit to them all. A
council office signs in from one address, so the client-wide count has a limit of its own
(CARESIGHT_IP_FAILURE_LIMIT, higher than AXES_FAILURE_LIMIT): one person's typing mistakes lock
only their own email address, while someone trying many addresses is stopped too.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures, in units of AXES_FAILURE_LIMIT: the client-wide count reaching its own
        limit counts as the email limit reached."""
        per_email, per_client = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_client >= settings.CARESIGHT_IP_FAILURE_LIMIT:
            return max(per_email, get_failure_limit(request, credentials))
        return per_email
