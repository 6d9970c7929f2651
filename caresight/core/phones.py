"""Telephone numbers, parsed and written with `phonenumbers` as a person in Britain writes them.

CQC's extracts drop the leading zero ("1392491261"); the register shows "01392 491261".
"""

import re

import phonenumbers

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
        number = _national_uk(candidate)
        if number is not None and phonenumbers.is_valid_number_for_region(number, REGION):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
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


def _national_uk(candidate: str) -> phonenumbers.PhoneNumber | None:
    """The number `phonenumbers.parse(candidate, "GB")` gives for plain national digits ("01392
    491261": 44, 1392491261), built directly: parsing is half the cost of a number, and a
    national import has tens of thousands. The caller still asks `phonenumbers` whether it is
    valid; anything else is parsed in full."""
    if not NATIONAL_UK.fullmatch(candidate):
        return None
    national = candidate.replace(" ", "").replace("-", "")[1:]
    return phonenumbers.PhoneNumber(country_code=UK_COUNTRY_CODE, national_number=int(national))
