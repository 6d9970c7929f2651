"""Background tasks of the risk log (django-tasks; run by `caresight db_worker`)."""

import datetime as dt

from django_tasks import task


@task()
def refresh_risk_logs(authority_ids: list[int], as_of: str) -> None:
    """Keep these authorities' worked-out logs of `as_of` current (after their data changed)."""
    from .services import risk_logs_refresh

    risk_logs_refresh(authority_ids=authority_ids, as_of=dt.date.fromisoformat(as_of))
