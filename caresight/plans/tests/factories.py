"""A small care home support plan, as seed 001 has it, for tests."""

import datetime as dt

from caresight.accounts.models import Organisation
from caresight.core.tenancy import OPERATOR

from .. import services

START = dt.date(2020, 5, 29)


def organisation(name: str, kind=Organisation.Kind.NHS_PARTNER) -> Organisation:
    return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def support_plan(*authorities, name="Care Home Support Plan"):
    """A plan with two areas and three actions: one by a date, two ongoing."""
    ccg = organisation("Cambridgeshire and Peterborough CCG")
    council = organisation("Peterborough City Council", Organisation.Kind.COUNCIL)
    plan = services.action_plan_save(name=name, authorities=authorities, partners=[ccg],
                                     submitted_on=START, status="submitted", user=OPERATOR)
    ipc = services.plan_area_save(plan=plan, name="Infection Prevention and Control",
                                  user=OPERATOR)
    isolation = services.plan_area_save(plan=plan, name="Isolation Accommodation",
                                        user=OPERATOR)
    training = services.plan_action_save(
        area=ipc, title="IPC Training", description="Train the trainer model rolled out",
        timeline="date", due_on=dt.date(2020, 6, 30), leads=[ccg], owner="Head of Nursing",
        started_on=START, status="in_progress", rag="amber", user=OPERATOR)
    support = services.plan_action_save(
        area=ipc, title="Ongoing support", description="Weekly provider forums",
        timeline="ongoing", leads=[ccg, council], started_on=START, user=OPERATOR)
    step_down = services.plan_action_save(
        area=isolation, title="Step down beds", description="Local step down beds",
        timeline="date", due_on=dt.date(2020, 7, 31), leads=[council],
        started_on=dt.date(2020, 6, 15), user=OPERATOR)
    return {"plan": plan, "ccg": ccg, "council": council, "training": training,
            "support": support, "step_down": step_down, "areas": [ipc, isolation]}
