"""Sentences and paragraphs by the rule co-mentions are drawn with (and the reports labelled by)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from graphsvc.ingest.documents.sentences import segment


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in segment(text).sentences]


def test_prose_splits_at_a_stop_before_a_capital() -> None:
    text = "Il a vu Ștefan. Elle a vu Mihaela! Qui? Personne."
    assert sentences(text) == ["Il a vu Ștefan.", "Elle a vu Mihaela!", "Qui?", "Personne."]


def test_abbreviations_initials_and_numbers_do_not_end_a_sentence() -> None:
    text = (
        "M. Müller et Mme Girard ont vu Cne J. Ferrand. Tél. 06 12 34 56 78 pour le "
        "Dr. Benali. Le montant est de 3.5 M EUR, payé via example.com. Fin."
    )
    assert sentences(text) == [
        "M. Müller et Mme Girard ont vu Cne J. Ferrand.",
        "Tél. 06 12 34 56 78 pour le Dr. Benali.",
        "Le montant est de 3.5 M EUR, payé via example.com.",
        "Fin.",
    ]


def test_a_stop_before_lower_case_does_not_end_a_sentence() -> None:
    assert sentences("Il est parti vers 10 h. environ puis est revenu.") == [
        "Il est parti vers 10 h. environ puis est revenu."
    ]


def test_hard_wrapped_prose_is_one_sentence_across_lines() -> None:
    text = (
        "Le 14/05/2024 à 9h30, nous, Lieutenant de police Karim BELKACEM, officier de police\n"
        "judiciaire, prenons position face au salon. Un véhicule se présente ensuite devant\n"
        "la vitrine.\n"
    )
    assert sentences(text) == [
        text[: text.index("salon.") + 6],
        "Un véhicule se présente ensuite devant\nla vitrine.",
    ]


def test_headers_form_lines_list_items_and_table_rows_stand_alone() -> None:
    text = (
        "# PROCÈS-VERBAL\n"
        "Date: 15/10/2024\n"
        "Objet : surveillance\n"
        "| Selector | Context |\n"
        "|---|---|\n"
        "| +33 6 52 17 83 40 | used by Dragos NEAGU |\n"
        "1. DIICOT is investigating the recruitment of young women in Iasi and Galati for\n"
        "nail salons in France.\n"
        "2. Main suspect: RUSU Mihaela.\n"
        "- a list item\n"
        "Karim BELKACEM\n"
        "Lieutenant de police\n"
    )
    assert sentences(text) == [
        "# PROCÈS-VERBAL",
        "Date: 15/10/2024",
        "Objet : surveillance",
        "| Selector | Context |",
        "|---|---|",
        "| +33 6 52 17 83 40 | used by Dragos NEAGU |",
        "1. DIICOT is investigating the recruitment of young women in Iasi and Galati for\n"
        "nail salons in France.",
        "2. Main suspect: RUSU Mihaela.",
        "- a list item",
        "Karim BELKACEM",
        "Lieutenant de police",
    ]


def test_a_blank_line_ends_a_sentence_and_a_paragraph() -> None:
    text = "Première phrase sans point\n\nDeuxième paragraphe. Avec deux phrases.\n"
    segments = segment(text)
    assert [text[a:b] for a, b in segments.sentences] == [
        "Première phrase sans point",
        "Deuxième paragraphe.",
        "Avec deux phrases.",
    ]
    assert [text[a:b] for a, b in segments.paragraphs] == [
        "Première phrase sans point",
        "Deuxième paragraphe. Avec deux phrases.",
    ]


@given(st.text(alphabet=st.sampled_from("ab .!?\nM|#-1:É"), max_size=200))
def test_every_character_but_white_space_is_in_one_sentence_and_one_paragraph(text: str) -> None:
    segments = segment(text)
    for spans in (segments.sentences, segments.paragraphs):
        assert spans == sorted(spans)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start
        covered = {i for a, b in spans for i in range(a, b)}
        for i, char in enumerate(text):
            if not char.isspace():
                assert i in covered or _in_rule(text, i), (text, i)
        for a, b in spans:
            assert text[a:b] == text[a:b].strip() and a < b


def _in_rule(text: str, i: int) -> bool:
    """Whether position ``i`` is on a horizontal rule line (``---``), which is no sentence."""
    start = text.rfind("\n", 0, i) + 1
    end = text.find("\n", i)
    line = text[start : end if end >= 0 else len(text)]
    stripped = line.replace(" ", "")
    return len(stripped) >= 3 and len(set(stripped)) == 1 and stripped[0] in "-=*_"
