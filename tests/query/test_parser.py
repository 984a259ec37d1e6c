"""The query parser: every stage and option builds the expected syntax tree, the lexical
details (case, comments, escapes, dates, lists, parameters, keywords used as names) read as
the grammar says, and every malformed input is an ``InvalidQuery`` pointing at the fault."""

from __future__ import annotations

from typing import Any

import pytest

from graphsvc.errors import InvalidQuery
from graphsvc.query import ast
from graphsvc.query.parser import MAX_NESTING, MAX_QUERY_CHARS, parse


def stages(text: str) -> tuple[Any, ...]:
    return parse(text).pipeline.stages


def only_where(text: str) -> Any:
    find = stages(text)[0]
    assert isinstance(find, ast.Find)
    return find.where


def scalar(node: Any) -> tuple[str, Any]:
    assert isinstance(node, ast.Scalar)
    return node.type, node.value


def names(items: tuple[ast.Name, ...]) -> list[str]:
    return [n.value for n in items]


def comparisons(items: tuple[Any, ...]) -> list[ast.Comparison]:
    assert all(isinstance(i, ast.Comparison) for i in items)
    return list(items)


def failure(text: Any) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        parse(text)
    return caught.value


# -- stages and their options ----------------------------------------------------------------------


def test_find_with_types_and_a_condition() -> None:
    query = parse('find Person, Organization where name = "Acme"')
    assert query.declarations == ()
    (find,) = query.pipeline.stages
    assert isinstance(find, ast.Find)
    assert names(find.types) == ["Person", "Organization"]
    assert [(n.line, n.column) for n in find.types] == [(1, 6), (1, 14)]
    assert isinstance(find.where, ast.Comparison)
    assert find.where.field == ("name",)
    assert find.where.operator == "="
    assert scalar(find.where.value) == ("string", "Acme")


def test_find_alone_means_every_type() -> None:
    (find,) = stages("find")
    assert isinstance(find, ast.Find)
    assert (find.types, find.where) == ((), None)


def test_expand_defaults_and_every_option() -> None:
    bare = stages("find Person | expand")[1]
    assert isinstance(bare, ast.Expand)
    assert (bare.hops, bare.via, bare.where) == (None, (), None)
    full = stages("find Person | expand 2 via CALLED, MET where amount > 5000")[1]
    assert isinstance(full, ast.Expand)
    assert scalar(full.hops) == ("number", 2)
    assert names(full.via) == ["CALLED", "MET"]
    assert isinstance(full.where, ast.Comparison)
    assert (full.where.field, full.where.operator) == (("amount",), ">")
    assert scalar(full.where.value) == ("number", 5000)
    assert (full.line, full.column) == (1, 15)


def test_paths_with_a_target_pipeline_and_every_option() -> None:
    text = (
        'find Person | paths to (find Organization where name ~ "x") '
        "within 3 via OWNS, USES where date > 2020-01-01 top 2 directed"
    )
    paths = stages(text)[1]
    assert isinstance(paths, ast.Paths)
    (target,) = paths.to.stages
    assert isinstance(target, ast.Find)
    assert names(target.types) == ["Organization"]
    assert isinstance(target.where, ast.Comparison) and target.where.operator == "~"
    assert scalar(paths.within) == ("number", 3)
    assert names(paths.via) == ["OWNS", "USES"]
    assert isinstance(paths.where, ast.Comparison)
    assert scalar(paths.where.value) == ("date", "2020-01-01")
    assert scalar(paths.top) == ("number", 2)
    assert paths.directed is True


def test_paths_options_come_in_any_order_and_directed_defaults_off() -> None:
    paths = stages("find Person | paths to (find Person) top 4 within 2")[1]
    assert isinstance(paths, ast.Paths)
    assert scalar(paths.top) == ("number", 4)
    assert scalar(paths.within) == ("number", 2)
    assert paths.directed is False


