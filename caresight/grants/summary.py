"""`caresight summary grants`: a round's return to government and its reconciliation."""

from django.core.management.base import CommandError

from caresight.core.summaries import Summary
from caresight.core.tenancy import OPERATOR

from .money import pounds
from .selectors import as_json, government_return, round_list

FIGURES = ("allocated", "adjusted", "paid", "recovered", "spent", "unspent")


def _arguments(parser) -> None:
    parser.add_argument("--round", type=int, metavar="ID",
                        help="the round (see the Infection Control Fund pages)")


def _run(*, round, **options) -> tuple[dict, list[str]]:
    if round is None:
        raise CommandError("summary grants needs --round ID.")
    found = round_list(user=OPERATOR).filter(pk=round).first()
    if found is None:
        raise CommandError(f"There is no round {round}.")
    summary = government_return(found)
    summary["reconciliation"] = {
        **{key: summary[key] for key in FIGURES},
        "still_to_pay": summary["allocated"] + summary["adjusted"] - summary["paid"]}
    lines = [f"{summary['name']}, {summary['authority_name']}: {pounds(summary['amount'])}"]
    lines += [f"  {key.capitalize():10} {pounds(summary[key])}" for key in FIGURES]
    lines.append(f"  Providers allocated {summary['providers_allocated']}, paid "
                 f"{summary['providers_paid']}")
    lines += [f"  {s['proportion_pct']:3}%  {s['label']}" for s in summary["spend"]]
    return as_json(summary), lines


SUMMARY = Summary(
    name="grants",
    help="a round's return to government (allocations, payments, providers, spend by "
    "category) and its reconciliation",
    add_arguments=_arguments, run=_run)
