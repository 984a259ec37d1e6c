"""Making an export: select in the caller's scope, restrict for the purpose, write with banner.

The API's ``export`` operation, the ``graphsvc export`` command and a query's ``return as
FORMAT`` all come here. The caller records the result as a disclosure in the audit log with
``disclosure()`` and the ids of everything the file holds.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from graphsvc.export.banner import AnalysisBasis, Banner, banner_for
from graphsvc.export.formats import Format, format_named
from graphsvc.export.graph import ExportGraph
from graphsvc.export.purpose import restrict
from graphsvc.export.select import Collected, ExportLimits, Selected, collect
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.records import Handling
from graphsvc.policy.scope import Scope
from graphsvc.query.execute import QueryResult
from graphsvc.store.protocol import GraphStore

PAGE = 2_000  # links read from the store at a time
VOUCHERS = 50  # links consulted per entity known only through links outside the export


@dataclass(frozen=True)
class ExportFile:
    id: str
    format: Format
    purpose: Purpose
    filename: str
    content: bytes
    banner: Banner
    entity_ids: tuple[str, ...]
    link_ids: tuple[str, ...]
    collected: Collected

    @property
    def size(self) -> int:
        return len(self.content)

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def disclosure(self) -> dict[str, Any]:
        """What the audit entry records of this export besides the ids."""
        out: dict[str, Any] = {
            "exportId": self.id,
            "format": self.format.name.value,
            "purpose": self.purpose.value,
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "marking": self.banner.marking,
            "withheldElements": self.banner.withheld_elements,
        }
        if self.collected.query is not None:
            out.update(
                query=self.collected.query, dsl=self.collected.dsl, version=self.collected.version
            )
        return out


def export(
    store: GraphStore,
    scope: Scope,
    selected: Selected,
    format: FormatName | str,
    purpose: Purpose = Purpose.INTERNAL,
    *,
    justification: str | None,
    limits: ExportLimits | None = None,
    result: QueryResult | None = None,
    now: datetime | None = None,
) -> ExportFile:
    """The file of ``selected`` as ``scope`` sees it, in ``format``, made for ``purpose``."""
    chosen = format_named(str(format))
    bounds = limits or ExportLimits()
    collected = collect(store, scope, selected, bounds, result=result)
    graph = collected.graph
    bounds.check(len(graph.nodes), len(graph.links))
    principal = scope.principal
    graph = replace(graph, outside=_vouching(store, scope, graph))
    kept, withheld = restrict(graph, purpose, principal.agency, store.schema)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    export_id = "exp-" + secrets.token_hex(16)
    banner = banner_for(
        kept,
        withheld,
        store.schema,
        export_id=export_id,
        format=chosen.name.value,
        exported_by=principal.id,
        agency=principal.agency,
        exported_at=stamp,
        justification=justification,
        basis=_basis(store, scope) if kept.analysed else None,
    )
    content = chosen.write(kept, banner, store.schema)
    return ExportFile(
        id=export_id,
        format=chosen,
        purpose=purpose,
        filename=filename(kept.title, chosen, moment),
        content=content,
        banner=banner,
        entity_ids=tuple(kept.entity_ids),
        link_ids=tuple(kept.link_ids),
        collected=collected,
    )


def _vouching(
    store: GraphStore, scope: Scope, graph: ExportGraph
) -> dict[str, tuple[Handling, ...]]:
    """For each entity no record of the graph asserts, the handlings of (up to ``VOUCHERS``
    of) the visible links that do: they mark it in the file and the banner, and decide
    whether a purpose may carry it. Read in batches through the caller's view."""
    wanted = graph.unvouched()
    if not wanted:
        return {}
    view = store.view(scope)
    positions = view.positions_of(wanted)
    present = positions[positions >= 0]
    edges, _, origin, _ = view.incident(present)
    order = np.lexsort((edges, origin))
    edges, origin = edges[order], origin[order]
    first = np.searchsorted(origin, origin, side="left")
    chosen = (np.arange(origin.size) - first) < VOUCHERS
    edges, origin = edges[chosen], origin[chosen]
    found: dict[int, list[Handling]] = {}
    for start in range(0, int(edges.size), PAGE):
        batch = edges[start : start + PAGE].tolist()
        for vertex, link in zip(
            origin[start : start + PAGE].tolist(), store.links_at(scope, view, batch), strict=True
        ):
            if link is not None:
                found.setdefault(vertex, []).append(link.handling)
    return {str(view.vertex_ids[v]): tuple(h) for v, h in found.items()}


def _basis(store: GraphStore, scope: Scope) -> AnalysisBasis:
    """What the analysis values of an export rest on: the caller's visible links."""
    seen = store.stats(scope)
    levels = store.schema.policy.levels
    present = [x for x, n in seen.links_by_classification.items() if n and x in levels]
    return AnalysisBasis(
        classification=max(present, key=levels.index) if present else levels[0],
        codes=tuple(sorted(code for code, n in seen.links_by_code.items() if n)),
        caveats=tuple(sorted(scope.principal.caveats)),
        links=seen.links,
    )


def filename(title: str, chosen: Format, moment: datetime) -> str:
    """``graphsvc-20261123-1004-expand-of-ocrteh-per-0001.gexf``: when and what, in ASCII."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-") or "export"
    return f"graphsvc-{moment:%Y%m%d-%H%M%S}-{slug}{chosen.extension}"
