"""The notifications app's rows of the role × route walk (core/tests/test_permissions.py):
every signed-in person has their own list and settings; nobody reaches anyone else's."""

from caresight.accounts.models import Role
from caresight.core.tests.test_permissions import page

SIGNED_IN = set(Role.values)


def rows(w):
    return [
        ("notifications:list", {}, "get", None, "", page(SIGNED_IN)),
        ("notifications:settings", {}, "get", None, "", page(SIGNED_IN)),
        # Marking read touches only one's own: anyone else's ID marks nothing.
        ("notifications:read", {}, "post", {}, "", page(SIGNED_IN, yes=302)),
        ("notifications:read-one", {"pk": 1}, "post", {}, "", page(SIGNED_IN, yes=302)),
    ]