def test_filter_targets_nodes_by_default_and_links_when_told() -> None:
    first, second, third = stages(
        "find | filter links where amount > 3 | filter nodes where degree >= 2"
        ' | filter where id = "a"'
    )[1:]
    assert isinstance(first, ast.Filter) and first.target == "links"
    assert isinstance(second, ast.Filter) and second.target == "nodes"
    assert isinstance(third, ast.Filter) and third.target == "nodes"
    assert isinstance(second.where, ast.Comparison)
    assert (second.where.field, second.where.operator) == (("degree",), ">=")


def test_rank_with_every_option() -> None:
    rank = stages("find Person | rank betweenness top 3 weighted by amount seed 7 samples 100")[1]
    assert isinstance(rank, ast.Rank)
    assert rank.measure.value == "betweenness"
    assert scalar(rank.top) == ("number", 3)
    assert rank.weighting is not None and rank.weighting.value == "amount"
    assert scalar(rank.seed) == ("number", 7)
    assert scalar(rank.samples) == ("number", 100)


def test_rank_without_options() -> None:
    rank = stages("find Person | rank pagerank")[1]
    assert isinstance(rank, ast.Rank)
    assert (rank.top, rank.weighting, rank.seed, rank.samples) == (None, None, None, None)


def test_communities_with_every_option() -> None:
    (communities,) = stages(
        "communities louvain resolution 0.5 seed 3 min-size 4 top 10 weighted by grading"
    )
    assert isinstance(communities, ast.Communities)
    assert communities.algorithm is not None and communities.algorithm.value == "louvain"
    assert scalar(communities.resolution) == ("number", 0.5)
    assert scalar(communities.seed) == ("number", 3)
    assert scalar(communities.min_size) == ("number", 4)
    assert scalar(communities.top) == ("number", 10)
    assert communities.weighting is not None and communities.weighting.value == "grading"


def test_communities_without_an_algorithm() -> None:
    (communities,) = stages("communities top 2")
    assert isinstance(communities, ast.Communities)
    assert communities.algorithm is None
    assert scalar(communities.top) == ("number", 2)


def test_hidden_links_with_every_option() -> None:
    hidden = stages(
        "find Person | hidden-links using adamic-adar, jaccard top 4 within 2 via CALLED "
        "min-score 0.1"
    )[1]
    assert isinstance(hidden, ast.HiddenLinks)
    assert names(hidden.methods) == ["adamic-adar", "jaccard"]
    assert scalar(hidden.top) == ("number", 4)
    assert scalar(hidden.within) == ("number", 2)
    assert names(hidden.via) == ["CALLED"]
    assert scalar(hidden.min_score) == ("number", 0.1)


def test_limit_takes_a_number_or_a_parameter() -> None:
    limit = stages("find Person | limit 7")[1]
    assert isinstance(limit, ast.Limit) and scalar(limit.count) == ("number", 7)
    limit = stages("find Person | limit $n")[1]
    assert isinstance(limit, ast.Limit)
    assert isinstance(limit.count, ast.Param) and limit.count.name == "n"


def test_return_parts_are_lowered() -> None:
    returned = stages("find Person | return NODES, Links, hidden-links, graph, count")[1]
    assert isinstance(returned, ast.Return)
    assert names(returned.parts) == ["nodes", "links", "hidden-links", "graph", "count"]
    assert (returned.table, returned.columns) == (None, ())


def test_return_table_of_nodes_by_default_with_aliases() -> None:
    returned = stages("find Person | return table id, label as name, handling.code")[1]
    assert isinstance(returned, ast.Return)
    assert returned.table == "nodes"
    assert [(c.field, c.alias) for c in returned.columns] == [
        (("id",), None),
        (("label",), "name"),
        (("handling", "code"), None),
    ]


@pytest.mark.parametrize("source", ["nodes", "links", "hidden-links", "LINKS"])
def test_return_table_of_each_source(source: str) -> None:
    returned = stages(f"find Person | return table of {source} from, to")[1]
    assert isinstance(returned, ast.Return)
    assert returned.table == source.lower()
    assert [c.field for c in returned.columns] == [("from",), ("to",)]


