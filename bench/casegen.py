"""Generate the graphsvc demo case, "Opération Lys Noir", in each source's native shape.

The case is fictional: a trafficking and exploitation network spanning Romania (recruiters),
Belgium (transport and logistics) and France (nail salons where the victims work, and front
companies that launder the proceeds). Six sources describe it, each the way it would really
arrive on an analyst's desk:

- ``registry-fr``  company registry extract (CSV): companies, officers, beneficial owners;
- ``cdr-fr``       operators' subscriber lists and call-detail records, voice calls and texts
                   in one file (CSV, French local time);
- ``bank-fr``      bank requisition (CSV: account parties, transactions with booking dates and
                   French amounts ``1 234,56``) and an FIU disclosure;
- ``be-pjf``       Belgian federal judicial police records (native JSONL);
- ``analyst-fr``   the French analyst's own notes, a few from a human source (native JSONL);
- ``ro-diicot``    Romanian prosecutors' records (native JSONL, Romanian national formats).

The sources join the way real ones do, through selectors written differently by each (a French
mobile as ``06 52 17 83 40`` in the CDR and ``+33 6 52 17 83 40`` in a Belgian record, the same
IBAN in a bank statement and in a seizure report, a Belgian plate in a border check and in a
surveillance note), while each source keeps its own ids for persons.

Usage::

    python bench/casegen.py --out seed                      # the seed case (a few thousand links)
    python bench/casegen.py --out /tmp/case --links 1000000 # the same case scaled up

The output directory is complete: data files, CSV mappings, ``sources.yaml``, ``manifest.yaml``
(``graphsvc --store X ingest DIR/manifest.yaml`` loads everything) and ``principals.yaml``.
Output is deterministic for a given ``--seed`` and ``--links``; only the files listed in
``manifest.yaml`` plus the three YAML files and the mappings are written, nothing is deleted.

The seed is sized by hand (``SEED_STREAMS``). With ``--links`` the number of cells grows as
``(links / SEED_LINKS) ** WORLD_GROWTH`` and the outside world of each target line and account
(acquaintances, services, shops) as ``** CIRCLE_GROWTH``: a million links make about 196 cells
and some 90,000 entities, most of them outside contacts seen once or twice, a few hubs seen
thousands of times. Calls and transactions are streamed month by month, so memory stays
bounded at any scale.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from schwifty import IBAN

from graphsvc.policy.keys import key_for

# ---------------------------------------------------------------------------------------------
# Time frame and sizes

PERIOD_START = date(2023, 9, 1)
PERIOD_END = date(2025, 2, 28)
PERIOD_DAYS = (PERIOD_END - PERIOD_START).days + 1
SEED_LINKS = 4_000  # what the seed case is sized for; --links scales from it
SEED_STREAMS = {"calls": 1_900, "texts": 380, "transfers": 1_000, "fiu": 36}
SEED_SATELLITE_CELLS = 4
# How the case grows with --links, as powers of links / SEED_LINKS: the cells (people, lines,
# accounts, companies), and the outside world of each line and account (acquaintances, shops).
# At a million links: 196 cells, and a hundred-odd outside contacts for each target line.
WORLD_GROWTH = 0.7
CIRCLE_GROWTH = 0.65
SHARED_CONTACTS = 0.25  # share of a line's wider circle it shares with its cell mates
STREAM_SHARES = {"calls": 0.66, "texts": 0.12, "transfers": 0.20, "fiu": 0.02}

# Hour-of-day weights (local time) for voice calls and for text messages.
CALL_HOURS = [
    0.4,
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.6,
    1.3,
    2.0,
    2.6,
    2.9,
    3.0,
    3.1,
    2.9,
    2.6,
    2.6,
    2.8,
    3.1,
    3.3,
    3.2,
    3.0,
    2.5,
    1.7,
    0.9,
]
SMS_HOURS = [
    0.9,
    0.5,
    0.3,
    0.2,
    0.1,
    0.2,
    0.5,
    1.2,
    1.8,
    2.0,
    2.2,
    2.4,
    2.6,
    2.4,
    2.2,
    2.3,
    2.5,
    2.8,
    3.0,
    3.2,
    3.3,
    3.2,
    2.6,
    1.6,
]

# ---------------------------------------------------------------------------------------------
# Handling, grading and the agencies that originate records

INPI, OCRTEH, TRACFIN = "FR-INPI", "FR-OCRTEH", "FR-TRACFIN"
PJF, DIICOT = "BE-PJF", "RO-DIICOT"
RETAINED_TO_2024 = "2024-06-30"  # already past: only the originator still sees these
RETAINED_LONG = "2034-12-31"


def handling(
    level: str,
    code: str,
    originator: str,
    releasable: tuple[str, ...] = (),
    caveats: tuple[str, ...] = (),
    retain_until: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "classification": level,
        "releasableTo": list(releasable),
        "caveats": list(caveats),
        "code": code,
        "originator": originator,
    }
    if retain_until:
        out["retainUntil"] = retain_until
    return out


H_REGISTRY = handling("UNCLASSIFIED", "H0", INPI)
H_CDR = handling("CONFIDENTIAL", "H2", OCRTEH, ("FR",))
H_BANK = handling("CONFIDENTIAL", "H1", OCRTEH, ("FR",))
H_FIU = handling("CONFIDENTIAL", "H1", TRACFIN, ("FR",), ("FIU",), RETAINED_LONG)
H_PJF = handling("RESTRICTED", "H0", PJF, ("BE", "FR"))
H_PJF_SENSITIVE = handling("CONFIDENTIAL", "H3", PJF, ("BE", "FR"))
H_PJF_EXPIRED = handling("RESTRICTED", "H0", PJF, ("BE", "FR"), retain_until=RETAINED_TO_2024)
H_ANALYST = handling("CONFIDENTIAL", "H2", OCRTEH, ("FR",))
H_ANALYST_JIT_BE = handling("RESTRICTED", "H2", OCRTEH, ("BE", "FR"))
H_ANALYST_JIT_RO = handling("RESTRICTED", "H2", OCRTEH, ("FR", "RO"))
H_HUMINT = handling("SECRET", "H3", OCRTEH, ("FR",), ("HUMINT",))
H_DIICOT = handling("CONFIDENTIAL", "H2", DIICOT, ("FR", "RO"))
H_DIICOT_SHARED = handling("RESTRICTED", "H0", DIICOT, ("FR", "RO"))
H_DIICOT_EXPIRED = handling(
    "CONFIDENTIAL", "H2", DIICOT, ("FR", "RO"), retain_until=RETAINED_TO_2024
)


def grading(source: str, information: str) -> dict[str, str]:
    return {"source": source, "information": information}


# ---------------------------------------------------------------------------------------------
# Reference data: places, names, banks, vehicles (all fictional combinations)


@dataclass(frozen=True)
class City:
    name: str
    postal: str
    code: str  # INSEE code (FR), NIS code (BE), county code (RO)
    country: str


FR_CITIES = [
    City("Créteil", "94000", "94028", "FR"),
    City("Saint-Denis", "93200", "93066", "FR"),
    City("Aubervilliers", "93300", "93001", "FR"),
    City("Bobigny", "93000", "93008", "FR"),
    City("Montreuil", "93100", "93048", "FR"),
    City("Paris 18e Arrondissement", "75018", "75118", "FR"),
    City("Paris 11e Arrondissement", "75011", "75111", "FR"),
    City("Lyon 7e Arrondissement", "69007", "69387", "FR"),
    City("Villeurbanne", "69100", "69266", "FR"),
    City("Lille", "59000", "59350", "FR"),
    City("Roubaix", "59100", "59512", "FR"),
    City("Marseille 3e Arrondissement", "13003", "13203", "FR"),
    City("Bordeaux", "33000", "33063", "FR"),
    City("Strasbourg", "67000", "67482", "FR"),
    City("Nice", "06000", "06088", "FR"),
    City("Toulouse", "31000", "31555", "FR"),
    City("Nantes", "44000", "44109", "FR"),
    City("Argenteuil", "95100", "95018", "FR"),
    City("Rungis", "94150", "94065", "FR"),
    City("Metz", "57000", "57463", "FR"),
]
BE_CITIES = [
    City("Charleroi", "6000", "52011", "BE"),
    City("Liège", "4000", "62063", "BE"),
    City("Anderlecht", "1070", "21001", "BE"),
    City("Schaerbeek", "1030", "21015", "BE"),
    City("Mons", "7000", "53053", "BE"),
    City("Tournai", "7500", "57081", "BE"),
    City("Mouscron", "7700", "54007", "BE"),
    City("Antwerpen", "2000", "11002", "BE"),
    City("Gent", "9000", "44021", "BE"),
]
RO_CITIES = [
    City("Iași", "700259", "IS", "RO"),
    City("Galați", "800008", "GL", "RO"),
    City("Bacău", "600093", "BC", "RO"),
    City("Vaslui", "730168", "VS", "RO"),
    City("Suceava", "720004", "SV", "RO"),
    City("Botoșani", "710236", "BT", "RO"),
    City("Brăila", "810003", "BR", "RO"),
    City("Constanța", "900178", "CT", "RO"),
    City("Focșani", "620035", "VN", "RO"),
    City("Craiova", "200585", "DJ", "RO"),
]
CITIES = {"FR": FR_CITIES, "BE": BE_CITIES, "RO": RO_CITIES}

STREETS = {
    "FR": [
        "rue de la République", "avenue du Général-Leclerc", "rue Gabriel-Péri",
        "boulevard Anatole-France", "rue Jean-Jaurès", "rue des Lilas", "allée des Érables",
        "rue Émile-Zola", "avenue Paul-Vaillant-Couturier", "rue du Château-d'Eau",
        "impasse des Tilleuls", "rue Édouard-Vaillant", "chemin des Vignes",
        "rue Danielle-Casanova",
        "rue de Paris", "avenue de la Division-Leclerc", "rue Voltaire", "rue Pasteur",
        "place du Marché", "rue des Écoles", "boulevard de Strasbourg", "rue Saint-Éloi",
    ],
    "BE": [
        "Rue de la Montagne", "Chaussée de Mons", "Boulevard Tirou", "Rue du Collège",
        "Rue de Marcinelle", "Avenue de Waterloo", "Rue Puissant", "Chaussée de Bruxelles",
        "Rue de l'Hôpital", "Rue Léopold", "Kerkstraat", "Stationsstraat", "Rue des Vignes",
    ],
    "RO": [
        "Strada Ștefan cel Mare", "Bulevardul Independenței", "Strada Lăpușneanu",
        "Aleea Trandafirilor", "Strada Mihai Eminescu", "Șoseaua Nicolina", "Strada Primăverii",
        "Strada Păcurari", "Bulevardul Tudor Vladimirescu", "Strada Căpitan Grigore Ignat",
    ],
}  # fmt: skip

GIVEN = {
    ("FR", "male"): [
        "Thierry", "Jérôme", "Sébastien", "Grégory", "Frédéric", "Mickaël", "Cédric", "Loïc",
        "Benoît", "Hervé", "Stéphane", "Raphaël", "Noël", "Anthony", "Julien", "Karim", "Mehdi",
        "Yannick", "Joël", "Rémi", "Aurélien", "Maxime", "Franck", "Patrice", "Ludovic", "Théo",
    ],
    ("FR", "female"): [
        "Élodie", "Sandrine", "Nathalie", "Céline", "Hélène", "Maëlle", "Chloé", "Mélanie",
        "Noémie", "Agnès", "Béatrice", "Cécile", "Anaïs", "Laëtitia", "Sophie", "Nadia", "Inès",
        "Émilie", "Gaëlle", "Séverine", "Valérie", "Zoé", "Léa", "Manon", "Océane", "Amélie",
    ],
    ("BE", "male"): [
        "Jonas", "Kevin", "Wouter", "Pieter", "Jeroen", "Thibault", "Maxime", "Arnaud", "Bart",
        "Sven", "Cédric", "Geoffrey", "Ludovic", "Grégoire", "Dries", "Loïc", "Bram", "Xavier",
    ],
    ("BE", "female"): [
        "Lotte", "Femke", "Amélie", "Marie", "Elise", "Saskia", "Inge", "Noor", "Laure", "Aurélie",
        "Hélène", "Joke", "Maïté", "Charlotte",
    ],
    ("RO", "male"): [
        "Ștefan", "Dragoș", "Florin", "Ionuț", "Marius", "Sorin", "Cătălin", "Răzvan", "Bogdan",
        "Mihai", "Ciprian", "Gheorghe", "Vasile", "Costel", "Nicușor", "Adrian", "Cosmin",
        "Valentin", "Lucian", "Ovidiu", "Tudor", "Radu", "Sebastian", "Petrică", "Viorel",
    ],
    ("RO", "female"): [
        "Mihaela", "Ioana", "Andreea", "Alexandra", "Elena", "Roxana", "Cristina", "Loredana",
        "Bianca", "Denisa", "Larisa", "Nicoleta", "Florentina", "Gabriela", "Daniela", "Simona",
        "Oana", "Teodora", "Iuliana", "Anca", "Ramona", "Alina", "Raluca", "Geanina", "Ștefania",
    ],
}  # fmt: skip
FAMILY = {
    "FR": [
        "Marchand", "Lefèvre", "Moreau", "Girard", "Bonnet", "Dupré", "Rousseau", "Lambert",
        "Fontaine", "Chevalier", "Mercier", "Garnier", "Faure", "Gauthier", "Perrin", "Robin",
        "Clément", "Morel", "Roussel", "Benali", "Haddad", "Meunier", "Brunet", "Blanchard",
        "Guérin", "Boyer", "Lemaître", "Hoarau", "Texier", "Barbier", "Carré", "Vidal",
        "Schmitt", "Keller", "Grandjean", "Delacroix", "Ménard", "Bézard", "Lefèbvre", "Müller",
    ],
    "BE": [
        "Vandenbroucke", "Janssens", "Peeters", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
        "Goossens", "Wouters", "De Smet", "Dubois", "Dupont", "Martens", "Lemmens", "Hermans",
        "Verhaegen", "Declercq", "Leclercq", "Delvaux", "Lejeune", "Renard", "Coppens",
        "Michiels", "Van de Velde", "Vermeulen", "Moens", "Dewaële",
    ],
    "RO": [
        "Lăzărescu", "Gheorghiu", "Neagu", "Rusu", "Pavel", "Popescu", "Ionescu", "Dumitrescu",
        "Stan", "Stoica", "Munteanu", "Constantin", "Matei", "Ciobanu", "Lupu", "Tănase",
        "Bălan", "Ursu", "Moldovan", "Dobre", "Barbu", "Nistor", "Florea", "Sârbu", "Mocanu",
        "Rădulescu", "Țurcanu", "Vlădescu", "Enache", "Cojocaru", "Chirilă", "Grigoraș",
        "Andrieș", "Bucur", "Cristea", "Iordache", "Paraschiv", "Zamfir", "Hușanu", "Achiței",
    ],
}  # fmt: skip
NATIONALITY_WORDS = {"FR": "Française", "BE": "Belge", "RO": "Roumaine"}


@dataclass(frozen=True)
class Bank:
    country: str
    code: str
    bic: str
    name: str
    branch: str = ""


FR_BANKS = [
    Bank("FR", "30004", "BNPAFRPP", "BNP Paribas", "00825"),
    Bank("FR", "30003", "SOGEFRPP", "Société Générale", "03620"),
    Bank("FR", "20041", "PSSTFRPP", "La Banque Postale", "01012"),
    Bank("FR", "10278", "CMCIFR2A", "Crédit Mutuel", "06076"),
    Bank("FR", "16958", "QNTOFRP1", "Qonto (Olinda)", "00001"),
]
BE_BANKS = [
    Bank("BE", "734", "KREDBEBB", "KBC Bank"),
    Bank("BE", "001", "GEBABEBB", "BNP Paribas Fortis"),
    Bank("BE", "363", "BBRUBEBB", "ING België"),
]
RO_BANKS = [
    Bank("RO", "BTRL", "BTRLRO22", "Banca Transilvania"),
    Bank("RO", "BRDE", "BRDEROBU", "BRD - Groupe Société Générale"),
    Bank("RO", "RNCB", "RNCBROBU", "Banca Comercială Română"),
    Bank("RO", "INGB", "INGBROBU", "ING Bank România"),
]
BANKS = {"FR": FR_BANKS, "BE": BE_BANKS, "RO": RO_BANKS}

CARRIERS = {
    "FR": [("Orange", "ORA"), ("SFR", "SFR"), ("Bouygues Telecom", "BYT"), ("Free Mobile", "FRM")],
    "BE": [("Proximus", "PXS"), ("Orange Belgium", "OBE"), ("Telenet", "TLN")],
    "RO": [("Orange România", "ORO"), ("Vodafone România", "VRO"), ("Digi Mobil", "DGM")],
}
COUNTRY_CODES = {"FR": "33", "BE": "32", "RO": "40"}
MCC_MNC = {
    "Orange": "208-01",
    "SFR": "208-10",
    "Bouygues Telecom": "208-20",
    "Free Mobile": "208-15",
}

VANS = [
    ("Mercedes-Benz", "Sprinter"), ("Renault", "Trafic"), ("Ford", "Transit"),
    ("Volkswagen", "Crafter"), ("Peugeot", "Boxer"), ("Fiat", "Ducato"), ("Opel", "Vivaro"),
]  # fmt: skip
CARS = [
    ("BMW", "Série 5"), ("Audi", "A6"), ("Mercedes-Benz", "Classe E"), ("Volkswagen", "Passat"),
    ("Dacia", "Logan"), ("Škoda", "Octavia"), ("Renault", "Mégane"), ("Peugeot", "508"),
]  # fmt: skip
COLOURS = ["blanc", "gris", "noir", "bleu", "argent", "rouge"]

SALON_WORDS = ["Onglerie", "Nail Bar", "Beauty Nails", "Studio Ongles", "L'Atelier des Ongles"]
GEM_WORDS = [
    "Aurore", "Étoile", "Saphir", "Perle", "Jasmin", "Opale", "Camélia", "Iris", "Rubis",
    "Orchidée", "Azur", "Célestine", "Ambre", "Nacre", "Églantine", "Topaze", "Magnolia",
]  # fmt: skip
LEGAL_FORMS = {"SARL": "SARL", "SAS": "SAS", "SASU": "SASU", "EURL": "EURL", "SCI": "SCI"}
APE = {
    "salon": ("9602B", "Soins de beauté"),
    "transport": ("4941B", "Transports routiers de fret de proximité"),
    "carwash": ("4520A", "Entretien et réparation de véhicules automobiles légers"),
    "snack": ("5610C", "Restauration de type rapide"),
    "phoneshop": ("4742Z", "Commerce de détail de matériels de télécommunication"),
    "holding": ("6420Z", "Activités des sociétés holding"),
    "domiciliation": ("8211Z", "Services administratifs combinés de bureau"),
    "realestate": ("6820B", "Location de terrains et d'autres biens immobiliers"),
    "supplier": ("4645Z", "Commerce de gros de parfumerie et de produits de beauté"),
    "consulting": ("7022Z", "Conseil pour les affaires et autres conseils de gestion"),
    "building": ("4399C", "Travaux de maçonnerie générale"),
    "import": ("4690Z", "Commerce de gros non spécialisé"),
}


# ---------------------------------------------------------------------------------------------
# The world: people, selectors, companies and cells, before any source describes them


@dataclass(eq=False)
class Address:
    key: str  # entity id, e.g. ban:93066_1234_00012
    number: str
    street: str
    city: City

    @property
    def line(self) -> str:
        if self.city.country == "RO":
            return f"{self.street} nr. {self.number}"
        if self.city.country == "BE":
            return f"{self.street} {self.number}"
        return f"{self.number} {self.street}"

    @property
    def full(self) -> str:
        return f"{self.line}, {self.city.postal} {self.city.name}"


@dataclass(eq=False)
class Person:
    given: str
    family: str
    sex: str
    nationality: str
    birth: date
    birthplace: str
    role: str
    home: Address | None = None
    cell: Cell | None = None
    aliases: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    arrival: int = 0  # first day in the network (victims arrive during the period)
    recruited_by: Cell | None = None  # for victims: the recruitment cell that lured them
    transported_by: Cell | None = None  # and the logistics cell that drove them
    ids: dict[str, str] = field(default_factory=dict)  # this person's id in each source

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def is_victim(self) -> bool:
        return self.role == "victime"


@dataclass(eq=False)
class Phone:
    country: str
    nsn: str  # national significant number, without trunk prefix
    carrier: str
    start: int  # first and last active day (offsets from PERIOD_START)
    end: int
    user: Person | None = None
    subscriber: Person | None = None
    prepaid: bool = True
    target: bool = False  # a line covered by the CDR requisition
    activity: float = 1.0
    serving_cells: list[str] = field(default_factory=list)
    contacts: list[tuple[Phone, float]] = field(default_factory=list)
    index: int = -1

    @property
    def e164(self) -> str:
        return f"+{COUNTRY_CODES[self.country]}{self.nsn}"

    def national(self) -> str:
        """The number as its own country writes it: ``06 52 17 83 40``, ``0470 12 34 56``."""
        digits = "0" + self.nsn
        if self.country == "FR":
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        if self.country == "BE":
            return f"{digits[:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"

    def international(self) -> str:
        """``+33 6 52 17 83 40``, ``+32 470 12 34 56``, ``+40 744 381 920``."""
        cc, n = COUNTRY_CODES[self.country], self.nsn
        if self.country == "FR":
            return f"+{cc} {n[0]} " + " ".join(n[i : i + 2] for i in range(1, 9, 2))
        if self.country == "BE":
            return f"+{cc} {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}"
        return f"+{cc} {n[:3]} {n[3:6]} {n[6:]}"

    def dialled_from(self, country: str) -> str:
        """How a source in ``country`` writes this number: national at home, 00-prefixed abroad."""
        if country == self.country:
            return self.national()
        return f"00{COUNTRY_CODES[self.country]}{self.nsn}"


@dataclass(eq=False)
class Account:
    iban: str  # compact
    formatted: str
    bank: Bank
    opened: date
    holder: Person | Company
    proxy: Person | None = None  # power of attorney (mandataire)
    currency: str = "EUR"


@dataclass(eq=False)
class Vehicle:
    plate: str  # as the registering country writes it
    country: str
    make: str
    model: str
    colour: str
    keeper: Person


@dataclass(eq=False)
class Company:
    siren: str
    name: str
    legal_form: str
    activity: str  # key of APE
    created: date
    address: Address
    role: str  # front, holding, domiciliation, legit
    closed: date | None = None
    officers: list[tuple[Person | Company, str, date, date | None]] = field(default_factory=list)
    owners: list[tuple[Person | Company, float, date]] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"siren:{self.siren}"

    def appoint(self, who: Person | Company, role: str) -> None:
        """An officer from the company's creation on."""
        self.officers.append((who, role, self.created, None))

    def held_by(self, *shares: tuple[Person | Company, float]) -> None:
        """Shareholders (percent of the capital) from the company's creation on."""
        self.owners += [(who, share, self.created) for who, share in shares]


