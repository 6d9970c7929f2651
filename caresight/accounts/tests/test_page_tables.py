"""Your account: your roles, as a table of the one table layer."""

import pytest
from django.urls import reverse

from caresight.accounts.models import Membership, Role
from caresight.core.tests.page_tables import page_table


@pytest.mark.django_db
class TestYourRoles:
    def test_each_role_with_its_organisation_and_authorities(self, client, make_user, cambs,
                                                             devon):
        user = make_user(Role.COMMISSIONER, cambs, devon)
        client.force_login(user)
        page = client.get(reverse("accounts:account")).content.decode()
        table = page_table(page, caption="Your roles")
        assert table.headers == ["Organisation", "Role", "Authorities"]
        organisation = Membership.objects.get(user=user).organisation
        authorities = ", ".join(a.name for a in Membership.objects.get(
            user=user).authorities.all())
        assert "Cambridgeshire" in authorities and "Devon" in authorities
        assert table.rows == [[str(organisation), Role.COMMISSIONER.label, authorities]]
        assert ('<caption class="govuk-table__caption govuk-table__caption--m '
                'govuk-visually-hidden">Your roles</caption>') in page

    def test_no_roles_yet(self, client, make_user, cambs):
        user = make_user(Role.COMMISSIONER, cambs)
        Membership.objects.filter(user=user).delete()
        client.force_login(user)
        table = page_table(client.get(reverse("accounts:account")).content, caption="Your roles")
        assert table.rows == [["You have no roles yet. Ask your administrator."]]
