"""Sections later apps add to a service's page on the register ("Commissioned beds").

The register is an early app and reads no later app. A later app registers a function
`(request, location) -> HTML` from its `AppConfig.ready()`; the service's page shows what each
returns, in the order registered. A function returns "" for a user who may not see its
section, so it decides its own tenancy. The HTML is a template's (`render_to_string` gives a
SafeString); a plain string would be escaped on the page, never trusted.
"""

from collections.abc import Callable
from typing import Any

SectionRenderer = Callable[[Any, Any], str]
SECTIONS: dict[str, SectionRenderer] = {}


def register_location_section(key: str, render: SectionRenderer) -> None:
    """Add a section to every service's page (call from an app's `AppConfig.ready()`)."""
    SECTIONS[key] = render


def location_sections(request, location) -> list[str]:
    """The registered sections this user sees on this service's page, as HTML."""
    shown = (render(request, location) for render in SECTIONS.values())
    return [html for html in shown if html]