@dataclass(eq=False)
class Cell:
    name: str
    kind: str  # leadership, exploitation, laundering, logistics, recruitment
    city: City
    core: bool
    head: Person | None = None
    members: list[Person] = field(default_factory=list)
    victims: list[Person] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    safe_houses: list[Address] = field(default_factory=list)
    partner: Cell | None = None  # exploitation -> laundering cell; recruitment -> exploitation


@dataclass(eq=False)
class Flow:
    """A recurring money flow between two accounts, sampled into transactions."""

    source: Account
    target: Account
    kind: str  # salary, kickback, rent, fees, invoice, supplier, vehicle_hire, family, ...
    median: float
    spread: float  # sigma of the log-normal amount
    monthly: bool  # one transaction a month (salaries, rent, fees), else a Poisson rate
    rate: float = 1.0  # transactions per month for irregular flows, before calibration
    day_of_month: int = 5
    start: int = 0
    end: int = PERIOD_DAYS - 1
    kickback: Flow | None = None  # for salaries: the share returned the same or next day
    label: str = ""  # the shop, for card payments


@dataclass
class World:
    persons: list[Person] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    services: list[Phone] = field(default_factory=list)  # taxis, pizzerias: innocuous hubs
    key: dict[str, Any] = field(default_factory=dict)  # the named entities of the story
    seed: int = 0


# ---------------------------------------------------------------------------------------------
# Drawing identifiers: well-formed (checksums, national formats) and never the same twice

CNP_COUNTY = {"IS": "22", "GL": "17", "BC": "04", "VS": "37", "SV": "33", "BT": "07",
              "BR": "09", "CT": "13", "VN": "39", "DJ": "16"}  # fmt: skip
LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


def luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def belgian_national_number(birth: date, serial: int) -> str:
    """Rijksregisternummer ``yy.mm.dd-sss.cc`` (serial odd for men, even for women)."""
    base = f"{birth:%y%m%d}{serial:03d}"
    check = 97 - int(("2" if birth.year >= 2000 else "") + base) % 97
    return f"{base[:2]}.{base[2:4]}.{base[4:6]}-{base[6:9]}.{check:02d}"


def romanian_cnp(birth: date, male: bool, county: str, serial: int) -> str:
    """Cod numeric personal: sex/century, birth date, county, serial, checksum."""
    sex = ("1" if male else "2") if birth.year < 2000 else ("5" if male else "6")
    body = f"{sex}{birth:%y%m%d}{CNP_COUNTY.get(county, '22')}{serial:03d}"
    check = sum(int(d) * int(w) for d, w in zip(body, "279146358279", strict=True)) % 11
    return body + ("1" if check == 10 else str(check))


def belgian_enterprise_number(body: int) -> str:
    """KBO/BCE number ``0xxx.xxx.xxx`` with its mod-97 check."""
    head = f"0{body:07d}"
    digits = head + f"{97 - int(head) % 97:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


