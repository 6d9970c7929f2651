"""Scores and bands: a pure function of the score and the bands setting."""

import pytest

from caresight.governance import scoring


@pytest.mark.parametrize(("value", "expected"), [
    (1, "Low"), (6, "Low"), (8, "Medium"), (12, "Medium"), (15, "High"), (25, "High")])
def test_default_bands(value, expected):
    assert scoring.band(value) == expected


def test_the_bands_are_a_setting(settings):
    settings.CARESIGHT_RISK_BANDS = ((4, "Low"), (9, "Moderate"), (16, "High"),
                                     (25, "Very high"))
    assert [scoring.band(v) for v in (4, 5, 10, 20)] == ["Low", "Moderate", "High", "Very high"]
    assert scoring.band_colour("Moderate") == "yellow"  # by position: the second band
    assert scoring.band_colour("Very high") == "purple"


def test_scores_outside_the_scale_are_refused():
    assert scoring.score(4, 5) == 20
    with pytest.raises(ValueError, match="likelihood"):
        scoring.score(0, 3)
    with pytest.raises(ValueError, match="impact"):
        scoring.score(3, 6)
    with pytest.raises(ValueError):
        scoring.band(26)


def test_a_gap_in_the_bands_is_reported():
    with pytest.raises(ValueError, match="CARESIGHT_RISK_BANDS"):
        scoring.band(20, ((6, "Low"), (12, "Medium")))