def test_stage_positions_on_several_lines() -> None:
    find, expand, returned = stages("find Person\n  | expand 1\n| return nodes")
    assert (find.line, find.column) == (1, 1)
    assert (expand.line, expand.column) == (2, 5)
    assert (returned.line, returned.column) == (3, 3)


# -- conditions ------------------------------------------------------------------------------------


def test_and_binds_tighter_than_or_and_not_applies_to_one_term() -> None:
    where = only_where("find Person where a = 1 or not b = 2 and c = 3")
    assert isinstance(where, ast.AnyOf)
    first, second = where.items
    assert isinstance(first, ast.Comparison) and first.field == ("a",)
    assert isinstance(second, ast.AllOf)
    negated, last = second.items
    assert isinstance(negated, ast.NoneOf)
    assert isinstance(negated.item, ast.Comparison) and negated.item.field == ("b",)
    assert isinstance(last, ast.Comparison) and last.field == ("c",)


def test_parentheses_group() -> None:
    where = only_where('find Person where not (name = "a" or name = "b") and id != "c"')
    assert isinstance(where, ast.AllOf)
    negated, comparison = where.items
    assert isinstance(negated, ast.NoneOf) and isinstance(negated.item, ast.AnyOf)
    assert len(negated.item.items) == 2
    assert isinstance(comparison, ast.Comparison) and comparison.operator == "!="


@pytest.mark.parametrize("operator", ["=", "!=", "<", "<=", ">", ">=", "~"])
def test_every_comparison_operator(operator: str) -> None:
    where = only_where(f"find Person where degree {operator} 3")
    assert isinstance(where, ast.Comparison)
    assert where.operator == operator


def test_operators_need_no_spaces() -> None:
    where = only_where("find Person where degree>=2 and amount<-5")
    assert isinstance(where, ast.AllOf)
    assert [(c.operator, scalar(c.value)) for c in comparisons(where.items)] == [
        (">=", ("number", 2)),
        ("<", ("number", -5)),
    ]


def test_dotted_fields() -> None:
    where = only_where("find Person where handling.classification <= RESTRICTED")
    assert isinstance(where, ast.Comparison)
    assert where.field == ("handling", "classification")
    assert scalar(where.value) == ("symbol", "RESTRICTED")


def test_in_takes_a_list_of_mixed_values() -> None:
    where = only_where('find Person where nationality in ["FR", BE, 3, true, $x, 2024-01-01]')
    assert isinstance(where, ast.Comparison) and where.operator == "in"
    assert isinstance(where.value, ast.ListValue)
    items = where.value.items
    assert [scalar(i) for i in items[:4]] == [
        ("string", "FR"),
        ("symbol", "BE"),
        ("number", 3),
        ("boolean", True),
    ]
    assert isinstance(items[4], ast.Param) and items[4].name == "x"
    assert scalar(items[5]) == ("date", "2024-01-01")


def test_empty_and_nested_lists() -> None:
    where = only_where("find Person where x in []")
    assert isinstance(where.value, ast.ListValue) and where.value.items == ()
    where = only_where("find Person where x in [[1], 2]")
    inner = where.value.items[0]
    assert isinstance(inner, ast.ListValue) and scalar(inner.items[0]) == ("number", 1)


# -- lexical details ---------------------------------------------------------------------------


def test_keywords_are_case_insensitive() -> None:
    query = parse(
        'FIND Person WHERE name ~ "x" AND NOT id = "y" | Expand 2 Via CALLED '
        "| RANK pagerank TOP 3 WEIGHTED BY grading | Hidden-Links USING jaccard "
        "| Return Table Of Nodes id AS ident"
    )
    find, expand, rank, hidden, returned = query.pipeline.stages
    assert isinstance(find, ast.Find) and isinstance(find.where, ast.AllOf)
    assert isinstance(expand, ast.Expand) and names(expand.via) == ["CALLED"]
    assert isinstance(rank, ast.Rank) and scalar(rank.top) == ("number", 3)
    assert isinstance(hidden, ast.HiddenLinks) and names(hidden.methods) == ["jaccard"]
    assert isinstance(returned, ast.Return)
    assert returned.table == "nodes" and returned.columns[0].alias == "ident"


