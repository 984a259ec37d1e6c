"""Odd but valid input through the whole export path: hyphen runs and lone surrogates in a
banner, values XML cannot carry, a single-valued property with two values, and the marking of
analysis values (computed on more than the file holds)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import replace

import pytest
from lxml import etree

from graphsvc.export.attributes import Attributes
from graphsvc.export.banner import banner_for
from graphsvc.export.formats import FORMATS
from graphsvc.export.graph import graph_of
from graphsvc.export.purpose import Withheld
from graphsvc.export.select import QuerySelection
from graphsvc.export.service import export
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.graph import Statement
from graphsvc.model.records import RecordValidator
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.export.conftest import LEADER, Made, Maker

XML_FORMATS = (FormatName.GEXF, FormatName.GRAPHML, FormatName.ANX)


@pytest.fixture(scope="module")
def made(make_export: Maker) -> Made:
    return make_export("fr-analyst", hops=1)


@pytest.mark.parametrize("fmt", list(FormatName))
@pytest.mark.parametrize("why", ["PV---2024/118 ----", "PV \ud800 lone surrogate", "- end -"])
def test_every_format_survives_a_hostile_banner(
    made: Made, schema: Schema, fmt: FormatName, why: str
) -> None:
    banner = replace(made.banner, justification=why, export_id="exp---x--")
    content = FORMATS[fmt].write(made.graph, banner, schema)
    if fmt in XML_FORMATS:
        etree.fromstring(content)  # well-formed: no "--" inside the comment
    elif fmt is FormatName.CSV:
        archive = zipfile.ZipFile(io.BytesIO(content))
        assert (
            f"Justification: {why}".replace("\ud800", "") in archive.read("HANDLING.txt").decode()
        )
    else:
        text = content.decode("utf-8")  # valid UTF-8: the surrogate is dropped, not encoded
        lines = text.splitlines() if fmt is FormatName.FTM else [text]
        assert all(json.loads(line) for line in lines)


def test_two_values_of_a_single_valued_number_are_both_kept(made: Made, schema: Schema) -> None:
    node = made.graph.nodes[0]
    extra = (
        Statement("latitude", 48.85, "a", "1"),
        Statement("latitude", 50.63, "b", "2"),
    )
    entity = replace(node.entity, type="Location", statements=extra)
    graph = graph_of("two latitudes", [entity], [])
    table = Attributes(graph, schema)
    column = next(c for c in table.node_columns if c.key == "latitude")
    assert column.kind == "string"
    assert table.node(graph.nodes[0])["latitude"] == "48.85; 50.63"
    single = graph_of("one", [replace(entity, statements=extra[:1])], [])
    assert next(c for c in Attributes(single, schema).node_columns if c.key == "latitude").kind == (
        "double"
    )


def test_an_id_with_a_control_character_is_refused_at_ingestion(schema: Schema) -> None:
    validator = RecordValidator(schema)
    handling = {"classification": "UNCLASSIFIED", "code": "H0", "originator": "FR-X"}
    with pytest.raises(Exception, match=r"control characters \(U\+0001 at position 3\)"):
        validator.parse(
            {
                "kind": "entity",
                "id": "t:a\x01b",
                "type": "Person",
                "provenance": {"source": "s"},
                "handling": handling,
            }
        )


def test_analysis_values_raise_the_marking_to_what_they_were_computed_on(
    seed_store: GraphStore, seed_scope: Callable[[str], Scope], schema: Schema
) -> None:
    scope = seed_scope("fr-supervisor")
    seen = seed_store.stats(scope)
    levels = schema.policy.levels
    highest = max((x for x, n in seen.links_by_classification.items() if n), key=levels.index)
    plain = export(
        seed_store,
        scope,
        QuerySelection(text=f'find where id = "{LEADER}"'),
        "gexf",
        justification="t",
    )
    ranked = export(
        seed_store,
        scope,
        QuerySelection(text=f'find where id = "{LEADER}" | rank degree'),
        "gexf",
        justification="t",
    )
    assert plain.banner.analysis is None
    assert ranked.banner.analysis is not None and highest in ranked.banner.analysis
    assert ranked.banner.classification == highest
    assert levels.index(plain.banner.classification) <= levels.index(highest)
    assert set(scope.principal.caveats) <= set(ranked.banner.caveats)
    assert any(line.startswith("Analysis: ") for line in ranked.banner.lines())
    shared = export(
        seed_store,
        scope,
        QuerySelection(text=f'find where id = "{LEADER}" | rank degree'),
        "gexf",
        Purpose.DISSEMINATION,
        justification="t",
    )
    assert shared.banner.analysis is None  # dropped with the values (see purpose.py)


def test_banner_without_analysis_has_no_analysis_line(made: Made, schema: Schema) -> None:
    banner = banner_for(
        made.graph,
        Withheld(Purpose.INTERNAL),
        schema,
        export_id="e",
        format="gexf",
        exported_by="p",
        agency="A",
        exported_at="2026-11-23T10:00:00Z",
        justification=None,
    )
    assert banner.analysis is None and not any(x.startswith("Analysis") for x in banner.lines())