class Forge:
    """Draws fictional, well-formed identifiers, names, dates and places, each only once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.serials: Counter[str] = Counter()

    def claim(self, value: str) -> str:
        if value in self.used:
            raise ValueError(f"{value} drawn twice")
        self.used.add(value)
        return value

    def fresh(self, draw: Any, *, numbered: bool = False) -> str:
        """A value from ``draw`` not drawn before; names get a number once their space runs out."""
        for _ in range(40 if numbered else 100_000):
            value = draw()
            if value not in self.used:
                return self.claim(value)
        if not numbered:
            raise RuntimeError("ran out of distinct values")
        value, number = draw(), 2
        while f"{value} {number}" in self.used:
            number += 1
        return self.claim(f"{value} {number}")

    def serial(self, prefix: str) -> int:
        self.serials[prefix] += 1
        return self.serials[prefix]

    def digits(self, count: int) -> str:
        return "".join(self.rng.choices("0123456789", k=count))

    # -- people ------------------------------------------------------------------------------

    def birth(self, youngest: int, oldest: int) -> date:
        year = 2024 - self.rng.randint(youngest, oldest)
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def person(
        self,
        nationality: str,
        role: str,
        *,
        sex: str | None = None,
        ages: tuple[int, int] = (22, 58),
    ) -> Person:
        sex = sex or self.rng.choice(["male", "female"])
        city = self.rng.choice(CITIES[nationality])
        return Person(
            given=self.rng.choice(GIVEN[(nationality, sex)]),
            family=self.rng.choice(FAMILY[nationality]),
            sex=sex,
            nationality=nationality,
            birth=self.birth(*ages),
            birthplace=city.name,
            role=role,
        )

    # -- places ------------------------------------------------------------------------------

    def address(self, city: City) -> Address:
        streets = STREETS[city.country]

        def draw() -> str:
            street = self.rng.randrange(len(streets))
            number = self.rng.randint(1, 400)
            return f"{city.code}|{street}|{number}"

        key = self.fresh(draw)
        _, street_index, number = key.split("|")
        street = streets[int(street_index)]
        if city.country == "FR":  # Base Adresse Nationale interoperability key
            entity_id = f"ban:{city.code}_{1000 + 37 * int(street_index):04d}_{int(number):05d}"
        elif city.country == "BE":
            entity_id = f"best:{city.code}-{self.serial('best'):06d}"
        else:
            entity_id = f"diicot:ADR-{self.serial('ro-address'):05d}"
        return Address(entity_id, number, street, city)

    # -- selectors ---------------------------------------------------------------------------

    def mobile_number(self, country: str) -> str:
        rng = self.rng
        if country == "FR":
            lead = rng.choice(["6", "6", "6", "7"])
            second = rng.choice("345678") if lead == "7" else rng.choice("0123456789")
            return self.fresh(lambda: f"FR{lead}{second}{self.digits(7)}")[2:]
        if country == "BE":
            return self.fresh(lambda: f"BE4{rng.choice('6789')}{self.digits(7)}")[2:]
        return self.fresh(lambda: f"RO7{rng.choice('2345678')}{self.digits(7)}")[2:]

    def landline_number(self) -> str:
        return self.fresh(lambda: f"FR{self.rng.choice('1345')}{self.digits(8)}")[2:]

    def phone(self, country: str, *, start: int = 0, end: int = PERIOD_DAYS - 1) -> Phone:
        carrier = self.rng.choice(CARRIERS[country])[0]
        return Phone(country, self.mobile_number(country), carrier, start, end)

    def iban(self, bank: Bank) -> IBAN:
        width = {"FR": 11, "BE": 7, "RO": 16}[bank.country]

        def draw() -> str:
            return str(
                IBAN.generate(
                    bank.country,
                    bank_code=bank.code,
                    branch_code=bank.branch,
                    account_code=self.digits(width),
                )
            )

        return IBAN(self.fresh(draw))

    def plate(self, country: str, county: str = "IS") -> str:
        rng = self.rng

        def letters(count: int) -> str:
            return "".join(rng.choices(LETTERS, k=count))

        if country == "BE":
            return self.fresh(lambda: f"{rng.choice('12')}-{letters(3)}-{self.digits(3)}")
        if country == "FR":
            return self.fresh(lambda: f"{letters(2)}-{self.digits(3)}-{letters(2)}")
        return self.fresh(lambda: f"{county} {rng.randint(1, 99):02d} {letters(3)}")

    def siren(self) -> str:
        def draw() -> str:
            body = self.rng.choice("3456789") + self.digits(7)
            return body + luhn_digit(body)

        return self.fresh(draw)

    def enterprise_number(self) -> str:
        return self.fresh(lambda: belgian_enterprise_number(self.rng.randrange(200_000, 9_999_999)))

    def email(self, person: Person) -> str:
        local = fold_ascii(f"{person.given}.{person.family}").lower().replace(" ", "")
        return self.fresh(lambda: f"{local}{self.rng.randint(1, 999)}@example.com")


FOLD = str.maketrans(
    "ăâîșşțţĂÂÎȘŞȚŢéèêëàäôöüûïçÉÈÊËÀÄÔÖÜÛÏÇ", "aaissttAAISSTTeeeeaaoouuicEEEEAAOOUUIC"
)


def fold_ascii(text: str) -> str:
    """Text as a system without diacritics writes it (Belgian records: ``LAZARESCU Stefan``)."""
    return text.translate(FOLD).replace("ß", "ss")


def day_of(when: date) -> int:
    return (when - PERIOD_START).days


def date_of(day: int) -> date:
    return PERIOD_START + timedelta(days=day)


# ---------------------------------------------------------------------------------------------
# The story's fixed cast and selectors: the same whatever --seed (README and tests name them)


@dataclass(frozen=True)
class CastMember:
    key: str
    given: str
    family: str
    sex: str
    nationality: str
    birth: date
    birthplace: str
    role: str
    aliases: tuple[str, ...] = ()


CAST = [
    CastMember("leader", "Ștefan", "Lăzărescu", "male", "RO", date(1978, 4, 12), "Iași",
               "chef du réseau", ("Bătrânul",)),
    CastMember("partner", "Élodie", "Marchand", "female", "FR", date(1984, 9, 23), "Créteil",
               "compagne du chef, prête-nom"),
    CastMember("enforcer", "Sorin", "Pavel", "male", "RO", date(1988, 7, 2), "Vaslui",
               "homme de main", ("Sorinel",)),
    CastMember("lieutenant", "Florin", "Gheorghiu", "male", "RO", date(1986, 1, 30), "Bacău",
               "lieutenant, responsable des salons", ("Flo",)),
    CastMember("manager", "Anaïs", "Girard", "female", "FR", date(1992, 5, 19), "Saint-Denis",
               "gérante de salon"),
    CastMember("launderer", "Thierry", "Müller", "male", "FR", date(1969, 11, 5), "Mulhouse",
               "comptable, blanchiment"),
    CastMember("broker", "Dragoș", "Neagu", "male", "RO", date(1982, 6, 17), "Galați",
               "logisticien", ("Dragoș le Belge",)),
    CastMember("driver", "Jonas", "Vandenbroucke", "male", "BE", date(1991, 12, 2), "Charleroi",
               "chauffeur"),
    CastMember("recruiter", "Mihaela", "Rusu", "female", "RO", date(1990, 3, 8), "Iași",
               "recruteuse", ("Mihaela Sandu",)),
]  # fmt: skip
CORE_CELLS = [  # kind, city, cast keys (the head first)
    ("leadership", "Créteil", ["leader", "partner", "enforcer"]),
    ("exploitation", "Saint-Denis", ["lieutenant", "manager"]),
    ("laundering", "Aubervilliers", ["launderer"]),
    ("logistics", "Charleroi", ["broker", "driver"]),
    ("recruitment", "Iași", ["recruiter"]),
]
CELL_SIZES = {  # members besides the head, at least / at most
    "leadership": (2, 2),
    "exploitation": (2, 3),
    "laundering": (2, 3),
    "logistics": (2, 3),
    "recruitment": (2, 3),
}
SATELLITE_KINDS = ["exploitation", "recruitment", "laundering", "logistics", "exploitation"]
FIRST_SATELLITE_CITY = {  # the seed's satellites; further ones go to random cities
    "exploitation": "Lyon 7e Arrondissement",
    "recruitment": "Galați",
    "laundering": "Villeurbanne",
    "logistics": "Liège",
}

LEADER_PHONE = ("FR", "634712598")  # 06 34 71 25 98, until the phone switch
LEADER_NEW_PHONE = ("FR", "749631027")  # 07 49 63 10 27, from the phone switch
BROKER_PHONE = ("FR", "652178340")  # 06 52 17 83 40: French CDR and Belgian records
RECRUITER_PHONE = ("RO", "744381920")  # 0744 381 920: Romanian records and French CDR
VAN_PLATE = "1-KJT-482"  # Belgian records, Romanian records and an analyst note
LEADER_CAR_PLATE = "GH-417-KX"
PHONE_SWITCH = date(2024, 6, 22)


class CaseBuilder:
    """Builds the world of the case: cells, their people, selectors, companies and flows."""

    def __init__(self, seed: int, satellites: int, breadth: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.forge = Forge(self.rng)
        self.world = World(seed=seed)
        self.satellites = satellites
        self.breadth = breadth  # how much wider each line's and account's outside world is
        self.fake_identities: list[Person] = []

    def build(self) -> World:
        for country, nsn in (LEADER_PHONE, LEADER_NEW_PHONE, BROKER_PHONE, RECRUITER_PHONE):
            self.forge.claim(f"{country}{nsn}")
        self.forge.claim(VAN_PLATE)
        self.forge.claim(LEADER_CAR_PLATE)
        self.build_core_cells()
        self.build_satellite_cells()
        self.pair_cells()
        for cell in self.world.cells:
            self.equip_cell(cell)
        self.build_registry_background()
        self.build_services()
        wire_contacts(self.world, self.rng, self.forge, self.breadth)
        for index, phone in enumerate(self.world.phones):
            phone.index = index
        plan_flows(self.world, self.rng)
        add_card_spending(self.world, self.rng, self.forge, self.breadth)
        return self.world

    # -- cells and their members -------------------------------------------------------------

    def build_core_cells(self) -> None:
        cast = {m.key: m for m in CAST}
        for kind, city_name, keys in CORE_CELLS:
            city = next(c for cs in CITIES.values() for c in cs if c.name == city_name)
            cell = self.new_cell(kind, city, core=True)
            for key in keys:
                person = person_from_cast(cast[key])
                self.world.key[key] = person
                self.add_member(cell, person)
            self.fill_cell(cell)

    def build_satellite_cells(self) -> None:
        for number in range(self.satellites):
            kind = SATELLITE_KINDS[number % len(SATELLITE_KINDS)]
            cities = CITIES[{"logistics": "BE", "recruitment": "RO"}.get(kind, "FR")]
            if any(c.kind == kind and not c.core for c in self.world.cells):
                city = self.rng.choice(cities)
            else:
                city = next(c for c in cities if c.name == FIRST_SATELLITE_CITY[kind])
            self.fill_cell(self.new_cell(kind, city, core=False))

    def new_cell(self, kind: str, city: City, *, core: bool) -> Cell:
        serial = self.forge.serial(f"cell:{kind}:{city.name}")
        suffix = "" if serial == 1 else f" {serial}"
        cell = Cell(f"{kind} {city.name}{suffix}", kind, city, core)
        self.world.cells.append(cell)
        return cell

    def fill_cell(self, cell: Cell) -> None:
        low, high = CELL_SIZES[cell.kind]
        wanted = 1 + self.rng.randint(low, high)
        while len(cell.members) < wanted:
            nationality = member_nationality(cell.kind, self.rng)
            role = MEMBER_ROLES[cell.kind][0 if not cell.members else 1]
            self.add_member(cell, self.forge.person(nationality, role))
        if cell.kind == "exploitation":
            self.add_victims(cell, 8 if cell.core else self.rng.randint(4, 7))

    def add_member(self, cell: Cell, person: Person) -> None:
        person.cell = cell
        if cell.head is None:
            cell.head = person
        person.home = self.home_for(cell, person)
        cell.members.append(person)
        self.world.persons.append(person)

    def home_for(self, cell: Cell, person: Person) -> Address:
        leader = self.world.key.get("leader")
        if person is self.world.key.get("partner") and leader is not None and leader.home:
            return leader.home
        if cell.core and cell.city.country == "FR" and self.rng.random() < 0.4:
            return self.forge.address(self.rng.choice(FR_CITIES[:7]))  # around Paris
        return self.forge.address(cell.city)

    def add_victims(self, cell: Cell, count: int) -> None:
        """Victims arrive by convoys of two to four; the seed's first one on 15/10/2023."""
        while len(cell.victims) < count:
            if cell.core and not cell.victims:  # the van stopped at the border on 14/10/2023
                arrival, size = day_of(STORY_CHECKS["old"]) + 1, 3
            else:
                arrival, size = self.rng.randrange(0, PERIOD_DAYS - 160), self.rng.randint(2, 4)
            for _ in range(min(size, count - len(cell.victims))):
                self.add_victim(cell, arrival)

    def add_victim(self, cell: Cell, arrival: int) -> None:
        nationality = "RO" if self.rng.random() < 0.9 else "FR"
        victim = self.forge.person(nationality, "victime", sex="female", ages=(19, 34))
        victim.cell = cell
        victim.arrival = arrival
        if not cell.safe_houses or (len(cell.victims) % 4 == 0 and len(cell.safe_houses) < 3):
            cell.safe_houses.append(self.forge.address(cell.city))
        victim.home = cell.safe_houses[len(cell.victims) % len(cell.safe_houses)]
        cell.victims.append(victim)
        self.world.persons.append(victim)

    def pair_cells(self) -> None:
        """Each exploitation cell launders through one cell, recruits through another, and so on."""
        by_kind: dict[str, list[Cell]] = {}
        for cell in self.world.cells:
            by_kind.setdefault(cell.kind, []).append(cell)
        for cell in self.world.cells:
            if cell.kind == "exploitation":
                cell.partner = self.pick_partner(by_kind["laundering"], cell)
            elif cell.kind in ("recruitment", "logistics"):
                cell.partner = self.pick_partner(by_kind["exploitation"], cell)
        for cell in by_kind["exploitation"]:
            recruiters = [c for c in by_kind["recruitment"] if c.partner is cell]
            drivers = [c for c in by_kind["logistics"] if c.partner is cell]
            for number, convoy in enumerate(convoys(cell.victims)):
                for victim in convoy:
                    victim.recruited_by = (
                        recruiters[number % len(recruiters)] if recruiters else None
                    )
                    victim.transported_by = drivers[number % len(drivers)] if drivers else None

    def pick_partner(self, candidates: list[Cell], cell: Cell) -> Cell:
        if cell.core:
            return next(c for c in candidates if c.core)
        return self.rng.choice(candidates[-3:] if self.rng.random() < 0.6 else candidates)

    # -- what each member uses ---------------------------------------------------------------

    def equip_cell(self, cell: Cell) -> None:
        for person in cell.members:
            self.give_phones(cell, person)
            self.give_accounts(cell, person)
            if cell.kind == "recruitment":  # job offers go out by e-mail
                person.emails.append(self.forge.email(person))
        for victim in cell.victims:
            self.equip_victim(cell, victim)
        self.give_vehicles(cell)
        self.found_companies(cell)

    def give_phones(self, cell: Cell, person: Person) -> None:
        key = key_of(self.world, person)
        if key in FIXED_PHONES:
            for spec in FIXED_PHONES[key]:
                phone = fixed_phone(spec, self.forge, self.rng)
                phone.subscriber = {"partner": self.world.key.get("partner"), "self": person}.get(
                    spec[4]
                )
                self.attach_phone(person, phone, activity=spec[5])
            return
        if cell.kind in ("leadership", "exploitation", "laundering"):
            self.attach_phone(person, self.forge.phone("FR"))
            if self.rng.random() < 0.3:
                self.attach_phone(person, self.forge.phone("FR", start=self.rng.randrange(300)))
            if person.nationality == "RO" and self.rng.random() < 0.4:
                self.attach_phone(person, self.forge.phone("RO"))
        elif cell.kind == "logistics":
            self.attach_phone(person, self.forge.phone("BE"))
            if person is cell.head:
                self.attach_phone(person, self.forge.phone("FR"))
        else:
            self.attach_phone(person, self.forge.phone("RO"))
            if self.rng.random() < 0.5:
                self.attach_phone(person, self.forge.phone("RO"))

    def attach_phone(self, person: Person, phone: Phone, activity: float | None = None) -> None:
        """Give ``person`` the line; French lines get a subscriber (often a made-up one)."""
        phone.user = person
        phone.target = phone.country == "FR"
        if phone.country != "FR":
            phone.subscriber = phone.subscriber or person
        elif phone.subscriber is None:
            if activity is None:
                phone.prepaid = self.rng.random() < 0.6
            phone.subscriber = self.fake_identity() if phone.prepaid else person
        if activity is None:
            head_weight = 3.0 if person.cell is not None and person is person.cell.head else 1.0
            activity = head_weight * min(self.rng.paretovariate(1.6), 12.0)
        phone.activity = activity
        if phone.country == "FR":
            phone.serving_cells = self.serving_cells(phone)
        person.phones.append(phone)
        self.world.phones.append(phone)

    def serving_cells(self, phone: Phone) -> list[str]:
        network = MCC_MNC.get(phone.carrier, "208-01")
        lac = self.rng.randrange(1000, 65000)
        return [
            f"{network}-{lac:05d}-{self.rng.randrange(1, 65535):05d}"
            for _ in range(self.rng.randint(1, 4))
        ]

    def fake_identity(self) -> Person:
        """A made-up subscriber for a prepaid line; the network reuses a few of them."""
        if self.fake_identities and self.rng.random() < 0.45:
            return self.rng.choice(self.fake_identities)
        person = self.forge.person("FR", "identité fictive")
        person.home = self.forge.address(self.rng.choice(FR_CITIES))
        self.fake_identities.append(person)
        self.world.persons.append(person)
        return person

    def give_accounts(self, cell: Cell, person: Person) -> None:
        if cell.kind in ("leadership", "exploitation", "laundering"):
            named = key_of(self.world, person) is not None  # the cast all bank in France
            if self.rng.random() < 0.75 or person is cell.head or named:
                self.open_account(person, self.rng.choice(FR_BANKS))
        elif cell.kind == "recruitment" and (person is cell.head or self.rng.random() < 0.5):
            self.open_account(person, self.rng.choice(RO_BANKS))
        elif cell.kind == "logistics" and person is cell.head:
            self.open_account(person, self.rng.choice(BE_BANKS))

    def open_account(
        self, holder: Person | Company, bank: Bank, proxy: Person | None = None, opened: int = 0
    ) -> Account:
        iban = self.forge.iban(bank)
        when = date_of(opened) if opened else self.forge.birth(1, 9)
        account = Account(str(iban.compact), iban.formatted, bank, when, holder, proxy)
        holder.accounts.append(account)
        self.world.accounts.append(account)
        return account

    def equip_victim(self, cell: Cell, victim: Person) -> None:
        line = self.forge.phone("FR", start=victim.arrival + self.rng.randint(1, 6))
        line.prepaid = True
        line.subscriber = victim if self.rng.random() < 0.5 else self.fake_identity()
        self.attach_phone(victim, line, activity=0.6)
        minder = self.rng.choice(cell.members)
        bank = self.rng.choice([FR_BANKS[2], FR_BANKS[4]])
        self.open_account(victim, bank, proxy=minder, opened=victim.arrival + 15)
        if victim.nationality == "RO" and self.rng.random() < 0.5:
            victim.emails.append(self.forge.email(victim))

    def give_vehicles(self, cell: Cell) -> None:
        if cell.kind == "logistics":
            cell.safe_houses.append(self.forge.address(cell.city))  # where victims stop over
            drivers = cell.members[1:] or cell.members
            for number in range(max(1, len(cell.members) // 2)):
                keeper = drivers[number % len(drivers)]
                plate = VAN_PLATE if cell.core and number == 0 else self.forge.plate("BE")
                make, model = (
                    ("Mercedes-Benz", "Sprinter") if plate == VAN_PLATE else self.rng.choice(VANS)
                )
                self.add_vehicle(cell, Vehicle(plate, "BE", make, model, "blanc", keeper))
        elif cell.kind == "leadership":
            partner = self.world.key["partner"]
            self.add_vehicle(
                cell, Vehicle(LEADER_CAR_PLATE, "FR", "BMW", "Série 5", "noir", partner)
            )
        elif cell.kind == "recruitment" and self.rng.random() < 0.5:
            make, model = self.rng.choice(CARS)
            plate = self.forge.plate("RO", cell.city.code)
            colour = self.rng.choice(COLOURS)
            self.add_vehicle(cell, Vehicle(plate, "RO", make, model, colour, cell.members[0]))

    def add_vehicle(self, cell: Cell, vehicle: Vehicle) -> None:
        cell.vehicles.append(vehicle)
        vehicle.keeper.vehicles.append(vehicle)
        self.world.vehicles.append(vehicle)

    # -- companies ---------------------------------------------------------------------------

    def found_companies(self, cell: Cell) -> None:
        if cell.kind == "leadership":
            self.found_holding(cell)
        elif cell.kind == "exploitation":
            self.found_salons(cell)
        elif cell.kind == "laundering":
            self.found_laundering_companies(cell)
        elif cell.kind == "logistics":
            self.found_transit_company(cell)

    def company(
        self,
        name: str,
        form: str,
        activity: str,
        city: City,
        role: str = "front",
        address: Address | None = None,
    ) -> Company:
        if role == "legit":
            created = self.forge.birth(1, 8)
        else:
            created = date(2019, 1, 1) + timedelta(days=self.rng.randrange(1400))
        siren = self.forge.siren()
        company = Company(
            siren, name, form, activity, created, address or self.forge.address(city), role
        )
        self.world.companies.append(company)
        neobank = role == "front" and self.rng.random() < 0.4  # fronts like online banks
        self.open_account(company, FR_BANKS[4] if neobank else self.rng.choice(FR_BANKS))
        return company

    def found_holding(self, cell: Cell) -> None:
        key = self.world.key
        domiciliation = self.company(
            "Domiciliation Val-de-Marne Services", "SAS", "domiciliation", cell.city, "legit"
        )
        domiciliation.created = date(2014, 9, 1)
        domiciliation.appoint(self.noise_person(), "Président")
        key["domiciliation"] = domiciliation
        holding = self.company(
            "Lys Holding", "SAS", "holding", cell.city, "holding", domiciliation.address
        )
        holding.created = date(2019, 3, 4)
        holding.appoint(key["partner"], "Président")
        holding.held_by((key["leader"], 75.0), (key["partner"], 25.0))
        self.open_account(holding, FR_BANKS[4])
        key["holding"] = holding
        cell.companies.append(holding)

    def found_salons(self, cell: Cell) -> None:
        laundering = cell.partner
        assert laundering is not None
        if cell.core:
            specs = [
                ("Ongles de Lys", cell.city, self.world.key["manager"]),
                ("Nail Studio Aurore", FR_CITIES[5], None),
            ]
        else:
            specs = [(self.salon_name(), cell.city, None) for _ in range(self.rng.randint(1, 2))]
        for name, city, director in specs:
            salon = self.company(name, self.rng.choice(["SARL", "SAS"]), "salon", city)
            director = director or self.straw_man(laundering)
            holding = self.holding_of(laundering)
            role = "Gérant" if salon.legal_form == "SARL" else "Président"
            if salon.legal_form == "SAS" and not cell.core and self.rng.random() < 0.3:
                salon.appoint(holding, role)  # a company presides; the straw man is DG
                role = "Directeur général"
            salon.appoint(director, role)
            if self.rng.random() < 0.5 and director.cell is not None:
                salon.held_by((holding, 60.0), (director, 40.0))
            else:
                salon.held_by((holding, 100.0))
            cell.companies.append(salon)
        if cell.core:
            self.world.key["salon"] = cell.companies[0]

    def salon_name(self) -> str:
        return self.forge.fresh(
            lambda: f"{self.rng.choice(SALON_WORDS)} {self.rng.choice(GEM_WORDS)}", numbered=True
        )

    def straw_man(self, laundering: Cell) -> Person:
        candidates = laundering.members[1:] or laundering.members
        return self.rng.choice(candidates)

    def holding_of(self, laundering: Cell) -> Company:
        if laundering.core:
            return self.world.key["holding"]
        holdings = [c for c in laundering.companies if c.activity == "holding"]
        return holdings[0] if holdings else self.world.key["holding"]

    def found_laundering_companies(self, cell: Cell) -> None:
        head = cell.head
        assert head is not None
        straws = cell.members[1:] or [head]
        if cell.core:
            key = self.world.key
            transport = self.company("Transports Vireaux", "SARL", "transport", cell.city)
            transport.appoint(head, "Gérant")
            transport.held_by((head, 50.0), (key["holding"], 50.0))
            carwash = self.company("Éclat Auto Lavage", "SAS", "carwash", FR_CITIES[3])
            carwash.appoint(straws[0], "Président")
            carwash.held_by((key["holding"], 100.0))
            snack = self.company("Snack Le Carpate", "SARL", "snack", FR_CITIES[6])
            snack.appoint(straws[-1], "Gérant")
            snack.held_by((straws[-1], 100.0))
            key["transport"], key["carwash"], key["snack"] = transport, carwash, snack
            cell.companies += [transport, carwash, snack]
            return
        gem = self.rng.choice(GEM_WORDS)
        holding = self.company(
            f"Gestion {gem} {cell.city.name.split()[0]}", "SAS", "holding", cell.city, "holding"
        )
        holding.appoint(head, "Président")
        holding.held_by((head, 60.0), (self.world.key["holding"], 40.0))
        cell.companies.append(holding)
        for activity in self.rng.sample(["transport", "carwash", "snack", "phoneshop"], 2):
            name = self.front_name(activity, cell.city)
            front = self.company(
                name, self.rng.choice(["SARL", "SAS", "EURL"]), activity, cell.city
            )
            front.appoint(self.rng.choice(straws), "Gérant")
            front.held_by((holding, 100.0))
            cell.companies.append(front)

    def front_name(self, activity: str, city: City) -> str:
        family = self.rng.choice(FAMILY["FR"] + FAMILY["RO"])
        gem = self.rng.choice(GEM_WORDS)
        town = city.name.split()[0]
        patterns = {
            "transport": [
                f"Transports {family}",
                f"{gem} Fret {town}",
                f"Express Logistique {gem}",
            ],
            "carwash": [f"Lavage {gem}", f"Clean'Auto {town}", f"{gem} Auto Lavage"],
            "snack": [f"Snack {gem}", f"Le Petit {gem}", f"Kebab {town} {gem}"],
            "phoneshop": [f"Télécom {gem}", f"Bazar Mobile {town}", f"Phone Service {gem}"],
        }
        return self.forge.fresh(lambda: self.rng.choice(patterns[activity]), numbered=True)

    def found_transit_company(self, cell: Cell) -> None:
        """A Belgian company (not in the French registry) whose account the transport firm pays."""
        head = cell.head
        assert head is not None
        name = "Transit Sambre Logistique" if cell.core else f"{self.rng.choice(GEM_WORDS)} Transit"
        company = Company(
            self.forge.enterprise_number(),
            f"{name} SRL",
            "SRL",
            "transport",
            date(2021, 2, 1),
            self.forge.address(cell.city),
            "foreign",
        )
        company.appoint(head, "Gérant")
        self.open_account(company, BE_BANKS[0] if cell.core else self.rng.choice(BE_BANKS))
        cell.companies.append(company)
        if cell.core:
            self.world.key["transit"] = company

    # -- background: the registry's innocent neighbours, shared service numbers --------------

    def noise_person(self) -> Person:
        person = self.forge.person("FR", "tiers", ages=(28, 70))
        person.home = self.forge.address(self.rng.choice(FR_CITIES))
        self.world.persons.append(person)
        return person

    def build_registry_background(self) -> None:
        salons = [c for c in self.world.companies if c.activity == "salon"]
        domiciliation = self.world.key["domiciliation"]
        for _ in range(10 + 3 * self.satellites):
            self.noise_company(domiciliation.address)
        self.rotate_front_officers()
        for index in range(max(1, len(salons) // 6)):
            name = (
                "Beauté Pro Distribution"
                if index == 0
                else f"{self.rng.choice(GEM_WORDS)} Cosmétiques Pro"
            )
            supplier = self.noise_company(None, name, "supplier", FR_CITIES[18])
            self.world.key.setdefault("supplier", supplier)
        for _ in range(max(2, len(salons) // 2)):
            family = self.rng.choice(FAMILY["FR"])
            name = self.forge.fresh(
                lambda f=family: f"SCI {f} {self.rng.choice(GEM_WORDS)}", numbered=True
            )
            self.noise_company(None, name, "realestate")

    def rotate_front_officers(self) -> None:
        """Front companies change figurehead: a former officer, replaced on a handover date."""
        straws = [p for c in self.world.cells if c.kind == "laundering" for p in c.members[1:]]
        for company in self.world.companies:
            if company.role != "front" or not company.officers or self.rng.random() > 0.45:
                continue
            who, role, since, _ = company.officers[-1]
            handover = since + timedelta(days=self.rng.randrange(200, 900))
            if handover >= date(2024, 12, 1) or isinstance(who, Company):
                continue
            former = (
                self.rng.choice(straws)
                if straws and self.rng.random() < 0.5
                else self.noise_person()
            )
            if former is who:
                continue
            company.officers[-1] = (who, role, handover, None)
            company.officers.insert(len(company.officers) - 1, (former, role, since, handover))

    def noise_company(
        self,
        address: Address | None,
        name: str | None = None,
        activity: str | None = None,
        city: City | None = None,
    ) -> Company:
        activity = activity or self.rng.choice(["consulting", "building", "import"])
        city = city or (address.city if address else self.rng.choice(FR_CITIES))
        if name is None:
            word = {"consulting": "Conseil", "building": "Bâtiment", "import": "Import-Export"}[
                activity
            ]
            name = self.forge.fresh(
                lambda: f"{self.rng.choice(FAMILY['FR'])} {word} {self.rng.choice(GEM_WORDS)}",
                numbered=True,
            )
        form = (
            "SCI" if activity == "realestate" else self.rng.choice(["SARL", "SAS", "SASU", "EURL"])
        )
        company = self.company(name, form, activity, city, "legit", address)
        director = self.noise_person()
        company.appoint(director, "Gérant" if form in ("SARL", "EURL", "SCI") else "Président")
        if form in ("SASU", "EURL"):
            company.held_by((director, 100.0))
        else:
            company.held_by((director, 50.0), (self.noise_person(), 50.0))
        if self.rng.random() < 0.15:
            company.closed = company.created + timedelta(days=self.rng.randrange(400, 1500))
        return company

    def build_services(self) -> None:
        for _ in range(3 + self.satellites // 3):
            line = Phone("FR", self.forge.landline_number(), "Orange", 0, PERIOD_DAYS - 1)
            line.prepaid = False
            self.world.services.append(line)
            self.world.phones.append(line)


MEMBER_ROLES = {
    "leadership": ["chef", "homme de main"],
    "exploitation": ["responsable de salon", "surveillant"],
    "laundering": ["organisateur financier", "prête-nom"],
    "logistics": ["logisticien", "chauffeur"],
    "recruitment": ["recruteur principal", "recruteur"],
}


def convoys(victims: list[Person]) -> list[list[Person]]:
    """Victims grouped by the day they arrived, earliest first."""
    groups: dict[int, list[Person]] = {}
    for victim in sorted(victims, key=lambda v: v.arrival):
        groups.setdefault(victim.arrival, []).append(victim)
    return list(groups.values())


def member_nationality(kind: str, rng: random.Random) -> str:
    if kind == "logistics":
        return "BE" if rng.random() < 0.5 else "RO"
    if kind == "recruitment":
        return "RO"
    return "RO" if rng.random() < 0.45 else "FR"


def person_from_cast(member: CastMember) -> Person:
    return Person(
        given=member.given,
        family=member.family,
        sex=member.sex,
        nationality=member.nationality,
        birth=member.birth,
        birthplace=member.birthplace,
        role=member.role,
        aliases=list(member.aliases),
    )


def key_of(world: World, person: Person) -> str | None:
    for key, value in world.key.items():
        if value is person:
            return key
    return None


# Fixed lines of the cast: (country, nsn, first day, last day, subscriber, activity)
FIXED_PHONES: dict[str, list[tuple[str, str, int, int, str, float]]] = {
    "leader": [
        (*LEADER_PHONE, 0, day_of(PHONE_SWITCH) - 2, "partner", 14.0),
        (*LEADER_NEW_PHONE, day_of(PHONE_SWITCH), PERIOD_DAYS - 1, "fake", 14.0),
        ("RO", "", 0, PERIOD_DAYS - 1, "self", 2.0),
    ],
    "broker": [
        (*BROKER_PHONE, 0, PERIOD_DAYS - 1, "fake", 16.0),
        ("BE", "", 0, PERIOD_DAYS - 1, "self", 4.0),
    ],
    "recruiter": [(*RECRUITER_PHONE, 0, PERIOD_DAYS - 1, "self", 6.0)],
    "lieutenant": [("FR", "", 0, PERIOD_DAYS - 1, "fake", 10.0)],
}


def fixed_phone(
    spec: tuple[str, str, int, int, str, float], forge: Forge, rng: random.Random
) -> Phone:
    country, nsn, start, end, _, activity = spec
    phone = Phone(
        country,
        nsn or forge.mobile_number(country),
        rng.choice(CARRIERS[country])[0],
        start,
        end,
    )
    phone.activity = activity
    phone.prepaid = spec[4] == "fake"
    return phone


# ---------------------------------------------------------------------------------------------
# Who calls whom: relations between people become weighted contact lists between their lines


def wire_contacts(world: World, rng: random.Random, forge: Forge, breadth: float = 1.0) -> None:
    """Fill each target line's contacts: cell mates, liaisons between cells, private contacts,
    and at scale (``breadth`` > 1) a wider circle of acquaintances and services."""
    for a, b, weight in relations(world, rng):
        connect(a, b, weight)
    circles: dict[tuple[int, bool], list[Phone]] = {}
    for phone in list(world.phones):
        if phone.target and phone.user is not None:
            count = add_private_contacts(world, phone, rng, forge)
            if breadth > 1.0:
                add_wider_circle(world, phone, count, breadth, circles, rng, forge)


def relations(world: World, rng: random.Random) -> Iterator[tuple[Person, Person, float]]:
    yield from cell_relations(world)
    yield from liaison_relations(world, rng)


def cell_relations(world: World) -> Iterator[tuple[Person, Person, float]]:
    for cell in world.cells:
        members = cell.members
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                yield a, b, 4.0 if cell.head in (a, b) else 2.5
        for number, victim in enumerate(cell.victims):
            minder = victim.accounts[0].proxy if victim.accounts else None
            for member in members:
                yield victim, member, 4.0 if member is minder else 1.0
            for other in cell.victims[number + 1 :]:
                if other.home is victim.home:
                    yield victim, other, 0.8


def liaison_relations(world: World, rng: random.Random) -> Iterator[tuple[Person, Person, float]]:
    key = world.key
    leader, partner, enforcer = key["leader"], key["partner"], key["enforcer"]
    yield leader, partner, 8.0
    yield leader, enforcer, 5.0
    heads = [c.head for c in world.cells if c.head is not None and c.kind != "leadership"]
    for cell in world.cells:
        head = cell.head
        if head is None or cell.kind == "leadership":
            continue
        if cell.core:
            yield leader, head, 7.0
        elif rng.random() < 0.5:
            yield leader, head, 1.5
        if cell.kind == "exploitation":
            yield enforcer, head, 2.5 if cell.core else 1.0
            if cell.partner is not None and cell.partner.head is not None:
                yield head, cell.partner.head, 3.0
        if cell.kind in ("recruitment", "logistics") and cell.partner is not None:
            partner_head = cell.partner.head
            if partner_head is not None:
                yield head, partner_head, 5.0
            for other in world.cells:
                if other is not cell and other.partner is cell.partner and other.head is not None:
                    yield head, other.head, 5.0  # recruiters and drivers serving the same salons
        if cell.kind == "laundering":
            yield partner, head, 3.0
        if not cell.core:
            bridge = rng.choice(heads)
            if bridge is not head:
                yield head, bridge, 1.5


def connect(a: Person, b: Person, weight: float) -> None:
    """Add each side's lines to the other side's target lines, where their lifetimes overlap."""
    for mine, theirs in ((a, b), (b, a)):
        total = sum(p.activity for p in theirs.phones) or 1.0
        for phone in mine.phones:
            if not phone.target:
                continue
            for other in theirs.phones:
                if other.start <= phone.end and phone.start <= other.end:
                    phone.contacts.append((other, weight * other.activity / total))


def add_private_contacts(world: World, phone: Phone, rng: random.Random, forge: Forge) -> int:
    """Family, friends and services: numbers outside the network that dilute the picture."""
    user = phone.user
    assert user is not None
    count = rng.randint(1, 2) if user.is_victim else rng.randint(2, 5)
    for _ in range(count):
        private = forge.phone(private_country(user, rng), start=phone.start, end=phone.end)
        private.subscriber = None
        world.phones.append(private)
        phone.contacts.append((private, rng.uniform(0.8, 2.5)))
    if world.services and rng.random() < 0.6:
        phone.contacts.append((rng.choice(world.services), 0.4))
    return count


def private_country(user: Person, rng: random.Random) -> str:
    home = user.nationality if user.nationality in ("RO", "FR") else "FR"
    return home if rng.random() < 0.7 else "FR"


def add_wider_circle(
    world: World,
    phone: Phone,
    count: int,
    breadth: float,
    circles: dict[tuple[int, bool], list[Phone]],
    rng: random.Random,
    forge: Forge,
) -> None:
    """At scale, a line's outside world is wider: more acquaintances the busier the line, with
    Zipf-like weights (a few called often, most once or twice), a share of them common to the
    user's cell mates (or fellow victims), some known only for a few months; and more services.
    """
    user = phone.user
    assert user is not None
    extra = round(count * (breadth - 1.0) * min(phone.activity, 12.0) ** 0.5)
    circle = circles.setdefault((id(user.cell), user.is_victim), [])
    for rank in range(extra):
        weight = 1.65 * (rank + 2) ** -0.6 * rng.uniform(0.6, 1.4)
        if circle and rng.random() < SHARED_CONTACTS:
            phone.contacts.append((rng.choice(circle), weight))
            continue
        start, end = phone.start, phone.end
        if end - start > 120 and rng.random() < 0.4:
            start = rng.randrange(start, end - 60)
            end = min(end, start + rng.randint(60, 360))
        acquaintance = forge.phone(private_country(user, rng), start=start, end=end)
        acquaintance.subscriber = None
        world.phones.append(acquaintance)
        circle.append(acquaintance)
        phone.contacts.append((acquaintance, weight))
    for _ in range(round(math.log(breadth))):
        phone.contacts.append((rng.choice(world.services), 0.3))


# ---------------------------------------------------------------------------------------------
# Where the money goes: flows between accounts, sampled into transactions later


def plan_flows(world: World, rng: random.Random) -> None:
    suppliers = [c for c in world.companies if c.activity == "supplier"]
    landlords = [c for c in world.companies if c.activity == "realestate"]
    for cell in world.cells:
        if cell.kind == "exploitation":
            plan_salon_flows(world, cell, suppliers, landlords, rng)
        elif cell.kind == "laundering":
            plan_laundering_flows(world, cell, rng)


def personal_account(person: Person | None) -> Account | None:
    if person is None:
        return None
    return next((a for a in person.accounts if a.proxy is None), None)


def company_of(cell: Cell | None, activity: str) -> Company | None:
    if cell is None:
        return None
    return next((c for c in cell.companies if c.activity == activity), None)


def monthly(
    source: Account, target: Account, kind: str, amount: float, day: int, spread: float = 0.0
) -> Flow:
    """A transfer made once a month on about the same day (salaries, rent, fees)."""
    return Flow(source, target, kind, amount, spread, True, day_of_month=day)


def irregular(
    source: Account, target: Account, kind: str, median: float, spread: float, rate: float
) -> Flow:
    """Transfers at random times, ``rate`` a month before calibration (invoices, remittances)."""
    return Flow(source, target, kind, median, spread, False, rate)


def plan_salon_flows(
    world: World, cell: Cell, suppliers: list[Company], landlords: list[Company], rng: random.Random
) -> None:
    """Salaries paid to the victims and mostly paid back; rent, supplies, fake invoices, fees."""
    salons = [c for c in cell.companies if c.activity == "salon"]
    holding = company_of(cell.partner, "holding") or world.key["holding"]
    transport = company_of(cell.partner, "transport") or world.key["transport"]
    for number, victim in enumerate(cell.victims):
        salon, wages = salons[number % len(salons)].accounts[0], victim.accounts[0]
        wage = rng.choice([1150.0, 1250.0, 1320.0, 1400.0])
        salary = replace(monthly(salon, wages, "salary", wage, 28, 0.02), start=victim.arrival + 20)
        minder = personal_account(wages.proxy) or personal_account(cell.head)
        if minder is not None:
            returned = monthly(wages, minder, "kickback", wage * 0.88, 5, 0.06)
            salary.kickback = replace(returned, start=salary.start)
        world.flows.append(salary)
    for salon_company in salons:
        salon = salon_company.accounts[0]
        landlord = rng.choice(landlords).accounts[0]
        rent = rng.choice([1800.0, 2400.0, 3100.0])
        supplier = rng.choice(suppliers).accounts[0]
        world.flows += [
            monthly(salon, landlord, "rent", rent, 3),
            irregular(salon, supplier, "supplier", 620.0, 0.6, 1.5),
            irregular(salon, transport.accounts[0], "invoice", 4200.0, 0.45, 2.2),
            monthly(salon, holding.accounts[0], "fees", 5200.0, 10, 0.25),
        ]
    head_account = personal_account(cell.head)
    for other in world.cells:
        if other.kind == "recruitment" and other.partner is cell and head_account is not None:
            recruiter = personal_account(other.head)
            if recruiter is not None:
                world.flows.append(irregular(head_account, recruiter, "commission", 900, 0.5, 1.5))


def plan_laundering_flows(world: World, cell: Cell, rng: random.Random) -> None:
    """Fronts pay the holding; the transport firm pays the Belgian transit company; payouts."""
    key = world.key
    holding = (company_of(cell, "holding") or key["holding"]).accounts[0]
    transport = company_of(cell, "transport")
    head_account = personal_account(cell.head)
    for company in cell.companies:
        if company.activity in ("carwash", "snack", "phoneshop"):
            world.flows.append(monthly(company.accounts[0], holding, "fees", 3800.0, 12, 0.3))
    if transport is not None:
        for transit in transit_companies_for(world, cell):
            hire = irregular(
                transport.accounts[0], transit.accounts[0], "vehicle_hire", 3200.0, 0.4, 3.0
            )
            world.flows.append(hire)
    if head_account is not None:
        world.flows.append(monthly(holding, head_account, "accounting", 2100.0, 15, 0.1))
    if cell.core:
        partner_account = personal_account(key["partner"])
        leader_account = personal_account(key["leader"])
        snack = company_of(cell, "snack")
        for account in (partner_account, leader_account):
            if account is not None:
                world.flows.append(monthly(holding, account, "current_account", 3500.0, 20, 0.2))
        if snack is not None and partner_account is not None:
            cash = irregular(snack.accounts[0], partner_account, "expenses", 850.0, 0.5, 1.2)
            world.flows.append(cash)
    for member in cell.members:
        account = personal_account(member)
        recruiters = [a for a in recruiter_accounts(world) if a is not None]
        if account is not None and recruiters and rng.random() < 0.6:
            home = rng.choice(recruiters)
            world.flows.append(irregular(account, home, "family", 600.0, 0.5, 0.6))


def transit_companies_for(world: World, laundering: Cell) -> list[Company]:
    found = []
    for cell in world.cells:
        served = cell.partner
        if cell.kind == "logistics" and served is not None and served.partner is laundering:
            found += [c for c in cell.companies if c.role == "foreign"]
    return found or [world.key["transit"]]


def recruiter_accounts(world: World) -> list[Account | None]:
    return [personal_account(c.head) for c in world.cells if c.kind == "recruitment"]


# ---------------------------------------------------------------------------------------------
# Writing files: CSV as the sources export them, native JSONL, and a tally of what was written


@dataclass
class Tally:
    """Links and entity records written, by source, classification and handling code."""

    links: Counter[str] = field(default_factory=Counter)
    entity_records: Counter[str] = field(default_factory=Counter)
    by_classification: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    files: list[Path] = field(default_factory=list)

    def link(self, source: str, rules: dict[str, Any], count: int = 1) -> None:
        self.links[source] += count
        self.by_classification[rules["classification"]] += count
        self.by_code[rules["code"]] += count

    def entity(self, source: str, count: int = 1) -> None:
        self.entity_records[source] += count

    @property
    def total_links(self) -> int:
        return sum(self.links.values())


class CsvFile:
    """A semicolon-separated UTF-8 file, the way French and Belgian exports usually come."""

    def __init__(self, path: Path, header: list[str], tally: Tally) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, delimiter=";", lineterminator="\n")
        self.writer.writerow(header)
        self.width = len(header)
        tally.files.append(path)

    def row(self, values: list[Any]) -> None:
        assert len(values) == self.width, values
        self.writer.writerow(["" if v is None else v for v in values])

    def rows(self, rows: list[list[Any]]) -> None:
        self.writer.writerows(rows)

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


End = str | dict[str, str]  # a link end: "phone:+33...", {"id", "type"} or {"type", "value"}


@dataclass(frozen=True)
class Origin:
    """The source record the next entities and links come from, with its handling and grading."""

    record: str
    rules: dict[str, Any]
    grade: dict[str, str]
    observed: str | None = None
    confidence: float | None = None  # of the links (an entity record states no confidence)

    def but(self, **changes: Any) -> Origin:
        return replace(self, **changes)


class JsonlFile:
    """Native records of one source: every record carries its provenance, grading and handling."""

    def __init__(self, path: Path, source: str, tally: Tally, method: str = "structured") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8", newline="\n")
        self.source = source
        self.method = method
        self.tally = tally
        self.link_ids: set[str] = set()
        self.entities_written: set[str] = set()
        tally.files.append(path)

    def _provenance(self, origin: Origin, confidence: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "record": origin.record}
        if self.method != "structured":
            out["method"] = self.method
        if origin.observed:
            out["observedAt"] = origin.observed
        if confidence is not None:
            out["confidence"] = confidence
        return out

    def entity(
        self, entity_id: str | None, etype: str, properties: dict[str, Any], origin: Origin
    ) -> None:
        """One entity record; the same entity from the same source record is written once."""
        seen = f"{entity_id or properties}|{origin.record}"
        if seen in self.entities_written:
            return
        self.entities_written.add(seen)
        body: dict[str, Any] = {"kind": "entity"}
        if entity_id is not None:
            body["id"] = entity_id
        body |= {
            "type": etype,
            "properties": present(properties),
            "provenance": self._provenance(origin, None),
            "grading": origin.grade,
            "handling": origin.rules,
        }
        self._write(body)
        self.tally.entity(self.source)

    def link(
        self, link_id: str, ltype: str, a: End, b: End, properties: dict[str, Any], origin: Origin
    ) -> None:
        assert link_id not in self.link_ids, link_id
        self.link_ids.add(link_id)
        self._write(
            {
                "kind": "link",
                "id": link_id,
                "type": ltype,
                "from": a,
                "to": b,
                "properties": present(properties),
                "provenance": self._provenance(origin, origin.confidence),
                "grading": origin.grade,
                "handling": origin.rules,
            }
        )
        self.tally.link(self.source, origin.rules)

    def _write(self, body: dict[str, Any]) -> None:
        self.handle.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")

    def __enter__(self) -> JsonlFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def present(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties that have a value."""
    return {k: v for k, v in properties.items() if v not in (None, "", [])}


def ref(entity_id: str, etype: str) -> dict[str, str]:
    """A link end naming an entity by id."""
    return {"id": entity_id, "type": etype}


def selector(etype: str, value: str) -> dict[str, str]:
    """A link end naming a selector by its value, written as the source writes it."""
    return {"type": etype, "value": value}


def fr_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def fr_amount(amount: float) -> str:
    """An amount as French exports write it: ``1 234,56`` (space between thousands)."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",")


FR_DAYS = [fr_date(PERIOD_START + timedelta(days=d)) for d in range(PERIOD_DAYS)]  # 31/12/2024


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def local_time(day: int, hour: int, minute: int, zone: str) -> str:
    """An ISO date-time with the offset of ``zone`` (CET/CEST or EET/EEST) on that day."""
    when = date_of(day)
    summer = (
        date(when.year, 3, 31 - (date(when.year, 3, 31).weekday() + 1) % 7)
        <= when
        < date(when.year, 10, 31 - (date(when.year, 10, 31).weekday() + 1) % 7)
    )
    offset = {"CET": 1, "EET": 2}[zone] + (1 if summer else 0)
    return f"{when.isoformat()}T{hour:02d}:{minute:02d}:00+{offset:02d}:00"


# ---------------------------------------------------------------------------------------------
# registry-fr: the company registry extract (companies, officers, beneficial owners)

COMPANY_HEADER = [
    "siren", "denomination", "forme_juridique", "date_immatriculation", "date_radiation", "etat",
    "code_ape", "activite", "cle_ban", "numero_voie", "voie", "code_postal", "commune",
]  # fmt: skip
# Officers and owners: a natural person (identifiant: the registry's person number) or a legal
# person (identifiant: its SIREN), told apart by the type column; nom_denomination holds the
# family name or the company name.
OFFICER_HEADER = [
    "siren", "rang", "qualite", "type_representant", "identifiant", "nom_denomination",
    "prenoms", "date_naissance", "lieu_naissance", "nationalite", "cle_ban", "numero_voie",
    "voie", "code_postal", "commune", "date_debut", "date_fin",
]  # fmt: skip
OWNER_HEADER = [
    "siren", "rang", "type_associe", "identifiant", "nom_denomination", "prenoms",
    "date_naissance", "nationalite", "pourcentage_capital", "date_effet",
]  # fmt: skip


def registry_person_id(person: Person, forge: Forge) -> str:
    """The registry's number for a natural person (the entity id is ``rne:`` and this)."""
    if "registry-fr" not in person.ids:
        person.ids["registry-fr"] = f"rne:PP-{forge.serial('rne'):06d}"
    return person.ids["registry-fr"].removeprefix("rne:")


def address_columns(address: Address | None) -> list[str]:
    if address is None or address.city.country != "FR":
        return ["", "", "", "", ""]
    return [
        address.key.removeprefix("ban:"),
        address.number,
        address.street,
        address.city.postal,
        address.city.name,
    ]


def write_registry(out: Path, world: World, tally: Tally) -> None:
    forge = Forge(random.Random("registry-fr"))
    companies = sorted((c for c in world.companies if c.role != "foreign"), key=lambda c: c.siren)
    folder = out / "data" / "registry-fr"
    with CsvFile(folder / "entreprises.csv", COMPANY_HEADER, tally) as file:
        for company in companies:
            file.row(company_row(company))
            tally.link("registry-fr", H_REGISTRY)  # REGISTERED_AT
    with CsvFile(folder / "representants.csv", OFFICER_HEADER, tally) as file:
        for company in companies:
            for rank, officer in enumerate(company.officers, 1):
                file.row(officer_row(company, rank, officer, forge))
                lives = isinstance(officer[0], Person) and address_columns(officer[0].home)[0]
                tally.link("registry-fr", H_REGISTRY, 2 if lives else 1)
    with CsvFile(folder / "beneficiaires.csv", OWNER_HEADER, tally) as file:
        for company in companies:
            for rank, owner in enumerate(company.owners, 1):
                file.row(owner_row(company, rank, owner, forge))
                tally.link("registry-fr", H_REGISTRY)


def company_row(company: Company) -> list[Any]:
    ape, label = APE[company.activity]
    return [
        company.siren,
        company.name,
        company.legal_form,
        iso(company.created),
        iso(company.closed),
        "Radiée" if company.closed else "Active",
        ape,
        label,
        *address_columns(company.address),
    ]


def officer_row(
    company: Company,
    rank: int,
    officer: tuple[Person | Company, str, date, date | None],
    forge: Forge,
) -> list[Any]:
    who, role, since, until = officer
    head = [company.siren, rank, role]
    if isinstance(who, Company):
        party = ["Personne morale", who.siren, who.name, "", "", "", ""]
        return [*head, *party, *address_columns(None), iso(since), iso(until)]
    party = [
        "Personne physique",
        registry_person_id(who, forge),
        who.family.upper(),
        who.given,
        f"{who.birth:%Y-%m}",
        who.birthplace,
        NATIONALITY_WORDS[who.nationality],
    ]
    return [*head, *party, *address_columns(who.home), iso(since), iso(until)]


def owner_row(
    company: Company, rank: int, owner: tuple[Person | Company, float, date], forge: Forge
) -> list[Any]:
    who, share, since = owner
    head = [company.siren, rank]
    if isinstance(who, Company):
        party = ["Personne morale", who.siren, who.name, "", "", ""]
    else:
        party = [
            "Personne physique",
            registry_person_id(who, forge),
            who.family.upper(),
            who.given,
            f"{who.birth:%Y-%m}",
            NATIONALITY_WORDS[who.nationality],
        ]
    return [*head, *party, fr_amount(share), iso(since)]


# ---------------------------------------------------------------------------------------------
# cdr-fr: subscribers of the requisitioned lines, then the calls and text messages

SUBSCRIBER_HEADER = [
    "id_contrat", "id_abonne", "numero", "operateur", "offre", "civilite", "nom", "prenom",
    "date_naissance", "adresse", "code_postal", "ville", "date_activation", "date_resiliation",
]  # fmt: skip
CDR_HEADER = [
    "id_appel", "operateur", "numero_appelant", "numero_appele", "date_heure_debut", "duree_s",
    "type", "cellule",
]  # fmt: skip


def write_subscribers(out: Path, world: World, tally: Tally) -> None:
    rng = random.Random(f"{world.seed}:cdr-fr")
    client_ids: dict[tuple[int, str], str] = {}
    with CsvFile(out / "data" / "cdr-fr" / "abonnes.csv", SUBSCRIBER_HEADER, tally) as file:
        for phone in world.phones:
            if not phone.target or phone.subscriber is None:
                continue
            holder = phone.subscriber
            code = dict(CARRIERS["FR"])[phone.carrier]
            client_key = (id(holder), phone.carrier)
            if client_key not in client_ids:
                client_ids[client_key] = f"{code}-C{len(client_ids) + 1:07d}"
                holder.ids.setdefault("cdr-fr", f"cdr-fr:{client_ids[client_key]}")
            contract = f"{code}-L{phone.index + 1:07d}"
            file.row([contract, *subscriber_row(phone, holder, client_ids[client_key], rng)])
            tally.link("cdr-fr", H_CDR)


def subscriber_row(phone: Phone, holder: Person, client_id: str, rng: random.Random) -> list[Any]:
    activated = (
        date_of(phone.start)
        if phone.start > 0
        else date(2018, 1, 1) + timedelta(days=rng.randrange(2000))
    )
    ended = date_of(phone.end) if phone.end < PERIOD_DAYS - 1 else None
    home = holder.home
    street = home.line if home else ""
    return [
        client_id,
        phone.national(),
        phone.carrier,
        "Prépayé" if phone.prepaid else "Forfait",
        "M." if holder.sex == "male" else "Mme",
        holder.family.upper(),
        holder.given,
        fr_date(holder.birth),
        street,
        home.city.postal if home else "",
        home.city.name if home else "",
        fr_date(activated),
        fr_date(ended),
    ]


class CallSampler:
    """Samples calls between lines: a caller by activity, a callee from its weighted contacts.

    Contacts are kept as one flat array with per-caller cumulative weights offset by the
    caller's position, so a whole month of calls is drawn with one ``searchsorted``.
    """

    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.rng = rng
        callers = [p for p in world.phones if p.target and p.contacts]
        self.callers = np.array([p.index for p in callers], dtype=np.int64)
        weights = np.array([p.activity for p in callers])
        self.caller_p = weights / weights.sum()
        offsets, contacts, cumulative = [0], [], []
        for position, phone in enumerate(callers):
            w = np.array([weight for _, weight in phone.contacts])
            c = np.cumsum(w) / w.sum()
            c[-1] = 1.0
            contacts += [other.index for other, _ in phone.contacts]
            cumulative.append(position + c)
            offsets.append(offsets[-1] + len(w))
        self.offsets = np.array(offsets, dtype=np.int64)
        self.contacts = np.array(contacts, dtype=np.int64)
        self.cumulative = np.concatenate(cumulative)
        self.start = np.array([p.start for p in world.phones], dtype=np.int64)
        self.end = np.array([p.end for p in world.phones], dtype=np.int64)

    def sample(
        self, count: int, first_day: int, last_day: int, hours: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``count`` calls within the days given: (target line, other line, day, second of day)."""
        if count <= 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        picked: list[tuple[np.ndarray, ...]] = []
        remaining = count
        while remaining > 0:
            n = int(remaining * 1.5) + 16
            seat = self.rng.choice(len(self.callers), size=n, p=self.caller_p)
            position = np.searchsorted(self.cumulative, seat + self.rng.random(n), side="right")
            position = np.minimum(position, self.offsets[seat + 1] - 1)
            a, b = self.callers[seat], self.contacts[position]
            low = np.maximum.reduce([self.start[a], self.start[b], np.full(n, first_day)])
            high = np.minimum.reduce([self.end[a], self.end[b], np.full(n, last_day)])
            ok = low <= high
            a, b, low, high = (
                a[ok][:remaining],
                b[ok][:remaining],
                low[ok][:remaining],
                high[ok][:remaining],
            )
            day = low + (self.rng.random(len(a)) * (high - low + 1)).astype(np.int64)
            hour = self.rng.choice(24, size=len(a), p=hours)
            second = hour * 3600 + self.rng.integers(0, 3600, size=len(a))
            picked.append((a, b, day, second))
            remaining -= len(a)
        a, b, day, second = (np.concatenate(parts) for parts in zip(*picked, strict=True))
        order = np.lexsort((second, day))
        return a[order], b[order], day[order], second[order]


def month_spans() -> Iterator[tuple[int, int]]:
    """(first day, last day) of each calendar month of the period."""
    first = PERIOD_START
    while first <= PERIOD_END:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        yield day_of(first), min(day_of(following) - 1, PERIOD_DAYS - 1)
        first = following


def per_month(total: int) -> list[int]:
    """``total`` spread over the months in proportion to their days, growing slowly over time."""
    spans = list(month_spans())
    weights = np.array(
        [(b - a + 1) * (1.0 + 0.5 * i / len(spans)) for i, (a, b) in enumerate(spans)]
    )
    counts = np.floor(total * weights / weights.sum()).astype(int)
    counts[-1] += total - counts.sum()
    return counts.tolist()


CDR_TYPES = ("VOIX", "SMS", "MMS")  # the operators' "type" column; MMS are a few of the texts
MMS_SHARE = 0.05


def write_cdr(
    path: Path, world: World, calls: int, texts: int, rng: np.random.Generator, tally: Tally
) -> None:
    """Voice calls and text messages of the target lines in one file, as the operators deliver
    them (the ``type`` column tells them apart), month by month in time order."""
    sampler = CallSampler(world, rng)
    call_hours, text_hours = (np.array(h) / sum(h) for h in (CALL_HOURS, SMS_HOURS))
    shown = [p.dialled_from("FR") for p in world.phones]
    operators = [dict(CARRIERS["FR"]).get(p.carrier, "ORA") for p in world.phones]
    days = FR_DAYS
    serial = 0
    with CsvFile(path, CDR_HEADER, tally) as file:
        months = zip(month_spans(), per_month(calls), per_month(texts), strict=True)
        for (first, last), month_calls, month_texts in months:
            voice = sampler.sample(month_calls, first, last, call_hours)
            text = sampler.sample(month_texts, first, last, text_hours)
            a, b, day, second = (np.concatenate(pair) for pair in zip(voice, text, strict=True))
            kind = np.zeros(len(a), dtype=np.int64)
            kind[len(voice[0]) :] = np.where(rng.random(len(text[0])) < MMS_SHARE, 2, 1)
            order = np.lexsort((second, day))
            a, b, day, second, kind = a[order], b[order], day[order], second[order], kind[order]
            incoming = rng.random(len(a)) < 0.45
            durations = call_durations(len(a), rng)
            cell_pick = rng.integers(0, 1 << 30, size=len(a))
            rows = []
            for i in range(len(a)):
                serial += 1
                target, other = int(a[i]), int(b[i])
                caller, callee = (other, target) if incoming[i] else (target, other)
                cells = world.phones[target].serving_cells
                s = int(second[i])
                code = CDR_TYPES[kind[i]]
                rows.append(
                    [
                        f"{operators[target]}-{code[0]}{serial:09d}",
                        world.phones[target].carrier,
                        shown[caller],
                        shown[callee],
                        f"{days[day[i]]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}",
                        int(durations[i]) if code == "VOIX" else "",
                        code,
                        cells[int(cell_pick[i]) % len(cells)] if cells else "",
                    ]
                )
            file.rows(rows)
            tally.link("cdr-fr", H_CDR, len(rows))


def call_durations(count: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds: log-normal around a minute, a few missed calls (0 s), capped at two hours."""
    seconds = np.exp(rng.normal(math.log(70), 1.05, size=count))
    seconds[rng.random(count) < 0.07] = 0
    return np.clip(np.rint(seconds), 0, 7200).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# bank-fr: account holders, transactions, and an FIU (Tracfin) disclosure

HOLDER_HEADER = [
    "iban", "rang", "bic", "banque", "devise", "date_ouverture", "qualite", "type_personne",
    "id_client", "siren", "nom_ou_raison_sociale", "prenom", "date_naissance", "date_debut",
]  # fmt: skip
TRANSFER_HEADER = [
    "id_operation", "date_operation", "iban_donneur", "iban_beneficiaire", "montant", "devise",
    "libelle", "type_operation",
]  # fmt: skip
FIU_HEADER = [
    "id_signalement", "date_operation", "nom_donneur", "prenom_donneur", "naissance_donneur",
    "piece_identite", "iban_beneficiaire", "montant", "devise", "canal", "agence",
]  # fmt: skip
REFERENCES = {
    "salary": "SALAIRE {mm}/{yyyy}",
    "kickback": "REMBOURSEMENT PRET",
    "rent": "LOYER {mm}/{yyyy} LOCAL COMMERCIAL",
    "supplier": "FACT BPD {n:06d}",
    "invoice": "FACTURE TV-{yyyy}-{n:04d}",
    "fees": "PRESTATIONS DE GESTION {mm}/{yyyy}",
    "vehicle_hire": "LOCATION UTILITAIRE {mm}/{yyyy}",
    "accounting": "HONORAIRES COMPTABLES {mm}/{yyyy}",
    "current_account": "REMB COMPTE COURANT ASSOCIE",
    "expenses": "REMB FRAIS",
    "commission": "AVANCE",
    "family": "AJUTOR FAMILIE",
    "card": "PAIEMENT CB {dd}/{mm} {label}",
}
MERCHANTS = ["SUPERMARCHE", "STATION SERVICE", "TABAC PRESSE", "BOULANGERIE", "PHARMACIE",
             "RESTAURANT", "BRICOLAGE", "PRIMEUR"]  # fmt: skip
ROUND_AMOUNTS = {"invoice", "fees", "vehicle_hire", "commission", "family", "current_account"}


def client_id(person: Person, bank: Bank, registry: dict[tuple[int, str], str]) -> str:
    key = (id(person), bank.code)
    if key not in registry:
        registry[key] = f"{bank.code}-{len(registry) + 1:08d}"
        person.ids.setdefault("bank-fr", f"bank-fr:{registry[key]}")
    return registry[key]


def write_account_holders(out: Path, world: World, tally: Tally) -> None:
    """The parties to each requisitioned account, one row each: holder, then any proxy."""
    clients: dict[tuple[int, str], str] = {}
    with CsvFile(out / "data" / "bank-fr" / "titulaires.csv", HOLDER_HEADER, tally) as file:
        for account in world.accounts:
            if account.bank.country != "FR":
                continue
            parties = [("Titulaire", account.holder)]
            if account.proxy is not None:
                parties.append(("Mandataire", account.proxy))
            for rank, (capacity, party) in enumerate(parties, 1):
                file.row(holder_row(account, rank, capacity, party, clients))
                tally.link("bank-fr", H_BANK)


def holder_row(
    account: Account,
    rank: int,
    capacity: str,
    party: Person | Company,
    clients: dict[tuple[int, str], str],
) -> list[Any]:
    """A company by its SIREN (PM), a natural person by the bank's client number (PP)."""
    bank = account.bank
    head = [account.iban, rank, bank.bic, bank.name, account.currency, fr_date(account.opened)]
    if isinstance(party, Company):
        who = ["PM", "", party.siren, party.name, "", ""]
    else:
        client = client_id(party, bank, clients)
        who = ["PP", client, "", party.family.upper(), party.given, fr_date(party.birth)]
    return [*head, capacity, *who, fr_date(account.opened)]


def add_card_spending(world: World, rng: random.Random, forge: Forge, breadth: float = 1.0) -> None:
    """Everyday card payments from personal accounts to a pool of shops: realistic noise. Shops
    differ in popularity (a few supermarkets everyone uses, many small shops); at scale the
    pool is larger and each account pays at more of them."""
    merchants = []
    for _ in range(round((6 + len(world.cells)) * breadth**0.5)):
        bank = rng.choice(FR_BANKS[:4])
        iban = forge.iban(bank)
        shop = Account(str(iban.compact), iban.formatted, bank, PERIOD_START, world.key["supplier"])
        label = f"{rng.choice(MERCHANTS)} {rng.choice(FR_CITIES).name.split()[0].upper()}"
        merchants.append((shop, label))
    popularity = list(itertools.accumulate((rank + 1) ** -0.8 for rank in range(len(merchants))))
    shops = min(len(merchants), round(3 * breadth**0.25))
    for account in world.accounts:
        if account.bank.country == "FR" and isinstance(account.holder, Person):
            chosen: dict[int, None] = {}
            while len(chosen) < shops:
                chosen[rng.choices(range(len(merchants)), cum_weights=popularity)[0]] = None
            for index in chosen:
                shop, label = merchants[index]
                spending = irregular(account, shop, "card", 45.0, 0.8, 0.3)
                world.flows.append(replace(spending, label=label))


def calibrate_flows(flows: list[Flow], target: int) -> float:
    """The factor on irregular flows' rates that makes the expected total ``target``."""
    months = PERIOD_DAYS / 30.4
    regular = sum(
        (2 if f.kickback else 1) * max(0, f.end - f.start) / 30.4 for f in flows if f.monthly
    )
    irregular = sum(
        f.rate * max(0, f.end - f.start) / PERIOD_DAYS * months for f in flows if not f.monthly
    )
    return max(0.0, target - regular) / irregular if irregular else 0.0


def write_transfers(
    path: Path, world: World, total: int, rng: np.random.Generator, tally: Tally
) -> None:
    """Transactions as the bank books them: a booking date (no time of day), in booking order,
    amounts written the French way (``1 234,56``)."""
    factor = calibrate_flows(world.flows, total)
    serial = 0
    with CsvFile(path, TRANSFER_HEADER, tally) as file:
        for first, last in month_spans():
            rows = month_of_transfers(world.flows, first, last, factor, rng)
            rows.sort(key=lambda r: r[1])
            lines = []
            for stamp, _, source, target, amount, reference, kind in rows:
                serial += 1
                lines.append(
                    [
                        f"{stamp[6:10]}{stamp[3:5]}{stamp[0:2]}{serial:08d}",
                        stamp,
                        source.iban,
                        target.iban,
                        fr_amount(amount),
                        "EUR",
                        reference,
                        kind,
                    ]
                )
            file.rows(lines)
            tally.link("bank-fr", H_BANK, len(lines))


TransferRow = tuple[str, int, Account, Account, float, str, str]


def month_of_transfers(
    flows: list[Flow], first: int, last: int, factor: float, rng: np.random.Generator
) -> list[TransferRow]:
    rows: list[TransferRow] = []
    when = date_of(first)
    for flow in flows:
        low, high = max(first, flow.start), min(last, flow.end)
        if low > high:
            continue
        if flow.monthly:
            day = min(first + flow.day_of_month - 1, last)
            if low <= day <= high and rng.random() < 0.97:
                rows.append(transfer(flow, day, rng, when))
                if flow.kickback is not None:
                    rows.append(
                        transfer(flow.kickback, min(day + int(rng.integers(0, 2)), last), rng, when)
                    )
            continue
        expected = flow.rate * factor * (high - low + 1) / 30.4
        for _ in range(int(rng.poisson(expected))):
            rows.append(transfer(flow, int(rng.integers(low, high + 1)), rng, when))
    return rows


def transfer(flow: Flow, day: int, rng: np.random.Generator, month: date) -> TransferRow:
    amount = flow.median * math.exp(rng.normal(0.0, flow.spread)) if flow.spread else flow.median
    if flow.kind in ROUND_AMOUNTS and rng.random() < 0.6:
        amount = max(50.0, round(amount / 50.0) * 50.0)
    second = int(rng.integers(7 * 3600, 20 * 3600))  # orders the day's bookings
    stamp = FR_DAYS[day]
    reference = REFERENCES[flow.kind].format(
        mm=f"{month.month:02d}",
        yyyy=month.year,
        n=int(rng.integers(1, 999_999)),
        dd=stamp[:2],
        label=flow.label,
    )
    kind = (
        "CARTE"
        if flow.kind == "card"
        else ("VIREMENT INSTANTANE" if rng.random() < 0.2 else "VIREMENT SEPA")
    )
    return (
        stamp,
        day * 86400 + second,
        flow.source,
        flow.target,
        round(amount, 2),
        reference,
        kind,
    )


def write_fiu_disclosure(
    path: Path, world: World, total: int, rng: random.Random, tally: Tally
) -> None:
    """Cash sent by money-transfer agencies to Romanian accounts, reported by Tracfin."""
    senders = [p for c in world.cells if c.kind == "exploitation" for p in c.members + c.victims]
    accounts = [a for a in recruiter_accounts(world) if a is not None]
    first, last = day_of(date(2024, 1, 1)), day_of(date(2024, 9, 30))
    documents: dict[int, str] = {}
    rows = []
    for _ in range(total):
        sender = rng.choice(senders)
        day = (
            rng.randint(max(first, sender.arrival + 30), last)
            if sender.arrival + 30 <= last
            else last
        )
        rows.append((day, rng.randrange(9 * 3600, 19 * 3600), sender, rng.choice(accounts)))
    rows.sort(key=lambda r: (r[0], r[1]))
    with CsvFile(path, FIU_HEADER, tally) as file:
        for number, (day, second, sender, account) in enumerate(rows, 1):
            amount = rng.choice([450, 600, 750, 900, 1200, 1500, 1900]) + rng.choice([0, 0, 50])
            file.row(
                [
                    f"NT-2024-{117 + (number - 1) // 500:04d}/{(number - 1) % 500 + 1:03d}",
                    f"{fr_date(date_of(day))} {second // 3600:02d}:{second // 60 % 60:02d}",
                    sender.family.upper(),
                    sender.given,
                    fr_date(sender.birth),
                    identity_document(sender, documents, rng),
                    account.iban,
                    fr_amount(amount),
                    "EUR",
                    "Transfert d'espèces",
                    f"Agence de transfert, {sender.cell.city.postal if sender.cell else ''} "
                    f"{sender.cell.city.name if sender.cell else ''}",
                ]
            )
            tally.link("bank-fr", H_FIU)


def identity_document(person: Person, documents: dict[int, str], rng: random.Random) -> str:
    if id(person) not in documents:
        if person.nationality == "RO":
            documents[id(person)] = f"RO-PASS-{rng.randrange(10**8, 10**9)}"
        else:
            documents[id(person)] = f"FR-CNI-{rng.randrange(10**11, 10**12)}"
    return documents[id(person)]


# ---------------------------------------------------------------------------------------------
# Native JSONL sources: shared helpers

G_A1, G_B2, G_C3, G_X3 = (grading(*g) for g in (("A", "1"), ("B", "2"), ("C", "3"), ("X", "3")))


class SourceIds:
    """Each source numbers its own entities; a person keeps the same id within a source."""

    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix
        self.counts: Counter[str] = Counter()

    def person(self, person: Person, kind: str = "P", width: int = 5) -> str:
        if self.source not in person.ids:
            person.ids[self.source] = self.next(kind, width)
        return person.ids[self.source]

    def next(self, kind: str, width: int = 4) -> str:
        self.counts[kind] += 1
        return f"{self.prefix}:{kind}-{self.counts[kind]:0{width}d}"


class NativeWriter:
    """What the native sources share: their file, numbering, and a random stream of their own."""

    prefix = ""
    link_width = 6

    def __init__(self, file: JsonlFile, world: World) -> None:
        self.file = file
        self.world = world
        self.key = world.key
        self.rng = random.Random(f"{world.seed}:{file.source}")
        self.ids = SourceIds(file.source, self.prefix)

    def entity(
        self, entity_id: str | None, etype: str, properties: dict[str, Any], origin: Origin
    ) -> None:
        self.file.entity(entity_id, etype, properties, origin)

    def link(self, ltype: str, a: End, b: End, properties: dict[str, Any], origin: Origin) -> str:
        link_id = self.ids.next("L", self.link_width)
        self.file.link(link_id, ltype, a, b, properties, origin)
        return link_id


def address_properties(address: Address) -> dict[str, Any]:
    return {
        "full": address.full,
        "street": address.line,
        "postalCode": address.city.postal,
        "city": address.city.name,
        "country": address.city.country,
    }


def vehicle_properties(vehicle: Vehicle, plate: str | None = None) -> dict[str, Any]:
    return {
        "plate": plate or vehicle.plate,
        "make": vehicle.make,
        "model": vehicle.model,
        "colour": vehicle.colour,
        "registrationCountry": vehicle.country,
    }


def account_properties(account: Account) -> dict[str, Any]:
    return {
        "iban": account.formatted,
        "bic": account.bank.bic,
        "bank": account.bank.name,
        "currency": account.currency,
    }


def national_id(person: Person, serial: int) -> str:
    if person.nationality == "BE":
        return belgian_national_number(
            person.birth, serial % 498 * 2 + (1 if person.sex == "male" else 2)
        )
    if person.nationality == "RO":
        county = next((c.code for c in RO_CITIES if c.name == person.birthplace), "IS")
        return romanian_cnp(person.birth, person.sex == "male", county, serial % 1000)
    return f"CNI {serial:012d}"


# ---------------------------------------------------------------------------------------------
# be-pjf: the Belgian federal judicial police (Charleroi) — identifications, vehicles, checks

BORDER_POINTS = [
    ("Hensies – E19, frontière française", 50.4363, 3.6826),
    ("Rekkem – E17, frontière française", 50.7797, 3.1606),
    ("Erquelinnes – N40", 50.3086, 4.1122),
    ("Adinkerke – E40", 51.0722, 2.5949),
    ("Frasnes-lez-Anvaing – E429", 50.6655, 3.6131),
]
ANPR_CAMERAS = [
    ("Caméra ANPR E19 Saint-Ghislain", 50.4512, 3.8187),
    ("Caméra ANPR R3 Charleroi-Ouest", 50.4127, 4.4031),
    ("Caméra ANPR E42 Gosselies", 50.4745, 4.4486),
    ("Caméra ANPR E411 Namur-Nord", 50.4885, 4.8763),
    ("Hensies – E19, frontière française", 50.4363, 3.6826),
    ("Rekkem – E17, frontière française", 50.7797, 3.1606),
]
STORY_CHECKS = {  # the two road checks of the story (core logistics cell)
    "old": date(2023, 10, 14),  # retained only until 2024-06-30
    "leader": date(2024, 6, 18),  # the leader is the broker's passenger
}


class PjfWriter(NativeWriter):
    """The Belgian partner's records for every logistics cell, then the two checks of the story."""

    prefix = "pjf"

    def __init__(self, file: JsonlFile, world: World) -> None:
        super().__init__(file, world)
        self.locations: dict[str, str] = {}
        self.pv_serial = 0

    def pv(
        self,
        when: date,
        rules: dict[str, Any] = H_PJF,
        grade: dict[str, str] = G_B2,
        observed: str | None = None,
    ) -> Origin:
        """A new police report (procès-verbal): its number, handling and date."""
        self.pv_serial += 1
        number = f"CH.43.L7.{10_000 + self.pv_serial * 7:06d}/{when:%y}"
        return Origin(number, rules, grade, observed or iso(when))

    def write(self) -> None:
        for cell in self.world.cells:
            if cell.kind == "logistics":
                self.identify_cell(cell)
                self.road_checks(cell)
                self.anpr_hits(cell)
                self.stop_over(cell)
                self.informant_report(cell)
        self.story_checks()

    # -- people, lines, vehicles, company ----------------------------------------------------

    def person(self, person: Person, origin: Origin) -> str:
        """The person as Belgian records write names: ``LAZARESCU Stefan``."""
        pid = self.ids.person(person)
        properties = {
            "name": f"{fold_ascii(person.family).upper()} {fold_ascii(person.given)}",
            "birthDate": iso(person.birth),
            "birthPlace": fold_ascii(person.birthplace),
            "nationality": [person.nationality],
            "gender": person.sex,
            "idNumber": [national_id(person, self.ids.counts["P"])],
        }
        self.entity(pid, "Person", properties, origin.but(grade=G_B2))
        return pid

    def identify_cell(self, cell: Cell) -> None:
        when = date(2023, 11, 6) if cell.core else date_of(self.rng.randrange(60, 300))
        origin = self.pv(when)
        for member in cell.members:
            pid = self.person(member, origin)
            if member.home is not None:
                home = member.home.key
                self.entity(home, "Address", address_properties(member.home), origin)
                self.link("LIVES_AT", ref(pid, "Person"), ref(home, "Address"), {}, origin)
            for phone in member.phones:
                if phone.country in ("BE", "FR"):
                    self.phone(phone, origin)
                    line = selector("Phone", phone.international())
                    self.link("USES", ref(pid, "Person"), line, {"since": origin.observed}, origin)
        for vehicle in cell.vehicles:
            self.vehicle(cell, vehicle, origin)
        for company in cell.companies:
            if company.role == "foreign":
                self.company(cell, company, origin)

    def phone(self, phone: Phone, origin: Origin) -> None:
        """The line as the operator's register gives it: Belgian lines in national format."""
        number = phone.national() if phone.country == "BE" else phone.international()
        properties = {"number": number, "carrier": phone.carrier, "lineType": "mobile"}
        self.entity(None, "Phone", properties | {"country": phone.country}, origin)

    def vehicle(self, cell: Cell, vehicle: Vehicle, origin: Origin) -> None:
        van = selector("Vehicle", vehicle.plate)
        self.entity(None, "Vehicle", vehicle_properties(vehicle), origin)
        keeper = ref(self.ids.person(vehicle.keeper), "Person")
        self.link("OWNS", keeper, van, {"since": "2022-03-01"}, origin)
        for member in cell.members:
            if member is not vehicle.keeper and member is not cell.head:
                driver = ref(self.ids.person(member), "Person")
                self.link("USES", driver, van, {"role": "chauffeur"}, origin)

    def company(self, cell: Cell, company: Company, origin: Origin) -> None:
        org = f"kbo:{company.siren}"
        properties = {
            "name": company.name,
            "registrationNumber": company.siren,
            "jurisdiction": "BE",
            "legalForm": "SRL",
            "incorporationDate": iso(company.created),
            "kind": "company",
            "sector": "Transport routier de marchandises",
        }
        self.entity(org, "Organization", properties, origin)
        if cell.head is not None:
            head = ref(self.ids.person(cell.head), "Person")
            role = {"role": "gérant", "since": iso(company.created)}
            self.link("DIRECTOR_OF", head, ref(org, "Organization"), role, origin)
        for account in company.accounts:
            self.entity(None, "BankAccount", account_properties(account), origin)
            iban = selector("BankAccount", account.formatted)
            self.link("OWNS", ref(org, "Organization"), iban, {}, origin)

    # -- road checks, plate readers, stop-over flat, informant reporting ---------------------

    def location(self, name: str, latitude: float, longitude: float, origin: Origin) -> str:
        if name not in self.locations:
            self.locations[name] = self.ids.next("LOC")
        lid = self.locations[name]
        properties = {"name": name, "latitude": latitude, "longitude": longitude, "country": "BE"}
        self.entity(lid, "Location", properties, origin.but(rules=H_PJF, grade=G_A1, observed=None))
        return lid

    def convoys_of(self, cell: Cell) -> list[list[Person]]:
        """The groups of victims this logistics cell drove, by date."""
        victims = [v for c in self.world.cells for v in c.victims if v.transported_by is cell]
        return convoys(victims)

    def road_checks(self, cell: Cell) -> None:
        if not cell.vehicles:
            return
        for group in self.convoys_of(cell)[: 2 if cell.core else 3]:
            day = max(0, group[0].arrival - 1)
            if cell.core and date_of(day) in STORY_CHECKS.values():
                continue
            driver = self.rng.choice(cell.members[1:] or cell.members)
            van = self.rng.choice(cell.vehicles)
            self.road_check(date_of(day), driver, van, group, H_PJF)

    def road_check(
        self,
        when: date,
        driver: Person,
        vehicle: Vehicle,
        passengers: list[Person],
        rules: dict[str, Any],
        point: int | None = None,
    ) -> Origin:
        """A check at a border crossing: the event, where it was, who and what was in the van."""
        index = self.rng.randrange(len(BORDER_POINTS)) if point is None else point
        name, latitude, longitude = BORDER_POINTS[index]
        moment = local_time(day_of(when), self.rng.randint(5, 23), self.rng.randrange(60), "CET")
        origin = self.pv(when, rules, G_A1, moment)
        event = self.ids.next("EVT")
        description = f"Contrôle d'un utilitaire immatriculé {vehicle.plate}, "
        self.entity(event, "Event", {
            "name": f"Contrôle routier {name.split(' –')[0]} {when:%d/%m/%Y}",
            "date": moment,
            "place": name,
            "description": description + f"{len(passengers)} passager(s).",
        }, origin)  # fmt: skip
        location = self.location(name, latitude, longitude, origin)
        checked = ref(event, "Event")
        self.link("LOCATED_AT", checked, ref(location, "Location"), {"date": moment}, origin)
        self.entity(None, "Vehicle", vehicle_properties(vehicle), origin)
        van = selector("Vehicle", vehicle.plate)
        self.link("PARTICIPATED_IN", van, checked, {"role": "véhicule contrôlé"}, origin)
        driver_id = ref(self.person(driver, origin), "Person")
        self.link("PARTICIPATED_IN", driver_id, checked, {"role": "conducteur"}, origin)
        for passenger in passengers:
            pid = ref(self.person(passenger, origin), "Person")
            self.link("PARTICIPATED_IN", pid, checked, {"role": "passager"}, origin)
        return origin

    def anpr_hits(self, cell: Cell) -> None:
        """Automatic number-plate readers that saw the cell's vans (one report per van)."""
        for vehicle in cell.vehicles:
            hits = self.rng.randint(22, 30) if cell.core else self.rng.randint(8, 15)
            origin = self.pv(date_of(self.rng.randrange(200, 400)), grade=G_A1)
            days = sorted(self.rng.randrange(PERIOD_DAYS) for _ in range(hits))
            for day in days:
                name, latitude, longitude = self.rng.choice(ANPR_CAMERAS)
                camera = ref(self.location(name, latitude, longitude, origin), "Location")
                moment = local_time(day, self.rng.randint(0, 23), self.rng.randrange(60), "CET")
                van = selector("Vehicle", vehicle.plate)
                self.link("LOCATED_AT", van, camera, {"date": moment}, origin.but(observed=moment))

    def stop_over(self, cell: Cell) -> None:
        """A housing check at the cell's stop-over flat: who was staying there."""
        groups = self.convoys_of(cell)
        if not cell.safe_houses or not groups:
            return
        flat = cell.safe_houses[0]
        guests = groups[-1]
        when = date_of(max(0, guests[0].arrival - 1))
        origin = self.pv(when)
        self.entity(flat.key, "Address", address_properties(flat), origin)
        stay = {"since": iso(when), "until": iso(when + timedelta(days=2))}
        for person in [*guests, cell.members[-1]]:
            pid = ref(self.person(person, origin), "Person")
            self.link("LIVES_AT", pid, ref(flat.key, "Address"), stay, origin)
        if cell.head is None:
            return
        head = ref(self.ids.person(cell.head), "Person")
        for member in cell.members[1:]:
            other = ref(self.person(member, origin), "Person")
            self.link("MET", head, other, {"date": iso(when), "place": flat.full}, origin)

    def informant_report(self, cell: Cell) -> None:
        """Registered-informant reporting: sensitive (CONFIDENTIAL, H3) and graded C3."""
        recruiters = [
            c.head
            for c in self.world.cells
            if c.kind == "recruitment" and c.partner is cell.partner and c.head is not None
        ]
        if cell.head is None or not recruiters:
            return
        when = date_of(self.rng.randrange(120, PERIOD_DAYS - 30))
        moment = local_time(day_of(when), self.rng.randint(10, 21), 0, "CET")
        origin = self.pv(when, H_PJF_SENSITIVE, G_C3, moment)
        head = ref(self.person(cell.head, origin), "Person")
        recruiter = ref(self.person(recruiters[0], origin), "Person")
        meeting = {"date": moment, "place": f"Gare de {cell.city.name}"}
        self.link("MET", head, recruiter, meeting, origin)

    def story_checks(self) -> None:
        """14/10/2023: victims in the van (retention over); 18/06/2024: the leader aboard."""
        key = self.key
        logistics = next(c for c in self.world.cells if c.kind == "logistics" and c.core)
        van = next(v for v in logistics.vehicles if v.plate == VAN_PLATE)
        exploitation = next(c for c in self.world.cells if c.kind == "exploitation" and c.core)
        arrival = STORY_CHECKS["old"] + timedelta(days=1)
        first = [v for v in exploitation.victims if date_of(v.arrival) == arrival]
        expired = self.road_check(STORY_CHECKS["old"], key["driver"], van, first, H_PJF_EXPIRED, 0)
        key["expired_check_record"] = expired.record
        check = self.road_check(
            STORY_CHECKS["leader"], key["broker"], van, [key["leader"]], H_PJF, 0
        )
        seized = check.but(grade=G_B2)
        moment = check.observed or ""
        leader = ref(self.ids.person(key["leader"]), "Person")
        broker = ref(self.ids.person(key["broker"]), "Person")
        for who, (country, nsn) in ((leader, LEADER_PHONE), (broker, BROKER_PHONE)):
            line = selector("Phone", Phone(country, nsn, "", 0, 0).international())
            use = {"since": moment[:10], "role": "téléphone saisi lors du contrôle"}
            self.link("USES", who, line, use, seized)
        self.link("MET", leader, broker, {"date": moment, "place": BORDER_POINTS[0][0]}, seized)
        card = selector("BankAccount", key["transit"].accounts[0].formatted)
        self.link(
            "USES", broker, card, {"role": "carte bancaire trouvée sur le conducteur"}, seized
        )


def write_be_pjf(out: Path, world: World, tally: Tally) -> None:
    with JsonlFile(out / "data" / "be-pjf" / "pjf-charleroi.jsonl", "be-pjf", tally) as file:
        PjfWriter(file, world).write()


# ---------------------------------------------------------------------------------------------
# analyst-fr: the French analyst's notes — attributions, membership, family, meetings, HUMINT

SURVEILLANCES = [  # date, company watched, who was there, vehicle seen (ocrteh:EVT-0001 first)
    (date(2024, 5, 14), "salon", ["leader", "lieutenant", "broker"], VAN_PLATE),
    (date(2024, 2, 20), "transport", ["leader", "launderer"], LEADER_CAR_PLATE),
    (date(2024, 11, 8), "carwash", ["lieutenant", "enforcer", "manager"], None),
]
HUMINT_MEETING = date(2024, 9, 12)
ANALYST_ROLES = {
    "leader": "chef",
    "partner": "prête-nom, gestion des sociétés",
    "enforcer": "homme de main",
    "lieutenant": "lieutenant, responsable des salons",
    "manager": "gérante de salon",
    "launderer": "trésorier, blanchiment",
    "broker": "logisticien, transports RO-BE-FR",
    "driver": "chauffeur",
    "recruiter": "recruteuse",
}
GROUP_NOTES = (
    "Réseau de traite des êtres humains aux fins d'exploitation par le travail dans des salons "
    "de manucure (RO → BE → FR), blanchiment par sociétés écrans."
)


class AnalystWriter(NativeWriter):
    """The analyst's own records, built on what the other sources show."""

    prefix = "ocrteh"
    link_width = 5

    def __init__(self, file: JsonlFile, world: World) -> None:
        super().__init__(file, world)
        self.group = "ocrteh:GRP-0001"
        self.note_serial = 0

    def note(self, when: date) -> Origin:
        """A new analyst note (CONFIDENTIAL, FR only, B2 unless said otherwise)."""
        self.note_serial += 1
        return Origin(f"NOTE-{when:%Y}-{self.note_serial:04d}", H_ANALYST, G_B2, confidence=0.8)

    def link(self, ltype: str, a: End, b: End, properties: dict[str, Any], origin: Origin) -> str:
        """Human-source links are numbered apart: ``ocrteh:HUMINT-0001``."""
        if origin.rules is not H_HUMINT:
            return super().link(ltype, a, b, properties, origin)
        link_id = self.ids.next("HUMINT", 4)
        self.file.link(link_id, ltype, a, b, properties, origin)
        return link_id

    def write(self) -> None:
        origin = self.note(date(2024, 2, 1))
        group = {
            "name": "Réseau « Lys Noir »",
            "aliases": ["clan Lăzărescu"],
            "kind": "criminal_group",
            "notes": GROUP_NOTES,
        }
        self.entity(self.group, "Organization", group, origin.but(observed="2024-02-01"))
        for name in ANALYST_ROLES:
            self.person(self.key[name], origin, ANALYST_ROLES[name])
        for cell in self.world.cells:
            self.cell_membership(cell)
        self.family_ties()
        self.attributions()
        self.surveillance()
        self.employment()
        self.humint()

    def rules_for(self, cell: Cell | None) -> dict[str, Any]:
        """Notes on Belgian or Romanian members are shared with the partner (RESTRICTED)."""
        if cell is not None and cell.kind == "logistics":
            return H_ANALYST_JIT_BE
        if cell is not None and cell.kind == "recruitment":
            return H_ANALYST_JIT_RO
        return H_ANALYST

    def person(self, person: Person, origin: Origin, role: str) -> str:
        if "analyst-fr" in person.ids:
            return person.ids["analyst-fr"]
        pid = self.ids.person(person, "PER", 4)
        properties = {
            "name": person.name,
            "aliases": person.aliases,
            "birthDate": iso(person.birth),
            "birthPlace": person.birthplace,
            "nationality": [person.nationality],
            "gender": person.sex,
            "occupation": role,
        }
        rules = self.rules_for(person.cell)
        self.entity(pid, "Person", properties, origin.but(rules=rules, observed="2024-02-01"))
        return pid

    def cell_membership(self, cell: Cell) -> None:
        origin = self.note(date(2024, 2, 1) if cell.core else date(2024, 10, 1))
        members = cell.members[:1] + [
            m for m in cell.members[1:] if cell.core or self.rng.random() < 0.5
        ]
        for member in members:
            role = ANALYST_ROLES.get(key_of(self.world, member) or "", member.role)
            pid = ref(self.person(member, origin, role), "Person")
            membership = {"role": role, "since": "2023"}
            shared = origin.but(rules=self.rules_for(cell))
            self.link("MEMBER_OF", pid, ref(self.group, "Organization"), membership, shared)

    def family_ties(self) -> None:
        origin = self.note(date(2024, 3, 15))
        ties = [
            ("leader", "partner", "concubins"),
            ("lieutenant", "enforcer", "cousins"),
            ("recruiter", "broker", "belle-sœur / beau-frère"),
        ]
        for a, b, relationship in ties:
            rules = H_ANALYST_JIT_RO if "recruiter" in (a, b) else H_ANALYST
            first = ref(self.person(self.key[a], origin, a), "Person")
            second = ref(self.person(self.key[b], origin, b), "Person")
            tie = {"relationship": relationship}
            self.link("RELATED_TO", first, second, tie, origin.but(rules=rules))

    def attributions(self) -> None:
        """Which person uses which line or car, as assessed from the CDR and the registry."""
        key = self.key
        origin = self.note(date(2024, 4, 2))
        leader = ref(self.person(key["leader"], origin, "chef"), "Person")
        until = {"since": "2023-09-01", "until": iso(PHONE_SWITCH - timedelta(2))}
        self.link("USES", leader, "phone:+33634712598", until, origin.but(confidence=0.85))
        car = "plate:" + LEADER_CAR_PLATE.replace("-", "")
        self.link("USES", leader, car, {}, origin.but(confidence=0.9))
        home = ref(key["partner"].home.key, "Address")
        self.link("LIVES_AT", leader, home, {}, origin.but(confidence=0.9))
        broker = ref(self.person(key["broker"], origin, "logisticien"), "Person")
        self.link("USES", broker, "+33 6 52 17 83 40", {}, origin.but(rules=H_ANALYST_JIT_BE))
        recruiter = ref(self.person(key["recruiter"], origin, "recruteuse"), "Person")
        self.link("USES", recruiter, "+40 744 381 920", {}, origin.but(rules=H_ANALYST_JIT_RO))
        for name in ("partner", "enforcer", "lieutenant", "manager", "launderer"):
            person = key[name]
            for line in (p for p in person.phones if p.country == "FR"):
                who = ref(self.person(person, origin, name), "Person")
                assessed = origin.but(confidence=round(self.rng.uniform(0.7, 0.9), 2))
                self.link("USES", who, selector("Phone", line.international()), {}, assessed)
        for cell in self.world.cells:
            head = cell.head
            if head is None or cell.core or "analyst-fr" not in head.ids:
                continue
            line = next((p for p in head.phones if p.country == "FR"), None)
            if line is not None:
                who = ref(head.ids["analyst-fr"], "Person")
                assessed = origin.but(rules=self.rules_for(cell), confidence=0.7)
                self.link("USES", who, selector("Phone", line.national()), {}, assessed)

    def surveillance(self) -> None:
        """Physical surveillance: who met whom, where, and which vehicle was there."""
        for number, (when, site, present_keys, plate) in enumerate(SURVEILLANCES, 1):
            origin = self.note(when)
            hour, minute = self.rng.randint(10, 19), self.rng.randrange(60)
            moment = local_time(day_of(when), hour, minute, "CET")
            seen = origin.but(grade=G_A1, observed=moment)
            company = self.key[site]
            event = ref(f"ocrteh:EVT-{number:04d}", "Event")
            description = f"Rencontre devant {company.name}"
            self.entity(event["id"], "Event", {
                "name": f"Surveillance {company.name} ({company.address.city.name})",
                "date": moment,
                "place": company.address.full,
                "description": description + (f" ; véhicule {plate} stationné." if plate else "."),
            }, seen)  # fmt: skip
            present = [
                ref(self.person(self.key[k], origin, ANALYST_ROLES[k]), "Person")
                for k in present_keys
            ]
            for pid in present:
                attended = {"role": "présent"}
                self.link("PARTICIPATED_IN", pid, event, attended, seen.but(confidence=0.95))
            if plate:
                van = "plate:" + plate.replace("-", "")
                self.link("PARTICIPATED_IN", van, event, {"role": "véhicule observé"}, seen)
            meeting = {"date": moment, "place": company.address.full}
            for i, a in enumerate(present):
                for b in present[i + 1 :]:
                    self.link("MET", a, b, meeting, seen.but(confidence=0.95))

    def employment(self) -> None:
        """Declared employees of the salons (pre-employment declarations)."""
        origin = self.note(date(2024, 6, 3))
        for cell in self.world.cells:
            salons = [c for c in cell.companies if c.activity == "salon"]
            if cell.kind != "exploitation" or not salons or not cell.core:
                continue
            for member in cell.members[1:]:
                pid = ref(self.person(member, origin, member.role), "Person")
                job = {"role": "employé(e) déclaré(e)", "since": "2022-05-02"}
                self.link("EMPLOYED_BY", pid, ref(salons[0].key, "Organization"), job, origin)

    def humint(self) -> None:
        """Human-source reporting: SECRET, caveat HUMINT. The office originates it, but only
        its readers cleared SECRET with the HUMINT caveat see it."""
        key = self.key
        moment = local_time(day_of(HUMINT_MEETING), 21, 15, "CET")
        met = Origin("HUM-2024-0457", H_HUMINT, G_X3, moment, 0.5)
        told = met.but(observed="2024-09-20")
        leader = ref(self.person(key["leader"], met, "chef"), "Person")
        launderer = ref(self.person(key["launderer"], met, "trésorier"), "Person")
        broker = ref(self.person(key["broker"], met, "logisticien"), "Person")
        restaurant = {"date": moment, "place": "Bruxelles, restaurant (Ixelles)"}
        key["humint_meeting"] = self.link("MET", leader, launderer, restaurant, met)
        new_line = {
            "since": iso(PHONE_SWITCH),
            "role": "nouvelle ligne après le contrôle du 18/06/2024",
        }
        key["humint_phone"] = self.link("USES", leader, "phone:+33749631027", new_line, told)
        self.link("RELATED_TO", leader, broker, {"relationship": "cousins"}, told.but(grade=G_C3))
        treasurer = {"role": "trésorier", "since": "2021"}
        group = ref(self.group, "Organization")
        self.link("MEMBER_OF", launderer, group, treasurer, told.but(grade=G_C3))
        heads = [c.head for c in self.world.cells if not c.core and c.head is not None]
        for head in heads[:: max(1, len(heads) // 8 or 1)][:12]:
            other = ref(self.person(head, met, head.role), "Person")
            self.link(
                "MET",
                leader,
                other,
                {"date": moment, "place": "Bruxelles"},
                met.but(confidence=0.4),
            )


def write_analyst_notes(out: Path, world: World, tally: Tally) -> None:
    path = out / "data" / "analyst-fr" / "notes-ocrteh.jsonl"
    with JsonlFile(path, "analyst-fr", tally, method="analyst") as file:
        AnalystWriter(file, world).write()


# ---------------------------------------------------------------------------------------------
# ro-diicot: Romanian prosecutors (DIICOT Iași) — recruiters, job ads, departures of victims

JOB_ADS = [
    "Angajăm manichiuriste în Franța, 1.800 €/lună, cazare asigurată",
    "Locuri de muncă în saloane de înfrumusețare, Paris, transport gratuit",
    "Căutăm fete serioase pentru salon de unghii în Franța, fără experiență",
]
OLD_MEETING = date(2023, 9, 20)  # DIICOT surveillance, retained only until 2024-06-30


class DiicotWriter(NativeWriter):
    """The Romanian partner's records: national formats (``0744 381 920``, CNP), Romanian text."""

    prefix = "diicot"
    case = "1187/D/P/2023"

    def origin(
        self, part: str, rules: dict[str, Any] = H_DIICOT, observed: str | None = None
    ) -> Origin:
        """A document of the case file (``1187/D/P/2023/PV 0003``)."""
        return Origin(f"{self.case}/{part}", rules, G_B2, observed)

    def person(self, person: Person, origin: Origin) -> str:
        """The person as Romanian records write names: ``LĂZĂRESCU Ștefan``, with the CNP."""
        pid = self.ids.person(person)
        properties = {
            "name": f"{person.family.upper()} {person.given}",
            "birthDate": iso(person.birth),
            "birthPlace": person.birthplace,
            "nationality": [person.nationality],
            "aliases": person.aliases,
            "gender": person.sex,
            "idNumber": [national_id(person, self.ids.counts["P"])],
            "occupation": "persoană vătămată" if person.is_victim else None,
        }
        self.entity(
            pid, "Person", properties, origin.but(rules=H_DIICOT, grade=G_B2, observed=None)
        )
        return pid

    def write(self) -> None:
        for cell in self.world.cells:
            if cell.kind == "recruitment":
                self.recruiters(cell)
                self.job_ads(cell)
                self.recruited_victims(cell)
        self.leader()

    def recruiters(self, cell: Cell) -> None:
        origin = self.origin(f"vol. {self.ids.next('VOL', 2)[-2:]}")
        proven = origin.but(grade=G_A1)
        for member in cell.members:
            pid = ref(self.person(member, origin), "Person")
            if member.home is not None:
                home = member.home.key
                self.entity(home, "Address", address_properties(member.home), origin)
                self.link("LIVES_AT", pid, ref(home, "Address"), {}, origin)
            for phone in member.phones:
                self.link("USES", pid, selector("Phone", phone.dialled_from("RO")), {}, origin)
            for email in member.emails:
                self.link("USES", pid, selector("Email", email), {}, origin)
            for account in member.accounts:
                self.entity(None, "BankAccount", account_properties(account), proven)
                iban = selector("BankAccount", account.formatted)
                self.link("OWNS", pid, iban, {"since": iso(account.opened)}, proven)
            for vehicle in member.vehicles:
                self.entity(None, "Vehicle", vehicle_properties(vehicle), proven)
                self.link("OWNS", pid, selector("Vehicle", vehicle.plate), {}, origin)

    def job_ads(self, cell: Cell) -> None:
        head = cell.head
        if head is None:
            return
        for number in range(2 if cell.core else 1):
            when = date_of(self.rng.randrange(0, 300))
            origin = self.origin(f"anunț {self.ids.next('AD', 3)[-3:]}", H_DIICOT_SHARED)
            origin = origin.but(grade=G_A1)
            document = self.ids.next("DOC")
            self.entity(document, "Document", {
                "title": f"Anunț online: «{JOB_ADS[(number + len(cell.name)) % len(JOB_ADS)]}»",
                "date": iso(when),
                "language": "ro",
                "kind": "anunț de recrutare",
                "reference": origin.record,
            }, origin)  # fmt: skip
            ad = ref(document, "Document")
            contact = selector("Phone", head.phones[0].dialled_from("RO"))
            self.link("MENTIONED_IN", contact, ad, {"mention": "număr de contact"}, origin)
            for email in head.emails:
                mention = {"mention": "adresă de contact"}
                self.link("MENTIONED_IN", selector("Email", email), ad, mention, origin)

    def recruited_victims(self, cell: Cell) -> None:
        head = cell.head
        if head is None:
            return
        victims = [v for c in self.world.cells for v in c.victims if v.recruited_by is cell]
        for group in convoys(victims):
            driver = group[0].transported_by
            self.departure(cell, head, group, driver.vehicles if driver else [])

    def departure(self, cell: Cell, head: Person, group: list[Person], vans: list[Vehicle]) -> None:
        """Victims leaving by minibus, after meeting the recruiter and exchanging e-mails."""
        day = max(0, group[0].arrival - 2)
        moment = local_time(day, 6, 30, "EET")
        origin = self.origin(f"PV {self.ids.next('PV', 4)[-4:]}", observed=moment)
        event = ref(self.ids.next("EVT"), "Event")
        self.entity(event["id"], "Event", {
            "name": f"Plecare microbuz {cell.city.name} → Bruxelles {date_of(day):%d.%m.%Y}",
            "date": moment,
            "place": f"Autogara {cell.city.name}",
        }, origin)  # fmt: skip
        organiser = ref(self.person(head, origin), "Person")
        self.link("PARTICIPATED_IN", organiser, event, {"role": "organizator"}, origin)
        if vans:
            van = self.rng.choice(vans)
            written = van.plate.replace("-", " ")
            self.entity(None, "Vehicle", vehicle_properties(van, written), origin)
            bus = selector("Vehicle", written)
            self.link("PARTICIPATED_IN", bus, event, {"role": "microbuz"}, origin)
        for victim in group:
            pid = ref(self.person(victim, origin), "Person")
            self.link("PARTICIPATED_IN", pid, event, {"role": "pasager"}, origin)
            interview = local_time(max(0, day - self.rng.randint(10, 30)), 17, 0, "EET")
            before = origin.but(observed=interview)
            self.link("MET", organiser, pid, {"date": interview, "place": cell.city.name}, before)
            offer = {"date": interview, "channel": "email", "subject": "Ofertă de muncă Franța"}
            for email in victim.emails:
                for sender in head.emails:
                    mail = (selector("Email", sender), selector("Email", email))
                    self.link("MESSAGED", *mail, offer, before)

    def leader(self) -> None:
        """The leader, known to DIICOT from an earlier case, meeting the recruiter in Iași."""
        key = self.key
        origin = self.origin("vol. 01")
        leader = ref(self.person(key["leader"], origin), "Person")
        line = selector("Phone", key["leader"].phones[0].dialled_from("RO"))
        self.link("USES", leader, line, {"until": iso(PHONE_SWITCH)}, origin)
        recruiter = ref(self.person(key["recruiter"], origin), "Person")
        old = local_time(day_of(OLD_MEETING), 19, 0, "EET")
        expired = self.origin(f"PV {OLD_MEETING:%Y%m%d}", H_DIICOT_EXPIRED, old).but(grade=G_C3)
        self.link("MET", leader, recruiter, {"date": old, "place": "Iași, restaurant"}, expired)
        later = local_time(day_of(date(2024, 2, 3)), 13, 0, "EET")
        meeting = {"date": later, "place": "Iași, Palas Mall"}
        self.link("MET", leader, recruiter, meeting, origin.but(observed=later))
        self.key["diicot_expired_record"] = expired.record


def write_ro_diicot(out: Path, world: World, tally: Tally) -> None:
    with JsonlFile(out / "data" / "ro-diicot" / "diicot-iasi.jsonl", "ro-diicot", tally) as file:
        DiicotWriter(file, world).write()


# ---------------------------------------------------------------------------------------------
# Configuration: sources, CSV mappings, manifest and principals

SOURCES = {
    "registry-fr": {
        "title": "Registre national des entreprises (extrait) : sociétés, dirigeants, "
        "bénéficiaires effectifs",
        "country": "FR",
        "provenance": {"method": "structured", "confidence": 1.0},
        "grading": G_A1,
        "handling": H_REGISTRY,
    },
    "cdr-fr": {
        "title": "Fadettes : réquisitions aux opérateurs (abonnés ; appels, SMS, MMS), "
        "heure de Paris",
        "country": "FR",
        "provenance": {"method": "structured", "confidence": 1.0},
        "grading": G_A1,
        "handling": H_CDR,
    },
    "bank-fr": {
        "title": "Réquisitions bancaires (titulaires, opérations) et déclaration Tracfin",
        "country": "FR",
        "provenance": {"method": "structured", "confidence": 1.0},
        "grading": G_A1,
        "handling": H_BANK,
    },
    "be-pjf": {
        "title": "Police judiciaire fédérale de Charleroi : identifications, véhicules, contrôles",
        "country": "BE",
        "provenance": {"method": "structured", "confidence": 0.9},
        "grading": G_B2,
        "handling": H_PJF,
    },
    "analyst-fr": {
        "title": "Notes de l'analyste OCRTEH (dont renseignement d'origine humaine)",
        "country": "FR",
        "provenance": {"method": "analyst", "confidence": 0.8},
        "grading": G_B2,
        "handling": H_ANALYST,
    },
    "ro-diicot": {
        "title": "DIICOT Iași : dosar 1187/D/P/2023 (recrutori, anunțuri, plecări)",
        "country": "RO",
        "provenance": {"method": "structured", "confidence": 0.9},
        "grading": G_B2,
        "handling": H_DIICOT,
    },
}

ADDRESS_PROPERTIES = """\
    properties:
      full: "{numero_voie} {voie}, {code_postal} {commune}"
      street: "{numero_voie} {voie}"
      postalCode: "{code_postal}"
      city: "{commune}"
      country: FR"""
NATIONALITY_MAP = "{column: nationalite, map: {Française: FR, Roumaine: RO, Belge: BE}}"

MAPPINGS = {
    "registry-fr-entreprises.yaml": f"""\
# Registre national des entreprises, extract: one row per company (seat address as a BAN key).
source: registry-fr
csv: {{delimiter: ";"}}
record: "{{siren}}"
entities:
  company:
    type: Organization
    id: "siren:{{siren}}"
    properties:
      name: "{{denomination}}"
      registrationNumber: "{{siren}}"
      jurisdiction: FR
      legalForm: "{{forme_juridique}}"
      incorporationDate: "{{date_immatriculation}}"
      dissolutionDate: "{{date_radiation}}"
      status: "{{etat}}"
      sector: "{{code_ape}} {{activite}}"
      kind: company
  seat:
    type: Address
    id: "ban:{{cle_ban}}"
{ADDRESS_PROPERTIES}
links:
  - type: REGISTERED_AT
    from: company
    to: seat
    properties:
      since: "{{date_immatriculation}}"
""",
    "registry-fr-representants.yaml": f"""\
# Officers (représentants légaux): a natural person (with a home address) or a legal person,
# as type_representant says. The registry publishes birth dates as year and month only; they
# stay partial dates.
source: registry-fr
csv: {{delimiter: ";"}}
record: "{{siren}}/R{{rang}}"
entities:
  company:
    type: Organization
    id: "siren:{{siren}}"
  officer:
    type: Person
    when: {{column: type_representant, equals: Personne physique}}
    id: "rne:{{identifiant}}"
    properties:
      name: "{{prenoms}} {{nom_denomination}}"
      birthDate: "{{date_naissance}}"
      birthPlace: "{{lieu_naissance}}"
      nationality: {NATIONALITY_MAP}
  corporate_officer:
    type: Organization
    when: {{column: type_representant, equals: Personne morale}}
    id: "siren:{{identifiant}}"
    properties:
      name: "{{nom_denomination}}"
  home:
    type: Address
    id: "ban:{{cle_ban}}"
    optional: true
{ADDRESS_PROPERTIES}
links:
  - type: DIRECTOR_OF
    from: officer
    to: company
    properties: {{role: "{{qualite}}", since: "{{date_debut}}", until: "{{date_fin}}"}}
  - type: DIRECTOR_OF
    from: corporate_officer
    to: company
    properties: {{role: "{{qualite}}", since: "{{date_debut}}", until: "{{date_fin}}"}}
  - type: LIVES_AT
    from: officer
    to: home
""",
    "registry-fr-beneficiaires.yaml": f"""\
# Shareholders and beneficial owners: natural persons or companies (type_associe), with their
# share of the capital in percent, written the French way (75,00).
source: registry-fr
csv: {{delimiter: ";", decimal: ","}}
record: "{{siren}}/B{{rang}}"
entities:
  company:
    type: Organization
    id: "siren:{{siren}}"
  owner:
    type: Person
    when: {{column: type_associe, equals: Personne physique}}
    id: "rne:{{identifiant}}"
    properties:
      name: "{{prenoms}} {{nom_denomination}}"
      birthDate: "{{date_naissance}}"
      nationality: {NATIONALITY_MAP}
  corporate_owner:
    type: Organization
    when: {{column: type_associe, equals: Personne morale}}
    id: "siren:{{identifiant}}"
    properties:
      name: "{{nom_denomination}}"
links:
  - type: OWNS
    from: owner
    to: company
    properties: {{share: "{{pourcentage_capital}}", since: "{{date_effet}}"}}
  - type: OWNS
    from: corporate_owner
    to: company
    properties: {{share: "{{pourcentage_capital}}", since: "{{date_effet}}"}}
""",
    "cdr-fr-abonnes.yaml": """\
# Subscribers of the requisitioned lines, as the operators declare them. Prepaid identities
# are declarative (often invented), hence the lower confidence.
source: cdr-fr
csv: {delimiter: ";"}
record: "{id_contrat}"
provenance: {confidence: 0.6}
entities:
  subscriber:
    type: Person
    id: "cdr-fr:{id_abonne}"
    properties:
      name: "{prenom} {nom}"
      birthDate: {column: date_naissance, format: "%d/%m/%Y"}
      gender: {column: civilite, map: {"M.": male, "Mme": female}}
  line:
    type: Phone
    id: "{numero}"
    properties:
      carrier: "{operateur}"
      lineType: mobile
      country: FR
links:
  - type: USES
    from: subscriber
    to: line
    properties:
      since: {column: date_activation, format: "%d/%m/%Y"}
      until: {column: date_resiliation, format: "%d/%m/%Y"}
      role: {column: offre, map: {"Prépayé": titulaire (prépayé), "Forfait": titulaire (forfait)}}
""",
    "cdr-fr-communications.yaml": """\
# Communications of the target lines: voice calls, SMS and MMS in one file, as the operators
# deliver them; the "type" column makes a row a CALLED or a MESSAGED link. Times are French
# local time; French numbers in national format, foreign ones with the 00 international prefix.
source: cdr-fr
csv: {delimiter: ";"}
timezone: Europe/Paris
record: "{id_appel}"
entities:
  caller: {type: Phone, id: "{numero_appelant}"}
  callee: {type: Phone, id: "{numero_appele}"}
links:
  - type: CALLED
    when: {column: type, equals: VOIX}
    from: caller
    to: callee
    properties:
      date: {column: date_heure_debut, format: "%d/%m/%Y %H:%M:%S"}
      durationSeconds: "{duree_s}"
      cellId: "{cellule}"
  - type: MESSAGED
    when: {column: type, in: [SMS, MMS]}
    from: caller
    to: callee
    properties:
      date: {column: date_heure_debut, format: "%d/%m/%Y %H:%M:%S"}
      channel: {column: type, map: {SMS: sms, MMS: mms}}
      cellId: "{cellule}"
""",
    "bank-fr-titulaires.yaml": """\
# Parties to the requisitioned accounts, one row each as the bank lists them: the holder
# (Titulaire, or Co-titulaire of a joint account) and the holder of a power of attorney
# (Mandataire); a natural person (PP, by the bank's client number) or a legal person (PM, by
# its SIREN, which joins the company registry).
source: bank-fr
csv: {delimiter: ";"}
record: "{iban}/{rang}"
entities:
  account:
    type: BankAccount
    id: "{iban}"
    properties:
      bic: "{bic}"
      bank: "{banque}"
      currency: "{devise}"
      openedDate: {column: date_ouverture, format: "%d/%m/%Y"}
  person:
    type: Person
    when: {column: type_personne, equals: PP}
    id: "bank-fr:{id_client}"
    properties:
      name: "{prenom} {nom_ou_raison_sociale}"
      birthDate: {column: date_naissance, format: "%d/%m/%Y"}
  company:
    type: Organization
    when: {column: type_personne, equals: PM}
    id: "siren:{siren}"
    properties:
      name: "{nom_ou_raison_sociale}"
      registrationNumber: "{siren}"
      jurisdiction: FR
links:
  - type: OWNS
    when: {column: qualite, in: [Titulaire, Co-titulaire]}
    from: person
    to: account
    properties: {since: {column: date_debut, format: "%d/%m/%Y"}}
  - type: OWNS
    when: {column: qualite, in: [Titulaire, Co-titulaire]}
    from: company
    to: account
    properties: {since: {column: date_debut, format: "%d/%m/%Y"}}
  - type: USES
    when: {column: qualite, equals: Mandataire}
    from: person
    to: account
    properties:
      since: {column: date_debut, format: "%d/%m/%Y"}
      role: mandataire (procuration)
""",
    "bank-fr-operations.yaml": """\
# Account transactions (debits of the requisitioned accounts) as the bank exports them: the
# booking date (a date, no time of day), amounts with a decimal comma and a space between
# thousands (1 234,56).
source: bank-fr
csv: {delimiter: ";", decimal: ","}
record: "{id_operation}"
entities:
  payer: {type: BankAccount, id: "{iban_donneur}"}
  payee: {type: BankAccount, id: "{iban_beneficiaire}"}
links:
  - type: TRANSFERRED_TO
    from: payer
    to: payee
    properties:
      date: {column: date_operation, format: "%d/%m/%Y"}
      amount: "{montant}"
      currency: "{devise}"
      reference: "{libelle}"
      channel:
        column: type_operation
        map: {VIREMENT SEPA: wire, VIREMENT INSTANTANE: wire, CARTE: card}
""",
    "bank-fr-tracfin.yaml": f"""\
# Tracfin (the French FIU) disclosure: cash sent through money-transfer agencies to Romanian
# accounts, with the time on the agency's receipt (French local time) and French amounts.
# Same source as the bank data, but originated by Tracfin, caveat FIU, kept ten years.
source: bank-fr
csv: {{delimiter: ";", decimal: ","}}
timezone: Europe/Paris
record: "{{id_signalement}}"
grading: {{source: A, information: "2"}}
handling: {{caveats: [FIU], originator: {TRACFIN}, retainUntil: "{RETAINED_LONG}"}}
entities:
  sender:
    type: Person
    id: "tracfin:{{piece_identite}}"
    properties:
      name: "{{prenom_donneur}} {{nom_donneur}}"
      birthDate: {{column: naissance_donneur, format: "%d/%m/%Y"}}
      idNumber: "{{piece_identite}}"
  payee: {{type: BankAccount, id: "{{iban_beneficiaire}}"}}
links:
  - type: TRANSFERRED_TO
    from: sender
    to: payee
    properties:
      date: {{column: date_operation, format: "%d/%m/%Y %H:%M"}}
      amount: "{{montant}}"
      currency: "{{devise}}"
      reference: "{{agence}}"
      channel: {{column: canal, map: {{"Transfert d'espèces": money_transfer}}}}
""",
}

MANIFEST_FILES = [  # data file, mapping (None: native JSONL)
    ("data/registry-fr/entreprises.csv", "registry-fr-entreprises.yaml"),
    ("data/registry-fr/representants.csv", "registry-fr-representants.yaml"),
    ("data/registry-fr/beneficiaires.csv", "registry-fr-beneficiaires.yaml"),
    ("data/cdr-fr/abonnes.csv", "cdr-fr-abonnes.yaml"),
    ("data/cdr-fr/communications.csv", "cdr-fr-communications.yaml"),
    ("data/bank-fr/titulaires.csv", "bank-fr-titulaires.yaml"),
    ("data/bank-fr/operations.csv", "bank-fr-operations.yaml"),
    ("data/bank-fr/tracfin-signalements.csv", "bank-fr-tracfin.yaml"),
    ("data/be-pjf/pjf-charleroi.jsonl", None),
    ("data/analyst-fr/notes-ocrteh.jsonl", None),
    ("data/ro-diicot/diicot-iasi.jsonl", None),
]

PRINCIPALS = [
    {"id": "fr-analyst", "name": "Analyste criminelle, OCRTEH", "agency": OCRTEH, "country": "FR",
     "clearance": "CONFIDENTIAL", "caveats": [], "roles": ["analyst"]},
    {"id": "fr-supervisor", "name": "Commandant, chef de groupe OCRTEH", "agency": OCRTEH,
     "country": "FR", "clearance": "SECRET", "caveats": ["HUMINT", "FIU"],
     "roles": ["supervisor", "analyst"]},
    {"id": "be-analyst", "name": "Analyste stratégique, PJF Charleroi", "agency": PJF,
     "country": "BE", "clearance": "RESTRICTED", "caveats": [], "roles": ["analyst"]},
    {"id": "ro-analyst", "name": "Analist, DIICOT Iași", "agency": DIICOT, "country": "RO",
     "clearance": "CONFIDENTIAL", "caveats": [], "roles": ["analyst"]},
    {"id": "auditor", "name": "Inspectrice, IGPN (contrôle des accès)", "agency": "FR-IGPN",
     "country": "FR", "clearance": "UNCLASSIFIED", "caveats": [], "roles": ["auditor"]},
]  # fmt: skip


def flow_yaml(value: Any) -> str:
    """A value as one line of YAML flow style, keys in the order given."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1000
    )
    return str(text).removesuffix("\n...\n").strip()


def write_text(path: Path, text: str, tally: Tally) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    tally.files.append(path)


def sources_yaml() -> str:
    lines = [
        "# The sources of the case and the defaults their records take",
        "# (see graphsvc/ingest/sources.py).",
        "# Native JSONL records carry their own handling; these defaults fill what a record omits.",
        "sources:",
    ]
    for name, spec in SOURCES.items():
        lines.append(f"  {name}:")
        for field_name, value in spec.items():
            lines.append(f"    {field_name}: {flow_yaml(value)}")
    return "\n".join(lines) + "\n"


def manifest_yaml() -> str:
    lines = [
        "# Opération Lys Noir: every file of the case. Paths are relative to this manifest.",
        "#   graphsvc --store data/graph.db ingest seed/manifest.yaml",
        "sources: sources.yaml",
        "files:",
    ]
    for path, mapping in MANIFEST_FILES:
        entry = (
            {"path": path} if mapping is None else {"path": path, "mapping": f"mappings/{mapping}"}
        )
        lines.append(f"  - {flow_yaml(entry)}")
    return "\n".join(lines) + "\n"


DEMO_KEY_CREATED = "2026-11-23T00:00:00+00:00"


def demo_token(principal_id: str) -> str:
    """The published API key of a demo principal (README, "Demo principals and tokens")."""
    return f"gsk_demo-{principal_id}_lys-noir-public-demo-token"


def principals_yaml() -> str:
    lines = [
        "# Who reads the case (format: graphsvc/policy/principals.py). Tests rely on these ids.",
        "# DEMO ONLY: each principal's API key is gsk_demo-<id>_lys-noir-public-demo-token, which",
        "# the README publishes. Never serve real data with this file.",
        "principals:",
    ]
    for principal in PRINCIPALS:
        lines.append(f"  - id: {principal['id']}")
        for field_name, value in principal.items():
            if field_name != "id":
                lines.append(f"    {field_name}: {flow_yaml(value)}")
        token = demo_token(str(principal["id"]))
        # a fixed salt keeps the generated seed byte-identical; the token is public anyway
        salt = hashlib.sha256(f"graphsvc demo salt {principal['id']}".encode()).hexdigest()[:32]
        key = key_for(token, created=DEMO_KEY_CREATED, salt=salt)
        lines.append("    keys:")
        lines.append(f"      - {flow_yaml(key.model_dump())}")
    return "\n".join(lines) + "\n"


def write_configuration(out: Path, tally: Tally) -> None:
    for name, text in MAPPINGS.items():
        write_text(out / "mappings" / name, text, tally)
    write_text(out / "sources.yaml", sources_yaml(), tally)
    write_text(out / "manifest.yaml", manifest_yaml(), tally)
    write_text(out / "principals.yaml", principals_yaml(), tally)


# ---------------------------------------------------------------------------------------------
# Putting it together


def stream_sizes(links: int | None, structural: int) -> dict[str, int]:
    """How many calls, messages and transactions: fixed for the seed, else what fills ``links``."""
    if links is None:
        return dict(SEED_STREAMS)
    budget = max(0, links - structural)
    sizes = {name: int(budget * share) for name, share in STREAM_SHARES.items()}
    sizes["calls"] += budget - sum(sizes.values())
    return sizes


def generate(out: Path, links: int | None, seed: int) -> tuple[World, Tally]:
    ratio = 1.0 if links is None else max(1.0, links / SEED_LINKS)
    satellites = round(SEED_SATELLITE_CELLS * ratio**WORLD_GROWTH)
    world = CaseBuilder(seed, satellites, ratio**CIRCLE_GROWTH).build()
    tally = Tally()
    write_registry(out, world, tally)
    write_subscribers(out, world, tally)
    write_account_holders(out, world, tally)
    write_be_pjf(out, world, tally)
    write_analyst_notes(out, world, tally)
    write_ro_diicot(out, world, tally)
    sizes = stream_sizes(links, tally.total_links)
    rng = np.random.default_rng(seed)
    cdr, bank = out / "data" / "cdr-fr", out / "data" / "bank-fr"
    write_cdr(cdr / "communications.csv", world, sizes["calls"], sizes["texts"], rng, tally)
    write_transfers(bank / "operations.csv", world, sizes["transfers"], rng, tally)
    fiu_rng = random.Random(f"{seed}:fiu")
    write_fiu_disclosure(bank / "tracfin-signalements.csv", world, sizes["fiu"], fiu_rng, tally)
    write_configuration(out, tally)
    return world, tally


def story_facts(world: World) -> dict[str, str]:
    """The ids a reader (or a test) needs to follow the story."""
    key = world.key
    leader = key["leader"]
    return {
        "leader": ", ".join(f"{source} {pid}" for source, pid in leader.ids.items()),
        "leader's lines": f"phone:{Phone(*LEADER_PHONE, '', 0, 0).e164} (until the switch), "
        f"phone:{Phone(*LEADER_NEW_PHONE, '', 0, 0).e164} (HUMINT attribution)",
        "broker": f"{key['broker'].name}: phone:{Phone(*BROKER_PHONE, '', 0, 0).e164}, "
        + ", ".join(f"{s} {i}" for s, i in key["broker"].ids.items()),
        "Belgian IBAN": f"iban:{key['transit'].accounts[0].iban} ({key['transit'].name})",
        "van": f"plate:{VAN_PLATE.replace('-', '')}",
        "a victim's account": victim_account(world),
        "holding": f"{key['holding'].key} ({key['holding'].name})",
        "domiciliation address": key["domiciliation"].address.key,
        "HUMINT links": f"{key['humint_meeting']}, {key['humint_phone']}",
        "expired records": f"be-pjf {key['expired_check_record']}, "
        f"ro-diicot {key['diicot_expired_record']}",
    }


def victim_account(world: World) -> str:
    core = next(c for c in world.cells if c.kind == "exploitation" and c.core)
    account = core.victims[0].accounts[0]
    proxy = account.proxy.name if account.proxy else "nobody"
    return f"iban:{account.iban} (held by {core.victims[0].name}, power of attorney: {proxy})"


def print_summary(world: World, tally: Tally, out: Path, seconds: float) -> None:
    print(f"wrote {len(tally.files)} files to {out} in {seconds:.1f}s")
    victims = sum(len(c.victims) for c in world.cells)
    print(
        f"world: {len(world.cells)} cells, {len(world.persons)} persons ({victims} victims), "
        f"{len(world.phones)} lines, {len(world.accounts)} accounts, "
        f"{len(world.companies)} companies, {len(world.vehicles)} vehicles"
    )
    native = sum(tally.entity_records.values())
    print(f"links: {tally.total_links}  entity records (native sources): {native}")
    for title, counter in (
        ("links by source", tally.links),
        ("links by classification", tally.by_classification),
        ("links by handling code", tally.by_code),
    ):
        print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    for name, value in story_facts(world).items():
        print(f"  {name}: {value}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Generate the graphsvc demo case (Opération Lys Noir)."
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory (created)")
    parser.add_argument("--links", type=int, help="scale the case to about this many links")
    parser.add_argument("--seed", type=int, default=20240514, help="random seed (default 20240514)")
    args = parser.parse_args(argv)
    if args.links is not None and args.links < 1:
        parser.error("--links must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    world, tally = generate(args.out, args.links, args.seed)
    print_summary(world, tally, args.out, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
