import factory

from caresight.registry.models import (
    Authority,
    ClientGroup,
    Locality,
    Location,
    Provider,
    ServiceType,
)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    cqc_provider_id = factory.Sequence(lambda n: f"1-{100000000 + n}")
    name = factory.Sequence(lambda n: f"Provider {n} Ltd")
    phone = "01223 000000"


class LocalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Locality

    authority = factory.LazyFunction(lambda: Authority.objects.get(ons_code="E10000003"))
    name = factory.Sequence(lambda n: f"Locality {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    cqc_location_id = factory.Sequence(lambda n: f"1-{200000000 + n}")
    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Location {n} Care Home")
    address_line_1 = factory.Sequence(lambda n: f"{n} High Street")
    town = "Ely"
    postcode = "CB7 4AA"
    authority = factory.LazyFunction(lambda: Authority.objects.get(ons_code="E10000003"))
    service_type = ServiceType.CARE_HOME
    client_groups = factory.LazyFunction(lambda: [ClientGroup.OLDER_PEOPLE.value])
    registered_beds = 30
    manager_name = "Sam Example"
