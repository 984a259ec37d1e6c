"""Name search for the embedded store: tolerant of accents, case and small misspellings.

Names live in an FTS5 index whose tokenizer folds case and accents. A query is folded the same
way and its words widened to the index's vocabulary by the rules of ``name_rules``;
candidates come from FTS5 restricted to visible records in the same SQL statement, and each
candidate name is scored against the whole query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from rapidfuzz import fuzz

from graphsvc.model.text import fold, tokens
from graphsvc.store.embedded.writer import json_list
from graphsvc.store.name_rules import CANDIDATES_MAX, MIN_SCORE, widen
from graphsvc.store.records import NAMES_PER_RECORD


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class NameSearch:
    def __init__(self) -> None:
        self._vocab: list[str] = []
        self._vocab_version = -1

    def vocabulary(self, conn: sqlite3.Connection, version: int) -> list[str]:
        if version != self._vocab_version:
            self._vocab = [row[0] for row in conn.execute("SELECT term FROM name_vocab")]
            self._vocab_version = version
        return self._vocab

    def match_expression(self, words: Sequence[str], vocab: list[str], conjunction: str) -> str:
        groups = []
        for match in widen(words, vocab):
            alternatives = [_quote(t) for t in sorted(match.terms)]
            if match.prefix:
                alternatives.append(_quote(match.word) + "*")
            groups.append("(" + " OR ".join(alternatives) + ")")
        return f" {conjunction} ".join(groups)

    def search(
        self,
        conn: sqlite3.Connection,
        version: int,
        text: str,
        visible: str,
        type_ids: Sequence[int] | None,
        limit: int,
    ) -> dict[int, tuple[float, str]]:
        """Best ``(score, matched name)`` per matching eid, unordered.

        ``limit`` only decides whether the looser OR query is needed; the caller ranks (by
        score, then entity id) and cuts.
        """
        words = tokens(text)
        if not words or limit <= 0:
            return {}
        query = fold(text)
        vocab = self.vocabulary(conn, version)
        best: dict[int, tuple[float, str]] = {}
        # any one word may match when the query has several, unless it is only numbers (a phone
        # number typed as a name must not find every address sharing a house number)
        loose = len(words) > 1 and not all(word.isdigit() for word in words)
        conjunctions = ["AND", "OR"] if loose else ["AND"]
        for conjunction in conjunctions:
            expression = self.match_expression(words, vocab, conjunction)
            sql = (
                "SELECT n.name, r.eid FROM name_index n"
                " JOIN erecords r ON r.rid = n.rowid / ?"
                " WHERE name_index MATCH ? AND r.hid IN (SELECT value FROM json_each(?))"
            )
            params: list[object] = [NAMES_PER_RECORD, expression, visible]
            if type_ids is not None:
                sql += (
                    " AND r.eid IN (SELECT eid FROM entities"
                    " WHERE tid IN (SELECT value FROM json_each(?)))"
                )
                params.append(json_list(type_ids))
            sql += " LIMIT ?"
            params.append(CANDIDATES_MAX)
            for name, eid in conn.execute(sql, params):
                score = float(fuzz.WRatio(query, fold(name)))
                if score >= MIN_SCORE and score > best.get(eid, (-1.0, ""))[0]:
                    best[eid] = (score, name)
            if len(best) >= limit:
                break
        return best
