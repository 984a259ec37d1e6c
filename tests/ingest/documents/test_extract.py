"""What one text says: mentions grouped into the things they name, birth dates, BICs of
accounts, co-mentions per sentence or paragraph; on hand-written texts and on every labelled
report of the seed case (spans slice the text exactly)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from graphsvc.ingest.documents.extract import Extraction, Extractor
from graphsvc.ingest.documents.read import read_document

REPORTS = Path(__file__).resolve().parents[3] / "seed" / "reports"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def things(extraction: Extraction) -> dict[str, tuple[str, ...]]:
    """Key -> the written forms of its mentions."""
    return {n.key: tuple(m.text for m in n.mentions) for n in extraction.named}


def pairs(extraction: Extraction) -> set[tuple[str, str]]:
    return {(c.a, c.b) for c in extraction.comentions}


def test_a_person_is_one_thing_however_written(extractor: Extractor) -> None:
    text = (
        "Je me nomme MARCHAND Élodie, née le 23/09/1984 à Créteil. "
        "Mme MARCHAND nous remet un relevé. Signé : É. Marchand."
    )
    x = extractor.extract(text, "fr", "FR")
    persons = [n for n in x.named if n.kind == "person"]
    assert len(persons) == 1, persons
    (person,) = persons
    assert person.value == "MARCHAND Élodie"
    assert person.birth_date == "1984-09-23"
    assert {m.text for m in person.mentions} >= {"MARCHAND Élodie", "MARCHAND"}
    # the birth date dates no link: it is the person's
    assert x.first_date() is None


def test_an_acronym_joins_its_expansion(extractor: Extractor) -> None:
    text = (
        "The National Crime Agency shared the report with Europol. "
        "The NCA liaison officer confirmed it."
    )
    x = extractor.extract(text, "en", "GB")
    organizations = {n.value: n for n in x.named if n.kind == "organization"}
    assert "National Crime Agency" in organizations
    assert "NCA" in [m.text for m in organizations["National Crime Agency"].mentions]
    assert "NCA" not in organizations


def test_a_bic_beside_an_iban_is_the_accounts(extractor: Extractor) -> None:
    text = (
        "Mon compte est chez Qonto, IBAN FR76 1695 8000 0169 3821 5485 652, BIC QNTOFRP1.\n\n"
        "Le virement est parti de la BNP (BIC BNPAFRPP)."
    )
    x = extractor.extract(text, "fr", "FR")
    (account,) = [n for n in x.named if n.kind == "iban"]
    assert (account.value, account.bic) == ("FR7616958000016938215485652", "QNTOFRP1")
    assert not [n for n in x.named if n.kind == "bic"]  # a BIC names a bank, not a thing here
    assert {m.value for m in x.mentions if m.kind == "bic"} == {"QNTOFRP1", "BNPAFRPP"}


def test_comentions_per_sentence_and_per_paragraph(extractor: Extractor) -> None:
    text = (
        "RUSU uses the phone +40 744 381 920 since 13.09.2023. "
        "The e-mail address mihaela.rusu897@example.com is hers.\n"
        "Main suspect: Mihaela RUSU.\n"
    )
    person, phone = "person:mihaela rusu", "phone:+40744381920"
    email = "email:mihaela.rusu897@example.com"
    by_sentence = extractor.extract(text, "en", None)
    assert things(by_sentence)[person] == ("RUSU", "Mihaela RUSU")  # the surname alone too
    # "is hers" names nobody: the e-mail address shares no sentence with a name
    assert [(c.a, c.b, c.date) for c in by_sentence.comentions] == [(person, phone, "2023-09-13")]
    by_paragraph = extractor.extract(text, "en", None, "paragraph")
    assert pairs(by_paragraph) == {(email, person), (email, phone), (person, phone)}
    assert {c.context for c in by_paragraph.comentions} == {"paragraph"}
    sentence_pair = by_sentence.comentions[0]
    paragraph_pair = next(c for c in by_paragraph.comentions if (c.a, c.b) == (person, phone))
    assert paragraph_pair.confidence == pytest.approx(sentence_pair.confidence * 0.8)


def test_a_phone_in_the_source_country_is_the_call_records_phone(extractor: Extractor) -> None:
    x = extractor.extract("Sa ligne : 06 34 71 25 98.", "fr", "FR")
    assert [n.key for n in x.named] == ["phone:+33634712598"]
    assert extractor.extract("Sa ligne : 06 34 71 25 98.", "fr", None).named == []


def _labelled_texts() -> list[tuple[str, str, str | None, str | None]]:
    labels = yaml.safe_load((REPORTS / "labels.yaml").read_text(encoding="utf-8"))
    sources = yaml.safe_load((REPORTS / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    out = []
    read: dict[str, list] = {}  # type: ignore[type-arg]
    for doc in labels["documents"]:
        file, _, attachment = doc["file"].partition("#")
        if file.endswith((".png", ".pdf")) or attachment.endswith(".png"):
            continue  # OCR: read in the ingestion tests
        path = REPORTS / file
        read.setdefault(file, read_document(path))
        wanted = f"{path}#{attachment}" if attachment else str(path)
        (document,) = [d for d in read[file] if d.path == wanted]
        out.append(
            (doc["file"], document.text, document.language, sources[doc["source"]].get("country"))
        )
    return out


@pytest.mark.parametrize(("name", "text", "language", "region"), _labelled_texts())
def test_every_span_slices_the_text_and_every_pair_shares_a_sentence(
    extractor: Extractor, name: str, text: str, language: str | None, region: str | None
) -> None:
    x = extractor.extract(text, language, region)
    assert x.mentions, name
    for m in x.mentions:
        assert text[m.start : m.end] == m.text
        assert 0 < m.confidence <= 1 and "/" in m.extractor
    spans = sorted((m.start, m.end) for m in x.mentions)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, "mentions overlap"
    for c in x.comentions:
        a, b = c.span
        for m in (c.mention_a, c.mention_b):
            assert a <= m.start and m.end <= b
        assert c.a < c.b
