"""The visibility rule, case by case, and principals files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graphsvc.errors import InvalidConfig, NotFound
from graphsvc.model.records import Handling
from graphsvc.policy import Principals, Scope
from tests.conftest import make_principal


def handling(**fields: object) -> Handling:
    base: dict[str, object] = {
        "classification": "RESTRICTED",
        "releasable_to": (),
        "caveats": (),
        "code": "H0",
        "originator": "BE-PJF",
        "retain_until": None,
    }
    base.update(fields)
    return Handling(**base)  # type: ignore[arg-type]


@pytest.fixture
def fr(schema):
    return Scope.of(
        make_principal(clearance="CONFIDENTIAL", caveats=["FIU"]),
        schema.policy,
        today=date(2025, 6, 1),
    )


@pytest.mark.parametrize(
    ("fields", "visible"),
    [
        ({}, True),
        ({"classification": "CONFIDENTIAL"}, True),
        ({"classification": "SECRET"}, False),
        ({"releasable_to": ("FR",)}, True),
        ({"releasable_to": ("BE", "DE")}, False),
        ({"releasable_to": ("BE", "FR-DCPJ")}, True),  # releasable to the agency
        ({"caveats": ("FIU",)}, True),
        ({"caveats": ("FIU", "HUMINT")}, False),
        ({"retain_until": "2025-06-01"}, True),  # the last day is still inside
        ({"retain_until": "2025-05-31"}, False),
        # the originating agency sees its own records whatever their releasability and
        # retention, but its people's clearance and caveats still apply
        ({"originator": "FR-DCPJ", "releasable_to": ("BE",), "retain_until": "2020-01-01"}, True),
        ({"originator": "FR-DCPJ", "classification": "SECRET"}, False),
        ({"originator": "FR-DCPJ", "caveats": ("HUMINT",)}, False),
    ],
)
def test_visibility_rule(fr, fields, visible):
    assert fr.allows(handling(**fields)) is visible


def test_a_level_the_policy_no_longer_lists_is_visible_to_no_one(fr):
    # a deployment withdrew a level from handling.yaml: reads go on, the records stay hidden,
    # and nothing names the level to the reader
    assert fr.allows(handling(classification="COSMIC")) is False
    assert fr.allows(handling(classification="COSMIC", originator="FR-DCPJ")) is False


def test_scopes_that_see_the_same_share_a_key(schema):
    a = Scope.of(make_principal(id="a"), schema.policy, today=date(2025, 1, 1))
    b = Scope.of(make_principal(id="b", roles=["auditor"]), schema.policy, today=date(2025, 1, 1))
    c = Scope.of(make_principal(id="c", caveats=["FIU"]), schema.policy, today=date(2025, 1, 1))
    d = Scope.of(make_principal(id="a"), schema.policy, today=date(2025, 1, 2))
    assert a.key == b.key
    assert len({a.key, c.key, d.key}) == 3


def test_principals_file(tmp_path: Path, schema):
    path = tmp_path / "principals.yaml"
    path.write_text(
        "principals:\n"
        "  - {id: fr, agency: fr-ocrteh, country: fr, clearance: SECRET, caveats: [HUMINT]}\n"
        "  - {id: be, agency: BE-PJF, country: BE, clearance: RESTRICTED,"
        " roles: [analyst, auditor]}\n"
    )
    principals = Principals.load(path, schema.policy)
    assert [p.id for p in principals] == ["fr", "be"]
    assert principals.get("fr").agency == "FR-OCRTEH" and principals.get("fr").country == "FR"
    with pytest.raises(NotFound, match="did you mean be"):
        principals.get("bee")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{id: x, agency: A-B, country: FR, clearance: TOPSECRET}", "clearance 'TOPSECRET'"),
        (
            "{id: x, agency: A-B, country: FR, clearance: SECRET, caveats: [NOPE]}",
            "unknown caveats",
        ),
        ("{id: x, agency: A-B, country: ZZ, clearance: SECRET}", "country"),
        ("{id: x, agency: A-B, country: FR, clearance: SECRET, roles: [god]}", "roles"),
        ("{id: x, agency: A-B, country: FR, clearance: SECRET, colour: blue}", "colour"),
    ],
)
def test_bad_principals_are_named(tmp_path: Path, schema, line, message):
    path = tmp_path / "principals.yaml"
    path.write_text(f"principals:\n  - {line}\n")
    with pytest.raises(InvalidConfig) as info:
        Principals.load(path, schema.policy)
    assert message in str(info.value) or message in (info.value.field or "")
    assert "principals" in str(info.value)
