"""What an export holds: the entities and links of one answer, with what analysis said of them.

Every exportable answer (an expand, paths, a subgraph, a community, a query result, the whole
visible graph) becomes an ``ExportGraph`` before any format sees it, so that the handling
rules (``purpose.py``), the banner (``banner.py``) and every writer work on one shape. The
graph only ever holds what the caller's scope returned: writers add nothing from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from graphsvc.model.graph import Entity, Link, Path, Subgraph
from graphsvc.model.records import Handling


@dataclass(frozen=True, slots=True)
class ExportNode:
    """An entity and what the analysis behind the answer computed for it."""

    entity: Entity
    community: int | None = None
    scores: Mapping[str, float] = field(default_factory=dict)  # measure -> value
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A hidden-link candidate: a scored pair with no recorded link. It is analysis, not a
    record, so it has no provenance or handling of its own."""

    source_id: str
    target_id: str
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"candidate:{self.source_id}|{self.target_id}"


@dataclass(frozen=True)
class ExportGraph:
    """Nodes (each entity once), links (each link once) and hidden-link candidates, in the
    order of the answer. ``title`` says what was exported, for the banner."""

    title: str
    nodes: tuple[ExportNode, ...]
    links: tuple[Link, ...]
    candidates: tuple[Candidate, ...] = ()
    truncated: bool = False
    measures: tuple[str, ...] = ()  # the centrality measures ``scores`` may name
    named: tuple[str, ...] = ()  # entity ids the title names
    plain_title: str = ""  # the title without them, for when one of them is withheld
    outside: Mapping[str, tuple[Handling, ...]] = field(default_factory=dict)
    """For an entity no record of the graph asserts (no visible entity record, no link of the
    graph touching it): the handlings of the visible links outside the graph that do."""

    @property
    def entity_ids(self) -> list[str]:
        return [n.entity.id for n in self.nodes]

    @property
    def link_ids(self) -> list[str]:
        return [link.id for link in self.links]

    def node(self, entity_id: str) -> ExportNode | None:
        return self._by_id.get(entity_id)

    @cached_property
    def _by_id(self) -> dict[str, ExportNode]:
        return {n.entity.id: n for n in self.nodes}

    def with_parts(
        self,
        nodes: Iterable[ExportNode],
        links: Iterable[Link],
        candidates: Iterable[Candidate],
    ) -> ExportGraph:
        return replace(self, nodes=tuple(nodes), links=tuple(links), candidates=tuple(candidates))

    @property
    def handlings(self) -> list[Handling]:
        """The handling of every record behind the graph: each link's, each visible entity
        record's, and those of the links outside that vouch for an entity (``outside``)."""
        out = [link.handling for link in self.links]
        out += [r.handling for n in self.nodes for r in n.entity.records]
        out += [h for handlings in self.outside.values() for h in handlings]
        return out

    @property
    def analysed(self) -> bool:
        """Whether the graph carries values computed by analysis."""
        return bool(self.candidates) or any(
            n.community is not None or n.scores or n.rank is not None for n in self.nodes
        )

    def unvouched(self) -> list[str]:
        """Entities no record of the graph asserts: their handling is that of links outside."""
        touched = {x for link in self.links for x in (link.source_id, link.target_id)}
        return [
            n.entity.id for n in self.nodes if not n.entity.records and n.entity.id not in touched
        ]


def graph_of(
    title: str,
    entities: Iterable[Entity],
    links: Iterable[Link],
    *,
    truncated: bool = False,
    annotate: Mapping[str, ExportNode] | None = None,
    candidates: Iterable[Candidate] = (),
    measures: tuple[str, ...] = (),
    named: tuple[str, ...] = (),
    plain_title: str = "",
) -> ExportGraph:
    """An export graph of ``entities`` and ``links`` (duplicates dropped, first kept), where
    ``annotate`` gives the analysis of some entities by id. A link whose end is not among
    the entities is dropped: exports never hold dangling edges."""
    nodes: dict[str, ExportNode] = {}
    for entity in entities:
        if entity.id not in nodes:
            given = annotate.get(entity.id) if annotate else None
            nodes[entity.id] = replace(given, entity=entity) if given else ExportNode(entity)
    kept: dict[str, Link] = {}
    for link in links:
        if link.id not in kept and link.source_id in nodes and link.target_id in nodes:
            kept[link.id] = link
    pairs = [c for c in candidates if c.source_id in nodes and c.target_id in nodes]
    return ExportGraph(
        title=title,
        nodes=tuple(nodes.values()),
        links=tuple(kept.values()),
        candidates=tuple(pairs),
        truncated=truncated,
        measures=measures,
        named=named,
        plain_title=plain_title,
    )


def of_subgraph(title: str, subgraph: Subgraph) -> ExportGraph:
    return graph_of(title, subgraph.nodes, subgraph.links, truncated=subgraph.truncated)


def of_paths(title: str, paths: Iterable[Path]) -> ExportGraph:
    found = list(paths)
    return graph_of(
        title,
        (e for path in found for e in path.nodes),
        (link for path in found for link in path.links),
    )
