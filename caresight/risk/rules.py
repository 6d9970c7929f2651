"""The risk rules: what each checks, its default rating and threshold, and why it fired.

A pure function of one service's facts on a day and its authority's policy, so the rating
of any service on any day can be rebuilt and each rule tested on its own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from caresight.returns.models import PPE_ITEMS, PPE_LOW_DAYS, STORED_TOTALS

from .models import Rating

# Measures the rules read from the current return (care home and community measure sets).
# Returns keep all of them in columns of their own, for the national log (STORED_NUMBERS).
PPE = PPE_ITEMS
ACROSS_SETTINGS = "staff_multiple_settings"
MEASURES = [*PPE, ACROSS_SETTINGS]  # read one by one
TOTALS = {name: STORED_TOTALS[name] for name in ("staff_employed", "staff_absent")}  # added up
NUMBERS = [*MEASURES, *TOTALS]  # the order of a service's numbers given to a Rater
POINTS: dict[str, int] = {Rating.RED: 3, Rating.AMBER: 1}
# A policy's rules as one function (see `_rater`): (outbreak status, has a current return,
# its NUMBERS (None without a current return), small provider, open concerns) ->
# (rating, the rules that fired, score).
Rater = Callable[[str | None, bool, tuple[float | None, ...] | None, bool, list[str] | None],
                 tuple[str, list[dict], int]]


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    rating: str  # the default
    threshold: Decimal | None = None  # the default, where the rule has one
    threshold_label: str = ""


RULES = [
    Rule("live_outbreak", "Live outbreak", Rating.RED),
    Rule("de_escalation", "Outbreak on the de-escalation pathway", Rating.AMBER),
    Rule("staff_absence", "Staff absence", Rating.AMBER, Decimal(20),
         "Per cent of staff absent, at or above"),
    Rule("ppe_low", "Low PPE stock", Rating.AMBER, Decimal(PPE_LOW_DAYS),
         "Days of any PPE item, under"),
    Rule("no_return", "No current return", Rating.AMBER),
    Rule("staff_across_settings", "Staff working across settings", Rating.AMBER, Decimal(1),
         "Staff who also work in another setting, at or above"),
    Rule("small_provider", "Small provider", Rating.AMBER),
    Rule("quality_concern", "Open quality concern", Rating.AMBER),
]
RULES_BY_CODE = {rule.code: rule for rule in RULES}


@dataclass(frozen=True)
class Setting:
    enabled: bool
    rating: str
    threshold: Decimal | None


@dataclass(frozen=True)
class Policy:
    settings: dict[str, Setting]
    ambers_make_red: int = 3

    def rater(self) -> Rater:
        """The policy as one function of a service's facts (see `_rater`); make one a log."""
        return _rater(self)


def policy_from(rules: dict, ambers_make_red: int = 3) -> Policy:
    """An authority's stored choices over the defaults (a missing rule keeps its default)."""
    settings = {}
    for rule in RULES:
        chosen = rules.get(rule.code, {})
        threshold = rule.threshold
        if chosen.get("threshold") not in (None, "") and rule.threshold is not None:
            threshold = Decimal(str(chosen["threshold"]))
        settings[rule.code] = Setting(enabled=chosen.get("enabled", True),
                                      rating=chosen.get("rating", rule.rating),
                                      threshold=threshold)
    return Policy(settings, ambers_make_red)


def policy_check(rules: dict) -> dict[str, str]:
    """Problems with a policy's choices, by rule code."""
    errors = {}
    for code, chosen in rules.items():
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            errors[code] = f"{code!r} is not a risk rule."
            continue
        if chosen.get("rating", rule.rating) not in (Rating.RED, Rating.AMBER):
            errors[code] = f"{rule.label}: the rating must be red or amber."
        threshold = chosen.get("threshold")
        if threshold not in (None, "") and rule.threshold is not None:
            try:
                value = Decimal(str(threshold))
            except InvalidOperation:
                errors[code] = f"{rule.label}: the threshold must be a number."
                continue
            if not value.is_finite() or value < 0:
                errors[code] = f"{rule.label}: the threshold must be 0 or more."
    return errors


@dataclass
class Facts:
    """What is known about one service on a day."""

    outbreak_status: str | None = None  # "live", "de_escalation" or None
    has_return: bool = False
    # The current return's answers (measure code -> number) and TOTALS (name -> number)
    answers: dict[str, float] = field(default_factory=dict)
    small_provider: bool = False
    concerns: list[str] = field(default_factory=list)


