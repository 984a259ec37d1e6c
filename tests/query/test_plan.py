"""The planner: names checked against the schema with suggestions and positions, the order
of stages, the server's limits, the types of compared values, and what the plan holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from graphsvc.analytics.centrality import Measure
from graphsvc.analytics.communities import Algorithm
from graphsvc.analytics.hidden_links import Method
from graphsvc.analytics.network import Weighting
from graphsvc.errors import InvalidQuery, LimitExceeded
from graphsvc.model.schema import Schema
from graphsvc.query import plan as p
from graphsvc.query.plan import QueryLimits
from graphsvc.query.run import compile_query


def compiled(
    schema: Schema,
    text: str,
    given: Mapping[str, Any] | None = None,
    limits: QueryLimits | None = None,
) -> p.Plan:
    return compile_query(text, given, schema, limits or QueryLimits())


def refused(schema: Schema, text: str, limits: QueryLimits | None = None) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        compiled(schema, text, limits=limits)
    return caught.value


def over(schema: Schema, text: str, limits: QueryLimits) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        compiled(schema, text, limits=limits)
    return caught.value


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("find Persn", 6, "unknown entity type Persn — did you mean Person?"),
        ("find Person, Organisation", 14, "unknown entity type Organisation — did you mean"),
        (
            "find Person | expand 1 via CALLLED",
            28,
            "unknown link type CALLLED — did you mean CALLED?",
        ),
        ('find Person where nmae = "x"', 19, "unknown entity field nmae — did you mean name?"),
        ("find Person | rank pagernk", 20, "unknown centrality measure pagernk; expected degree"),
        ("communities leidn", 13, "unknown community algorithm leidn; expected leiden"),
        (
            "find Person | hidden-links using adamic",
            34,
            "unknown link prediction method adamic; expected common-neighbours",
        ),
        (
            "find Person | filter links where amont > 1",
            34,
            "unknown link field amont — did you mean amount?",
        ),
        (
            "find Person | return table of links from, amont",
            43,
            "unknown link field amont — did you mean amount?",
        ),
        ("find Person | return foo", 22, "cannot return foo; expected graph, nodes, links"),
        (
            "find Person | return table of hidden-links from, to, scor",
            54,
            "a hidden-links table has columns from, to, score",
        ),
        ("find Person where type = Persn", 26, "unknown type Persn — did you mean Person?"),
        (
            "find Person | rank betweenness weighted by amont",
            44,
            "got amont — did you mean amount?",
        ),
        (
            "find Person | filter links where classification = SECRT",
            51,
            "unknown classification SECRT; expected UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or "
            "SECRET — did you mean SECRET?",
        ),
    ],
)
def test_unknown_names_point_at_the_word_with_a_suggestion(
    schema: Schema, text: str, column: int, message: str
) -> None:
    error = refused(schema, text)
    assert (error.line, error.column) == (1, column)
    assert message in error.message
    assert error.excerpt is not None and error.excerpt.endswith(" " * (column - 1) + "^")


def test_suggestions_name_the_close_option_only(schema: Schema) -> None:
    assert "did you mean pagerank?" in refused(schema, "find Person | rank pagernk").message
    assert (
        "did you mean adamic-adar?"
        in refused(schema, "find Person | hidden-links using adamic").message
    )
    assert "did you mean leiden?" in refused(schema, "communities leidn").message


def test_a_field_of_another_type_is_unknown_for_the_chosen_types(schema: Schema) -> None:
    error = refused(schema, 'find Person where iban = "x"')
    assert "unknown entity field iban" in error.message
    compiled(schema, 'find BankAccount where iban = "FR7630006000011234567890189"')
    compiled(schema, 'find where iban = "FR7630006000011234567890189"')  # any type


def test_names_of_measures_algorithms_and_methods_ignore_case_and_dashes(schema: Schema) -> None:
    plan = compiled(
        schema,
        "find Person | rank Weighted-Degree | communities LABEL-PROPAGATION "
        "| hidden-links using Adamic-Adar, resource-allocation",
    )
    rank, communities, hidden = plan.steps[1:]
    assert isinstance(rank, p.RankStep) and rank.measure is Measure.WEIGHTED_DEGREE
    assert isinstance(communities, p.CommunitiesStep)
    assert communities.algorithm is Algorithm.LABEL_PROPAGATION
    assert isinstance(hidden, p.HiddenLinksStep)
    assert hidden.methods == (Method.ADAMIC_ADAR, Method.RESOURCE_ALLOCATION)


def test_a_method_named_twice(schema: Schema) -> None:
    error = refused(schema, "find Person | hidden-links using jaccard, JACCARD")
    assert (error.line, error.column) == (1, 15)
    assert "a method is named twice" in error.message


# -- stage order ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("find Person | find Person", 15, "find starts a pipeline; to narrow what you have"),
        ("expand 1", 1, "expand needs entities to start from: begin with find"),
        ("paths to (find Person)", 1, "paths needs entities to start from: begin with find"),
        ("find Person | return nodes | limit 3", 15, "return ends a pipeline"),
        (
            "find Person | paths to (find Person | return nodes)",
            39,
            "the pipeline of paths to (...) cannot return",
        ),
        ("find Person | paths to (expand 1)", 25, "expand needs entities to start from"),
        ("find Person | paths to (find Person | find Person)", 39, "find starts a pipeline"),
    ],
)
def test_stage_order_rules(schema: Schema, text: str, column: int, message: str) -> None:
    error = refused(schema, text)
    assert (error.line, error.column) == (1, column)
    assert message in error.message


@pytest.mark.parametrize(
    "text",
    [
        "filter links where amount > 5000",
        "rank pagerank top 3",
        "communities",
        "hidden-links top 3",
        "limit 3",
        "return count",
    ],
)
def test_stages_other_than_expand_and_paths_may_start_on_the_whole_graph(
    schema: Schema, text: str
) -> None:
    assert len(compiled(schema, text).steps) == 1


def test_the_plan_holds_steps_with_defaults(schema: Schema) -> None:
    plan = compiled(
        schema,
        "find Person | expand | paths to (find Organization) | rank degree "
        "| communities | hidden-links | limit 4 | return graph, count, nodes",
    )
    find, expand, paths, rank, communities, hidden, limit, returned = plan.steps
    assert isinstance(find, p.FindStep)
    assert (find.types, find.where) == (frozenset({"Person"}), None)
    assert isinstance(expand, p.ExpandStep) and (expand.hops, expand.via) == (1, None)
    assert isinstance(paths, p.PathsStep)
    assert (paths.within, paths.top, paths.directed) == (4, 5, False)
    assert isinstance(paths.to.steps[0], p.FindStep)
    assert isinstance(rank, p.RankStep)
    assert (rank.top, rank.weighting, rank.seed, rank.samples) == (None, Weighting.COUNT, 0, None)
    assert isinstance(communities, p.CommunitiesStep)
    assert (communities.algorithm, communities.top, communities.min_size) == (
        Algorithm.LEIDEN,
        50,
        2,
    )
    assert isinstance(hidden, p.HiddenLinksStep)
    assert (hidden.methods, hidden.top, hidden.hops) == ((Method.COMBINED,), 20, 2)
    assert isinstance(limit, p.LimitStep) and limit.count == 4
    assert isinstance(returned, p.ReturnStep)
    assert returned.parts == ("nodes", "links", "count")
    assert plan.returns is returned


def test_weighting_by_a_numeric_link_property(schema: Schema) -> None:
    rank = compiled(schema, "rank pagerank weighted by amount").steps[0]
    assert isinstance(rank, p.RankStep)
    assert (rank.weighting, rank.weight_property) == (Weighting.SUM, "amount")
    rank = compiled(schema, "rank pagerank weighted by GRADING").steps[0]
    assert isinstance(rank, p.RankStep) and rank.weighting is Weighting.GRADING


def test_table_columns_with_aliases(schema: Schema) -> None:
    returned = compiled(schema, "find Person | return table id, label as name, nationality").returns
    assert returned is not None and returned.table == "nodes"
    assert [(c.header, c.name) for c in returned.columns] == [
        ("id", "id"),
        ("name", "label"),
        ("nationality", "nationality"),
    ]


def test_two_columns_with_the_same_header(schema: Schema) -> None:
    error = refused(schema, "find Person | return table id, label as id")
    assert "two columns have the same name" in error.message


# -- limits --------------------------------------------------------------------------------------


def test_expand_over_max_hops(schema: Schema) -> None:
    limits = QueryLimits(max_hops=2)
    compiled(schema, "find Person | expand 2", limits=limits)
    error = over(schema, "find Person | expand 3", limits)
    assert error.message == "line 1, column 22: 3 is over the limit of 2 (max_hops)"


def test_expand_hops_from_a_parameter_over_max_hops(schema: Schema) -> None:
    with pytest.raises(LimitExceeded, match="max_hops"):
        compiled(schema, "find Person | expand $n", {"n": 3}, QueryLimits(max_hops=2))


def test_paths_within_over_max_hops(schema: Schema) -> None:
    error = over(schema, "find Person | paths to (find Person) within 3", QueryLimits(max_hops=2))
    assert "3 is over the limit of 2 (max_hops)" in error.message


def test_paths_top_over_max_paths(schema: Schema) -> None:
    limits = QueryLimits(max_paths=10)
    compiled(schema, "find Person | paths to (find Person) top 10", limits=limits)
    error = over(schema, "find Person | paths to (find Person) top 11", limits)
    assert "11 is over the limit of 10 (max_paths)" in error.message


def test_rank_top_over_max_nodes(schema: Schema) -> None:
    error = over(schema, "find Person | rank pagerank top 51", QueryLimits(max_nodes=50))
    assert error.message == "line 1, column 33: 51 is over the limit of 50 (max_nodes)"


def test_communities_and_hidden_links_top_over_max_page(schema: Schema) -> None:
    limits = QueryLimits(max_page=30)
    assert (
        "31 is over the limit of 30 (max_page)"
        in over(schema, "communities top 31", limits).message
    )
    error = over(schema, "find Person | hidden-links top 31", limits)
    assert "(max_page)" in error.message


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("find Person | paths to (find Person)", QueryLimits(max_hops=3)),
        ("find Person | paths to (find Person) within 2", QueryLimits(max_paths=3)),
        ("communities", QueryLimits(max_page=30)),
        ("find Person | hidden-links", QueryLimits(max_page=10)),
    ],
)
def test_an_omitted_option_defaults_within_the_limits(
    schema: Schema, text: str, limits: QueryLimits
) -> None:
    compiled(schema, text, limits=limits)


def test_hidden_links_within_at_most_three_hops(schema: Schema) -> None:
    error = refused(schema, "find Person | hidden-links within 4")
    assert (error.line, error.column) == (1, 35)
    assert "within 1 to 3 hops" in error.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("find Person | expand 0", "hops must be at least 1, got 0"),
        ("find Person | limit -1", "limit must be at least 0, got -1"),
        ("find Person | limit 1.5", "limit must be a whole number, got 1.5"),
        ("find Person | limit 2147483649", "limit is too large: 2147483649"),
        ("find Person | rank pagerank top 0", "top must be at least 1"),
        ("find Person | paths to (find Person) within 0", "within must be at least 1"),
        ("communities min-size 0", "min-size must be at least 1"),
        ("communities resolution 0", "resolution must be above 0"),
        ("communities label-propagation resolution 1", "only leiden and louvain take a resolution"),
        ("find Person | rank degree samples 10", "only betweenness samples"),
    ],
)
def test_counts_and_numbers_are_checked(schema: Schema, text: str, message: str) -> None:
    assert message in refused(schema, text).message


def test_a_boolean_parameter_is_not_a_count(schema: Schema) -> None:
    with pytest.raises(InvalidQuery, match="top must be a whole number, got True"):
        compiled(schema, "find Person | rank pagerank top $n", {"n": True})


def test_limit_zero_is_allowed(schema: Schema) -> None:
    limit = compiled(schema, "find Person | limit 0").steps[1]
    assert isinstance(limit, p.LimitStep) and limit.count == 0


# -- value types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ('find Person where degree > "x"', 28, "degree is a number; got 'x'"),
        (
            'find BankAccount | expand 1 via TRANSFERRED_TO where date >= "notadate"',
            62,
            "date is a date: give one like 2024-03-01, got 'notadate'",
        ),
        ('find Person where birthDate = "soon"', 31, "birthDate is a date"),
        ("find Person where name ~ 5", 26, "`~` matches text: give a quoted string"),
        ('find Person where name ~ "  "', 26, "`~` matches text"),
        ('find Person where name in "x"', 27, "`name in` takes a list, like [a, b]"),
        ('find Person where name = ["x"]', 26, "a list goes with `in`, not `=`"),
        ("find Person where degree = true", 28, "degree is a number; got True"),
        ("find Person | filter links where directed > true", 34, "directed is true or false"),
        ("find Person | filter links where directed = 1", 45, "directed is true or false; got 1"),
        (
            "find Person | filter links where classification in [SECRET, TOP]",
            52,
            "unknown classification TOP",
        ),
        (
            'find Person where nationality = "France"',
            33,
            "nationality: 'France' is not an ISO 3166 alpha-2 country code",
        ),
        ('find Phone where number = "notaphone"', 27, "number: 'notaphone' is not a phone number"),
        ("find Person where name in [[1]]", 27, "lists cannot hold lists"),
    ],
)
def test_values_of_the_wrong_type_are_refused_where_they_are(
    schema: Schema, text: str, column: int, message: str
) -> None:
    error = refused(schema, text)
    assert (error.line, error.column) == (1, column)
    assert message in error.message


def test_property_values_are_normalised_like_ingestion(schema: Schema) -> None:
    find = compiled(schema, 'find Phone where number = "+33 6 12 34 56 78"').steps[0]
    assert isinstance(find, p.FindStep) and find.where is not None
    assert getattr(find.where, "value", None) == "+33612345678"


def test_paths_where_only_on_cheap_link_fields(schema: Schema) -> None:
    error = refused(schema, "find Person | paths to (find Person) where amount > 3")
    assert (error.line, error.column) == (1, 44)
    assert "paths can test a link's type, ends, date, confidence and direction only" in (
        error.message
    )
    compiled(
        schema, "find Person | paths to (find Person) where date > 2020-01-01 and confidence >= 0.5"
    )


# -- score, rank and community -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("find Person | filter where score > 0.1", "score is known after a rank stage"),
        ("find Person | filter where rank <= 3", "rank is known after a rank stage"),
        ("find Person | filter where community = 1", "community is known after a communities"),
        ("find Person | return table id, score", "score is known after a rank stage"),
        ("find Person | return table id, community", "community is known after a communities"),
        (
            "find Person | rank degree | paths to (find Person where score > 1)",
            "score is known after a rank stage",
        ),
    ],
)
def test_score_and_community_only_after_their_stage(
    schema: Schema, text: str, message: str
) -> None:
    assert message in refused(schema, text).message


@pytest.mark.parametrize(
    "text",
    [
        "find Person | rank pagerank | filter where score > 0.1 and rank <= 3",
        "find Person | rank pagerank | return table id, score, rank",
        "communities | filter where community = 0 | return table id, community",
        "find Person | rank degree | paths to (find Person) | filter where score > 1",
    ],
)
def test_score_and_community_after_their_stage(schema: Schema, text: str) -> None:
    assert compiled(schema, text).steps


def test_link_field_aliases(schema: Schema) -> None:
    filter_ = compiled(
        schema,
        "find Person | filter links where classification <= RESTRICTED and "
        'handling.classification <= RESTRICTED and reliability = "A" and caveats = "HUMINT"',
    ).steps[1]
    assert isinstance(filter_, p.FilterStep)
