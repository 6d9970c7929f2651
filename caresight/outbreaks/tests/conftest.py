"""Fixtures the outbreak and risk tests share: a public health officer and a care home."""

import pytest

from caresight.accounts.models import Role
from caresight.registry.tests.factories import LocationFactory


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.PUBLIC_HEALTH, cambs)


@pytest.fixture
def home(cambs):
    return LocationFactory(authority=cambs, name="Willow Court", cqc_location_id="1-111111111")
