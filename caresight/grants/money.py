"""Pure money arithmetic for grants: exact shares in pence, and reading amounts typed by people.

Shares are worked out with fractions (never floats) and rounded by the largest remainder, so
the parts always add up to the whole to the penny. Ties go to the earlier key, so the same
inputs always give the same pennies.
"""

import re
from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
PENNY = Decimal("0.01")
LARGEST = Decimal(10) ** 12  # the money columns hold 12 digits of pounds
# Digits with an optional sign, commas only as thousands separators, any decimal places
# (more than two is refused with its own message).
MONEY_TEXT = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[-+]?\.\d+")


def split(total: Decimal, weights: Mapping[K, Decimal], order: Mapping[K, tuple] | None = None
          ) -> dict[K, Decimal]:
    """Share `total` (pounds) between keys in proportion to `weights`, to the penny, exactly.

    Each key gets its share rounded down to the penny; the pennies left over go one each to the
    keys with the largest remainders, ties broken by `order` (default: the key itself). The
    arithmetic is in whole numbers (weights scaled to integers), so it is exact and quick.
    """
    if total < 0:
        raise ValueError("Cannot share a negative amount.")
    pence = int((total / PENNY).to_integral_value())
    if Decimal(pence) * PENNY != total:
        raise ValueError(f"{total} is not in pounds and pence.")
    if any(w < 0 for w in weights.values()):
        raise ValueError("Weights cannot be negative.")
    places = max([0, *(-int(w.as_tuple().exponent) for w in weights.values())])
    scale = 10 ** places
    ints = {key: int(w * scale) for key, w in weights.items()}
    whole = sum(ints.values())
    if not weights or whole == 0:
        if pence:
            raise ValueError("Nothing to share the amount between.")
        return {key: Decimal("0.00") for key in weights}
    floors, remainders = {}, {}
    for key, w in ints.items():
        floors[key], remainders[key] = divmod(pence * w, whole)
    left = pence - sum(floors.values())
    tie = order or {key: (key,) for key in weights}
    for key in sorted(weights, key=lambda k: (-remainders[k], tie[k]))[:left]:
        floors[key] += 1
    return {key: Decimal(p) * PENNY for key, p in floors.items()}


def of_percent(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `amount`, rounded half up to the penny."""
    return (amount * percent / 100).quantize(PENNY, rounding=ROUND_HALF_UP)


def parse_money(text, *, field: str, allow_negative: bool = False,
                allow_zero: bool = True) -> Decimal:
    """Read an amount typed by a person ("1,751,000.00", "£937.61") as pounds and pence.

    Raise ValueError with a message naming `field` if it is not a number, has more than two
    decimal places, or is negative (unless allowed).
    """
    if isinstance(text, float):
        raise ValueError(f"{field}: give money as text or Decimal, not a float.")
    if isinstance(text, Decimal):
        text = format(text, "f") if text.is_finite() else str(text)
    cleaned = str(text).strip().replace("£", "", 1)
    if not MONEY_TEXT.fullmatch(cleaned):
        raise ValueError(f"{field}: “{text}” is not an amount of money (for example "
                         "1751000.00 or 1,751,000.00).")
    value = Decimal(cleaned.replace(",", ""))
    if abs(value) >= LARGEST:
        raise ValueError(f"{field}: “{text}” is too large.")
    if value != value.quantize(PENNY):
        raise ValueError(f"{field}: “{text}” has more than two decimal places (pence).")
    if value < 0 and not allow_negative:
        raise ValueError(f"{field}: “{text}” is negative.")
    if value == 0 and not allow_zero:
        raise ValueError(f"{field}: must be more than £0.00.")
    return value.quantize(PENNY)


def pounds(value: Decimal) -> str:
    """£1,751,000.00, or -£12.50."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def instalment_due(allocated: Decimal, shares: list[Decimal], index: int,
                   paid: Mapping[int, Decimal]) -> Decimal:
    """What instalment `index` (0-based) of `shares` (percent) should pay on `allocated`.

    An instalment pays its share, worked out on the running total so the shares add up to the
    penny, but never more than is left unpaid. The instalment paid when every other one has
    been settles the allocation: it pays all that is left, so an adjustment made after a
    payment is settled there. A negative answer means more was paid than is now allocated:
    nothing is due and the rest is to recover. `paid` maps instalment index to what was paid.
    """
    running, cumulative = Decimal(0), []
    for share in shares:
        running += share
        cumulative.append(of_percent(allocated, running))
    cumulative[-1] = allocated
    expected = [cumulative[i] - (cumulative[i - 1] if i else 0) for i in range(len(shares))]
    left = allocated - sum(paid.values(), Decimal("0.00"))
    if all(i in paid for i in range(len(shares)) if i != index):
        return left
    return min(expected[index], left)
