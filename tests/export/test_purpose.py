"""What a purpose withholds, checked against an oracle written here from the records themselves.

Small stores are built by hand from native records with handling codes H0..H3 and different
originators; the export graph is read back from the store by a principal who sees every
record. The oracle below knows nothing of ``graphsvc.export.purpose``: it decides from each
record's code and originator whether the record may be used, and from that which links,
entities, values, records and labels an export for the purpose may hold and what it withheld.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from graphsvc.export.formats import FORMATS
from graphsvc.export.graph import Candidate, ExportGraph, ExportNode, graph_of
from graphsvc.export.purpose import Purpose, Withheld, restrict, usable
from graphsvc.export.select import QuerySelection, SubgraphSelection
from graphsvc.export.service import export
from graphsvc.model.exchange import FormatName
from graphsvc.model.records import Handling
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import REPO, MakeStore, Stores, load, loading, scope_of

# -- the oracle's own reading of the policy --------------------------------------------------------

# What each code needs the originator's permission for (schema/handling.yaml, read by hand).
RESTRICTS: dict[str, frozenset[str]] = {
    "H0": frozenset(),
    "H1": frozenset({"judicial"}),
    "H2": frozenset({"dissemination"}),
    "H3": frozenset({"dissemination", "judicial"}),
}
CODES = sorted(RESTRICTS)
LABEL_PROPERTY = {"Person": "name"}  # Phone's label is its number (its id)

BE, FR, NL = "BE-PJF", "FR-OCRTEH", "NL-NP"
ORIGINATORS = [BE, FR, NL]
CALLERS = [BE, FR, "DE-BKA"]  # DE-BKA originates nothing


def may_use(record: dict[str, Any], purpose: Purpose, agency: str) -> bool:
    handling = record["handling"]
    return (
        purpose is Purpose.INTERNAL
        or handling["originator"] == agency
        or purpose.value not in RESTRICTS[handling["code"]]
    )


def end_id(end: Any) -> str:
    return str(end["id"] if isinstance(end, dict) else end)


@dataclass(frozen=True)
class Expected:
    links: list[str]  # in the graph's order
    entities: list[str]  # in the graph's order
    values: dict[str, set[tuple[str, Any]]]  # kept entity -> (property, value) asserted
    records: dict[str, set[str]]  # kept entity -> its usable entity records
    labels: dict[str, str]
    withheld_entities: int
    withheld_links: int
    withheld_values: int  # distinct values of kept entities asserted only by withheld records
    withheld_statements: int  # (record, value) assertions of kept entities left out
    codes: tuple[str, ...]


def oracle(
    graph: ExportGraph, records: list[dict[str, Any]], purpose: Purpose, agency: str
) -> Expected:
    """What an export of ``graph`` (read from ``records`` by a principal seeing them all) may
    hold for ``purpose`` made by a member of ``agency``, from the records alone."""
    in_graph_links = set(graph.link_ids)
    in_graph_entities = set(graph.entity_ids)
    link_records = [r for r in records if r["kind"] == "link" and r["id"] in in_graph_links]
    entity_records = [r for r in records if r["kind"] == "entity" and r["id"] in in_graph_entities]
    kept_links = {r["id"] for r in link_records if may_use(r, purpose, agency)}
    touched = {
        end_id(r[side]) for r in link_records if r["id"] in kept_links for side in ("from", "to")
    }
    asserted = {r["id"] for r in entity_records if may_use(r, purpose, agency)}
    kept = asserted | touched
    values: dict[str, set[tuple[str, Any]]] = {}
    every_value: dict[str, set[tuple[str, Any]]] = {}
    records_of: dict[str, set[str]] = {}
    label_counts: dict[str, Counter[str]] = {}
    statements_left_out = 0
    for r in entity_records:
        pairs = {(p, v) for p, v in r["properties"].items()}
        every_value.setdefault(r["id"], set()).update(pairs)
        if may_use(r, purpose, agency):
            values.setdefault(r["id"], set()).update(pairs)
            records_of.setdefault(r["id"], set()).add(r["provenance"]["record"])
            prop = LABEL_PROPERTY.get(r["type"])
            if prop and prop in r["properties"]:
                label_counts.setdefault(r["id"], Counter())[r["properties"][prop]] += 1
        elif r["id"] in kept:
            statements_left_out += len(pairs)
    labels = {}
    for entity_id in kept:
        counts = label_counts.get(entity_id)
        if entity_id.startswith("phone:"):
            labels[entity_id] = entity_id.partition(":")[2]
        elif counts:
            labels[entity_id] = min(counts, key=lambda v: (-counts[v], v))
        else:
            labels[entity_id] = entity_id
    unusable = [r for r in link_records + entity_records if not may_use(r, purpose, agency)]
    return Expected(
        links=[i for i in graph.link_ids if i in kept_links],
        entities=[i for i in graph.entity_ids if i in kept],
        values={i: values.get(i, set()) for i in kept},
        records={i: records_of.get(i, set()) for i in kept},
        labels=labels,
        withheld_entities=len(in_graph_entities - kept),
        withheld_links=len(in_graph_links - kept_links),
        withheld_values=sum(len(every_value.get(i, set()) - values.get(i, set())) for i in kept),
        withheld_statements=statements_left_out,
        codes=tuple(sorted({r["handling"]["code"] for r in unusable})),
    )


def count_phrase(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def has_analysis(graph: ExportGraph) -> bool:
    return bool(graph.candidates) or any(
        n.community is not None or n.scores or n.rank is not None for n in graph.nodes
    )


def check(
    graph: ExportGraph,
    records: list[dict[str, Any]],
    purpose: Purpose,
    agency: str,
    schema: Schema,
    *,
    exact_values: bool = False,
) -> tuple[ExportGraph, Withheld, Expected]:
    """``restrict`` of ``graph`` equals the oracle in everything it keeps and counts."""
    want = oracle(graph, records, purpose, agency)
    kept, withheld = restrict(graph, purpose, agency, schema)
    where = f"{purpose.value} by {agency}"
    assert kept.link_ids == want.links, where
    assert kept.entity_ids == want.entities, where
    for node in kept.nodes:
        entity = node.entity
        own = {(s.property, s.value) for s in entity.statements if not s.derived}
        assert own == want.values[entity.id], f"{where}: {entity.id}"
        derived = {(s.property, s.value) for s in entity.statements if s.derived}
        original = graph.node(entity.id)
        assert original is not None
        assert derived == {(s.property, s.value) for s in original.entity.statements if s.derived}
        assert {r.provenance.record for r in entity.records} == want.records[entity.id], where
        assert entity.label == want.labels[entity.id], f"{where}: {entity.id}"
        assert (entity.id, entity.type) == (original.entity.id, original.entity.type)
    # never a dangling link
    ids = set(kept.entity_ids)
    assert all(x.source_id in ids and x.target_id in ids for x in kept.links), where
    assert all(c.source_id in ids and c.target_id in ids for c in kept.candidates), where
    # links travel whole: each kept link is the very link read from the store
    originals = {x.id: x for x in graph.links}
    assert all(x == originals[x.id] for x in kept.links)
    assert (kept.title, kept.truncated) == (graph.title, graph.truncated)
    # counts
    assert withheld.purpose is purpose
    if purpose is Purpose.INTERNAL:
        assert kept == graph
        assert withheld == Withheld(Purpose.INTERNAL)
        return kept, withheld, want
    assert (withheld.entities, withheld.links) == (want.withheld_entities, want.withheld_links)
    assert withheld.elements == want.withheld_entities + want.withheld_links
    assert withheld.codes == want.codes, where
    if exact_values:
        assert withheld.values == want.withheld_values, where
    else:  # the exact count is pinned by an xfail test below
        assert want.withheld_values <= withheld.values <= want.withheld_statements, where
    # analysis values never travel under a restricting purpose
    assert withheld.analysis == has_analysis(graph)
    assert all(n.community is None and not n.scores and n.rank is None for n in kept.nodes), where
    assert kept.candidates == () and kept.measures == ()
    check_text(withheld, graph, schema)
    return kept, withheld, want


def check_text(withheld: Withheld, graph: ExportGraph, schema: Schema) -> None:
    """The sentence names the counts and codes, never an element (id, label or value)."""
    text = withheld.describe(schema)
    for n, one, many in (
        (withheld.entities, "entity", "entities"),
        (withheld.links, "link", "links"),
        (withheld.values, "property value", "property values"),
    ):
        if n:
            assert count_phrase(n, one, many) in text, text
    for code in CODES:
        if code not in withheld.codes:
            assert code not in text, text
        elif withheld.elements or withheld.values:  # else: see the xfail test below
            assert code in text, text
    assert ("analysis values" in text) == withheld.analysis, text
    secrets = set(graph.entity_ids) | set(graph.link_ids)
    secrets |= {n.entity.label for n in graph.nodes}
    secrets |= {str(s.value) for n in graph.nodes for s in n.entity.statements}
    for secret in secrets:
        assert secret not in text, (secret, text)


# -- building stores by hand -----------------------------------------------------------------------


def handling(code: str, originator: str, **more: Any) -> dict[str, Any]:
    return {
        "classification": "UNCLASSIFIED",
        "releasableTo": [],
        "caveats": [],
        "code": code,
        "originator": originator,
        **more,
    }


def person_record(
    record: str, entity_id: str, code: str, originator: str, **props: Any
) -> dict[str, Any]:
    return _entity_record(record, entity_id, "Person", code, originator, props)


def phone_record(
    record: str, entity_id: str, code: str, originator: str, **props: Any
) -> dict[str, Any]:
    return _entity_record(record, entity_id, "Phone", code, originator, props)


def _entity_record(
    record: str, entity_id: str, type_: str, code: str, originator: str, props: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": "entity",
        "id": entity_id,
        "type": type_,
        "properties": props,
        "provenance": {"source": "hand", "record": record, "ingestedAt": "2025-01-01T00:00:00Z"},
        "handling": handling(code, originator),
    }


def link_record(
    link_id: str, source: str, target: str, code: str, originator: str, **more: Any
) -> dict[str, Any]:
    def end(entity_id: str) -> dict[str, str]:
        return {"id": entity_id, "type": "Phone" if entity_id.startswith("phone:") else "Person"}

    return {
        "kind": "link",
        "id": link_id,
        "type": "USES" if target.startswith("phone:") else "MET",
        "from": end(source),
        "to": end(target),
        "properties": {},
        "provenance": {"source": "hand", "record": link_id, "ingestedAt": "2025-01-01T00:00:00Z"},
        "grading": {"source": "B", "information": "2"},
        "handling": {**handling(code, originator), **more},
    }


def everything(schema: Schema) -> Scope:
    """A principal of no originating agency who sees every record of these stores."""
    return scope_of(schema, agency="IT-DIA", country="IT", clearance="SECRET")


def read_all(
    store: GraphStore, records: list[dict[str, Any]], schema: Schema, *, analysis: bool
) -> ExportGraph:
    """The export graph of every entity and link, with analysis values when asked."""
    ids = sorted(
        {r["id"] for r in records if r["kind"] == "entity"}
        | {end_id(r[s]) for r in records if r["kind"] == "link" for s in ("from", "to")}
    )
    found = store.subgraph(everything(schema), ids, max_links=100_000)
    assert len(found.links) == sum(r["kind"] == "link" for r in records)
    assert sorted(e.id for e in found.nodes) == ids
    if not analysis:
        return graph_of("everything", found.nodes, found.links)
    annotate = {
        e.id: ExportNode(e, community=i % 2, scores={"pagerank": 1.0 / (i + 1)}, rank=i + 1)
        for i, e in enumerate(found.nodes)
    }
    pairs = [Candidate(ids[0], ids[-1], 0.9, {"adamic_adar": 1.5})] if len(ids) > 1 else []
    return graph_of(
        "everything",
        found.nodes,
        found.links,
        annotate=annotate,
        candidates=pairs,
        measures=("pagerank",),
    )


PHONE_0 = "phone:+33612345670"  # known only through an H0 link
PHONE_1 = "phone:+33612345671"  # known only through an H2 link of BE-PJF
PHONE_2 = "phone:+33612345672"  # an H1 record and an H1 link of FR-OCRTEH

CASE: list[dict[str, Any]] = [
    person_record("E1", "p-open", "H0", BE, name="Olga Open", occupation="driver"),
    person_record("E2", "p-mixed", "H0", BE, name="Mihai Common"),
    person_record("E3", "p-mixed", "H2", BE, name="Secret Alias", occupation="chemist"),
    person_record("E4", "p-mixed", "H2", FR, name="Secret Alias"),
    person_record("E5", "p-alias", "H0", BE, occupation="accountant"),
    person_record("E6", "p-alias", "H2", BE, name="Radu Secretescu"),
    person_record("E7", "p-h2only", "H2", BE, name="Hidden Hanna"),
    person_record("E8", "p-h2linked", "H2", BE, name="Touched Tom"),
    person_record("E9", "p-h1only", "H1", FR, name="Court Cora"),
    person_record("E10", "p-h3only", "H3", BE, name="Triple Theo"),
    phone_record("E13", PHONE_2, "H1", BE, carrier="Orange"),
    link_record("L1", "p-open", "p-h2linked", "H0", BE),
    link_record("L2", "p-open", "p-mixed", "H1", BE),
    link_record("L3", "p-mixed", "p-h1only", "H2", BE),
    link_record("L4", "p-h3only", "p-open", "H3", BE),
    link_record("L5", "p-open", PHONE_0, "H0", BE),
    link_record("L6", "p-mixed", PHONE_1, "H2", BE),
    link_record("L7", "p-h1only", PHONE_2, "H1", FR),
    link_record("L8", "p-alias", "p-open", "H0", FR),
]


@pytest.fixture(scope="module")
def case_store(backend: str, stores: Stores) -> GraphStore:
    return stores.shared(backend, "export-purpose", loading(CASE))


@pytest.fixture(scope="module")
def case_graph(case_store: GraphStore, schema: Schema) -> ExportGraph:
    return read_all(case_store, CASE, schema, analysis=True)


# -- the policy as the oracle reads it -------------------------------------------------------------


def test_oracle_reads_the_policy_file(schema: Schema) -> None:
    raw = yaml.safe_load((REPO / "schema" / "handling.yaml").read_text(encoding="utf-8"))
    assert {c: frozenset(v["restricts"]) for c, v in raw["handling_codes"].items()} == RESTRICTS


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_usable_by_code_and_originator(code: str, purpose: Purpose, schema: Schema) -> None:
    record = {"handling": handling(code, BE)}
    h = Handling("UNCLASSIFIED", (), (), code, BE)
    for agency in CALLERS:
        assert usable(h, purpose, agency, schema) == may_use(record, purpose, agency)
    assert usable(h, purpose, BE, schema)  # the originator may always use its own records


def test_usable_fails_closed_on_a_code_the_policy_does_not_list(schema: Schema) -> None:
    gone = Handling("UNCLASSIFIED", (), (), "H9", BE)
    assert not usable(gone, Purpose.DISSEMINATION, FR, schema)
    assert not usable(gone, Purpose.JUDICIAL, FR, schema)
    assert usable(gone, Purpose.INTERNAL, FR, schema)
    assert usable(gone, Purpose.JUDICIAL, BE, schema)


# -- the hand-built case against the oracle --------------------------------------------------------


@pytest.mark.parametrize("agency", CALLERS)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_restrict_equals_the_oracle(
    case_graph: ExportGraph, purpose: Purpose, agency: str, schema: Schema
) -> None:
    check(case_graph, CASE, purpose, agency, schema)


@pytest.mark.parametrize("agency", CALLERS)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_restrict_without_analysis_reports_none_dropped(
    case_store: GraphStore, purpose: Purpose, agency: str, schema: Schema
) -> None:
    plain = read_all(case_store, CASE, schema, analysis=False)
    _, withheld, _ = check(plain, CASE, purpose, agency, schema)
    assert not withheld.analysis


def test_dissemination_by_another_agency_by_hand(case_graph: ExportGraph, schema: Schema) -> None:
    """The oracle's answer worked out by hand, so the oracle itself is checked."""
    kept, withheld, _ = check(case_graph, CASE, Purpose.DISSEMINATION, "DE-BKA", schema)
    assert set(kept.link_ids) == {"L1", "L2", "L5", "L7", "L8"}
    assert set(kept.entity_ids) == {
        "p-open",
        "p-mixed",
        "p-alias",
        "p-h2linked",  # no usable record, but a kept link touches it
        "p-h1only",
        PHONE_0,
        PHONE_2,
    }
    assert (withheld.entities, withheld.links, withheld.codes) == (3, 3, ("H2", "H3"))
    by_id = {n.entity.id: n.entity for n in kept.nodes}
    assert by_id["p-mixed"].label == "Mihai Common"
    assert by_id["p-mixed"].properties == {"name": ["Mihai Common"]}
    assert by_id["p-alias"].label == "p-alias"
    assert by_id["p-alias"].properties == {"occupation": ["accountant"]}
    assert by_id["p-h2linked"].label == "p-h2linked"
    assert by_id["p-h2linked"].statements == () and by_id["p-h2linked"].records == ()
    assert by_id[PHONE_0].label == "+33612345670"


