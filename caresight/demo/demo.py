"""A fictional joint area to explore Caresight with: two councils sharing one NHS partner, their
care market (about 240 services), and one demo sign-in for every role.

Everything is generated from a fixed seed, so every install gets the same demo, and written
through the register's and accounts' services, so every record is validated and audited. The
councils and the CCG are real bodies; every provider, service, person, address, telephone
number and CQC ID is made up.
"""

import datetime as dt
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from caresight.accounts.models import Role, User
from caresight.accounts.services import user_create
from caresight.beds.models import BedScheme, Placement
from caresight.core.tenancy import OPERATOR
from caresight.demo import beds_demo, plans_demo, reports_demo
from caresight.grants import selectors as grants_selectors
from caresight.grants import services as grants
from caresight.grants.money import split
from caresight.outbreaks import services as outbreaks
from caresight.outbreaks.models import Outbreak
from caresight.registry.models import (
    CARE_HOME_TYPES,
    Authority,
    ClientGroup,
    CqcRating,
    Locality,
    Location,
    Provider,
    RegistrationStatus,
    ServiceType,
)
from caresight.registry.services import locality_create, location_create, provider_create
from caresight.returns.models import PPE_ITEMS, SERVICE_GROUP_OF_TYPE, Return, ServiceGroup
from caresight.returns.services import returns_load
from caresight.risk import services as risk

SEED = 2020
DEMO_PASSWORD = "caresight-demo-2020"
DEMO_URL = "http://127.0.0.1:8000/"
DEMO_EMAIL_DOMAIN = "demo.caresight.test"

CAMBRIDGESHIRE = "E10000003"
PETERBOROUGH = "E06000031"
EAST_OF_ENGLAND = "E12000006"
COUNCILS = (CAMBRIDGESHIRE, PETERBOROUGH)
COUNCILS_ORGANISATION = "Cambridgeshire and Peterborough Councils"
CCG_ORGANISATION = "NHS Cambridgeshire and Peterborough CCG"
REGIONAL_ORGANISATION = "East of England Regional Oversight"

CARE_HOMES = 180
NURSING_HOMES = 63  # 35% of care homes
OTHER_SERVICES = {
    ServiceType.DOMICILIARY: 30,
    ServiceType.SUPPORTED_LIVING: 15,
    ServiceType.EXTRA_CARE: 10,
    ServiceType.DAY_SERVICE: 5,
}
DEREGISTERED = 3


class DemoError(Exception):
    """The demo cannot be loaded into this database (the message says why)."""


# --- The area ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalitySpec:
    authority: str
    name: str
    district_codes: tuple[str, ...]
    postcode_districts: tuple[str, ...]
    share: float  # of the area's services


@dataclass(frozen=True)
class Place:
    """A postcode district: its council district, post town, villages and dialling code."""

    postcode_district: str
    district_code: str
    town: str
    areas: tuple[str, ...]  # villages or neighbourhoods; "" means the town itself
    dialling_code: str
    weight: int


LOCALITIES = (
    LocalitySpec(CAMBRIDGESHIRE, "Hunts", ("E07000011",),
                 ("PE19", "PE26", "PE27", "PE28", "PE29"), 0.21),
    LocalitySpec(CAMBRIDGESHIRE, "City & South", ("E07000008", "E07000012"),
                 ("CB1", "CB2", "CB3", "CB4", "CB5", "CB21", "CB22", "CB23", "CB24", "CB25"),
                 0.24),
    LocalitySpec(CAMBRIDGESHIRE, "East Cambs", ("E07000009",), ("CB6", "CB7", "CB8"), 0.11),
    LocalitySpec(CAMBRIDGESHIRE, "Fenland", ("E07000010",), ("PE13", "PE14", "PE15", "PE16"),
                 0.14),
    LocalitySpec(PETERBOROUGH, "Peterborough", ("E06000031",),
                 ("PE1", "PE2", "PE3", "PE4", "PE6", "PE7", "PE8"), 0.30),
)

PLACES = {p.postcode_district: p for p in (
    # Hunts (Huntingdonshire)
    Place("PE19", "E07000011", "St Neots", ("", "Eaton Socon", "Eynesbury", "Little Paxton"),
          "01480", 5),
    Place("PE26", "E07000011", "Ramsey", ("", "Bury"), "01487", 2),
    Place("PE27", "E07000011", "St Ives", ("", "Hemingford Grey", "Fenstanton"), "01480", 4),
    Place("PE28", "E07000011", "Huntingdon",
          ("Sawtry", "Kimbolton", "Somersham", "Warboys", "Brampton"), "01480", 3),
    Place("PE29", "E07000011", "Huntingdon", ("", "Godmanchester", "Hartford"), "01480", 6),
    # City & South (Cambridge and South Cambridgeshire)
    Place("CB1", "E07000008", "Cambridge", ("", "Cherry Hinton", "Romsey"), "01223", 4),
    Place("CB2", "E07000008", "Cambridge", ("", "Trumpington"), "01223", 3),
    Place("CB3", "E07000008", "Cambridge", ("", "Newnham"), "01223", 2),
    Place("CB4", "E07000008", "Cambridge", ("", "Chesterton", "Arbury", "King's Hedges"),
          "01223", 4),
    Place("CB5", "E07000008", "Cambridge", ("", "Abbey"), "01223", 2),
    Place("CB21", "E07000012", "Cambridge", ("Linton", "Fulbourn", "Balsham"), "01223", 2),
    Place("CB22", "E07000012", "Cambridge", ("Sawston", "Great Shelford", "Harston"),
          "01223", 3),
    Place("CB23", "E07000012", "Cambridge", ("Cambourne", "Comberton", "Papworth Everard"),
          "01954", 2),
    Place("CB24", "E07000012", "Cambridge", ("Histon", "Cottenham", "Willingham"), "01223", 3),
    Place("CB25", "E07000012", "Cambridge", ("Waterbeach", "Landbeach"), "01223", 1),
    # East Cambs
    Place("CB6", "E07000009", "Ely", ("", "Sutton", "Haddenham", "Littleport"), "01353", 5),
    Place("CB7", "E07000009", "Ely", ("", "Soham", "Stretham", "Fordham"), "01353", 4),
    Place("CB8", "E07000009", "Newmarket", ("Cheveley", "Kennett", "Dullingham"), "01638", 2),
    # Fenland
    Place("PE13", "E07000010", "Wisbech", ("", "Leverington", "Wisbech St Mary"), "01945", 5),
    Place("PE14", "E07000010", "Wisbech", ("Elm", "Friday Bridge"), "01945", 2),
    Place("PE15", "E07000010", "March", ("", "Doddington", "Wimblington"), "01354", 4),
    Place("PE16", "E07000010", "Chatteris", ("",), "01354", 2),
    # Peterborough
    Place("PE1", "E06000031", "Peterborough", ("", "Millfield", "Dogsthorpe", "Eastfield"),
          "01733", 5),
    Place("PE2", "E06000031", "Peterborough", ("Orton Longueville", "Woodston", "Fletton"),
          "01733", 5),
    Place("PE3", "E06000031", "Peterborough", ("Westwood", "Longthorpe", "Bretton"),
          "01733", 4),
    Place("PE4", "E06000031", "Peterborough", ("Werrington", "Gunthorpe", "Walton"), "01733", 4),
    Place("PE6", "E06000031", "Peterborough", ("Eye", "Thorney", "Glinton"), "01733", 3),
    Place("PE7", "E06000031", "Peterborough", ("Hampton Vale", "Stanground"), "01733", 3),
    Place("PE8", "E06000031", "Peterborough", ("Castor", "Ailsworth"), "01733", 1),
)}

# --- Words the names are made from ----------------------------------------------------------

HOME_WORDS = (
    "Meadow", "Willow", "Oak", "Elm", "Ash", "Beech", "Cedar", "Holly", "Maple", "Lavender",
    "Primrose", "Orchard", "River", "Brook", "Fen", "Heron", "Kingfisher", "Swan", "Lark",
    "Poppy", "Bramble", "Hazel", "Rowan", "Linden", "Chestnut", "Laurel", "Juniper", "Magnolia",
    "Heather", "Bluebell", "Foxglove", "Mill", "Abbey", "Priory", "Spring", "Sycamore",
    "Hawthorn", "Acorn", "Clover", "Harvest", "Sunnyside", "Westfield", "Eastfield", "Greenacre",
    "Fairhaven", "Woodlands", "Rosemary", "Wisteria", "Cherry Tree", "Osier", "Reed", "Marsh",
)
HOME_SUFFIXES = ("View", "House", "Lodge", "Court", "Grange", "Manor", "Hall", "Gardens")
CLASSIC_HOMES = (
    "The Willows", "The Elms", "The Beeches", "The Limes", "The Laurels", "The Hollies",
    "The Cedars", "The Poplars", "The Firs", "The Chestnuts", "The Maltings", "The Old Rectory",
    "The Old Vicarage", "The Paddocks", "The Orchards", "The Haven", "The Granary",
)
STREETS = (
    "Station Road", "Church Lane", "High Street", "Mill Road", "London Road", "Cambridge Road",
    "Victoria Road", "Park Lane", "The Green", "School Lane", "Chapel Street", "Broad Street",
    "Bridge Street", "Green End", "West Street", "North Road", "Manor Road", "Queens Road",
    "Priory Road", "Orchard Way", "Hawthorn Close", "Meadow Lane", "Fen Road", "Drove Road",
    "Eastfield Road", "Thorpe Road", "Lincoln Road", "Oundle Road", "Huntingdon Road",
    "Newmarket Road", "Hills Road", "Ely Road", "St Peter's Road", "Cromwell Road",
    "Cherry Tree Avenue", "Elm Close", "Lime Grove", "Nene Parade", "Riverside Walk",
)
FIRST_NAMES = (
    "Sarah", "James", "Priya", "Tomasz", "Grace", "Mohammed", "Helen", "David", "Aisha",
    "Karen", "Stephen", "Joanne", "Agnieszka", "Michael", "Fatima", "Claire", "Daniel", "Ruth",
    "Samuel", "Amanda", "Olumide", "Rebecca", "Paul", "Nadia", "Gary", "Lindsey", "Raj",
    "Emma", "Andrew", "Chloe", "Marek", "Julie", "Imran", "Lucy", "Peter", "Rosa", "Kevin",
    "Tendai", "Jessica", "Neil",
)
SURNAMES = (
    "Thompson", "Sharma", "Nowak", "Okafor", "Hussain", "Clarke", "Baker", "Patel", "Wright",
    "Hughes", "Kowalski", "Edwards", "Mensah", "Turner", "Ali", "Fletcher", "Robinson",
    "Campbell", "Adeyemi", "Walker", "Singh", "Harris", "Morgan", "Begum", "Cooper", "Green",
    "Ward", "Chapman", "Lewis", "Banerjee", "Ellis", "Shaw", "Wood", "Jackson", "Kaur",
    "Dawson", "Price", "Mitchell", "Rahman", "Fox",
)
SURGERIES = (
    "Riverside Surgery", "Market Hill Surgery", "The Old Forge Medical Practice",
    "Fenland Medical Centre", "Church Street Surgery", "Orchard Practice",
    "Priory Fields Surgery", "Parkside Health Centre", "Town Bridge Surgery",
    "The Spinney Surgery", "Westgate Medical Practice", "Abbey Meadows Surgery",
    "Brookfields Health Centre", "Minster Surgery", "Queensway Medical Centre",
)
CARE_HOME_GROUPS = (
    "Ouse Valley Care Group Ltd", "Fenview Healthcare Ltd", "Nene Meadows Care Ltd",
    "Heronsgate Care Homes Ltd", "Willowbank Healthcare Group Ltd",
    "Eastern Counties Care Partnership Ltd", "Ashcroft Living Ltd", "Brightwell Care Ltd",
    "Kingfisher Lodge Healthcare Ltd", "Cambrook Care Homes Ltd", "Marshland Care Group Ltd",
    "Silverbirch Healthcare Ltd", "Greenacre Care Homes Ltd", "Eastfen Care Ltd",
    "Larkrise Living Ltd", "Hereward Care Group Ltd", "Poppyfield Care Ltd",
    "The Elmstead Trust", "Rivermead Healthcare Ltd", "St Audrey's Care Homes Trust",
)
# A community provider group: its name, the service in its branch names, and what it runs.
COMMUNITY_GROUPS = (
    ("Fenland Home Care Services Ltd", "Fenland Home Care Services",
     (ServiceType.DOMICILIARY,) * 4),
    ("Carewise Home Support Ltd", "Carewise Home Support", (ServiceType.DOMICILIARY,) * 5),
    ("Riverside Community Care Ltd", "Riverside Community Care", (ServiceType.DOMICILIARY,) * 3),
    ("Evergreen Home Care Ltd", "Evergreen Home Care", (ServiceType.DOMICILIARY,) * 3),
    ("Pathways Supported Living Ltd", "Pathways", (ServiceType.SUPPORTED_LIVING,) * 4),
    ("Open Door Support Ltd", "Open Door", (ServiceType.SUPPORTED_LIVING,) * 3),
    ("Cam Housing and Care Association", "Cam Housing", (ServiceType.EXTRA_CARE,) * 4),
    ("Skylark Support Services Ltd", "Skylark",
     (ServiceType.SUPPORTED_LIVING, ServiceType.SUPPORTED_LIVING,
      ServiceType.DAY_SERVICE, ServiceType.DAY_SERVICE)),
)
CARE_HOME_GROUP_SIZES = (3, 8)
CARE_HOME_PAIRS = 4
COMMUNITY_PAIRS = 2

SPECIALISMS = {
    ClientGroup.OLDER_PEOPLE: "Caring for adults over 65 yrs",
    ClientGroup.YOUNGER_ADULTS: "Caring for adults under 65 yrs",
    ClientGroup.DEMENTIA: "Dementia",
    ClientGroup.LEARNING_DISABILITY: "Learning disabilities",
    ClientGroup.MENTAL_HEALTH: "Mental health conditions",
    ClientGroup.PHYSICAL_DISABILITY: "Physical disabilities",
    ClientGroup.SENSORY_IMPAIRMENT: "Sensory impairments",
}
RATINGS = (
    (CqcRating.GOOD, 70), (CqcRating.REQUIRES_IMPROVEMENT, 15), (CqcRating.OUTSTANDING, 5),
    (CqcRating.INADEQUATE, 3), (CqcRating.NOT_RATED, 7),
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward part of UK postcodes


# --- Demo people ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    role: str
    full_name: str
    organisation: str
    authority_codes: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.role.replace('_', '-')}@{DEMO_EMAIL_DOMAIN}"


COUNCIL_PEOPLE = {
    Role.ADMIN: "Alex Morgan",
    Role.COMMISSIONER: "Priya Shah",
    Role.QUALITY_OFFICER: "Tom Fletcher",
    Role.PUBLIC_HEALTH: "Dr Hannah Okoye",
    Role.FINANCE: "Gareth Lewis",
    Role.BROKERAGE: "Lindsey Ward",
}


def demo_users(provider_name: str, provider_authorities: tuple[str, ...]) -> list[DemoUser]:
    """One person per role, in the order of `Role`."""
    people = {role: DemoUser(role, name, COUNCILS_ORGANISATION, COUNCILS)
              for role, name in COUNCIL_PEOPLE.items()}
    people[Role.PARTNER] = DemoUser(Role.PARTNER, "Ruth Adeyemi", CCG_ORGANISATION, COUNCILS)
    people[Role.PROVIDER_USER] = DemoUser(
        Role.PROVIDER_USER, "Joanne Baker", provider_name, provider_authorities
    )
    people[Role.VIEWER] = DemoUser(
        Role.VIEWER, "Simon Clarke", REGIONAL_ORGANISATION, (EAST_OF_ENGLAND,)
    )
    return [people[role] for role in Role]


ADMIN_EMAIL = DemoUser(Role.ADMIN, "", "", ()).email


# --- The plan: everything to write, generated before anything is written --------------------


@dataclass
class ServicePlan:
    authority: str
    fields: dict


@dataclass
class ProviderPlan:
    fields: dict
    services: list[ServicePlan] = field(default_factory=list)


@dataclass
class DemoPlan:
    providers: list[ProviderPlan]
    user_provider: ProviderPlan  # the group the demo provider user works for

    @property
    def services(self) -> list[ServicePlan]:
        return [s for p in self.providers for s in p.services]

    def users(self) -> list[DemoUser]:
        authorities = tuple(sorted({s.authority for s in self.user_provider.services}))
        return demo_users(self.user_provider.fields["name"], authorities)


def build_plan(seed: int = SEED) -> DemoPlan:
    """Generate the demo's providers and services; the same seed gives the same plan."""
    return _Generator(random.Random(seed)).plan()


