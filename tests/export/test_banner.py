"""The handling banner: worked out here from the handling of every record the export holds
(after the purpose's restriction), on a small hand-built store with known markings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from graphsvc.export.banner import UNRESTRICTED, Banner, banner_for
from graphsvc.export.graph import Candidate, ExportGraph, graph_of, of_subgraph
from graphsvc.export.purpose import Purpose, Withheld, restrict
from graphsvc.export.select import SubgraphSelection
from graphsvc.export.service import export
from graphsvc.model.records import Handling
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import REPO, Stores, loading, scope_of

LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
MEANINGS = {
    code: spec["meaning"]
    for code, spec in yaml.safe_load((REPO / "schema" / "handling.yaml").read_text("utf-8"))[
        "handling_codes"
    ].items()
}
AT = "2026-11-23T10:00:00Z"
WHY = "Opération Lys Noir, PV 2024/118"
CALLER = "DE-BKA"


def marks(
    level: str,
    code: str,
    originator: str,
    releasable: list[str] | None = None,
    caveats: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "classification": level,
        "releasableTo": releasable or [],
        "caveats": caveats or [],
        "code": code,
        "originator": originator,
    }


def person(record: str, entity_id: str, handling: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {
        "kind": "entity",
        "id": entity_id,
        "type": "Person",
        "properties": props,
        "provenance": {"source": "hand", "record": record, "ingestedAt": "2025-01-01T00:00:00Z"},
        "handling": handling,
    }


def met(link_id: str, a: str, b: str, handling: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "link",
        "id": link_id,
        "type": "MET",
        "from": {"id": a, "type": "Person"},
        "to": {"id": b, "type": "Person"},
        "properties": {},
        "provenance": {"source": "hand", "record": link_id, "ingestedAt": "2025-01-01T00:00:00Z"},
        "grading": {"source": "B", "information": "2"},
        "handling": handling,
    }


RECORDS = [
    # b-1, b-2, b-3: mixed markings; M2 is a SECRET H2 link of BE-PJF
    person("E1", "b-1", marks("UNCLASSIFIED", "H0", "BE-PJF"), name="Bea One"),
    person("E2", "b-2", marks("RESTRICTED", "H1", "FR-OCRTEH", ["DE", "BE"]), name="Ben Two"),
    met("M1", "b-1", "b-2", marks("CONFIDENTIAL", "H0", "NL-NP", ["DE", "NL"], ["FIU"])),
    met("M2", "b-2", "b-3", marks("SECRET", "H2", "BE-PJF", ["DE"], ["HUMINT"])),
    # b-4, b-5: nothing restricts releasability
    met("M3", "b-4", "b-5", marks("UNCLASSIFIED", "H0", "FR-OCRTEH")),
    # b-6, b-7, b-8: the caller's own records, releasable to disjoint parties
    met("M4", "b-6", "b-7", marks("RESTRICTED", "H0", CALLER, ["FR"])),
    met("M5", "b-7", "b-8", marks("UNCLASSIFIED", "H0", CALLER, ["NL"])),
]
MIXED = ("b-1", "b-2", "b-3")
OPEN = ("b-4", "b-5")
DISJOINT = ("b-6", "b-7", "b-8")


@pytest.fixture(scope="module")
def banner_store(backend: str, stores: Stores) -> GraphStore:
    return stores.shared(backend, "export-banner", loading(RECORDS))


@pytest.fixture(scope="module")
def caller(schema: Schema) -> Scope:
    return scope_of(
        schema,
        id="de-analyst",
        agency=CALLER,
        country="DE",
        clearance="SECRET",
        caveats=["HUMINT", "FIU"],
    )


def made(
    store: GraphStore,
    scope: Scope,
    ids: tuple[str, ...],
    purpose: Purpose = Purpose.INTERNAL,
    schema: Schema | None = None,
    justification: str | None = WHY,
) -> tuple[ExportGraph, Withheld, Banner]:
    found = store.subgraph(scope, list(ids))
    assert sorted(e.id for e in found.nodes) == sorted(ids)  # the caller sees them all
    kept, withheld = restrict(
        of_subgraph(f"subgraph of {len(ids)}", found), purpose, scope.principal.agency, store.schema
    )
    banner = banner_for(
        kept,
        withheld,
        store.schema,
        export_id="exp-1",
        format="test",
        exported_by=scope.principal.id,
        agency=scope.principal.agency,
        exported_at=AT,
        justification=justification,
    )
    return kept, withheld, banner


def every_handling(graph: ExportGraph) -> list[Handling]:
    """Independently of ``ExportGraph.handlings``: each link's, each kept entity record's."""
    out = [x.handling for x in graph.links]
    for node in graph.nodes:
        out += [r.handling for r in node.entity.records]
    return out


def check_against_handlings(graph: ExportGraph, banner: Banner) -> None:
    handlings = every_handling(graph)
    assert handlings, "a banner test needs records"
    assert banner.classification == max((h.classification for h in handlings), key=LEVELS.index)
    restricted = [set(h.releasable_to) for h in handlings if h.releasable_to]
    assert set(banner.releasable_to) == set().union(*restricted)
    if restricted:
        assert banner.releasable_to_all is not None
        assert set(banner.releasable_to_all) == set.intersection(*restricted)
    else:
        assert banner.releasable_to_all is None
    assert set(banner.caveats) == {c for h in handlings for c in h.caveats}
    assert dict(banner.codes) == {h.code: MEANINGS[h.code] for h in handlings}
    assert set(banner.originators) == {h.originator for h in handlings}
    assert (banner.entities, banner.links) == (len(graph.nodes), len(graph.links))


# -- markings --------------------------------------------------------------------------------------


def test_highest_classification_and_markings(banner_store: GraphStore, caller: Scope) -> None:
    graph, _, banner = made(banner_store, caller, MIXED)
    check_against_handlings(graph, banner)
    assert banner.classification == "SECRET"
    assert banner.releasable_to == ("BE", "DE", "NL")  # the union, sorted
    assert banner.releasable_to_all == ("DE",)  # E1's empty marking restricts nothing
    assert banner.caveats == ("FIU", "HUMINT")
    assert banner.codes == (("H0", MEANINGS["H0"]), ("H1", MEANINGS["H1"]), ("H2", MEANINGS["H2"]))
    assert banner.originators == ("BE-PJF", "FR-OCRTEH", "NL-NP")
    assert banner.marking == "SECRET // REL DE // FIU HUMINT // H0 H1 H2"


def test_without_the_secret_link_the_highest_is_confidential(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, _, banner = made(banner_store, caller, ("b-1", "b-2"))
    check_against_handlings(graph, banner)
    assert banner.classification == "CONFIDENTIAL"
    assert banner.releasable_to == ("BE", "DE", "NL")
    assert banner.releasable_to_all == ("DE",)
    assert banner.marking == "CONFIDENTIAL // REL DE // FIU // H0 H1"


def test_no_releasability_marking_means_every_cleared_user(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, _, banner = made(banner_store, caller, OPEN)
    check_against_handlings(graph, banner)
    assert banner.releasable_to == () and banner.releasable_to_all is None
    assert banner.marking == "UNCLASSIFIED // H0"
    assert f"Releasable to: {UNRESTRICTED}" in banner.lines()
    assert "Caveats: none" in banner.lines()


def test_disjoint_releasability_is_for_the_originators_only(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, _, banner = made(banner_store, caller, DISJOINT)
    check_against_handlings(graph, banner)
    assert banner.releasable_to == ("FR", "NL") and banner.releasable_to_all == ()
    assert banner.marking == "RESTRICTED // REL ORIGINATORS ONLY // H0"
    line = next(x for x in banner.lines() if x.startswith("Releasable to: "))
    assert line == (
        "Releasable to: FR, NL (markings present); "
        "every element releasable to: none (the originators only)"
    )


def test_codes_carry_their_meaning_and_an_unknown_code_says_so(
    banner_store: GraphStore, caller: Scope, schema: Schema
) -> None:
    graph, withheld, _ = made(banner_store, caller, OPEN)
    odd = replace(graph.links[0], handling=replace(graph.links[0].handling, code="H7"))
    changed = graph.with_parts(graph.nodes, [odd], ())
    banner = banner_for(
        changed,
        withheld,
        schema,
        export_id="x",
        format="test",
        exported_by="a",
        agency="b",
        exported_at=AT,
        justification=None,
    )
    assert banner.codes == (("H7", "not in the policy"),)
    assert "Handling codes: H7: not in the policy" in banner.lines()


# -- the text lines --------------------------------------------------------------------------------


def test_lines_say_who_when_why_for_what_and_how_much(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, withheld, banner = made(banner_store, caller, MIXED, Purpose.DISSEMINATION)
    lines = banner.lines()
    text = banner.text()
    assert text == "\n".join(lines) + "\n"
    assert lines[0] == f"HANDLING: {banner.marking}"
    assert f"Highest classification: {banner.classification}" in lines
    assert f"Exported by: de-analyst ({CALLER}) at {AT}" in lines
    assert f"Justification: {WHY}" in lines
    assert "Purpose: dissemination" in lines
    assert (
        f"Contents: subgraph of 3: {len(graph.nodes)} entities, {len(graph.links)} links" in lines
    )
    assert f"Withheld: {withheld.describe(banner_store.schema)}" in lines
    assert "1 entity and 1 link withheld" in text  # b-3 and M2
    assert f"Originators: {', '.join(banner.originators)}" in lines
    assert "Export: exp-1 (test), graphsvc" in lines
    assert banner.withheld_elements == 2
    data = banner.to_dict()
    assert data["marking"] == banner.marking and data["purpose"] == "dissemination"
    assert data["withheld"] == withheld.describe(banner_store.schema)


def test_lines_without_justification_with_candidates_and_truncation(
    banner_store: GraphStore, caller: Scope, schema: Schema
) -> None:
    found = banner_store.subgraph(caller, list(OPEN))
    graph = graph_of(
        "pairs",
        found.nodes,
        found.links,
        truncated=True,
        candidates=[Candidate("b-4", "b-5", 0.5)],
    )
    banner = banner_for(
        graph,
        Withheld(Purpose.INTERNAL),
        schema,
        export_id="x",
        format="test",
        exported_by="de-analyst",
        agency=CALLER,
        exported_at=AT,
        justification=None,
    )
    lines = banner.lines()
    assert "Justification: none given" in lines
    assert "Purpose: internal" in lines
    assert (
        "Contents: pairs: 2 entities, 1 links, 1 hidden-link candidates (truncated by the limits)"
        in lines
    )
    assert "Withheld: nothing withheld (internal use)" in lines


# -- computed after the restriction ----------------------------------------------------------------


@pytest.mark.parametrize("purpose", list(Purpose))
def test_banner_is_of_what_the_purpose_kept(
    banner_store: GraphStore, caller: Scope, purpose: Purpose
) -> None:
    graph, _, banner = made(banner_store, caller, MIXED, purpose)
    check_against_handlings(graph, banner)


def test_withheld_secret_link_does_not_raise_the_classification(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, withheld, banner = made(banner_store, caller, MIXED, Purpose.DISSEMINATION)
    assert "M2" not in graph.link_ids and "b-3" not in graph.entity_ids
    assert banner.classification == "CONFIDENTIAL"
    assert banner.caveats == ("FIU",)
    assert banner.releasable_to == ("BE", "DE", "NL")
    assert [c for c, _ in banner.codes] == ["H0", "H1"]
    assert banner.originators == ("BE-PJF", "FR-OCRTEH", "NL-NP")
    assert banner.marking == "CONFIDENTIAL // REL DE // FIU // H0 H1"
    assert withheld.codes == ("H2",)


def test_judicial_leaves_the_h1_entity_record_out_of_the_banner(
    banner_store: GraphStore, caller: Scope
) -> None:
    graph, withheld, banner = made(banner_store, caller, MIXED, Purpose.JUDICIAL)
    # E2 (RESTRICTED, H1, FR-OCRTEH, REL DE BE) is out; b-2 stays, touched by kept links
    b2 = graph.node("b-2")
    assert b2 is not None and b2.entity.records == ()
    assert banner.originators == ("BE-PJF", "NL-NP")
    assert [c for c, _ in banner.codes] == ["H0", "H2"]
    assert banner.releasable_to == ("DE", "NL") and banner.releasable_to_all == ("DE",)
    assert banner.classification == "SECRET"
    assert withheld.codes == ("H1",)


def test_export_end_to_end_banner_after_restriction(
    banner_store: GraphStore, caller: Scope
) -> None:
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    selected = SubgraphSelection(ids=MIXED)
    internal = export(banner_store, caller, selected, "graphml", justification=WHY, now=moment)
    shared = export(
        banner_store,
        caller,
        selected,
        "graphml",
        Purpose.DISSEMINATION,
        justification=WHY,
        now=moment,
    )
    assert internal.banner.classification == "SECRET"
    assert shared.banner.classification == "CONFIDENTIAL"
    assert shared.banner.marking == "CONFIDENTIAL // REL DE // FIU // H0 H1"
    assert shared.banner.exported_at == AT and shared.banner.exported_by == "de-analyst"
    assert shared.disclosure()["marking"] == shared.banner.marking
    assert shared.disclosure()["withheldElements"] == 2
    content = shared.content.decode("utf-8")
    assert shared.banner.marking in content
    assert "SECRET" not in content.replace("CONFIDENTIAL", "")
    assert "HUMINT" not in content
    assert internal.banner.marking in internal.content.decode("utf-8")
