"""Telephone numbers, parsed and written with `phonenumbers` as a person in Britain writes them.

CQC's extracts drop the leading zero ("1392491261"); the register shows "01392 491261".
"""

import re
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata

REGION = "GB"
UK_COUNTRY_CODE = 44
# A UK number written nationally: 0, then a digit other than 0, then digits, spaces or hyphens
NATIONAL_UK = re.compile(r"0[1-9][0-9 -]*")


def phone_display(text: str | None) -> str:
    """A UK number in national form ("01392 491261"), another country's in international form
    ("+33 1 23 45 67 89"); text that is not a valid number is kept as it was written."""
    text = (text or "").strip()
    if not text:
        return ""
    candidates = [text]
    digits = "".join(ch for ch in text if ch.isdigit())
    if text[:1] not in "+0" and digits and len(digits) in (9, 10):
        # A leading zero lost in a spreadsheet: written nationally, a UK number starts with 0,
        # so the number with it is tried first (and is the one CQC's extracts hold).
        candidates.insert(0, "0" + digits)
    for candidate in candidates:
        if NATIONAL_UK.fullmatch(candidate):
            formatted = _uk_numbers().national(candidate.replace(" ", "").replace("-", "")[1:])
            if formatted is not None:
                return formatted
        try:
            number = phonenumbers.parse(candidate, REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            # +44 is the UK and the Crown Dependencies, all written nationally with a 0.
            uk = number.country_code == UK_COUNTRY_CODE
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL
                                              if uk else
                                              phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return text


class _UkNumbers:
    """`phonenumbers`' check (`is_valid_number_for_region(…, "GB")`) and national formatting
    of UK numbers written nationally, made with the library's own GB metadata compiled once.

    The library compiles (looks up) each of a dozen patterns for every number it checks, which
    made a national CQC import's 30,000 numbers about a fifth of its time; this gives the same
    answers (the suite compares the two over real CQC numbers) in a fraction of it. Anything
    else (an invalid number, another country's) is parsed by the library in full.
    """

    def __init__(self) -> None:
        metadata: Any = PhoneMetadata.metadata_for_region(REGION)  # always there for GB
        general = metadata.general_desc
        self.lengths = set(general.possible_length)
        self.general = re.compile(general.national_number_pattern)
        kinds = ["premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                 "uan", "voicemail", "fixed_line", "mobile"]
        # A kind without lengths of its own has the general ones (already checked).
        self.kinds = [(set(desc.possible_length) or self.lengths,
                       re.compile(desc.national_number_pattern))
                      for desc in (getattr(metadata, kind) for kind in kinds)
                      if desc is not None and desc.national_number_pattern]
        # Each format: the leading digits it is for (its last, most detailed, pattern), the
        # digits' pattern, and the rule with the national prefix put before the first group.
        self.formats = [
            (re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None,
             re.compile(f.pattern),
             re.sub(r"(\\\d)", f.national_prefix_formatting_rule, f.format, count=1)
             if f.national_prefix_formatting_rule else f.format)
            for f in metadata.number_format]

    def national(self, digits: str) -> str | None:
        """The national form of a UK number given by its digits after the leading 0, or None
        if it is not a valid UK number."""
        digits = str(int(digits))  # as the library reads it: leading zeros dropped
        if not self._valid(digits):
            return None
        for leading, pattern, rule in self.formats:
            if (leading is None or leading.match(digits)) and pattern.fullmatch(digits):
                return pattern.sub(rule, digits)
        return digits

    def _valid(self, digits: str) -> bool:
        if len(digits) not in self.lengths or not self.general.fullmatch(digits):
            return False
        return any(len(digits) in lengths and pattern.fullmatch(digits)
                   for lengths, pattern in self.kinds)


@cache
def _uk_numbers() -> _UkNumbers:
    return _UkNumbers()
