"""The API's body parsers: DRF's, refusing a NUL character anywhere in a body.

Kept apart from `core.api`, which imports DRF's views (and so its settings, which import these).
"""

from rest_framework import exceptions, parsers


def _nul_path(data, path: str = "") -> str | None:
    """Where in a parsed body a NUL character is (a key or a value), if anywhere."""
    if isinstance(data, str):
        return (path or "non_field_errors") if "\x00" in data else None
    if hasattr(data, "lists"):  # a QueryDict (form bodies)
        data = {key: values[0] if len(values) == 1 else values
                for key, values in data.lists()}
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return inner
            found = _nul_path(value, inner)
            if found:
                return found
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            found = _nul_path(value, f"{path}[{index}]" if path else f"[{index}]")
            if found:
                return found
    return None


class _RefuseNul:
    """No database stores a NUL character in text (PostgreSQL refuses it), so a body with one
    is a 400 naming where it is, before any field reads it (a lookup would be a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)  # type: ignore[misc]
        found = _nul_path(getattr(parsed, "data", parsed))
        if found:
            raise exceptions.ValidationError(
                {found.replace("\x00", ""): "This value must not contain a NUL character."})
        return parsed


class JSONParser(_RefuseNul, parsers.JSONParser):
    pass


class FormParser(_RefuseNul, parsers.FormParser):
    pass


class MultiPartParser(_RefuseNul, parsers.MultiPartParser):
    pass
