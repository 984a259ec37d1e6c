"""Syntax tree + parameter values -> a validated plan: every name checked against the schema,
every parameter bound and typed, every size checked against the server's limits, before
anything runs. The plan knows nothing of a backend: it runs on any store's scoped view.

Errors point at the word at fault, with a suggestion where one is close ("unknown link type
CALLLED — did you mean CALLED?").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from graphsvc.analytics.centrality import Measure
from graphsvc.analytics.communities import Algorithm
from graphsvc.analytics.hidden_links import Method
from graphsvc.analytics.network import Weighting
from graphsvc.errors import InvalidInput, InvalidQuery, LimitExceeded
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.schema import PropertySpec, Schema
from graphsvc.model.text import did_you_mean, one_of
from graphsvc.query import ast
from graphsvc.query import conditions as c
from graphsvc.query.parser import located

PARTS = ("nodes", "links", "paths", "communities", "hidden-links", "count")
"""What ``return`` can name (``graph`` is nodes and links)."""


@dataclass(frozen=True)
class QueryLimits:
    """The server's limits as they apply inside a query (``graphsvc/api/config.py``)."""

    max_hops: int = 6
    max_nodes: int = 5_000
    max_links: int = 20_000
    max_paths: int = 100
    max_page: int = 500
    max_ids: int = 1_000
    max_seconds: float = 30.0


# -- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    stage: str
    line: int
    column: int


@dataclass(frozen=True)
class FindStep(Step):
    types: frozenset[str] | None
    where: c.Condition | None


@dataclass(frozen=True)
class ExpandStep(Step):
    hops: int
    via: frozenset[str] | None
    where: c.Condition | None


@dataclass(frozen=True)
class PathsStep(Step):
    to: Plan
    within: int
    via: frozenset[str] | None
    where: c.Condition | None
    top: int
    directed: bool


@dataclass(frozen=True)
class FilterStep(Step):
    target: Literal["nodes", "links"]
    where: c.Condition


@dataclass(frozen=True)
class RankStep(Step):
    measure: Measure
    top: int | None
    weighting: Weighting
    weight_property: str | None
    seed: int
    samples: int | None


@dataclass(frozen=True)
class CommunitiesStep(Step):
    algorithm: Algorithm
    resolution: float | None
    seed: int
    min_size: int
    top: int
    weighting: Weighting
    weight_property: str | None


@dataclass(frozen=True)
class HiddenLinksStep(Step):
    methods: tuple[Method, ...]
    top: int
    hops: int
    via: frozenset[str] | None
    min_score: float | None


@dataclass(frozen=True)
class LimitStep(Step):
    count: int


@dataclass(frozen=True)
class Column:
    header: str
    field: c.Field | None  # None for the hidden-links table's own columns
    name: str


@dataclass(frozen=True)
class ReturnStep(Step):
    parts: tuple[str, ...]
    table: Literal["nodes", "links", "hidden-links"] | None
    columns: tuple[Column, ...]
    export: tuple[FormatName, Purpose] | None = None  # `return as FORMAT [for PURPOSE]`


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def returns(self) -> ReturnStep | None:
        last = self.steps[-1] if self.steps else None
        return last if isinstance(last, ReturnStep) else None


# -- planning ------------------------------------------------------------------------------------


class _At(TypedDict):
    stage: str
    line: int
    column: int


SEEDED = ("expand", "paths")  # stages that need entities to start from


def plan(
    query: ast.Query,
    text: str,
    params: Mapping[str, Any],
    schema: Schema,
    limits: QueryLimits,
) -> Plan:
    """The validated plan of ``query`` with bound ``params`` (see ``params.bind``)."""
    return _Planner(text, params, schema, limits).pipeline(query.pipeline, top_level=True)


