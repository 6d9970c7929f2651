import pytest

from .factories import make_area


@pytest.fixture
def area(cambs, devon):
    return make_area(cambs, devon)
