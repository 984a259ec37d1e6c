"""i2 Analyst's Notebook exchange (ANX) XML: a chart Analyst's Notebook opens as it is.

What goes where:

- every entity is an icon chart item (``End/Entity``, ``Identity`` = our entity id) whose
  ``EntityType`` names our type and picks a standard i2 icon; its properties and the handling
  summary of the records behind it (the shared columns of ``attributes.py``) are typed
  attributes, and each visible record asserting it is a card with its source reference, method,
  grading and handling;
- every link is its own link chart item (``End1Id``/``End2Id`` point at the entities'
  ``EntityId``), labelled with its type, arrowed when directed, dated by its time span
  (``DateSet`` only when dated; a partial date such as ``2023`` is placed on its first day and
  kept as the ``DateTimeDescription``), with ``SourceReference`` = ``source/record``,
  ``SourceType`` = the provenance method, and one card holding its provenance and handling;
- grading uses the chart's three grade collections, declared in the chart so the indices
  (0-based) decode without guessing: grade one is the source reliability (A, B, C, X), grade
  two the information assessment (1-4), grade three the handling code (H0-H3), each ``code -
  meaning`` as the policy in ``schema/handling.yaml`` states it;
- hidden-link candidates are dashed links (the ``Possible`` strength, ``DotStyleDashed``)
  labelled ``possible link 0.42``, without cards: they are analysis, not records;
- the banner is an XML comment at the top and the chart ``Summary`` (title, subject and keywords
  = the marking, comments = the whole banner, author = who exported it, the creation date) with
  one custom property per banner field; ``Classification`` holds the marking, the custom
  property print headers conventionally show.

Entities are laid out on a grid so the chart does not open as one pile; Analyst's Notebook's
own layouts rearrange it.

Sources for the structure (element and attribute names, nesting and order): the ANX produced by
the ``anxwritter`` Python library (gustavo-gkmi/anxwritter: its builder and its reference notes
on cards, grades, links, attributes and the summary, which record what Analyst's Notebook 9's
import accepts and rejects), followed where sources disagree; the Portland Police Bureau's
SQL-to-ANX example (Summary ``FieldCollection``/``CustomPropertyCollection``, strengths with
dot styles, entity cards inside ``Entity``, ``IdReferenceLinking="false"`` with
``EntityId``/``End1Id``); the
Lumify/Visallo Analyst's Notebook export plugin (classification in a summary custom property);
and small ANX generators and importers on GitHub (icon, link and arrow attributes, standard
icon names). No code was copied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from graphsvc.export.attributes import CANDIDATE_TYPE, Attributes, Column, Value, text
from graphsvc.export.banner import Banner
from graphsvc.export.graph import ExportGraph, ExportNode
from graphsvc.export.xmltext import DECLARATION, attr, comment
from graphsvc.ingest.ftm import human_marking
from graphsvc.model.graph import Link
from graphsvc.model.records import METHODS, Grading, Handling, Provenance
from graphsvc.model.schema import PropertySpec, Schema

# Standard Analyst's Notebook icons for our entity types (``IconFile`` of the entity type).
ICONS: Mapping[str, str] = {
    "Person": "Person",
    "Organization": "Office",
    "Phone": "Phone",
    "Email": "Email",
    "BankAccount": "Account",
    "Address": "Address",
    "Vehicle": "Car",
    "Document": "Document",
    "Event": "Incident",
    "Location": "Place",
    "IpAddress": "Computer",
    "CryptoWallet": "Account",
    "IdentityDocument": "Passport",
}
DEFAULT_ICON = "General"

RECORDED = "Recorded"  # the strength of links some record asserts: solid
POSSIBLE = "Possible"  # the strength of hidden-link candidates: dashed
LINK_ID = "linkId"  # the attribute holding our link id (an ANX link has no identity)

_ATT_TYPES = {
    "string": "AttText",
    "integer": "AttNumber",
    "double": "AttNumber",
    "boolean": "AttFlag",
}
_TIME_KINDS = {"date", "datetime"}
# Link columns of ``attributes.py`` that hold instants or dates.
_EDGE_TIMES = frozenset({"start", "end", "observedAt", "ingestedAt", "retainUntil"})
_GRID = 180  # distance between neighbouring icons on the initial grid


def write(graph: ExportGraph, banner: Banner, schema: Schema) -> bytes:
    return _Chart(graph, banner, schema).render().encode("utf-8")


class _Chart:
    def __init__(self, graph: ExportGraph, banner: Banner, schema: Schema) -> None:
        self.graph = graph
        self.banner = banner
        self.schema = schema
        self.table = Attributes(graph, schema)
        self._ids = 0
        policy = schema.policy
        gradings = self._gradings()
        self.grades_one = _scale(
            {code: g.label for code, g in policy.source_grades.items()},
            (g.source for g in gradings),
        )
        self.grades_two = _scale(
            {code: g.label for code, g in policy.information_grades.items()},
            (g.information for g in gradings),
        )
        self.grades_three = _scale(
            {code: c.meaning for code, c in policy.codes.items()},
            (h.code for h in graph.handlings),
        )
        self.node_values = [self.table.node(node) for node in graph.nodes]
        self.link_values = [{LINK_ID: link.id, **self.table.link(link)} for link in graph.links]
        self.candidate_values = [
            {LINK_ID: pair.id, **self.table.candidate(pair)} for pair in graph.candidates
        ]
        self.classes = self._attribute_classes()
        self.class_ids: dict[str, str] = {}

    def _gradings(self) -> list[Grading]:
        found = [link.grading for link in self.graph.links]
        found += [r.grading for n in self.graph.nodes for r in n.entity.records if r.grading]
        return found

    def _next_id(self) -> str:
        self._ids += 1
        return f"ID{self._ids}"

    # -- attribute classes ---------------------------------------------------------------------

    def _attribute_classes(self) -> dict[str, str]:
        """Attribute class name -> ANX type, in declaration order. A class is ``AttTime``
        only when every value is a full date or instant (a partial date stays text), and text
        when nodes and links disagree on its type."""
        entities = {name: t.properties for name, t in self.schema.entities.items()}
        links = {name: t.properties for name, t in self.schema.links.items()}
        node_times = _time_columns(
            (n.entity.type for n in self.graph.nodes), entities, self.table.node_props
        )
        edge_times = _EDGE_TIMES | _time_columns(
            (link.type for link in self.graph.links), links, self.table.edge_props
        )
        wanted: dict[str, str] = {}

        def want(
            columns: Iterable[Column], times: Iterable[str], rows: list[dict[str, Value]]
        ) -> None:
            timed = set(times)
            for column in columns:
                kind = _ATT_TYPES.get(column.kind, "AttText")
                if column.key in timed:
                    values = [row[column.key] for row in rows if column.key in row]
                    if all(_att_time(str(v)) is not None for v in values):
                        kind = "AttTime"
                known = wanted.get(column.key)
                wanted[column.key] = kind if known in (None, kind) else "AttText"

        want(self.table.node_columns, node_times, self.node_values)
        edges = self.link_values + self.candidate_values
        if edges:
            want([Column(LINK_ID, "string")], (), edges)
            want(self.table.edge_columns, edge_times, edges)
        used = {key for row in self.node_values + edges for key in row}
        return {key: kind for key, kind in wanted.items() if key in used}

    # -- the chart -----------------------------------------------------------------------------

    def render(self) -> str:
        strengths = {RECORDED: self._next_id(), POSSIBLE: self._next_id()}
        out = [DECLARATION, comment(self.banner.lines()), '<Chart IdReferenceLinking="false">\n']
        out.append("  <StrengthCollection>\n")
        for name, style in ((RECORDED, "DotStyleSolid"), (POSSIBLE, "DotStyleDashed")):
            out.append(f'    <Strength Id="{strengths[name]}" Name="{name}" DotStyle="{style}"/>\n')
        out.append("  </StrengthCollection>\n")
        for tag, strings in (
            ("GradeOne", [f"{c} - {label}" if label else c for c, label in self.grades_one]),
            ("GradeTwo", [f"{c} - {label}" if label else c for c, label in self.grades_two]),
            ("GradeThree", [f"{c} - {label}" if label else c for c, label in self.grades_three]),
            ("SourceHints", list(METHODS)),
        ):
            out.append(self._strings(tag, strings))
        self.class_ids = {name: self._next_id() for name in self.classes}
        if self.classes:
            out.append("  <AttributeClassCollection>\n")
            for name, kind in self.classes.items():
                class_id = self.class_ids[name]
                out.append(
                    f'    <AttributeClass Id="{class_id}" Name="{attr(name)}" Type="{kind}" '
                    'ShowValue="true" Visible="false" IsUser="true" UserCanAdd="true" '
                    'UserCanRemove="true"/>\n'
                )
            out.append("  </AttributeClassCollection>\n")
        entity_types = {t: self._next_id() for t in dict.fromkeys(self._entity_type_names())}
        link_types = {t: self._next_id() for t in dict.fromkeys(self._link_type_names())}
        out.append("  <EntityTypeCollection>\n")
        for name, type_id in entity_types.items():
            icon = ICONS.get(name, DEFAULT_ICON)
            out.append(
                f'    <EntityType Id="{type_id}" Name="{attr(name)}" IconFile="{attr(icon)}" '
                'PreferredRepresentation="RepresentAsIcon"/>\n'
            )
        out.append("  </EntityTypeCollection>\n")
        if link_types:
            out.append("  <LinkTypeCollection>\n")
            for name, type_id in link_types.items():
                out.append(f'    <LinkType Id="{type_id}" Name="{attr(name)}"/>\n')
            out.append("  </LinkTypeCollection>\n")
        out.append(self._summary())
        out.append("  <ChartItemCollection>\n")
        entity_ids = {n.entity.id: str(i) for i, n in enumerate(self.graph.nodes, start=1)}
        columns = max(1, math.ceil(math.sqrt(len(self.graph.nodes))))
        for i, (node, values) in enumerate(zip(self.graph.nodes, self.node_values, strict=True)):
            x, y = (i % columns) * _GRID, (i // columns) * _GRID
            out.append(self._entity(node, values, entity_ids, entity_types, x, y))
        for link, values in zip(self.graph.links, self.link_values, strict=True):
            out.append(self._link(link, values, entity_ids, link_types))
        for pair, values in zip(self.graph.candidates, self.candidate_values, strict=True):
            out.append(
                _item(
                    {"Label": f"possible link {pair.score:.2f}"},
                    _link_body(
                        entity_ids[pair.source_id],
                        entity_ids[pair.target_id],
                        "",
                        POSSIBLE,
                        "ArrowNone",
                        CANDIDATE_TYPE,
                        link_types[CANDIDATE_TYPE],
                    ),
                    self._attributes(values),
                )
            )
        out.append("  </ChartItemCollection>\n</Chart>\n")
        return "".join(out)

    def _entity_type_names(self) -> list[str]:
        return [n.entity.type for n in self.graph.nodes]

    def _link_type_names(self) -> list[str]:
        types = [link.type for link in self.graph.links]
        return types + ([CANDIDATE_TYPE] if self.graph.candidates else [])

    def _strings(self, tag: str, strings: list[str]) -> str:
        lines = [f"  <{tag}>\n    <StringCollection>\n"]
        for value in strings:
            lines.append(f'      <String Id="{self._next_id()}" Text="{attr(value)}"/>\n')
        lines.append(f"    </StringCollection>\n  </{tag}>\n")
        return "".join(lines)

    def _summary(self) -> str:
        b = self.banner
        fields = (
            ("SummaryFieldTitle", b.title),
            ("SummaryFieldSubject", b.marking),
            ("SummaryFieldKeywords", b.marking),
            ("SummaryFieldCategory", f"graphsvc export ({b.purpose.value})"),
            ("SummaryFieldComments", b.text()),
            ("SummaryFieldAuthor", f"{b.exported_by} ({b.agency})"),
        )
        if b.releasable_to_all is None:
            releasable = "no restriction"
        else:
            releasable = ", ".join(b.releasable_to_all) or "originators only"
        properties = (
            ("Classification", b.marking),
            ("Highest classification", b.classification),
            ("Releasable to (every element)", releasable),
            ("Releasability markings present", ", ".join(b.releasable_to) or "none"),
            ("Caveats", ", ".join(b.caveats) or "none"),
            ("Handling codes", "; ".join(f"{c}: {m}" for c, m in b.codes) or "none"),
            ("Originators", ", ".join(b.originators) or "none"),
            ("Exported by", f"{b.exported_by} ({b.agency})"),
            ("Exported at", b.exported_at),
            ("Justification", b.justification or "none given"),
            ("Purpose", b.purpose.value),
            ("Withheld", b.withheld),
            ("Export", f"{b.export_id} ({b.format})"),
        )
        out = ["  <Summary>\n    <FieldCollection>\n"]
        for kind, value in fields:
            out.append(f'      <Field Type="{kind}" Field="{attr(value)}"/>\n')
        out.append("    </FieldCollection>\n    <CustomPropertyCollection>\n")
        for name, value in properties:
            out.append(
                f'      <CustomProperty Name="{attr(name)}" Type="String" Value="{attr(value)}"/>\n'
            )
        out.append("    </CustomPropertyCollection>\n")
        created = _att_time(b.exported_at)
        if created:
            out.append(f'    <Origin CreatedDate="{created}"/>\n')
        out.append("  </Summary>\n")
        return "".join(out)

    # -- chart items ---------------------------------------------------------------------------

    def _entity(
        self,
        node: ExportNode,
        values: dict[str, Value],
        entity_ids: dict[str, str],
        entity_types: dict[str, str],
        x: int,
        y: int,
    ) -> str:
        entity = node.entity
        same = "true" if entity.label == entity.id else "false"
        cards = "".join(
            self._card(r.provenance, r.grading, r.handling, " " * 12) for r in entity.records
        )
        body = [
            f'      <End X="{x}" Y="{y}" Z="0">\n',
            f'        <Entity EntityId="{entity_ids[entity.id]}" Identity="{attr(entity.id)}" '
            f'LabelIsIdentity="{same}">\n',
            "          <Icon>\n",
            f'            <IconStyle Type="{attr(entity.type)}" '
            f'EntityTypeReference="{entity_types[entity.type]}"/>\n',
            "          </Icon>\n",
        ]
        if cards:
            body.append(f"          <CardCollection>\n{cards}          </CardCollection>\n")
        body.append("        </Entity>\n      </End>\n")
        return _item(
            {"Label": entity.label, "XPosition": str(x)}, "".join(body), self._attributes(values)
        )

    def _link(
        self,
        link: Link,
        values: dict[str, Value],
        entity_ids: dict[str, str],
        link_types: dict[str, str],
    ) -> str:
        p = link.provenance
        fields: dict[str, str] = {"Label": link.type}
        start = values.get("start")  # Attributes.link holds the span already
        when = _anx_datetime(str(start)) if start else None
        if when is not None:
            moment, timed, partial = when
            fields.update(DateSet="true", TimeSet="true" if timed else "false", DateTime=moment)
            if partial:
                fields["DateTimeDescription"] = str(start)
        fields.update(self._grades(link.grading, link.handling))
        fields.update(SourceReference=f"{p.source}/{p.record}", SourceType=p.method)
        card = self._card(p, link.grading, link.handling, " " * 10)
        body = _link_body(
            entity_ids[link.source_id],
            entity_ids[link.target_id],
            f"        <CardCollection>\n{card}        </CardCollection>\n",
            RECORDED,
            "ArrowOnHead" if link.directed else "ArrowNone",
            link.type,
            link_types[link.type],
        )
        return _item(fields, body, self._attributes(values))

    def _grades(self, grading: Grading | None, handling: Handling) -> dict[str, str]:
        out: dict[str, str] = {}
        if grading is not None:
            out["GradeOneIndex"] = str(_index(self.grades_one, grading.source))
            out["GradeTwoIndex"] = str(_index(self.grades_two, grading.information))
        out["GradeThreeIndex"] = str(_index(self.grades_three, handling.code))
        return out

    def _card(self, p: Provenance, grading: Grading | None, handling: Handling, indent: str) -> str:
        fields = {"Summary": f"{p.source}/{p.record} ({human_marking(handling.to_dict())})"}
        when = _anx_datetime(p.observed_at) if p.observed_at else None
        if when is not None:
            fields.update(DateSet="true", TimeSet="true" if when[1] else "false", DateTime=when[0])
        fields.update(self._grades(grading, handling))
        fields.update(SourceReference=f"{p.source}/{p.record}", SourceType=p.method)
        fields["Text"] = "\n".join(self._card_lines(p, grading, handling))
        return f"{indent}<Card{_fields(fields)}/>\n"

    def _card_lines(self, p: Provenance, grading: Grading | None, h: Handling) -> list[str]:
        policy = self.schema.policy
        lines = [
            f"Source: {p.source}, record {p.record}",
            f"Method: {p.method}, confidence {p.confidence:g}",
        ]
        if p.observed_at:
            lines.append(f"Observed: {p.observed_at}")
        lines.append(f"Ingested: {p.ingested_at}")
        if p.document:
            span = f" [{p.span[0]}:{p.span[1]}]" if p.span else ""
            lines.append(f"Document: {p.document}{span}")
        if p.extractor:
            lines.append(f"Extractor: {p.extractor}")
        if p.note:
            lines.append(f"Note: {p.note}")
        if grading is not None:
            source = policy.source_grades.get(grading.source)
            info = policy.information_grades.get(grading.information)
            lines.append(
                f"Grading ({policy.grading_name}): {grading.source}{grading.information}"
                f" - {source.label if source else 'not in the policy'};"
                f" {info.label if info else 'not in the policy'}"
            )
        code = policy.codes.get(h.code)
        lines += [
            f"Classification: {h.classification}",
            f"Releasable to: {', '.join(h.releasable_to) or 'every cleared user'}",
            f"Caveats: {', '.join(h.caveats) or 'none'}",
            f"Handling code: {h.code} - {code.meaning if code else 'not in the policy'}",
            f"Originator: {h.originator}",
        ]
        if h.retain_until:
            lines.append(f"Retain until: {h.retain_until}")
        return lines

    def _attributes(self, values: dict[str, Value]) -> str:
        lines = []
        for key, value in values.items():
            kind = self.classes.get(key)
            if kind is None:
                continue
            class_id = self.class_ids[key]
            shown = (_att_time(str(value)) if kind == "AttTime" else None) or text(value)
            lines.append(
                f'        <Attribute AttributeClass="{attr(key)}" '
                f'AttributeClassReference="{class_id}" Value="{attr(shown)}"/>\n'
            )
        if not lines:
            return ""
        return "      <AttributeCollection>\n" + "".join(lines) + "      </AttributeCollection>\n"


# -- helpers ---------------------------------------------------------------------------------


def _item(fields: dict[str, str], body: str, attributes: str) -> str:
    """A chart item: the end or link first, then the attributes (the order ANB 9 expects)."""
    return f"    <ChartItem{_fields(fields)}>\n{body}{attributes}    </ChartItem>\n"


def _link_body(
    end1: str, end2: str, cards: str, strength: str, arrow: str, kind: str, kind_id: str
) -> str:
    return (
        f'      <Link End1Id="{end1}" End2Id="{end2}">\n{cards}'
        f'        <LinkStyle Strength="{strength}" ArrowStyle="{arrow}" Type="{attr(kind)}" '
        f'LinkTypeReference="{kind_id}"/>\n'
        "      </Link>\n"
    )


def _fields(fields: Mapping[str, str]) -> str:
    return "".join(f' {name}="{attr(value)}"' for name, value in fields.items())


def _scale(policy: Mapping[str, str], present: Iterable[str]) -> list[tuple[str, str]]:
    """(code, meaning) for a grade collection: the policy's codes in its order, then any code
    the data holds that the policy does not list (so every grade decodes)."""
    out = list(policy.items())
    for code in dict.fromkeys(present):
        if code not in policy:
            out.append((code, ""))
    return out


def _index(scale: list[tuple[str, str]], code: str) -> int:
    return next(i for i, (known, _) in enumerate(scale) if known == code)


def _time_columns(
    types: Iterable[str],
    catalogue: Mapping[str, Mapping[str, PropertySpec]],
    props: list[tuple[str, Column]],
) -> set[str]:
    """Keys of the property columns that hold one date or instant for every type present."""
    present = [catalogue[t] for t in dict.fromkeys(types) if t in catalogue]
    out = set()
    for prop, column in props:
        specs = [s for owner in present if (s := owner.get(prop)) is not None]
        if specs and all(s.type in _TIME_KINDS and not s.multiple for s in specs):
            out.add(column.key)
    return out


def _parse(value: str) -> tuple[datetime, bool, bool] | None:
    """(the instant in UTC, whether a time of day is known, whether the date is partial)."""
    value = value.strip()
    try:
        if len(value) == 4 and value.isdigit():
            return datetime(int(value), 1, 1), False, True
        if len(value) == 7 and value[4] == "-":
            return datetime(int(value[:4]), int(value[5:]), 1), False, True
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day), False, False
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment, True, False


def _anx_datetime(value: str) -> tuple[str, bool, bool] | None:
    """A chart item's or card's ``DateTime`` (``yyyy-MM-ddTHH:mm:ss.000``, UTC), whether the
    time is set and whether the date was partial."""
    parsed = _parse(value)
    if parsed is None:
        return None
    moment, timed, partial = parsed
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".000", timed, partial


def _att_time(value: str) -> str | None:
    """An ``AttTime`` attribute value (``yyyy-MM-ddTHH:mm:ss``, UTC), or None unless ``value``
    is a full date or instant."""
    parsed = _parse(value)
    if parsed is None or parsed[2]:
        return None
    return parsed[0].strftime("%Y-%m-%dT%H:%M:%S")
