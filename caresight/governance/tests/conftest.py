import pytest

from caresight.accounts.models import Role


@pytest.fixture
def commissioner(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs)
