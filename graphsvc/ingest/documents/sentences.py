"""Sentences and paragraphs of a document's text: the contexts co-mention links are drawn in.

Police prose is not only sentences: forms, tables, headers, list items and signature blocks
say one thing per line. The rule, written for these documents (and the one the labelled
reports in ``seed/reports`` were labelled by):

- a **paragraph** is a run of non-blank lines; a blank line ends it, and ends any sentence;
- inside a paragraph, each line is one of:

  - a *heading* (Markdown ``# ...``) or a *table row* (starting with ``|``, or holding two
    ``|``): a sentence of its own;
  - a *rule* (``---``, ``===``, ``***``): nothing, and it ends the sentence before it;
  - a *start*: a list item (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, ``a)``) or a short
    label and its value (``Date: 15/10/2024``, ``Procédure : 2024/00451``, ``**Réponse** :``):
    it begins a new sentence;
  - *text*: it continues the sentence of the line above when that line was wrapped (at least
    ``WRAP_MIN`` characters long: hard-wrapped prose), and begins a new one otherwise (the
    short lines of an address, a signature or a form);

- a sentence is then split after ``.``, ``!``, ``?`` or ``…`` (and any closing quote or
  bracket) followed by white space and a capital letter, or by the end of the line, except
  after an abbreviation (``M.``, ``Mme.``, ``Tél.``, ``Dr.``, ``no.``...; ``ABBREVIATIONS``),
  an initial (``J.``) or the number of a list item (``1.``).

Spans are ``[start, end)`` offsets into the text, trimmed of surrounding white space; every
non-blank character of the text is in exactly one sentence and one paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WRAP_MIN = 50  # a line at least this long that goes on in the next line was hard-wrapped
LABEL_MAX = 40  # the longest label of a "Label: value" line

ABBREVIATIONS = frozenset(
    {
        # titles and ranks
        "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "dr", "pr", "mr", "mrs", "ms", "st",
        "ste", "sr", "jr", "cne", "cdt", "lt", "col", "gal", "gen", "insp", "det", "sgt",
        "supt", "ch", "dl", "dna",
        # references and addresses
        "tél", "tel", "fax", "no", "nos", "nr", "num", "réf", "ref", "art", "al", "cf", "p",
        "pp", "vol", "av", "bd", "bld", "pl", "sq", "rd", "str", "ave",
        # others a sentence rarely ends with
        "env", "approx", "vs", "ex", "resp", "inc", "ltd", "co", "corp", "dept", "min",
    }
)  # fmt: skip

_LINES = re.compile(r"[^\n]*\n?")
_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s|$)")
_RULE = re.compile(r"\s{0,3}(?:[-=*_]\s*){3,}")
_LIST_ITEM = re.compile(r"\s*(?:[-*+•·–—]\s+|\(?(?:\d{1,3}|[a-zA-Z])[.)]\s+)")
_LABEL = re.compile(
    rf"\s*(?:\*\*|__)?[^\W\d_][^:\n|]{{0,{LABEL_MAX}}}?(?:\*\*|__)?\s?:(?:\s|$)",
)
_END = re.compile(r"[.!?…]+[\"'»”’)\]]*")
_OPENERS = "\"'«“‘([*_"
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\.?$")


@dataclass(frozen=True, slots=True)
class Segments:
    """The sentences and paragraphs of one text, in order."""

    sentences: list[tuple[int, int]]
    paragraphs: list[tuple[int, int]]


def segment(text: str) -> Segments:
    """Split ``text`` into sentences and paragraphs by the module's rule."""
    sentences: list[tuple[int, int]] = []
    paragraphs: list[tuple[int, int]] = []
    paragraph: tuple[int, int] | None = None
    current: tuple[int, int] | None = None  # the open sentence block
    wrapped = False  # the line before was long enough to go on in this one

    def close() -> None:
        nonlocal current
        if current is not None:
            sentences.extend(_split(text, *current))
            current = None

    for match in _LINES.finditer(text):
        start = match.start()
        line = match.group().rstrip("\n")
        if not match.group():
            break
        end = start + len(line)
        if not line.strip():
            close()
            if paragraph is not None:
                paragraphs.append(paragraph)
                paragraph = None
            wrapped = False
            continue
        paragraph = (paragraph[0] if paragraph else start, end)
        kind = _line_kind(line)
        if kind == "rule":
            close()
            wrapped = False
            continue
        if kind == "single":
            close()
            sentences.extend(_trimmed(text, start, end))
            wrapped = False
            continue
        if kind == "start" or current is None or not wrapped:
            close()
            current = (start, end)
        else:
            current = (current[0], end)
        wrapped = len(line.strip()) >= WRAP_MIN
    close()
    if paragraph is not None:
        paragraphs.append(paragraph)
    return Segments(
        sentences=[s for s in sentences if s[0] < s[1]],
        paragraphs=[p for span in paragraphs for p in _trimmed(text, *span)],
    )


def _line_kind(line: str) -> str:
    if _HEADING.match(line) or line.lstrip().startswith("|") or line.count("|") >= 2:
        return "single"
    if _RULE.fullmatch(line):
        return "rule"
    if _LIST_ITEM.match(line) or _LABEL.match(line):
        return "start"
    return "text"


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` split at sentence ends."""
    out: list[tuple[int, int]] = []
    begin = start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        after = text[stop:end]
        rest = after.lstrip(" \t")
        if rest and not after[:1].isspace():
            continue  # "3.5", "example.com", "1.800": no space after the stop
        newline = not rest or rest.startswith("\n")
        following = rest.lstrip()
        if not newline:
            head = following.lstrip(_OPENERS)
            if not head or not head[0].isupper():
                continue
        single_stop = match.group().rstrip("\"'»”’)]") == "."
        if single_stop and _not_an_end(text, begin, match.start()):
            continue
        out.extend(_trimmed(text, begin, stop))
        begin = stop
    out.extend(_trimmed(text, begin, end))
    return out


def _not_an_end(text: str, begin: int, dot: int) -> bool:
    """Whether the full stop at ``dot`` ends an abbreviation, an initial or a list number."""
    before = text[begin:dot]
    word = _WORD_BEFORE.search(before)
    if word is not None:
        token = word.group(1)
        preceding = before[: word.start()]
        if preceding and not (preceding[-1].isspace() or preceding[-1] in "(«\"'-–—/"):
            return False  # the end of a longer token ("e-mail.", "x.example.")
        if len(token) == 1 and token.isupper():
            return True  # an initial: "J. Ferrand"
        return token.lower() in ABBREVIATIONS
    stripped = before.strip()
    return stripped.isdigit() and len(stripped) <= 3  # a list number: "1."


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []
