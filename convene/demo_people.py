"""Demo network, part one: the people and the groups (fictional organisations, invented people).

Read by convene.demo, which creates all of this through the service layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_DOMAIN = "demo.convene.local"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
MEMBER_EMAIL = f"member@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    role: str  # site role: member | facilitator | moderator | admin
    organisation: str
    organisation_type: str  # a key of members.choices.ORGANISATION_TYPES
    country: str
    bio: str
    email: str = ""
    timezone: str = "Europe/Brussels"
    pending: bool = False  # registered, waiting for an administrator's approval

    @property
    def address(self) -> str:
        return self.email or f"{self.key}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    visibility: str  # public | members | private
    creator: str
    description: str
    moderators: tuple[str, ...] = ()
    members: tuple[str, ...] = field(default_factory=tuple)


PEOPLE: tuple[Person, ...] = (
    Person(
        key="ingrid",
        name="Ingrid Halvorsen",
        role="admin",
        organisation="European Resettlement Practice Network",
        organisation_type="ngo",
        country="NO",
        bio="Network coordinator. I look after the platform, the member list and our quarterly calls.",
        email=ADMIN_EMAIL,
        timezone="Europe/Oslo",
    ),
    Person(
        key="sofia",
        name="Sofia Marques",
        role="member",
        organisation="Lisbon Municipal Integration Service",
        organisation_type="local_government",
        country="PT",
        bio="Case manager for resettled families in Lisbon: housing, schools, first months.",
        email=MEMBER_EMAIL,
        timezone="Europe/Lisbon",
    ),
    Person(
        key="yusuf",
        name="Yusuf Demir",
        role="moderator",
        organisation="Neue Nachbarn e.V.",
        organisation_type="ngo",
        country="DE",
        bio="Social worker, twelve years in reception. I moderate the public groups.",
        timezone="Europe/Berlin",
    ),
    Person(
        key="claire",
        name="Claire Dubois",
        role="moderator",
        organisation="Ministère de l'Intérieur, Resettlement Unit",
        organisation_type="national_government",
        country="FR",
        bio="Policy officer for the national resettlement programme. Moderator.",
        timezone="Europe/Paris",
    ),
    Person(
        key="amira",
        name="Amira Haddad",
        role="facilitator",
        organisation="Voices of New Neighbours",
        organisation_type="refugee_led",
        country="SE",
        bio="Came to Sweden through resettlement in 2014. Now I run a refugee-led association in Malmö.",
        timezone="Europe/Stockholm",
    ),
    Person(
        key="tomas",
        name="Tomás Ortega",
        role="facilitator",
        organisation="Universidad del Sur, Migration Lab",
        organisation_type="academic",
        country="ES",
        bio="Researcher on complementary pathways and community sponsorship in Southern Europe.",
        timezone="Europe/Madrid",
    ),
    Person(
        key="aleksander",
        name="Aleksander Nowak",
        role="member",
        organisation="Regional Resettlement Office Gdańsk",
        organisation_type="regional_government",
        country="PL",
        bio="Coordinates arrivals and municipal placements for the Pomeranian region.",
        timezone="Europe/Warsaw",
    ),
    Person(
        key="fatima",
        name="Fatima Noor",
        role="member",
        organisation="Voices of New Neighbours (Utrecht chapter)",
        organisation_type="refugee_led",
        country="NL",
        bio="Peer mentor and trainer. Somali, Dutch, and still learning Swedish from Amira.",
        timezone="Europe/Amsterdam",
    ),
    Person(
        key="hamid",
        name="Hamid Rahimi",
        role="member",
        organisation="Peer mentor, Leipzig",
        organisation_type="refugee_led",
        country="DE",
        bio="Resettled from Iran in 2017 (originally from Herat). Peer mentor for newly arrived families.",
        timezone="Europe/Berlin",
    ),
    Person(
        key="niamh",
        name="Niamh O'Sullivan",
        role="member",
        organisation="Welcome Circles Ireland",
        organisation_type="ngo",
        country="IE",
        bio="Training and supporting community sponsorship groups across Munster.",
        timezone="Europe/Dublin",
    ),
    Person(
        key="lukas",
        name="Lukas Berger",
        role="member",
        organisation="Danube Institute for Migration Studies",
        organisation_type="academic",
        country="AT",
        bio="Evaluation of language and labour-market programmes for refugees.",
        timezone="Europe/Vienna",
    ),
    Person(
        key="grace",
        name="Grace Mensah",
        role="member",
        organisation="World Refugee Agency, Brussels liaison office",
        organisation_type="international_organisation",
        country="BE",
        bio="Resettlement officer. Before Brussels: five years in field operations in East Africa.",
    ),
    Person(
        key="dimitris",
        name="Dimitris Papadopoulos",
        role="member",
        organisation="Solidarity Now Hellas",
        organisation_type="ngo",
        country="GR",
        bio="Housing and legal counselling for protection holders in Athens.",
        timezone="Europe/Athens",
    ),
    Person(
        key="elena",
        name="Elena Rossi",
        role="member",
        organisation="Corridoi Umanitari Network",
        organisation_type="ngo",
        country="IT",
        bio="Humanitarian corridors: selection missions, host community preparation, follow-up.",
        timezone="Europe/Rome",
    ),
    Person(
        key="katerina",
        name="Kateřina Novotná",
        role="member",
        organisation="Brno Welcome Volunteers",
        organisation_type="volunteer",
        country="CZ",
        bio="Teacher by day, volunteer by evening. Czech conversation club organiser.",
        timezone="Europe/Prague",
    ),
    Person(
        key="mohammed",
        name="Mohammed Al-Khatib",
        role="member",
        organisation="Göteborg City, Cultural Orientation Team",
        organisation_type="local_government",
        country="SE",
        bio="Cultural orientation trainer and interpreter. Resettled from Lebanon in 2016.",
        timezone="Europe/Stockholm",
    ),
    Person(
        key="sven",
        name="Sven Johansson",
        role="member",
        organisation="Umeå Municipality, Housing Department",
        organisation_type="local_government",
        country="SE",
        bio="Finding homes for newly arrived families in a tight rental market.",
        timezone="Europe/Stockholm",
    ),
    Person(
        key="aisha",
        name="Aisha Bello",
        role="member",
        organisation="St Anne's Community Sponsorship Group",
        organisation_type="volunteer",
        country="GB",
        bio="Lead sponsor of a community group in Bristol. Second family arrived last spring.",
        timezone="Europe/London",
    ),
    Person(
        key="pieter",
        name="Pieter de Vries",
        role="member",
        organisation="Central Reception Agency",
        organisation_type="national_government",
        country="NL",
        bio="Pre-departure liaison and first reception for resettled refugees arriving in the Netherlands.",
        timezone="Europe/Amsterdam",
    ),
    Person(
        key="leila",
        name="Leila Karimi",
        role="member",
        organisation="Université Lumière, Language Acquisition Group",
        organisation_type="academic",
        country="FR",
        bio="Research on adult second-language learning with low prior schooling.",
        timezone="Europe/Paris",
    ),
    Person(
        key="tesfaye",
        name="Tesfaye Gebremedhin",
        role="member",
        organisation="New Roots Oslo",
        organisation_type="refugee_led",
        country="NO",
        bio="Co-founder of New Roots, a refugee-led organisation. Came to Norway as a quota refugee in 2012.",
        timezone="Europe/Oslo",
    ),
    Person(
        key="marieclaire",
        name="Marie-Claire Nkurunziza",
        role="member",
        organisation="Ensemble Bruxelles",
        organisation_type="refugee_led",
        country="BE",
        bio="Community organiser. I help women who arrive through resettlement find their networks.",
    ),
    Person(
        key="oksana",
        name="Oksana Shevchenko",
        role="member",
        organisation="Open Doors Foundation",
        organisation_type="ngo",
        country="PL",
        bio="Programme manager for integration services in Kraków.",
        timezone="Europe/Warsaw",
    ),
    Person(
        key="hanna",
        name="Hanna Virtanen",
        role="member",
        organisation="Tampere Regional Integration Centre",
        organisation_type="regional_government",
        country="FI",
        bio="Municipal placement and the first integration plan for quota refugees.",
        timezone="Europe/Helsinki",
    ),
    Person(
        key="emre",
        name="Emre Yılmaz",
        role="member",
        organisation="International Migration Assistance Organisation",
        organisation_type="international_organisation",
        country="TR",
        bio="Pre-departure cultural orientation trainer, Istanbul and Gaziantep.",
        timezone="Europe/Istanbul",
    ),
    Person(
        key="nour",
        name="Nour El-Sayed",
        role="member",
        organisation="Sprachcafé Köln",
        organisation_type="volunteer",
        country="DE",
        bio="I run a weekly language café. Former English teacher from Alexandria.",
        timezone="Europe/Berlin",
    ),
    Person(
        key="yaw",
        name="Yaw Boateng",
        role="member",
        organisation="Refugee Welcome Hamburg",
        organisation_type="ngo",
        country="DE",
        bio="Housing advice for newly arrived families in Hamburg.",
        timezone="Europe/Berlin",
        pending=True,
    ),
)

GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "predeparture", "Pre-departure orientation", "public", "yusuf",
        "Curricula, sessions and materials for **cultural orientation before departure**: what refugees "
        "should know before they travel, and how to say it honestly.\n\n"
        "Share what worked, what didn't, and what people told you after arrival.",
        moderators=("emre",),
        members=("sofia", "pieter", "mohammed", "grace", "fatima", "hamid", "claire", "katerina", "hanna"),
    ),
    GroupSpec(
        "reception", "Reception and integration", "public", "yusuf",
        "The first months after arrival: housing, schools, health, language courses, work and the "
        "everyday. Practitioners from municipalities, NGOs and volunteers compare notes.",
        moderators=("claire",),
        members=("sofia", "sven", "aleksander", "hanna", "dimitris", "oksana", "nour", "katerina", "leila",
                 "lukas", "hamid", "marieclaire", "mohammed"),
    ),  # fmt: skip
    GroupSpec(
        "sponsorship", "Community sponsorship", "members", "tomas",
        "For sponsor groups, the organisations that train them and the officials who approve them: "
        "matching, preparation, the first year and what comes after.",
        moderators=("niamh",),
        members=("aisha", "elena", "sofia", "katerina", "claire", "grace", "oksana", "fatima"),
    ),
    GroupSpec(
        "pathways", "Complementary pathways", "members", "tomas",
        "Humanitarian corridors, family reunification, education and labour pathways: "
        "how they are run, and how they relate to resettlement.",
        members=("elena", "grace", "lukas", "claire", "pieter", "dimitris", "emre", "sofia"),
    ),
    GroupSpec(
        "rlo", "Refugee-led organisations", "private", "amira",
        "A space run by and for refugee-led organisations and people with lived experience of "
        "resettlement. Membership on request; please introduce yourself when you join.",
        moderators=("tesfaye",),
        members=("fatima", "hamid", "marieclaire", "mohammed", "nour"),
    ),
    GroupSpec(
        "coordinators", "Network coordinators", "private", "ingrid",
        "Planning for the network: calls, the annual meeting, the member survey and moderation questions.",
        moderators=("yusuf", "claire"),
        members=("amira", "tomas", "grace"),
    ),
)  # fmt: skip

# Someone who asked to join a private group: its moderators see the request waiting.
JOIN_REQUESTS: tuple[tuple[str, str], ...] = (("rlo", "leila"),)
