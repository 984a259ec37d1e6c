"""Entity-resolution corrections: what merging entities, splitting one and undoing either mean,
whatever store holds the graph.

Extraction and automatic resolution sometimes make two entities of one person, or one of two
people. An analyst corrects that:

- **merge** ``ids`` into ``into``: every entity record of the other entities, and every link
  end on them, is re-pointed to ``into``. Records keep their source, record id, provenance,
  grading, handling and values, so the merged entity shows every value with its own source.
  Only entities of one type, and never selectors (identified by their value), are merged.
- **split** ``id``: some of its records and some of its links (their ends on ``id``) move to a
  new entity of the same type.
- **undo**: everything a merge or split moved goes back, when the graph still holds it where
  the correction put it.

Each correction is kept as a ``ResolutionRow``: who, when, why, and exactly what it moved (the
``RecordMove`` s and ``LinkMove`` s). It also leaves ``Redirect`` s, which the stores' writers
apply to every assertion they write, so that re-ingesting a source does not bring back what a
correction took away: a merged entity's id leads to the entity it was merged into, a moved
record's key (entity, source, record) and a moved link end (link, end, entity) to their new
entity. Redirects are followed in chains (a record split off an entity later merged into a
third); a later correction of the same key wins over an earlier one, and an undo removes the
redirects of the correction it undoes.

This module holds the rules: checking a request against what the store holds (``Holdings``,
read by the store in the same transaction that applies the ``Plan``), the moves and
redirects of a correction, whether an undo still fits, following redirects, and what of a
correction a scope may see. The stores hold the state and apply plans.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from graphsvc.errors import Conflict, InvalidInput, NotFound
from graphsvc.model.records import EndRef, EntityAssertion, Handling, LinkAssertion, printable_id
from graphsvc.model.schema import Schema
from graphsvc.policy.scope import Scope

Kind = Literal["merge", "split", "undo"]
KINDS: tuple[Kind, ...] = ("merge", "split", "undo")
End = Literal["from", "to"]
MAX_IDS = 1000  # entities one merge may name
MAX_MOVES = 100_000  # records or links one split may name


def now() -> str:
    """The time of a correction: UTC, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_resolution_id() -> str:
    return "res-" + secrets.token_hex(8)


def handling_dict(h: Handling) -> dict[str, Any]:
    return h.to_dict()


def handling_from(d: Mapping[str, Any]) -> Handling:
    return Handling(
        classification=str(d["classification"]),
        releasable_to=tuple(d.get("releasableTo") or ()),
        caveats=tuple(d.get("caveats") or ()),
        code=str(d["code"]),
        originator=str(d["originator"]),
        retain_until=d.get("retainUntil") or None,
    )


# -- what a correction moved ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordMove:
    """An entity record (``source``, ``record``) re-pointed from one entity to another; its
    handling when it moved (what decides who may see the move)."""

    source: str
    record: str
    from_id: str
    to_id: str
    handling: Handling

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record": self.record,
            "from": self.from_id,
            "to": self.to_id,
            "handling": handling_dict(self.handling),
        }

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> RecordMove:
        return cls(
            str(d["source"]),
            str(d["record"]),
            str(d["from"]),
            str(d["to"]),
            handling_from(d["handling"]),
        )


@dataclass(frozen=True, slots=True)
class LinkMove:
    """One end (``from`` or ``to``) of a link re-pointed from one entity to another."""

    link: str
    end: End
    from_id: str
    to_id: str
    handling: Handling

    def to_dict(self) -> dict[str, Any]:
        return {
            "link": self.link,
            "end": self.end,
            "from": self.from_id,
            "to": self.to_id,
            "handling": handling_dict(self.handling),
        }

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> LinkMove:
        end = str(d["end"])
        if end not in ("from", "to"):
            raise ValueError(f"a link end is 'from' or 'to', not {end!r}")
        return cls(
            str(d["link"]),
            "from" if end == "from" else "to",
            str(d["from"]),
            str(d["to"]),
            handling_from(d["handling"]),
        )


