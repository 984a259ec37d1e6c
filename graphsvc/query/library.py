"""Query files (``*.gq``): the shared saved queries a deployment ships, loaded at start.

A file is one query: its name is the file name without ``.gq``, its leading ``#`` comment
lines are its description, and its body is the whole file (``param`` declarations then the
pipeline). ``graphsvc serve`` and ``graphsvc query`` load the directory (``--queries``,
``GRAPHSVC_QUERIES``; ``seed/queries`` in a checkout) as queries owned by ``graphsvc`` and
shared with everyone; reloading unchanged files changes nothing, a changed file becomes a new
version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsvc.errors import InvalidQuery
from graphsvc.query import params as params_
from graphsvc.query.parser import located, parse
from graphsvc.query.saved import SYSTEM_OWNER, SavedQueries, SavedQuery, SavedQueryStorage


def checked(body: str) -> list[params_.Parameter]:
    """The parameters of a query about to be saved: it must parse, and every ``$name`` it uses
    must be declared, since a saved query is run by people who did not write it."""
    query = parse(body)
    declared = params_.declared(query, body)
    names = {p.name for p in declared}
    for used in query.parameters_used():
        if used.name not in names:
            raise located(
                body,
                used.line,
                used.column,
                f"${used.name} is not declared: add `param {used.name}: <type>` at the top",
                field="body",
            )
    return declared


def read(path: Path) -> tuple[str, str, str, tuple[dict[str, Any], ...]]:
    """``(name, body, description, parameters)`` of one query file."""
    try:
        body = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQuery(f"cannot read {path}: {exc}") from None
    description = []
    for line in body.splitlines():
        if not line.startswith("#"):
            break
        description.append(line.lstrip("#").strip())
    try:
        parameters = checked(body)
    except InvalidQuery as exc:
        raise InvalidQuery(
            f"{path}: {exc.message}", line=exc.line, column=exc.column, excerpt=exc.excerpt
        ) from None
    return path.stem, body, " ".join(description).strip(), tuple(p.to_dict() for p in parameters)


def load(store: SavedQueryStorage, directory: Path) -> list[SavedQuery]:
    """Load every ``*.gq`` of ``directory`` as a shared query (all checked before any is
    saved, so one broken file leaves the others as they were)."""
    items = [read(path) for path in sorted(directory.glob("*.gq"))]
    return SavedQueries(store).load_shared(SYSTEM_OWNER, items)
