"""ReadersScope: what every reader of a document may see. Text extraction ties a document's
names to existing entities through links with the document's handling, so an entity may be
consulted only when whoever reads the document may see it anyway. The property test checks
exactly that against the one visibility rule (``Scope.allows``) for random handlings and
principals."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.model.records import Handling
from graphsvc.model.schema import Schema
from graphsvc.policy.principals import Principal
from graphsvc.policy.scope import ReadersScope, Scope

TODAY = date(2025, 6, 1)
LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
AGENCIES = ["FR-OCRTEH", "BE-PJF", "GB-NCA", "RO-DIICOT"]
COUNTRIES = ["FR", "BE", "GB", "RO"]
HOME = {"FR-OCRTEH": "FR", "BE-PJF": "BE", "GB-NCA": "GB", "RO-DIICOT": "RO"}


def handling(**fields: object) -> Handling:
    base: dict[str, object] = {
        "classification": "CONFIDENTIAL",
        "releasable_to": ("FR",),
        "caveats": (),
        "code": "H2",
        "originator": "FR-OCRTEH",
        "retain_until": None,
    }
    base.update(fields)
    return Handling(**base)  # type: ignore[arg-type]


def readers(schema: Schema, read: Handling, home: str | None = "FR") -> ReadersScope:
    return ReadersScope.of_readers(read, schema.policy, home=home, today=TODAY)


def test_same_handling_and_narrower_records_are_seen(schema: Schema) -> None:
    document = handling()
    scope = readers(schema, document)
    assert scope.allows(document)
    assert scope.allows(handling(classification="RESTRICTED"))
    assert scope.allows(handling(releasable_to=()))  # everyone may see it
    assert scope.allows(handling(releasable_to=("FR", "BE"), originator="BE-PJF"))


def test_what_some_reader_may_not_see_is_refused(schema: Schema) -> None:
    document = handling(classification="RESTRICTED", releasable_to=("BE", "FR", "RO"))
    scope = readers(schema, document)
    assert not scope.allows(handling())  # CONFIDENTIAL: above the document's readers
    assert not scope.allows(handling(classification="RESTRICTED"))  # FR only: BE readers
    assert not scope.allows(handling(classification="RESTRICTED", caveats=("FIU",)))
    assert not scope.allows(
        handling(
            classification="RESTRICTED", releasable_to=("BE", "FR", "RO"), retain_until="2030-01-01"
        )
    )  # the document's readers keep it longer than the record lives


def test_the_originators_own_readers_must_see_a_foreign_record(schema: Schema) -> None:
    document = handling(releasable_to=("BE",))  # FR-OCRTEH's record, released to BE only
    # a Belgian record released to BE: French readers of the originator would not see it
    assert not readers(schema, document).allows(
        handling(releasable_to=("BE",), originator="BE-PJF")
    )
    # released to the originator's country (the source's): they would
    assert readers(schema, document).allows(
        handling(releasable_to=("BE", "FR"), originator="BE-PJF")
    )
    # without the source's country, only a release to the agency itself will do
    assert not readers(schema, document, home=None).allows(
        handling(releasable_to=("BE", "FR"), originator="BE-PJF")
    )
    assert readers(schema, document, home=None).allows(
        handling(releasable_to=("BE", "FR-OCRTEH"), originator="BE-PJF")
    )


def test_scopes_of_different_documents_do_not_share_a_key(schema: Schema) -> None:
    a, b = handling(), handling(releasable_to=("FR", "BE"))
    assert readers(schema, a).key != readers(schema, b).key
    assert readers(schema, a).key == readers(schema, a).key


handlings = st.builds(
    Handling,
    classification=st.sampled_from(LEVELS),
    releasable_to=st.lists(st.sampled_from(COUNTRIES + AGENCIES), max_size=3, unique=True).map(
        tuple
    ),
    caveats=st.lists(st.sampled_from(["FIU", "HUMINT"]), max_size=2, unique=True).map(tuple),
    code=st.sampled_from(["H0", "H1", "H2", "H3"]),
    originator=st.sampled_from(AGENCIES),
    retain_until=st.one_of(st.none(), st.sampled_from(["2024-12-31", "2026-01-01", "2030-01-01"])),
)


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    agency = draw(st.sampled_from(AGENCIES))
    return Principal(
        id="p",
        agency=agency,
        # an agency's staff are in its country (the home the scope is told)
        country=HOME[agency],
        clearance=draw(st.sampled_from(LEVELS)),
        caveats=frozenset(draw(st.lists(st.sampled_from(["FIU", "HUMINT"]), unique=True))),
    )


@settings(max_examples=2000, deadline=None)
@given(document=handlings, record=handlings, reader=principals())
def test_whoever_sees_the_document_sees_what_its_readers_scope_allows(
    schema: Schema, document: Handling, record: Handling, reader: Principal
) -> None:
    scope = ReadersScope.of_readers(
        document, schema.policy, home=HOME[document.originator], today=TODAY
    )
    sees = Scope.of(reader, schema.policy, today=TODAY).allows
    if scope.allows(record) and sees(document):
        assert sees(record)