def test_judicial_by_another_agency_by_hand(case_graph: ExportGraph, schema: Schema) -> None:
    kept, withheld, _ = check(case_graph, CASE, Purpose.JUDICIAL, "DE-BKA", schema)
    assert set(kept.link_ids) == {"L1", "L3", "L5", "L6", "L8"}
    assert set(kept.entity_ids) == {
        "p-open",
        "p-mixed",
        "p-alias",
        "p-h2only",
        "p-h2linked",
        "p-h1only",  # its H1 record is out, the H2 link L3 keeps it
        PHONE_0,
        PHONE_1,
    }
    assert (withheld.entities, withheld.links, withheld.codes) == (2, 3, ("H1", "H3"))
    by_id = {n.entity.id: n.entity for n in kept.nodes}
    assert by_id["p-h1only"].label == "p-h1only" and by_id["p-h1only"].statements == ()
    assert by_id["p-mixed"].label == "Secret Alias"  # asserted twice, both usable in court


def test_the_originator_uses_its_own_restricted_records(
    case_graph: ExportGraph, schema: Schema
) -> None:
    kept, _, _ = check(case_graph, CASE, Purpose.DISSEMINATION, FR, schema)
    by_id = {n.entity.id: n.entity for n in kept.nodes}
    # E4 is FR-OCRTEH's own H2 record; E3 (BE-PJF, H2) stays out
    assert {r.provenance.record for r in by_id["p-mixed"].records} == {"E2", "E4"}
    assert by_id["p-mixed"].label == "Mihai Common"  # one each: the smaller wins the tie
    kept_be, _, _ = check(case_graph, CASE, Purpose.DISSEMINATION, BE, schema)
    assert set(kept_be.link_ids) == {f"L{i}" for i in range(1, 9)}  # all of BE-PJF's own
    assert "E4" not in {r.provenance.record for n in kept_be.nodes for r in n.entity.records}


