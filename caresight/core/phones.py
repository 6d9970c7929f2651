"""Telephone numbers, parsed and written with `phonenumbers` as a person in Britain writes them.

CQC's extracts drop the leading zero ("1392491261"); the register shows "01392 491261".
"""

import phonenumbers

REGION = "GB"


def phone_display(text: str | None) -> str:
    """A UK number in national form ("01392 491261"), another country's in international form
    ("+33 1 23 45 67 89"); text that is not a valid number is kept as it was written."""
    text = (text or "").strip()
    if not text:
        return ""
    candidates = [text]
    digits = "".join(ch for ch in text if ch.isdigit())
    if text[:1] not in "+0" and digits and len(digits) in (9, 10):
        candidates.append("0" + digits)  # a leading zero lost in a spreadsheet
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            uk = phonenumbers.region_code_for_number(number) in ("GB", "GG", "JE", "IM")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL
                                              if uk else
                                              phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return text
