"""The risk rules page is reachable from the risk log for those who may change the rules,
and the link is not shown to anyone else."""

import pytest
from django.urls import reverse

from caresight.accounts.models import Role


@pytest.mark.django_db
@pytest.mark.parametrize("role, shown", [
    (Role.QUALITY_OFFICER, True), (Role.PUBLIC_HEALTH, True), (Role.COMMISSIONER, False),
    (Role.PARTNER, False), (Role.VIEWER, None)])
def test_the_log_links_to_the_rules_for_those_who_may_change_them(client, make_user, cambs,
                                                                 role, shown):
    from caresight.core import tenancy
    from caresight.core.tenancy import Capability

    user = make_user(role, cambs)
    client.force_login(user)
    log = client.get(reverse("risk:log"))
    if log.status_code != 200:
        pytest.skip(f"{role} does not see the risk log")
    may_change = tenancy.has_capability(user, Capability.MANAGE_OUTBREAKS)
    assert shown is None or shown == may_change
    linked = f'href="{reverse("risk:policies")}"' in log.content.decode()
    assert linked == may_change
    rules_page = client.get(reverse("risk:policies"))
    assert (rules_page.status_code == 200) == may_change