def test_internal_keeps_everything_with_its_analysis(
    case_graph: ExportGraph, schema: Schema
) -> None:
    kept, withheld, _ = check(case_graph, CASE, Purpose.INTERNAL, "DE-BKA", schema)
    assert kept is case_graph
    assert not withheld.any and withheld.describe(schema) == "nothing withheld (internal use)"
    assert kept.candidates and kept.measures == ("pagerank",)
    assert all(n.community is not None and n.scores and n.rank for n in kept.nodes)


@pytest.mark.parametrize("purpose", [Purpose.DISSEMINATION, Purpose.JUDICIAL])
def test_analysis_dropped_even_when_no_record_restricts(
    purpose: Purpose, schema: Schema, tmp_path: Path, make_store: MakeStore
) -> None:
    records = [
        person_record("A", "p-ann", "H0", BE, name="Ann"),
        link_record("LA", "p-ann", "p-bob", "H0", BE),
    ]
    with closing(make_store(tmp_path / "g.db")) as store:
        assert load(store, records).rejected == 0
        graph = read_all(store, records, schema, analysis=True)
    kept, withheld, _ = check(graph, records, purpose, "DE-BKA", schema, exact_values=True)
    assert kept.entity_ids == graph.entity_ids and kept.link_ids == graph.link_ids
    assert withheld.analysis and not withheld.elements and withheld.codes == ()
    text = withheld.describe(schema)
    assert text.startswith("nothing withheld: no record forbids")
    assert "analysis values" in text


