"""Making an export: select in the caller's scope, restrict for the purpose, write with banner.

The API's ``export`` operation, the ``graphsvc export`` command and a query's ``return as
FORMAT`` all come here. The caller records the result as a disclosure in the audit log with
``disclosure()`` and the ids of everything the file holds.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from graphsvc.export.banner import Banner, banner_for
from graphsvc.export.formats import Format, format_named
from graphsvc.export.graph import ExportGraph
from graphsvc.export.purpose import restrict
from graphsvc.export.select import Collected, ExportLimits, Selected, collect
from graphsvc.model.exchange import FormatName, Purpose
from graphsvc.model.records import Handling
from graphsvc.policy.scope import Scope
from graphsvc.query.execute import QueryResult
from graphsvc.store.protocol import GraphStore

PAGE = 500


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
    created_at: str
    collected: Collected

    @property
    def size(self) -> int:
        return len(self.content)

    @property
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
    export_id = "exp-" + secrets.token_urlsafe(18)
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
        created_at=stamp,
        collected=collected,
    )


def _vouching(
    store: GraphStore, scope: Scope, graph: ExportGraph
) -> dict[str, tuple[Handling, ...]]:
    """For each entity no record of the graph asserts, the handlings of (up to ``PAGE`` of)
    the visible links that do: they mark it in the file and the banner, and decide whether a
    purpose may carry it."""
    return {
        entity_id: tuple(link.handling for link in store.entity_links(scope, entity_id, limit=PAGE))
        for entity_id in graph.unvouched()
    }


def filename(title: str, chosen: Format, moment: datetime) -> str:
    """``graphsvc-20261123-1004-expand-of-ocrteh-per-0001.gexf``: when and what, in ASCII."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-") or "export"
    return f"graphsvc-{moment:%Y%m%d-%H%M%S}-{slug}{chosen.extension}"
