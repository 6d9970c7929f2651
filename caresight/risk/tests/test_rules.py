"""Each risk rule on its own, thresholds per authority, and how reasons add up."""

from decimal import Decimal

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