def test_names_keep_their_case() -> None:
    find = stages("find person where Name = 1")[0]
    assert isinstance(find, ast.Find)
    assert names(find.types) == ["person"]
    assert isinstance(find.where, ast.Comparison) and find.where.field == ("Name",)


def test_comments_and_blank_lines_are_ignored() -> None:
    query = parse(
        "# who met Ivan\n\nfind Person   # the people\n\t| expand 1 # one hop\n# the end\n"
    )
    assert [s.stage for s in query.pipeline.stages] == ["find", "expand"]


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    where = only_where('find Person where name = "#1 suspect"')
    assert scalar(where.value) == ("string", "#1 suspect")


def test_string_escapes_in_both_quotes() -> None:
    where = only_where(
        r'find Person where name = "a\"b\\c\nd\te\'f\q" and notes = ' + r"'it\'s \"so\"'"
    )
    first, second = where.items
    assert scalar(first.value) == ("string", "a\"b\\c\nd\te'fq")
    assert scalar(second.value) == ("string", 'it\'s "so"')


def test_unicode_strings_survive() -> None:
    where = only_where('find Person where name ~ "Ștefan Lăzărescu"')
    assert scalar(where.value) == ("string", "Ștefan Lăzărescu")


def test_dates_months_and_datetimes_are_canonicalised() -> None:
    where = only_where(
        "find Event where date >= 2024-03-01 and date < 2024-03-01T10:00+02:00 "
        "and date != 2024-03 and date > 2024-03-01T10:00:00.5Z"
    )
    values = [scalar(c.value) for c in where.items]
    assert values[0] == ("date", "2024-03-01")
    assert values[1] == ("datetime", "2024-03-01T08:00:00Z")
    assert values[2] == ("date", "2024-03")
    assert values[3][0] == "datetime" and values[3][1].startswith("2024-03-01T10:00:00")


def test_numbers_integer_float_negative_exponent() -> None:
    where = only_where("find X where a = 42 and b = -7 and c = 1.25 and d = -5.5e3 and e = 1E2")
    values = [scalar(c.value) for c in where.items]
    assert values == [
        ("number", 42),
        ("number", -7),
        ("number", 1.25),
        ("number", -5500.0),
        ("number", 100.0),
    ]
    assert isinstance(values[0][1], int) and isinstance(values[2][1], float)


def test_largest_exact_integer_is_accepted() -> None:
    where = only_where(f"find X where a = {2**53} and b = -{2**53}")
    assert [scalar(c.value)[1] for c in where.items] == [2**53, -(2**53)]


def test_booleans_and_symbols() -> None:
    where = only_where("find X where a = TRUE and b = false and c = company")
    assert [scalar(c.value) for c in where.items] == [
        ("boolean", True),
        ("boolean", False),
        ("symbol", "company"),
    ]


def test_parameters_in_values_and_counts_in_order() -> None:
    query = parse("find X where a = $first and b in [$second] | expand $hops | limit $n")
    assert [(p.name, p.column) for p in query.parameters_used()] == [
        ("first", 18),
        ("second", 35),
        ("hops", 53),
        ("n", 67),
    ]


def test_declarations_scalar_list_and_defaults() -> None:
    query = parse(
        "param who: string\n"
        "param $n: integer = 2\n"
        'param tags: LIST OF string = ["a", "b"]\n'
        "param since: date = 2024-01-01\n"
        "find Person where name ~ $who | expand $n"
    )
    who, n, tags, since = query.declarations
    assert (who.name, who.type.value, who.list, who.default) == ("who", "string", False, None)
    assert (who.line, who.column) == (1, 7)
    assert (n.name, n.type.value) == ("n", "integer")
    assert scalar(n.default) == ("number", 2)
    assert (tags.name, tags.type.value, tags.list) == ("tags", "string", True)
    assert isinstance(tags.default, ast.ListValue)
    assert [scalar(i) for i in tags.default.items] == [("string", "a"), ("string", "b")]
    assert scalar(since.default) == ("date", "2024-01-01")
    assert query.pipeline.stages[0].line == 5


