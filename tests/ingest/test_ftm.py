"""Reading FollowTheMoney files: foreign (Aleph-style) entities mapped to our types with a
source definition's provenance and handling, graphsvc markings honoured and checked, bad
lines reported with file and line while the rest is stored, and re-runs that change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphsvc.cli import main
from graphsvc.ingest import SourceRegistry
from graphsvc.ingest.ftm import encode_id, human_marking, marking_text
from graphsvc.model.schema import Schema
from graphsvc.store.embedded import EmbeddedStore
from graphsvc.store.protocol import GraphStore
from tests.ingest.conftest import (
    assert_every_problem_located,
    data_version,
    get_entity,
    get_link,
    ingest,
    only_problem,
    write_jsonl,
)

HANDLING = {
    "classification": "RESTRICTED",
    "releasableTo": ["FR", "BE"],
    "caveats": [],
    "code": "H1",
    "originator": "FR-OCRTEH",
}
SOURCES_YAML = """\
sources:
  aleph-occrp:
    title: OCCRP Aleph, investigative dataset
    country: FR
    provenance: {method: structured, confidence: 0.7}
    grading: {source: C, information: "3"}
    handling: {classification: RESTRICTED, releasableTo: [FR, BE], caveats: [], code: H1,
               originator: FR-OCRTEH}
  opensanctions:
    title: OpenSanctions
    provenance: {method: structured, confidence: 0.9}
    grading: {source: B, information: "2"}
    handling: {classification: UNCLASSIFIED, releasableTo: [], caveats: [], code: H0,
               originator: FR-OCRTEH}
