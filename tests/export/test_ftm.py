"""The FollowTheMoney writer: every line an entity followthemoney itself accepts and keeps as
written, fragments that merge, the banner first, ids FtM refuses encoded reversibly, a marking
per record, and the whole seed case read back by ``graphsvc ingest`` as it was written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from graphsvc.export import ftm
from graphsvc.export.banner import Banner, banner_for
from graphsvc.export.graph import Candidate, ExportGraph, of_subgraph
from graphsvc.export.purpose import Purpose, restrict
from graphsvc.ingest import Ingestor, SourceRegistry
from graphsvc.ingest.ftm import (
    ENTITY_FORMS,
    FALLBACK_PROPERTIES,
    FALLBACK_SCHEMA,
    LINK_FORMS,
    banner_id,
    decode_id,
    encode_id,
    parse_markings,
)
from graphsvc.model.graph import Entity, Link
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import SEED, MakeStore, entity, link, load
from tests.export.conftest import Maker

SUPERVISOR = "fr-supervisor"


@dataclass(frozen=True)
class Written:
    graph: ExportGraph
    banner: Banner
    data: bytes

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.data.decode("utf-8").splitlines()]


def _export(store: GraphStore, scope: Scope, schema: Schema, title: str) -> Written:
    """Everything ``scope`` sees, written as FtM."""
    ids = [str(i) for i in store.view(scope).vertex_ids]
    subgraph = store.subgraph(scope, ids, max_links=1_000_000)
    assert not subgraph.truncated
    graph, withheld = restrict(of_subgraph(title, subgraph), Purpose.INTERNAL, "FR-OCRTEH", schema)
    banner = banner_for(
        graph,
        withheld,
        schema,
        export_id="exp-ftm-1",
        format="ftm",
        exported_by=scope.principal.id,
        agency=scope.principal.agency,
        exported_at="2026-11-23T10:00:00Z",
        justification="PV 2024/118",
    )
    return Written(graph, banner, ftm.write(graph, banner, schema))


@pytest.fixture(scope="module")
def whole_seed(
    seed_store: GraphStore, seed_scope: Callable[[str], Scope], schema: Schema
) -> Written:
    return _export(seed_store, seed_scope(SUPERVISOR), schema, "the whole seed case")


def _proxies(lines: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], EntityProxy]]:
    for line in lines:
        yield line, model.get_proxy(line, cleaned=False)


def _aggregate(lines: list[dict[str, Any]]) -> dict[str, EntityProxy]:
    """What ``ftm aggregate`` does: fragments of one id merged into one entity."""
    merged: dict[str, EntityProxy] = {}
    for _, proxy in _proxies(lines):
        assert proxy.id is not None
        if proxy.id in merged:
            merged[proxy.id].merge(proxy)
        else:
            merged[proxy.id] = proxy
    return merged


def _assert_ftm_keeps(lines: list[dict[str, Any]]) -> None:
    """Each line is an FtM entity: a valid id, a known schema and properties, and cleaning by
    followthemoney keeps every value exactly as written (nothing dropped or rewritten)."""
    for line, proxy in _proxies(lines):
        assert set(line) == {"id", "schema", "properties"}
        assert registry.entity.validate(line["id"]), line["id"]
        assert not proxy.schema.abstract
        assert proxy.to_dict() == line, line["id"]
        for name in line["properties"]:
            assert not proxy.schema.properties[name].stub, name


# -- the mapping tables ---------------------------------------------------------------------------


def test_every_name_in_the_mapping_exists_in_followthemoney_and_in_our_schema(
    schema: Schema,
) -> None:
    for form in ENTITY_FORMS:
        ftm_schema = model.get(form.schema)
        assert ftm_schema is not None and not ftm_schema.abstract, form.schema
        ours = schema.entities[form.type]
        for name, prop in form.properties.items():
            assert name in ours.properties, (form.type, name)
            assert prop is None or prop in ftm_schema.properties, (form.schema, prop)
        keywords = ("keywords",) if form.keyword else ()  # FtM intervals have none
        for prop in (*form.fixed, *form.copies, "summary", "publisher", *keywords):
            assert prop in ftm_schema.properties, (form.schema, prop)
        assert set(form.copies.values()) <= set(ours.properties)
        assert set(form.implies) <= set(ours.properties)
    for lform in LINK_FORMS:
        ftm_schema = model.get(lform.schema)
        assert ftm_schema is not None and ftm_schema.is_a("Interval"), lform.schema
        ltype = schema.links[lform.type]
        for name, prop in lform.properties.items():
            assert name in ltype.properties, (lform.type, name)
            assert prop is None or prop in ftm_schema.properties, (lform.schema, prop)
        for prop in (*lform.source.values(), *lform.target.values(), *lform.fixed):
            assert prop in ftm_schema.properties, (lform.schema, prop)
        kinds = {*lform.source, *lform.target} - {"*", "Company"}
        assert kinds <= set(schema.entities), lform.type
    fallback = model.get(FALLBACK_SCHEMA)
    assert fallback is not None
    for prop in (*FALLBACK_PROPERTIES.values(), "subject", "object", "role"):
        assert prop in fallback.properties


def test_every_entity_type_has_a_form_and_every_property_a_place(schema: Schema) -> None:
    """A new property or type in schema/ must be mapped (or marked as FtM-less) here."""
    for name, etype in schema.entities.items():
        forms = [f for f in ENTITY_FORMS if f.type == name and f.write]
        assert forms, name
        mapped = {p for f in forms for p in f.properties} | {p for f in forms for p in f.implies}
        assert mapped == set(etype.properties), name


# -- the whole seed case --------------------------------------------------------------------------


def test_every_line_is_an_ftm_entity_followthemoney_keeps_as_written(whole_seed: Written) -> None:
    lines = whole_seed.lines
    assert len(lines) > len(whole_seed.graph.nodes) + len(whole_seed.graph.links)
    _assert_ftm_keeps(lines)


def test_fragments_merge_like_ftm_aggregate_and_references_point_at_the_right_schemata(
    whole_seed: Written,
) -> None:
    merged = _aggregate(whole_seed.lines)
    graph = whole_seed.graph
    assert len(merged) == 1 + len(graph.nodes) + len(graph.links)
    for proxy in merged.values():
        for prop, values in proxy._properties.items():
            spec = proxy.schema.properties[prop]
            if spec.type != registry.entity:
                continue
            for value in values:
                target = merged.get(value)
                assert target is not None, (proxy.id, prop, value)
                assert spec.range is not None and target.schema.is_a(spec.range), (
                    proxy.schema.name,
                    prop,
                    target.schema.name,
                )


def test_the_banner_is_the_first_entity(whole_seed: Written) -> None:
    first = whole_seed.lines[0]
    banner = whole_seed.banner
    assert first["id"] == banner_id("exp-ftm-1") == "graphsvc-banner-exp-ftm-1"
    assert first["schema"] == "Note"
    assert first["properties"]["name"] == ["Handling banner"]
    assert first["properties"]["description"] == ["\n".join(banner.lines())]
    summary = first["properties"]["summary"][0]
    assert summary.startswith(banner.marking + " — graphsvc-banner:")
    assert json.loads(summary.partition("graphsvc-banner:")[2]) == banner.to_dict()
    assert all(line["schema"] != "Note" for line in whole_seed.lines[1:])


def test_one_fragment_per_visible_record_with_its_source_and_marking(whole_seed: Written) -> None:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for line in whole_seed.lines[1:]:
        by_id.setdefault(line["id"], []).append(line)
    people = [n.entity for n in whole_seed.graph.nodes if n.entity.type == "Person"]
    leader = max(people, key=lambda e: len(e.records))  # a person several records assert
    assert len(leader.records) >= 3
    fragments = by_id[encode_id(leader.id)[0]]
    assert len(fragments) == len(leader.records)
    for fragment, record in zip(fragments, leader.records, strict=True):
        assert fragment["schema"] == "Person"
        assert fragment["properties"]["publisher"] == [record.provenance.source]
        (summary,) = fragment["properties"]["summary"]
        (payload,) = parse_markings([summary])
        assert isinstance(payload, dict)
        assert payload["handling"] == record.handling.to_dict()
        assert payload["provenance"]["source"] == record.provenance.source
        assert payload["provenance"]["record"] == record.provenance.record
        assert "ingestedAt" not in payload["provenance"]
        assert summary.startswith(record.handling.classification + " // ")
        own = {
            str(s.value)
            for s in leader.statements
            if s.property == "name" and s.record == record.provenance.record
        }
        assert set(fragment["properties"].get("name", [])) == own
    for edge in whole_seed.graph.links[:50]:
        (line,) = by_id[encode_id(edge.id)[0]]
        (payload,) = parse_markings(line["properties"]["summary"])
        assert isinstance(payload, dict)
        assert payload["grading"] == edge.grading.to_dict()
        assert payload["handling"] == edge.handling.to_dict()
        assert line["properties"]["publisher"] == [edge.provenance.source]


def test_the_seed_case_shows_the_mapping(whole_seed: Written) -> None:
    """Locations are marked Addresses, phones and e-mail addresses UserAccounts, calls between
    phones name the numbers, companies are Companies."""
    lines = {(line["id"], line["schema"]): line for line in whole_seed.lines}
    schemata = {schema for _, schema in lines}
    assert {"Person", "Company", "Organization", "UserAccount", "BankAccount", "Address"} <= (
        schemata
    )
    assert {"Ownership", "Directorship", "Payment", "Call", "Message", "UnknownLink"} <= schemata
    by_type = {n.entity.type: n.entity for n in whole_seed.graph.nodes}
    location = lines[(encode_id(by_type["Location"].id)[0], "Address")]
    assert "graphsvc:Location" in location["properties"]["keywords"]
    phone = lines[(encode_id(by_type["Phone"].id)[0], "UserAccount")]
    assert phone["properties"]["service"] == ["phone"]
    calls = [line for line in whole_seed.lines if line["schema"] == "Call"]
    assert any(
        "callerNumber" in c["properties"] and "receiverNumber" in c["properties"] for c in calls
    )
    payments = [line for line in whole_seed.lines if line["schema"] == "Payment"]
    assert any("payerAccount" in p["properties"] for p in payments)
    dates = [d for c in calls for d in c["properties"].get("date", [])]
    assert dates and all("T" in d and not d.endswith("Z") for d in dates)


def test_the_whole_seed_case_reads_back_as_it_was(
    whole_seed: Written,
    tmp_path: Path,
    schema: Schema,
    seed_scope: Callable[[str], Scope],
    seed_store: GraphStore,
    make_store: MakeStore,
) -> None:
    path = tmp_path / "seed.ftm"
    path.write_bytes(whole_seed.data)
    scope = seed_scope(SUPERVISOR)
    # read before the copy is made (on neo4j the copy takes the place of the seed case)
    original = _export(seed_store, scope, schema, "the whole seed case")
    with closing(make_store(tmp_path / "copy.db")) as copy:
        ingestor = Ingestor(copy, SourceRegistry.load(SEED / "sources.yaml", schema))
        ingestor.ingest_path(path)
        report = ingestor.finish()
        assert report.rejected == 0, report.problems[:5]
        again = _export(copy, scope, schema, "the whole seed case")
    _assert_same(whole_seed.graph, again.graph)
    # and the original store, read directly, agrees with the export that was written
    _assert_same(original.graph, again.graph)


def _assert_same(left: ExportGraph, right: ExportGraph) -> None:
    a = {n.entity.id: n.entity for n in left.nodes}
    b = {n.entity.id: n.entity for n in right.nodes}
    assert a.keys() == b.keys()
    for entity_id, before in a.items():
        after = b[entity_id]
        assert after.type == before.type, entity_id
        assert _statements(after) == _statements(before), entity_id
        assert _records(after) == _records(before), entity_id
    la = {link.id: link for link in left.links}
    lb = {link.id: link for link in right.links}
    assert la.keys() == lb.keys()
    for link_id, before_link in la.items():
        assert _link(lb[link_id]) == _link(before_link), link_id


def _statements(entity: Entity) -> list[tuple[str, str, str | None, str | None, str | None, bool]]:
    return sorted(
        (s.property, repr(s.value), s.source, s.record, s.observed_at, s.derived)
        for s in entity.statements
    )


def _records(entity: Entity) -> list[str]:
    out = []
    for record in entity.records:
        data = record.to_dict()
        data["provenance"].pop("ingestedAt")
        out.append(json.dumps(data, sort_keys=True))
    return sorted(out)


def _link(link: Link) -> dict[str, Any]:
    data = link.to_dict()
    data["provenance"].pop("ingestedAt")
    return data


# -- a small case with everything awkward ---------------------------------------------------------

LONG = "record/" + "é" * 80  # 87 characters, 600 once escaped: FtM takes 200
AWKWARD: list[dict[str, Any]] = [
    entity("ocrteh:PER-0001", name="Ion Lăzărescu", gender="unknown", nationality=["RO", "FR"]),
    entity("p.2.", name="Mara", record="r-2"),
    entity(LONG, name="Long Id"),
    entity("gsid-taken", name="Reserved Prefix"),
    entity("org:1", type_="Organization", name="Lys SARL", kind="company", jurisdiction="FR"),
    entity("org:1", type_="Organization", record="r-org-2", sector="4520A"),
    entity("gang", type_="Organization", name="Clan", kind="criminal_group"),
    entity("addr:1", type_="Address", full="1 rue de Lys, 93300 Aubervilliers", country="FR"),
    entity("loc:1", type_="Location", name="ANPR E42", latitude=50.4363, longitude=3.8187),
    entity(None, type_="Vehicle", plate="1-KJT-482", make="Audi", colour="bleu"),
    entity(None, type_="Phone", number="+33612345678", carrier="Orange", lineType="mobile"),
    link("call:1", "phone:+33612345678", "+33 6 52 17 83 40", type_="CALLED", cellId="208-1",
         date="2024-01-02T10:00:39Z", durationSeconds=120),
    # a number graphsvc accepts (a possible length) but FtM refuses (not in the plan)
    link("call:2", "phone:+33612345678", "+33 7 00 00 00 00", type_="CALLED",
         date="2024-01-03T10:00:00Z"),
    link("call:3", "ocrteh:PER-0001", "phone:+33612345678", type_="CALLED",
         date="2024-01-04T10:00:00Z"),
    link("own:1", "ocrteh:PER-0001", "org:1", type_="OWNS", share=40, since="2019-01"),
    link("own:2", "ocrteh:PER-0001", "addr:1", type_="OWNS", since="2020"),
    link("own:3", "ocrteh:PER-0001", "gang", type_="OWNS"),
    link("uses:1", "ocrteh:PER-0001", "plate:1KJT482", type_="USES", role="chauffeur"),
    link("loc:2", "plate:1KJT482", "loc:1", type_="LOCATED_AT", date="2024-02-01T05:00:00Z"),
    link("met:1", "ocrteh:PER-0001", "p.2.", type_="MET", place="Charleroi",
         date="2024-03-01"),
    link("fam:1", "p.2.", LONG, type_="RELATED_TO", relationship="cousins"),
    link("ocrteh:PER-0001", "p.2.", "gsid-taken", type_="MET"),  # a link id an entity has
    link("msg:1", "phone:+33612345678", {"type": "Email", "value": "ion@example.org"},
         type_="MESSAGED", channel="app"),
    link("tr:1", "FR7630006000011234567890189", "org:1", type_="TRANSFERRED_TO",
         amount=1234.5, currency="EUR", reference="loyer", channel="wire", date="2024-01-05"),
    # the selectors text extraction finds: FtM has no IP-address entity, and an identity
    # document is a Passport only when it is one
    entity(None, type_="IpAddress", address="2001:DB8:0:0::7", firstSeen="2024-01-02T03:04:05Z"),
    entity(None, type_="CryptoWallet", address="BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
           currency="BTC"),
    entity(None, type_="IdentityDocument", number="12AB 34567", kind="passport", country="FR",
           expiryDate="2031-05-06"),
    entity(None, type_="IdentityDocument", number="RO-123456", kind="id_card", country="RO"),
]  # fmt: skip


@pytest.fixture
def awkward(make_store: MakeStore, tmp_path: Path, schema: Schema) -> Written:
    with closing(make_store(tmp_path / "awkward.db")) as store:  # closed: a test makes a copy
        report = load(store, AWKWARD)
        assert report.rejected == 0, report.problems
        return _export(store, _all_of(schema), schema, "awkward")


def _all_of(schema: Schema) -> Scope:
    from tests.ingest.conftest import everyone

    return everyone(schema)


def test_an_awkward_case_is_valid_ftm_and_reads_back_as_it_was(
    awkward: Written, tmp_path: Path, schema: Schema, make_store: MakeStore
) -> None:
    lines = awkward.lines
    _assert_ftm_keeps(lines)
    merged = _aggregate(lines)
    assert len(merged) == 1 + len(awkward.graph.nodes) + len(awkward.graph.links)
    path = tmp_path / "awkward.ftm.jsonl"
    path.write_bytes(awkward.data)
    with closing(make_store(tmp_path / "copy.db")) as copy:
        ingestor = Ingestor(copy, SourceRegistry())
        ingestor.ingest_path(path)
        report = ingestor.finish()
        assert report.rejected == 0, report.problems
        again = _export(copy, _all_of(schema), schema, "awkward")
    _assert_same(awkward.graph, again.graph)


def test_the_awkward_case_chooses_the_closest_ftm_schema(awkward: Written) -> None:
    def line(our_id: str) -> dict[str, Any]:
        ftm_id = encode_id(our_id)[0]
        return next(x for x in awkward.lines if x["id"] == ftm_id)

    assert line("own:1")["schema"] == "Ownership"  # a company is an FtM Asset
    assert line("own:1")["properties"]["percentage"] == ["40"]
    assert line("own:2")["schema"] == "UnknownLink"  # an address is not
    assert line("own:2")["properties"]["role"] == ["OWNS"]
    assert line("own:3")["schema"] == "UnknownLink"  # nor a criminal group
    assert line("uses:1")["properties"]["role"] == ["USES: chauffeur"]
    assert line("call:1")["schema"] == "Call"
    assert line("call:1")["properties"]["callerNumber"] == ["+33612345678"]
    assert line("call:1")["properties"]["date"] == ["2024-01-02T10:00:39"]
    assert line("call:2")["schema"] == "UnknownLink"
    assert line("call:3")["properties"]["caller"] == [encode_id("ocrteh:PER-0001")[0]]
    assert line("met:1")["properties"]["relationship"] == ["met"]
    assert line("fam:1")["schema"] == "Family"
    assert line("tr:1")["properties"]["payerAccount"] == [
        encode_id("iban:FR7630006000011234567890189")[0]
    ]
    assert line("tr:1")["properties"]["purpose"] == ["loyer"]
    assert line("msg:1")["schema"] == "Message"
    assert line("loc:1")["properties"]["keywords"] == ["graphsvc:Location"]
    companies = [x for x in awkward.lines if x["id"] == encode_id("org:1")[0]]
    assert sorted(x["schema"] for x in companies) == ["Company", "Organization"]
    assert line("gang")["properties"]["classification"] == ["criminal_group"]
    person = line("ocrteh:PER-0001")
    assert "gender" not in person["properties"]  # FtM has no "unknown" gender ...
    (payload,) = parse_markings(person["properties"]["summary"])
    assert isinstance(payload, dict)
    assert payload["properties"] == {"gender": "unknown"}  # ... so the marking keeps it
    assert sorted(person["properties"]["nationality"]) == ["fr", "ro"]
    # a link whose id is an entity's gets an id of its own, its marking says the real one
    link_line = next(
        x for x in awkward.lines if x["schema"] == "Associate" and x["id"] != encode_id("met:1")[0]
    )
    assert link_line["id"].startswith("gsidh-")


def test_the_awkward_case_maps_ip_crypto_and_identity_documents(awkward: Written) -> None:
    def line(our_id: str) -> dict[str, Any]:
        ftm_id = encode_id(our_id)[0]
        return next(x for x in awkward.lines if x["id"] == ftm_id)

    ip = line("ip:2001:db8::7")
    assert ip["schema"] == "UserAccount"
    assert ip["properties"]["ipAddress"] == ["2001:db8::7"]
    assert ip["properties"]["username"] == ["2001:db8::7"]
    assert ip["properties"]["keywords"] == ["graphsvc:IpAddress"]
    (payload,) = parse_markings(ip["properties"]["summary"])
    assert isinstance(payload, dict)
    assert payload["properties"] == {"firstSeen": "2024-01-02T03:04:05Z"}  # FtM has no place
    wallet = line("crypto:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert wallet["schema"] == "CryptoWallet"
    assert wallet["properties"]["publicKey"] == ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]
    assert wallet["properties"]["cryptoAddress"] == wallet["properties"]["publicKey"]
    assert wallet["properties"]["currencySymbol"] == ["BTC"]
    passport = line("iddoc:12AB34567")
    assert passport["schema"] == "Passport"
    assert passport["properties"]["number"] == ["12AB34567"]
    assert passport["properties"]["endDate"] == ["2031-05-06"]
    assert passport["properties"]["country"] == ["fr"]
    assert "type" not in passport["properties"]  # the schema says it is a passport
    card = line("iddoc:RO123456")
    assert card["schema"] == "Identification"
    assert card["properties"]["type"] == ["id_card"]


def test_hidden_link_candidates_are_left_out(make_export: Maker, schema: Schema) -> None:
    made = make_export("fr-analyst", hops=1)
    ids = made.graph.entity_ids
    graph = made.graph.with_parts(
        made.graph.nodes, made.graph.links, [Candidate(ids[0], ids[1], 0.9)]
    )
    data = ftm.write(graph, made.banner, schema)
    lines = [json.loads(x) for x in data.splitlines()]
    assert len({x["id"] for x in lines}) == 1 + len(graph.nodes) + len(graph.links)
    assert b"candidate:" not in data and b"HIDDEN_LINK" not in data


# -- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("p-17", "p-17"),
        ("ab12.cd", "ab12.cd"),
        ("ocrteh:PER-0001", "gsid-ocrteh-3aPER-2d0001"),
        ("phone:+33612345678", "gsid-phone-3a-2b33612345678"),
        ("email:ivan.petrov@example.org", "gsid-email-3aivan.petrov-40example.org"),
        ("p.2.", "gsid-p.2-2e"),
        ("-x", "gsid--2dx"),
        ("gsid-x", "gsid-gsid-2dx"),
        ("graphsvc-banner-x", "gsid-graphsvc-2dbanner-2dx"),
        ("Lăzărescu", "gsid-L-c4-83z-c4-83rescu"),
    ],
)
def test_ids_ftm_refuses_are_encoded_reversibly(ours: str, theirs: str) -> None:
    assert encode_id(ours) == (theirs, False)
    assert registry.entity.validate(theirs)
    assert decode_id(theirs) == ours


def test_foreign_ids_are_kept_and_overlong_ids_are_digests() -> None:
    for foreign in ("NK-abc", "Q42", "gsid-zz", "gsid-a-62", "gsidh-0123"):
        assert decode_id(foreign) == foreign  # "gsid-a-62" would be the id "ab", kept as "ab"
    digest, hashed = encode_id("x:" + "é" * 100)
    assert hashed and digest.startswith("gsidh-") and registry.entity.validate(digest)
    assert encode_id("x", salt="link")[0] != encode_id("x")[0]


def test_followthemoney_refuses_our_ids_unencoded() -> None:
    """Why the encoding exists: FtM drops references to ids like ours."""
    assert not registry.entity.validate("ocrteh:PER-0001")
    proxy = model.get_proxy(
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["ocrteh:PER-0001"]}},
        cleaned=False,
    )
    assert proxy.get("owner") == []
