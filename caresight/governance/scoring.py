"""Risk scores and their bands: pure functions, no database.

A score is likelihood × impact, each on a 1–5 scale, so 1–25. The bands are a setting,
`CARESIGHT_RISK_BANDS`: (upper bound, label) pairs in rising order; a score belongs to the first
band whose upper bound it does not exceed. The default is 1–6 low, 8–12 medium, 15–25 high.
"""

from collections.abc import Sequence

from django.conf import settings

SCALE = range(1, 6)  # likelihood and impact
DEFAULT_BANDS: tuple[tuple[int, str], ...] = ((6, "Low"), (12, "Medium"), (25, "High"))
# GOV.UK tag colours for the usual band names; other names take a colour by position.
BAND_COLOURS = {"low": "green", "medium": "yellow", "high": "red", "very high": "purple"}
POSITION_COLOURS = ("green", "yellow", "orange", "red", "purple")


def configured_bands() -> tuple[tuple[int, str], ...]:
    return tuple(getattr(settings, "CARESIGHT_RISK_BANDS", DEFAULT_BANDS))


def score(likelihood: int, impact: int) -> int:
    """likelihood × impact; ValueError when either is outside 1–5."""
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise ValueError(f"{name} must be a whole number from 1 to 5")
    return likelihood * impact


def band(value: int, bands: Sequence[tuple[int, str]] | None = None) -> str:
    """The label of the band a score (1–25) falls in."""
    bands = configured_bands() if bands is None else bands
    if not 1 <= value <= 25:
        raise ValueError(f"A score is from 1 to 25, not {value}")
    for upper, label in sorted(bands):
        if value <= upper:
            return label
    raise ValueError(f"No band covers a score of {value}: check CARESIGHT_RISK_BANDS")


def band_colour(label: str, bands: Sequence[tuple[int, str]] | None = None) -> str:
    """The GOV.UK tag colour a band is shown in (the text always says the band too)."""
    if label.lower() in BAND_COLOURS:
        return BAND_COLOURS[label.lower()]
    labels = [name for _, name in sorted(configured_bands() if bands is None else bands)]
    position = labels.index(label) if label in labels else 0
    return POSITION_COLOURS[min(position, len(POSITION_COLOURS) - 1)]


LIKELIHOOD_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_LABELS = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}
