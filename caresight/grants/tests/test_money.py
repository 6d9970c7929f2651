"""Money arithmetic as pure functions: exact shares, instalments, and amounts typed by people."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from caresight.grants.money import PENNY, instalment_due, of_percent, parse_money, pounds, split

# No example database: these tests must not leave a .hypothesis directory in the tree.
FAST = settings(max_examples=100, deadline=None, database=None)

pence = st.integers(min_value=0, max_value=10**13)
# Weights as people enter them (beds, people, hours to two places), with ties likely, and
# huge and tiny ones side by side.
weight = st.one_of(
    st.sampled_from([Decimal(1), Decimal(2), Decimal(28), Decimal(40)]),
    st.integers(min_value=0, max_value=10**6).map(lambda n: Decimal(n) / 100),
    st.sampled_from([Decimal("0.01"), Decimal("1000000000"), Decimal("999999999.99")]),
)
weights = st.dictionaries(st.integers(min_value=0, max_value=50), weight, min_size=1,
                          max_size=12).filter(lambda w: sum(w.values()) > 0)


def money(p: int) -> Decimal:
    return Decimal(p) * PENNY


# --- split -----------------------------------------------------------------------------------

@FAST
@given(pence, weights)
@example(1, {0: Decimal(1), 1: Decimal(1), 2: Decimal(1)})
@example(10**13, {0: Decimal("0.01"), 1: Decimal("1000000000")})
def test_split_adds_up_to_the_total_exactly_and_each_share_is_within_a_penny(p, w):
    total = money(p)
    shares = split(total, w)
    assert set(shares) == set(w)
    assert sum(shares.values(), Decimal(0)) == total
    whole = sum((Fraction(v) for v in w.values()), Fraction(0))
    for key, share in shares.items():
        assert share == share.quantize(PENNY) and share >= 0
        exact = Fraction(total) * Fraction(w[key]) / whole
        assert abs(Fraction(share) - exact) < Fraction(1, 100)
        if w[key] == 0:
            assert share == 0


@FAST
@given(pence, weights, st.randoms(use_true_random=False))
def test_split_is_deterministic_whatever_the_order_the_weights_come_in(p, w, rng):
    total = money(p)
    first = split(total, w)
    keys = list(w)
    rng.shuffle(keys)
    assert split(total, {k: w[k] for k in keys}) == first
    assert split(total, dict(w)) == first


@FAST
@given(st.integers(min_value=2, max_value=9), st.integers(min_value=1, max_value=10**6))
def test_with_equal_weights_the_pennies_left_over_go_to_the_earliest_keys(n, p):
    shares = split(money(p), {key: Decimal(7) for key in range(n)})
    amounts = [shares[key] for key in range(n)]
    assert amounts == sorted(amounts, reverse=True)
    assert max(amounts) - min(amounts) <= PENNY
    # The order given breaks the tie instead of the key: here the latest key comes first.
    reverse = split(money(p), {key: Decimal(7) for key in range(n)},
                    order={key: (-key,) for key in range(n)})
    assert [reverse[key] for key in range(n)] == amounts[::-1]


def test_a_single_penny_between_two_equal_weights_goes_by_the_order():
    assert split(Decimal("0.01"), {"a": Decimal(1), "b": Decimal(1)}) == {
        "a": Decimal("0.01"), "b": Decimal("0.00")}
    assert split(Decimal("0.01"), {"a": Decimal(1), "b": Decimal(1)},
                 order={"a": (2,), "b": (1,)}) == {"a": Decimal("0.00"), "b": Decimal("0.01")}


def test_the_largest_remainder_gets_the_penny_before_the_order_is_looked_at():
    # 10p in 1:2 is 3.33p and 6.67p: b has the larger remainder, whatever the order says.
    assert split(Decimal("0.10"), {"a": Decimal(1), "b": Decimal(2)}) == {
        "a": Decimal("0.03"), "b": Decimal("0.07")}


def test_the_issues_round_splits_75_25():
    assert split(Decimal("1751000.00"), {0: Decimal(75), 1: Decimal(25)}) == {
        0: Decimal("1313250.00"), 1: Decimal("437750.00")}


@pytest.mark.parametrize("total, w, message", [
    (Decimal("-0.01"), {"a": Decimal(1)}, "negative amount"),
    (Decimal("1.005"), {"a": Decimal(1)}, "not in pounds and pence"),
    (Decimal("1.00"), {"a": Decimal(-1), "b": Decimal(2)}, "Weights cannot be negative"),
    (Decimal("1.00"), {}, "Nothing to share"),
    (Decimal("1.00"), {"a": Decimal(0)}, "Nothing to share"),
])
def test_split_refuses_what_cannot_be_shared(total, w, message):
    with pytest.raises(ValueError, match=message):
        split(total, w)


def test_nothing_shared_between_nothing_is_nothing():
    assert split(Decimal("0.00"), {}) == {}
    assert split(Decimal("0.00"), {"a": Decimal(0)}) == {"a": Decimal("0.00")}


# --- instalment_due --------------------------------------------------------------------------

@st.composite
def instalment_shares(draw) -> list[Decimal]:
    """1 to 5 shares in percent, to two places, each more than 0, adding up to 100."""
    n = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=9999), min_size=n - 1,
                                max_size=n - 1, unique=True)))
    points = [0, *cuts, 10000]
    return [Decimal(b - a) / 100 for a, b in zip(points, points[1:], strict=False)]


def pay_in_order(allocated: Decimal, shares: list[Decimal]) -> dict[int, Decimal]:
    paid: dict[int, Decimal] = {}
    for i in range(len(shares)):
        paid[i] = instalment_due(allocated, shares, i, paid)
    return paid


@FAST
@given(pence, instalment_shares())
@example(1, [Decimal(50), Decimal(50)])
@example(3, [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")])
def test_instalments_add_up_to_the_allocation_and_each_is_within_a_penny_of_its_share(p, shares):
    allocated = money(p)
    paid = pay_in_order(allocated, shares)
    assert sum(paid.values(), Decimal(0)) == allocated
    for i, amount in paid.items():
        assert amount >= 0 and amount == amount.quantize(PENNY)
        exact = Fraction(allocated) * Fraction(shares[i]) / 100
        assert abs(Fraction(amount) - exact) <= Fraction(1, 100)
    # The same amounts whether or not the earlier ones have been paid yet.
    assert [instalment_due(allocated, shares, i, {}) for i in range(len(shares))] == list(
        paid.values())


@FAST
@given(pence, instalment_shares().filter(lambda s: len(s) > 1),
       st.integers(min_value=-(10**13), max_value=10**13))
def test_an_adjustment_after_earlier_payments_is_settled_by_the_last_instalment(p, shares, adj):
    allocated = money(p)
    last = len(shares) - 1
    paid: dict[int, Decimal] = {}
    for i in range(last):
        paid[i] = instalment_due(allocated, shares, i, paid)
    adjusted = max(allocated + money(adj), Decimal("0.00"))
    final = instalment_due(adjusted, shares, last, paid)
    assert sum(paid.values(), Decimal(0)) + final == adjusted
    # Negative means more was paid than is now allocated: the difference is to recover.
    if final < 0:
        assert sum(paid.values(), Decimal(0)) > adjusted


def test_instalments_of_the_issues_example():
    assert pay_in_order(Decimal("459637.50"), [Decimal(50), Decimal(50)]) == {
        0: Decimal("229818.75"), 1: Decimal("229818.75")}
    assert pay_in_order(Decimal("0.01"), [Decimal(50), Decimal(50)]) == {
        0: Decimal("0.01"), 1: Decimal("0.00")}


def test_of_percent_rounds_half_up_to_the_penny():
    assert of_percent(Decimal("0.01"), Decimal(50)) == Decimal("0.01")
    assert of_percent(Decimal("1751000.00"), Decimal(75)) == Decimal("1313250.00")


# --- parse_money -----------------------------------------------------------------------------

def test_an_amount_as_people_type_it_is_read_to_the_penny():
    assert parse_money("£1,751,000.00", field="Amount") == Decimal("1751000.00")
    assert parse_money(" 937.61 ", field="Amount") == Decimal("937.61")
    assert parse_money("12.5", field="Amount") == Decimal("12.50")
    assert parse_money(5, field="Amount") == Decimal("5.00")
    assert parse_money(Decimal("7.10"), field="Amount") == Decimal("7.10")
    assert str(parse_money("100", field="Amount")) == "100.00"


@FAST
@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_any_amount_written_out_in_pounds_reads_back_the_same(p):
    value = money(p)
    assert parse_money(pounds(value), field="Amount", allow_negative=True) == value
    assert parse_money(str(value), field="Amount", allow_negative=True) == value


@FAST
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_refused_whatever_their_value(value):
    with pytest.raises(ValueError, match="Amount: give money as text or Decimal, not a float"):
        parse_money(value, field="Amount")


@pytest.mark.parametrize("text", ["", " ", "abc", "£", "12.3.4", "1 000", "ten pounds",
                                  "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf",
                                  None, True, [], "£12p"])
def test_what_is_not_a_number_is_refused_with_the_fields_name(text):
    with pytest.raises(ValueError, match=r"^Spend on PPE: .*(not an amount of money)"):
        parse_money(text, field="Spend on PPE")


@FAST
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_more_than_two_decimal_places_is_refused(pounds_and_pence, thousandth):
    text = f"{Decimal(pounds_and_pence) * PENNY}{thousandth}"
    with pytest.raises(ValueError, match="more than two decimal places"):
        parse_money(text, field="Amount")


@FAST
@given(st.integers(min_value=1, max_value=10**13))
def test_negatives_are_refused_unless_allowed(p):
    text = f"-{money(p)}"
    with pytest.raises(ValueError, match="Amount: .* is negative"):
        parse_money(text, field="Amount")
    assert parse_money(text, field="Amount", allow_negative=True) == -money(p)


def test_zero_is_refused_where_it_must_be_more():
    assert parse_money("0", field="Amount") == Decimal("0.00")
    with pytest.raises(ValueError, match=r"Amount: must be more than £0\.00"):
        parse_money("0.00", field="Amount", allow_zero=False)


@pytest.mark.parametrize("text", ["1e30", "9" * 29])
def test_a_huge_amount_is_refused_with_a_clear_message(text):
    with pytest.raises(ValueError, match="Amount"):
        parse_money(text, field="Amount")


@pytest.mark.parametrize("text", ["12,50", "1,2,3"])
def test_commas_are_only_thousands_separators(text):
    with pytest.raises(ValueError):
        parse_money(text, field="Amount")


def test_pounds_writes_amounts_the_govuk_way():
    assert pounds(Decimal("1751000")) == "£1,751,000.00"
    assert pounds(Decimal("-12.5")) == "-£12.50"
    assert pounds(Decimal("937.61")) == "£937.61"

