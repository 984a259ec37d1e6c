"""The scoped view of a Neo4j store: a ``ScopedView`` that also knows its links' public ids.

Neo4j has no small integer row keys to give the view, so the view's keys are its own
positions (vertices in entity-id order, edges in link-id order) and the store materialises
results from the public ids kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from graphsvc.store.view import ScopedView


@dataclass(frozen=True, eq=False, kw_only=True)
class Neo4jView(ScopedView):
    edge_ids: npt.NDArray[np.object_]  # the link id of each edge, ascending

    @cached_property
    def edge_positions(self) -> dict[str, int]:
        """Edge index of each link id."""
        return {link_id: i for i, link_id in enumerate(self.edge_ids.tolist())}


def empty_ids() -> npt.NDArray[np.object_]:
    return np.empty(0, dtype=object)
