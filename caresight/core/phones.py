"""Telephone numbers, parsed and written with `phonenumbers` as a person in Britain writes them.

CQC's extracts drop the leading zero ("1392491261"); the register shows "01392 491261".
"""

import phonenumbers

REGION = "GB"
UK_COUNTRY_CODE = 44


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