def _rater(policy: Policy) -> Rater:
    """The policy's rules as one function of a service's facts.

    It runs for every service on a national log (25,000 times), so it is made once a log: it
    checks only the enabled rules, with their labels, ratings and thresholds at hand as plain
    strings and floats.
    """
    def enabled(code: str) -> dict[str, str] | None:  # code, label and rating, if enabled
        setting = policy.settings[code]
        return ({"code": code, "label": RULES_BY_CODE[code].label,
                 "rating": str(setting.rating)} if setting.enabled else None)

    def limit(code: str) -> float | None:
        setting = policy.settings[code]
        return (float(setting.threshold) if setting.enabled and setting.threshold is not None
                else None)

    live, de_escalation = enabled("live_outbreak"), enabled("de_escalation")
    no_return, small, concern = (enabled("no_return"), enabled("small_provider"),
                                 enabled("quality_concern"))
    absence, ppe, across = (enabled("staff_absence"), enabled("ppe_low"),
                            enabled("staff_across_settings"))
    most, fewest, least = (limit("staff_absence"), limit("ppe_low"),
                           limit("staff_across_settings"))
    ambers_make_red = policy.ambers_make_red
    red_points, amber_points = POINTS[Rating.RED], POINTS[Rating.AMBER]
    ppe_labels = tuple(PPE.values())
    # Where each number is in NUMBERS (the PPE days come first).
    ppe_days = len(PPE)
    staff_across, staff_employed, staff_absent = (
        NUMBERS.index(ACROSS_SETTINGS), NUMBERS.index("staff_employed"),
        NUMBERS.index("staff_absent"))

    def rate(outbreak_status: str | None, has_return: bool,
             numbers: tuple[float | None, ...] | None, small_provider: bool,
             concerns: list[str] | None) -> tuple[str, list[dict], int]:
        fired = []
        if outbreak_status == "live":
            if live:
                fired.append({**live, "why": "An outbreak is live."})
        elif outbreak_status == "de_escalation" and de_escalation:
            fired.append({**de_escalation, "why": "An outbreak is on the de-escalation pathway."})
        if not has_return and no_return:
            fired.append({**no_return, "why": "No return within the expected window."})
        if numbers is not None:
            if absence is not None and most is not None:
                employed, absent = numbers[staff_employed], numbers[staff_absent]
                if absent is None:
                    absent = 0.0
                if employed and absent * 100 / employed >= most:
                    fired.append({**absence, "why": f"{absent:g} of {employed:g} staff absent "
                                                    f"({round(absent * 100 / employed)}%)."})
            if ppe is not None and fewest is not None:
                for days in numbers[:ppe_days]:
                    if days is not None and days < fewest:
                        low = [f"{label} ({n:g} days)"
                               for label, n in zip(ppe_labels, numbers[:ppe_days], strict=True)
                               if n is not None and n < fewest]
                        fired.append({**ppe, "why": f"Under {fewest:g} days of {', '.join(low)}."})
                        break
            if across is not None and least is not None:
                staff = numbers[staff_across]
                if staff and staff >= least:
                    fired.append({**across,
                                  "why": f"{staff:g} staff also work in another setting."})
        if small_provider and small:
            fired.append({**small, "why": "The provider is small or single-site."})
        if concerns and concern:
            fired.append({**concern, "why": "Open concern: " + "; ".join(concerns)})
        if not fired:
            return "green", fired, 0
        reds = 0
        for reason in fired:
            if reason["rating"] == "red":
                reds += 1
        ambers = len(fired) - reds
        if reds:
            rating = "red"
        elif ambers_make_red and ambers >= ambers_make_red:
            rating = "red"
            fired.append({"code": "ambers_make_red", "label": "Several amber reasons",
                          "rating": "red", "why": f"{ambers} amber reasons together make red."})
        else:
            rating = "amber"
        return rating, fired, red_points * reds + amber_points * ambers

    return rate


DEFAULT_POLICY = policy_from({})


def rate(facts: Facts, policy: Policy = DEFAULT_POLICY) -> tuple[str, list[dict], int]:
    """The rules' rating, the rules that fired ({code, label, rating, why}), and a priority
    score (a red reason counts 3, an amber 1)."""
    numbers = tuple(map(facts.answers.get, NUMBERS)) if facts.answers else None
    return policy.rater()(facts.outbreak_status, facts.has_return, numbers,
                          facts.small_provider, facts.concerns)
