"""The typed syntax tree of a query, as the parser builds it from ``grammar.lark``.

Every node remembers where it starts in the text (1-based ``line`` and ``column``) so the
planner can point at the exact word it refuses. Nothing here knows the schema or the store:
names are still the words the analyst typed, and parameters are still ``$names``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    column: int


# -- values --------------------------------------------------------------------------------------

ScalarKind = Literal["string", "number", "boolean", "date", "datetime", "symbol"]


class Scalar(Node):
    """A literal: ``"text"``, ``42``, ``true``, ``2024-03-01``, a bare word (``Person``)."""

    kind: Literal["scalar"] = "scalar"
    type: ScalarKind
    value: str | int | float | bool


class Param(Node):
    """``$name``: a value given when the query runs."""

    kind: Literal["param"] = "param"
    name: str


class ListValue(Node):
    kind: Literal["list"] = "list"
    items: tuple[Value, ...]


Value = Annotated[Union[Scalar, Param, ListValue], Field(discriminator="kind")]  # noqa: UP007


class Name(Node):
    """A word that names something of the schema or the language (a type, a measure...)."""

    value: str


# -- conditions ----------------------------------------------------------------------------------


class Comparison(Node):
    kind: Literal["comparison"] = "comparison"
    field: tuple[str, ...]
    operator: Literal["=", "!=", "<", "<=", ">", ">=", "~", "in"]
    value: Value


class AllOf(Node):
    kind: Literal["all"] = "all"
    items: tuple[Condition, ...]


class AnyOf(Node):
    kind: Literal["any"] = "any"
    items: tuple[Condition, ...]


class NoneOf(Node):
    kind: Literal["not"] = "not"
    item: Condition


Condition = Annotated[
    Union[Comparison, AllOf, AnyOf, NoneOf],  # noqa: UP007
    Field(discriminator="kind"),
]


# -- stages --------------------------------------------------------------------------------------


class Find(Node):
    stage: Literal["find"] = "find"
    types: tuple[Name, ...] = ()
    where: Condition | None = None


class Expand(Node):
    stage: Literal["expand"] = "expand"
    hops: Value | None = None
    via: tuple[Name, ...] = ()
    where: Condition | None = None


class Paths(Node):
    stage: Literal["paths"] = "paths"
    to: Pipeline
    within: Value | None = None
    via: tuple[Name, ...] = ()
    where: Condition | None = None
    top: Value | None = None
    directed: bool = False


class Filter(Node):
    stage: Literal["filter"] = "filter"
    target: Literal["nodes", "links"] = "nodes"
    where: Condition


class Rank(Node):
    stage: Literal["rank"] = "rank"
    measure: Name
    top: Value | None = None
    weighting: Name | None = None
    seed: Value | None = None
    samples: Value | None = None


class Communities(Node):
    stage: Literal["communities"] = "communities"
    algorithm: Name | None = None
    resolution: Value | None = None
    seed: Value | None = None
    min_size: Value | None = None
    top: Value | None = None
    weighting: Name | None = None


class HiddenLinks(Node):
    stage: Literal["hidden-links"] = "hidden-links"
    methods: tuple[Name, ...] = ()
    top: Value | None = None
    within: Value | None = None
    via: tuple[Name, ...] = ()
    min_score: Value | None = None


class Limit(Node):
    stage: Literal["limit"] = "limit"
    count: Value


class Column(Node):
    field: tuple[str, ...]
    alias: str | None = None


class Return(Node):
    stage: Literal["return"] = "return"
    parts: tuple[Name, ...] = ()
    table: Literal["nodes", "links", "hidden-links"] | None = None
    columns: tuple[Column, ...] = ()
    format: Name | None = None  # `return as gexf`: the answer as an export file
    purpose: Name | None = None  # `... for dissemination`


Stage = Annotated[
    Union[Find, Expand, Paths, Filter, Rank, Communities, HiddenLinks, Limit, Return],  # noqa: UP007
    Field(discriminator="stage"),
]


class Pipeline(Node):
    stages: tuple[Stage, ...]


# -- the query -----------------------------------------------------------------------------------


class Declaration(Node):
    """``param name: type = default``."""

    name: str
    type: Name
    list: bool = False
    default: Value | None = None


class Query(Node):
    declarations: tuple[Declaration, ...]
    pipeline: Pipeline

    def parameters_used(self) -> list[Param]:
        """Every ``$name`` in the pipeline, in the order written."""
        found: list[Param] = []

        def visit(node: object) -> None:
            if isinstance(node, Param):
                found.append(node)
            elif isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    visit(getattr(node, name))
            elif isinstance(node, tuple):
                for item in node:
                    visit(item)

        visit(self.pipeline)
        return found


for _model in (ListValue, AllOf, AnyOf, NoneOf, Comparison, Paths, Pipeline, Query):
    _model.model_rebuild()