class _Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: dict[str, set] = {
            k: set() for k in ("cqc", "name", "provider", "postcode", "phone", "stem")
        }

    # Unique values --------------------------------------------------------------------------

    def _unique(self, kind: str, make) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used[kind]:
                self.used[kind].add(value)
                return value
        raise RuntimeError(f"Ran out of demo {kind} values")  # a bug in the word lists

    def cqc_id(self, digits: int) -> str:
        # Fictional IDs start 1-9… so they stand out from real ones (which start 1-1…).
        return self._unique(
            "cqc", lambda: "1-9" + "".join(self.rng.choice("0123456789") for _ in range(digits - 1))
        )

    def postcode(self, place: Place) -> str:
        return self._unique("postcode", lambda: (
            f"{place.postcode_district} {self.rng.randint(1, 9)}"
            f"{self.rng.choice(INWARD_LETTERS)}{self.rng.choice(INWARD_LETTERS)}"
        ))

    def phone(self, dialling_code: str) -> str:
        return self._unique(
            "phone", lambda: f"{dialling_code} {self.rng.randint(200000, 999999)}"
        )

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    # Places ---------------------------------------------------------------------------------

    def locality(self) -> LocalitySpec:
        return self.rng.choices(LOCALITIES, weights=[loc.share for loc in LOCALITIES])[0]

    def place(self, locality: LocalitySpec) -> Place:
        places = [PLACES[code] for code in locality.postcode_districts]
        return self.rng.choices(places, weights=[p.weight for p in places])[0]

    def address(self, locality: LocalitySpec) -> tuple[Place, dict]:
        place = self.place(locality)
        area = self.rng.choice(place.areas)
        return place, {
            "address_line_1": f"{self.rng.randint(1, 160)} {self.rng.choice(STREETS)}",
            "address_line_2": area,
            "town": place.town,
            "postcode": self.postcode(place),
            "district_code": place.district_code,
        }

    # Names ----------------------------------------------------------------------------------

    def home_stem(self, area: str) -> str:
        def make() -> str:
            roll = self.rng.random()
            if roll < 0.12:
                return self.rng.choice(CLASSIC_HOMES)
            if roll < 0.22 and area:
                return f"{area} {self.rng.choice(('House', 'Lodge', 'Manor', 'Court'))}"
            return f"{self.rng.choice(HOME_WORDS)} {self.rng.choice(HOME_SUFFIXES)}"

        return self._unique("stem", make)

    def service_name(self, service_type: str, area: str, town: str, brand: str = "") -> str:
        place = area or town

        def make() -> str:
            if brand:  # a branch of a group
                return f"{brand} ({place})" if self.rng.random() < 0.8 else (
                    f"{brand} - {self.rng.choice(HOME_WORDS)} {self.rng.choice(('House', 'Court'))}"
                )
            word = self.rng.choice(HOME_WORDS)
            if service_type == ServiceType.CARE_HOME_NURSING:
                return self.home_stem(area) + self.rng.choice(
                    ("", " Nursing Home", " Nursing Home", " Care Home"))
            if service_type == ServiceType.CARE_HOME:
                return self.home_stem(area) + self.rng.choice(
                    ("", " Care Home", " Care Home", " Residential Home"))
            if service_type == ServiceType.DOMICILIARY:
                return self.rng.choice((
                    f"{word} Home Care", f"{town} Home Care Services", f"Caring Hands {town}",
                    f"{word} Care at Home", f"{place} Community Care",
                ))
            if service_type == ServiceType.SUPPORTED_LIVING:
                return self.rng.choice((
                    f"{word} House Supported Living", f"{place} Supported Living Service",
                    f"{word} Court Supported Living",
                ))
            if service_type == ServiceType.EXTRA_CARE:
                return self.rng.choice((f"{word} Court", f"{word} Place", f"{place} Extra Care"))
            return self.rng.choice((f"{place} Day Centre", f"{word} Day Opportunities"))

        return self._unique("name", make)

    def single_provider_name(self, service_name: str, service_type: str) -> str:
        stem = re.sub(r" (Nursing Home|Care Home|Residential Home)$", "", service_name)
        stem = re.sub(r"^The ", "", stem)

        def make() -> str:
            if service_type in CARE_HOME_TYPES:
                surname = self.rng.choice(SURNAMES)
                return self.rng.choice((
                    f"{stem} Care Ltd", f"{stem} Healthcare Limited", f"{surname} Care Homes Ltd",
                    f"Mr {self.rng.choice('ABCDGJKMPRST')} and Mrs "
                    f"{self.rng.choice('ABCDGJKMPRST')} {surname}",
                ))
            return f"{service_name} Ltd"

        return self._unique("provider", make)

    # Contacts -------------------------------------------------------------------------------

    @staticmethod
    def domain(name: str, tld: str) -> str:
        words = re.sub(r"\b(ltd|limited|mr|mrs|and|the)\b", "", name.lower())
        slug = re.sub(r"[^a-z0-9]", "", words)[:40] or "care"
        return f"{slug}.{tld}"

    def provider_fields(self, name: str, locality: LocalitySpec, *, small: bool) -> dict:
        place = self.place(locality)
        domain = self.domain(name, self.rng.choice(("example.org", "example.com")))
        return {
            "name": name,
            "cqc_provider_id": self.cqc_id(9),
            "is_small": small,
            "contact_name": self.person(),
            "phone": self.phone(place.dialling_code),
            "email": f"info@{domain}",
            "website": f"https://www.{domain}",
        }

    # Services -------------------------------------------------------------------------------

    def client_groups(self, service_type: str) -> list[str]:
        r, G = self.rng.random, ClientGroup
        groups: set[str] = set()
        if service_type == ServiceType.CARE_HOME:
            special = r()
            if special < 0.10:
                groups |= {G.LEARNING_DISABILITY, G.YOUNGER_ADULTS}
            elif special < 0.14:
                groups |= {G.MENTAL_HEALTH, G.YOUNGER_ADULTS}
            else:
                groups.add(G.OLDER_PEOPLE)
                if r() < 0.65:
                    groups.add(G.DEMENTIA)
                if r() < 0.15:
                    groups.add(G.PHYSICAL_DISABILITY)
        elif service_type == ServiceType.CARE_HOME_NURSING:
            groups.add(G.OLDER_PEOPLE)
            for group, chance in ((G.DEMENTIA, 0.75), (G.PHYSICAL_DISABILITY, 0.4),
                                  (G.YOUNGER_ADULTS, 0.2)):
                if r() < chance:
                    groups.add(group)
        elif service_type == ServiceType.DOMICILIARY:
            groups.add(G.OLDER_PEOPLE)
            for group, chance in ((G.PHYSICAL_DISABILITY, 0.7), (G.DEMENTIA, 0.5),
                                  (G.YOUNGER_ADULTS, 0.4), (G.SENSORY_IMPAIRMENT, 0.15)):
                if r() < chance:
                    groups.add(group)
        elif service_type == ServiceType.SUPPORTED_LIVING:
            groups.add(G.YOUNGER_ADULTS)
            roll = r()
            if roll < 0.6:
                groups.add(G.LEARNING_DISABILITY)
            elif roll < 0.85:
                groups.add(G.MENTAL_HEALTH)
            else:
                groups |= {G.LEARNING_DISABILITY, G.MENTAL_HEALTH}
            if r() < 0.25:
                groups.add(G.PHYSICAL_DISABILITY)
        elif service_type == ServiceType.EXTRA_CARE:
            groups.add(G.OLDER_PEOPLE)
            for group, chance in ((G.DEMENTIA, 0.4), (G.PHYSICAL_DISABILITY, 0.4)):
                if r() < chance:
                    groups.add(group)
        else:  # day services
            groups |= ({G.OLDER_PEOPLE, G.DEMENTIA} if r() < 0.6
                       else {G.LEARNING_DISABILITY, G.YOUNGER_ADULTS})
        return [g.value for g in ClientGroup if g in groups]  # in the order CQC imports give

    def beds(self, service_type: str, client_groups: list[str]) -> int | None:
        if service_type == ServiceType.CARE_HOME_NURSING:
            return round(self.rng.triangular(30, 95, 55))
        if service_type == ServiceType.CARE_HOME:
            if ClientGroup.OLDER_PEOPLE not in client_groups:  # small specialist homes
                return self.rng.randint(8, 14)
            return round(self.rng.triangular(8, 60, 30))
        return None

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def regulation(self) -> dict:
        rating = self.rng.choices([r for r, _ in RATINGS], weights=[w for _, w in RATINGS])[0]
        if rating == CqcRating.NOT_RATED:  # registered too recently to have been inspected
            return {
                "registration_date": self.date_between(dt.date(2019, 9, 1), dt.date(2020, 6, 30)),
                "cqc_rating": rating, "cqc_rating_date": None,
            }
        registered = self.date_between(dt.date(2005, 1, 1), dt.date(2018, 12, 31))
        earliest = max(registered + dt.timedelta(days=180), dt.date(2016, 6, 1))
        return {
            "registration_date": registered,
            "cqc_rating": rating,
            "cqc_rating_date": self.date_between(earliest, dt.date(2020, 10, 31)),
        }

    def service(self, service_type: str, locality: LocalitySpec, brand: str = "") -> ServicePlan:
        place, address = self.address(locality)
        name = self.service_name(service_type, address["address_line_2"], place.town, brand)
        groups = self.client_groups(service_type)
        fields = {
            "name": name,
            "cqc_location_id": self.cqc_id(10),
            **address,
            "service_type": service_type,
            "client_groups": groups,
            "cqc_specialisms": [SPECIALISMS[ClientGroup(g)] for g in groups],
            "registered_beds": self.beds(service_type, groups),
            **self.regulation(),
            "manager_name": self.person(),
            "phone": self.phone(place.dialling_code),
        }
        if service_type in CARE_HOME_TYPES:
            fields["clinical_lead"] = (
                f"Dr {self.rng.choice('ABCDEFGHJKLMNPRST')}. {self.rng.choice(SURNAMES)}, "
                f"{self.rng.choice(SURGERIES)}"
            )
            fields["clinical_lead_contact"] = self.phone(place.dialling_code)
        return ServicePlan(authority=locality.authority, fields=fields)

    # The whole market -----------------------------------------------------------------------

    def plan(self) -> DemoPlan:
        rng = self.rng
        home_types = [ServiceType.CARE_HOME_NURSING] * NURSING_HOMES + [ServiceType.CARE_HOME] * (
            CARE_HOMES - NURSING_HOMES)
        rng.shuffle(home_types)
        other_types = dict(OTHER_SERVICES)
        providers: list[ProviderPlan] = []

        def group(name: str, types, brand: str = "") -> ProviderPlan:
            # A group's services cluster around its home locality, as they tend to.
            home = self.locality()
            provider = ProviderPlan(self.provider_fields(name, home, small=False))
            self.used["provider"].add(name)
            for service_type in types:
                where = home if rng.random() < 0.6 else self.locality()
                provider.services.append(self.service(service_type, where, brand))
            return provider

        for name in CARE_HOME_GROUPS:
            size = rng.randint(*CARE_HOME_GROUP_SIZES)
            providers.append(group(name, [home_types.pop() for _ in range(size)]))
        for name, brand, types in COMMUNITY_GROUPS:
            for service_type in types:
                other_types[service_type] -= 1
            providers.append(group(name, types, brand))

        # The rest run one service each, or (a few) two.
        rest = home_types + [t for t, n in other_types.items() for _ in range(n)]
        services = [self.service(t, self.locality()) for t in rest]
        homes = [s for s in services if s.fields["service_type"] in CARE_HOME_TYPES]
        others = [s for s in services if s.fields["service_type"] not in CARE_HOME_TYPES]
        pairs = ([homes[i:i + 2] for i in range(0, 2 * CARE_HOME_PAIRS, 2)]
                 + [others[i:i + 2] for i in range(0, 2 * COMMUNITY_PAIRS, 2)])
        singles = homes[2 * CARE_HOME_PAIRS:] + others[2 * COMMUNITY_PAIRS:]
        for pair in pairs:
            first = pair[0]
            name = self.single_provider_name(first.fields["name"], first.fields["service_type"])
            home = next(loc for loc in LOCALITIES
                        if first.fields["postcode"].split()[0] in loc.postcode_districts)
            providers.append(ProviderPlan(self.provider_fields(name, home, small=False), pair))
        for service in singles:
            name = self.single_provider_name(
                service.fields["name"], service.fields["service_type"]
            )
            home = next(loc for loc in LOCALITIES
                        if service.fields["postcode"].split()[0] in loc.postcode_districts)
            provider = ProviderPlan(self.provider_fields(name, home, small=True), [service])
            providers.append(provider)

        # Services that closed in 2020 (single-service providers, as is usual).
        for service in rng.sample(singles, DEREGISTERED):
            last_seen = service.fields["cqc_rating_date"] or service.fields["registration_date"]
            service.fields["registration_status"] = RegistrationStatus.DEREGISTERED
            service.fields["deregistration_date"] = self.date_between(
                max(last_seen, dt.date(2020, 1, 1)) + dt.timedelta(days=1), dt.date(2020, 11, 30)
            )

        for provider in providers:
            domain = provider.fields["email"].split("@")[1]
            for service in provider.services:
                local = re.sub(r"[^a-z0-9]+", ".", service.fields["name"].lower()).strip(".")
                service.fields["email"] = f"{local[:40].strip('.')}@{domain}"

        # The provider user works for the largest care home group.
        user_provider = max(providers[:len(CARE_HOME_GROUPS)], key=lambda p: len(p.services))
        return DemoPlan(providers=providers, user_provider=user_provider)


