"""Language detection: a small labelled set of the languages European cases meet, and the
cases where no answer is the right answer."""

from __future__ import annotations

import pytest

from graphsvc.ingest.documents.language import (
    LANGUAGES,
    MIN_PROBABILITY,
    detect_language,
    language_scores,
)

LABELLED = [
    ("fr", "Le suspect a été interpellé à Lyon le 3 mars en possession de deux téléphones."),
    ("fr", "Rendez-vous demain à la gare du Nord, viens seul."),
    ("fr", "Virement de 5 000 euros vers le compte FR76 3000 6000 0112 3456 7890 189."),
    ("fr", "Mme MARCHAND Élodie déclare avoir reçu un appel anonyme vers 22 h 15."),
    ("en", "The suspect was arrested in London on Tuesday with three accomplices."),
    ("en", "Call me tonight at +44 7700 900123, not before."),
    ("en", "Transfer of 5000 euros to account GB29NWBK60161331926819 was refused."),
    ("en", "Detective Sergeant Hill interviewed the witness at the station."),
    ("ro", "Suspectul a fost arestat la București pe 3 martie împreună cu doi complici."),
    ("ro", "Ne vedem mâine la gară, vino singur și nu spune nimănui."),
    ("ro", "Transferul de 5000 de euro a fost efectuat din contul firmei din Iași."),
    ("nl", "De verdachte werd gisteren in Amsterdam aangehouden door de politie."),
    ("de", "Der Verdächtige wurde gestern in Berlin von der Polizei festgenommen."),
    ("es", "El sospechoso fue detenido ayer en Madrid junto con dos cómplices."),
    ("it", "Il sospettato è stato arrestato ieri a Milano insieme a due complici."),
    ("pt", "O suspeito foi detido ontem em Lisboa juntamente com dois cúmplices."),
    ("pl", "Podejrzany został zatrzymany wczoraj w Warszawie razem z dwoma wspólnikami."),
]


@pytest.mark.parametrize(("language", "text"), LABELLED)
def test_labelled_sentences(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello",
        "OK merci",
        "06 12 34 56 78 / 07700 900123 / 2024-03-12",  # no letters to speak of
        "Jean Dupont, Ana Pop",  # names only: fewer than 20 letters
        "xq zvrk plmn qwty bvcx hjkl wrtz",  # OCR noise
    ],
)
def test_too_short_or_undetermined_is_none(text: str) -> None:
    assert detect_language(text) is None


def test_scores_are_probabilities_over_the_restricted_set() -> None:
    scores = language_scores(LABELLED[0][1])
    assert {language for language, _ in scores} == set(LANGUAGES)
    assert scores[0][0] == "fr"
    assert scores[0][1] >= MIN_PROBABILITY
    assert abs(sum(score for _, score in scores) - 1) < 1e-3


def test_the_set_holds_the_languages_of_the_issue() -> None:
    assert {"fr", "en", "ro", "nl", "de", "es", "it", "pt", "pl"} <= set(LANGUAGES)


def test_a_long_document_is_classified_on_a_bounded_sample() -> None:
    text = LABELLED[4][1] + " " + " ".join(["Le suspect a été vu à Lyon."] * 5000)
    assert detect_language(text) == "fr"
