"""What extraction put into the graph, read over GraphQL from a real server: the document with
its text, every mention's provenance (document, span, extractor) and its quote, co-mentions,
and that each principal reads only the documents and quotes they may see."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graphsvc.ingest import Ingestor, SourceRegistry
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from tests.api.conftest import Api, StartServer
from tests.conftest import SEED, copy_file

REPORTS = SEED / "reports"
FILES = [
    ("fr/pv-audition-marchand.md", "ocrteh-rapports"),  # CONFIDENTIAL, FR only
    ("en/siena-ro-recruitment-2024-03-05.txt", "siena"),  # RESTRICTED, BE FR GB RO
]
DOCUMENT = """query($id: ID!) {
  entity(id: $id) {
    type label
    properties { name values { value source } }
    links(first: 500) { nodes {
      id type fromId toId properties
      provenance { method document span extractor confidence quote wide: quote(around: 20) }
      handling { classification releasableTo }
    } }
  }
}"""


def doc_id(relative: str) -> str:
    return "doc:" + hashlib.sha256((REPORTS / relative).read_bytes()).hexdigest()[:32]


@pytest.fixture(scope="module")
def reports_db(seed_db: Path, api_schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy_file(seed_db, tmp_path_factory.mktemp("reports-api") / "graph.db")
    with EmbeddedStore(path, api_schema, create=False) as store:
        ingestor = Ingestor(store, SourceRegistry.load(REPORTS / "sources.yaml", api_schema))
        for relative, source in FILES:
            ingestor.ingest_path(REPORTS / relative, source=source)
        assert ingestor.finish().rejected == 0
    return path


@pytest.fixture
def api(
    start_server: StartServer, reports_db: Path, api_schema: Schema, tmp_path: Path, backend: str
) -> Api:
    if backend != "embedded":
        pytest.skip("the documents are ingested into an embedded copy of the seed")
    store = EmbeddedStore(copy_file(reports_db, tmp_path / "graph.db"), api_schema, create=False)
    return start_server(store=store)


def test_a_document_its_mentions_and_their_quotes(api: Api) -> None:
    document = api.data(DOCUMENT, {"id": doc_id(FILES[0][0])}, as_="fr-analyst")["entity"]
    assert document["type"] == "Document"
    values = {p["name"]: [v["value"] for v in p["values"]] for p in document["properties"]}
    text = values["text"][0]
    assert values["language"] == ["fr"] and values["source"] == ["ocrteh-rapports"]
    mentions = [n for n in document["links"]["nodes"] if n["type"] == "MENTIONED_IN"]
    assert len(mentions) > 20
    for link in mentions:
        provenance = link["provenance"]
        start, end = provenance["span"]
        assert provenance["quote"] == text[start:end] == link["properties"]["mention"]
        assert provenance["wide"] == text[max(0, start - 20) : end + 20]
        assert provenance["method"] == "extracted" and provenance["document"] == link["toId"]
        assert link["handling"] == {"classification": "CONFIDENTIAL", "releasableTo": ["FR"]}
    quoted = {n["provenance"]["quote"] for n in mentions}
    assert {"06 34 71 25 98", "FR76 1695 8000 0169 3821 5485 652", "MARCHAND Élodie"} <= quoted


def test_each_principal_reads_only_the_documents_they_may(api: Api) -> None:
    french = doc_id(FILES[0][0])
    siena = doc_id(FILES[1][0])
    refused = api.gql(DOCUMENT, {"id": french}, as_="be-analyst")
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    seen = api.data(DOCUMENT, {"id": siena}, as_="be-analyst")["entity"]
    assert seen["type"] == "Document"
    # the Belgian sees the SIENA message's mentions, and every quote, but no link of the
    # French PV even where both name the same phone
    phone = api.data(
        """{ entity(id: "phone:+40744381920") { links(first: 500) { nodes {
             type provenance { document quote } } } } }""",
        as_="be-analyst",
    )["entity"]["links"]["nodes"]
    documents = {n["provenance"]["document"] for n in phone if n["type"] == "MENTIONED_IN"}
    assert documents == {siena}
    assert all(
        n["provenance"]["quote"] == "+40 744 381 920" for n in phone if n["type"] == "MENTIONED_IN"
    )


def test_a_quote_asks_for_a_bounded_context(api: Api) -> None:
    error = api.error(
        """query($id: ID!) { entity(id: $id) { links(first: 1) { nodes {
             provenance { quote(around: 100000) } } } } }""",
        {"id": doc_id(FILES[0][0])},
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"