# -- keywords used as names --------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["links", "nodes", "to", "from", "top", "where", "param", "directed", "hidden-links"]
)
def test_a_keyword_is_a_name_where_a_field_is_expected(word: str) -> None:
    where = only_where(f'find Person where {word} = "x"')
    assert isinstance(where, ast.Comparison)
    assert where.field == (word,)


def test_keywords_as_values_and_columns() -> None:
    where = only_where("find Person where name = where and kind = nodes")
    assert [scalar(c.value) for c in where.items] == [("symbol", "where"), ("symbol", "nodes")]
    returned = stages("find Person | return table of links from, to as links")[1]
    assert isinstance(returned, ast.Return)
    assert [(c.field, c.alias) for c in returned.columns] == [(("from",), None), (("to",), "links")]


def test_a_link_property_named_to_in_a_filter() -> None:
    filter_ = stages('find Person | filter links where to = "t-p2" or from = "t-p1"')[1]
    assert isinstance(filter_, ast.Filter) and filter_.target == "links"
    assert isinstance(filter_.where, ast.AnyOf)
    assert [c.field for c in comparisons(filter_.where.items)] == [("to",), ("from",)]


# -- syntax errors -----------------------------------------------------------------------------


def test_a_syntax_error_has_line_column_caret_and_expected_tokens() -> None:
    error = failure("find Person\n| expand 1 via\n")
    assert (error.line, error.column) == (2, 15)
    assert "ends too early" in error.message
    assert "expected a name" in error.message
    assert error.excerpt == "2 | | expand 1 via\n  |               ^"
    assert str(error).startswith("line 2, column 15: the query ends too early")


def test_an_unexpected_token_says_what_was_expected() -> None:
    error = failure('find Person | limit "x"')
    assert (error.line, error.column) == (1, 21)
    assert "unexpected '\"x\"'" in error.message
    assert "expected a $parameter or a number" in error.message
    assert error.excerpt is not None and error.excerpt.endswith("\n  |" + " " * 21 + "^")


def test_an_unexpected_character() -> None:
    error = failure("find Person where name = @x")
    assert (error.line, error.column) == (1, 26)
    assert "unexpected character '@'" in error.message
    assert "a quoted string" in error.message


def test_an_empty_stage_after_a_bar() -> None:
    error = failure("find Person |")
    assert (error.line, error.column) == (1, 14)
    assert "`find`" in error.message and "`return`" in error.message


@pytest.mark.parametrize(
    ("text", "column", "meant"),
    [
        ("fnd Person", 1, "find"),
        ('find Person wher name = "x"', 13, "where"),
        ("find Person | communities leiden resolutoin 1.0", 34, "resolution"),
        ("find Person | retrun nodes", 15, "return"),
        ("find Person | expand 1 vai CALLED", 24, "via"),
        ("find Person | rank pagerank weigthed by amount", 29, "weighted"),
        ("find Person | hidden-links usng jaccard", 28, "using"),
        ("find Person | paths to (find Person) witin 3", 38, "within"),
        ("find Person | hidden_links", 15, "hidden-links"),
        ("find Person | filter lnks where amount > 1", 22, "links"),
        ("FND Person", 1, "find"),
    ],
)
def test_did_you_mean_on_a_misspelled_keyword(text: str, column: int, meant: str) -> None:
    error = failure(text)
    assert (error.line, error.column) == (1, column)
    assert f"did you mean {meant}?" in error.message


@pytest.mark.xfail(
    reason="BUG: a misspelled hyphenated keyword is cut at the hyphen ('hiden', 'min'), so "
    "no suggestion is made",
    strict=True,
)
@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("find Person | hiden-links", "hidden-links"),
        ("find Person | communities leiden min-sise 3", "min-size"),
    ],
)
def test_did_you_mean_on_a_misspelled_hyphenated_keyword(text: str, meant: str) -> None:
    assert f"did you mean {meant}?" in failure(text).message