class _Planner:
    def __init__(
        self, text: str, params: Mapping[str, Any], schema: Schema, limits: QueryLimits
    ) -> None:
        self.text = text
        self.params = params
        self.schema = schema
        self.limits = limits
        self.ranked = self.clustered = False

    def error(self, node: ast.Node, message: str) -> InvalidQuery:
        return located(self.text, node.line, node.column, message)

    # -- pipeline ------------------------------------------------------------------------------

    def pipeline(self, pipeline: ast.Pipeline, *, top_level: bool) -> Plan:
        steps: list[Step] = []
        self.ranked = self.clustered = False
        for i, stage in enumerate(pipeline.stages):
            if isinstance(stage, ast.Find) and i > 0:
                raise self.error(
                    stage, "find starts a pipeline; to narrow what you have, use filter"
                )
            if stage.stage in SEEDED and i == 0:
                raise self.error(
                    stage, f"{stage.stage} needs entities to start from: begin with find"
                )
            if isinstance(stage, ast.Return):
                if i != len(pipeline.stages) - 1:
                    raise self.error(stage, "return ends a pipeline: nothing may follow it")
                if not top_level:
                    raise self.error(stage, "the pipeline of paths to (...) cannot return")
            steps.append(self.stage(stage))
        return Plan(steps=tuple(steps), text=self.text, params=dict(self.params))

    def stage(self, stage: ast.Stage) -> Step:
        at: _At = {"stage": stage.stage, "line": stage.line, "column": stage.column}
        if isinstance(stage, ast.Find):
            types = self.entity_types(stage.types)
            return FindStep(**at, types=types, where=self.entity_condition(stage.where, types))
        if isinstance(stage, ast.Expand):
            hops = 1 if stage.hops is None else self.count(stage.hops, "hops", minimum=1)
            self.at_most(stage.hops or stage, hops, self.limits.max_hops, "max_hops")
            via = self.link_types(stage.via)
            return ExpandStep(**at, hops=hops, via=via, where=self.link_condition(stage.where, via))
        if isinstance(stage, ast.Paths):
            saved = (self.ranked, self.clustered)
            target = self.pipeline(stage.to, top_level=False)
            self.ranked, self.clustered = saved
            within = min(4, self.limits.max_hops)  # an omitted option's default is lowered
            if stage.within is not None:
                within = self.count(stage.within, "within", minimum=1)
                self.at_most(stage.within, within, self.limits.max_hops, "max_hops")
            top = min(5, self.limits.max_paths)
            if stage.top is not None:
                top = self.count(stage.top, "top", minimum=1)
                self.at_most(stage.top, top, self.limits.max_paths, "max_paths")
            via = self.link_types(stage.via)
            where = self.link_condition(stage.where, via)
            if where is not None and not where.cheap:
                raise self.error(
                    stage.where or stage,
                    "paths can test a link's type, ends, date, confidence and direction only; "
                    "filter links after the paths for the rest",
                )
            return PathsStep(
                **at,
                to=target,
                within=min(within, self.limits.max_hops),
                via=via,
                where=where,
                top=min(top, self.limits.max_paths),
                directed=stage.directed,
            )
        if isinstance(stage, ast.Filter):
            where = (
                self.entity_condition(stage.where, None)
                if stage.target == "nodes"
                else self.link_condition(stage.where, None)
            )
            assert where is not None
            return FilterStep(**at, target=stage.target, where=where)
        if isinstance(stage, ast.Rank):
            return self.rank(stage, at)
        if isinstance(stage, ast.Communities):
            return self.communities(stage, at)
        if isinstance(stage, ast.HiddenLinks):
            return self.hidden_links(stage, at)
        if isinstance(stage, ast.Limit):
            return LimitStep(**at, count=self.count(stage.count, "limit", minimum=0))
        assert isinstance(stage, ast.Return)
        return self.returns(stage, at)

    def rank(self, stage: ast.Rank, at: _At) -> RankStep:
        measure = self.enum(stage.measure, Measure, "centrality measure")
        top = None if stage.top is None else self.count(stage.top, "top", minimum=1)
        if top is not None:
            self.at_most(stage.top or stage, top, self.limits.max_nodes, "max_nodes")
        samples = None if stage.samples is None else self.count(stage.samples, "samples", 1)
        if samples is not None and measure is not Measure.BETWEENNESS:
            raise self.error(stage.samples or stage, "only betweenness samples")
        weighting, prop = self.weighting(stage.weighting)
        self.ranked = True
        return RankStep(
            **at,
            measure=measure,
            top=top,
            weighting=weighting,
            weight_property=prop,
            seed=0 if stage.seed is None else self.count(stage.seed, "seed", minimum=0),
            samples=samples,
        )

    def communities(self, stage: ast.Communities, at: _At) -> CommunitiesStep:
        algorithm = (
            Algorithm.LEIDEN
            if stage.algorithm is None
            else self.enum(stage.algorithm, Algorithm, "community algorithm")
        )
        resolution = None
        if stage.resolution is not None:
            resolution = self.number(stage.resolution, "resolution")
            if algorithm not in (Algorithm.LEIDEN, Algorithm.LOUVAIN):
                raise self.error(stage.resolution, "only leiden and louvain take a resolution")
            if resolution <= 0:
                raise self.error(stage.resolution, "resolution must be above 0")
        top = min(50, self.limits.max_page)
        if stage.top is not None:
            top = self.count(stage.top, "top", minimum=1)
            self.at_most(stage.top, top, self.limits.max_page, "max_page")
        weighting, prop = self.weighting(stage.weighting)
        self.clustered = True
        return CommunitiesStep(
            **at,
            algorithm=algorithm,
            resolution=resolution,
            seed=0 if stage.seed is None else self.count(stage.seed, "seed", minimum=0),
            min_size=2 if stage.min_size is None else self.count(stage.min_size, "min-size", 1),
            top=min(top, self.limits.max_page),
            weighting=weighting,
            weight_property=prop,
        )

    def hidden_links(self, stage: ast.HiddenLinks, at: _At) -> HiddenLinksStep:
        methods = tuple(self.enum(m, Method, "link prediction method") for m in stage.methods)
        if len(set(methods)) != len(methods):
            raise self.error(stage, "hidden-links: a method is named twice")
        hops = 2 if stage.within is None else self.count(stage.within, "within", minimum=1)
        if hops > 3:
            raise self.error(stage.within or stage, "hidden-links looks within 1 to 3 hops")
        top = min(20, self.limits.max_page)
        if stage.top is not None:
            top = self.count(stage.top, "top", minimum=1)
            self.at_most(stage.top, top, self.limits.max_page, "max_page")
        min_score = None if stage.min_score is None else self.number(stage.min_score, "min-score")
        return HiddenLinksStep(
            **at,
            methods=methods or (Method.COMBINED,),
            top=top,
            hops=hops,
            via=self.link_types(stage.via),
            min_score=min_score,
        )

    def returns(self, stage: ast.Return, at: _At) -> ReturnStep:
        if stage.format is not None:
            fmt = self.enum(stage.format, FormatName, "export format")
            purpose = (
                Purpose.INTERNAL
                if stage.purpose is None
                else self.enum(stage.purpose, Purpose, "export purpose")
            )
            return ReturnStep(**at, parts=(), table=None, columns=(), export=(fmt, purpose))
        if stage.table is None:
            parts: list[str] = []
            for name in stage.parts:
                wanted = ["nodes", "links"] if name.value == "graph" else [name.value]
                if wanted[0] not in PARTS:
                    raise self.error(
                        name,
                        f"cannot return {name.value}; expected {one_of(('graph', *PARTS))}"
                        + did_you_mean(name.value, ("graph", *PARTS)),
                    )
                parts.extend(p for p in wanted if p not in parts)
            return ReturnStep(**at, parts=tuple(parts), table=None, columns=())
        columns = []
        for col in stage.columns:
            written = ".".join(col.field)
            if stage.table == "hidden-links":
                known = ("from", "to", "score", *(m.value.replace("_", "-") for m in Method))
                if written not in known:
                    raise self.error(
                        col,
                        f"a hidden-links table has columns {one_of(known)}"
                        + did_you_mean(written, known),
                    )
                columns.append(Column(header=col.alias or written, field=None, name=written))
                continue
            resolve = self.entity_field if stage.table == "nodes" else self.link_field
            found = resolve(col, col.field, None)
            columns.append(Column(header=col.alias or written, field=found, name=written))
        headers = [col.header for col in columns]
        if len(set(headers)) != len(headers):
            raise self.error(stage, "two columns have the same name: rename one with `as`")
        return ReturnStep(**at, parts=("table",), table=stage.table, columns=tuple(columns))

    # -- names -----------------------------------------------------------------------------------

    def entity_types(self, names: Sequence[ast.Name]) -> frozenset[str] | None:
        for name in names:
            self.known(name, self.schema.entities, "entity type")
        return frozenset(n.value for n in names) if names else None

    def link_types(self, names: Sequence[ast.Name]) -> frozenset[str] | None:
        for name in names:
            self.known(name, self.schema.links, "link type")
        return frozenset(n.value for n in names) if names else None

    def known(
        self,
        name: ast.Node,
        options: Mapping[str, Any] | Sequence[str],
        what: str,
        value: str | None = None,
    ) -> None:
        value = value if value is not None else getattr(name, "value", "")
        if value not in options:
            raise self.error(
                name,
                f"unknown {what} {value}"
                + (did_you_mean(value, options) or f"; expected {one_of(sorted(options))}"),
            )

    def enum(self, name: ast.Name, kind: Any, what: str) -> Any:
        wanted = name.value.lower().replace("-", "_")
        for member in kind:
            if member.value == wanted:
                return member
        options = [m.value.replace("_", "-") for m in kind]
        raise self.error(
            name,
            f"unknown {what} {name.value}; expected {one_of(options)}"
            + did_you_mean(name.value.lower(), options),
        )

    def weighting(self, name: ast.Name | None) -> tuple[Weighting, str | None]:
        if name is None or name.value.lower() == "count":
            return Weighting.COUNT, None
        if name.value.lower() == "grading":
            return Weighting.GRADING, None
        numeric = self.schema.numeric_link_properties()
        if name.value not in numeric:
            options = ["count", "grading", *numeric]
            raise self.error(
                name,
                f"weighted by count, grading or a numeric link property ({one_of(numeric)}); "
                f"got {name.value}" + did_you_mean(name.value, options),
            )
        return Weighting.SUM, name.value

    # -- values ----------------------------------------------------------------------------------

    def value(self, node: ast.Value) -> Any:
        if isinstance(node, ast.Param):
            return self.params[node.name]  # bind() saw to it that every one is given
        if isinstance(node, ast.ListValue):
            items = [self.value(item) for item in node.items]
            if any(isinstance(item, list) for item in items):
                raise self.error(node, "lists cannot hold lists")
            return items
        return node.value

    def count(self, node: ast.Value, what: str, minimum: int = 0) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise self.error(node, f"{what} must be a whole number, got {value!r}")
        if value < minimum:
            raise self.error(node, f"{what} must be at least {minimum}, got {int(value)}")
        if value > 2**31:
            raise self.error(node, f"{what} is too large: {int(value)}")
        return int(value)

    def number(self, node: ast.Value, what: str) -> float:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(node, f"{what} must be a number, got {value!r}")
        return float(value)

    def at_most(self, node: ast.Node, value: int, maximum: int, limit: str) -> None:
        if value > maximum:
            raise LimitExceeded(
                f"line {node.line}, column {node.column}: {value} is over the limit of "
                f"{maximum} ({limit})"
            )

    # -- conditions ------------------------------------------------------------------------------

    def entity_condition(
        self, node: ast.Condition | None, types: frozenset[str] | None
    ) -> c.Condition | None:
        return None if node is None else self.condition(node, self.entity_field, types)

    def link_condition(
        self, node: ast.Condition | None, types: frozenset[str] | None
    ) -> c.Condition | None:
        return None if node is None else self.condition(node, self.link_field, types)

    def condition(
        self,
        node: ast.Condition,
        resolve: Callable[[ast.Node, tuple[str, ...], frozenset[str] | None], c.Field],
        types: frozenset[str] | None,
    ) -> c.Condition:
        if isinstance(node, ast.AllOf):
            return c.AllOf([self.condition(i, resolve, types) for i in node.items])
        if isinstance(node, ast.AnyOf):
            return c.AnyOf([self.condition(i, resolve, types) for i in node.items])
        if isinstance(node, ast.NoneOf):
            return c.NoneOf(self.condition(node.item, resolve, types))
        found = resolve(node, node.field, types)
        return self.comparison(node, found)

    def comparison(self, node: ast.Comparison, found: c.Field) -> c.Comparison:
        value = self.value(node.value)
        op = node.operator
        where = node.value
        if op == "in":
            if not isinstance(value, list):
                raise self.error(where, f"`{found.name} in` takes a list, like [a, b]")
            items = [self.operand(where, found, op, v) for v in value]
            return c.Comparison(found, "in", items, self.schema.policy.levels)
        if isinstance(value, list):
            raise self.error(where, f"a list goes with `in`, not `{op}`")
        if op == "~":
            if not isinstance(value, str) or not value.strip():
                raise self.error(where, "`~` matches text: give a quoted string")
            return c.Comparison(found, "~", value)
        if op in c.ORDERED and found.kind == "boolean":
            raise self.error(node, f"{found.name} is true or false: compare it with = or !=")
        operand = self.operand(where, found, op, value)
        return c.Comparison(found, op, operand, self.schema.policy.levels)

    def operand(self, node: ast.Node, found: c.Field, op: str, value: Any) -> Any:
        """``value`` as the field compares it, or an error saying what it expects."""
        kind = found.kind
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(node, f"{found.name} is a number; got {value!r}")
            return value
        if kind == "instant":
            try:
                c.instant_range(value)
            except (ValueError, TypeError):
                raise self.error(
                    node, f"{found.name} is a date: give one like 2024-03-01, got {value!r}"
                ) from None
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self.error(node, f"{found.name} is true or false; got {value!r}")
            return value
        if kind == "level":
            levels = self.schema.policy.levels
            if value not in levels:
                raise self.error(
                    node,
                    f"unknown classification {value}; expected {one_of(levels)}"
                    + did_you_mean(str(value), levels),
                )
            return value
        if isinstance(value, bool | int | float) and kind != "string":
            raise self.error(node, f"{found.name} is text; got {value!r}")
        text = str(value)
        if found.name == "type":
            self.known(node, self._type_names(found), "type", text)
        if found.coerce is not None and op in ("=", "!=", "in"):
            try:
                return found.coerce(text)
            except (ValueError, InvalidInput) as exc:
                raise self.error(node, f"{found.name}: {exc}") from None
        return text

    def _type_names(self, found: c.Field) -> Mapping[str, Any]:
        return self.schema.links if found.column == "link_type" else self.schema.entities

    # -- fields ----------------------------------------------------------------------------------

    def entity_field(
        self, node: ast.Node, path: tuple[str, ...], types: frozenset[str] | None
    ) -> c.Field:
        name = ".".join(path)
        special = ENTITY_FIELDS.get(name)
        if special is not None:
            if name in ("score", "rank") and not self.ranked:
                raise self.error(node, f"{name} is known after a rank stage")
            if name == "community" and not self.clustered:
                raise self.error(node, "community is known after a communities stage")
            return special
        props = _properties(self.schema.entities.values(), types)
        if name in props:
            return _property_field(name, props[name])
        options = sorted({*ENTITY_FIELDS, *props})
        raise self.error(
            node,
            f"unknown entity field {name}"
            + (did_you_mean(name, options) or f"; expected one of {', '.join(options)}"),
        )

    def link_field(
        self, node: ast.Node, path: tuple[str, ...], types: frozenset[str] | None
    ) -> c.Field:
        name = ".".join(path)
        special = LINK_FIELDS.get(LINK_ALIASES.get(name, name))
        if special is not None:
            return special
        props = _properties(self.schema.links.values(), types)
        if name in props:
            return _property_field(name, props[name], link=True)
        options = sorted({*LINK_FIELDS, *LINK_ALIASES, *props})
        raise self.error(
            node,
            f"unknown link field {name}"
            + (did_you_mean(name, options) or f"; expected one of {', '.join(options)}"),
        )