def test_name_only_in_another_agency_h2_record_is_in_no_attribute(
    case_graph: ExportGraph, schema: Schema
) -> None:
    kept, _, _ = check(case_graph, CASE, Purpose.DISSEMINATION, "DE-BKA", schema)
    alias = kept.node("p-alias")
    assert alias is not None
    dumped = json.dumps(alias.entity.to_dict(records=True))
    assert "Secretescu" not in dumped and "E6" not in dumped
    everywhere = json.dumps([n.entity.to_dict(records=True) for n in kept.nodes])
    for hidden in ("Secretescu", "Hidden Hanna", "Touched Tom", "Triple Theo", "chemist"):
        assert hidden not in everywhere
    # internal: it is there (so the search above can find it)
    internal = case_graph.node("p-alias")
    assert internal is not None and "Secretescu" in json.dumps(internal.entity.to_dict())


def file_text(content: bytes, fmt: str) -> str:
    """Everything a file says, as text (the CSV zip: every member)."""
    if fmt == "csv":
        archive = zipfile.ZipFile(io.BytesIO(content))
        return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    return content.decode("utf-8")


WRITERS = [f.name.value for f in FORMATS.values()]


@pytest.mark.parametrize("fmt", WRITERS)
def test_name_only_in_another_agency_h2_record_is_in_no_file(
    case_store: GraphStore, schema: Schema, fmt: str
) -> None:
    pytest.importorskip(FORMATS[FormatName(fmt)].module)
    scope = scope_of(schema, agency="DE-BKA", country="DE", clearance="SECRET")
    selected = SubgraphSelection(ids=("p-alias", "p-open", "p-mixed"))
    internal = export(case_store, scope, selected, fmt, justification="test")
    assert "Secretescu" in file_text(internal.content, fmt)  # the search can find it
    shared = export(case_store, scope, selected, fmt, Purpose.DISSEMINATION, justification="test")
    text = file_text(shared.content, fmt)
    for hidden in ("Secretescu", "Secret Alias", "chemist", "E3", "E4", "E6"):
        assert hidden not in text, hidden
    assert "Mihai Common" in text and "accountant" in text


