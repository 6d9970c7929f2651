"""Whatever officers and finance do, in whatever order, no one is paid twice and the books balance.

Hypothesis plays random sequences of agreements, adjustments, payment runs (confirmed once,
twice or left to be confirmed later), and recoveries against a small confirmed round, and
checks the invariants after every step. Each example runs inside a savepoint that is rolled
back, so every example starts from the same confirmed round, on SQLite and on PostgreSQL.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caresight.core.tenancy import OPERATOR
from caresight.grants import selectors, services
from caresight.grants.models import Adjustment, Allocation, Payment, PaymentRun, Recovery
from caresight.registry.tests.factories import ProviderFactory

from .factories import ELIGIBILITY, care_home, row_counts, simple_round

PENNY = Decimal("0.01")
INSTALMENTS = [{"share": share, "due_offset_days": 7 * n,
                "conditions": [{"kind": "agreement_signed"}]}
               for n, share in enumerate(["30", "30", "40"], 1)]

day = st.integers(min_value=0, max_value=40)
operation = st.one_of(
    st.tuples(st.just("agree"), st.integers(0, 2), st.booleans(), day),
    st.tuples(st.just("adjust"), st.integers(0, 7),
              st.integers(-70000, 70000).filter(bool)),  # pence
    st.tuples(st.just("run"), st.integers(1, 3), day, st.integers(0, 2)),  # confirms
    st.tuples(st.just("recover"), st.integers(0, 50), st.integers(1, 50000)),  # pence
    st.tuples(st.just("confirm_again"), st.integers(0, 50)),
)
operations = st.lists(operation, min_size=1, max_size=8)
SETTINGS = settings(max_examples=20, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def build(cambs, devon) -> dict:
    """Three Cambridgeshire providers (one with two homes) and a round of £1,000.01 in two
    elements and three instalments, confirmed; and a Devon round nobody touches."""
    providers = [ProviderFactory() for _ in range(3)]
    for provider, beds in [(providers[0], 28), (providers[0], 1), (providers[1], 13),
                           (providers[2], 7)]:
        care_home(cambs, beds=beds, provider=provider)
    care_home(devon, beds=40)
    round = simple_round(cambs, amount="1000.01", shares=("60", "40"), instalments=INSTALMENTS)
    services.allocation_confirm(round=round, user=OPERATOR)
    devon_round = simple_round(devon, amount="500.00", instalments=INSTALMENTS)
    services.allocation_confirm(round=devon_round, user=OPERATOR)
    round.refresh_from_db()
    allocations = list(Allocation.objects.filter(round=round).order_by("pk"))
    assert len(allocations) == 8
    # 60% and 40% of 100,001 pence are 60,000.6 and 40,000.4: the odd penny goes to the first.
    first, second = round.elements.all()
    return {"round": round, "devon_round": devon_round, "providers": providers,
            "allocations": allocations,
            "element_totals": {first.pk: Decimal("600.01"), second.pk: Decimal("400.00")}}


class Books:
    """Plays operations against the round and checks the invariants after each one."""

    def __init__(self, base: dict, *, check_overpay: bool):
        self.base = base
        self.round = base["round"]
        self.check_overpay = check_overpay
        self.runs: list[PaymentRun] = []
        self.confirmed: dict[int, list[tuple]] = {}  # run -> its payments when confirmed
        # Per allocation: the most paid at the moment of any downward adjustment.
        self.paid_at_reduction: dict[int, Decimal] = defaultdict(Decimal)
        self.allocations_snapshot = [(a.pk, a.amount, a.units, a.explanation)
                                     for a in base["allocations"]]

    def play(self, ops) -> None:
        for op in ops:
            self.step(op)
            self.check()

    def refused(self, call) -> None:
        """Run a service; if it refuses, it must have written nothing."""
        before = row_counts()
        try:
            call()
        except ValidationError:
            assert row_counts() == before

    def step(self, op) -> None:
        kind, *args = op
        round = self.round
        if kind == "agree":
            index, accepted, days = args
            self.refused(lambda: services.agreement_record(
                round=round, provider=self.base["providers"][index], accepted=accepted,
                name="Pat", role="Manager", user=OPERATOR,
                responded_on=ELIGIBILITY + dt.timedelta(days=days)))
        elif kind == "adjust":
            index, pence = args
            allocation = self.base["allocations"][index]
            before = self.paid(allocation.pk)
            count = Adjustment.objects.count()
            self.refused(lambda: services.adjustment_record(
                allocation=allocation, amount=str(Decimal(pence) * PENNY), reason="Test",
                user=OPERATOR))
            if pence < 0 and Adjustment.objects.count() > count:
                self.paid_at_reduction[allocation.pk] = max(
                    self.paid_at_reduction[allocation.pk], before)
        elif kind == "run":
            number, days, confirms = args
            run = services.payment_run_create(
                round=round, instalment=round.instalments.get(number=number),
                as_of=ELIGIBILITY + dt.timedelta(days=days), user=OPERATOR)
            self.runs.append(run)
            for _ in range(confirms):
                self.confirm(run)
        elif kind == "recover":
            index, pence = args
            payments = list(Payment.objects.filter(run__round=round).order_by("pk"))
            if payments:
                payment = payments[index % len(payments)]
                self.refused(lambda: services.recovery_record(
                    payment=payment, amount=str(Decimal(pence) * PENNY),
                    recovered_on=ELIGIBILITY, reason="Test", user=OPERATOR))
        elif kind == "confirm_again" and self.runs:
            self.confirm(self.runs[args[0] % len(self.runs)])

    def confirm(self, run: PaymentRun) -> None:
        """Confirm a run: the first time it pays what is due, every later time it is refused."""
        was_confirmed = PaymentRun.objects.get(pk=run.pk).is_confirmed
        before = row_counts()
        try:
            written = services.payment_run_confirm(run=run, user=OPERATOR)
        except ValidationError as error:
            assert was_confirmed, error
            assert "nothing was paid again" in error.messages[0]
            assert row_counts() == before
            return
        assert not was_confirmed
        payments = list(Payment.objects.filter(run=run).order_by("pk").values_list(
            "pk", "allocation_id", "instalment_id", "amount"))
        assert len(payments) == written
        self.confirmed[run.pk] = payments

    def paid(self, allocation_id: int) -> Decimal:
        paid = Payment.objects.filter(allocation_id=allocation_id).aggregate(
            t=Sum("amount"))["t"] or Decimal("0.00")
        return paid.quantize(PENNY)

    def check(self) -> None:
        round = self.round
        # Every payment of the round, read once (as are adjustments and recoveries below).
        payments = list(Payment.objects.filter(run__round=round).order_by("pk").values_list(
            "pk", "allocation_id", "instalment_id", "amount", "run_id", "authority_id"))
        # No allocation is paid twice for an instalment, however many runs there were.
        pairs = [(allocation_id, instalment_id) for _, allocation_id, instalment_id, *_ in payments]
        assert len(pairs) == len(set(pairs))
        # What a confirmed run paid never changes, and only confirmed runs pay.
        by_run: dict[int, list[tuple]] = defaultdict(list)
        for pk, allocation_id, instalment_id, amount, run_id, _ in payments:
            by_run[run_id].append((pk, allocation_id, instalment_id, amount))
        assert set(by_run) <= set(self.confirmed)
        for run_id, snapshot in self.confirmed.items():
            assert by_run.get(run_id, []) == snapshot
        assert {authority_id for *_, authority_id in payments} <= {round.authority_id}
        # Allocations never change, and still add up to each element's total.
        allocations = list(Allocation.objects.filter(round=round).order_by("pk"))
        assert [(a.pk, a.amount, a.units, a.explanation)
                for a in allocations] == self.allocations_snapshot
        by_element: dict[int, Decimal] = defaultdict(Decimal)
        for a in allocations:
            by_element[a.element_id] += a.amount
        assert dict(by_element) == self.base["element_totals"]
        # Every payment is more than nothing, and nothing is recovered beyond a payment.
        recovered: dict[int, Decimal] = defaultdict(Decimal)
        for payment_id, amount in Recovery.objects.filter(
                payment__run__round=round).values_list("payment_id", "amount"):
            recovered[payment_id] += amount
        for pk, _, _, amount, *_ in payments:
            assert amount > 0 and recovered[pk] <= amount
        adjusted: dict[int, Decimal] = defaultdict(Decimal)
        for allocation_id, amount in Adjustment.objects.filter(
                allocation__round=round).values_list("allocation_id", "amount"):
            adjusted[allocation_id] += amount
        # Paid per allocation stays within what is allocated, or within what had been paid
        # before it was reduced (the rest is then to be recovered, never paid again).
        paid: dict[int, Decimal] = defaultdict(Decimal)
        for _, allocation_id, _, amount, *_ in payments:
            paid[allocation_id] += amount
        if self.check_overpay:
            for a in allocations:
                now = a.amount + adjusted[a.pk]
                assert paid[a.pk] <= max(now, self.paid_at_reduction[a.pk]), (
                    f"allocation {a.pk}: paid {paid[a.pk]}, allocated {now}, paid before a "
                    f"reduction {self.paid_at_reduction[a.pk]}")
        # The reconciliation balances, and agrees with the records themselves.
        report = selectors.reconciliation(user=OPERATOR, round=round)
        rows, totals = report["rows"], report["totals"]
        for key, value in totals.items():
            assert value == sum((r[key] for r in rows), Decimal(0)), key
        for row in rows:
            assert row["unspent"] == row["paid"] - row["recovered"] - row["spent"]
            assert row["still_to_pay"] == row["allocated"] + row["adjusted"] - row["paid"]
        assert totals["allocated"] == round.amount
        assert totals["paid"] == sum(paid.values(), Decimal(0))
        assert totals["adjusted"] == sum(adjusted.values(), Decimal(0))
        assert totals["recovered"] == sum(recovered.values(), Decimal(0))
        fund = report["fund"]
        assert fund["allocated"] + fund["retained"] + fund["not_allocated"] == round.amount
        # Another council's round is untouched.
        assert not Payment.objects.filter(run__round=self.base["devon_round"]).exists()


def play(base: dict, ops, *, check_overpay: bool) -> None:
    """Play `ops` inside a savepoint and roll it back, whatever happens."""
    with transaction.atomic():
        Books(base, check_overpay=check_overpay).play(ops)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_no_sequence_of_operations_pays_twice_or_unbalances_the_books(cambs, devon):
    base = build(cambs, devon)

    @SETTINGS
    @given(operations)
    @example([("agree", 0, True, 0), ("run", 1, 0, 2), ("run", 1, 5, 1),
              ("confirm_again", 0), ("run", 3, 9, 1), ("run", 2, 9, 0), ("run", 2, 9, 1),
              ("confirm_again", 3), ("recover", 0, 50000), ("recover", 0, 1)])
    @example([("run", 2, 0, 0), ("agree", 1, False, 1), ("agree", 1, True, 2),
              ("adjust", 2, 30000), ("run", 2, 3, 1), ("confirm_again", 0),
              ("adjust", 2, -70000), ("run", 3, 3, 1)])
    def check(ops):
        play(base, ops, check_overpay=True)

    check()


@pytest.mark.django_db
def test_no_sequence_of_operations_pays_more_than_allocated(cambs, devon):
    base = build(cambs, devon)

    @settings(SETTINGS, max_examples=10)
    @given(operations)
    @example([("agree", 0, True, 0), ("run", 3, 0, 1), ("adjust", 0, -30000),
              ("run", 1, 0, 1)])
    def check(ops):
        play(base, ops, check_overpay=True)

    check()
