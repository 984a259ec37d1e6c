"""The small hand-built case of the query tests, whose every answer can be worked out by
hand (the ``small`` fixture of ``conftest.py`` loads it):

- four persons: ``t-p1`` Ivan Petrov (FR, RO), ``t-p2`` Elena Popescu (RO), ``t-p3`` Jan
  Peeters (BE), ``t-p4`` Ștefan Lăzărescu (no nationality); an organisation ``t-o1``;
  four bank accounts (``iban:...``) that transfer money along a chain;
- MET links dated around 2024-03-01 (one on the evening of March 1st, one the next morning);
- one SECRET link (``m-secret``) and one link under the HUMINT caveat (``m-humint``): the
  ``HIGH`` principal (SECRET, HUMINT) sees them, the ``LOW`` one (CONFIDENTIAL) does not.
"""

from __future__ import annotations

from typing import Any

from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from tests.conftest import entity, link, scope_of

IBAN_1 = "FR7630006000011234567890189"
IBAN_2 = "BE68539007547034"
IBAN_3 = "DE89370400440532013000"
IBAN_4 = "GB82WEST12345698765432"
ACCOUNTS = [f"iban:{i}" for i in (IBAN_1, IBAN_2, IBAN_3, IBAN_4)]

SECRET = {"classification": "SECRET"}
HUMINT = {"classification": "CONFIDENTIAL", "caveats": ["HUMINT"]}

# (link id, from, to, amount, date): the money trail between the accounts
TRANSFERS = [
    ("x-12", IBAN_1, IBAN_2, 3000, "2024-01-10T10:00:00Z"),
    ("x-23", IBAN_2, IBAN_3, 7000, "2024-01-11T10:00:00Z"),
    ("x-34", IBAN_3, IBAN_4, 12000, "2024-01-12T10:00:00Z"),
    ("x-14", IBAN_1, IBAN_4, 5000, "2024-01-13T10:00:00Z"),
]


def person(entity_id: str) -> dict[str, str]:
    return {"id": entity_id, "type": "Person"}


def account(iban: str) -> dict[str, str]:
    return {"type": "BankAccount", "value": iban}


def small_records() -> list[dict[str, Any]]:
    records = [
        entity(
            "t-p1",
            name="Ivan Petrov",
            nationality=["FR", "RO"],
            aliases=["Vanya", "Le Russe"],
            birthDate="1980-02-03",
        ),
        entity("t-p2", name="Elena Popescu", nationality=["RO"], birthDate="1985-06-07"),
        entity("t-p3", name="Jan Peeters", nationality=["BE"]),
        entity("t-p4", name="Ștefan Lăzărescu"),
        entity("t-o1", "Organization", name="Acme SRL"),
        *(entity(None, "BankAccount", iban=i) for i in (IBAN_1, IBAN_2, IBAN_3, IBAN_4)),
        link("m-12", person("t-p1"), person("t-p2"), date="2024-03-01T21:30:00Z"),
        link("m-23", person("t-p2"), person("t-p3"), date="2024-03-02T08:00:00Z"),
        link("m-secret", person("t-p3"), person("t-p4"), handling=SECRET, date="2024-02-15"),
        link("m-humint", person("t-p1"), person("t-p4"), handling=HUMINT, date="2024-02-20"),
        link(
            "e-1",
            person("t-p1"),
            {"id": "t-o1", "type": "Organization"},
            "EMPLOYED_BY",
            since="2019-01-01",
        ),
        link("u-1", person("t-p1"), account(IBAN_1), "USES"),
        link("u-3", person("t-p2"), account(IBAN_3), "USES"),
    ]
    for link_id, a, b, amount, when in TRANSFERS:
        records.append(
            link(link_id, account(a), account(b), "TRANSFERRED_TO", amount=amount, date=when)
        )
    return records


def high_scope(schema: Schema) -> Scope:
    """Cleared SECRET with the HUMINT caveat: sees every record of the small case."""
    return scope_of(schema, clearance="SECRET", caveats=["HUMINT"])


def low_scope(schema: Schema) -> Scope:
    """Cleared CONFIDENTIAL, no caveat: the SECRET and HUMINT links are out of sight."""
    return scope_of(schema, clearance="CONFIDENTIAL", caveats=[])
