"""The extraction evaluation counts what it should: a small labelled set written here, with
known hits, misses and extra finds; malformed labels are refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graphsvc.errors import InvalidMapping
from graphsvc.ingest.documents.evaluate import Score, canonical, evaluate, table, totals
from graphsvc.model.schema import Schema

SOURCES = {
    "sources": {
        "pv": {
            "country": "FR",
            "handling": {"classification": "RESTRICTED", "code": "H2", "originator": "FR-OCRTEH"},
        }
    }
}
TEXT = (
    "Le 02/03/2024, Karim BELKACEM a appelé Julien FERRAND au 06 12 34 56 78.\n\n"
    "Le compte FR76 3000 6000 0112 3456 7890 189 est à Lyon.\n"
)


def write(tmp_path: Path, documents: list[dict[str, object]]) -> Path:
    (tmp_path / "note.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(SOURCES), encoding="utf-8")
    labels = tmp_path / "labels.yaml"
    labels.write_text(yaml.safe_dump({"documents": documents}, allow_unicode=True), "utf-8")
    return labels


def test_hits_misses_and_extra_finds_are_counted(tmp_path: Path, schema: Schema) -> None:
    labels = write(
        tmp_path,
        [
            {
                "file": "note.txt",
                "source": "pv",
                "language": "fr",
                "mentions": {
                    "phone": ["+33612345678", "+33699999999"],  # one found, one missed
                    "iban": [],  # the IBAN found is not labelled: one extra
                    "person": ["Karim Belkacem", "FERRAND Julien"],  # order and case ignored
                    "date": ["2024-03-02"],
                },
                "links": [
                    ["person:Julien Ferrand", "person:Karim Belkacem"],
                    ["person:Karim Belkacem", "phone:+33612345678"],
                    ["person:Julien Ferrand", "phone:+33612345678"],
                    ["person:Karim Belkacem", "phone:+33699999999"],  # never found
                ],
            }
        ],
    )
    result = evaluate(labels, schema)
    scores = result.scores
    assert (scores["phone"].tp, scores["phone"].fp, scores["phone"].fn) == (1, 0, 1)
    assert (scores["iban"].tp, scores["iban"].fp, scores["iban"].fn) == (0, 1, 0)
    assert (scores["person"].tp, scores["person"].fn) == (2, 0)
    assert (scores["date"].tp, scores["date"].fp) == (1, 0)
    assert (scores["links"].tp, scores["links"].fn) == (3, 1)
    assert scores["phone"].precision == 1.0 and scores["phone"].recall == 0.5
    assert scores["iban"].precision == 0.0 and scores["iban"].recall is None
    (doc,) = result.documents
    assert doc.missed["phone"] == ["+33699999999"]
    assert doc.spurious["iban"] == ["FR7630006000011234567890189"]
    assert (doc.language, doc.detected) == ("fr", "fr") and result.languages_right == 1
    lines = table(result.scores, ["phone", "iban"])
    assert lines[2] == "| phone | 2 | 1 | 1 | 1.000 | 0.500 | 0.667 |"
    assert lines[3] == "| iban | 0 | 1 | 0 | 0.000 | — | — |"
    assert table(totals(result.scores, {"selectors": ["phone", "iban"]}))[2] == (
        "| all selectors | 2 | 2 | 1 | 0.500 | 0.500 | 0.500 |"
    )


def test_names_compare_without_case_accents_order_or_legal_form() -> None:
    assert canonical("person", "MARCHAND Élodie") == canonical("person", "Elodie Marchand")
    assert canonical("organization", "Lys Holding SAS") == canonical(
        "organization", "LYS HOLDING S.A.S."
    )
    assert canonical("phone", "+33612345678") == "+33612345678"
    assert Score(tp=0, fp=0, fn=0).f1 is None


@pytest.mark.parametrize(
    ("documents", "field"),
    [
        ([{"source": "pv"}], "documents[0]"),
        ([{"file": "note.txt"}], "documents[0]"),
        ([{"file": "note.txt", "source": "pv", "mentions": {"car": []}}], "documents[0].mentions"),
        (
            [{"file": "note.txt", "source": "pv", "mentions": {"phone": "+33612345678"}}],
            "documents[0].mentions.phone",
        ),
        (
            [{"file": "note.txt", "source": "pv", "links": [["date:2024-03-02", "phone:1"]]}],
            "documents[0].links[0]",
        ),
        ([{"file": "note.txt", "source": "nope"}], "documents[0].source"),
        ([{"file": "note.txt#2:x.png", "source": "pv"}], "documents[0].file"),
    ],
)
def test_malformed_labels_are_refused_naming_the_field(
    tmp_path: Path, schema: Schema, documents: list[dict[str, object]], field: str
) -> None:
    with pytest.raises(InvalidMapping) as error:
        evaluate(write(tmp_path, documents), schema)
    assert error.value.field == field
    assert error.value.file == str(tmp_path / "labels.yaml")


HELDOUT = Path(__file__).resolve().parents[3] / "seed" / "reports" / "heldout" / "labels.yaml"


@pytest.mark.slow
def test_the_held_out_reports_keep_their_measured_quality(schema: Schema) -> None:
    """A floor under the figures of the README on the six reports written after the extraction
    rules (seed/reports/heldout): selectors near-perfect, names and links well above chance."""
    result = evaluate(HELDOUT, schema)
    kinds = ("phone", "email", "iban", "bic", "ip", "crypto", "plate", "iddoc")
    selectors = totals(result.scores, {"selectors": kinds})["all selectors"]
    assert (selectors.precision or 0) >= 0.98 and (selectors.recall or 0) >= 0.98
    assert (result.scores["person"].f1 or 0) >= 0.85
    assert (result.scores["links"].f1 or 0) >= 0.7
    assert result.languages_right == len(result.documents) == 6