@pytest.mark.xfail(
    reason="BUG: on an unexpected character the expected tokens are the LALR state's merged "
    "lookaheads: after `find Person` it lists `within`, `top`, `directed`..., which the "
    "parser then refuses there",
    strict=True,
)
def test_an_unexpected_character_lists_only_what_may_follow() -> None:
    message = failure("find Person @").message
    failure("find Person top")  # `top` cannot follow find...
    assert "`top`" not in message  # ...so the message must not offer it
    assert "`within`" not in message


def test_unclosed_string() -> None:
    error = failure('find Person where name = "abc')
    assert (error.line, error.column) == (1, 26)
    assert "string is not closed" in error.message


def test_a_string_does_not_run_over_a_line_end() -> None:
    error = failure('find Person where name = "abc\ndef"')
    assert (error.line, error.column) == (1, 26)
    assert "not closed on its line" in error.message


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("2024-02-30", "is not a calendar date"),
        ("2024-13-01", "is not a calendar date"),
        ("0000-01-01", "is not a calendar date"),
        ("2024-02-29T25:00", "is not an ISO date-time"),
    ],
)
def test_invalid_dates_point_at_the_literal(literal: str, message: str) -> None:
    error = failure(f"find Person where birthDate = {literal}")
    assert (error.line, error.column) == (1, 31)
    assert message in error.message


def test_a_leap_day_is_a_date() -> None:
    assert scalar(only_where("find X where d = 2024-02-29").value) == ("date", "2024-02-29")


@pytest.mark.parametrize("number", [str(2**53 + 1), "-" + str(2**53 + 1), "1e999", "-1e999"])
def test_huge_numbers_are_refused_where_they_are(number: str) -> None:
    error = failure(f"find Person where x = {number}")
    assert (error.line, error.column) == (1, 23)
    assert f"{number} is too large a number" in error.message


def test_huge_count() -> None:
    error = failure("find Person | limit 99999999999999999999")
    assert (error.line, error.column) == (1, 21)
    assert "too large" in error.message


@pytest.mark.xfail(
    reason="BUG: an integer of more than 4300 digits fails in int() with Python's message "
    "('use sys.set_int_max_str_digits()') and no line or column",
    strict=True,
)
def test_a_number_with_thousands_of_digits_is_too_large_where_it_is() -> None:
    error = failure("find Person where x = " + "1" * 5000)
    assert (error.line, error.column) == (1, 23)
    assert "too large a number" in error.message


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_NESTING
    where = only_where("find Person where " + "(" * depth + 'name = "x"' + ")" * depth)
    assert isinstance(where, ast.Comparison) and where.field == ("name",)


def test_nesting_over_the_limit_is_refused_at_the_bracket() -> None:
    depth = MAX_NESTING + 1
    error = failure("find Person where " + "(" * depth + 'name = "x"' + ")" * depth)
    assert (error.line, error.column) == (1, 18 + depth)
    assert f"more than {MAX_NESTING} nested brackets" in error.message


def test_deeply_nested_lists_are_refused() -> None:
    error = failure("find Person where x in " + "[" * 100 + "]" * 100)
    assert "nested brackets" in error.message


def test_thousands_of_nots_are_refused_not_crashing() -> None:
    error = failure("find Person where " + "not " * 3000 + 'name = "x"')
    assert "nested too deeply" in error.message


@pytest.mark.xfail(
    reason="BUG: nesting by `not` is not counted by the bracket check; the RecursionError it "
    "ends in becomes an InvalidQuery without line or column",
    strict=True,
)
def test_thousands_of_nots_are_refused_where_the_nesting_gets_too_deep() -> None:
    error = failure("find Person where " + "not " * 3000 + 'name = "x"')
    assert error.line == 1 and error.column is not None


