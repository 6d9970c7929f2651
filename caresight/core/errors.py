"""Refusals that name their field: a service's ValidationError, said the same way by every
command, and the errors of one part of a whole (an instalment of a round) named by its place.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


@contextmanager
def errors_within(prefix: str) -> Iterator[None]:
    """Name the fields of a ValidationError raised inside after `prefix`:
    {"conditions": …} inside errors_within("instalments[1]") is {"instalments[1].conditions": …}.
    """
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError({prefix: exc.messages}) from None
        raise ValidationError({
            prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}": messages
            for field, messages in exc.message_dict.items()}) from None


def _names(message: str, field: str) -> bool:
    """Whether the message already says which field it is about."""
    stem = field.split(".")[0].split("[")[0].replace("_", " ").lower().rstrip("s")
    return bool(stem) and message.lower().startswith(stem)


def refusal_text(exc: ValidationError) -> str:
    """One line for the command line: each message after the field it is about
    ("instalments[1].conditions: This field cannot be blank.")."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            parts.append(message if field == NON_FIELD_ERRORS or _names(message, field)
                         else f"{field}: {message}")
    return " ".join(parts)