"""


def _e(ftm_id: str, schema: str, **props: Any) -> dict[str, Any]:
    return {
        "id": ftm_id,
        "schema": schema,
        "properties": {k: v if isinstance(v, list) else [v] for k, v in props.items()},
    }


ALEPH: list[Any] = [
    _e("ownership-1", "Ownership", owner="8e3f1a", asset="c0ffee", percentage="60",
       startDate="2018-05-01", endDate="2022"),  # before its ends: read in any order
    _e("8e3f1a", "Person", name=["Ivan Petrov", "I. Petrov"], nationality="ru",
       birthDate="1980-02-03", gender="male", profession="consultant", weakAlias="Vanya"),
    _e("c0ffee", "Company", name="Lys Holding SARL", jurisdiction="fr",
       registrationNumber="339845083", incorporationDate="2016-01-02",
       classification="private"),
    _e("dir-1", "Directorship", director="8e3f1a", organization="c0ffee", role="gérant",
       startDate="2016-01-02"),
    _e("pay-1", "Payment", payer="c0ffee", beneficiary="8e3f1a", amount="15000.50",
       currency="EUR", date="2023-04-01", purpose="consulting"),
    _e("ship-1", "Vessel", name="Sea Lys", imoNumber="IMO9074729"),
    '{"id": "broken", "schema": "Person", "properties": {',
    _e("acct-1", "BankAccount", iban="FR76 3000 6000 0112 3456 7890 189", bankName="BNP"),
    _e("pay-2", "Payment", payerAccount="acct-1", beneficiary="8e3f1a", amount="900",
       date="2023-05-02T10:15:00"),
    _e("ua-1", "UserAccount", service="phone", phone="+33612345678", username="ivan"),
    _e("call-1", "Call", caller="8e3f1a", receiverNumber="+33652178340",
       date="2023-06-01T08:00:00", duration="65"),
    _e("fam-1", "Associate", person="8e3f1a", associate="p-2", relationship="business partner"),
    _e("p-2", "LegalEntity", name="Maria Ionescu"),
    _e("p-2", "Person", birthDate="1985"),
    _e("uses-1", "UnknownLink", subject="8e3f1a", object="ua-1", role="USES: burner"),
]  # fmt: skip


@pytest.fixture
def sources(tmp_path: Path, schema: Schema) -> tuple[Path, SourceRegistry]:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES_YAML, encoding="utf-8")
    return path, SourceRegistry.load(path, schema)


@pytest.fixture
def aleph(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "aleph.ftm", ALEPH)


def test_a_foreign_file_is_mapped_to_our_types_with_its_source_definition(
    store: GraphStore, aleph: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    report = ingest(store, aleph, registry=sources[1], source="aleph-occrp")
    assert (report.accepted, report.rejected) == (13, 2), report.problems
    person = get_entity(store, "8e3f1a")
    assert person.type == "Person"
    assert person.properties == {
        "name": ["Ivan Petrov"],
        "aliases": ["I. Petrov"],  # FtM's further names
        "nationality": ["RU"],
        "birthDate": ["1980-02-03"],
        "gender": ["male"],
        "occupation": ["consultant"],
    }
    (record,) = person.records
    assert (record.provenance.source, record.provenance.record) == ("aleph-occrp", "8e3f1a")
    assert record.provenance.confidence == 0.7
    assert record.grading is not None and record.grading.to_dict() == {
        "source": "C",
        "information": "3",
    }
    assert record.handling.to_dict() == {**HANDLING, "releasableTo": ["BE", "FR"]} | {
        "retainUntil": None
    }
    company = get_entity(store, "c0ffee")
    assert company.type == "Organization"
    assert company.properties["kind"] == ["company"]  # a Company; "private" is no kind of ours
    assert company.properties["jurisdiction"] == ["FR"]

    owns = get_link(store, "ownership-1")
    assert (owns.type, owns.source_id, owns.target_id) == ("OWNS", "8e3f1a", "c0ffee")
    assert owns.properties == {"share": 60, "since": "2018-05-01", "until": "2022"}
    assert (owns.provenance.source, owns.provenance.record) == ("aleph-occrp", "ownership-1")
    assert owns.grading.to_dict() == {"source": "C", "information": "3"}
    director = get_link(store, "dir-1")
    assert (director.type, director.source_id, director.target_id) == (
        "DIRECTOR_OF",
        "8e3f1a",
        "c0ffee",
    )
    assert director.properties == {"role": "gérant", "since": "2016-01-02"}
    paid = get_link(store, "pay-1")
    assert (paid.type, paid.source_id, paid.target_id) == ("TRANSFERRED_TO", "c0ffee", "8e3f1a")
    assert paid.properties == {
        "amount": 15000.5,
        "currency": "EUR",
        "date": "2023-04-01",
        "reference": "consulting",
    }
    iban = "iban:FR7630006000011234567890189"  # a selector: identified by its value
    assert get_entity(store, iban).properties["bank"] == ["BNP"]
    from_account = get_link(store, "pay-2")
    assert (from_account.source_id, from_account.properties["date"]) == (
        iban,
        "2023-05-02T10:15:00Z",
    )
    call = get_link(store, "call-1")
    assert (call.type, call.source_id, call.target_id) == (
        "CALLED",
        "8e3f1a",
        "phone:+33652178340",
    )
    assert call.properties == {"date": "2023-06-01T08:00:00Z", "durationSeconds": 65}
    uses = get_link(store, "uses-1")
    assert (uses.type, uses.target_id, uses.properties) == (
        "USES",
        "phone:+33612345678",
        {"role": "burner"},
    )
    partner = get_link(store, "fam-1")
    assert (partner.type, partner.properties) == (
        "RELATED_TO",
        {"relationship": "business partner"},
    )
    maria = get_entity(store, "p-2")  # a LegalEntity fragment and a Person fragment
    assert maria.type == "Person"
    assert maria.properties == {"name": ["Maria Ionescu"], "birthDate": ["1985"]}
    assert sorted(r.provenance.record for r in maria.records) == ["p-2", "p-2#2"]


def test_foreign_wallets_and_identifications_are_selectors_and_accounts_stay_accounts(
    store: GraphStore, tmp_path: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    path = write_jsonl(
        tmp_path / "wallets.ftm",
        [
            _e("w-1", "CryptoWallet", publicKey="BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
               currencySymbol="BTC", balance="2.5"),
            _e("pp-1", "Passport", number="12AB 34567", country="fr", endDate="2031-05-06",
               holder="8e3f1a"),
            _e("id-1", "Identification", number="RO-123456", country="ro",
               type="National identity card"),
            # a foreign account that has an IP address is an account, not an IP address
            _e("ua-2", "UserAccount", email="ivan@example.org", ipAddress="192.0.2.7",
               username="ivan"),
            _e("w-2", "CryptoWallet", publicKey="1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
        ],
    )  # fmt: skip
    report = ingest(store, path, registry=sources[1], source="aleph-occrp")
    assert (report.accepted, report.rejected) == (4, 1), report.problems
    wallet = get_entity(store, "crypto:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert (wallet.type, wallet.properties["currency"]) == ("CryptoWallet", ["BTC"])
    passport = get_entity(store, "iddoc:12AB34567")
    assert passport.type == "IdentityDocument"
    assert passport.properties == {
        "number": ["12AB34567"],
        "kind": ["passport"],  # the FtM schema says so
        "country": ["FR"],
        "expiryDate": ["2031-05-06"],
    }
    card = get_entity(store, "iddoc:RO123456")
    assert "kind" not in card.properties  # FtM's free-text type is none of our kinds
    assert card.properties["country"] == ["RO"]
    assert get_entity(store, "email:ivan@example.org").type == "Email"
    bad = only_problem(report, path, 5)  # one character off: the checksum refuses it
    assert "not a cryptocurrency address" in bad.reason


def test_an_unknown_schema_and_broken_json_are_reported_and_the_rest_stored(
    store: GraphStore, aleph: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    report = ingest(store, aleph, registry=sources[1], source="aleph-occrp")
    assert_every_problem_located(report)
    vessel = only_problem(report, aleph, 6)
    assert vessel.field == "schema"
    assert "'Vessel' is not supported" in vessel.reason
    assert "Person" in vessel.reason and "Ownership" in vessel.reason
    assert "not valid JSON" in only_problem(report, aleph, 7).reason
    assert {p.line for p in report.problems} == {6, 7}
    assert str(vessel).startswith(f"{aleph}:6: schema: ")
    assert store.totals().links == 7


def test_re_ingesting_a_foreign_file_changes_nothing(
    embedded_store: EmbeddedStore, aleph: Path, sources: tuple[Path, SourceRegistry], db: Path
) -> None:
    store = embedded_store  # the data version is read from its file
    ingest(store, aleph, registry=sources[1], source="aleph-occrp")
    totals = store.totals().to_dict()
    version = data_version(db)
    before = get_link(store, "pay-2").to_dict()
    again = ingest(store, aleph, registry=sources[1], source="aleph-occrp")
    assert (again.accepted, again.rejected) == (13, 2)
    assert store.totals().to_dict() == totals
    assert data_version(db) == version
    assert get_link(store, "pay-2").to_dict() == before


def test_the_publisher_names_the_source_when_it_is_defined(
    store: GraphStore, tmp_path: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.ftm.json",
        [
            _e("os-1", "Person", name="Sanctioned Person", publisher="opensanctions"),
            _e("os-2", "Person", name="Leaked Person", publisher="Some Leak"),
        ],
    )
    report = ingest(store, path, registry=sources[1], source="aleph-occrp")
    assert report.rejected == 0, report.problems
    assert get_entity(store, "os-1").sources == ["opensanctions"]
    assert get_entity(store, "os-1").records[0].handling.code == "H0"
    assert get_entity(store, "os-2").sources == ["aleph-occrp"]


def test_a_foreign_file_without_a_source_definition_is_refused_line_by_line(
    store: GraphStore, aleph: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    for registry, source, words in (
        (SourceRegistry(), None, "no --source was given"),
        (sources[1], "nowhere", "--source 'nowhere' is not defined"),
    ):
        report = ingest(store, aleph, registry=registry, source=source)
        assert report.accepted == 0
        first = only_problem(report, aleph, 1)
        assert first.field == "publisher"
        assert "source definition" in first.reason and words in first.reason
    assert store.totals().records == 0


def _marked(ftm_id: str, schema: str, payload: dict[str, Any], **props: Any) -> dict[str, Any]:
    line = _e(ftm_id, schema, **props)
    line["properties"]["summary"] = [marking_text(payload)]
    return line


RECORD: dict[str, Any] = {
    "provenance": {"source": "analyst-fr", "record": "NOTE-1", "method": "analyst"},
    "grading": {"source": "B", "information": "2"},
    "handling": {**HANDLING, "caveats": ["HUMINT"], "classification": "SECRET"},
}


def test_a_graphsvc_marking_gives_provenance_grading_and_handling(
    store: GraphStore, tmp_path: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    person = encode_id("ocrteh:PER-0009")[0]
    path = write_jsonl(
        tmp_path / "ours.ftm.jsonl",
        [
            {"id": "graphsvc-banner-exp-9", "schema": "Note", "properties": {"name": ["x"]}},
            _marked(person, "Person", {**RECORD, "properties": {"gender": "unknown"}}, name="X"),
            _marked(person, "Person", {"assertedBy": "links"}),
            _marked(
                encode_id("met:9")[0],
                "Associate",
                RECORD,
                person=person,
                associate="p-3",
                relationship="met",
                date="2024-01-02T10:00:00",
            ),
            _e("p-3", "Person", name="Foreign Friend"),
        ],
    )
    report = ingest(store, path, registry=sources[1], source="aleph-occrp")
    assert (report.accepted, report.rejected, report.skipped) == (3, 0, 0), report.problems
    entity = get_entity(store, "ocrteh:PER-0009")
    assert entity.properties == {"name": ["X"], "gender": ["unknown"]}
    (record,) = entity.records
    assert (record.provenance.source, record.provenance.record) == ("analyst-fr", "NOTE-1")
    assert record.handling.caveats == ("HUMINT",)
    met = get_link(store, "met:9")
    assert (met.type, met.source_id, met.target_id) == ("MET", "ocrteh:PER-0009", "p-3")
    assert met.properties == {"date": "2024-01-02T10:00:00Z"}
    assert met.handling.classification == "SECRET"
    assert met.provenance.method == "analyst"
    assert human_marking(RECORD["handling"]) == "SECRET // REL FR, BE // HUMINT // H1"


def test_a_marking_is_validated_like_any_record(store: GraphStore, tmp_path: Path) -> None:
    bad = {**RECORD, "handling": {**RECORD["handling"], "code": "H9"}}
    path = write_jsonl(
        tmp_path / "bad.ftm",
        [
            _marked("p-1", "Person", bad, name="X"),
            _marked("p-2", "Person", RECORD, name="Y"),
            {"id": "p-3", "schema": "Person", "properties": {"summary": ["A — graphsvc:{oops"]}},
        ],
    )
    report = ingest(store, path)
    assert (report.accepted, report.rejected) == (1, 2)
    assert only_problem(report, path, 1).field == "handling.code"
    assert "not valid JSON" in only_problem(report, path, 3).reason


def test_merged_fragments_cannot_tell_records_apart_and_are_refused(
    store: GraphStore, tmp_path: Path
) -> None:
    other = {**RECORD, "provenance": {"source": "analyst-fr", "record": "NOTE-2"}}
    merged = _e("p-1", "Person", name=["X", "Y"])
    merged["properties"]["summary"] = [marking_text(RECORD), marking_text(other)]
    path = write_jsonl(tmp_path / "aggregated.ftm", [merged])
    report = ingest(store, path)
    problem = only_problem(report, path, 1)
    assert problem.field == "summary" and "merged" in problem.reason
    assert store.totals().records == 0


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (_e("u-1", "UnknownLink", subject="a", object="b", role="partner"), "properties.role",
         "names a graphsvc link type"),
        (_e("u-2", "UserAccount", username="ivan"), "properties", "cannot tell"),
        (_e("pay-9", "Payment", payer="a", amount="1"), "properties.beneficiaryAccount",
         "names no to end"),
        (_e("pay-8", "Payment", payer=["a", "b"], beneficiary="c"), "properties.payer",
         "one entity at each end"),
        (_e("acct-9", "BankAccount", bankName="BNP"), "properties.iban",
         "identified by its iban"),
        ({"schema": "Person"}, "id", "needs an id"),
        (["not", "an", "object"], None, "expected an FtM entity"),
    ],
)  # fmt: skip
def test_lines_that_cannot_be_read_say_why(
    store: GraphStore,
    tmp_path: Path,
    sources: tuple[Path, SourceRegistry],
    line: Any,
    field: str | None,
    words: str,
) -> None:
    raw = json.dumps(line) if isinstance(line, list) else line
    path = write_jsonl(tmp_path / "x.ftm", [raw, _e("ok", "Person", name="Fine")])
    report = ingest(store, path, registry=sources[1], source="aleph-occrp")
    assert (report.accepted, report.rejected) == (1, 1), report.problems
    problem = only_problem(report, path, 1)
    assert (problem.field, words in problem.reason) == (field, True), problem


def test_ftm_files_in_a_manifest(
    store: GraphStore, tmp_path: Path, aleph: Path, sources: tuple[Path, SourceRegistry]
) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        f"sources: {sources[0].name}\nfiles:\n  - {{path: {aleph.name}, source: aleph-occrp}}\n",
        encoding="utf-8",
    )
    report = ingest(store, manifest)
    assert (report.accepted, report.rejected) == (13, 2)
    assert get_link(store, "pay-1").provenance.source == "aleph-occrp"


def test_the_command_ingests_an_ftm_file_with_a_source(
    tmp_path: Path,
    schema: Schema,
    aleph: Path,
    sources: tuple[Path, SourceRegistry],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "cli.db"
    args = ["--store", str(db), "ingest", str(aleph), "--quiet"]
    args += ["--source", "aleph-occrp", "--sources", str(sources[0])]
    assert main(args) == 1  # two lines rejected
    out, err = capsys.readouterr()
    assert "accepted 13, rejected 2" in out
    assert f"{aleph}:6: schema: FtM schema 'Vessel' is not supported" in err
    assert f"{aleph}:7: not valid JSON" in err
    assert main(args) == 1
    assert "accepted 13, rejected 2" in capsys.readouterr().out
    with EmbeddedStore(db, schema) as store:
        assert store.totals().links == 7
        assert get_entity(store, "8e3f1a").records[0].provenance.source == "aleph-occrp"
