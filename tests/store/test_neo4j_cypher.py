"""The Neo4j backend's Cypher, checked without a server.

Every file of ``cypher/`` is loaded and parsed with an openCypher grammar (ANTLR); every call
site in ``graphsvc/store/neo4j`` supplies exactly the ``$parameters`` its query uses; every
query is called and every call names a query; no value is ever put into query text (only
``$parameters`` carry values); the schema statements are named and idempotent. The mapping of
records to Neo4j properties is checked by a round trip, and the connection errors by a real
connection attempt to a port where nothing listens.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from antlr4 import CommonTokenStream, InputStream  # type: ignore[import-untyped]
from antlr4.error.ErrorListener import ErrorListener  # type: ignore[import-untyped]
from antlr4_cypher import CypherLexer, CypherParser  # type: ignore[import-untyped]

from graphsvc.config import Neo4jSettings
from graphsvc.errors import BackendUnavailable, InvalidConfig
from graphsvc.model.records import (
    EndRef,
    EntityAssertion,
    Grading,
    Handling,
    LinkAssertion,
    Provenance,
)
from graphsvc.model.schema import Schema
from graphsvc.store.neo4j import rows
from graphsvc.store.neo4j.cypher import SCHEMA_FILE, CypherQueries, parameters_of
from graphsvc.store.neo4j.search import WordMatch, lucene_query, score_names, widen
from graphsvc.store.neo4j.store import _filter_params
from graphsvc.store.protocol import OPEN

REPO = Path(__file__).resolve().parents[2]
CYPHER = REPO / "cypher"
PACKAGE = REPO / "graphsvc" / "store" / "neo4j"
QUERIES = CypherQueries(CYPHER)


class _Errors(ErrorListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.errors: list[str] = []

    def syntaxError(  # noqa: N802 (ANTLR names it)
        self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any
    ) -> None:
        self.errors.append(f"{line}:{column} {msg}")


def _syntax_errors(text: str) -> list[str]:
    listener = _Errors()
    lexer = CypherLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = CypherParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    parser.script()
    return listener.errors


# -- the files -----------------------------------------------------------------------------------


def test_the_grammar_check_can_fail() -> None:
    assert _syntax_errors("MATCH (n) RETRUN n")
    assert _syntax_errors("MATCH (n) WHERE n.id IN $ids RETURN n") == []


# administration commands the openCypher grammar does not cover, checked by their shape
SHOW_QUERIES = {"schema_constraints": "CONSTRAINTS", "schema_indexes": "INDEXES"}


@pytest.mark.parametrize("name", sorted(set(QUERIES.queries) - set(SHOW_QUERIES)))
def test_every_query_parses(name: str) -> None:
    assert _syntax_errors(QUERIES[name].text) == [], QUERIES[name].path


@pytest.mark.parametrize(("name", "kind"), sorted(SHOW_QUERIES.items()))
def test_schema_listings_have_the_expected_shape(name: str, kind: str) -> None:
    text = " ".join(QUERIES[name].text.split())
    assert text == f"SHOW {kind} YIELD name WHERE name IN $names RETURN name"


@pytest.mark.parametrize("name", sorted(QUERIES.queries))
def test_no_query_has_placeholders_for_formatting(name: str) -> None:
    """Values come only as $parameters: no ``{name}`` fields a format() could fill, no
    string concatenation markers."""
    text = QUERIES[name].text
    assert not re.search(r"\{\s*[A-Za-z_]\w*\s*\}", text), "a format placeholder"
    assert "%s" not in text and "%(" not in text


def test_schema_statements_are_named_and_idempotent() -> None:
    statements = QUERIES.schema_statements()
    names = [name for name, _ in statements]
    assert len(names) == len(set(names))
    for name, statement in statements:
        assert "IF NOT EXISTS" in statement, name
        assert not parameters_of(statement)
    kinds = " ".join(statement for _, statement in statements)
    assert "FOR (e:Entity) REQUIRE e.id IS UNIQUE" in kinds
    assert "FOR ()-[r:LINK]-() REQUIRE r.id IS UNIQUE" in kinds
    assert "FULLTEXT INDEX record_names" in kinds
    # every property the visibility predicate and the filters read is indexed
    for prop in ("r.hkey", "r.type", "r.t", "r.confidence"):
        assert f"FOR ()-[r:LINK]-() ON ({prop})" in kinds, prop
    assert "FOR (r:Record) ON (r.hkey)" in kinds


def test_a_missing_or_extra_parameter_is_refused_at_the_call() -> None:
    class Never:
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("must not run")

    with pytest.raises(InvalidConfig, match=r"missing: visible"):
        QUERIES.fetch(Never(), "links", ids=["x"])
    with pytest.raises(InvalidConfig, match=r"not used by the query: other"):
        QUERIES.fetch(Never(), "links", ids=["x"], visible=[], other=1)
    with pytest.raises(InvalidConfig, match="no Cypher query"):
        QUERIES.fetch(Never(), "no_such_query")


def test_parameters_in_strings_and_comments_are_not_parameters() -> None:
    assert parameters_of("// uses $nothing\nRETURN '$text' AS t, $real AS r") == {"real"}


# -- the call sites ------------------------------------------------------------------------------


def _call_sites() -> list[tuple[str, str, frozenset[str], str]]:
    """``(file:line, query name, keyword names, method)`` of every fetch/execute call."""
    splats = {"_filter_params": frozenset(_filter_params(OPEN))}
    sites = []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("fetch", "execute")
            ):
                continue
            where = f"{path.name}:{node.lineno}"
            assert len(node.args) == 2, f"{where}: fetch/execute(tx, name, **params)"
            name = node.args[1]
            assert isinstance(name, ast.Constant) and isinstance(name.value, str), (
                f"{where}: the query name must be a literal"
            )
            keywords: set[str] = set()
            for keyword in node.keywords:
                if keyword.arg is not None:
                    keywords.add(keyword.arg)
                    continue
                splat = keyword.value
                assert (
                    isinstance(splat, ast.Call)
                    and isinstance(splat.func, ast.Name)
                    and splat.func.id in splats
                ), f"{where}: only known parameter groups may be spread into a query"
                keywords |= splats[splat.func.id]
            sites.append((where, name.value, frozenset(keywords), node.func.attr))
    return sites


SITES = _call_sites()


def test_call_sites_were_found() -> None:
    assert len(SITES) > 25


@pytest.mark.parametrize(("where", "name", "keywords", "method"), SITES, ids=[s[0] for s in SITES])
def test_every_call_supplies_exactly_the_parameters_of_its_query(
    where: str, name: str, keywords: frozenset[str], method: str
) -> None:
    assert name in QUERIES.queries, f"{where}: no file cypher/{name}.cypher"
    assert keywords == QUERIES[name].parameters, where


def test_every_query_file_is_used() -> None:
    used = {name for _, name, _, _ in SITES}
    assert set(QUERIES.queries) - used == set()


def test_query_text_is_never_built_in_python() -> None:
    """Only two places hand text to the driver: a loaded query's text, and a statement of
    schema.cypher; no f-string, concatenation or format() reaches ``run``."""
    runs = []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "run" and node.args:
                    runs.append((path.name, ast.unparse(node.args[0])))
                assert node.func.attr != "format" or not isinstance(node.func.value, ast.Constant)
    assert sorted(runs) == [
        ("cypher.py", "query.text"),
        ("cypher.py", "query.text"),
        ("store.py", "statement"),
    ]


def test_every_cypher_file_is_a_named_query_or_the_schema() -> None:
    files = {p.stem for p in CYPHER.glob("*.cypher")}
    assert files == set(QUERIES.queries) | {Path(SCHEMA_FILE).stem}


# -- records as Neo4j properties -----------------------------------------------------------------

HANDLING = Handling("RESTRICTED", ("FR", "BE"), ("HUMINT",), "H2", "FR-OCRTEH", "2030-01-01")
OPEN_HANDLING = Handling("UNCLASSIFIED", (), (), "H0", "BE-PJF")


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """What Neo4j keeps of ``SET n += fields``: a null removes the property."""
    return {k: v for k, v in fields.items() if v is not None}


def test_an_entity_record_survives_the_round_trip(schema: Schema) -> None:
    a = EntityAssertion(
        entity_id="p:1",
        type="Person",
        properties={"name": ["Ana Popescu", "Anna"], "birthDate": ["1980-02-03"]},
        provenance=Provenance(
            "pjf",
            "r-1",
            "extracted",
            "2025-01-01T00:00:00Z",
            "2024-12-01",
            0.8,
            "doc-1",
            (10, 21),
            "ner-1",
            "a note",
        ),
        grading=Grading("B", "2"),
        handling=HANDLING,
    )
    row = rows.record_row(schema, a)
    assert row["fields"]["names"] == ["Ana Popescu", "Anna"]
    assert row["fields"]["hkey"] == rows.handling_key(HANDLING)
    ref, properties = rows.record_of(_stored(row["fields"]))
    assert (ref.provenance, ref.grading, ref.handling) == (a.provenance, a.grading, a.handling)
    assert properties == a.properties


def test_a_link_survives_the_round_trip() -> None:
    a = LinkAssertion(
        id="l-1",
        type="CALLED",
        src=EndRef("phone:+33600000001", "Phone"),
        dst=EndRef("phone:+33600000002", "Phone"),
        directed=True,
        properties={"duration": 61, "tags": ["a", 1, True]},
        provenance=Provenance("cdr", "c-9", "structured", "2025-01-01T00:00:00Z"),
        grading=Grading("A", "1"),
        handling=OPEN_HANDLING,
        time=1_700_000_000,
    )
    row = rows.link_row(a)
    link = rows.link_of(a.src.id, a.dst.id, _stored(row["fields"]))
    assert (link.id, link.type, link.source_id, link.target_id, link.directed) == (
        "l-1",
        "CALLED",
        a.src.id,
        a.dst.id,
        True,
    )
    assert (link.properties, link.provenance, link.grading, link.handling) == (
        a.properties,
        a.provenance,
        a.grading,
        a.handling,
    )


def test_the_digest_ignores_the_ingestion_time_only() -> None:
    def link(**change: Any) -> dict[str, Any]:
        provenance = Provenance("cdr", "c-9", "structured", change.get("at", "2025-01-01"))
        return rows.link_row(
            LinkAssertion(
                "l-1",
                "CALLED",
                EndRef("a", "Phone"),
                EndRef("b", "Phone"),
                True,
                change.get("properties", {}),
                provenance,
                Grading("A", "1"),
                OPEN_HANDLING,
                None,
            )
        )

    assert link()["digest"] == link(at="2026-05-05")["digest"]
    assert link()["digest"] != link(properties={"x": 1})["digest"]


def test_equal_handlings_share_a_key_and_different_ones_do_not() -> None:
    same = Handling("RESTRICTED", ("FR", "BE"), ("HUMINT",), "H2", "FR-OCRTEH", "2030-01-01")
    assert rows.handling_key(same) == rows.handling_key(HANDLING)
    assert rows.handling_key(OPEN_HANDLING) != rows.handling_key(HANDLING)
    assert rows.handling_of(rows.handling_row(HANDLING)["fields"]) == HANDLING


# -- name search ---------------------------------------------------------------------------------


def test_words_widen_to_the_vocabulary_and_go_to_lucene_as_exact_terms() -> None:
    vocabulary = ["popescu", "popesku", "popa", "ana", "anna", "2024", "2025"]
    matches = widen(["ana", "popescu", "2024"], vocabulary)
    assert matches[0] == WordMatch("ana", frozenset({"ana"}), prefix=True)  # short: exact only
    assert matches[1].terms == {"popescu", "popesku"}
    assert matches[2] == WordMatch("2024", frozenset({"2024"}), prefix=False)  # numbers exact
    assert lucene_query(matches, "AND") == (
        "(ana OR ana*) AND (popescu OR popesku OR popescu*) AND (2024)"
    )
    assert "~" not in lucene_query(matches, "OR")  # no Lucene fuzzy query: no expansion cap


def test_lucene_syntax_is_escaped() -> None:
    match = WordMatch('a"b:c', frozenset({'a"b:c'}), prefix=False)
    assert lucene_query([match], "AND") == '(a\\"b\\:c)'


def test_only_names_that_match_by_themselves_are_scored() -> None:
    matches = widen(["ana", "popescu"], ["ana", "popescu"])
    names = ["Ana Ionescu", "Mihai Popescu", "Ana Popescu"]
    assert score_names("ana popescu", names, matches, "AND") == (100.0, "Ana Popescu")
    # neither name has both words: no AND hit, even though the record has both
    assert score_names("ana popescu", names[:2], matches, "AND") is None
    scored = score_names("ana popescu", names[:2], matches, "OR")
    assert scored is not None and scored[1] in names[:2]


def test_a_search_widening_past_lucenes_clause_limit_is_refused() -> None:
    from graphsvc.errors import LimitExceeded

    word = "lazarescuk"  # ten letters: two letters changed still score 80, the cut-off
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    vocabulary = sorted(
        {
            word[:i] + a + word[i + 1 : j] + b + word[j + 1 :]
            for i, j in [(1, 6), (2, 7)]
            for a in letters
            for b in letters
        }
    )
    assert len(vocabulary) > 1000
    with pytest.raises(LimitExceeded, match="type more"):
        widen([word], vocabulary)
    assert len(widen([word], vocabulary[:500])[0].terms) > 400  # under the limit: every word


# -- connecting ----------------------------------------------------------------------------------


def test_an_unreachable_server_is_a_clear_error(schema: Schema) -> None:
    from graphsvc.store.neo4j import Neo4jStore

    settings = Neo4jSettings(uri="bolt://127.0.0.1:1", user="neo4j", password="x", database="neo4j")
    with pytest.raises(BackendUnavailable, match=r"cannot reach Neo4j at bolt://127\.0\.0\.1:1"):
        Neo4jStore(settings, schema)


def test_settings_need_a_neo4j_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(InvalidConfig, match="NEO4J_URI"):
        Neo4jSettings.from_env()
    with pytest.raises(InvalidConfig, match="not a Neo4j address"):
        Neo4jSettings.from_env("http://localhost:7474")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret")
    settings = Neo4jSettings.from_env("neo4j+s://db.example:7687")
    assert (settings.user, settings.database) == ("neo4j", "neo4j")
    assert "secret" not in repr(settings)
