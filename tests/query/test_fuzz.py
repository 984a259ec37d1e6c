"""Fuzzing the query language: no input, however malformed, produces anything but an
``InvalidQuery`` when parsed and planned; running adds only ``LimitExceeded`` for answers or
searches over the limits.

Three sources of text: arbitrary unicode, shuffled fragments of the grammar (keywords, names,
operators, literals, bars and brackets), and valid queries with characters inserted, deleted
or replaced. Parameter values are fuzzed too, within finite floats and 64-bit integers (NaN,
infinities and huger integers crash the planner: see the xfail tests of ``test_params.py``).
Examples are derandomised so the suite is reproducible and stays fast.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.errors import InvalidQuery, LimitExceeded
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.query import ast
from graphsvc.query.parser import parse
from graphsvc.query.plan import QueryLimits
from graphsvc.query.run import compile_query, run_query
from graphsvc.store.protocol import GraphStore
from tests.query.cases import high_scope, low_scope

VALID = [
    'find Person where name ~ "lazarescu" | return table id, label',
    'find Person where id = "t-p1" | expand 2 | rank pagerank top 5 '
    "| return table id, label, score, rank",
    "communities leiden | return communities, count",
    'find Person where id = "t-p1" | hidden-links top 3 '
    "| return table of hidden-links from, to, score",
    "find BankAccount | expand 1 via TRANSFERRED_TO where amount > 5000 "
    "| return table of links from, to, amount, date",
    'find Person where id="t-p1" | paths to (find Organization) within 3 top 3 | return paths',
    "param n: integer = 2\nparam d: date = 2024-01-01\n"
    'find Person where birthDate >= $d and nationality in ["FR", "RO"] '
    "| expand $n via CALLED, MET where date <= 2024-03-01T10:00:00Z "
    "| filter links where classification <= RESTRICTED "
    "| rank betweenness top 3 samples 10 seed 1 | return nodes, links",
    "find Person, Organization where not (name = 'a\\'b' or id != \"c\") # comment\n"
    "| communities louvain resolution 0.5 min-size 2 top 4 weighted by amount "
    "| filter where community = 0 | limit 3 | return graph",
]

FRAGMENTS = [
    *("find", "where", "expand", "via", "paths", "to", "within", "top", "directed", "filter"),
    *("nodes", "links", "rank", "weighted", "by", "seed", "samples", "communities"),
    *("resolution", "min-size", "hidden-links", "using", "min-score", "limit", "return"),
    *("table", "of", "as", "graph", "count", "param", "list", "and", "or", "not", "in"),
    *("Person", "Organization", "BankAccount", "CALLED", "MET", "TRANSFERRED_TO", "Persn"),
    *("pagerank", "betweenness", "degree", "closeness", "leiden", "louvain", "jaccard"),
    *("name", "id", "label", "amount", "date", "classification", "score", "community"),
    *("handling.classification", "nationality", "birthDate", "SECRET", "integer", "string"),
    *("|", "(", ")", "[", "]", ",", ".", ":", "=", "!=", "<", "<=", ">", ">=", "~", "$p"),
    *('"x"', "'y'", '"unclosed', "1", "0", "-1", "2.5", "1e400", str(2**60), "99999999999"),
    *("2024-03-01", "2024-02-30", "2024-03", "2024-03-01T10:00:00Z", "true", "false"),
    *("#c\n", "\n", "\t", "@", "\\", "é"),
]

LIMITS = QueryLimits()
OVER = re.compile(r"^line \d+, column \d+: (\d+) is over the limit of (\d+) \((max_\w+)\)$")

# derandomised: the same examples on every run, so a failure reproduces
FAST = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SLOW = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def shuffled_fragments(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=16))
    separators = draw(st.lists(st.sampled_from([" ", "", "  ", "\n"]), min_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, separators, strict=False))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.one_of(st.sampled_from(list("|()[],.=!<>~\"'$#:-_ \n\\")), st.characters()))
        if kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    return text


ANY_TEXT = st.one_of(st.text(), shuffled_fragments(), mutated())

PARAM_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["2024-03-01", "2024-03-01T10:00:00Z", "SECRET", "Person", "FR"]),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def check_limit_error(error: LimitExceeded) -> None:
    """A limit error at planning time is a size over a limit, and says which."""
    found = OVER.match(error.message)
    assert found is not None, error.message
    value, maximum, limit = found.groups()
    assert int(value) > int(maximum)
    assert getattr(LIMITS, limit) == int(maximum)


def check_invalid(error: InvalidQuery) -> None:
    assert error.message
    assert error.code == "INVALID_QUERY"
    if error.column is not None:
        assert error.line is not None and error.line >= 1 and error.column >= 1
        assert error.excerpt is not None and error.excerpt.endswith("^")


# -- parse -----------------------------------------------------------------------------------------


@FAST
@given(text=st.text())
def test_arbitrary_text_parses_or_is_an_invalid_query(text: str) -> None:
    try:
        assert isinstance(parse(text), ast.Query)
    except InvalidQuery as error:
        check_invalid(error)


@FAST
@given(text=shuffled_fragments())
def test_shuffled_grammar_fragments_parse_or_are_an_invalid_query(text: str) -> None:
    try:
        assert isinstance(parse(text), ast.Query)
    except InvalidQuery as error:
        check_invalid(error)


@FAST
@given(text=mutated())
def test_mutated_queries_parse_or_are_an_invalid_query(text: str) -> None:
    try:
        assert isinstance(parse(text), ast.Query)
    except InvalidQuery as error:
        check_invalid(error)


@pytest.mark.parametrize("text", VALID)
def test_the_queries_mutated_are_valid(schema: Schema, text: str) -> None:
    assert compile_query(text, None, schema, LIMITS).steps


# -- plan ------------------------------------------------------------------------------------------


@FAST
@given(text=ANY_TEXT, value=PARAM_VALUES)
def test_planning_any_text_is_an_invalid_query_or_a_size_over_a_limit(
    schema: Schema, text: str, value: Any
) -> None:
    try:
        compile_query(text, {"p": value}, schema, LIMITS)
    except InvalidQuery as error:
        check_invalid(error)
    except LimitExceeded as error:
        check_limit_error(error)


@FAST
@given(
    template=st.sampled_from(
        [
            "find Person | limit $p",
            "find Person | expand $p",
            "find Person where name = $p",
            "find Person where birthDate >= $p",
            "find Person where nationality in $p",
            "find BankAccount | expand 1 via TRANSFERRED_TO where amount > $p",
            "find Person | filter links where classification <= $p",
            "find Person | rank pagerank top $p",
            "communities resolution $p",
            "find Person | hidden-links min-score $p",
            "find Person | paths to (find Person) within 2 top $p",
            "param p: integer\nfind Person | expand $p",
            "param p: list of date\nfind Person where birthDate in $p",
            "param p: number = 1\nfind Person | hidden-links min-score $p",
        ]
    ),
    value=PARAM_VALUES,
)
def test_any_parameter_value_is_an_invalid_query_or_a_size_over_a_limit(
    schema: Schema, template: str, value: Any
) -> None:
    try:
        compile_query(template, {"p": value}, schema, LIMITS)
    except InvalidQuery as error:
        check_invalid(error)
    except LimitExceeded as error:
        check_limit_error(error)


# -- run -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scope(schema: Schema) -> Scope:
    return high_scope(schema)


@SLOW
@given(text=st.one_of(mutated(), shuffled_fragments()))
def test_running_any_text_is_an_answer_an_invalid_query_or_a_limit(
    small: GraphStore, scope: Scope, text: str
) -> None:
    try:
        result = run_query(small, scope, text, {"p": 1}, QueryLimits(max_seconds=5))
    except InvalidQuery as error:
        check_invalid(error)
    except LimitExceeded as error:
        assert "limit" in error.message or "budget" in error.message
    else:
        assert result.count >= 0


# -- valid pipelines: invariants of the answer ---------------------------------------------------

FIRST_STAGES = [
    "find",
    "find Person",
    "find BankAccount",
    'find Person where nationality = "RO"',
    'find where id = "t-p1"',
    'find Person, Organization where name ~ "e"',
]
MIDDLE_STAGES = [
    "expand",
    "expand 2",
    "expand 1 via MET",
    "expand 2 via TRANSFERRED_TO where amount > 4000",
    "expand 1 where classification <= CONFIDENTIAL",
    "filter links where date <= 2024-03-01",
    "filter nodes where degree >= 1",
    "filter where type = Person",
    "rank pagerank top 3",
    "rank degree",
    "rank betweenness top 2 weighted by amount",
    "communities",
    "communities louvain resolution 0.5",
    "communities label-propagation min-size 1",
    "hidden-links top 3",
    "hidden-links using jaccard, katz within 3",
    "limit 2",
    "paths to (find Person) within 3 top 4",
    'paths to (find where id = "t-p4") via MET where date < 2024-03',
]
LAST_STAGES = [
    "",
    "return nodes, links, count",
    "return graph, paths, communities, hidden-links, count",
    "return table id, label, degree",
    "return table of links from, to, type, amount",
]


@st.composite
def pipelines(draw: st.DrawFn) -> str:
    middle = draw(st.lists(st.sampled_from(MIDDLE_STAGES), max_size=4))
    if any(s.startswith("rank") for s in middle):
        # hidden-links after a rank: a known bug, see test_execute.py
        # (test_hidden_links_after_a_rank_are_returned_as_nodes)
        first_rank = next(i for i, s in enumerate(middle) if s.startswith("rank"))
        middle = middle[: first_rank + 1] + [
            s for s in middle[first_rank + 1 :] if not s.startswith("hidden-links")
        ]
    stages = [draw(st.sampled_from(FIRST_STAGES)), *middle]
    last = draw(st.sampled_from(LAST_STAGES))
    return " | ".join([*stages, last] if last else stages)


@SLOW
@given(text=pipelines())
def test_valid_pipelines_give_consistent_answers_within_the_scope(
    small: GraphStore, schema: Schema, text: str
) -> None:
    for scope in (high_scope(schema), low_scope(schema)):
        result = run_query(small, scope, text)
        ids = {n.entity.id for n in result.nodes}
        if "nodes" in result.parts:
            assert result.count == len(result.nodes)
            assert len(ids) == len(result.nodes)
            if "links" in result.parts:
                assert all(x.source_id in ids and x.target_id in ids for x in result.links)
        assert all(scope.allows(x.handling) for x in result.links)
        for path in result.paths:
            assert all(scope.allows(x.handling) for x in path.links)
