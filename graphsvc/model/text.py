"""Small text helpers shared by every layer: accent/case folding and "did you mean" hints."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, the way the name index tokenizes it."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def tokens(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


def collapse_spaces(text: str) -> str:
    """Trim and collapse runs of white space to one space."""
    return _SPACES.sub(" ", text).strip()


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` — did you mean X?`` when an option is close to ``word``, else an empty string."""
    choices = list(options)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" — did you mean {close[0]}?" if close else ""


def one_of(options: Iterable[str]) -> str:
    """``A, B or C`` for messages."""
    items = list(options)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