@pytest.mark.xfail(
    reason="BUG: the nesting check counts brackets inside strings and comments",
    strict=True,
)
@pytest.mark.parametrize(
    "text",
    [
        'find Person where notes = "' + "(" * (MAX_NESTING + 1) + '"',
        "find Person # " + "[" * (MAX_NESTING + 1),
    ],
)
def test_brackets_in_strings_and_comments_are_not_nesting(text: str) -> None:
    assert isinstance(parse(text), ast.Query)


@pytest.mark.xfail(
    reason="BUG: excerpt() splits lines with str.splitlines (form feed, U+2028, lone CR...) "
    "while lark counts only newlines, so the excerpt shows another line than the fault's",
    strict=True,
)
def test_the_excerpt_shows_the_faulty_line_when_a_string_holds_a_form_feed() -> None:
    error = failure('find Person where notes = "a\x0cb"\n| fnd')
    assert (error.line, error.column) == (2, 3)
    assert error.excerpt is not None
    assert error.excerpt.splitlines()[0] == "2 | | fnd"


def test_crlf_line_ends_keep_positions() -> None:
    error = failure("find Person\r\n| expand 1 via CALLED | fnd")
    assert (error.line, error.column) == (2, 25)
    assert error.excerpt is not None and error.excerpt.startswith("2 | | expand 1 via CALLED")


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n", "# only a comment"])
def test_an_empty_query(text: str) -> None:
    error = failure(text)
    assert "empty" in error.message or "ends too early" in error.message


def test_an_empty_query_says_how_to_start() -> None:
    assert "start with a stage such as `find Person`" in failure("").message


def test_a_query_over_the_size_limit() -> None:
    error = failure("find Person" + " " * MAX_QUERY_CHARS)
    assert f"at most {MAX_QUERY_CHARS:,}" in error.message


@pytest.mark.parametrize("text", [None, b"find Person", 3, ["find Person"], {"q": 1}])
def test_non_string_input(text: Any) -> None:
    error = failure(text)
    assert error.message == f"a query is text, got {type(text).__name__}"


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("find Person | rank pagerank top 5 top 6", 35, "rank: `top` is given twice"),
        ("find Person | rank pagerank seed 1 seed 1", 36, "rank: `seed` is given twice"),
        (
            "find Person | paths to (find Person) within 2 within 3",
            47,
            "paths: `within` is given twice",
        ),
        ("find Person | paths to (find Person) directed directed", 47, "`directed` is given twice"),
        ("communities resolution 1 resolution 2", 26, "communities: `resolution` is given twice"),
        (
            "find Person | hidden-links via CALLED via MET",
            39,
            "hidden-links: `via` is given twice",
        ),
        ("find Person | return nodes, NODES", 29, "return: nodes is given twice"),
    ],
)
def test_duplicate_options(text: str, column: int, message: str) -> None:
    error = failure(text)
    assert (error.line, error.column) == (1, column)
    assert message in error.message


def test_expand_options_out_of_order_are_a_syntax_error() -> None:
    error = failure("find Person | expand 1 where amount > 3 via CALLED")
    assert error.column == 41
    assert "unexpected 'via'" in error.message


def test_duplicate_parameter_declarations_point_at_the_second() -> None:
    error = failure("param $x: string\nparam x: integer\nfind Person")
    assert (error.line, error.column) == (2, 7)
    assert "parameter $x is declared twice" in error.message


def test_a_declaration_needs_a_name() -> None:
    error = failure("param : string find Person")
    assert (error.line, error.column) == (1, 7)
    assert "expected a parameter name" in error.message


def test_declarations_come_before_the_pipeline() -> None:
    error = failure("find Person\nparam x: string")
    assert error.line == 2 and "unexpected 'param'" in error.message


def test_the_error_text_holds_the_location_and_the_excerpt() -> None:
    error = failure("fnd Person")
    assert str(error) == ("line 1, column 1: " + error.message + "\n1 | fnd Person\n  | ^")
    assert error.code == "INVALID_QUERY"