# --- Loading -------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    already_loaded: bool
    localities: int
    providers: int
    care_homes: int
    nursing_homes: int
    beds: int
    other_services: int
    deregistered: int
    users: int
    returns: int
    outbreaks: int
    seconds: float
    bed_schemes: int = 0
    placements: int = 0

    def message(self) -> str:
        what = (f"{self.localities} localities, {self.providers} providers, "
                f"{self.care_homes} care homes ({self.nursing_homes} with nursing, "
                f"{self.beds} beds), {self.other_services} other services "
                f"({self.deregistered} deregistered), {self.returns} weekly returns, "
                f"{self.outbreaks} outbreaks, {self.bed_schemes} bed schemes with "
                f"{self.placements} placements, {self.users} demo users")
        if self.already_loaded:
            return f"The demo area is already loaded: {what}. Nothing was changed."
        return f"Loaded the demo area in {self.seconds:.1f} s: {what}."


def signin_table(plan: DemoPlan) -> str:
    """The demo sign-ins as a plain-text table, with where to sign in."""
    users = plan.users()
    rows = [("Email", "Role", "Password")] + [
        (u.email, Role(u.role).label, DEMO_PASSWORD) for u in users
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    rows.insert(1, ("-" * widths[0], "-" * widths[1], "-" * widths[2]))
    lines = [f"Caresight demo: sign in at {DEMO_URL}", ""]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    lines += [
        "",
        "  Council staff (the first six) work for both Cambridgeshire and Peterborough; the",
        f"  partner is the CCG; the provider user sees only {plan.user_provider.fields['name']}'s",
        "  services; the viewer sees totals for the East of England.",
        "  Everything in the demo area except the councils and the CCG is fictional.",
        "",
    ]
    return "\n".join(lines) + "\n"


def demo_load(*, stdout: TextIO | None = None) -> DemoSummary:
    """Load the demo area once, print the demo sign-ins first, and summarise what is there."""
    started = time.monotonic()
    _check_database()
    plan = build_plan()
    if stdout is not None:
        stdout.write(signin_table(plan))
    if User.objects.filter(email=ADMIN_EMAIL).exists():
        return _summary(already_loaded=True, started=started)
    if stdout is not None:
        stdout.write("Loading the demo area (a few seconds)...\n")
    _write(plan)
    # Keep today's risk logs now rather than when the background worker gets to them.
    risk.risk_logs_refresh(authority_ids=Authority.objects.filter(
        ons_code__in=COUNCILS).values_list("pk", flat=True))
    return _summary(already_loaded=False, started=started)


def _check_database() -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise DemoError("The database is not up to date: run `caresight migrate` first.")
    found = set(Authority.objects.filter(ons_code__in=COUNCILS).values_list("ons_code", flat=True))
    if found != set(COUNCILS):
        raise DemoError("Cambridgeshire and Peterborough are missing from the authorities; "
                        "run `caresight migrate` to load them.")


@transaction.atomic
def _write(plan: DemoPlan) -> None:
    authorities = {a.ons_code: a for a in Authority.objects.filter(ons_code__in=COUNCILS)}
    if (Locality.objects.filter(authority__in=authorities.values()).exists()
            or Location.objects.filter(authority__in=authorities.values()).exists()):
        raise DemoError(
            "Cambridgeshire or Peterborough already has localities or services on this "
            "register, so the fictional demo area would be mixed with them. Load the demo "
            "into a new database (e.g. DATABASE_URL=sqlite:////tmp/demo.sqlite3)."
        )
    # Localities first, so that each service is placed in one from its postcode.
    for spec in LOCALITIES:
        locality_create(
            authority=authorities[spec.authority], name=spec.name,
            district_codes=spec.district_codes, postcode_districts=spec.postcode_districts,
            user=OPERATOR,
        )
    created: dict[str, Provider] = {}
    for provider_plan in plan.providers:
        provider = provider_create(user=OPERATOR, **provider_plan.fields)
        created[provider.name] = provider
        for service in provider_plan.services:
            location_create(
                user=OPERATOR, provider=provider, authority=authorities[service.authority],
                **service.fields,
            )
    _write_returns(random.Random(SEED))
    _write_outbreaks(random.Random(SEED))
    _write_grants(random.Random(SEED))
    _write_plans(authorities)
    for person in plan.users():
        user_create(
            email=person.email, role=person.role, authority_codes=person.authority_codes,
            organisation_name=person.organisation, password=DEMO_PASSWORD,
            full_name=person.full_name,
            provider=created[person.organisation] if person.role == Role.PROVIDER_USER else None,
        )
    # After the users, so that the placements are placed by the demo's brokerage officer.
    beds_demo.write_beds(authorities=authorities, today=timezone.localdate(),
                         council=COUNCILS_ORGANISATION, ccg=CCG_ORGANISATION, seed=SEED)


def _write_plans(authorities: dict[str, Authority]) -> None:
    """The support plan and winter plan (both councils), Peterborough's risk register,
    decisions and business cases, its commissioning team's absences, and the joint highlight
    report: last week's published, this week's narrative so far."""
    today = timezone.localdate()
    councils = [authorities[code] for code in COUNCILS]
    orgs = plans_demo.organisations(council=COUNCILS_ORGANISATION, ccg=CCG_ORGANISATION)
    plans_demo.write_support_plan(authorities=councils, today=today, orgs=orgs)
    plans_demo.write_winter_plan(authorities=councils, today=today)
    plans_demo.write_governance(authority=authorities[PETERBOROUGH], today=today, orgs=orgs)
    plans_demo.write_workforce(authority=authorities[PETERBOROUGH], today=today)
    reports_demo.write_reports(authorities=councils, today=today)


RETURN_WEEKS = 8


def _write_returns(rng: random.Random) -> None:
    """Weekly returns for the last eight weeks: most services return, a few are late."""
    today = timezone.localdate()
    items = []
    locations = Location.objects.filter(
        authority__ons_code__in=COUNCILS, service_type__in=list(SERVICE_GROUP_OF_TYPE),
        registration_status=RegistrationStatus.REGISTERED).order_by("pk")
    for location in locations:
        group = SERVICE_GROUP_OF_TYPE[location.service_type]
        weekday = rng.randrange(7)
        size = location.registered_beds or rng.randint(20, 120)
        for week in range(RETURN_WEEKS - 1, -1, -1):
            day = today - dt.timedelta(days=7 * week + (today.weekday() - weekday) % 7)
            if rng.random() < (0.25 if week == 0 else 0.08):
                continue  # this week's return is missing: the chase list has someone to call
            answers = (_care_home_answers(rng, size, week) if group == ServiceGroup.CARE_HOME
                       else _community_answers(rng, size))
            items.append((location, day, answers))
    returns_load(items=items, user=OPERATOR, reason="Demo returns")


def _write_outbreaks(rng: random.Random) -> None:
    """Outbreaks at a dozen care homes (live, de-escalating, closed), an IMT, concerns."""
    today = timezone.localdate()
    homes = list(Location.objects.filter(
        authority__ons_code__in=COUNCILS, service_type__in=CARE_HOME_TYPES,
        registration_status=RegistrationStatus.REGISTERED).order_by("pk"))
    rng.shuffle(homes)
    # (days ago reported, days ago of later cases): live, de-escalating, then closed
    shapes = [(6, [2]), (9, [4]), (3, []), (12, [8, 5]), (20, []), (30, [17]), (24, [16]),
              (60, [50]), (75, []), (45, [31]), (90, [80]), (40, [])]
    for home, (reported, cases) in zip(homes, shapes, strict=False):
        def day(ago: int) -> dt.date:
            return today - dt.timedelta(days=ago)

        outbreak = outbreaks.outbreak_report(
            location=home, reported_on=day(reported), reported_by=rng.choice(
                ["provider", "public_health", "public_health", "cqc"]),
            counts=outbreaks.Counts(kind=rng.choice(["suspected", "confirmed"]),
                                    new_cases_residents=rng.randint(1, 4),
                                    new_cases_staff=rng.randint(0, 2),
                                    admissions_closed=True),
            first_symptoms_on=day(reported + rng.randint(0, 3)), user=OPERATOR)
        for ago in cases:
            outbreaks.update_record(outbreak=outbreak, on=day(ago), user=OPERATOR, counts=(
                outbreaks.Counts(kind="confirmed", new_cases_residents=rng.randint(0, 3),
                                 new_cases_staff=rng.randint(1, 2),
                                 deaths=rng.choice([0, 0, 1]))))
    first = homes[0].outbreaks.get()
    meeting = outbreaks.imt_meeting_record(
        location=first.location, outbreak=first, held_on=first.reported_on,
        attendees="Director of Public Health\nCCG infection control nurse\nQuality officer\n"
        "Registered manager", summary="Whole-home testing; staff cohorted; admissions closed.",
        user=OPERATOR)
    outbreaks.imt_action_add(meeting=meeting, description="Arrange whole-home testing",
                             owner="CCG infection control", due_on=first.reported_on, user=OPERATOR)
    outbreaks.imt_action_add(meeting=meeting, description="Daily PPE check", owner="Manager",
                             due_on=today + dt.timedelta(days=3), user=OPERATOR)
    closed = homes[7].outbreaks.get()
    if closed.closed_on and closed.closed_on <= today:
        outbreaks.learning_review_record(
            outbreak=closed, reviewed_on=today, what_happened="Agency staff brought the "
            "infection in; two residents were admitted from hospital untested.",
            lessons="Block-book agency staff; test every admission.",
            shared_with="All care homes in the locality; CCG", user=OPERATOR)
    for home, summary in ((homes[12], "Medication errors reported by a relative"),
                          (homes[13], "Staffing below the agreed level at night")):
        risk.concern_raise(location=home, raised_on=today - dt.timedelta(days=5),
                           source="quality_assurance", summary=summary, user=OPERATOR)
    risk.override_set(location=homes[14], rating="red", reason="Manager on long-term leave; "
                      "weekly calls agreed at IMT", starts_on=today - dt.timedelta(days=2),
                      expires_on=today + dt.timedelta(days=12), user=OPERATOR)


def _write_grants(rng: random.Random) -> None:
    """Round 1 of the Infection Control Fund in Cambridgeshire, allocated, mostly signed, the
    first instalment paid and half the spend returns in; round 2 in Peterborough as a what-if."""
    today = timezone.localdate()
    cambs, peterborough = (Authority.objects.get(ons_code=code) for code in COUNCILS[:2])
    first = grants.round_create_from_template(
        authority=cambs, template="icf-2020-round-1", amount="6100000.00",
        eligibility_date=today - dt.timedelta(days=3), user=OPERATOR)
    grants.allocation_confirm(round=first, user=OPERATOR)
    providers = list(Provider.objects.filter(pk__in=first.allocations.values("provider_id"))
                     .order_by("name"))
    for n, provider in enumerate(providers):
        if n % 10 == 9:
            continue  # a tenth have not answered yet: the payment run withholds theirs
        grants.agreement_record(round=first, provider=provider, accepted=n != 4,
                                name=f"{provider.contact_name or 'Registered manager'}",
                                role="Registered manager", responded_on=today, paper=n % 3 == 0,
                                user=OPERATOR)
    run = grants.payment_run_create(round=first, instalment=first.instalments.get(number=1),
                                    as_of=today, user=OPERATOR)
    grants.payment_run_confirm(run=run, user=OPERATOR)
    paid = grants_selectors.reconciliation(user=OPERATOR, round=first)["rows"]
    for row in paid[::2]:
        if not row["paid"]:
            continue
        spent = row["paid"] * Decimal(rng.randint(40, 95)) / 100
        weights = {"isolating_residents": 9, "restricting_staff_movement": 14,
                   "full_wages_isolating": 7, "other": 70}
        amounts = split(spent.quantize(Decimal("0.01")),
                        {k: Decimal(v + rng.randint(-3, 3)) for k, v in weights.items()})
        grants.spend_return_submit(round=first, provider=Provider.objects.get(
            pk=row["provider_id"]), amounts=amounts, user=OPERATOR)
    grants.round_create_from_template(
        authority=peterborough, template="icf-2020-round-2", amount="1800000.00",
        eligibility_date=today - dt.timedelta(days=3), contingency="20000.00", user=OPERATOR)


def _care_home_answers(rng: random.Random, beds: int, week: int) -> dict:
    occupied = rng.randint(int(beds * 0.7), beds)
    vacant = beds - occupied
    staff = {"nurses": rng.randint(0, beds // 5), "care_workers": rng.randint(beds // 2, beds),
             "non_care_staff": rng.randint(2, beds // 3 + 2)}
    answers = {
        "beds_registered": beds, "beds_occupied": occupied, "beds_vacant": vacant,
        "beds_vacant_accepting": rng.randint(0, vacant),
        "admissions_open": "no" if rng.random() < 0.1 else "yes",
        "residents_covid_confirmed": rng.choice([0] * 8 + [1, 2, 4]),
        "residents_covid_suspected": rng.choice([0] * 6 + [1, 2]),
        "agency_nurses": rng.randint(0, 2), "agency_care_workers": rng.randint(0, 5),
        "agency_non_care_staff": rng.randint(0, 1),
        "hours_paid": sum(staff.values()) * 35, "hours_overtime": rng.randint(0, 80),
        "hours_agency": rng.randint(0, 120),
        "staff_multiple_settings": rng.choice([0] * 8 + [1, 3]),
        "visiting_status": rng.choice(["open", "restricted", "restricted", "end_of_life",
                                       "closed"]),
        "staff_flu_vaccinated": rng.randint(0, sum(staff.values())),
        "staff_covid_vaccinated": rng.randint(0, sum(staff.values())),
        "residents_flu_vaccinated": rng.randint(0, occupied),
        "residents_covid_vaccinated": rng.randint(0, occupied),
    }
    for group, employed in staff.items():
        answers[f"{group}_employed"] = employed
        answers[f"{group}_absent_covid"] = rng.randint(0, employed // 10)
        answers[f"{group}_absent_other"] = rng.randint(0, employed // 10)
    for code in PPE_ITEMS:
        answers[code] = rng.choice([5] + [10, 14, 21, 28, 28] * 6)
    # Measures in place become commoner week by week, as they did in 2020.
    for code in IPC_CODES:
        answers[code] = "yes" if rng.random() < 0.75 + 0.02 * (RETURN_WEEKS - week) else "no"
    return answers


def _community_answers(rng: random.Random, size: int) -> dict:
    people = rng.randint(size // 2, size)
    council = rng.randint(0, people)
    workers = rng.randint(people // 3 + 1, people)
    answers = {
        "people_supported": people, "people_supported_council": council,
        "people_supported_self_funded": people - council,
        "people_covid_confirmed": rng.choice([0] * 8 + [1, 2]),
        "people_covid_suspected": rng.choice([0] * 8 + [1]),
        "care_workers_employed": workers, "care_workers_absent": rng.randint(0, workers // 8),
        "hours_paid": workers * 30, "hours_agency": rng.randint(0, 100),
        "hours_absence": rng.randint(0, 60), "ppe_cqc_issues": "no",
        "staff_flu_vaccinated": rng.randint(0, workers),
        "staff_covid_vaccinated": rng.randint(0, workers),
        "people_flu_vaccinated": rng.randint(0, people),
        "people_covid_vaccinated": rng.randint(0, people),
    }
    for code in PPE_ITEMS:
        answers[code] = rng.choice([3] + [7, 14, 21, 28] * 6)
    return answers


IPC_CODES = [
    "ipc_isolate_residents", "ipc_restrict_staff_movement", "ipc_full_pay_isolating_staff",
    "ipc_testing_portal", "ipc_test_kits", "ipc_test_hospital_discharges", "ipc_sufficient_ppe",
    "ipc_medical_equipment", "ipc_ppe_training", "ipc_equipment_training",
    "ipc_additional_capacity", "ipc_named_clinical_lead", "ipc_mutual_aid",
]


def _summary(*, already_loaded: bool, started: float) -> DemoSummary:
    locations = Location.objects.filter(authority__ons_code__in=COUNCILS)
    types = Counter(locations.values_list("service_type", flat=True))
    homes = locations.filter(service_type__in=CARE_HOME_TYPES)
    return DemoSummary(
        already_loaded=already_loaded,
        localities=Locality.objects.filter(authority__ons_code__in=COUNCILS).count(),
        providers=Provider.objects.filter(locations__in=locations).distinct().count(),
        care_homes=sum(types[t] for t in CARE_HOME_TYPES),
        nursing_homes=types[ServiceType.CARE_HOME_NURSING],
        beds=sum(b or 0 for b in homes.values_list("registered_beds", flat=True)),
        other_services=sum(n for t, n in types.items() if t not in CARE_HOME_TYPES),
        deregistered=locations.filter(
            registration_status=RegistrationStatus.DEREGISTERED).count(),
        users=User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).count(),
        returns=Return.objects.filter(location__in=locations).count(),
        outbreaks=Outbreak.objects.filter(location__in=locations).count(),
        seconds=time.monotonic() - started,
        bed_schemes=BedScheme.objects.filter(authority__ons_code__in=COUNCILS).count(),
        placements=Placement.objects.filter(scheme__authority__ons_code__in=COUNCILS).count(),
    )