def _properties(types: Any, chosen: frozenset[str] | None) -> dict[str, PropertySpec]:
    out: dict[str, PropertySpec] = {}
    for t in types:
        if chosen is None or t.name in chosen:
            for name, spec in t.properties.items():
                out.setdefault(name, spec)
    return out


KINDS: dict[str, c.Kind] = {
    "integer": "number",
    "number": "number",
    "date": "instant",
    "datetime": "instant",
    "boolean": "boolean",
}
NORMALISED = frozenset({"phone", "email", "iban", "bic", "plate", "country", "currency"})


def _property_field(name: str, spec: PropertySpec, *, link: bool = False) -> c.Field:
    return c.Field(
        name=name,
        kind=KINDS.get(spec.type, "string"),
        read=_link_reader(name) if link else _reader(name),
        coerce=c.property_coercer(spec.type) if spec.type in NORMALISED else None,
    )


def _reader(prop: str) -> Callable[[Any], list[Any]]:
    """An entity's values of ``prop`` (entities hold lists of values per property)."""
    return lambda item: list(item.properties.get(prop, ()))


def _link_reader(prop: str) -> Callable[[Any], list[Any]]:
    """A link's value of ``prop`` (links hold one value, a list for multiple properties)."""

    def read(item: Any) -> list[Any]:
        value = item.properties.get(prop)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    return read


