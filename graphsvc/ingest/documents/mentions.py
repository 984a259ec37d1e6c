"""A mention: one span of a document's text that names something the graph can hold.

Finders (selectors, names, dates) return ``Mention`` s; the span always slices the document's
text to exactly the words found (``text == source[start:end]``), and ``value`` is the
normalised form the graph keys on (an E.164 number, a compact IBAN, an ISO date, a name as
written).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

# kinds of mention, and the entity type each becomes (dates become no entity: they date links)
SELECTOR_KINDS: dict[str, str] = {
    "phone": "Phone",
    "email": "Email",
    "iban": "BankAccount",
    "bic": "BankAccount",  # a BIC alone names a bank, not an account: kept as a property
    "ip": "IpAddress",
    "crypto": "CryptoWallet",
    "plate": "Vehicle",
    "iddoc": "IdentityDocument",
}
NAME_KINDS: dict[str, str] = {
    "person": "Person",
    "organization": "Organization",
    "location": "Location",
}
KINDS: tuple[str, ...] = (*SELECTOR_KINDS, *NAME_KINDS, "date")
# what co-mention links are drawn within
Context = Literal["sentence", "paragraph"]
CONTEXTS: tuple[Context, ...] = get_args(Context)


@dataclass(frozen=True, slots=True)
class Mention:
    kind: str  # one of KINDS
    start: int  # character offsets into the document's text: [start, end)
    end: int
    text: str  # the document's text[start:end], exactly
    value: str  # normalised: selector value, ISO date, or the name as written
    confidence: float  # 0..1: how sure the finder is that this is a real mention of its kind
    extractor: (
        str  # "<finder>/<version>", e.g. "graphsvc.selectors/1" or "spacy:fr_core_news_sm/3.8.0"
    )
    detail: str | None = None  # e.g. the crypto currency ("BTC"), the document kind ("passport")

    def overlaps(self, other: Mention) -> bool:
        return self.start < other.end and other.start < self.end


def disjoint(ranked: Iterable[Mention]) -> list[Mention]:
    """The mentions that overlap none ranked before them (``ranked`` is best first), in text
    order."""
    starts: list[int] = []  # accepted spans, kept sorted and disjoint
    ends: list[int] = []
    kept: list[Mention] = []
    for m in ranked:
        index = bisect.bisect_left(starts, m.start)
        if index > 0 and ends[index - 1] > m.start:
            continue
        if index < len(starts) and starts[index] < m.end:
            continue
        starts.insert(index, m.start)
        ends.insert(index, m.end)
        kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end))
