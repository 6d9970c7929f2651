"""The dashboards' rows of the role × route walk (core/tests/test_permissions.py): the landing
page for every role, on a day, as a download, and for an authority that is not the user's."""

from caresight.accounts.models import Role
from caresight.core.tests.test_permissions import ANON, ROLES, SIGNED_IN, page


def rows(w):
    other = w["other"].authority.ons_code
    # Another council's authority: the page for all of one's own, with the message (400),
    # exactly as for one that does not exist; a provider's page takes no authority.
    not_theirs = {role: 302 if role == ANON else 200 if role == Role.PROVIDER_USER else 400
                  for role in ROLES}
    return [
        ("home", {}, "get", None, "as_of=2020-06-04", page(SIGNED_IN)),
        ("home", {}, "get", None, "download=csv", page(SIGNED_IN)),
        ("home", {}, "get", None, f"authority={other}", not_theirs),
        ("home", {}, "get", None, "authority=E99999999", not_theirs),
    ]
