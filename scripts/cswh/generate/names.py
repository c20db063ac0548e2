"""Synthetic, deterministic names: companies, people, job titles, e-mail addresses.

Every name is built from the word lists below with a seeded stream, so no real person or company
is described. E-mail domains use the reserved ``.example`` top-level domain.
"""

from __future__ import annotations

import re

import numpy as np

FIRST_NAMES = (
    "Aaliyah", "Aarav", "Abigail", "Adam", "Adebayo", "Aiko", "Alejandro", "Alice", "Amara",
    "Amir", "Ana", "Anders", "Anika", "Arjun", "Astrid", "Ava", "Beatriz", "Benjamin", "Bilal",
    "Camila", "Carlos", "Charlotte", "Chen", "Chloe", "Daniel", "David", "Diego", "Dmitri",
    "Elena", "Eli", "Emeka", "Emily", "Emma", "Ethan", "Fatima", "Felix", "Fiona", "Gabriel",
    "Grace", "Hana", "Hannah", "Hiroshi", "Ibrahim", "Ines", "Isabel", "Ivan", "Jack", "James",
    "Jana", "Javier", "Jin", "Julia", "Kai", "Kavya", "Kenji", "Laila", "Lars", "Leah", "Leo",
    "Liam", "Lucas", "Lucia", "Maya", "Mateo", "Mei", "Mia", "Mohammed", "Nadia", "Naledi",
    "Noah", "Nora", "Olivia", "Omar", "Oscar", "Priya", "Rafael", "Rahul", "Rosa", "Ruth",
    "Sakura", "Samuel", "Santiago", "Sara", "Sebastian", "Sofia", "Sophie", "Tariq", "Thandiwe",
    "Theo", "Tomas", "Valentina", "Victor", "Wei", "William", "Yara", "Yusuf", "Zara", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abara", "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brennan", "Brown",
    "Castro", "Chandra", "Chen", "Costa", "Dalton", "Das", "Dubois", "Eriksson", "Evans",
    "Fernandes", "Fischer", "Garcia", "Gonzalez", "Gupta", "Haddad", "Hansen", "Hernandez",
    "Hoffmann", "Hughes", "Ito", "Jensen", "Johansson", "Kapoor", "Kato", "Kim", "Kowalski",
    "Larsen", "Laurent", "Lee", "Lopez", "Martin", "Mehta", "Meyer", "Mokoena", "Moreau",
    "Murphy", "Nakamura", "Nguyen", "Nielsen", "Novak", "Nowak", "Okafor", "Okonkwo", "Oliveira",
    "Olsen", "Park", "Patel", "Pereira", "Petrov", "Quinn", "Rahman", "Ramirez", "Reddy", "Reyes",
    "Richter", "Rossi", "Santos", "Sato", "Schmidt", "Schneider", "Silva", "Singh", "Smith",
    "Sousa", "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres", "Van Dijk", "Vargas", "Walker",
    "Wang", "Weber", "Williams", "Wilson", "Wong", "Yamamoto", "Yilmaz", "Young", "Zhang",
)  # fmt: skip

COMPANY_FIRST = (
    "Amber", "Apex", "Arc", "Azure", "Beacon", "Birch", "Blue", "Bold", "Bright", "Cedar",
    "Clear", "Cobalt", "Copper", "Coral", "Crest", "Crimson", "Delta", "Ember", "Evergreen",
    "Falcon", "Fern", "Frontier", "Golden", "Granite", "Harbor", "Helix", "Horizon", "Indigo",
    "Iron", "Juniper", "Keystone", "Lake", "Lumen", "Maple", "Meridian", "Nimbus", "North",
    "Nova", "Oak", "Onyx", "Orbit", "Pacific", "Pine", "Pioneer", "Prism", "Quartz", "Redwood",
    "River", "Sable", "Sage", "Silver", "Sky", "Solar", "Spruce", "Stone", "Summit", "Swift",
    "Terra", "Tidal", "True", "Union", "Vantage", "Vertex", "Willow", "Zenith",
)  # fmt: skip

COMPANY_SECOND = (
    "Analytics", "Bank", "Bio", "Brands", "Capital", "Care", "Clinics", "Cloud", "Commerce",
    "Consulting", "Data", "Design", "Dynamics", "Energy", "Foods", "Freight", "Health",
    "Insights", "Insurance", "Learning", "Legal", "Logistics", "Machines", "Media", "Medical",
    "Metrics", "Mobility", "Networks", "Outfitters", "Partners", "Pharma", "Retail", "Robotics",
    "Security", "Software", "Solutions", "Studios", "Supply", "Systems", "Tech", "Textiles",
    "Travel", "Works",
)  # fmt: skip

COMPANY_SUFFIX = ("Inc", "Ltd", "Group", "Co", "GmbH", "Labs", "Holdings", "LLC", "SA", "AG")

EXECUTIVE_TITLES = (
    "Chief Executive Officer",
    "Chief Operating Officer",
    "Chief Technology Officer",
    "Chief Financial Officer",
    "Chief Customer Officer",
    "VP Operations",
    "VP Engineering",
    "VP Customer Experience",
    "VP Sales",
    "VP Marketing",
)
DIRECTOR_TITLES = (
    "Director of Operations",
    "Director of Customer Support",
    "Head of Analytics",
    "Head of IT",
    "Director of Engineering",
    "Head of Revenue Operations",
    "Director of Finance",
)
STAFF_TITLES = (
    "Operations Manager",
    "Team Lead",
    "Business Analyst",
    "Data Analyst",
    "Systems Administrator",
    "Project Manager",
    "Support Specialist",
    "Software Engineer",
    "Account Coordinator",
    "Product Manager",
)

VENDOR_DOMAIN = "cswh-vendor.example"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _ascii_local(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def company_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Unique company names and their e-mail domains."""
    first = rng.integers(0, len(COMPANY_FIRST), n)
    second = rng.integers(0, len(COMPANY_SECOND), n)
    suffix = rng.integers(0, len(COMPANY_SUFFIX), n)
    names: list[str] = []
    domains: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        base = f"{COMPANY_FIRST[first[i]]} {COMPANY_SECOND[second[i]]}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        stem = base if count == 0 else f"{base} {count + 1}"
        names.append(f"{stem} {COMPANY_SUFFIX[suffix[i]]}")
        domains.append(f"{_slug(stem)}.example")
    return names, domains


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.asarray(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.asarray(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    return first, last


def emails(first: np.ndarray, last: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """first.last@domain, numbered when the same address repeats at one domain."""
    out = np.empty(len(first), dtype=object)
    seen: dict[str, int] = {}
    for i in range(len(first)):
        local = f"{_ascii_local(first[i])}.{_ascii_local(last[i])}"
        address = f"{local}@{domains[i]}"
        count = seen.get(address, 0)
        seen[address] = count + 1
        out[i] = address if count == 0 else f"{local}{count + 1}@{domains[i]}"
    return out
