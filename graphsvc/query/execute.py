"""Running a plan on the caller's scoped view, and the answer it gives.

The pipeline carries a working set: entities (view positions; at the start, the whole visible
graph) and the links among them, plus what the analytic stages added (scores, communities,
paths, candidate hidden links). Every stage reads through the store's ``view`` for the
caller's scope and materialises entities and links with ``entities_at``/``links_at`` in that
scope again, so a query sees exactly what the GraphQL operations it is made of would see, on
every backend. A time budget is checked between stages and inside long loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graphsvc.analytics import centrality as centrality_
from graphsvc.analytics import communities as communities_
from graphsvc.analytics import hidden_links as hidden_
from graphsvc.analytics.network import (
    Network,
    Selection,
    Weighting,
    network_of,
    network_on,
    weight_values,
)
from graphsvc.errors import LimitExceeded
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.graph import Entity, Link, Path
from graphsvc.policy.scope import Scope
from graphsvc.query import conditions as c
from graphsvc.query import plan as p
from graphsvc.store import traverse
from graphsvc.store.protocol import OPEN, GraphStore, LinkFilter
from graphsvc.store.view import BoolArray, IntArray, ScopedView

BATCH = 2_000  # entities or links read from the store at a time
MEMBERS_SHOWN = 20  # members listed per community, most central first


# -- the answer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultNode:
    entity: Entity
    degree: int = 0  # links to other entities of the answer
    score: float | None = None
    rank: int | None = None
    community: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entity": self.entity.to_dict(), "degree": self.degree}
        for key in ("score", "rank", "community"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class ResultCommunity:
    id: int
    size: int
    density: float
    members: tuple[str, ...]  # entity ids, most central first (at most MEMBERS_SHOWN)
    link_types: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "density": self.density,
            "members": list(self.members),
            "linkTypes": self.link_types,
        }


@dataclass(frozen=True)
class ResultPair:
    source: Entity
    target: Entity
    score: float
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source.id,
            "to": self.target.id,
            "score": self.score,
            "scores": self.scores,
        }


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class QueryResult:
    """What a query returns. ``parts`` says which of the fields it asked for."""

    parts: tuple[str, ...]
    count: int
    nodes: tuple[ResultNode, ...] = ()
    links: tuple[Link, ...] = ()
    paths: tuple[Path, ...] = ()
    communities: tuple[ResultCommunity, ...] = ()
    modularity: float | None = None
    hidden_links: tuple[ResultPair, ...] = ()
    table: Table | None = None
    elapsed: float = 0.0
    measure: str | None = None  # the centrality measure behind the nodes' scores
    export: tuple[FormatName, Purpose] | None = None  # `return as FORMAT for PURPOSE`

    @property
    def entity_ids(self) -> list[str]:
        """Every entity id in the answer, for the audit trail."""
        ids = [n.entity.id for n in self.nodes]
        ids += [e.id for path in self.paths for e in path.nodes]
        ids += [x for pair in self.hidden_links for x in (pair.source.id, pair.target.id)]
        ids += [m for community in self.communities for m in community.members]
        return list(dict.fromkeys(ids))

    @property
    def link_ids(self) -> list[str]:
        ids = [link.id for link in self.links]
        ids += [link.id for path in self.paths for link in path.links]
        return list(dict.fromkeys(ids))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parts": list(self.parts), "count": self.count}
        if "nodes" in self.parts:
            out["nodes"] = [n.to_dict() for n in self.nodes]
        if "links" in self.parts:
            out["links"] = [link.to_dict() for link in self.links]
        if "paths" in self.parts:
            out["paths"] = [path.to_dict() for path in self.paths]
        if "communities" in self.parts:
            out["modularity"] = self.modularity
            out["communities"] = [x.to_dict() for x in self.communities]
        if "hidden-links" in self.parts:
            out["hiddenLinks"] = [x.to_dict() for x in self.hidden_links]
        if self.table is not None:
            out["table"] = self.table.to_dict()
        return out


# -- running -------------------------------------------------------------------------------------


def execute(
    store: GraphStore, scope: Scope, query_plan: p.Plan, limits: p.QueryLimits
) -> QueryResult:
    """Run ``query_plan`` in ``scope``; ``LimitExceeded`` when the answer or the time would
    pass the limits."""
    started = time.monotonic()
    run = _Run(store, scope, store.view(scope), limits, started + limits.max_seconds)
    state = run.pipeline(query_plan)
    return run.answer(state, query_plan.returns, time.monotonic() - started)


@dataclass
class _State:
    vertices: IntArray | None = None  # None: the whole visible graph
    edges: IntArray | None = None
    order: IntArray | None = None  # vertices in ranked order, when ranked
    score: npt.NDArray[np.float64] | None = None
    rank: IntArray | None = None
    measure: str | None = None
    community: IntArray | None = None
    communities: list[ResultCommunity] | None = None
    modularity: float | None = None
    pairs: list[tuple[int, int, float, dict[str, float]]] | None = None
    paths: list[tuple[list[int], list[list[int]]]] | None = None


@dataclass
class _Run:
    store: GraphStore
    scope: Scope
    view: ScopedView
    limits: p.QueryLimits
    deadline: float
    entities: dict[int, Entity | None] = field(default_factory=dict)
    links: dict[int, Link | None] = field(default_factory=dict)
    stage: str = ""

    # -- budget ----------------------------------------------------------------------------------

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                f"the query ran past its time budget of {self.limits.max_seconds:g} s "
                f"(max_query_seconds) in its {self.stage} stage: narrow it with types, "
                "where conditions or fewer hops"
            )

    # -- materialising ---------------------------------------------------------------------------

    def entities_of(self, vertices: list[int]) -> list[Entity | None]:
        missing = [v for v in dict.fromkeys(vertices) if v not in self.entities]
        for start in range(0, len(missing), BATCH):
            self.check_time()
            chunk = missing[start : start + BATCH]
            found = self.store.entities_at(self.scope, self.view, chunk)
            self.entities.update(zip(chunk, found, strict=True))
        return [self.entities[v] for v in vertices]

    def links_of(self, edges: list[int]) -> list[Link | None]:
        missing = [e for e in dict.fromkeys(edges) if e not in self.links]
        for start in range(0, len(missing), BATCH):
            self.check_time()
            chunk = missing[start : start + BATCH]
            found = self.store.links_at(self.scope, self.view, chunk)
            self.links.update(zip(chunk, found, strict=True))
        return [self.links[e] for e in edges]

    # -- the pipeline ----------------------------------------------------------------------------

    def pipeline(self, query_plan: p.Plan) -> _State:
        state = _State()
        for step in query_plan.steps:
            self.stage = f"{step.stage} (line {step.line})"
            self.check_time()
            state = self.step(step, state)
        return state

    def step(self, step: p.Step, state: _State) -> _State:
        if isinstance(step, p.FindStep):
            return _State(vertices=self.find(step), edges=np.empty(0, dtype=np.int64))
        if isinstance(step, p.ExpandStep):
            return self.expand(step, state)
        if isinstance(step, p.PathsStep):
            return self.paths(step, state)
        if isinstance(step, p.FilterStep):
            return self.filter(step, state)
        if isinstance(step, p.RankStep):
            return self.rank(step, state)
        if isinstance(step, p.CommunitiesStep):
            return self.communities(step, state)
        if isinstance(step, p.HiddenLinksStep):
            return self.hidden_links(step, state)
        if isinstance(step, p.LimitStep):
            return self.limit(step, state)
        return state  # return: shapes the answer only

    def all_vertices(self, state: _State) -> IntArray:
        if state.vertices is not None:
            return state.vertices
        return np.arange(self.view.n, dtype=np.int64)

    def all_edges(self, state: _State) -> IntArray:
        if state.edges is not None:
            return state.edges
        return np.arange(self.view.m, dtype=np.int64)

    def degrees(self, state: _State) -> IntArray:
        """Each vertex's links in the working set (a self-link counts twice)."""
        edges = self.all_edges(state)
        ends = np.concatenate([self.view.edge_src[edges], self.view.edge_dst[edges]])
        return np.bincount(ends, minlength=self.view.n).astype(np.int64)

    def find(self, step: p.FindStep) -> IntArray:
        candidates = np.arange(self.view.n, dtype=np.int64)
        if step.types is not None:
            codes = [i for i, n in enumerate(self.view.entity_type_names) if n in step.types]
            candidates = candidates[np.isin(self.view.vertex_type, codes)]
        if step.where is not None:
            candidates = candidates[step.where.evaluate(_EntityRows(self, candidates, _State()))]
        return np.sort(candidates)

    def link_mask(self, via: frozenset[str] | None) -> BoolArray | None:
        return self.view.edge_mask(LinkFilter(types=via)) if via is not None else None

    def expand(self, step: p.ExpandStep, state: _State) -> _State:
        seeds = self.all_vertices(state)
        mask = self.link_mask(step.via)
        if step.where is None:
            found = traverse.expand(self.view, seeds, step.hops, mask, max(self.view.n, 1))
            vertices, edges = found.vertices, found.edges
        else:
            vertices, edges = self._expand_where(seeds, step.hops, mask, step.where)
        grown = _State(
            vertices=np.union1d(seeds, vertices),
            edges=np.union1d(self.all_edges(state), edges) if state.edges is not None else edges,
        )
        # what earlier stages computed stays with the entities it was computed for
        grown.order, grown.score, grown.rank, grown.measure = (
            state.order,
            state.score,
            state.rank,
            state.measure,
        )
        grown.community, grown.communities = state.community, state.communities
        grown.modularity = state.modularity
        return grown

    def _expand_where(
        self, seeds: IntArray, hops: int, mask: BoolArray | None, where: c.Condition
    ) -> tuple[IntArray, IntArray]:
        """Breadth-first over links that pass ``where``, tested only where the search goes."""
        passed: dict[int, bool] = {}

        def allowed(edges: IntArray) -> IntArray:
            if mask is not None:
                edges = edges[mask[edges]]
            unknown = np.asarray(
                [e for e in np.unique(edges).tolist() if e not in passed], dtype=np.int64
            )
            if unknown.size:
                hits = where.evaluate(_LinkRows(self, unknown))
                passed.update(zip(unknown.tolist(), hits.tolist(), strict=True))
            keep = np.fromiter((passed[e] for e in edges.tolist()), bool, edges.size)
            kept: IntArray = edges[keep]
            return kept

        selected = np.zeros(self.view.n, dtype=bool)
        selected[seeds] = True
        frontier = seeds
        for _ in range(hops):
            self.check_time()
            edges, neighbours, _, _ = self.view.incident(frontier)
            ok = np.isin(edges, allowed(edges))
            new = np.unique(neighbours[ok][~selected[neighbours[ok]]])
            if new.size == 0:
                break
            selected[new] = True
            frontier = new
        vertices = np.flatnonzero(selected)
        induced = traverse.induced_edges(self.view, vertices, selected, mask)
        return vertices, np.sort(allowed(induced))

    def paths(self, step: p.PathsStep, state: _State) -> _State:
        sources = self.all_vertices(state)
        targets = self.pipeline(step.to).vertices
        targets = np.arange(self.view.n, dtype=np.int64) if targets is None else targets
        pairs = sources.size * targets.size
        if pairs > self.limits.max_ids:
            raise LimitExceeded(
                f"paths between {sources.size:,} and {targets.size:,} entities would search "
                f"{pairs:,} pairs, over the limit of {self.limits.max_ids:,} (max_ids): "
                "narrow one side"
            )
        self.stage = f"paths (line {step.line})"
        mask = self.link_mask(step.via)
        if step.where is not None:
            every = np.arange(self.view.m, dtype=np.int64)
            hits = step.where.evaluate(_LinkRows(self, every))
            mask = hits if mask is None else mask & hits
        found: list[tuple[list[int], list[list[int]]]] = []
        for s in sources.tolist():
            for t in targets.tolist():
                self.check_time()
                found += traverse.shortest_paths(
                    self.view, s, t, step.within, mask, step.top, step.directed
                )
        ids = self.view.vertex_ids
        found.sort(key=lambda path: (len(path[0]), [ids[v] for v in path[0]]))
        found = found[: step.top]
        vertices = np.unique(np.asarray([v for vs, _ in found for v in vs], dtype=np.int64))
        edges = np.unique(
            np.asarray([e for _, hops in found for hop in hops for e in hop], dtype=np.int64)
        )
        return _State(vertices=vertices, edges=edges, paths=found)

    def filter(self, step: p.FilterStep, state: _State) -> _State:
        if step.target == "links":
            edges = self.all_edges(state)
            kept = edges[step.where.evaluate(_LinkRows(self, edges))]
            return self._keep(state, self.all_vertices(state), kept)
        vertices = self.all_vertices(state)
        kept = vertices[step.where.evaluate(_EntityRows(self, vertices, state))]
        return self._keep(state, kept, None)

    def _keep(self, state: _State, vertices: IntArray, edges: IntArray | None) -> _State:
        """``state`` narrowed to ``vertices`` and (when given) ``edges``; links whose ends
        are gone go too, and so do paths and pairs that lose an entity or a hop."""
        inside = np.zeros(self.view.n, dtype=bool)
        inside[vertices] = True
        if edges is None:
            edges = self.all_edges(state)
        edges = edges[inside[self.view.edge_src[edges]] & inside[self.view.edge_dst[edges]]]
        edge_set = set(edges.tolist())
        paths = None
        if state.paths is not None:
            paths = []
            for vs, hops in state.paths:
                kept_hops = [[e for e in hop if e in edge_set] for hop in hops]
                if all(inside[v] for v in vs) and all(kept_hops):
                    paths.append((vs, kept_hops))
        pairs = None
        if state.pairs is not None:
            pairs = [x for x in state.pairs if inside[x[0]] and inside[x[1]]]
        order = None if state.order is None else state.order[inside[state.order]]
        return _State(
            vertices=vertices,
            edges=edges,
            order=order,
            score=state.score,
            rank=state.rank,
            measure=state.measure,
            community=state.community,
            communities=state.communities,
            modularity=state.modularity,
            pairs=pairs,
            paths=paths,
        )

    def network(self, state: _State, weighting: Weighting, prop: str | None) -> Network:
        identifiers = self.store.schema.identifier_types
        values = weight_values(self.store, self.scope, self.view, weighting, prop)
        if state.vertices is None:
            chosen = Selection(link_filter=OPEN, weighting=weighting, weight_property=prop)
            return network_of(self.view, chosen, identifiers, values)
        edges = state.edges if state.edges is not None else np.empty(0, dtype=np.int64)
        return network_on(self.view, state.vertices, edges, weighting, identifiers, values)

    def rank(self, step: p.RankStep, state: _State) -> _State:
        network = self.network(state, step.weighting, step.weight_property)
        top = network.n if step.top is None else step.top
        found = centrality_.rank(network, step.measure, top, samples=step.samples, seed=step.seed)
        assert network.vertex_view is not None
        score = np.full(self.view.n, np.nan)
        score[network.vertex_view] = found.scores
        order = network.vertex_view[found.top]
        rank = np.full(self.view.n, -1, dtype=np.int64)
        rank[order] = np.arange(1, order.size + 1)
        kept = np.sort(order)
        edges = state.edges
        if edges is None:
            edges = traverse.induced_edges(self.view, kept)
        narrowed = self._keep(state, kept, edges)
        narrowed.order, narrowed.score, narrowed.rank = order, score, rank
        narrowed.measure = step.measure.value
        return narrowed

    def communities(self, step: p.CommunitiesStep, state: _State) -> _State:
        network = self.network(state, step.weighting, step.weight_property)
        found = communities_.detect(
            network,
            step.algorithm,
            resolution=step.resolution,
            seed=step.seed,
            min_size=step.min_size,
            limit=step.top,
        )
        assert network.vertex_view is not None
        community = np.full(self.view.n, -1, dtype=np.int64)
        community[network.vertex_view] = found.membership
        summaries = [
            ResultCommunity(
                id=x.id,
                size=x.size,
                density=x.density,
                members=tuple(network.ids[x.members[:MEMBERS_SHOWN]].tolist()),
                link_types=dict(sorted(x.link_types.items())),
            )
            for x in found.communities
        ]
        if state.vertices is None:
            kept = np.sort(network.vertex_view)
            state = self._keep(state, kept, traverse.induced_edges(self.view, kept))
        state.community, state.communities, state.modularity = (
            community,
            summaries,
            found.modularity,
        )
        return state

    def hidden_links(self, step: p.HiddenLinksStep, state: _State) -> _State:
        # evidence: every visible link
        scorer = hidden_.scorer_on(self.view, OPEN, step.via, self.store.schema.identifier_types)
        network = scorer.network
        seeds = None
        if state.vertices is not None:
            seeds = network.positions_of(self.view.vertex_ids[state.vertices].tolist())
            seeds = seeds[seeds >= 0]
        found = hidden_.predict(
            scorer, step.methods, seeds, hops=step.hops, top=step.top, min_score=step.min_score
        )
        assert network.vertex_view is not None
        pairs = []
        for i, (u, v) in enumerate(zip(found.u.tolist(), found.v.tolist(), strict=True)):
            scores = {
                m.value.replace("_", "-"): float(found.scores[i, j])
                for j, m in enumerate(found.methods)
            }
            pairs.append(
                (
                    int(network.vertex_view[u]),
                    int(network.vertex_view[v]),
                    float(found.scores[i, 0]),
                    scores,
                )
            )
        state.pairs = pairs
        if state.vertices is not None:
            ends = np.asarray([x for u, v, _, _ in pairs for x in (u, v)], dtype=np.int64)
            state.vertices = np.union1d(state.vertices, ends)
        return state

    def ordered(self, state: _State, vertices: IntArray) -> IntArray:
        """``vertices`` in answer order: the ranked ones best first, then the others (added by
        a later stage) by id."""
        by_id = vertices[np.argsort(self.view.id_rank[vertices], kind="stable")]
        if state.order is None:
            return by_id
        ranked = state.order[np.isin(state.order, vertices)]
        return np.concatenate([ranked, by_id[~np.isin(by_id, ranked)]])

    def limit(self, step: p.LimitStep, state: _State) -> _State:
        chosen = self.ordered(state, self.all_vertices(state))[: step.count]
        narrowed = self._keep(state, np.sort(chosen), state.edges)
        if state.vertices is None:  # the whole graph: links among the chosen
            narrowed.edges = traverse.induced_edges(self.view, np.sort(chosen))
        return narrowed

    # -- the answer ------------------------------------------------------------------------------

    def answer(self, state: _State, returns: p.ReturnStep | None, elapsed: float) -> QueryResult:
        self.stage = "return"
        vertices = self.all_vertices(state)
        if returns is None or returns.export is not None:
            parts = ["nodes", "links"]
            if state.paths is not None:
                parts.append("paths")
            if state.communities is not None:
                parts.append("communities")
            if state.pairs is not None:
                parts.append("hidden-links")
            parts.append("count")
        else:
            parts = list(returns.parts)
        out: dict[str, Any] = {"parts": tuple(parts), "count": int(vertices.size)}
        out["measure"] = state.measure
        out["export"] = None if returns is None else returns.export
        wants_nodes = "nodes" in parts or (returns is not None and returns.table == "nodes")
        if wants_nodes:
            self._within(vertices.size, self.limits.max_nodes, "entities", "max_nodes")
            out["nodes"] = tuple(self._nodes(state, vertices))
        wants_links = "links" in parts or (returns is not None and returns.table == "links")
        if wants_links:
            edges = self.all_edges(state)
            self._within(edges.size, self.limits.max_links, "links", "max_links")
            found = [x for x in self.links_of(edges.tolist()) if x is not None]
            out["links"] = tuple(sorted(found, key=lambda link: link.id))
        if "paths" in parts:
            out["paths"] = tuple(self._paths(state.paths or []))
        if "communities" in parts:
            out["communities"] = tuple(state.communities or ())
            out["modularity"] = state.modularity
        if "hidden-links" in parts or (returns is not None and returns.table == "hidden-links"):
            out["hidden_links"] = tuple(self._pairs(state.pairs or []))
        if returns is not None and returns.table is not None:
            out["table"] = self._table(returns, out)
        self.check_time()
        return QueryResult(**out, elapsed=elapsed)

    def _within(self, size: int, maximum: int, what: str, limit: str) -> None:
        if size > maximum:
            raise LimitExceeded(
                f"the query returns {size:,} {what}, over the limit of {maximum:,} ({limit}): "
                "add `| limit N`, narrow it with where, or return count"
            )

    def _nodes(self, state: _State, vertices: IntArray) -> list[ResultNode]:
        ordered = self.ordered(state, vertices)
        degree = self.degrees(state)
        out = []
        for v, entity in zip(ordered.tolist(), self.entities_of(ordered.tolist()), strict=True):
            if entity is None:
                continue
            score = None if state.score is None else float(state.score[v])
            out.append(
                ResultNode(
                    entity=entity,
                    degree=int(degree[v]),
                    score=None if score is None or np.isnan(score) else score,
                    rank=None if state.rank is None or state.rank[v] < 0 else int(state.rank[v]),
                    community=(
                        None
                        if state.community is None or state.community[v] < 0
                        else int(state.community[v])
                    ),
                )
            )
        return out

    def _paths(self, found: list[tuple[list[int], list[list[int]]]]) -> list[Path]:
        out = []
        for vs, hops in found:
            nodes = self.entities_of(vs)
            hop_links = [
                tuple(sorted((x for x in self.links_of(h) if x is not None), key=lambda y: y.id))
                for h in hops
            ]
            if all(n is not None for n in nodes) and all(hop_links):
                out.append(Path(nodes=tuple(n for n in nodes if n), hops=tuple(hop_links)))
        return out

    def _pairs(self, pairs: list[tuple[int, int, float, dict[str, float]]]) -> list[ResultPair]:
        out = []
        for u, v, score, scores in pairs:
            a, b = self.entities_of([u, v])
            if a is not None and b is not None:
                out.append(ResultPair(source=a, target=b, score=score, scores=scores))
        return out

    def _table(self, returns: p.ReturnStep, out: dict[str, Any]) -> Table:
        rows: list[tuple[Any, ...]] = []
        if returns.table == "hidden-links":
            for pair in out.get("hidden_links", ()):
                values = {"from": pair.source.id, "to": pair.target.id, "score": pair.score}
                values.update(pair.scores)
                rows.append(tuple(values.get(col.name) for col in returns.columns))
        elif returns.table == "nodes":
            for node in out.get("nodes", ()):
                rows.append(tuple(_cell(_entity_value(col, node)) for col in returns.columns))
        else:
            for link in out.get("links", ()):
                rows.append(tuple(_cell(_link_value(col, link)) for col in returns.columns))
        return Table(columns=tuple(col.header for col in returns.columns), rows=tuple(rows))


