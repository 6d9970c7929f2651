"""Teams and weeks for the workforce tests."""

import datetime as dt

from caresight.core.tenancy import OPERATOR

from .. import services

MONDAY = dt.date(2020, 6, 1)
# Seed 000's "WORKFORCE UPDATE": 15 absent, all shielding / social distancing from home.
SEED_COUNTS = {"staff_in_post": 40, "absent_symptoms": 0, "absent_household": 0,
               "absent_shielding": 15, "absent_positive": 0, "absent_other": 0}


def team(authority, name="Commissioning"):
    return services.team_create(authority=authority, name=name, user=OPERATOR)


def week(team, on=MONDAY, **counts):
    return services.team_week_record(team=team, week_commencing=on, user=OPERATOR,
                                     **{**SEED_COUNTS, **counts})
