"""Register services: localities, locations and providers, each audited and tenancy-safe."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from caresight.core.tenancy import OPERATOR
from caresight.registry.models import LocalityArea
from caresight.registry.services import locality_create, location_create, location_update

from .factories import LocationFactory, ProviderFactory


@pytest.mark.django_db
def test_locality_by_postcode_district_wins_over_district_code(cambs):
    by_district = locality_create(authority=cambs, name="Fenland", district_codes=["E07000010"],
                                  user=OPERATOR)
    by_postcode = locality_create(authority=cambs, name="Wisbech", postcode_districts=["PE13"],
                                  user=OPERATOR)
    location = location_create(user=OPERATOR, provider=ProviderFactory(), authority=cambs,
                               name="Wisbech Lodge", service_type="care_home",
                               postcode="PE13 1AA", district_code="E07000010")
    other = location_create(user=OPERATOR, provider=ProviderFactory(), authority=cambs,
                            name="March House", service_type="care_home",
                            postcode="PE15 1AA", district_code="E07000010")
    assert location.locality == by_postcode
    assert other.locality == by_district


@pytest.mark.django_db
def test_a_locality_never_takes_another_councils_services(cambs, peterborough):
    theirs = LocationFactory(authority=peterborough, postcode="PE13 2BB")
    locality_create(authority=cambs, name="Wisbech", postcode_districts=["PE13"], user=OPERATOR)
    theirs.refresh_from_db()
    assert theirs.locality is None


@pytest.mark.django_db
def test_the_same_area_cannot_be_in_two_localities(cambs):
    locality_create(authority=cambs, name="Wisbech", postcode_districts=["PE13"], user=OPERATOR)
    with pytest.raises(ValidationError):
        locality_create(authority=cambs, name="Also Wisbech", postcode_districts=["pe13"],
                        user=OPERATOR)
    assert LocalityArea.objects.count() == 1


@pytest.mark.django_db
def test_a_location_cannot_use_another_councils_locality(cambs, devon):
    devon_locality = locality_create(authority=devon, name="Torridge", user=OPERATOR)
    location = LocationFactory(authority=cambs)
    with pytest.raises(ValidationError):
        location_update(location=location, user=OPERATOR, locality=devon_locality)


@pytest.mark.django_db
def test_locality_command(cambs, capsys):
    LocationFactory(authority=cambs, postcode="CB7 4AA")
    call_command("locality", "create", "--authority", "E10000003", "--name", "East Cambs",
                 "--postcode-district", "CB7", "--district", "E07000009")
    assert "covers 1 service." in capsys.readouterr().out
    with pytest.raises(CommandError, match="Unknown authority code"):
        call_command("locality", "create", "--authority", "E99", "--name", "Nowhere")