# -- bugs ------------------------------------------------------------------------------------------


def test_withheld_values_counts_values_asserted_only_by_withheld_records(
    case_graph: ExportGraph, schema: Schema
) -> None:
    _, withheld, want = check(case_graph, CASE, Purpose.DISSEMINATION, "DE-BKA", schema)
    # p-mixed: name "Secret Alias" (E3 and E4) and occupation "chemist"; p-alias: a name;
    # p-h2linked: a name. Four values, five statements.
    assert want.withheld_values == 4 and want.withheld_statements == 5
    assert withheld.values == want.withheld_values


def test_text_names_the_code_of_a_record_left_out_without_values(
    schema: Schema, tmp_path: Path, make_store: MakeStore
) -> None:
    records = [
        person_record("A1", "p-ann", "H0", BE, name="Ann"),
        person_record("A2", "p-ann", "H1", BE),  # asserts the entity, no value
    ]
    with closing(make_store(tmp_path / "g.db")) as store:
        assert load(store, records).rejected == 0
        graph = read_all(store, records, schema, analysis=False)
    kept, withheld = restrict(graph, Purpose.JUDICIAL, "DE-BKA", schema)
    assert [r.provenance.record for n in kept.nodes for r in n.entity.records] == ["A1"]
    assert withheld.codes == ("H1",)
    text = withheld.describe(schema)
    assert "H1" in text and "no record forbids" not in text


