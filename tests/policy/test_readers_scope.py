"""ReadersScope: what every reader of a document may see. Text extraction ties a document's
names to existing entities through links with the document's handling, so an entity may be
consulted only when whoever reads the document may see it anyway, today and later. The
property test checks exactly that against the one visibility rule (``Scope.allows``) for
random handlings, principals (working from any country) and days."""

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
AGENCIES = ["FR-OCRTEH", "FR-TRACFIN", "BE-PJF", "GB-NCA", "RO-DIICOT"]
COUNTRIES = ["FR", "BE", "GB", "RO"]


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


def readers(schema: Schema, read: Handling) -> ReadersScope:
    return ReadersScope.of_readers(read, schema.policy, country="FR", today=TODAY)


def test_same_handling_and_narrower_records_are_seen(schema: Schema) -> None:
    document = handling()
    scope = readers(schema, document)
    assert scope.allows(document)
    assert scope.allows(handling(classification="RESTRICTED"))
    assert scope.allows(handling(releasable_to=()))  # everyone may see it
    assert scope.allows(handling(releasable_to=("FR", "FR-OCRTEH"), originator="BE-PJF"))


def test_what_some_reader_may_not_see_is_refused(schema: Schema) -> None:
    jit = {"classification": "RESTRICTED", "releasable_to": ("BE", "FR", "RO")}
    scope = readers(schema, handling(**jit))
    assert not scope.allows(handling())  # CONFIDENTIAL: above the document's readers
    assert not scope.allows(handling(classification="RESTRICTED"))  # FR only: BE readers
    assert not scope.allows(handling(classification="RESTRICTED", caveats=("FIU",)))
    # the document's readers keep it longer than the record lives
    assert not scope.allows(handling(**jit, retain_until="2030-01-01"))
    kept = handling(**jit, retain_until="2030-01-01")
    assert readers(schema, kept).allows(kept)  # the same agency's, kept as long: fine


def test_the_originators_own_staff_must_see_a_foreign_record(schema: Schema) -> None:
    document = handling(releasable_to=("BE",))  # FR-OCRTEH's record, released to BE only
    scope = readers(schema, document)
    # a Belgian record released to BE: the originator's staff would not see it
    assert not scope.allows(handling(releasable_to=("BE",), originator="BE-PJF"))
    # released to France: the originator's staff may work from any country (a liaison
    # officer in Brussels), so only a release to the agency itself, or to everyone, will do
    assert not scope.allows(handling(releasable_to=("BE", "FR"), originator="BE-PJF"))
    assert scope.allows(handling(releasable_to=("BE", "FR-OCRTEH"), originator="BE-PJF"))
    assert scope.allows(handling(releasable_to=(), originator="BE-PJF"))


def test_another_agencys_record_that_expires_is_never_used(schema: Schema) -> None:
    # the originator's staff see their document for ever: a record that will expire for them
    # may not stand behind it, however long the document itself is kept
    document = handling(retain_until="2026-01-01")
    expiring = handling(originator="FR-TRACFIN", retain_until="2030-01-01")
    assert not readers(schema, document).allows(expiring)


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
    return Principal(
        id="p",
        agency=draw(st.sampled_from(AGENCIES)),
        country=draw(st.sampled_from(COUNTRIES)),  # staff may work abroad
        clearance=draw(st.sampled_from(LEVELS)),
        caveats=frozenset(draw(st.lists(st.sampled_from(["FIU", "HUMINT"]), unique=True))),
    )


@settings(max_examples=3000, deadline=None)
@given(
    document=handlings,
    record=handlings,
    reader=principals(),
    later=st.sampled_from([TODAY, date(2025, 12, 31), date(2027, 6, 1), date(2040, 1, 1)]),
)
def test_whoever_sees_the_document_sees_what_its_readers_scope_allows(
    schema: Schema, document: Handling, record: Handling, reader: Principal, later: date
) -> None:
    """Decided today, it holds today and on any later day the reader still sees the document."""
    scope = ReadersScope.of_readers(document, schema.policy, country="FR", today=TODAY)
    sees = Scope.of(reader, schema.policy, today=later).allows
    if scope.allows(record) and sees(document):
        assert sees(record)
