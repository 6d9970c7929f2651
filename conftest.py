"""Fixtures shared by every test: authorities, providers, locations and a user for any role."""

import pytest

from caresight.accounts.models import Role
from caresight.accounts.services import user_create
from caresight.registry.models import Authority
from caresight.registry.tests.factories import LocationFactory, ProviderFactory

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def cambs(db):
    return Authority.objects.get(ons_code="E10000003")


@pytest.fixture
def peterborough(db):
    return Authority.objects.get(ons_code="E06000031")


@pytest.fixture
def devon(db):
    return Authority.objects.get(ons_code="E10000008")


@pytest.fixture
def make_user(db):
    """make_user(role, *authorities, provider=None) -> a user holding that role."""
    counter = iter(range(1, 10_000))

    def make(role: str, *authorities, provider=None, email=None, password=PASSWORD):
        email = email or f"{role}{next(counter)}@example.org"
        user, _ = user_create(
            email=email, role=role, authority_codes=[a.ons_code for a in authorities],
            provider=provider, password=password,
            organisation_name=(provider.name if provider else f"{role} org"),
        )
        return user

    return make


@pytest.fixture
def two_councils(cambs, devon, make_user):
    """A home in Cambridgeshire and one in Devon, and a Cambridgeshire commissioner."""
    own = LocationFactory(authority=cambs, name="Fen View Care Home")
    other = LocationFactory(authority=devon, name="Dartmoor House")
    return {
        "own": own,
        "other": other,
        "commissioner": make_user(Role.COMMISSIONER, cambs),
    }


@pytest.fixture
def provider_group(cambs, devon):
    """One provider with a home in Cambridgeshire and one in Devon."""
    provider = ProviderFactory(name="Acorn Care Group")
    return {
        "provider": provider,
        "cambs_home": LocationFactory(authority=cambs, provider=provider, name="Acorn Ely"),
        "devon_home": LocationFactory(authority=devon, provider=provider, name="Acorn Exeter"),
    }


@pytest.fixture
def shared_data():
    """The real public data beside the repository (../shared/data)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "shared" / "data"
    assert path.is_dir(), f"{path} is missing: clone the repository with ../shared beside it"
    return path