PHONE_ONLY: list[dict[str, Any]] = [
    person_record("P1", "p-1", "H0", BE, name="Pia"),
    link_record("U0", "p-1", PHONE_0, "H0", BE),  # PHONE_0 asserted by a usable record
    link_record("U1", "p-1", PHONE_1, "H2", BE),  # PHONE_1 asserted only by an H2 record
]


@pytest.fixture(scope="module")
def phone_store(backend: str, stores: Stores) -> GraphStore:
    return stores.shared(backend, "export-purpose-phones", loading(PHONE_ONLY))


def test_internal_export_of_phones_known_only_through_links(
    phone_store: GraphStore, schema: Schema
) -> None:
    scope = scope_of(schema, agency="DE-BKA", country="DE")
    made = export(
        phone_store, scope, QuerySelection(text="find Phone"), "graphml", justification="t"
    )
    assert set(made.entity_ids) == {PHONE_0, PHONE_1}


def test_entity_asserted_by_a_usable_link_outside_the_selection_is_kept(
    phone_store: GraphStore, schema: Schema
) -> None:
    scope = scope_of(schema, agency="DE-BKA", country="DE")
    made = export(
        phone_store,
        scope,
        QuerySelection(text="find Phone"),
        "graphml",
        Purpose.DISSEMINATION,
        justification="t",
    )
    assert set(made.entity_ids) == {PHONE_0}


def test_withheld_text_names_the_code_of_every_withheld_entity(
    phone_store: GraphStore, schema: Schema
) -> None:
    scope = scope_of(schema, agency="DE-BKA", country="DE")
    made = export(
        phone_store,
        scope,
        SubgraphSelection(ids=(PHONE_1,)),
        "graphml",
        Purpose.DISSEMINATION,
        justification="t",
    )
    assert made.entity_ids == ()  # withheld, rightly
    assert "()" not in made.banner.withheld
    assert "H2" in made.banner.withheld


