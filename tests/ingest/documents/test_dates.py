"""Dates in free text: French, English and Romanian month names, numeric dates day-first
(US-style only where nothing else is possible), impossible dates refused, exact spans, and no
dates read inside phone numbers, IBANs or references."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.ingest.documents.dates import DATE_EXTRACTOR, find_dates
from graphsvc.ingest.documents.mentions import Mention


def found(text: str, language: str | None = "fr") -> list[Mention]:
    """``find_dates``, with what every answer must hold checked on the way."""
    mentions = find_dates(text, language)
    for m in mentions:
        assert text[m.start : m.end] == m.text, m
        assert (m.kind, m.extractor, m.detail) == ("date", DATE_EXTRACTOR, None)
        assert len(m.value) == 10 and m.value[4] == m.value[7] == "-"
    for left, right in itertools.pairwise(mentions):
        assert left.end <= right.start, (left, right)
    return mentions


def dates(text: str, language: str | None = "fr") -> list[tuple[str, str]]:
    return [(m.text, m.value) for m in found(text, language)]


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("Les faits du 12 mars 2024 à Lyon.", "12 mars 2024", "2024-03-12"),
        ("le 1er avril 2023,", "1er avril 2023", "2023-04-01"),
        ("le premier mai 2021", "premier mai 2021", "2021-05-01"),
        ("né le 5 août 1980 à Iași", "5 août 1980", "1980-08-05"),
        ("le 5 aout 1980", "5 aout 1980", "1980-08-05"),
        ("lundi 3 févr. 2025", "3 févr. 2025", "2025-02-03"),
        ("LE 14 JUILLET 2022", "14 JUILLET 2022", "2022-07-14"),
        ("le 31 décembre 1999", "31 décembre 1999", "1999-12-31"),
        ("On March 12, 2024 the police", "March 12, 2024", "2024-03-12"),
        ("on 12 March 2024.", "12 March 2024", "2024-03-12"),
        ("the 12th of March 2024", "12th of March 2024", "2024-03-12"),
        ("on Sept. 3rd 2021", "Sept. 3rd 2021", "2021-09-03"),
        ("on 21st December, 2020", "21st December, 2020", "2020-12-21"),
        ("la data de 12 martie 2024", "12 martie 2024", "2024-03-12"),
        ("pe 1 decembrie 2018", "1 decembrie 2018", "2018-12-01"),
    ],
)
def test_dates_with_month_names(text: str, written: str, value: str) -> None:
    assert dates(text) == [(written, value)]
    assert found(text)[0].confidence == 0.95


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("le 03/04/2024 à 10h45", "03/04/2024", "2024-04-03"),  # day first
        ("le 3/4/2024", "3/4/2024", "2024-04-03"),
        ("le 15.04.2024", "15.04.2024", "2024-04-15"),
        ("le 15-04-2024", "15-04-2024", "2024-04-15"),
        ("au 2024-03-12", "2024-03-12", "2024-03-12"),
        ("à 2024-03-12T10:00:00Z", "2024-03-12", "2024-03-12"),
        ("au 2024/03/12.", "2024/03/12", "2024-03-12"),
        ("le 29/02/2024", "29/02/2024", "2024-02-29"),
    ],
)
def test_numeric_dates(text: str, written: str, value: str) -> None:
    assert dates(text) == [(written, value)]


@pytest.mark.parametrize(
    "text",
    [
        "le 31/02/2024",  # no 31 February
        "le 29/02/2023",  # not a leap year
        "le 13/13/2024",
        "le 00/01/2024",
        "le 32 mars 2024",
        "le 31 avril 2024",
        "le 15.13.2024",
        "le 2024-02-30",
        "le 12/03/0024",  # out of range years
        "le 12/03/3024",
        "le 12 mars",  # no year: not a full date
        "mars 2024",
    ],
)
def test_impossible_and_partial_dates_are_not_dates(text: str) -> None:
    assert dates(text) == []


def test_slash_dates_are_day_first_unless_only_month_first_is_possible() -> None:
    # 03/04: day first everywhere, less sure in English where 4 March was possible
    (fr,) = found("le 03/04/2024", "fr")
    (en,) = found("on 03/04/2024", "en")
    assert (fr.value, fr.confidence) == ("2024-04-03", 0.95)
    assert (en.value, en.confidence) == ("2024-04-03", 0.8)
    # 03/25: only month first is possible; sure in English, less elsewhere
    (us,) = found("on 03/25/2024", "en")
    (odd,) = found("le 03/25/2024", "fr")
    assert (us.value, us.confidence) == ("2024-03-25", 0.95)
    assert (odd.value, odd.confidence) == ("2024-03-25", 0.8)
    # 25/03 and 04/04 have one reading
    assert [(m.value, m.confidence) for m in found("on 25/03/2024 and 04/04/2024", "en")] == [
        ("2024-03-25", 0.95),
        ("2024-04-04", 0.95),
    ]
    # dots and dashes are day first only
    assert dates("le 03.25.2024", "en") == []
    assert dates("le 03-25-2024", "en") == []


@pytest.mark.parametrize(
    "text",
    [
        "tél. 06.12.34.56.78",
        "tél. 01/02/2024/5",  # runs on
        "réf. 01.02.2024.5",
        "PV 2024-03-15-001",
        "version 1.12.2024.3",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "IP 10.12.20.24",
        "montant 1 500,00 EUR, 12,03,2024",
        "à 14:30 puis 10h45",
        "code postal 75011, SIRET 123 456 789 00012",
        "ref 12/03/20245",
    ],
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert dates(text) == []


def test_a_french_report_paragraph() -> None:
    text = (
        "Le 12 mars 2024 à 14h30, M. POPESCU (né le 5 août 1980) a déclaré avoir rencontré "
        "son contact le 03/04/2024, puis le 1er avril 2023 selon une autre version, et avoir "
        "reçu 1 500,00 EUR le 15.04.2024 sur le compte FR76 3000 6000 0112 3456 7890 189. "
        "Tél. 06 12 34 56 78. Dossier 2024/118."
    )
    assert dates(text) == [
        ("12 mars 2024", "2024-03-12"),
        ("5 août 1980", "1980-08-05"),
        ("03/04/2024", "2024-04-03"),
        ("1er avril 2023", "2023-04-01"),
        ("15.04.2024", "2024-04-15"),
    ]


def test_the_language_may_be_unknown() -> None:
    assert dates("le 12 mars 2024 / 12 March 2024", None) == [
        ("12 mars 2024", "2024-03-12"),
        ("12 March 2024", "2024-03-12"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["12 mars 2024", "March 12, 2024", "03/04/2024", "2024-03-12", "1er", "mars"]
            ),
            st.text(max_size=10),
        ),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(["", " ", "/", ".", "-", ", "]),
    st.sampled_from(["fr", "en", None]),
)
def test_every_span_slices_to_its_text(parts: list[str], glue: str, language: str | None) -> None:
    found(glue.join(parts), language)
