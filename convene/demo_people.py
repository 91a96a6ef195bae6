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
    organisation_type: str  # government | ngo | international | academic | volunteer | refugee-led
    country: str
    bio: str
    email: str = ""
    timezone: str = "Europe/Brussels"

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
    Person("ingrid", "Ingrid Halvorsen", "admin", "European Resettlement Practice Network", "ngo", "NO",
           "Network coordinator. I look after the platform, the member list and our quarterly calls.",
           email=ADMIN_EMAIL, timezone="Europe/Oslo"),
    Person("sofia", "Sofia Marques", "member", "Lisbon Municipal Integration Service", "government", "PT",
           "Case manager for resettled families in Lisbon: housing, schools, first months.",
           email=MEMBER_EMAIL, timezone="Europe/Lisbon"),
    Person("yusuf", "Yusuf Demir", "moderator", "Neue Nachbarn e.V.", "ngo", "DE",
           "Social worker, twelve years in reception. I moderate the public groups.",
           timezone="Europe/Berlin"),
    Person("claire", "Claire Dubois", "moderator", "Ministère de l'Intérieur, Resettlement Unit", "government",
           "FR", "Policy officer for the national resettlement programme. Moderator.", timezone="Europe/Paris"),
    Person("amira", "Amira Haddad", "facilitator", "Voices of New Neighbours", "refugee-led", "SE",
           "Came to Sweden through resettlement in 2014. Now I run a refugee-led association in Malmö.",
           timezone="Europe/Stockholm"),
    Person("tomas", "Tomás Ortega", "facilitator", "Universidad del Sur, Migration Lab", "academic", "ES",
           "Researcher on complementary pathways and community sponsorship in Southern Europe.",
           timezone="Europe/Madrid"),
    Person("aleksander", "Aleksander Nowak", "member", "Regional Resettlement Office Gdańsk", "government", "PL",
           "Coordinates arrivals and municipal placements for the Pomeranian region.", timezone="Europe/Warsaw"),
    Person("fatima", "Fatima Noor", "member", "Voices of New Neighbours (Utrecht chapter)", "refugee-led", "NL",
           "Peer mentor and trainer. Somali, Dutch, and still learning Swedish from Amira.",
           timezone="Europe/Amsterdam"),
    Person("hamid", "Hamid Rahimi", "member", "Peer mentor, Leipzig", "volunteer", "DE",
           "Resettled from Iran in 2017 (originally from Herat). I volunteer as a peer mentor for new families.",
           timezone="Europe/Berlin"),
    Person("niamh", "Niamh O'Sullivan", "member", "Welcome Circles Ireland", "ngo", "IE",
           "Training and supporting community sponsorship groups across Munster.", timezone="Europe/Dublin"),
    Person("lukas", "Lukas Berger", "member", "Danube Institute for Migration Studies", "academic", "AT",
           "Evaluation of language and labour-market programmes for refugees.", timezone="Europe/Vienna"),
    Person("grace", "Grace Mensah", "member", "World Refugee Agency, Brussels liaison office", "international",
           "BE", "Resettlement officer. Before Brussels: five years in field operations in East Africa."),
    Person("dimitris", "Dimitris Papadopoulos", "member", "Solidarity Now Hellas", "ngo", "GR",
           "Housing and legal counselling for protection holders in Athens.", timezone="Europe/Athens"),
    Person("elena", "Elena Rossi", "member", "Corridoi Umanitari Network", "ngo", "IT",
           "Humanitarian corridors: selection missions, host community preparation, follow-up.",
           timezone="Europe/Rome"),
    Person("katerina", "Kateřina Novotná", "member", "Brno Welcome Volunteers", "volunteer", "CZ",
           "Teacher by day, volunteer by evening. Czech conversation club organiser.", timezone="Europe/Prague"),
    Person("mohammed", "Mohammed Al-Khatib", "member", "Göteborg City, Cultural Orientation Team", "government",
           "SE", "Cultural orientation trainer and interpreter. Resettled from Lebanon in 2016.",
           timezone="Europe/Stockholm"),
    Person("sven", "Sven Johansson", "member", "Umeå Municipality, Housing Department", "government", "SE",
           "Finding homes for newly arrived families in a tight rental market.", timezone="Europe/Stockholm"),
    Person("aisha", "Aisha Bello", "member", "St Anne's Community Sponsorship Group", "volunteer", "GB",
           "Lead sponsor of a community group in Bristol. Second family arrived last spring.",
           timezone="Europe/London"),
    Person("pieter", "Pieter de Vries", "member", "Central Reception Agency", "government", "NL",
           "Pre-departure liaison and first reception for resettled refugees arriving in the Netherlands.",
           timezone="Europe/Amsterdam"),
    Person("leila", "Leila Karimi", "member", "Université Lumière, Language Acquisition Group", "academic",
           "FR", "Research on adult second-language learning with low prior schooling.", timezone="Europe/Paris"),
    Person("tesfaye", "Tesfaye Gebremedhin", "member", "New Roots Oslo", "refugee-led", "NO",
           "Co-founder of New Roots, a refugee-led organisation. Came to Norway as a quota refugee in 2012.",
           timezone="Europe/Oslo"),
    Person("marieclaire", "Marie-Claire Nkurunziza", "member", "Ensemble Bruxelles", "refugee-led", "BE",
           "Community organiser. I help women who arrive through resettlement find their networks."),
    Person("oksana", "Oksana Shevchenko", "member", "Open Doors Foundation", "ngo", "PL",
           "Programme manager for integration services in Kraków.", timezone="Europe/Warsaw"),
    Person("hanna", "Hanna Virtanen", "member", "Tampere Regional Integration Centre", "government", "FI",
           "Municipal placement and the first integration plan for quota refugees.", timezone="Europe/Helsinki"),
    Person("emre", "Emre Yılmaz", "member", "International Migration Assistance Organisation", "international",
           "TR", "Pre-departure cultural orientation trainer, Istanbul and Gaziantep.", timezone="Europe/Istanbul"),
    Person("nour", "Nour El-Sayed", "member", "Sprachcafé Köln", "volunteer", "DE",
           "I run a weekly language café. Former English teacher from Alexandria.", timezone="Europe/Berlin"),
)  # fmt: skip

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