def _cell(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _entity_value(col: p.Column, node: ResultNode) -> list[Any]:
    assert col.field is not None
    name = col.field.name
    if name == "id":
        return [node.entity.id]
    if name == "type":
        return [node.entity.type]
    if name in ("score", "rank", "community"):
        value = getattr(node, name)
        return [] if value is None else [value]
    if name == "degree":
        return [node.degree]
    assert col.field.read is not None
    return col.field.read(node.entity)


# Link columns the view holds as arrays, read from the materialised link for a table.
_LINK_COLUMNS: dict[str, Callable[[Link], Any]] = {
    "type": lambda x: x.type,
    "from": lambda x: x.source_id,
    "to": lambda x: x.target_id,
    "directed": lambda x: x.directed,
    "confidence": lambda x: x.provenance.confidence,
    "date": lambda x: x.properties.get("date") or x.provenance.observed_at,
}


def _link_value(col: p.Column, link: Link) -> list[Any]:
    assert col.field is not None
    name = col.field.name
    if name in _LINK_COLUMNS:
        value = _LINK_COLUMNS[name](link)
        return [] if value is None else [value]
    assert col.field.read is not None
    return col.field.read(link)


# -- rows for conditions -------------------------------------------------------------------------


class _EntityRows:
    """Candidate entities (view positions) for an entity condition."""

    def __init__(self, run: _Run, vertices: IntArray, state: _State) -> None:
        self.run, self.vertices, self.state = run, vertices, state

    @property
    def size(self) -> int:
        return int(self.vertices.size)

    def array(self, column: str) -> npt.NDArray[Any]:
        view, v = self.run.view, self.vertices
        if column == "id":
            return view.vertex_ids[v]
        if column == "entity_type":
            return np.asarray(view.entity_type_names, dtype=object)[view.vertex_type[v]]
        if column == "degree":
            return self.run.degrees(self.state)[v]
        source = {"score": self.state.score, "rank": self.state.rank}.get(column)
        if column == "community":
            source = self.state.community
        if source is None:
            return np.full(v.size, np.nan)
        values = source[v].astype(np.float64)
        if column in ("rank", "community"):
            values[values < 0] = np.nan
        return values

    def values(self, read: Callable[[Any], list[Any]]) -> list[list[Any]]:
        found = self.run.entities_of(self.vertices.tolist())
        return [read(e) if e is not None else [] for e in found]

    def narrowed(self, keep: BoolArray) -> _EntityRows:
        return _EntityRows(self.run, self.vertices[keep], self.state)


class _LinkRows:
    """Candidate links (view edge positions) for a link condition."""

    def __init__(self, run: _Run, edges: IntArray) -> None:
        self.run, self.edges = run, edges

    @property
    def size(self) -> int:
        return int(self.edges.size)

    def array(self, column: str) -> npt.NDArray[Any]:
        view, e = self.run.view, self.edges
        if column == "link_type":
            return np.asarray(view.link_type_names, dtype=object)[view.edge_type[e]]
        if column == "from":
            return view.vertex_ids[view.edge_src[e]]
        if column == "to":
            return view.vertex_ids[view.edge_dst[e]]
        if column == "directed":
            return view.edge_directed[e]
        if column == "time":
            return view.edge_time[e]
        return view.edge_confidence[e].astype(np.float64)

    def values(self, read: Callable[[Any], list[Any]]) -> list[list[Any]]:
        found = self.run.links_of(self.edges.tolist())
        return [read(x) if x is not None else [] for x in found]

    def narrowed(self, keep: BoolArray) -> _LinkRows:
        return _LinkRows(self.run, self.edges[keep])
