"""The risk rules: what each checks, its default rating and threshold, and why it fired.

A pure function of one service's facts on a day and its authority's policy, so the rating
of any service on any day can be rebuilt and each rule tested on its own.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .models import Rating

# Measures the rules read from the current return (care home and community measure sets).
ABSENT = ["nurses_absent_covid", "nurses_absent_other", "care_workers_absent_covid",
          "care_workers_absent_other", "non_care_staff_absent_covid",
          "non_care_staff_absent_other", "care_workers_absent"]
EMPLOYED = ["nurses_employed", "care_workers_employed", "non_care_staff_employed"]
PPE = {"ppe_days_masks": "masks", "ppe_days_aprons": "aprons", "ppe_days_gloves": "gloves",
       "ppe_days_eye_protection": "eye protection", "ppe_days_sanitiser": "hand sanitiser"}
ACROSS_SETTINGS = "staff_multiple_settings"
MEASURES = [*PPE, ACROSS_SETTINGS]  # read one by one
TOTALS = {"staff_employed": EMPLOYED, "staff_absent": ABSENT}  # read added up
POINTS: dict[str, int] = {Rating.RED: 3, Rating.AMBER: 1}


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
    Rule("ppe_low", "Low PPE stock", Rating.AMBER, Decimal(7),
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
    limits: dict[str, float | None] = field(init=False)  # the thresholds, as plain numbers
    active: dict[str, tuple[str, str]] = field(init=False)  # enabled: code -> (label, rating)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", {
            code: None if s.threshold is None else float(s.threshold)
            for code, s in self.settings.items()})
        object.__setattr__(self, "active", {
            code: (RULES_BY_CODE[code].label, str(s.rating))
            for code, s in self.settings.items() if s.enabled})


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


DEFAULT_POLICY = policy_from({})


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


def _checks(facts: Facts, limit: dict[str, float | None]) -> list[tuple[str, str]]:
    """(rule code, why) for every rule the facts meet. Called for every service on the log,
    so it works in plain numbers and touches only the answers it needs."""
    found = []
    if facts.outbreak_status == "live":
        found.append(("live_outbreak", "An outbreak is live."))
    elif facts.outbreak_status == "de_escalation":
        found.append(("de_escalation", "An outbreak is on the de-escalation pathway."))
    if not facts.has_return:
        found.append(("no_return", "No return within the expected window."))
    answers = facts.answers
    if answers:
        employed = answers.get("staff_employed", 0.0)
        absent = answers.get("staff_absent", 0.0)
        most = limit["staff_absence"]
        if employed and most is not None and absent * 100 / employed >= most:
            found.append(("staff_absence", f"{absent:g} of {employed:g} staff absent "
                                           f"({round(absent * 100 / employed)}%)."))
        fewest = limit["ppe_low"]
        if fewest is not None:
            low = []
            for code, label in PPE.items():
                days = answers.get(code)
                if days is not None and days < fewest:
                    low.append(f"{label} ({days:g} days)")
            if low:
                found.append(("ppe_low", f"Under {fewest:g} days of {', '.join(low)}."))
        across = answers.get(ACROSS_SETTINGS)
        least = limit["staff_across_settings"]
        if across and least is not None and across >= least:
            found.append(("staff_across_settings",
                          f"{across:g} staff also work in another setting."))
    if facts.small_provider:
        found.append(("small_provider", "The provider is small or single-site."))
    if facts.concerns:
        found.append(("quality_concern", "Open concern: " + "; ".join(facts.concerns)))
    return found


def rate(facts: Facts, policy: Policy = DEFAULT_POLICY) -> tuple[str, list[dict], int]:
    """The rules' rating, the rules that fired ({code, label, rating, why}), and a priority
    score (a red reason counts 3, an amber 1). Plain strings and dicts: it runs for every
    service on a national log."""
    fired = []
    reds = ambers = 0
    for code, why in _checks(facts, policy.limits):
        chosen = policy.active.get(code)
        if chosen is None:
            continue
        label, rating = chosen
        fired.append({"code": code, "label": label, "rating": rating, "why": why})
        if rating == "red":
            reds += 1
        else:
            ambers += 1
    if reds:
        rating = "red"
    elif ambers and policy.ambers_make_red and ambers >= policy.ambers_make_red:
        rating = "red"
        fired.append({"code": "ambers_make_red", "label": "Several amber reasons",
                      "rating": "red", "why": f"{ambers} amber reasons together make red."})
    elif ambers:
        rating = "amber"
    else:
        rating = "green"
    return rating, fired, POINTS[Rating.RED] * reds + POINTS[Rating.AMBER] * ambers