RedirectKind = Literal["entity", "record", "link"]


@dataclass(frozen=True, slots=True)
class Redirect:
    """Where the writer sends an assertion about ``entity``: every one (``entity``: a merged
    entity), the one of record (``source``, ``record``) (``record``: a record split off), or
    the ``end`` of ``link`` (``link``: a link end split off)."""

    kind: RedirectKind
    entity: str
    target: str
    source: str | None = None
    record: str | None = None
    link: str | None = None
    end: End | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "entity": self.entity, "target": self.target}
        if self.kind == "record":
            out.update(source=self.source, record=self.record)
        elif self.kind == "link":
            out.update(link=self.link, end=self.end)
        return out

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> Redirect:
        kind = str(d["kind"])
        end = d.get("end")
        return cls(
            kind="entity" if kind == "entity" else "record" if kind == "record" else "link",
            entity=str(d["entity"]),
            target=str(d["target"]),
            source=d.get("source"),
            record=d.get("record"),
            link=d.get("link"),
            end=None if end is None else "from" if end == "from" else "to",
        )


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    """One correction as the store keeps it, whatever anyone may see of it.

    ``target`` is the entity kept by a merge, the new entity of a split, and for an undo the
    target of the correction it undid. ``entities`` lists every entity id involved.
    ``redirects`` are those the correction added (kept here after an undo removed them from
    the writer's redirects). ``seq`` orders corrections in the store that holds them.
    """

    id: str
    kind: Kind
    by: str
    at: str
    reason: str
    entity_type: str
    target: str
    entities: tuple[str, ...]
    records: tuple[RecordMove, ...] = ()
    links: tuple[LinkMove, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    undoes: str | None = None
    undone_by: str | None = None
    seq: int = 0

    def moves_json(self) -> str:
        return canonical(
            {
                "records": [m.to_dict() for m in self.records],
                "links": [m.to_dict() for m in self.links],
            }
        )

    def redirects_json(self) -> str:
        return canonical([r.to_dict() for r in self.redirects])

    @classmethod
    def of_stored(
        cls,
        *,
        id: str,
        kind: str,
        by: str,
        at: str,
        reason: str,
        entity_type: str,
        target: str,
        entities: Iterable[str],
        moves: str,
        redirects: str,
        undoes: str | None,
        undone_by: str | None,
        seq: int,
    ) -> ResolutionRow:
        """A row from its stored fields (moves and redirects as JSON text)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of correction {kind!r}")
        moved = json.loads(moves)
        return cls(
            id=id,
            kind="merge" if kind == "merge" else "split" if kind == "split" else "undo",
            by=by,
            at=at,
            reason=reason,
            entity_type=entity_type,
            target=target,
            entities=tuple(entities),
            records=tuple(RecordMove.of(m) for m in moved.get("records", [])),
            links=tuple(LinkMove.of(m) for m in moved.get("links", [])),
            redirects=tuple(Redirect.of(r) for r in json.loads(redirects)),
            undoes=undoes,
            undone_by=undone_by,
            seq=seq,
        )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- what a scope sees of a correction -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolution:
    """A correction as one scope sees it: only the moves of records and links it may see, and
    only the entities it sees now or that a visible move names. ``target`` is None when the
    scope knows nothing of that entity. ``records_moved`` and ``links_moved`` count every move,
    visible or not: for the audit log, never for the caller's answer."""

    id: str
    kind: Kind
    by: str
    at: str
    reason: str
    entity_type: str
    target: str | None
    entities: tuple[str, ...]
    records: tuple[RecordMove, ...]
    links: tuple[LinkMove, ...]
    records_moved: int
    links_moved: int
    undoes: str | None = None
    undone_by: str | None = None

    @property
    def link_ids(self) -> list[str]:
        return sorted({m.link for m in self.links})

    def to_dict(self) -> dict[str, Any]:
        """What the caller may see (counts of the visible moves only)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "by": self.by,
            "at": self.at,
            "reason": self.reason,
            "entityType": self.entity_type,
            "target": self.target,
            "entities": list(self.entities),
            "records": [
                {"source": m.source, "record": m.record, "from": m.from_id, "to": m.to_id}
                for m in self.records
            ],
            "links": [
                {"link": m.link, "end": m.end, "from": m.from_id, "to": m.to_id} for m in self.links
            ],
            "undoes": self.undoes,
            "undoneBy": self.undone_by,
        }


def involved(row: ResolutionRow) -> list[str]:
    """Every entity id a correction names: those it lists and those its moves name."""
    ids = dict.fromkeys(row.entities)
    ids.setdefault(row.target, None)
    for m in row.records:
        ids.update(dict.fromkeys((m.from_id, m.to_id)))
    for n in row.links:
        ids.update(dict.fromkeys((n.from_id, n.to_id)))
    return list(ids)


def scoped(row: ResolutionRow, scope: Scope, visible_entities: set[str]) -> Resolution | None:
    """``row`` as ``scope`` sees it (``visible_entities``: the entities of ``involved(row)`` it
    sees now), or None when it sees nothing of it."""
    records = tuple(m for m in row.records if scope.allows(m.handling))
    links = tuple(m for m in row.links if scope.allows(m.handling))
    known = set(visible_entities)
    for record_move in records:
        known.update((record_move.from_id, record_move.to_id))
    for link_move in links:
        known.update((link_move.from_id, link_move.to_id))
    entities = tuple(e for e in involved(row) if e in known)
    if not entities:
        return None
    return Resolution(
        id=row.id,
        kind=row.kind,
        by=row.by,
        at=row.at,
        reason=row.reason,
        entity_type=row.entity_type,
        target=row.target if row.target in known else None,
        entities=entities,
        records=records,
        links=links,
        records_moved=len(row.records),
        links_moved=len(row.links),
        undoes=row.undoes,
        undone_by=row.undone_by,
    )


def matching(
    rows: Iterable[ResolutionRow],
    scope: Scope,
    visible_entities: set[str],
    entity_id: str | None,
    limit: int,
) -> list[Resolution]:
    """The first ``limit`` of ``rows`` the scope sees something of (naming ``entity_id`` when
    given, as the scope sees them)."""
    out: list[Resolution] = []
    for row in rows:
        if len(out) >= limit:
            break
        seen = scoped(row, scope, visible_entities)
        if seen is not None and (entity_id is None or entity_id in seen.entities):
            out.append(seen)
    return out


# -- what the store holds, read in the correcting transaction --------------------------------------


@dataclass(frozen=True, slots=True)
class HeldRecord:
    entity: str
    source: str
    record: str
    handling: Handling


@dataclass(frozen=True, slots=True)
class HeldLink:
    id: str
    src: str
    dst: str
    handling: Handling

    def ends_on(self, entity_id: str) -> list[End]:
        ends: list[End] = []
        if self.src == entity_id:
            ends.append("from")
        if self.dst == entity_id:
            ends.append("to")
        return ends

    def end(self, end: End) -> str:
        return self.src if end == "from" else self.dst


@dataclass
class Holdings:
    """Entities, their records and the links touching them, as the store holds them now,
    whatever their handling: ``types`` of the entity ids the store has (with or without
    records), ``records`` of the entities asked about, ``links`` touching them plus the
    links asked about by id."""

    types: dict[str, str] = field(default_factory=dict)
    records: list[HeldRecord] = field(default_factory=list)
    links: dict[str, HeldLink] = field(default_factory=dict)

    def records_of(self, entity_id: str) -> list[HeldRecord]:
        return [r for r in self.records if r.entity == entity_id]

    def links_of(self, entity_id: str) -> list[HeldLink]:
        return sorted(
            (link for link in self.links.values() if entity_id in (link.src, link.dst)),
            key=lambda link: link.id,
        )

    def record_keys(self) -> set[tuple[str, str, str]]:
        return {(r.entity, r.source, r.record) for r in self.records}

    def visible(self, scope: Scope, entity_id: str) -> bool:
        """The rule of every read: an entity exists for a scope when one of its records, or a
        link touching it, is visible to it."""
        if entity_id not in self.types:
            return False
        return any(scope.allows(r.handling) for r in self.records_of(entity_id)) or any(
            scope.allows(link.handling) for link in self.links_of(entity_id)
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """What a store does, in one transaction: create ``new_entity`` (id, type) when given,
    apply the moves of ``row``, add its redirects, remove those of the correction ``row``
    undoes, store ``row`` and mark the undone one."""

    row: ResolutionRow
    new_entity: tuple[str, str] | None = None

    def link_ends(self, holdings: Holdings) -> dict[str, tuple[str, str]]:
        """The new (from, to) of every link the plan moves."""
        ends: dict[str, tuple[str, str]] = {}
        for move in self.row.links:
            held = holdings.links[move.link]
            src, dst = ends.get(move.link, (held.src, held.dst))
            ends[move.link] = (move.to_id, dst) if move.end == "from" else (src, move.to_id)
        return ends


def _entity_ids(ids: Sequence[str], field: str) -> list[str]:
    out = []
    for value in ids:
        text = str(value)
        if not text.strip():
            raise InvalidInput("an entity id must not be empty", field=field)
        out.append(text)
    return list(dict.fromkeys(out))


def _require_visible(holdings: Holdings, scope: Scope, entity_id: str, field: str) -> str:
    """The entity's type; NotFound when it does not exist or the scope may not see it (one
    answer for both, as every read gives)."""
    if not holdings.visible(scope, entity_id):
        raise NotFound(f"no entity {entity_id!r}", field=field)
    return holdings.types[entity_id]


def _not_a_selector(schema: Schema, type_name: str, what: str, field: str) -> None:
    etype = schema.entities.get(type_name)
    if etype is not None and etype.selector is not None:
        raise InvalidInput(
            f"{type_name} entities are identified by their normalised value "
            f"({etype.selector.prefix}:...): two of them are never the same thing, so they "
            f"cannot be {what}",
            field=field,
        )


def merge_ids(ids: Sequence[str], into: str | None) -> tuple[list[str], str]:
    """The distinct ids of a merge request (``into`` first) and ``into``, checked."""
    wanted = _entity_ids(ids, "ids")
    if len(wanted) > MAX_IDS:
        raise InvalidInput(f"at most {MAX_IDS} entities in one merge", field="ids")
    if len(wanted) < 2:
        raise InvalidInput("name at least two different entities to merge", field="ids")
    target = wanted[0] if into is None else str(into)
    if target not in wanted:
        raise InvalidInput(f"{target!r} is not one of the entities merged", field="into")
    return [target, *(i for i in wanted if i != target)], target


def plan_merge(
    schema: Schema,
    scope: Scope,
    holdings: Holdings,
    ids: Sequence[str],
    into: str | None,
    *,
    by: str,
    reason: str,
) -> Plan:
    """Merge ``ids`` into ``into`` (default: the first id), or the reason why not."""
    ordered, target = merge_ids(ids, into)
    reason = _reason(reason)
    types = {i: _require_visible(holdings, scope, i, "ids") for i in ordered}
    type_name = types[target]
    for entity_id in ordered:
        if types[entity_id] != type_name:
            raise InvalidInput(
                f"{entity_id!r} is a {types[entity_id]} and {target!r} a {type_name}: only "
                "entities of one type are merged",
                field="ids",
            )
    _not_a_selector(schema, type_name, "merged", "ids")
    others = ordered[1:]
    held_keys = {(r.source, r.record): r.entity for r in holdings.records_of(target)}
    records: list[RecordMove] = []
    for other in others:
        for r in sorted(holdings.records_of(other), key=lambda r: (r.source, r.record)):
            holder = held_keys.get((r.source, r.record))
            if holder is not None:
                shown = (
                    f"record {r.source}/{r.record}"
                    if scope.allows(r.handling)
                    else "a record you may not see"
                )
                raise Conflict(
                    f"{holder!r} and {other!r} both hold {shown}: merging them would lose one "
                    "of its statements; split or correct that record first",
                    field="ids",
                )
            held_keys[(r.source, r.record)] = other
            records.append(RecordMove(r.source, r.record, other, target, r.handling))
    links: list[LinkMove] = []
    moved = set(others)
    seen: set[str] = set()
    for other in others:
        for link in holdings.links_of(other):
            if link.id in seen:
                continue
            seen.add(link.id)
            for end in ("from", "to"):
                at = link.end("from" if end == "from" else "to")
                if at in moved:
                    links.append(
                        LinkMove(
                            link.id, "from" if end == "from" else "to", at, target, link.handling
                        )
                    )
    row = ResolutionRow(
        id=new_resolution_id(),
        kind="merge",
        by=by,
        at=now(),
        reason=reason,
        entity_type=type_name,
        target=target,
        entities=tuple(ordered),
        records=tuple(records),
        links=tuple(links),
        redirects=tuple(Redirect("entity", other, target) for other in others),
    )
    return Plan(row)


@dataclass(frozen=True, slots=True)
class RecordRef:
    """An entity record named by its source and its id there."""

    source: str
    record: str

    @classmethod
    def parse(cls, text: str, field: str = "records") -> RecordRef:
        """``SOURCE:RECORD`` (the record id may hold colons; the source is before the first)."""
        source, sep, record = text.partition(":")
        if not sep or not source or not record:
            raise InvalidInput(f"a record is SOURCE:RECORD, got {text!r}", field=field)
        return cls(source, record)


def split_id(entity_id: str, records: Sequence[RecordRef], links: Sequence[str]) -> str:
    """The id a split gives the new entity when none is chosen: the old id and a digest of
    what moves, so the same split names the same entity."""
    keys = canonical(
        {"records": sorted([r.source, r.record] for r in records), "links": sorted(links)}
    )
    return f"{entity_id}~split-{hashlib.sha256(keys.encode('utf-8')).hexdigest()[:8]}"


def plan_split(
    schema: Schema,
    scope: Scope,
    holdings: Holdings,
    entity_id: str,
    records: Sequence[RecordRef],
    links: Sequence[str],
    new_id: str | None,
    exists: Callable[[str], bool],
    *,
    by: str,
    reason: str,
) -> Plan:
    """Move ``records`` and ``links`` (their ends on ``entity_id``) to a new entity, or the
    reason why not. ``exists`` says whether an entity id is taken (whatever its handling)."""
    reason = _reason(reason)
    entity_id = str(entity_id)
    type_name = _require_visible(holdings, scope, entity_id, "id")
    _not_a_selector(schema, type_name, "split", "id")
    wanted = list(dict.fromkeys(records))
    wanted_links = list(dict.fromkeys(str(i) for i in links))
    if len(wanted) + len(wanted_links) > MAX_MOVES:
        raise InvalidInput(f"at most {MAX_MOVES} records and links in one split", field="records")
    if not wanted:
        raise InvalidInput("name at least one record to move to the new entity", field="records")
    visible = {
        (r.source, r.record): r for r in holdings.records_of(entity_id) if scope.allows(r.handling)
    }
    moved_records: list[RecordMove] = []
    for ref in wanted:
        held = visible.get((ref.source, ref.record))
        if held is None:
            raise NotFound(
                f"no record {ref.source}/{ref.record} of entity {entity_id!r}", field="records"
            )
        moved_records.append(RecordMove(ref.source, ref.record, entity_id, "", held.handling))
    if len(visible) <= len(wanted):
        raise InvalidInput(
            "at least one record must stay with the entity: to rename it, merge instead",
            field="records",
        )
    chosen = None
    if new_id is not None:
        try:
            chosen = str(printable_id(str(new_id)))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="newId") from None
        if not chosen.strip():
            raise InvalidInput("the new entity's id must not be empty", field="newId")
        prefix, colon, _ = chosen.partition(":")
        if colon and prefix in schema.selector_prefixes:
            raise InvalidInput(
                f"{chosen!r} looks like a selector's id: choose another", field="newId"
            )
        if exists(chosen):
            raise InvalidInput(f"{chosen!r} is already an entity id: choose another", field="newId")
    else:
        base = split_id(entity_id, wanted, wanted_links)
        chosen, n = base, 1
        while exists(chosen):
            n += 1
            chosen = f"{base}-{n}"
    moved_links: list[LinkMove] = []
    for link_id in wanted_links:
        held_link = holdings.links.get(link_id)
        ends = held_link.ends_on(entity_id) if held_link is not None else []
        if held_link is None or not ends or not scope.allows(held_link.handling):
            raise NotFound(f"no link {link_id!r} of entity {entity_id!r}", field="links")
        for end in ends:
            moved_links.append(LinkMove(link_id, end, entity_id, chosen, held_link.handling))
    row = ResolutionRow(
        id=new_resolution_id(),
        kind="split",
        by=by,
        at=now(),
        reason=reason,
        entity_type=type_name,
        target=chosen,
        entities=(entity_id, chosen),
        records=tuple(replace(m, to_id=chosen) for m in moved_records),
        links=tuple(moved_links),
        redirects=tuple(
            [
                Redirect("record", entity_id, chosen, source=m.source, record=m.record)
                for m in moved_records
            ]
            + [Redirect("link", entity_id, chosen, link=m.link, end=m.end) for m in moved_links]
        ),
    )
    return Plan(row, new_entity=(chosen, type_name))


def undo_entities(row: ResolutionRow) -> tuple[list[str], list[str]]:
    """The entities and links whose current state decides whether ``row`` can be undone."""
    return involved(row), sorted({m.link for m in row.links})


def plan_undo(
    scope: Scope,
    holdings: Holdings,
    row: ResolutionRow,
    *,
    by: str,
    reason: str,
) -> Plan:
    """Put back what ``row`` moved, or the reason why not (``holdings``: its entities and
    links as the store holds them now)."""
    reason = _reason(reason)
    if row.kind == "undo":
        raise InvalidInput(
            f"{row.id} is itself an undo: make the correction again instead", field="id"
        )
    if row.undone_by is not None:
        raise Conflict(f"{row.id} was already undone by {row.undone_by}", field="id")
    handlings = {(r.entity, r.source, r.record): r.handling for r in holdings.records}
    conflicts: list[str] = []
    hidden = False
    records: list[RecordMove] = []
    for m in row.records:
        current = handlings.get((m.to_id, m.source, m.record))
        if current is None or (m.from_id, m.source, m.record) in handlings:
            if not scope.allows(m.handling):
                hidden = True
            elif current is None:
                conflicts.append(f"record {m.source}/{m.record} is no longer on {m.to_id!r}")
            else:
                conflicts.append(f"{m.from_id!r} holds record {m.source}/{m.record} again")
            continue
        records.append(RecordMove(m.source, m.record, m.to_id, m.from_id, current))
    links: list[LinkMove] = []
    for n in row.links:
        held = holdings.links.get(n.link)
        if held is None or held.end(n.end) != n.to_id:
            if not scope.allows(n.handling):
                hidden = True
            elif held is None:
                conflicts.append(f"link {n.link} is gone")
            else:
                conflicts.append(f"link {n.link}: its {n.end} end is on {held.end(n.end)!r} now")
            continue
        links.append(LinkMove(n.link, n.end, n.to_id, n.from_id, held.handling))
    if conflicts or hidden:
        shown = conflicts[:20] + (
            [f"and {len(conflicts) - 20} more"] if len(conflicts) > 20 else []
        )
        if hidden:
            shown.append("records or links you may not see have moved")
        raise Conflict(
            f"{row.id} cannot be undone: the graph changed since ({'; '.join(shown)}); undo the "
            "later corrections first",
            field="id",
        )
    undo = ResolutionRow(
        id=new_resolution_id(),
        kind="undo",
        by=by,
        at=now(),
        reason=reason,
        entity_type=row.entity_type,
        target=row.target,
        entities=row.entities,
        records=tuple(records),
        links=tuple(links),
        undoes=row.id,
    )
    return Plan(undo)


def _reason(reason: str) -> str:
    text = " ".join(str(reason).split())
    if not text:
        raise InvalidInput("say why: the reason is the correction's justification", field="reason")
    if len(text) > 4000:
        raise InvalidInput("at most 4,000 characters", field="reason")
    return text


# -- the writer's side: following redirects --------------------------------------------------------


@dataclass
class Redirects:
    """The redirects in force, for the writer: later ones (higher ``seq``) win for one key."""

    entities: dict[str, tuple[str, int]] = field(default_factory=dict)
    records: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)
    links: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, found: Iterable[tuple[int, Redirect]]) -> Redirects:
        made = cls()
        for seq, r in sorted(found, key=lambda item: item[0]):
            value = (r.target, seq)
            if r.kind == "entity":
                made.entities[r.entity] = value
            elif r.kind == "record":
                made.records[(r.entity, r.source or "", r.record or "")] = value
            else:
                made.links[(r.link or "", r.end or "", r.entity)] = value
        return made

    def __bool__(self) -> bool:
        return bool(self.entities or self.records or self.links)

    def _follow(self, entity_id: str, exact: Callable[[str], tuple[str, int] | None]) -> str:
        """Follow exact-key redirects, then entity-wide ones, until none applies. A cycle (a
        record split off and its new entity merged back) ends where the latest correction
        on it points."""
        path: list[tuple[str, int]] = []
        seen = {entity_id: 0}
        current = entity_id
        while True:
            step = exact(current) or self.entities.get(current)
            if step is None:
                return current
            path.append(step)
            target = step[0]
            if target in seen:
                cycle = path[seen[target] :]
                return max(cycle, key=lambda s: s[1])[0]
            seen[target] = len(path)
            current = target

    def record(self, entity_id: str, source: str, record: str) -> str:
        """Where an entity record asserted about ``entity_id`` goes."""
        return self._follow(entity_id, lambda e: self.records.get((e, source, record)))

    def end(self, link_id: str, end: str, entity_id: str) -> str:
        """Where the ``end`` of link ``link_id``, asserted on ``entity_id``, goes."""
        return self._follow(entity_id, lambda e: self.links.get((link_id, end, e)))

    def unit(
        self, unit: Sequence[EntityAssertion | LinkAssertion]
    ) -> list[EntityAssertion | LinkAssertion]:
        """The assertions of a unit, redirected."""
        out: list[EntityAssertion | LinkAssertion] = []
        for a in unit:
            if isinstance(a, EntityAssertion):
                target = self.record(a.entity_id, a.provenance.source, a.provenance.record)
                out.append(a if target == a.entity_id else replace(a, entity_id=target))
            else:
                src = self.end(a.id, "from", a.src.id)
                dst = self.end(a.id, "to", a.dst.id)
                if (src, dst) != (a.src.id, a.dst.id):
                    a = replace(a, src=EndRef(src, a.src.type), dst=EndRef(dst, a.dst.type))
                out.append(a)
        return out