ENTITY_FIELDS: dict[str, c.Field] = {
    "id": c.Field("id", "string", column="id"),
    "type": c.Field("type", "symbol", column="entity_type"),
    "label": c.Field("label", "string", read=lambda e: [e.label]),
    "degree": c.Field("degree", "number", column="degree"),
    "score": c.Field("score", "number", column="score"),
    "rank": c.Field("rank", "number", column="rank"),
    "community": c.Field("community", "number", column="community"),
    "source": c.Field("source", "string", read=lambda e: e.sources),
}

LINK_FIELDS: dict[str, c.Field] = {
    "id": c.Field("id", "string", read=lambda link: [link.id]),
    "type": c.Field("type", "symbol", column="link_type"),
    "from": c.Field("from", "string", column="from"),
    "to": c.Field("to", "string", column="to"),
    "directed": c.Field("directed", "boolean", column="directed"),
    "date": c.Field("date", "instant", column="time"),
    "confidence": c.Field("confidence", "number", column="confidence"),
    "provenance.source": c.Field("source", "string", read=lambda x: [x.provenance.source]),
    "provenance.record": c.Field("record", "string", read=lambda x: [x.provenance.record]),
    "provenance.method": c.Field("method", "string", read=lambda x: [x.provenance.method]),
    "provenance.observedAt": c.Field(
        "observedAt", "instant", read=lambda x: [v] if (v := x.provenance.observed_at) else []
    ),
    "provenance.ingestedAt": c.Field(
        "ingestedAt", "instant", read=lambda x: [x.provenance.ingested_at]
    ),
    "provenance.note": c.Field(
        "note", "string", read=lambda x: [v] if (v := x.provenance.note) else []
    ),
    "grading.source": c.Field("reliability", "string", read=lambda x: [x.grading.source]),
    "grading.information": c.Field("credibility", "string", read=lambda x: [x.grading.information]),
    "handling.classification": c.Field(
        "classification", "level", read=lambda x: [x.handling.classification]
    ),
    "handling.code": c.Field("code", "string", read=lambda x: [x.handling.code]),
    "handling.originator": c.Field("originator", "string", read=lambda x: [x.handling.originator]),
    "handling.caveats": c.Field("caveats", "string", read=lambda x: list(x.handling.caveats)),
    "handling.releasableTo": c.Field(
        "releasableTo", "string", read=lambda x: list(x.handling.releasable_to)
    ),
}

LINK_ALIASES = {
    "source": "provenance.source",
    "record": "provenance.record",
    "method": "provenance.method",
    "observedAt": "provenance.observedAt",
    "ingestedAt": "provenance.ingestedAt",
    "note": "provenance.note",
    "reliability": "grading.source",
    "credibility": "grading.information",
    "classification": "handling.classification",
    "code": "handling.code",
    "originator": "handling.originator",
    "caveats": "handling.caveats",
    "releasableTo": "handling.releasableTo",
}
