"""Each risk rule on its own, thresholds per authority, and how reasons add up."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from caresight.risk import rules
from caresight.risk.models import Rating

QUIET = {"staff_employed": 40.0, "staff_absent": 0.0, "ppe_days_masks": 20.0,
         "staff_multiple_settings": 0.0}


def rate(policy=rules.DEFAULT_POLICY, **facts):
    facts.setdefault("has_return", True)
    facts.setdefault("answers", QUIET)
    return rules.rate(rules.Facts(**facts), policy)


def test_a_service_with_nothing_wrong_is_green():
    assert rate() == (Rating.GREEN, [], 0)


def test_a_live_outbreak_is_red_and_says_why():
    rating, fired, score = rate(outbreak_status="live")
    assert rating == Rating.RED and score == 3
    assert fired == [{"code": "live_outbreak", "label": "Live outbreak", "rating": "red",
                      "why": "An outbreak is live."}]


def test_absence_ppe_and_staff_across_settings_use_the_thresholds():
    answers = {**QUIET, "staff_absent": 8.0, "ppe_days_gloves": 3.0,
               "staff_multiple_settings": 2.0}
    rating, fired, score = rate(answers=answers)
    whys = {f["code"]: f["why"] for f in fired}
    assert whys["staff_absence"] == "8 of 40 staff absent (20%)."
    assert whys["ppe_low"] == "Under 7 days of gloves (3 days)."
    assert whys["staff_across_settings"] == "2 staff also work in another setting."
    assert rating == Rating.RED and fired[-1]["code"] == "ambers_make_red"
    stricter = rules.policy_from({"staff_absence": {"threshold": "25"},
                                  "ppe_low": {"threshold": "2"}}, ambers_make_red=0)
    rating, fired, _ = rate(stricter, answers=answers)
    assert [f["code"] for f in fired] == ["staff_across_settings"] and rating == Rating.AMBER


def test_a_disabled_rule_does_not_fire_and_a_rule_can_be_made_red():
    policy = rules.policy_from({"no_return": {"enabled": False},
                                "small_provider": {"rating": "red"}})
    assert rate(policy, has_return=False)[0] == Rating.GREEN
    assert rate(policy, small_provider=True)[0] == Rating.RED


def test_open_concerns_and_missing_returns_are_amber():
    rating, fired, score = rate(has_return=False, answers={}, concerns=["Late medication"])
    assert rating == Rating.AMBER and score == 2
    assert [f["why"] for f in fired] == ["No return within the expected window.",
                                      "Open concern: Late medication"]


def test_policy_choices_are_checked():
    assert rules.policy_check({"ppe_low": {"threshold": "-1"}, "nope": {},
                               "live_outbreak": {"rating": "green"}}) == {
        "ppe_low": "Low PPE stock: the threshold must be 0 or more.",
        "nope": "'nope' is not a risk rule.",
        "live_outbreak": "Live outbreak: the rating must be red or amber."}
    assert rules.policy_from({"ppe_low": {"threshold": "5"}}).settings["ppe_low"].threshold \
        == Decimal(5)


# --- Every policy and every service's facts, against the rules as written out plainly --------

# No example database: these tests must not leave a .hypothesis directory in the tree.
FAST = settings(max_examples=300, deadline=None, database=None)
number = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, 2.0, 6.0, 7.0, 7.5, 20.0, 40.0]))


@st.composite
def policies(draw) -> rules.Policy:
    chosen = {}
    for rule in rules.RULES:
        choice = {"enabled": draw(st.booleans()),
                  "rating": draw(st.sampled_from(["red", "amber"]))}
        if rule.threshold is not None:
            choice["threshold"] = draw(st.sampled_from(["", "0", "1", "7", "20", "2.5"]))
        chosen[rule.code] = choice
    return rules.policy_from(chosen, draw(st.integers(min_value=0, max_value=4)))


@st.composite
def facts(draw) -> rules.Facts:
    answers = {code: value for code in [*rules.MEASURES, *rules.TOTALS]
               if (value := draw(number)) is not None}
    return rules.Facts(
        outbreak_status=draw(st.sampled_from([None, "live", "de_escalation"])),
        has_return=draw(st.booleans()), answers=answers,
        small_provider=draw(st.booleans()),
        concerns=draw(st.lists(st.sampled_from(["Falls", "Late medication"]), max_size=2)))


def plainly(facts: rules.Facts, policy: rules.Policy) -> tuple[str, list[dict], int]:
    """The rules as the table of rules says them, one after the other."""
    met = []
    if facts.outbreak_status == "live":
        met.append(("live_outbreak", "An outbreak is live."))
    if facts.outbreak_status == "de_escalation":
        met.append(("de_escalation", "An outbreak is on the de-escalation pathway."))
    if not facts.has_return:
        met.append(("no_return", "No return within the expected window."))
    answers = facts.answers
    setting = policy.settings
    if answers:
        employed, absent = answers.get("staff_employed", 0.0), answers.get("staff_absent", 0.0)
        if employed and absent * 100 / employed >= setting["staff_absence"].threshold:
            met.append(("staff_absence", f"{absent:g} of {employed:g} staff absent "
                                         f"({round(absent * 100 / employed)}%)."))
        fewest = float(setting["ppe_low"].threshold)
        low = [f"{label} ({answers[code]:g} days)" for code, label in rules.PPE.items()
               if code in answers and answers[code] < fewest]
        if low:
            met.append(("ppe_low", f"Under {fewest:g} days of {', '.join(low)}."))
        across = answers.get("staff_multiple_settings")
        if across and across >= setting["staff_across_settings"].threshold:
            met.append(("staff_across_settings",
                        f"{across:g} staff also work in another setting."))
    if facts.small_provider:
        met.append(("small_provider", "The provider is small or single-site."))
    if facts.concerns:
        met.append(("quality_concern", "Open concern: " + "; ".join(facts.concerns)))
    fired = [{"code": code, "label": rules.RULES_BY_CODE[code].label,
              "rating": setting[code].rating, "why": why}
             for code, why in met if setting[code].enabled]
    reds = sum(f["rating"] == "red" for f in fired)
    ambers = len(fired) - reds
    rating = "red" if reds else "amber" if ambers else "green"
    if not reds and policy.ambers_make_red and ambers >= policy.ambers_make_red:
        rating = "red"
        fired.append({"code": "ambers_make_red", "label": "Several amber reasons",
                      "rating": "red", "why": f"{ambers} amber reasons together make red."})
    return rating, fired, 3 * reds + ambers


@FAST
@given(policies(), st.lists(facts(), min_size=1, max_size=12))
def test_every_policy_rates_every_service_as_the_rules_say(policy, services):
    rater = policy.rater()  # one for a whole log: what it keeps from one service to the next
    for service in services:  # must not change the next one's rating or reasons
        numbers = (tuple(service.answers.get(name) for name in rules.NUMBERS)
                   if service.answers else None)
        expected = plainly(service, policy)
        assert rate(policy, **vars(service)) == expected
        assert rater(service.outbreak_status, service.has_return, numbers,
                     service.small_provider, service.concerns) == expected
