"""Export graphs of the seed case for the format tests: an expand around the network's
leader as each seed principal sees it, restricted for a purpose, with its banner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from graphsvc.export.banner import Banner, banner_for
from graphsvc.export.graph import ExportGraph, of_subgraph
from graphsvc.export.purpose import Purpose, Withheld, restrict
from graphsvc.model.schema import Schema
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore

LEADER = "ocrteh:PER-0001"
EXPORTED_AT = "2026-11-23T10:00:00Z"


@dataclass(frozen=True)
class Made:
    """An export graph as the writers receive it, and what the purpose withheld."""

    graph: ExportGraph
    banner: Banner
    withheld: Withheld


Maker = Callable[..., Made]


@pytest.fixture(scope="module")
def make_export(
    seed_store: GraphStore, seed_scope: Callable[[str], Scope], schema: Schema
) -> Maker:
    """``make_export("fr-analyst", hops=2, purpose=Purpose.DISSEMINATION, ids=(LEADER,))``."""

    def make(
        principal: str = "fr-analyst",
        *,
        hops: int = 2,
        purpose: Purpose = Purpose.INTERNAL,
        ids: tuple[str, ...] = (LEADER,),
        fmt: str = "test",
    ) -> Made:
        scope = seed_scope(principal)
        subgraph = seed_store.expand(scope, list(ids), hops=hops, max_nodes=1000, max_links=20000)
        graph, withheld = restrict(
            of_subgraph(f"expand of {', '.join(ids)}", subgraph),
            purpose,
            scope.principal.agency,
            schema,
        )
        banner = banner_for(
            graph,
            withheld,
            schema,
            export_id="exp-test",
            format=fmt,
            exported_by=scope.principal.id,
            agency=scope.principal.agency,
            exported_at=EXPORTED_AT,
            justification="Opération Lys Noir, PV 2024/118",
        )
        return Made(graph, banner, withheld)

    return make
