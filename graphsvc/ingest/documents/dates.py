"""Calendar dates in free text, as ISO ``YYYY-MM-DD`` with exact spans: they date the links a
document's mentions make.

Full dates only (day, month and year); what is found:

- month names in French, English and Romanian, full or abbreviated (``mars``, ``févr.``,
  ``March``, ``Sept.``, ``martie``): ``12 mars 2024``, ``1er avril 2023``, ``12 March 2024``,
  ``12th of March 2024``, ``March 12, 2024``, ``Mar. 12th 2024``, ``12 martie 2024``; the span
  starts at the day (or the month), so ``le 3 avril 2024`` gives ``3 avril 2024``;
- numeric dates: ``dd/mm/yyyy``, ``dd.mm.yyyy``, ``dd-mm-yyyy``, ``yyyy-mm-dd`` (also inside an
  ISO date-time, whose date part is the span) and ``yyyy/mm/dd``.

**Day or month first** (the rule): numeric dates are day-first, as written in France, Belgium,
Romania and the United Kingdom. A slash date whose day-first reading is impossible because its
second number is above 12 (``03/25/2024``) is read US-style, month first; in an English
document (``language == "en"``) that is confident, elsewhere it is reported with lower
confidence. A slash date in an English document whose numbers could be either (``03/04/2024``)
keeps the day-first reading, with lower confidence. Dates with dots or dashes are always
day-first. Impossible dates (``31/02/2024``) and years outside ``MIN_YEAR``-``MAX_YEAR`` are not
dates.

A number that runs on into digits or further separators (``01.02.2024.5``, a phone number
``06.12.34.56.78``, an IBAN) is not read as a date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from graphsvc.ingest.documents.mentions import Mention

DATE_EXTRACTOR = "graphsvc.dates/1"
CONFIDENCE: dict[str, float] = {
    "full": 0.95,  # a full date, read one way only
    "ambiguous": 0.8,  # a slash date read by the rule where the other reading was possible
}
MIN_YEAR = 1800
MAX_YEAR = 2199

# month number -> names and abbreviations (lower case, accents optional where writers drop them)
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("janvier", "janv", "january", "jan", "ianuarie", "ian"),
    2: ("février", "fevrier", "févr", "fevr", "fév", "fev", "february", "feb", "februarie"),
    3: ("mars", "march", "mar", "martie"),
    4: ("avril", "avr", "april", "apr", "aprilie"),
    5: ("mai", "may"),
    6: ("juin", "june", "jun", "iunie"),
    7: ("juillet", "juil", "july", "jul", "iulie"),
    8: ("août", "aout", "august", "aug"),
    9: ("septembre", "sept", "september", "sep", "septembrie"),
    10: ("octobre", "october", "oct", "octombrie"),
    11: ("novembre", "november", "nov", "noiembrie", "noi"),
    12: ("décembre", "decembre", "déc", "dec", "december", "decembrie"),
}
_MONTHS: dict[str, int] = {name: n for n, names in _MONTH_NAMES.items() for name in names}
_MONTH = "|".join(sorted((re.escape(name) for name in _MONTHS), key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d|premier)(?:er|re|st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"

_DAY_MONTH_YEAR = re.compile(
    rf"(?<![\w.,/-]){_DAY}(?:\s+(?:of|de))?\s+(?P<month>{_MONTH})\.?,?\s+{_YEAR}(?![\w])",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![\w])(?P<month>{_MONTH})\.?\s+{_DAY},?\s+{_YEAR}(?![\w])",
    re.IGNORECASE,
)
# numbers that run on into other digits or separators are not dates (phones, references); an
# ISO date may go on into its time (2024-03-12T10:00:00Z)
_BEFORE = r"(?<![\w.,/-])"
_AFTER = r"(?![^\WT]|T(?!\d{2}:\d{2})|[./-]\d|,\d)"
_DAY_FIRST = re.compile(
    rf"{_BEFORE}(?P<first>[0-3]?\d)(?P<sep>[/.-])(?P<second>[0-3]?\d)(?P=sep){_YEAR}{_AFTER}"
)
_YEAR_FIRST = re.compile(
    rf"{_BEFORE}{_YEAR}(?P<sep>[/-])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d){_AFTER}"
)


def find_dates(text: str, language: str | None = None) -> list[Mention]:
    """The full dates ``text`` mentions, sorted by start, none overlapping another.

    ``language`` (ISO 639-1, ``fr``/``en``/``ro``...) decides how sure a slash date is (see the
    module's rule); month names of every supported language are read whatever it is.
    """
    found = [*_named(text), *_numeric(text, (language or "").lower())]
    found.sort(key=lambda m: (m.start, m.start - m.end))
    kept: list[Mention] = []
    for mention in found:
        if kept and kept[-1].end > mention.start:
            continue
        kept.append(mention)
    return kept


def _mention(text: str, start: int, end: int, day: date, confidence: float) -> Mention:
    return Mention(
        kind="date",
        start=start,
        end=end,
        text=text[start:end],
        value=day.isoformat(),
        confidence=confidence,
        extractor=DATE_EXTRACTOR,
    )


def _calendar(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _named(text: str) -> Iterator[Mention]:
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(text):
            raw_day = match["day"].lower()
            day = 1 if raw_day == "premier" else int(raw_day)
            month = _MONTHS[match["month"].lower()]
            found = _calendar(int(match["year"]), month, day)
            if found is not None:
                yield _mention(text, match.start(), match.end(), found, CONFIDENCE["full"])


def _numeric(text: str, language: str) -> Iterator[Mention]:
    for match in _DAY_FIRST.finditer(text):
        first, second, year = int(match["first"]), int(match["second"]), int(match["year"])
        confidence = CONFIDENCE["full"]
        found = _calendar(year, second, first)
        if match["sep"] == "/":
            if found is None and second > 12 and first <= 12:
                # the only possible reading is month first (US style)
                found = _calendar(year, first, second)
                confidence = CONFIDENCE["full" if language == "en" else "ambiguous"]
            elif found is not None and language == "en" and first <= 12 and first != second:
                confidence = CONFIDENCE["ambiguous"]
        if found is not None:
            yield _mention(text, match.start(), match.end(), found, confidence)
    for match in _YEAR_FIRST.finditer(text):
        found = _calendar(int(match["year"]), int(match["month"]), int(match["day"]))
        if found is not None:
            yield _mention(text, match.start(), match.end(), found, CONFIDENCE["full"])
