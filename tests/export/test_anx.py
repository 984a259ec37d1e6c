"""i2 ANX export, read back with lxml (an independent reader) and compared item by item with
what the export graph says (entities, links, their provenance, grading and handling, the
banner), never with the writer's own output."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree

from graphsvc.export import anx
from graphsvc.export.attributes import CANDIDATE_TYPE
from graphsvc.export.graph import Candidate, ExportGraph, graph_of
from graphsvc.export.purpose import Purpose
from graphsvc.model.graph import Entity, Link, Statement
from graphsvc.model.records import Grading
from graphsvc.model.schema import Schema
from tests.export.conftest import Made, Maker

AWKWARD = "Lăzărescu <&>\"' a\nb\r\nc\x01 d -- e, f; ș"
CLEAN = AWKWARD.replace("\x01", "")
TYPES = {"AttText", "AttNumber", "AttFlag", "AttTime"}


# -- an independent reader ---------------------------------------------------------------------


@dataclass
class Parsed:
    root: Any
    text: str
    classes: dict[str, str]  # attribute class name -> type
    grades: dict[str, list[str]]  # GradeOne/GradeTwo/GradeThree -> codes by index
    strengths: dict[str, str]  # name -> dot style
    entity_types: dict[str, tuple[str, str]]  # Id -> (name, icon file)
    link_types: dict[str, str]  # Id -> name
    entities: dict[str, Any]  # Identity -> chart item
    identity: dict[str, str]  # EntityId -> Identity
    links: list[Any]  # link chart items


def parse(data: bytes) -> Parsed:
    root = etree.fromstring(data, etree.XMLParser(no_network=True))
    assert root.tag == "Chart"
    assert root.get("IdReferenceLinking") == "false"
    ids = [e.get("Id") for e in root.iter() if e.get("Id") is not None]
    assert len(ids) == len(set(ids)), "xsd:ID values must be unique in the document"
    classes: dict[str, str] = {}
    class_ids: dict[str, str] = {}
    for c in root.findall("AttributeClassCollection/AttributeClass"):
        assert c.get("Type") in TYPES and c.get("Name") not in classes
        classes[c.get("Name")] = c.get("Type")
        class_ids[c.get("Id")] = c.get("Name")
    grades = {
        tag: [s.get("Text").split(" - ")[0] for s in root.findall(f"{tag}/StringCollection/String")]
        for tag in ("GradeOne", "GradeTwo", "GradeThree")
    }
    strengths = {
        s.get("Name"): s.get("DotStyle") for s in root.findall("StrengthCollection/Strength")
    }
    entity_types = {
        t.get("Id"): (t.get("Name"), t.get("IconFile"))
        for t in root.findall("EntityTypeCollection/EntityType")
    }
    link_types = {t.get("Id"): t.get("Name") for t in root.findall("LinkTypeCollection/LinkType")}
    entities: dict[str, Any] = {}
    identity: dict[str, str] = {}
    links = []
    (collection,) = root.findall("ChartItemCollection")
    for item in collection.findall("ChartItem"):
        for a in item.findall("AttributeCollection/Attribute"):
            assert class_ids[a.get("AttributeClassReference")] == a.get("AttributeClass")
        entity = item.find("End/Entity")
        if entity is not None:
            assert entity.get("Identity") not in entities
            assert entity.get("EntityId") not in identity
            entities[entity.get("Identity")] = item
            identity[entity.get("EntityId")] = entity.get("Identity")
        else:
            assert item.find("Link") is not None
            links.append(item)
    return Parsed(
        root,
        data.decode("utf-8"),
        classes,
        grades,
        strengths,
        entity_types,
        link_types,
        entities,
        identity,
        links,
    )


def values(item: Any) -> dict[str, str]:
    return {
        a.get("AttributeClass"): a.get("Value")
        for a in item.findall("AttributeCollection/Attribute")
    }


def grade(parsed: Parsed, element: Any, which: str) -> str | None:
    index = element.get(f"Grade{which}Index")
    return None if index is None else parsed.grades[f"Grade{which}"][int(index)]


def anx_moment(value: str) -> tuple[str, bool]:
    """ANX ``DateTime`` text of an ISO date, partial date or instant, and whether timed."""
    if len(value) == 4:
        return f"{value}-01-01T00:00:00.000", False
    if len(value) == 7:
        return f"{value}-01T00:00:00.000", False
    if len(value) == 10:
        return f"{value}T00:00:00.000", False
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000"), True


def link_date(link: Link, schema: Schema) -> str | None:
    prop = schema.links[link.type].time_property
    value = link.properties.get(prop) if prop else None
    return value if isinstance(value, str) else link.provenance.observed_at


def write(made: Made, schema: Schema) -> Parsed:
    return parse(anx.write(made.graph, made.banner, schema))


@pytest.fixture(scope="module")
def seed(make_export: Maker, schema: Schema) -> tuple[Made, Parsed]:
    made = make_export()
    return made, write(made, schema)


def by_link_id(parsed: Parsed) -> dict[str, Any]:
    out = {values(item)[anx.LINK_ID]: item for item in parsed.links}
    assert len(out) == len(parsed.links)
    return out


# -- structure -----------------------------------------------------------------------------------


def test_one_chart_item_per_entity_and_per_link(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    graph = made.graph
    assert len(graph.nodes) > 10 and len(graph.links) > 100
    assert list(parsed.entities) == graph.entity_ids
    assert list(by_link_id(parsed)) == graph.link_ids


def test_link_ends_are_the_entities(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    for link in made.graph.links:
        element = items[link.id].find("Link")
        ends = (parsed.identity[element.get("End1Id")], parsed.identity[element.get("End2Id")])
        assert ends == (link.source_id, link.target_id), link.id


def test_links_are_labelled_typed_and_arrowed_as_directed(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    assert {link.directed for link in made.graph.links} == {True, False}
    for link in made.graph.links:
        item = items[link.id]
        style = item.find("Link/LinkStyle")
        assert item.get("Label") == link.type
        assert style.get("Type") == link.type
        assert parsed.link_types[style.get("LinkTypeReference")] == link.type
        assert style.get("ArrowStyle") == ("ArrowOnHead" if link.directed else "ArrowNone")
        assert parsed.strengths[style.get("Strength")] == "DotStyleSolid"
        assert values(item)["directed"] == str(link.directed).lower()


def test_entities_have_their_type_icon_and_label(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    for node in made.graph.nodes:
        entity = node.entity
        item = parsed.entities[entity.id]
        style = item.find("End/Entity/Icon/IconStyle")
        assert item.get("Label") == entity.label
        assert style.get("Type") == entity.type
        name, icon = parsed.entity_types[style.get("EntityTypeReference")]
        assert (name, icon) == (entity.type, anx.ICONS[entity.type])


# -- grading, dates, sources ---------------------------------------------------------------------


def test_grade_collections_declare_the_policy_scales(
    seed: tuple[Made, Parsed], schema: Schema
) -> None:
    _, parsed = seed
    policy = schema.policy
    assert parsed.grades["GradeOne"][: len(policy.source_grades)] == list(policy.source_grades)
    assert parsed.grades["GradeTwo"][: len(policy.information_grades)] == list(
        policy.information_grades
    )
    assert parsed.grades["GradeThree"][: len(policy.codes)] == list(policy.codes)


def test_link_grades_decode_to_the_grading_and_handling_code(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    seen = set()
    for link in made.graph.links:
        item = items[link.id]
        found = (
            grade(parsed, item, "One"),
            grade(parsed, item, "Two"),
            grade(parsed, item, "Three"),
        )
        expected = (link.grading.source, link.grading.information, link.handling.code)
        assert found == expected, link.id
        (card,) = item.findall("Link/CardCollection/Card")
        assert (grade(parsed, card, "One"), grade(parsed, card, "Two")) == expected[:2]
        assert grade(parsed, card, "Three") == link.handling.code
        seen.add(expected)
    assert len(seen) > 1  # the seed mixes gradings, so a constant index would fail


def test_link_dates(seed: tuple[Made, Parsed], schema: Schema) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    kinds = set()
    for link in made.graph.links:
        item = items[link.id]
        when = link_date(link, schema)
        if when is None:
            assert item.get("DateSet") in (None, "false") and item.get("DateTime") is None
            kinds.add("undated")
            continue
        moment, timed = anx_moment(when)
        assert item.get("DateSet") == "true", link.id
        assert item.get("DateTime") == moment, link.id
        assert item.get("TimeSet") == str(timed).lower()
        partial = len(when) < 10
        assert item.get("DateTimeDescription") == (when if partial else None)
        kinds.add("partial" if partial else "timed" if timed else "day")
    assert {"timed", "day", "partial"} <= kinds


def test_source_reference_type_and_handling_card(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    for link in made.graph.links:
        p, h = link.provenance, link.handling
        item = items[link.id]
        assert item.get("SourceReference") == f"{p.source}/{p.record}"
        assert item.get("SourceType") == p.method
        (card,) = item.findall("Link/CardCollection/Card")
        assert card.get("SourceReference") == f"{p.source}/{p.record}"
        lines = card.get("Text").split("\n")
        assert f"Classification: {h.classification}" in lines
        assert f"Originator: {h.originator}" in lines
        assert f"Caveats: {', '.join(h.caveats) or 'none'}" in lines
        assert f"Releasable to: {', '.join(h.releasable_to) or 'every cleared user'}" in lines
        assert values(item)["handlingCode"] == h.code


def test_entity_cards_one_per_visible_record(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    assert any(n.entity.records for n in made.graph.nodes)
    for node in made.graph.nodes:
        cards = parsed.entities[node.entity.id].findall("End/Entity/CardCollection/Card")
        assert len(cards) == len(node.entity.records)
        for card, record in zip(cards, node.entity.records, strict=True):
            p = record.provenance
            assert card.get("SourceReference") == f"{p.source}/{p.record}"
            assert card.get("SourceType") == p.method
            assert grade(parsed, card, "Three") == record.handling.code
            if record.grading is None:
                assert card.get("GradeOneIndex") is None
            else:
                assert grade(parsed, card, "One") == record.grading.source
                assert grade(parsed, card, "Two") == record.grading.information


# -- attributes ------------------------------------------------------------------------------------


def expected_value(kind: str, found: list[Any]) -> str:
    if kind == "AttText":
        return "; ".join(str(v) for v in found)
    (value,) = found
    if kind == "AttTime":
        return anx_moment(str(value))[0].removesuffix(".000")
    if kind == "AttFlag":
        return str(value).lower()
    return str(value)


def test_entity_attributes_equal_entity_properties(
    seed: tuple[Made, Parsed], schema: Schema
) -> None:
    made, parsed = seed
    kinds = set()
    for node in made.graph.nodes:
        entity = node.entity
        found = values(parsed.entities[entity.id])
        assert found["type"] == entity.type
        properties = entity.properties
        for name in schema.entities[entity.type].properties:
            key = f"prop_{name}" if f"prop_{name}" in parsed.classes else name
            if name not in properties:
                assert key not in found, (entity.id, name)
                continue
            kind = parsed.classes[key]
            kinds.add(kind)
            if kind == "AttNumber":
                assert float(found[key]) == float(properties[name][0])
            else:
                assert found[key] == expected_value(kind, properties[name]), (entity.id, name)
    assert {"AttText", "AttTime"} <= kinds


def test_link_properties_are_attributes(seed: tuple[Made, Parsed], schema: Schema) -> None:
    made, parsed = seed
    items = by_link_id(parsed)
    numbers = 0
    for link in made.graph.links:
        found = values(items[link.id])
        for name, value in link.properties.items():
            key = f"prop_{name}" if f"prop_{name}" in parsed.classes else name
            kind = parsed.classes[key]
            if kind == "AttNumber":
                numbers += 1
                assert float(found[key]) == float(value)
            else:
                listed = value if isinstance(value, list) else [value]
                assert found[key] == expected_value(kind, listed), (link.id, name)
    assert numbers


# -- the banner ------------------------------------------------------------------------------------


def test_summary_and_comment_hold_the_banner(seed: tuple[Made, Parsed]) -> None:
    made, parsed = seed
    banner = made.banner
    fields = {
        f.get("Type"): f.get("Field") for f in parsed.root.findall("Summary/FieldCollection/Field")
    }
    assert fields["SummaryFieldTitle"] == banner.title
    assert fields["SummaryFieldSubject"] == banner.marking
    assert fields["SummaryFieldKeywords"] == banner.marking
    assert fields["SummaryFieldComments"] == banner.text()
    assert banner.exported_by in fields["SummaryFieldAuthor"]
    custom = {
        c.get("Name"): c.get("Value")
        for c in parsed.root.findall("Summary/CustomPropertyCollection/CustomProperty")
    }
    assert custom["Classification"] == banner.marking
    assert custom["Justification"] == banner.justification
    assert custom["Withheld"] == banner.withheld
    created = parsed.root.find("Summary/Origin").get("CreatedDate")
    assert created == banner.exported_at.removesuffix("Z")
    first = parsed.root.getprevious()
    assert isinstance(first, etree._Comment)
    assert [line.strip() for line in first.text.strip().split("\n")] == banner.lines()
    summary, items = parsed.root.find("Summary"), parsed.root.find("ChartItemCollection")
    assert parsed.root.index(summary) < parsed.root.index(items)  # ANB 9 reads it there


# -- awkward text, candidates, grades outside the policy -------------------------------------------


def hand_built(made: Made, schema: Schema) -> tuple[ExportGraph, Link]:
    """Two entities and a link between them from the seed, their text made awkward."""
    link = next(x for x in made.graph.links if x.type == "MET")
    one, two = (made.graph.node(i) for i in (link.source_id, link.target_id))
    assert one is not None and two is not None
    awkward_id = f"x:{AWKWARD}"
    renamed = replace(
        one.entity,
        id=awkward_id,
        label=AWKWARD,
        statements=(Statement("name", AWKWARD, "s", "r"), Statement("notes", AWKWARD, "s", "r")),
    )
    odd = replace(
        link,
        source_id=awkward_id,
        properties={**link.properties, "place": AWKWARD},
        provenance=replace(link.provenance, record=AWKWARD),
        grading=Grading("Z", "9"),
        handling=replace(link.handling, code="H9", originator=AWKWARD),
    )
    pair = Candidate(awkward_id, two.entity.id, 0.4242)
    return graph_of(AWKWARD, [renamed, two.entity], [odd], candidates=[pair]), odd


def test_awkward_characters_survive(make_export: Maker, schema: Schema) -> None:
    made = make_export(ids=("ocrteh:PER-0001",), hops=1)
    graph, link = hand_built(made, schema)
    banner = replace(made.banner, title=AWKWARD, justification=AWKWARD)
    data = anx.write(graph, banner, schema)
    assert b"\x01" not in data
    parsed = parse(data)
    awkward_id = f"x:{CLEAN}"
    item = parsed.entities[awkward_id]
    assert item.get("Label") == CLEAN
    assert values(item)["name"] == CLEAN and values(item)["notes"] == CLEAN
    (link_item,) = parsed.links[:1]
    assert values(link_item)["place"] == CLEAN
    assert link_item.get("SourceReference") == f"{link.provenance.source}/{CLEAN}"
    assert parsed.identity[link_item.find("Link").get("End1Id")] == awkward_id
    (card,) = link_item.findall("Link/CardCollection/Card")
    assert card.get("Text").endswith(f"\nOriginator: {CLEAN}")
    fields = {
        f.get("Type"): f.get("Field") for f in parsed.root.findall("Summary/FieldCollection/Field")
    }
    assert fields["SummaryFieldTitle"] == CLEAN
    assert f"Justification: {CLEAN}" in fields["SummaryFieldComments"]
    # grades the policy does not list are declared too, so they still decode
    assert (grade(parsed, link_item, "One"), grade(parsed, link_item, "Two")) == ("Z", "9")
    assert grade(parsed, link_item, "Three") == "H9"


def test_hidden_link_candidates_are_dashed_possible_links(
    make_export: Maker, schema: Schema
) -> None:
    made = make_export(ids=("ocrteh:PER-0001",), hops=1)
    graph, _ = hand_built(made, schema)
    parsed = parse(anx.write(graph, made.banner, schema))
    (pair,) = graph.candidates
    (item,) = [i for i in parsed.links if values(i)[anx.LINK_ID] == pair.id.replace("\x01", "")]
    style = item.find("Link/LinkStyle")
    assert item.get("Label") == "possible link 0.42"
    assert parsed.strengths[style.get("Strength")] == "DotStyleDashed"
    assert style.get("ArrowStyle") == "ArrowNone"
    assert parsed.link_types[style.get("LinkTypeReference")] == CANDIDATE_TYPE
    ends = item.find("Link")
    assert parsed.identity[ends.get("End1Id")] == pair.source_id.replace("\x01", "")
    assert parsed.identity[ends.get("End2Id")] == pair.target_id
    assert item.find("Link/CardCollection") is None  # analysis, not a record
    assert item.get("SourceReference") is None and item.get("GradeOneIndex") is None
    assert float(values(item)["score"]) == pytest.approx(pair.score)


def test_every_entity_type_has_a_standard_icon(schema: Schema) -> None:
    """A type added to schema/ gets an i2 icon of its own, not the General fallback."""
    assert set(anx.ICONS) == set(schema.entities)
    assert anx.DEFAULT_ICON not in anx.ICONS.values()


def test_text_extraction_selectors_get_their_icons(make_export: Maker, schema: Schema) -> None:
    made = make_export(ids=("ocrteh:PER-0001",), hops=1)
    found = [
        Entity(
            "ip:192.0.2.7",
            "IpAddress",
            "192.0.2.7",
            (Statement("address", "192.0.2.7", None, None, derived=True),),
        ),
        Entity(
            "crypto:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "CryptoWallet",
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            (Statement("currency", "BTC", "s", "r"),),
        ),
        Entity(
            "iddoc:12AB34567",
            "IdentityDocument",
            "12AB34567",
            (
                Statement("kind", "passport", "s", "r"),
                Statement("expiryDate", "2031-05-06", "s", "r"),
            ),
        ),
    ]
    parsed = parse(anx.write(graph_of("selectors", found, []), made.banner, schema))
    icons = {}
    for entity in found:
        style = parsed.entities[entity.id].find("End/Entity/Icon/IconStyle")
        icons[entity.type] = parsed.entity_types[style.get("EntityTypeReference")][1]
    assert icons == {
        "IpAddress": "Computer",
        "CryptoWallet": "Account",
        "IdentityDocument": "Passport",
    }
    assert values(parsed.entities["crypto:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"])["currency"] == "BTC"
    assert parsed.classes["expiryDate"] == "AttTime"


def test_an_empty_graph_is_a_valid_chart(make_export: Maker, schema: Schema) -> None:
    made = make_export(ids=("ocrteh:PER-0001",), hops=1)
    parsed = parse(anx.write(graph_of("nothing", [], []), made.banner, schema))
    assert parsed.entities == {} and parsed.links == []


# -- purpose -------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", ["be-analyst", "ro-analyst"])
def test_dissemination_export_holds_nothing_withheld(
    make_export: Maker, schema: Schema, principal: str
) -> None:
    ids = ("ocrteh:PER-0007",)
    everything = make_export(principal, ids=ids, hops=2)
    made = make_export(principal, ids=ids, hops=2, purpose=Purpose.DISSEMINATION)
    assert made.withheld.links > 0
    withheld_links = set(everything.graph.link_ids) - set(made.graph.link_ids)
    withheld_entities = set(everything.graph.entity_ids) - set(made.graph.entity_ids)
    assert withheld_links
    parsed = write(made, schema)
    assert set(by_link_id(parsed)) == set(made.graph.link_ids)
    assert set(parsed.entities) == set(made.graph.entity_ids)
    for link_id in withheld_links:
        assert f'"{link_id}"' not in parsed.text
    for entity_id in withheld_entities:
        assert f'"{entity_id}"' not in parsed.text
    custom = {
        c.get("Name"): c.get("Value")
        for c in parsed.root.findall("Summary/CustomPropertyCollection/CustomProperty")
    }
    assert custom["Purpose"] == "dissemination"
    assert custom["Withheld"] == made.withheld.describe(schema)
