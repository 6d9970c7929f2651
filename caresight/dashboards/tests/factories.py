"""A small area with known figures for the dashboard tests, made through the services."""

import datetime as dt

from django.utils import timezone

from caresight.core.tenancy import OPERATOR
from caresight.grants import services as grants
from caresight.grants.tests.factories import care_home, simple_round
from caresight.outbreaks.services import Counts, outbreak_report
from caresight.registry.tests.factories import ProviderFactory
from caresight.returns.services import return_submit
from caresight.returns.tests.test_submit import care_home_answers


def today() -> dt.date:
    return timezone.localdate()


def make_area(cambs, devon) -> dict:
    """Cambridgeshire: four care homes (two of one provider), three returned today — two
    short of eye protection (6 days), each with 5 vacant beds — one live outbreak reported two
    days ago and one closed long ago, a confirmed round. Devon: two homes, one returned, one
    live outbreak."""
    day = today()
    provider = ProviderFactory(name="Own Provider")
    homes = [care_home(cambs, name="Fen View", provider=provider),
             care_home(cambs, name="Ely House", provider=provider),
             care_home(cambs, name="Ouse Lodge"), care_home(cambs, name="March Court")]
    away = [care_home(devon, name="Dartmoor House"), care_home(devon, name="Exe View")]
    for home, changes in ((homes[0], {}), (homes[2], {}),
                          (homes[3], {"ppe_days_eye_protection": "20"}), (away[0], {})):
        return_submit(location=home, for_date=day, answers=care_home_answers(**changes),
                      user=OPERATOR)
    outbreak_report(location=homes[2], reported_on=day - dt.timedelta(days=2),
                    reported_by="provider", counts=Counts(kind="confirmed",
                                                          new_cases_residents=2),
                    user=OPERATOR)
    outbreak_report(location=away[0], reported_on=day - dt.timedelta(days=1),
                    reported_by="provider", counts=Counts(kind="confirmed",
                                                          new_cases_residents=1),
                    user=OPERATOR)
    round = simple_round(cambs)
    grants.allocation_confirm(round=round, user=OPERATOR)
    return {"day": day, "provider": provider, "homes": homes, "away": away, "round": round}
