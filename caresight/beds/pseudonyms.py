"""NHS numbers: checked by their check digit, then kept only as a keyed hash.

The key is `CARESIGHT_PSEUDONYM_KEY` (by default derived from SECRET_KEY), so the hash links one
person's placements within this install but cannot be reversed by trying every NHS number
without the key.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError

_DIGITS = re.compile(r"^\d{10}$")
# A person reference: letters, digits and - / _ ; it must hold a digit, so it is not a name.
REFERENCE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9/_-]{0,29}$")


def clean_nhs_number(value: str) -> str:
    """The ten digits of an NHS number ("943 476 5919" → "9434765919"), or ValidationError."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not _DIGITS.match(digits):
        raise ValidationError("An NHS number is 10 digits, like 943 476 5919.")
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise ValidationError("This is not a valid NHS number: its check digit does not match.")
    return digits


def nhs_number_hash(value: str) -> str:
    """The keyed hash kept in place of a valid NHS number."""
    key = getattr(settings, "CARESIGHT_PSEUDONYM_KEY", "") or settings.SECRET_KEY
    return hmac.new(f"nhs-number:{key}".encode(), clean_nhs_number(value).encode(),
                    hashlib.sha256).hexdigest()


def clean_reference(value: str) -> str:
    value = (value or "").strip()
    if _DIGITS.match(re.sub(r"[\s-]", "", value)):
        # Ten digits may be an NHS number, which must never be kept in the clear.
        raise ValidationError("A person reference cannot be ten digits like an NHS number: "
                              "give the NHS number in its own field, where it is kept only "
                              "as a keyed hash.")
    if not REFERENCE.match(value):
        raise ValidationError(
            'Give a pseudonymous reference such as "CH-0412": up to 30 letters, digits and '
            "- / _, with at least one digit. Never a name.")
    return value