def test_withheld_selected_id_is_not_in_the_file(phone_store: GraphStore, schema: Schema) -> None:
    fmt = "graphml"
    scope = scope_of(schema, agency="DE-BKA", country="DE")
    made = export(
        phone_store,
        scope,
        SubgraphSelection(ids=(PHONE_1, "p-1")),
        fmt,
        Purpose.DISSEMINATION,
        justification="t",
    )
    assert PHONE_1 not in made.entity_ids
    number = "612345671"
    assert number not in file_text(made.content, fmt)
    assert number not in made.banner.text()
    assert number not in made.filename


# -- the property: random small cases against the oracle -------------------------------------------

EXAMPLES = int(os.environ.get("GRAPHSVC_PURPOSE_EXAMPLES", "50"))
PERSONS = [f"p{i}" for i in range(5)]
PHONES = [f"phone:+3361234560{i}" for i in range(3)]
NAMES = ["Ana", "Ana Maria", "Bogdan"]

handlings = st.tuples(st.sampled_from(CODES), st.sampled_from(ORIGINATORS))


@st.composite
def cases(draw: Callable[..., Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 8))):
        code, originator = draw(handlings)
        target = draw(st.sampled_from(PERSONS + PHONES))
        if target.startswith("phone:"):
            props = draw(
                st.fixed_dictionaries(
                    {}, optional={"carrier": st.sampled_from(["Orangina", "Sferra"])}
                )
            )
            records.append(phone_record(f"R{i}", target, code, originator, **props))
        else:
            props = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": st.sampled_from(NAMES),
                        "occupation": st.sampled_from(["driver", "chemist"]),
                    },
                )
            )
            records.append(person_record(f"R{i}", target, code, originator, **props))
    for i in range(draw(st.integers(0, 7))):
        code, originator = draw(handlings)
        source = draw(st.sampled_from(PERSONS))
        target = draw(st.sampled_from(PERSONS + PHONES))
        records.append(link_record(f"K{i}", source, target, code, originator))
    return records


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(records=cases(), analysis=st.booleans(), caller=st.sampled_from([*ORIGINATORS, "DE-BKA"]))
def test_property_restrict_equals_the_oracle(
    records: list[dict[str, Any]],
    analysis: bool,
    caller: str,
    schema: Schema,
    make_store: MakeStore,
) -> None:
    with tempfile.TemporaryDirectory() as tmp, closing(make_store(Path(tmp) / "g.db")) as store:
        report = load(store, records)
        assert report.rejected == 0, report.problems
        graph = read_all(store, records, schema, analysis=analysis)
    for purpose in Purpose:
        check(graph, records, purpose, caller, schema)


GRAPHML = {"g": "http://graphml.graphdrawing.org/xmlns"}
CONFIDENTIAL_LINK: list[dict[str, Any]] = [
    person_record("Q1", "p-q", "H0", BE, name="Quentin"),
    link_record("C1", "p-q", PHONE_2, "H1", FR, classification="CONFIDENTIAL"),
]


def test_an_entity_known_only_through_a_link_left_out_is_marked_by_that_link(
    schema: Schema, tmp_path: Path, make_store: MakeStore
) -> None:
    """A phone in the file only through a link the selection left out (a subgraph of the
    phone alone) carries that link's handling, and the banner counts it."""
    with closing(make_store(tmp_path / "g.db")) as store:
        assert load(store, CONFIDENTIAL_LINK).rejected == 0
        scope = scope_of(schema, agency="DE-BKA", country="DE")
        made = export(store, scope, SubgraphSelection(ids=(PHONE_2,)), "graphml", justification="t")
        assert made.entity_ids == (PHONE_2,) and made.link_ids == ()
        assert made.banner.classification == "CONFIDENTIAL"
        assert made.banner.codes == (("H1", schema.policy.codes["H1"].meaning),)
        root = etree.fromstring(made.content)
        (key,) = root.xpath(
            "//g:key[@for='node'][@attr.name='classification']/@id", namespaces=GRAPHML
        )
        (value,) = root.xpath(f"//g:node/g:data[@key='{key}']/text()", namespaces=GRAPHML)
        assert value == "CONFIDENTIAL"
        judicial = export(
            store,
            scope,
            SubgraphSelection(ids=(PHONE_2,)),
            "graphml",
            Purpose.JUDICIAL,
            justification="t",
        )
        assert judicial.entity_ids == ()
        assert "H1" in judicial.banner.withheld
